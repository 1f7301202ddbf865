// task_grammar_test.cpp -- the task grammar (native/src/task/grammar.h):
// every task, quoting and escaping, non-ASCII user IDs, every error message,
// limits and hostile input, and a format -> parse round-trip property test.
#include "check.h"
#include "test_base64.h"
#include "test_strings.h"
#include "gatehouse.h"
#include "grammar.h"

#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

using namespace gh::task;
using namespace std::string_literals;

namespace {

// Printable rendering of arbitrary bytes for failure messages.
std::string describe(const Command &c) {
  std::string r = std::string(kind_name(c.kind));
  if (c.server_name) r += " server=" + show(*c.server_name);
  if (c.session_server_name) r += " session_server=" + show(*c.session_server_name) + (c.session_server_nul ? "+NUL" : "");
  if (!c.session_id.empty()) r += " session_id=" + show(c.session_id);
  if (!c.user_id.empty()) r += " user_id=" + show(c.user_id);
  if (!c.pattern.empty()) r += " pattern=" + show(c.pattern);
  if (c.max) r += " max=" + std::to_string(c.max);
  if (!c.replica_set.empty()) r += " replica_set=" + show(c.replica_set);
  for (auto &w : c.help_topic) r += " word=" + show(w);
  return r;
}

// Parses `in`, which must succeed; also checks parse(format(c)) == c and
// that format() is a fixed point.
Command parse_ok(std::string_view in, int line) {
  ParseResult r = parse(in);
  if (!r.ok) {
    ++failures();
    std::fprintf(stderr, "  FAIL line %d: parse(\"%s\") -> %s %s\n", line, show(in).c_str(),
                 std::string(r.error.message_id).c_str(), r.error.text.c_str());
    return r.command;
  }
  const std::string f = format(r.command);
  ParseResult again = parse(f);
  if (!again.ok || again.command != r.command || format(again.command) != f) {
    ++failures();
    std::fprintf(stderr, "  FAIL line %d: round trip of \"%s\" via \"%s\"\n", line, show(in).c_str(), show(f).c_str());
  }
  return r.command;
}
#define OK(in) parse_ok((in), __LINE__)

// Parses `in`, which must fail with message `id`.
Error parse_err(std::string_view in, std::string_view id, int line) {
  ParseResult r = parse(in);
  if (r.ok) {
    ++failures();
    std::fprintf(stderr, "  FAIL line %d: parse(\"%s\") succeeded (%s), expected %s\n", line, show(in).c_str(),
                 describe(r.command).c_str(), std::string(id).c_str());
  } else if (r.error.message_id != id) {
    ++failures();
    std::fprintf(stderr, "  FAIL line %d: parse(\"%s\") -> %s %s, expected %s\n", line, show(in).c_str(),
                 std::string(r.error.message_id).c_str(), r.error.text.c_str(), std::string(id).c_str());
  } else if (r.error.text.empty() || message_id(r.error.code) != r.error.message_id) {
    ++failures();
    std::fprintf(stderr, "  FAIL line %d: error of \"%s\" lacks text or code\n", line, show(in).c_str());
  }
  return r.error;
}
#define ERR(in, id) parse_err((in), (id), __LINE__)


const char *kUnknown = "GHWAT0101E", *kMissing = "GHWAT0102E", *kBad = "GHWAT0103E", *kQuote = "GHWAT0104E",
           *kEncoding = "GHWAT0105E", *kTooLong = "GHWAT0106E", *kExtra = "GHWAT0107E";

} // namespace

// ---------------------------------------------------------------- pdadmin tasks

TEST(terminate_session_bare_id) {
  Command c = OK("terminate session 678");
  CHECK(c.kind == Kind::TerminateSession);
  CHECK_STR(c.session_id, "678");
  CHECK(!c.session_server_name);
  CHECK(!c.server_name);
  CHECK_STR(format(c), "terminate session 678");
  // A Gatehouse user session ID: 22 base64url characters.
  c = OK("terminate session AbCdEfGhIjKlMnOpQrStUv");
  CHECK_STR(c.session_id, "AbCdEfGhIjKlMnOpQrStUv");
}

TEST(terminate_session_whole_user_session_id_string) {
  const std::string server = "default-webseald-proxy1.example.com";
  const std::string id = "AAAAAgAAACw+Zm9v/2Jhcg==:"; // reference-like: standard base64 and a trailing ':'
  // The reference product encodes the server name with a trailing NUL byte.
  std::string tok = b64(server + '\0') + "_" + id;
  Command c = OK("terminate session " + tok);
  CHECK(c.kind == Kind::TerminateSession);
  CHECK(c.session_server_name && *c.session_server_name == server);
  CHECK(c.session_server_nul);
  CHECK_STR(c.session_id, id);
  CHECK_STR(format(c), "terminate session " + tok); // reproduced byte for byte
  // Without the NUL.
  tok = b64(server) + "_" + id;
  c = OK("terminate session " + tok);
  CHECK(c.session_server_name && *c.session_server_name == server);
  CHECK(!c.session_server_nul);
  CHECK_STR(c.session_id, id);
  CHECK_STR(format(c), "terminate session " + tok);
  // With a Gatehouse ID after the underscore (which may contain `_` itself).
  tok = b64("gh-proxy-host") + "_" + "ab_defghijklmnopqrs-uv";
  c = OK("terminate session " + tok);
  CHECK(c.session_server_name && *c.session_server_name == "gh-proxy-host");
  CHECK_STR(c.session_id, "ab_defghijklmnopqrs-uv");
  // dscadmin accepts the same forms.
  c = OK("session terminate session " + tok + " ibm.com");
  CHECK(c.kind == Kind::DscTerminateSession);
  CHECK(c.session_server_name && *c.session_server_name == "gh-proxy-host");
  CHECK_STR(c.session_id, "ab_defghijklmnopqrs-uv");
  CHECK_STR(c.replica_set, "ibm.com");
  // Quoted is accepted too.
  c = OK("terminate session \"" + tok + "\"");
  CHECK_STR(c.session_id, "ab_defghijklmnopqrs-uv");
}

TEST(terminate_session_ambiguous_ids_are_not_split) {
  // "ZGVm" is base64 of "def", a valid server name; but a token of exactly 22
  // base64url characters is a Gatehouse user session ID and is never split.
  static_assert(GH_USER_SESSION_ID_LEN == 22, "test assumes 22-character user session IDs");
  Command c = OK("terminate session ZGVm_abcdefghijklmnopq");
  CHECK(!c.session_server_name);
  CHECK_STR(c.session_id, "ZGVm_abcdefghijklmnopq");
  // One character longer, it is the whole-string form.
  c = OK("terminate session ZGVm_abcdefghijklmnopqr");
  CHECK(c.session_server_name && *c.session_server_name == "def");
  CHECK_STR(c.session_id, "abcdefghijklmnopqr");
  // Prefixes that are not canonical base64 of a valid server name.
  const std::string no_split[] = {
      "ab!c_xyz", "abc_xyz", "YR==_xyz", "YWJjZA=_xyz", "=YWJj_xyz",
      b64("\x01\x02\x03") + "_xyz",          // binary name
      b64("a b") + "_xyz",                   // space in name
      b64("abc"s + '\0' + '\0') + "_xyz",    // two NULs
      b64(""s + '\0') + "_xyz",              // empty name
      b64("abc") + "_",                      // nothing after the underscore
      "_xyz",                                // empty prefix
      b64("abc") + ":_xyz",                  // prefix not pure base64
  };
  for (const auto &tok : no_split) {
    c = OK("terminate session " + tok);
    CHECK(!c.session_server_name);
    CHECK_STR(c.session_id, tok);
  }
  c = OK("terminate session YWI=_xyz");
  CHECK(c.session_server_name && *c.session_server_name == "ab");
  // Only the first underscore splits.
  c = OK("terminate session " + b64("a-b") + "_x_y_z");
  CHECK(c.session_server_name && *c.session_server_name == "a-b");
  CHECK_STR(c.session_id, "x_y_z");
}

TEST(terminate_session_bad_ids) {
  ERR("terminate session", kMissing);
  ERR("terminate session \"\"", kBad);
  ERR("terminate session \"a b\"", kBad);
  ERR("terminate session \"a\\\\b\"", kBad);
  ERR("terminate session \"a\\\"b\"", kBad);
  ERR("terminate session Jürgen", kBad);
  ERR("terminate session " + std::string(1025, 'a'), kBad);
  Command c = OK("terminate session " + std::string(1024, 'a'));
  CHECK_EQ(c.session_id.size(), 1024u);
  ERR("terminate session abc def", kExtra);
}

TEST(terminate_and_refresh_all_sessions) {
  Command c = OK("terminate all_sessions dlucas");
  CHECK(c.kind == Kind::TerminateAllSessions);
  CHECK_STR(c.user_id, "dlucas");
  CHECK_STR(format(c), "terminate all_sessions dlucas");
  c = OK("terminate all_sessions \"Mary Jones\"");
  CHECK_STR(c.user_id, "Mary Jones");
  CHECK_STR(format(c), "terminate all_sessions \"Mary Jones\"");
  c = OK("terminate all_sessions sec_master");
  CHECK_STR(c.user_id, "sec_master");
  c = OK("refresh all_sessions test_user");
  CHECK(c.kind == Kind::RefreshAllSessions);
  CHECK_STR(c.user_id, "test_user");
  c = OK("refresh all_sessions \"Mary Jones\"");
  CHECK_STR(c.user_id, "Mary Jones");
  ERR("terminate all_sessions", kMissing);
  ERR("refresh all_sessions", kMissing);
  ERR("terminate all_sessions Mary Jones", kExtra);
  ERR("terminate all_sessions \"\"", kBad);
  ERR("terminate", kMissing);
  ERR("refresh", kMissing);
  ERR("terminate everything", kUnknown);
  ERR("refresh session abc", kUnknown);
}

TEST(keywords_case_insensitive_and_whitespace) {
  Command c = OK("  TeRmInAtE\t\tALL_SESSIONS \t dlucas \t ");
  CHECK(c.kind == Kind::TerminateAllSessions);
  CHECK_STR(c.user_id, "dlucas");
  c = OK("REFRESH All_Sessions DLucas"); // the user ID keeps its case
  CHECK_STR(c.user_id, "DLucas");
  c = OK("\tSESSION LIST *ons* 100 ibm.com");
  CHECK(c.kind == Kind::DscSessionList);
  c = OK("Replica SET Show IBM.com");
  CHECK_STR(c.replica_set, "IBM.com");
  CHECK_STR(format(OK("  HELP   Terminate   ")), "help Terminate");
}

TEST(server_task_prefix) {
  Command c = OK("server task default-webseald-cruz terminate all_sessions dlucas");
  CHECK(c.server_name && *c.server_name == "default-webseald-cruz");
  CHECK(c.kind == Kind::TerminateAllSessions);
  CHECK_STR(format(c), "server task default-webseald-cruz terminate all_sessions dlucas");
  c = OK("SERVER Task default-webseald-abc.ibm.com refresh all_sessions test_user");
  CHECK(c.server_name && *c.server_name == "default-webseald-abc.ibm.com");
  c = OK("server task web2-webseald-host help terminate");
  CHECK(c.kind == Kind::Help);
  CHECK(c.help_topic == std::vector<std::string>{"terminate"});
  // The prefix's server name and the one inside a user session ID are separate.
  const std::string tok = b64("host1-default"s + '\0') + "_abcdefghijklmnopqrstuv";
  c = OK("server task default-webseald-host1 terminate session " + tok);
  CHECK(c.server_name && *c.server_name == "default-webseald-host1");
  CHECK(c.session_server_name && *c.session_server_name == "host1-default");
  CHECK_STR(c.session_id, "abcdefghijklmnopqrstuv");

  ERR("server", kMissing);
  ERR("server list", kUnknown);
  ERR("server task", kMissing);
  ERR("server task default-webseald-cruz", kMissing);
  ERR("server task bad/name help", kBad);
  ERR("server task \"bad name\" help", kBad);
  ERR("server task " + std::string(257, 'a') + " help", kBad);
  OK("server task " + std::string(256, 'a') + " help");
  ERR("server task Jürgen-webseald-x help", kBad);
  ERR("server task default-webseald-cruz nonsense", kUnknown);
}

TEST(help) {
  Command c = OK("help");
  CHECK(c.kind == Kind::Help);
  CHECK(c.help_topic.empty());
  CHECK_STR(format(c), "help");
  c = OK("help terminate all_sessions");
  CHECK(c.help_topic == (std::vector<std::string>{"terminate", "all_sessions"}));
  c = OK("help session terminate all_sessions");
  CHECK_EQ(c.help_topic.size(), 3u);
  c = OK("help \"two words\"");
  CHECK(c.help_topic == std::vector<std::string>{"two words"});
  CHECK_STR(format(c), "help \"two words\"");
  c = OK("help pattern"); // help words need no keyword guard
  CHECK_STR(format(c), "help pattern");
  ERR("help \"\"", kBad);
}

TEST(signout_all_sessions_extension) {
  Command c = OK("signout all_sessions");
  CHECK(c.kind == Kind::SignoutAllSessions);
  CHECK_STR(format(c), "signout all_sessions");
  c = OK("server task default-webseald-cruz SIGNOUT ALL_SESSIONS");
  CHECK(c.kind == Kind::SignoutAllSessions);
  ERR("signout", kMissing);
  ERR("signout all_sessions dlucas", kExtra);
  ERR("signout everyone", kUnknown);
  ERR("sign out", kUnknown);
  ERR("sign-out all_sessions", kUnknown);
}

TEST(list_sessions_extension) {
  Command c = OK("list sessions dlucas");
  CHECK(c.kind == Kind::ListSessions);
  CHECK_STR(c.user_id, "dlucas");
  CHECK_EQ(c.max, 0u);
  c = OK("list sessions \"Mary Jones\"");
  CHECK_STR(c.user_id, "Mary Jones");
  // A user called pattern must be quoted; the quoted word is never the keyword.
  c = OK("list sessions \"pattern\"");
  CHECK(c.kind == Kind::ListSessions);
  CHECK_STR(c.user_id, "pattern");
  CHECK_STR(format(c), "list sessions \"pattern\"");
  c = OK("list sessions \"PATTERN\"");
  CHECK_STR(format(c), "list sessions \"PATTERN\"");

  c = OK("list sessions pattern *ons*");
  CHECK(c.kind == Kind::ListSessionsPattern);
  CHECK_STR(c.pattern, "*ons*");
  CHECK_EQ(c.max, 100u);
  CHECK_STR(format(c), "list sessions pattern *ons* 100");
  c = OK("list sessions PATTERN \"Mary *\" 5");
  CHECK_STR(c.pattern, "Mary *");
  CHECK_EQ(c.max, 5u);
  c = OK("list sessions pattern * 100000");
  CHECK_EQ(c.max, 100000u);
  c = OK("list sessions pattern * 1");
  CHECK_EQ(c.max, 1u);
  c = OK("list sessions pattern * 0007");
  CHECK_EQ(c.max, 7u);
  c = OK("list sessions pattern pattern"); // after the keyword, a value
  CHECK_STR(c.pattern, "pattern");
  c = OK("list sessions pattern 100"); // the pattern "100", default max
  CHECK_STR(c.pattern, "100");
  CHECK_EQ(c.max, 100u);

  for (const char *bad : {"0", "100001", "-1", "+1", "1e3", "abc", "12a", "99999999999999999999999999", "\"\""})
    ERR("list sessions pattern * "s + bad, kBad);
  ERR("list sessions", kMissing);
  ERR("list sessions pattern", kMissing);
  ERR("list sessions Mary Jones", kExtra);
  ERR("list sessions pattern * 10 ibm.com", kExtra);
  ERR("list", kMissing);
  ERR("list session dlucas", kUnknown);
  ERR("list users", kUnknown);
}

// ---------------------------------------------------------------- dscadmin

TEST(dscadmin_commands) {
  Command c = OK("session terminate session 678 ibm.com");
  CHECK(c.kind == Kind::DscTerminateSession);
  CHECK_STR(c.session_id, "678");
  CHECK_STR(c.replica_set, "ibm.com");
  CHECK_STR(format(c), "session terminate session 678 ibm.com");

  c = OK("session terminate all_sessions sec_master ibm.com");
  CHECK(c.kind == Kind::DscTerminateAllSessions);
  CHECK_STR(c.pattern, "sec_master");
  CHECK_STR(c.replica_set, "ibm.com");
  c = OK("session terminate all_sessions sec_m* ibm.com");
  CHECK_STR(c.pattern, "sec_m*");
  c = OK("session terminate all_sessions \"Mary *\" \"replica set 1\"");
  CHECK_STR(c.pattern, "Mary *");
  CHECK_STR(c.replica_set, "replica set 1");
  CHECK_STR(format(c), "session terminate all_sessions \"Mary *\" \"replica set 1\"");

  c = OK("session list *ons* 100 ibm.com");
  CHECK(c.kind == Kind::DscSessionList);
  CHECK_STR(c.pattern, "*ons*");
  CHECK_EQ(c.max, 100u);
  CHECK_STR(c.replica_set, "ibm.com");
  CHECK_STR(format(c), "session list *ons* 100 ibm.com");

  c = OK("replica set list");
  CHECK(c.kind == Kind::ReplicaSetList);
  CHECK_STR(format(c), "replica set list");
  c = OK("replica set show ibm.com");
  CHECK(c.kind == Kind::ReplicaSetShow);
  CHECK_STR(c.replica_set, "ibm.com");

  ERR("session", kMissing);
  ERR("session terminate", kMissing);
  ERR("session terminate session", kMissing);
  ERR("session terminate session 678", kMissing);
  ERR("session terminate session 678 ibm.com extra", kExtra);
  ERR("session terminate all_sessions", kMissing);
  ERR("session terminate all_sessions sec_master", kMissing);
  ERR("session terminate user x y", kUnknown);
  ERR("session list", kMissing);
  ERR("session list *ons*", kMissing);
  ERR("session list *ons* 100", kMissing);
  ERR("session list *ons* 0 ibm.com", kBad);
  ERR("session list *ons* many ibm.com", kBad);
  ERR("session list *ons* 100 ibm.com x", kExtra);
  ERR("session show x", kUnknown);
  ERR("replica", kMissing);
  ERR("replica set", kMissing);
  ERR("replica set show", kMissing);
  ERR("replica set list ibm.com", kExtra);
  ERR("replica sets list", kUnknown);
  ERR("replica set delete x", kUnknown);
  ERR("replica set show \"\"", kBad);
}

// ---------------------------------------------------------------- quoting

TEST(quoting_and_escaping) {
  Command c = OK(R"(terminate all_sessions "Mary \"MJ\" Jones")");
  CHECK_STR(c.user_id, "Mary \"MJ\" Jones");
  CHECK_STR(format(c), R"(terminate all_sessions "Mary \"MJ\" Jones")");
  c = OK(R"(terminate all_sessions "C:\\dir\\x")");
  CHECK_STR(c.user_id, R"(C:\dir\x)");
  CHECK_STR(format(c), R"(terminate all_sessions C:\dir\x)"); // backslashes need no quotes
  c = OK(R"(terminate all_sessions DOMAIN\mary)"); // unquoted backslash is literal
  CHECK_STR(c.user_id, R"(DOMAIN\mary)");
  c = OK(R"(terminate all_sessions "DOMAIN\\Mary Jones")");
  CHECK_STR(c.user_id, R"(DOMAIN\Mary Jones)");
  CHECK_STR(format(c), R"(terminate all_sessions "DOMAIN\\Mary Jones")");
  c = OK(R"(terminate all_sessions "\"")");
  CHECK_STR(c.user_id, "\"");
  c = OK(R"(terminate all_sessions "\\")");
  CHECK_STR(c.user_id, "\\");
  c = OK(R"(terminate all_sessions "dlucas")"); // unnecessary quotes
  CHECK_STR(format(c), "terminate all_sessions dlucas");
  c = OK(R"(terminate all_sessions "it's")");
  CHECK_STR(c.user_id, "it's");
  c = OK("terminate all_sessions \"  spaced  \"");
  CHECK_STR(c.user_id, "  spaced  ");

  ERR(R"(terminate all_sessions "Mary Jones)", kQuote);             // unbalanced
  ERR(R"(terminate all_sessions "Mary Jones\")", kQuote);           // escaped quote, then the end
  ERR(R"(terminate all_sessions "Mary\)", kQuote);                  // backslash at the end
  ERR(R"(terminate all_sessions "bad \n escape")", kQuote);         // only \" and \\ exist
  ERR(R"(terminate all_sessions "bad \' escape")", kQuote);
  ERR(R"(terminate all_sessions Mary"Jones)", kQuote);              // quote inside a bare token
  ERR(R"(terminate all_sessions Mary")", kQuote);
  ERR(R"(terminate all_sessions "Mary"Jones)", kQuote);             // text right after a closing quote
  ERR(R"(terminate all_sessions "Mary""Jones")", kQuote);
  ERR(R"(")", kQuote);
  ERR(R"(terminate all_sessions "a" "b)", kQuote);
  ERR("terminate all_sessions \"Mary\tJones\"", kEncoding);           // tab inside quotes
  ERR(R"(terminate all_sessions "")", kBad);                        // empty
  ERR(R"("terminate" all_sessions dlucas)", kUnknown);              // quoted keyword
  ERR(R"(terminate "all_sessions" dlucas)", kUnknown);
  Error e = ERR(R"(terminate all_sessions "Mary Jones)", kQuote);
  CHECK_EQ(e.offset, 23u); // the opening quote
  e = ERR(R"(terminate all_sessions "a\x")", kQuote);
  CHECK_EQ(e.offset, 25u); // the backslash
}

TEST(quote_function) {
  CHECK_STR(quote("dlucas"), "dlucas");
  CHECK_STR(quote("Mary Jones"), "\"Mary Jones\"");
  CHECK_STR(quote("a\"b"), R"("a\"b")");
  CHECK_STR(quote(R"(a\b)"), R"(a\b)");
  CHECK_STR(quote(R"(a\b c)"), R"("a\\b c")");
  CHECK_STR(quote(R"(a"b\c)"), R"("a\"b\\c")");
  CHECK_STR(quote(""), "\"\"");
  CHECK_STR(quote("pattern"), "\"pattern\"");
  CHECK_STR(quote("Pattern"), "\"Pattern\"");
  CHECK_STR(quote("patterns"), "patterns");
  CHECK_STR(quote("Grüße Jürgen"), "\"Grüße Jürgen\"");
  CHECK_STR(quote("Jürgen"), "Jürgen");
  CHECK_STR(quote("山田 太郎"), "\"山田 太郎\"");
  CHECK_STR(quote("*"), "*");
  // Every quoted value parses back to itself in every user-ID position.
  for (const char *id : {"dlucas", "Mary Jones", "a\"b", "a\\b", "a\\\"b c", "pattern", "PATTERN", "\\\\", "\"\"",
                         "Grüße Jürgen", "山田 太郎", " lead", "trail ", "*"}) {
    for (const char *task : {"terminate all_sessions ", "refresh all_sessions ", "list sessions "}) {
      ParseResult r = parse(task + quote(id));
      CHECK(r.ok);
      if (r.ok) CHECK_STR(r.command.user_id, id);
    }
  }
}

TEST(non_ascii_user_ids) {
  Command c = OK("terminate all_sessions \"Grüße Jürgen\"");
  CHECK_STR(c.user_id, "Grüße Jürgen");
  CHECK_STR(format(c), "terminate all_sessions \"Grüße Jürgen\"");
  c = OK("refresh all_sessions \"山田 太郎\"");
  CHECK_STR(c.user_id, "山田 太郎");
  c = OK("terminate all_sessions Jürgen");
  CHECK_STR(c.user_id, "Jürgen");
  c = OK("terminate all_sessions 山田　太郎"); // U+3000 is not a separator
  CHECK_STR(c.user_id, "山田　太郎");
  c = OK("list sessions 😀emoji👍");
  CHECK_STR(c.user_id, "😀emoji👍");
  c = OK("list sessions pattern \"山田 *\" 10");
  CHECK_STR(c.pattern, "山田 *");
  c = OK("session terminate all_sessions Ü* réplica");
  CHECK_STR(c.replica_set, "réplica");
  c = OK("help \"Grüße\"");
  CHECK_STR(c.help_topic.at(0), "Grüße");
  c = OK("terminate all_sessions \"\xEF\xBF\xBF\xF4\x8F\xBF\xBF\""); // U+FFFF, U+10FFFF: well-formed
  CHECK_EQ(c.user_id.size(), 7u);
}

TEST(user_id_length) {
  std::string id;
  for (int i = 0; i < 128; ++i) id += "ü"; // 256 bytes
  Command c = OK("terminate all_sessions " + id);
  CHECK_EQ(c.user_id.size(), 256u);
  ERR("terminate all_sessions " + id + "x", kBad);
  ERR("terminate all_sessions " + std::string(255, 'a') + "ü", kBad);
  OK("terminate all_sessions " + std::string(256, 'a'));
  ERR("terminate all_sessions " + std::string(257, 'a'), kBad);
  // 256 bytes of escaped quotes: 512 bytes of input, 256 of user ID.
  std::string esc;
  for (int i = 0; i < 256; ++i) esc += "\\\"";
  c = OK("terminate all_sessions \"" + esc + "\"");
  CHECK_EQ(c.user_id.size(), 256u);
  ERR("list sessions pattern " + std::string(257, '*'), kBad);
  ERR("replica set show " + std::string(257, 'r'), kBad);
  ERR("help " + std::string(257, 'h'), kBad);
}

// ---------------------------------------------------------------- errors

TEST(every_error_message) {
  Error e = ERR("frobnicate", kUnknown);
  CHECK(e.code == ErrorCode::UnknownTask);
  CHECK_EQ(e.offset, 0u);
  e = ERR("  terminate nothing", kUnknown);
  CHECK_EQ(e.offset, 12u);
  e = ERR("", kMissing);
  CHECK(e.code == ErrorCode::MissingArgument);
  ERR(" \t ", kMissing);
  e = ERR("terminate all_sessions \"\"", kBad);
  CHECK(e.code == ErrorCode::BadArgument);
  e = ERR("terminate all_sessions \"x", kQuote);
  CHECK(e.code == ErrorCode::Quoting);
  e = ERR("terminate all_sessions a\x01", kEncoding);
  CHECK(e.code == ErrorCode::Encoding);
  CHECK_EQ(e.offset, 24u);
  e = ERR(std::string(kMaxInputBytes + 1, ' '), kTooLong);
  CHECK(e.code == ErrorCode::TooLong);
  e = ERR("replica set list now", kExtra);
  CHECK(e.code == ErrorCode::ExtraArgument);
  CHECK_EQ(e.offset, 17u);
  // The catalogue.
  CHECK_STR(message_id(ErrorCode::UnknownTask), "GHWAT0101E");
  CHECK_STR(message_id(ErrorCode::MissingArgument), "GHWAT0102E");
  CHECK_STR(message_id(ErrorCode::BadArgument), "GHWAT0103E");
  CHECK_STR(message_id(ErrorCode::Quoting), "GHWAT0104E");
  CHECK_STR(message_id(ErrorCode::Encoding), "GHWAT0105E");
  CHECK_STR(message_id(ErrorCode::TooLong), "GHWAT0106E");
  CHECK_STR(message_id(ErrorCode::ExtraArgument), "GHWAT0107E");
  // Error texts quote at most 64 bytes of input, cut on a character boundary.
  std::string word;
  for (int i = 0; i < 100; ++i) word += "é";
  e = ERR(word, kUnknown);
  CHECK(e.text.size() < 150);
  CHECK(parse("terminate all_sessions \"" + e.text + "\"").ok); // the text is valid UTF-8
}

TEST(embedded_nul) {
  const std::string in = "terminate all_sessions dl\0ucas"s;
  CHECK_EQ(in.size(), 30u);
  Error e = ERR(in, kEncoding);
  CHECK_EQ(e.offset, 25u);
  ERR("\0"s, kEncoding);
  ERR("help\0"s, kEncoding);
  ERR("terminate all_sessions \"a\0b\""s, kEncoding);
  ERR("terminate session " + b64("abc"s + '\0') + "\0_x"s, kEncoding);
}

TEST(invalid_utf8_and_control_characters) {
  const std::string bad[] = {
      "\x80",             // lone continuation byte
      "\xBF",             // lone continuation byte
      "\xC0\xAF",         // overlong '/'
      "\xC1\xBF",         // overlong
      "\xE0\x80\xAF",     // overlong
      "\xE0\x9F\xBF",     // overlong
      "\xED\xA0\x80",     // surrogate U+D800
      "\xED\xBF\xBF",     // surrogate U+DFFF
      "\xF0\x80\x80\xAF", // overlong
      "\xF4\x90\x80\x80", // U+110000
      "\xF5\x80\x80\x80", // beyond Unicode
      "\xFE", "\xFF",     // never in UTF-8
      "\xE4\xB8",         // truncated
      "\xE4\xB8 ",        // truncated before a space
      "\xF0\x9F\x98",     // truncated
      "\xC3\x28",         // bad continuation
      "\xC2\x85",         // U+0085 NEL (C1 control)
      "\xC2\x9F",         // C1 control
      "\x7F",             // DEL
      "\r", "\n", "\x1B", "\x0B", "\x0C", "\x01",
  };
  for (const auto &b : bad) {
    ERR("terminate all_sessions user" + b, kEncoding);
    ERR("terminate all_sessions \"Mary " + b + "\"", kEncoding);
    ERR(b + "help", kEncoding);
  }
  ERR("help\r\n", kEncoding);
  Error e = ERR("refresh all_sessions ab\xC3\x28", kEncoding);
  CHECK_EQ(e.offset, 23u);
  // An encoded surrogate (what the addon passes on for an unpaired one in a
  // JavaScript string) is named as such, at its offset.
  Error sur = ERR("terminate all_sessions \"a\xED\xB0\x80\"", kEncoding);
  CHECK_EQ(sur.offset, 25u);
  CHECK(sur.text.find("unpaired UTF-16 surrogate U+DC00") != std::string::npos);
  Error cut = ERR("terminate all_sessions \xED\xA0", kEncoding);  // truncated: plain invalid UTF-8
  CHECK(cut.text.find("invalid UTF-8 (byte 0xED)") != std::string::npos);
  // Encoding is checked before quotes and grammar.
  ERR("\"unbalanced \xFF", kEncoding);
  // Valid neighbours of the rejected forms.
  OK("terminate all_sessions \xC2\xA0x");         // U+00A0 (not a control)
  OK("terminate all_sessions \xEE\x80\x80");      // U+E000
  OK("terminate all_sessions \xED\x9F\xBF");      // U+D7FF
  OK("terminate all_sessions \xF0\x90\x80\x80");  // U+10000
  OK("terminate all_sessions ~");                 // U+007E
}

TEST(size_and_token_limits) {
  // 1 MiB of input.
  std::string mib(1 << 20, 'a');
  Error e = ERR("terminate all_sessions " + mib, kTooLong);
  CHECK_EQ(e.offset, kMaxInputBytes);
  ERR(std::string(1 << 20, '"'), kTooLong);
  ERR(std::string(1 << 20, '\0'), kTooLong);
  // Exactly 65536 bytes is allowed; one more is not.
  std::string in = "help x";
  in += std::string(kMaxInputBytes - in.size(), ' ');
  CHECK_EQ(in.size(), kMaxInputBytes);
  OK(in);
  ERR(in + " ", kTooLong);
  // 10,000 tokens.
  std::string many = "help";
  for (int i = 0; i < 10000; ++i) many += " w";
  e = ERR(many, kTooLong);
  CHECK_EQ(e.offset, 4u + 2u * 255u + 1u); // the 257th token
  many = "terminate all_sessions";
  for (int i = 0; i < 10000; ++i) many += " \"\"";
  ERR(many, kTooLong);
  // 256 tokens exactly is fine.
  std::string t256 = "help";
  for (int i = 0; i < 255; ++i) t256 += " w";
  Command c = OK(t256);
  CHECK_EQ(c.help_topic.size(), 255u);
  ERR(t256 + " w", kTooLong);
  // The largest inputs parse quickly (linear time); a generous bound.
  std::string big_quoted = "terminate all_sessions \"";
  while (big_quoted.size() < kMaxInputBytes - 1) big_quoted += "\\\\";
  big_quoted.resize(kMaxInputBytes - 1);
  big_quoted += '"';
  std::string big_words = "help";
  for (int i = 0; i < 255; ++i) big_words += " " + std::string(255, 'w'); // 255 words, 65284 bytes
  std::string big_spaces = "help" + std::string(kMaxInputBytes - 10, '\t') + "x";
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) {
    CHECK(!parse(big_quoted).ok);
    CHECK(parse(big_words).ok);
    CHECK(parse(big_spaces).ok);
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  CHECK(ms < 20000);
}

TEST(helpers) {
  CHECK(valid_text("dlucas"));
  CHECK(valid_text("Mary Jones"));
  CHECK(valid_text("山田 太郎"));
  CHECK(!valid_text(""));
  CHECK(!valid_text(std::string(257, 'a')));
  CHECK(valid_text(std::string(256, 'a')));
  CHECK(!valid_text("a\tb"));
  CHECK(!valid_text("a\0b"s));
  CHECK(!valid_text("\xFF"));
  CHECK(valid_server_name("default-webseald-abc.ibm.com"));
  CHECK(valid_server_name("host_1"));
  CHECK(!valid_server_name(""));
  CHECK(!valid_server_name("a b"));
  CHECK(!valid_server_name("a/b"));
  CHECK(!valid_server_name(std::string(257, 'a')));
  for (Kind k : {Kind::TerminateSession, Kind::TerminateAllSessions, Kind::RefreshAllSessions, Kind::Help,
                 Kind::SignoutAllSessions, Kind::ListSessions, Kind::ListSessionsPattern, Kind::DscTerminateSession,
                 Kind::DscTerminateAllSessions, Kind::DscSessionList, Kind::ReplicaSetList, Kind::ReplicaSetShow}) {
    CHECK(!kind_name(k).empty());
    CHECK(!syntax(k).empty());
  }
  CHECK_STR(syntax(Kind::SignoutAllSessions), "signout all_sessions");
}

// ---------------------------------------------------------------- properties

namespace {

struct Gen {
  std::mt19937_64 rng;
  explicit Gen(std::uint64_t seed) : rng(seed) {}
  std::uint64_t below(std::uint64_t n) { return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng); }
  bool coin(int pct = 50) { return below(100) < static_cast<std::uint64_t>(pct); }

  // Text (user IDs, patterns, replica sets, help words): 1..max bytes drawn
  // from ASCII, spaces, quotes, backslashes, `*` and multi-byte UTF-8.
  std::string text(std::size_t max = kMaxTextBytes) {
    static const char *pieces[] = {"a", "Z", "0", "_", "-", ".", "@", "*", " ", " ", "\"", "\\", "'", "ü", "ß",
                                   "é", "山", "田", "　", "😀", "\xC2\xA0", "\xF4\x8F\xBF\xBF", "pattern", "x"};
    switch (below(12)) {
    case 0: return "pattern";
    case 1: return "PaTtErN";
    case 2: return std::string(1 + below(3), ' ');
    case 3: return std::string(1 + below(4), '"');
    case 4: return std::string(1 + below(4), '\\');
    default: break;
    }
    const std::size_t target = 1 + below(coin(10) ? max : 24);
    std::string s;
    for (;;) {
      const char *p = pieces[below(sizeof pieces / sizeof *pieces)];
      if (s.size() + std::strlen(p) > target) break;
      s += p;
    }
    if (s.empty()) s = "u";
    return s;
  }
  std::string from(const char *alphabet, std::size_t n) {
    std::string s;
    const std::size_t k = std::strlen(alphabet);
    for (std::size_t i = 0; i < n; ++i) s += alphabet[below(k)];
    return s;
  }
  std::string server_name() { return from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", 1 + below(40)); }
  std::string gh_user_session_id() {
    return from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", GH_USER_SESSION_ID_LEN);
  }
  // A session command's ID: a Gatehouse ID, a bare ID without `_`, or a
  // whole user session ID string (with or without the NUL).
  void session(Command &c) {
    switch (below(4)) {
    case 0: c.session_id = gh_user_session_id(); return;
    case 1:
      c.session_id = from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=:!#$%&'()*,.;<>?@[]^`{|}~",
                          1 + below(120));
      return;
    default:
      c.session_server_name = server_name();
      c.session_server_nul = coin();
      c.session_id = coin() ? gh_user_session_id() : from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=:_", 23 + below(100));
      return;
    }
  }
  std::uint32_t max() {
    switch (below(4)) {
    case 0: return 1;
    case 1: return kMaxMax;
    case 2: return kDefaultMax;
    default: return static_cast<std::uint32_t>(1 + below(kMaxMax));
    }
  }
  Command command() {
    Command c;
    c.kind = static_cast<Kind>(below(12));
    if (coin(30)) c.server_name = server_name();
    switch (c.kind) {
    case Kind::TerminateSession: session(c); break;
    case Kind::TerminateAllSessions:
    case Kind::RefreshAllSessions:
    case Kind::ListSessions: c.user_id = text(); break;
    case Kind::Help: for (auto n = below(6); n > 0; --n) c.help_topic.push_back(text()); break;
    case Kind::SignoutAllSessions:
    case Kind::ReplicaSetList: break;
    case Kind::ListSessionsPattern: c.pattern = text(); c.max = max(); break;
    case Kind::DscTerminateSession: session(c); c.replica_set = text(); break;
    case Kind::DscTerminateAllSessions: c.pattern = text(); c.replica_set = text(); break;
    case Kind::DscSessionList: c.pattern = text(); c.max = max(); c.replica_set = text(); break;
    case Kind::ReplicaSetShow: c.replica_set = text(); break;
    }
    return c;
  }

  // An equivalent non-canonical rendering: random keyword case, random runs
  // of spaces and tabs, unnecessary quotes, leading zeros, an omitted
  // default max. Written independently of format().
  std::string ws() {
    std::string s;
    for (auto n = 1 + below(3); n > 0; --n) s += coin(70) ? ' ' : '\t';
    return s;
  }
  std::string kw(std::string_view w) {
    std::string s(w);
    for (auto &ch : s)
      if (coin() && ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    return s;
  }
  std::string value(std::string_view v, bool must_quote_pattern) {
    bool q = v.find_first_of(" \t\"") != std::string_view::npos || coin(25);
    if (must_quote_pattern && v.size() == 7) {
      std::string l(v);
      for (auto &ch : l) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (l == "pattern") q = true;
    }
    if (!q) return std::string(v);
    std::string s = "\"";
    for (char ch : v) {
      if (ch == '"' || ch == '\\') s += '\\';
      s += ch;
    }
    return s + "\"";
  }
  std::string session_token(const Command &c) {
    if (!c.session_server_name) return c.session_id;
    std::string n = *c.session_server_name;
    if (c.session_server_nul) n += '\0';
    return b64(n) + "_" + c.session_id;
  }
  std::string number(std::uint32_t m) { return std::string(below(3), '0') + std::to_string(m); }
  std::string messy(const Command &c) {
    std::vector<std::string> t;
    if (c.server_name) { t.push_back(kw("server")); t.push_back(kw("task")); t.push_back(value(*c.server_name, false)); }
    auto kws = [&](std::initializer_list<const char *> ws_) { for (auto w : ws_) t.push_back(kw(w)); };
    switch (c.kind) {
    case Kind::TerminateSession: kws({"terminate", "session"}); t.push_back(value(session_token(c), false)); break;
    case Kind::TerminateAllSessions: kws({"terminate", "all_sessions"}); t.push_back(value(c.user_id, true)); break;
    case Kind::RefreshAllSessions: kws({"refresh", "all_sessions"}); t.push_back(value(c.user_id, true)); break;
    case Kind::ListSessions: kws({"list", "sessions"}); t.push_back(value(c.user_id, true)); break;
    case Kind::Help: kws({"help"}); for (auto &w : c.help_topic) t.push_back(value(w, false)); break;
    case Kind::SignoutAllSessions: kws({"signout", "all_sessions"}); break;
    case Kind::ReplicaSetList: kws({"replica", "set", "list"}); break;
    case Kind::ListSessionsPattern:
      kws({"list", "sessions", "pattern"});
      t.push_back(value(c.pattern, false));
      if (c.max != kDefaultMax || coin()) t.push_back(number(c.max));
      break;
    case Kind::DscTerminateSession:
      kws({"session", "terminate", "session"});
      t.push_back(value(session_token(c), false));
      t.push_back(value(c.replica_set, false));
      break;
    case Kind::DscTerminateAllSessions:
      kws({"session", "terminate", "all_sessions"});
      t.push_back(value(c.pattern, false));
      t.push_back(value(c.replica_set, false));
      break;
    case Kind::DscSessionList:
      kws({"session", "list"});
      t.push_back(value(c.pattern, false));
      t.push_back(number(c.max));
      t.push_back(value(c.replica_set, false));
      break;
    case Kind::ReplicaSetShow: kws({"replica", "set", "show"}); t.push_back(value(c.replica_set, false)); break;
    }
    std::string s = coin(30) ? ws() : "";
    for (std::size_t i = 0; i < t.size(); ++i) s += (i ? ws() : "") + t[i];
    if (coin(30)) s += ws();
    return s;
  }
};

std::uint64_t seed_from_env() {
  const char *s = std::getenv("GH_TASK_SEED");
  return s ? std::strtoull(s, nullptr, 10) : 20240611u;
}

} // namespace

TEST(round_trip_property_20000_commands) {
  const std::uint64_t seed = seed_from_env();
  Gen g(seed);
  int bad = 0;
  for (int i = 0; i < 20000 && bad < 10; ++i) {
    const Command c = g.command();
    const std::string s = format(c);
    ParseResult r = parse(s);
    if (!r.ok || r.command != c) {
      ++bad;
      std::fprintf(stderr, "  FAIL seed %llu #%d: %s\n    format: \"%s\"\n    parse: %s\n", (unsigned long long)seed, i,
                   describe(c).c_str(), show(s).c_str(),
                   r.ok ? describe(r.command).c_str() : (std::string(r.error.message_id) + " " + r.error.text).c_str());
      continue;
    }
    if (format(r.command) != s) { ++bad; std::fprintf(stderr, "  FAIL #%d: format not a fixed point\n", i); }
    // The same command written loosely parses to the same Command.
    const std::string m = g.messy(c);
    ParseResult rm = parse(m);
    if (!rm.ok || rm.command != c) {
      ++bad;
      std::fprintf(stderr, "  FAIL seed %llu #%d messy \"%s\": %s\n", (unsigned long long)seed, i, show(m).c_str(),
                   rm.ok ? describe(rm.command).c_str() : (std::string(rm.error.message_id) + " " + rm.error.text).c_str());
    }
  }
  CHECK_EQ(bad, 0);
}

TEST(random_bytes_never_crash_and_round_trip) {
  // A small in-process fuzz: random mutations of valid commands and random
  // bytes. Whatever parses must round-trip; whatever fails has a message.
  Gen g(seed_from_env() ^ 0x9E3779B97F4A7C15ull);
  static const char *alphabet[] = {" ", "\t", "\"", "\\", "_", "*", "a", "0", "=", "\0", "\xFF", "\xC3", "\xA9",
                                   "\n", "terminate", "session", "all_sessions", "pattern", "server", "task", "help"};
  int bad = 0;
  for (int i = 0; i < 20000 && bad < 10; ++i) {
    std::string s = g.coin() ? format(g.command()) : "";
    for (auto n = g.below(6); n > 0; --n) {
      const std::string piece(alphabet[g.below(sizeof alphabet / sizeof *alphabet)]);
      const std::string p = piece.empty() ? "\0"s : piece;
      const auto at = s.empty() ? 0 : g.below(s.size() + 1);
      switch (g.below(3)) {
      case 0: s.insert(at, p); break;
      case 1: if (!s.empty()) s.erase(g.below(s.size()), 1 + g.below(4)); break;
      default: if (!s.empty()) s[g.below(s.size())] = p[0]; break;
      }
    }
    ParseResult r = parse(s);
    if (r.ok) {
      ParseResult again = parse(format(r.command));
      if (!again.ok || again.command != r.command) {
        ++bad;
        std::fprintf(stderr, "  FAIL \"%s\" does not round-trip via \"%s\"\n", show(s).c_str(), show(format(r.command)).c_str());
      }
    } else if (r.error.text.empty() || r.error.message_id.size() != 10 || r.error.offset > s.size()) {
      ++bad;
      std::fprintf(stderr, "  FAIL \"%s\": malformed error\n", show(s).c_str());
    }
  }
  CHECK_EQ(bad, 0);
}

int main(int argc, char **argv) { return run_all("task_grammar_test", argc, argv); }
