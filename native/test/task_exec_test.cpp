// task_exec_test.cpp -- the task executor (native/src/task/executor.h)
// against real tables: every task, users with spaces, quotes and non-ASCII
// names, unknown users and sessions, server and replica-set mismatches, the
// user session ID string both ways, listing formats, help and the task list,
// the message catalogue's consistency, memory exhaustion at every
// allocation, concurrent use, and the C API's argument checks.
#include "check.h"
#include "test_base64.h"
#include "test_strings.h"
#include "executor.h"
#include "gatehouse.h"
#include "grammar.h"
#include "messages.h"
#include "session_line.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <set>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace gh::task;

// ------------------------------------------------------------ fault injection
// Replaces global operator new so that a test can make the Nth allocation of
// this thread fail. Only the counting thread is affected; 0 = never fail.
namespace {
thread_local long g_fail_at = 0;
thread_local long g_allocs = 0;
void *allocate(std::size_t n) {
  if (g_fail_at && ++g_allocs == g_fail_at) return nullptr;
  return std::malloc(n ? n : 1);
}
// Out of line so that GCC does not pair an inlined free() with operator new
// (-Wmismatched-new-delete): the replacement pair is malloc/free by design.
__attribute__((noinline)) void release(void *p) noexcept { std::free(p); }
} // namespace
void *operator new(std::size_t n) {
  if (void *p = allocate(n)) return p;
  throw std::bad_alloc();
}
void *operator new[](std::size_t n) {
  if (void *p = allocate(n)) return p;
  throw std::bad_alloc();
}
void *operator new(std::size_t n, const std::nothrow_t &) noexcept { return allocate(n); }
void *operator new[](std::size_t n, const std::nothrow_t &) noexcept { return allocate(n); }
void operator delete(void *p) noexcept { release(p); }
void operator delete[](void *p) noexcept { release(p); }
void operator delete(void *p, std::size_t) noexcept { release(p); }
void operator delete[](void *p, std::size_t) noexcept { release(p); }

namespace {

constexpr std::uint64_t kT0 = 1700000000000ull; // 2023-11-14T22:13:20.000Z
const char *kServer = "default-webseald-host1";
const char *kSessionServer = "host1-default";

std::string unique_name() {
  static std::atomic<int> n{0};
  return "gh-task-test-" + std::to_string(getpid()) + "-" + std::to_string(n++);
}

struct Table {
  gh_table *t = nullptr;
  std::string name = unique_name();
  explicit Table(std::uint32_t capacity = 256) {
    gh_table_options o{capacity, 0};
    if (gh_table_create(name.c_str(), &o, &t) != GH_OK) std::fprintf(stderr, "create: %s\n", gh_last_error());
  }
  ~Table() {
    gh_table_close(t);
    gh_table_unlink(name.c_str());
  }
};

struct Session {
  std::string sid;  // cookie
  std::string usid; // user session ID
};

Session login(gh_table *t, std::string_view user, std::uint64_t now = kT0, std::uint8_t method = GH_AUTH_FORMS,
              std::uint8_t level = 1) {
  gh_session_spec s{};
  s.login = user.data();
  s.login_len = user.size();
  s.auth_method = method;
  s.auth_level = level;
  s.now_ms = now;
  gh_session_info info{};
  if (gh_session_create(t, &s, &info) != GH_OK) {
    ++failures();
    std::fprintf(stderr, "  FAIL login(%s): %s\n", show(user).c_str(), gh_last_error());
  }
  return {info.session_id, info.user_session_id};
}

gh_reason state(gh_table *t, const Session &s) {
  return gh_session_validate(t, s.sid.data(), s.sid.size(), 0, 0, nullptr);
}

ExecContext context() {
  ExecContext c;
  c.server_name = kServer;
  c.session_server_name = kSessionServer;
  return c;
}

Response run(gh_table *t, std::string_view task, std::string_view server = "") {
  return execute(t, context(), server, task);
}

std::string dump(const Response &r) {
  std::string s = r.ok ? "ok" : "FAILED";
  for (const auto &m : r.messages) s += "\n    " + m.id + " " + m.text;
  for (const auto &l : r.results) s += "\n    | " + show(l);
  return s;
}

// The response must carry exactly one message, `id`, and the ok flag that
// its severity implies; `text` (when given) must be its exact text.
bool expect(const Response &r, std::string_view id, std::string_view text, int line) {
  const MessageDef *d = find_message(id);
  bool good = d && r.messages.size() == 1 && r.messages[0].id == id && r.messages[0].code == d->code &&
              r.messages[0].severity == d->severity && r.ok == (d->severity != Severity::Error) &&
              (text.empty() || r.messages[0].text == text);
  if (!good) {
    ++failures();
    std::fprintf(stderr, "  FAIL line %d: expected %s%s%s, got %s\n", line, std::string(id).c_str(),
                 text.empty() ? "" : " ", std::string(text).c_str(), dump(r).c_str());
  }
  return good;
}
#define EXPECT_MSG(r, id) expect((r), (id), "", __LINE__)
#define EXPECT_TEXT(r, id, text) expect((r), (id), (text), __LINE__)


bool ends_with(const std::string &s, std::string_view tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string first_token(const std::string &line) { return line.substr(0, line.find(' ')); }

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

} // namespace

// ------------------------------------------------------------------ catalogue

TEST(catalogue_ids_codes_and_severities_agree) {
  std::size_t n = 0;
  const MessageDef *cat = catalogue(&n);
  CHECK(n >= 30);
  std::set<std::string> ids;
  std::set<std::uint32_t> codes;
  for (std::size_t i = 0; i < n; ++i) {
    const MessageDef &d = cat[i];
    const std::string id = d.id;
    // Shape: GHWAT + 4 digits + I/W/E.
    bool shape = id.size() == 10 && id.compare(0, 5, "GHWAT") == 0;
    for (int k = 5; shape && k < 9; ++k) shape = id[k] >= '0' && id[k] <= '9';
    CHECK(shape);
    const char letter = id.back();
    CHECK(letter == (d.severity == Severity::Info ? 'I' : d.severity == Severity::Warning ? 'W' : 'E'));
    // Code: 0x4754 then the four digits read as hex.
    const std::uint32_t want = 0x47540000u | static_cast<std::uint32_t>(std::strtoul(id.substr(5, 4).c_str(), nullptr, 16));
    CHECK_EQ(d.code, want);
    CHECK(ids.insert(id).second);
    CHECK(codes.insert(d.code).second);
    // In enum order, so def() can index.
    CHECK(static_cast<std::size_t>(d.msg) == i);
    CHECK(&def(d.msg) == &d);
    CHECK(find_message(id) == &d);
    // nargs equals the conversions in the format.
    unsigned conv = 0;
    for (const char *p = d.format; *p; ++p) {
      if (*p != '%') continue;
      if (p[1] == '%') { ++p; continue; }
      const bool ok = p[1] == 's' || p[1] == 'u' || (p[1] == 'z' && p[2] == 'u');
      CHECK(ok);
      ++conv;
    }
    CHECK_EQ(conv, d.nargs);
    CHECK(std::string(d.meaning).size() > 10);
  }
  CHECK(find_message("GHWAT9999E") == nullptr);
  CHECK(ids.size() == n);
}

TEST(grammar_ids_are_in_the_catalogue) {
  for (ErrorCode c : {ErrorCode::UnknownTask, ErrorCode::MissingArgument, ErrorCode::BadArgument,
                      ErrorCode::Quoting, ErrorCode::Encoding, ErrorCode::TooLong, ErrorCode::ExtraArgument}) {
    const MessageDef &d = def(from_grammar(c));
    CHECK_STR(d.id, message_id(c));
    CHECK(d.severity == Severity::Error);
    CHECK(find_message(message_id(c)) == &d);
  }
}

TEST(make_substitutes_in_order_and_tolerates_wrong_counts) {
  Message m = make(Msg::UserSessionsTerminated, {"3", "\"Mary Jones\""});
  CHECK_STR(m.id, "GHWAT0002I");
  CHECK_EQ(m.code, 0x47540002u);
  CHECK(m.severity == Severity::Info);
  CHECK_STR(m.text, "3 session(s) of user \"Mary Jones\" terminated.");
  // %zu is one conversion.
  CHECK_STR(make(Msg::ParseQuoting, {"unbalanced quotes", "12"}).text, "unbalanced quotes (at byte 12).");
  // A % in an argument is not a conversion.
  CHECK_STR(make(Msg::UserHasNoSessions, {"100%s"}).text, "User 100%s has no sessions.");
  // Too few / too many arguments: no crash, missing ones render empty.
  CHECK_STR(make(Msg::UserSessionsTerminated, {"3"}).text, "3 session(s) of user  terminated.");
  CHECK_STR(make(Msg::OutOfMemory, {"x", "y"}).text, "Out of memory while performing the task.");
  CHECK_STR(severity_name(Severity::Warning), "warning");
  CHECK_STR(severity_name(Severity::Error), "error");
  CHECK_STR(severity_name(Severity::Info), "info");
}

// ------------------------------------------------------- user session ID string

TEST(user_session_id_string_is_base64_of_name_and_nul_then_id) {
  const std::string usid = "Xk3vQ9aLp2mT7rYw1bNc0A";
  CHECK_STR(user_session_id_string("host1-default", usid), b64(std::string("host1-default") + '\0') + "_" + usid);
  // The grammar reads back every length of name (all base64 padding cases).
  std::string name;
  for (int len = 1; len <= 12; ++len) {
    name += static_cast<char>('a' + len);
    const std::string s = user_session_id_string(name, usid);
    CHECK_STR(s, b64(name + '\0') + "_" + usid);
    ParseResult p = parse("terminate session " + s);
    CHECK(p.ok);
    CHECK(p.command.session_server_name && *p.command.session_server_name == name);
    CHECK(p.command.session_server_nul);
    CHECK_STR(p.command.session_id, usid);
  }
  // A Gatehouse ID may contain '_' and '-': the split is still at the first '_'.
  const std::string odd = "ab_cd-ef_gh-ij_kl-mn_o";
  ParseResult p = parse("terminate session " + user_session_id_string("host1-default", odd));
  CHECK(p.ok && p.command.session_id == odd);
}

TEST(iso8601_and_auth_method_names) {
  CHECK_STR(iso8601_utc(0), "1970-01-01T00:00:00.000Z");
  CHECK_STR(iso8601_utc(kT0), "2023-11-14T22:13:20.000Z");
  CHECK_STR(iso8601_utc(kT0 + 1234), "2023-11-14T22:13:21.234Z");
  CHECK_STR(iso8601_utc(951782400000ull), "2000-02-29T00:00:00.000Z");
  CHECK_STR(auth_method_name(GH_AUTH_FORMS), "forms");
  CHECK_STR(auth_method_name(GH_AUTH_CERTIFICATE), "certificate");
  CHECK_STR(auth_method_name(200), "unknown");
}

// ------------------------------------------------------------ terminate session

TEST(terminate_session_by_bare_id) {
  Table tb;
  Session a = login(tb.t, "dlucas"), b = login(tb.t, "dlucas");
  Response r = run(tb.t, "terminate session " + a.usid);
  EXPECT_TEXT(r, "GHWAT0001I", "Session " + a.usid + " terminated.");
  CHECK(r.results.empty());
  CHECK_EQ(state(tb.t, a), GH_R_TERMINATED);
  CHECK_EQ(state(tb.t, b), GH_VALID);
  // Again: the session has ended; a warning that says why, ok stays true.
  r = run(tb.t, "terminate session " + a.usid);
  EXPECT_MSG(r, "GHWAT0004W");
  CHECK(r.messages[0].text.find("terminated") != std::string::npos);
  // Keywords are case-insensitive; the ID is not.
  r = run(tb.t, "TERMINATE Session " + b.usid);
  EXPECT_MSG(r, "GHWAT0001I");
  CHECK_EQ(state(tb.t, b), GH_R_TERMINATED);
}

TEST(terminate_session_by_whole_string) {
  Table tb;
  Session a = login(tb.t, "dlucas"), b = login(tb.t, "dlucas"), c = login(tb.t, "dlucas");
  // As the reference product encodes it (with the NUL) ...
  Response r = run(tb.t, "terminate session " + b64(std::string(kSessionServer) + '\0') + "_" + a.usid);
  EXPECT_TEXT(r, "GHWAT0001I", "Session " + a.usid + " terminated.");
  CHECK_EQ(state(tb.t, a), GH_R_TERMINATED);
  // ... and without it.
  r = run(tb.t, "terminate session " + b64(kSessionServer) + "_" + b.usid);
  EXPECT_MSG(r, "GHWAT0001I");
  CHECK_EQ(state(tb.t, b), GH_R_TERMINATED);
  // Another server's string: refused, the session lives.
  r = run(tb.t, "terminate session " + user_session_id_string("host2-default", c.usid));
  EXPECT_TEXT(r, "GHWAT0052E",
              "The user session ID string names server host2-default but this server's server-name is "
              "host1-default; send the task to that server.");
  CHECK_EQ(state(tb.t, c), GH_VALID);
  // The names compare exactly (case too).
  r = run(tb.t, "terminate session " + user_session_id_string("HOST1-default", c.usid));
  EXPECT_MSG(r, "GHWAT0052E");
  CHECK_EQ(state(tb.t, c), GH_VALID);
}

TEST(terminate_session_unknown_and_malformed_ids) {
  Table tb;
  Session a = login(tb.t, "dlucas");
  // Well-formed, never issued.
  Response r = run(tb.t, "terminate session AAAAAAAAAAAAAAAAAAAAAA");
  EXPECT_MSG(r, "GHWAT0004W");
  CHECK(r.messages[0].text.find("AAAAAAAAAAAAAAAAAAAAAA") != std::string::npos);
  // The reference product's long IDs parse but are not Gatehouse IDs.
  r = run(tb.t, "terminate session 678");
  EXPECT_TEXT(r, "GHWAT0054E",
              "Bad argument <user_session_id> 678: a Gatehouse user session ID is 22 base64url characters (or "
              "the whole string base64(server-name)_<id>).");
  r = run(tb.t, "terminate session aXrZGAAAAAIAAAAsGNl6aUi1A+QBcgAA:");
  EXPECT_MSG(r, "GHWAT0054E");
  // One character changed: not this session.
  std::string other = a.usid;
  other[5] = other[5] == 'A' ? 'B' : 'A'; // the last character carries padding bits
  r = run(tb.t, "terminate session " + other);
  EXPECT_MSG(r, "GHWAT0004W");
  CHECK_EQ(state(tb.t, a), GH_VALID);
}

// -------------------------------------------------------- terminate all_sessions

TEST(terminate_all_sessions_of_a_quoted_user) {
  Table tb;
  Session m1 = login(tb.t, "Mary Jones"), m2 = login(tb.t, "Mary Jones"), m3 = login(tb.t, "Mary Jones");
  Session mary = login(tb.t, "Mary"), jones = login(tb.t, "Jones");
  Response r = run(tb.t, "terminate all_sessions \"Mary Jones\"");
  EXPECT_TEXT(r, "GHWAT0002I", "3 session(s) of user \"Mary Jones\" terminated.");
  CHECK_EQ(state(tb.t, m1), GH_R_ALL_SESSIONS_TERMINATED);
  CHECK_EQ(state(tb.t, m2), GH_R_ALL_SESSIONS_TERMINATED);
  CHECK_EQ(state(tb.t, m3), GH_R_ALL_SESSIONS_TERMINATED);
  CHECK_EQ(state(tb.t, mary), GH_VALID);
  CHECK_EQ(state(tb.t, jones), GH_VALID);
  // Nothing left: a warning, and ok.
  r = run(tb.t, "terminate all_sessions \"Mary Jones\"");
  EXPECT_TEXT(r, "GHWAT0003W", "User \"Mary Jones\" has no sessions.");
  // Unquoted it is two words: a parse error, and nobody is touched.
  r = run(tb.t, "terminate all_sessions Mary Jones");
  EXPECT_MSG(r, "GHWAT0107E");
  CHECK_EQ(state(tb.t, mary), GH_VALID);
}

TEST(terminate_all_sessions_quotes_backslashes_and_non_ascii) {
  Table tb;
  const std::string quoted = "O\"Brien \\ x";     // O"Brien \ x
  const std::string domain = "DOMAIN\\mary";      // unquoted backslash is literal
  const std::string jose = "Jos\xC3\xA9 M\xC3\xBCller";    // José Müller
  const std::string yamada = "\xE5\xB1\xB1\xE7\x94\xB0";  // 山田
  const std::string emoji = "\xF0\x9F\x98\x80x";          // U+1F600 then x
  const std::string kw = "pattern";
  std::vector<std::pair<std::string, Session>> users;
  for (const auto &u : {quoted, domain, jose, yamada, emoji, kw}) users.emplace_back(u, login(tb.t, u));
  Session bystander = login(tb.t, "bystander");

  Response r = run(tb.t, "terminate all_sessions \"O\\\"Brien \\\\ x\"");
  EXPECT_TEXT(r, "GHWAT0002I", "1 session(s) of user \"O\\\"Brien \\\\ x\" terminated.");
  r = run(tb.t, "terminate all_sessions DOMAIN\\mary");
  EXPECT_TEXT(r, "GHWAT0002I", "1 session(s) of user DOMAIN\\mary terminated.");
  r = run(tb.t, "terminate all_sessions \"" + jose + "\"");
  EXPECT_TEXT(r, "GHWAT0002I", "1 session(s) of user \"" + jose + "\" terminated.");
  r = run(tb.t, "terminate all_sessions " + yamada);
  EXPECT_TEXT(r, "GHWAT0002I", "1 session(s) of user " + yamada + " terminated.");
  // Builders use quote(); whatever it produces executes.
  r = run(tb.t, "terminate all_sessions " + quote(emoji));
  EXPECT_MSG(r, "GHWAT0002I");
  r = run(tb.t, "terminate all_sessions pattern"); // `pattern` is only a keyword after `list sessions`
  EXPECT_TEXT(r, "GHWAT0002I", "1 session(s) of user \"pattern\" terminated.");
  for (auto &u : users) CHECK_EQ(state(tb.t, u.second), GH_R_ALL_SESSIONS_TERMINATED);
  CHECK_EQ(state(tb.t, bystander), GH_VALID);
}

TEST(terminate_all_sessions_is_exact_and_case_sensitive) {
  Table tb;
  Session d = login(tb.t, "dlucas");
  EXPECT_TEXT(run(tb.t, "terminate all_sessions DLUCAS"), "GHWAT0003W", "User DLUCAS has no sessions.");
  EXPECT_MSG(run(tb.t, "terminate all_sessions dluca*"), "GHWAT0003W"); // no wildcard in pdadmin tasks
  EXPECT_MSG(run(tb.t, "terminate all_sessions nobody"), "GHWAT0003W");
  CHECK_EQ(state(tb.t, d), GH_VALID);
  EXPECT_TEXT(run(tb.t, "terminate all_sessions dlucas"), "GHWAT0002I", "1 session(s) of user dlucas terminated.");
}

// ---------------------------------------------------------- refresh, sign out

TEST(refresh_all_sessions_marks_sessions) {
  Table tb;
  Session a = login(tb.t, "test_user"), b = login(tb.t, "test_user"), c = login(tb.t, "other");
  Response r = run(tb.t, "refresh all_sessions test_user");
  EXPECT_TEXT(r, "GHWAT0005I", "2 session(s) of user test_user marked for credential refresh.");
  for (const Session *s : {&a, &b, &c}) {
    gh_session_info info{};
    CHECK_EQ(gh_session_validate(tb.t, s->sid.data(), s->sid.size(), 0, 0, &info), GH_VALID);
    CHECK_EQ(info.refresh_needed, s == &c ? 0 : 1);
  }
  EXPECT_TEXT(run(tb.t, "refresh all_sessions \"no such user\""), "GHWAT0003W",
              "User \"no such user\" has no sessions.");
}

TEST(signout_all_sessions_ends_everyone) {
  Table tb;
  Session a = login(tb.t, "alice"), b = login(tb.t, "bob"), c = login(tb.t, "Mary Jones");
  gh_stats st{};
  CHECK_EQ(gh_table_stats(tb.t, 0, &st), GH_OK);
  Response r = run(tb.t, "signout all_sessions");
  EXPECT_TEXT(r, "GHWAT0006I", "Every active session signed out (new epoch " + std::to_string(st.epoch + 1) + ").");
  for (const Session *s : {&a, &b, &c}) CHECK_EQ(state(tb.t, *s), GH_R_SIGNED_OUT_EVERYWHERE);
  Session d = login(tb.t, "alice");
  CHECK_EQ(state(tb.t, d), GH_VALID);
  EXPECT_TEXT(run(tb.t, "SIGNOUT ALL_SESSIONS"), "GHWAT0006I",
              "Every active session signed out (new epoch " + std::to_string(st.epoch + 2) + ").");
  CHECK_EQ(state(tb.t, d), GH_R_SIGNED_OUT_EVERYWHERE);
  // After a sign-out, users have no sessions left to terminate.
  EXPECT_MSG(run(tb.t, "terminate all_sessions alice"), "GHWAT0003W");
}

// -------------------------------------------------------------------- listing

TEST(list_sessions_of_a_user) {
  Table tb;
  Session a = login(tb.t, "Mary Jones", kT0, GH_AUTH_FORMS, 1);
  Session b = login(tb.t, "Mary Jones", kT0 + 1500, GH_AUTH_CERTIFICATE, 2);
  login(tb.t, "Mary");
  CHECK_EQ(gh_user_refresh_all(tb.t, "Mary Jones", 10, nullptr), GH_OK);
  Response r = run(tb.t, "list sessions \"Mary Jones\"");
  EXPECT_TEXT(r, "GHWAT0007I", "2 session(s) listed.");
  const std::string sn = b64(std::string(kSessionServer) + '\0') + "_";
  std::vector<std::string> want = {
      sn + a.usid +
          " created=2023-11-14T22:13:20.000Z last_access=2023-11-14T22:13:20.000Z auth=forms level=1 refresh=yes "
          "user=\"Mary Jones\"",
      sn + b.usid +
          " created=2023-11-14T22:13:21.500Z last_access=2023-11-14T22:13:21.500Z auth=certificate level=2 "
          "refresh=yes user=\"Mary Jones\""};
  CHECK(sorted(r.results) == sorted(want));
  if (sorted(r.results) != sorted(want)) std::fprintf(stderr, "%s\n", dump(r).c_str());
  // The first field of a line is what `terminate session` takes.
  for (const auto &line : r.results) EXPECT_MSG(run(tb.t, "terminate session " + first_token(line)), "GHWAT0001I");
  CHECK_EQ(state(tb.t, a), GH_R_TERMINATED);
  CHECK_EQ(state(tb.t, b), GH_R_TERMINATED);
  // No sessions (any more, or ever).
  r = run(tb.t, "list sessions \"Mary Jones\"");
  EXPECT_TEXT(r, "GHWAT0003W", "User \"Mary Jones\" has no sessions.");
  CHECK(r.results.empty());
  EXPECT_MSG(run(tb.t, "list sessions nobody"), "GHWAT0003W");
  // A user called `pattern` is listed when quoted.
  login(tb.t, "pattern");
  r = run(tb.t, "list sessions \"pattern\"");
  EXPECT_MSG(r, "GHWAT0007I");
  CHECK(r.results.size() == 1 && ends_with(r.results[0], " user=\"pattern\""));
}

TEST(list_sessions_of_a_user_with_more_than_one_batch) {
  Table tb(512);
  for (int i = 0; i < 150; ++i) login(tb.t, "busy");
  Response r = run(tb.t, "list sessions busy");
  EXPECT_TEXT(r, "GHWAT0007I", "150 session(s) listed.");
  CHECK_EQ(r.results.size(), 150u);
  std::set<std::string> distinct(r.results.begin(), r.results.end());
  CHECK_EQ(distinct.size(), 150u);
}

TEST(list_sessions_pattern_with_maximum_and_total) {
  Table tb;
  for (int i = 1; i <= 5; ++i) login(tb.t, "user0" + std::to_string(i));
  login(tb.t, "admin");
  Response r = run(tb.t, "list sessions pattern user0* 3");
  EXPECT_TEXT(r, "GHWAT0008I", "5 session(s) matched; 3 listed (raise the maximum to list more).");
  CHECK_EQ(r.results.size(), 4u);
  CHECK_STR(r.results.back(), "total=5 listed=3");
  for (std::size_t i = 0; i + 1 < r.results.size(); ++i) CHECK(r.results[i].find(" user=user0") != std::string::npos);
  // Patterns ignore ASCII case; the default maximum is 100.
  r = run(tb.t, "list sessions pattern USER0*");
  EXPECT_TEXT(r, "GHWAT0007I", "5 session(s) listed.");
  CHECK_EQ(r.results.size(), 5u);
  r = run(tb.t, "list sessions pattern *");
  EXPECT_TEXT(r, "GHWAT0007I", "6 session(s) listed.");
  r = run(tb.t, "list sessions pattern * 1");
  EXPECT_MSG(r, "GHWAT0008I");
  CHECK_STR(r.results.back(), "total=6 listed=1");
  // No match.
  r = run(tb.t, "list sessions pattern zz*");
  EXPECT_TEXT(r, "GHWAT0009W", "No sessions match pattern zz*.");
  CHECK(r.results.empty());
  r = run(tb.t, "list sessions pattern \"Mary *\"");
  EXPECT_TEXT(r, "GHWAT0009W", "No sessions match pattern \"Mary *\".");
  // Bad maximum: the grammar's message.
  EXPECT_MSG(run(tb.t, "list sessions pattern * 0"), "GHWAT0103E");
}

// -------------------------------------------------------------------- dscadmin

TEST(dsc_session_terminate_session) {
  Table tb;
  Session a = login(tb.t, "dlucas"), b = login(tb.t, "dlucas"), c = login(tb.t, "dlucas");
  EXPECT_TEXT(run(tb.t, "session terminate session " + a.usid + " default"), "GHWAT0001I",
              "Session " + a.usid + " terminated.");
  CHECK_EQ(state(tb.t, a), GH_R_TERMINATED);
  // Another replica set: refused before the table is touched.
  EXPECT_TEXT(run(tb.t, "session terminate session " + b.usid + " ibm.com"), "GHWAT0053E",
              "Unknown replica set ibm.com; this server's replica set is default.");
  CHECK_EQ(state(tb.t, b), GH_VALID);
  // dscadmin addresses the replica set, so the server named in a whole
  // string does not matter.
  EXPECT_MSG(run(tb.t, "session terminate session " + user_session_id_string("host2-default", b.usid) + " default"),
             "GHWAT0001I");
  CHECK_EQ(state(tb.t, b), GH_R_TERMINATED);
  EXPECT_MSG(run(tb.t, "session terminate session " + b.usid + " default"), "GHWAT0004W");
  EXPECT_MSG(run(tb.t, "session terminate session 678 default"), "GHWAT0054E");
  CHECK_EQ(state(tb.t, c), GH_VALID);
}

TEST(dsc_session_terminate_all_sessions_with_wildcard) {
  Table tb;
  Session m1 = login(tb.t, "sec_master"), m2 = login(tb.t, "sec_master"), mon = login(tb.t, "sec_monitor");
  Session mgr = login(tb.t, "SEC_MANAGER"), other = login(tb.t, "other"), sm = login(tb.t, "xsec_m");
  Response r = run(tb.t, "session terminate all_sessions sec_m* default");
  EXPECT_TEXT(r, "GHWAT0010I", "4 session(s) of 3 user(s) matching sec_m* terminated.");
  std::vector<std::string> want = {"terminated=2 user=sec_master", "terminated=1 user=sec_monitor",
                                   "terminated=1 user=SEC_MANAGER"};
  CHECK(sorted(r.results) == sorted(want));
  for (const Session *s : {&m1, &m2, &mon, &mgr}) CHECK_EQ(state(tb.t, *s), GH_R_ALL_SESSIONS_TERMINATED);
  CHECK_EQ(state(tb.t, other), GH_VALID);
  CHECK_EQ(state(tb.t, sm), GH_VALID);
  // Nothing left to match.
  EXPECT_TEXT(run(tb.t, "session terminate all_sessions sec_m* default"), "GHWAT0009W",
              "No sessions match pattern sec_m*.");
  // Without a wildcard it is one user (ASCII case-insensitive, as dscadmin).
  r = run(tb.t, "session terminate all_sessions OTHER default");
  EXPECT_TEXT(r, "GHWAT0010I", "1 session(s) of 1 user(s) matching OTHER terminated.");
  CHECK_EQ(state(tb.t, other), GH_R_ALL_SESSIONS_TERMINATED);
  // Unknown replica set: nothing happens.
  EXPECT_MSG(run(tb.t, "session terminate all_sessions * ibm.com"), "GHWAT0053E");
  CHECK_EQ(state(tb.t, sm), GH_VALID);
  // Quoted patterns with spaces and non-ASCII.
  Session mj = login(tb.t, "Mary Jones"), jm = login(tb.t, "Jos\xC3\xA9 Mary");
  r = run(tb.t, "session terminate all_sessions \"* Jones\" default");
  EXPECT_TEXT(r, "GHWAT0010I", "1 session(s) of 1 user(s) matching \"* Jones\" terminated.");
  CHECK(r.results == std::vector<std::string>{"terminated=1 user=\"Mary Jones\""});
  CHECK_EQ(state(tb.t, mj), GH_R_ALL_SESSIONS_TERMINATED);
  CHECK_EQ(state(tb.t, jm), GH_VALID);
}

TEST(dsc_terminate_all_sessions_over_many_batches) {
  Table tb(2048);
  std::vector<Session> bulk;
  for (int i = 0; i < 600; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "bulk%04d", i);
    bulk.push_back(login(tb.t, name));
    if (i % 3 == 0) bulk.push_back(login(tb.t, name)); // some users have two
  }
  Session keep = login(tb.t, "keeper");
  Response r = run(tb.t, "session terminate all_sessions bulk* default");
  EXPECT_TEXT(r, "GHWAT0010I", "800 session(s) of 600 user(s) matching bulk* terminated.");
  CHECK_EQ(r.results.size(), 600u);
  for (const Session &s : bulk) CHECK_EQ(state(tb.t, s), GH_R_ALL_SESSIONS_TERMINATED);
  CHECK_EQ(state(tb.t, keep), GH_VALID);
}

TEST(dsc_session_list) {
  Table tb;
  login(tb.t, "Ann Parsons");
  login(tb.t, "Dave Simons");
  login(tb.t, "ONSLOW");
  login(tb.t, "bob");
  Response r = run(tb.t, "session list *ons* 100 default");
  EXPECT_TEXT(r, "GHWAT0007I", "3 session(s) listed.");
  CHECK_EQ(r.results.size(), 3u);
  r = run(tb.t, "session list *ons* 2 default");
  EXPECT_TEXT(r, "GHWAT0008I", "3 session(s) matched; 2 listed (raise the maximum to list more).");
  CHECK_STR(r.results.back(), "total=3 listed=2");
  EXPECT_MSG(run(tb.t, "session list *zz* 5 default"), "GHWAT0009W");
  EXPECT_MSG(run(tb.t, "session list * 5 other"), "GHWAT0053E");
  EXPECT_MSG(run(tb.t, "session list * 5"), "GHWAT0102E");
}

TEST(replica_set_list_and_show) {
  Table tb;
  Response r = run(tb.t, "replica set list");
  EXPECT_TEXT(r, "GHWAT0013I", "1 replica set(s) listed.");
  CHECK(r.results == std::vector<std::string>{"default"});
  r = run(tb.t, "replica set show default");
  EXPECT_TEXT(r, "GHWAT0014I", "Replica set default has 1 replica(s).");
  CHECK(r.results == std::vector<std::string>{kServer});
  EXPECT_TEXT(run(tb.t, "replica set show ibm.com"), "GHWAT0053E",
              "Unknown replica set ibm.com; this server's replica set is default.");
  // A configured replica set name, with a space.
  ExecContext c = context();
  c.replica_set = "east coast";
  r = execute(tb.t, c, "", "replica set show \"east coast\"");
  EXPECT_TEXT(r, "GHWAT0014I", "Replica set \"east coast\" has 1 replica(s).");
  r = execute(tb.t, c, "", "replica set list");
  CHECK(r.results == std::vector<std::string>{"east coast"});
  EXPECT_MSG(execute(tb.t, c, "", "replica set show default"), "GHWAT0053E");
}

// -------------------------------------------------------------- addressing

TEST(task_for_another_server_fails_and_does_nothing) {
  Table tb;
  Session d = login(tb.t, "dlucas");
  Response r = run(tb.t, "terminate all_sessions dlucas", "web2-webseald-host1");
  EXPECT_TEXT(r, "GHWAT0051E", "Task sent to server web2-webseald-host1 but this server is default-webseald-host1.");
  r = run(tb.t, "server task default-webseald-host2 terminate all_sessions dlucas");
  EXPECT_TEXT(r, "GHWAT0051E", "Task sent to server default-webseald-host2 but this server is default-webseald-host1.");
  // Names compare exactly.
  EXPECT_MSG(run(tb.t, "terminate all_sessions dlucas", "DEFAULT-webseald-host1"), "GHWAT0051E");
  // Server argument right, prefix wrong (and the reverse).
  EXPECT_MSG(run(tb.t, "server task web2-webseald-host1 terminate all_sessions dlucas", kServer), "GHWAT0051E");
  EXPECT_MSG(run(tb.t, "server task default-webseald-host1 terminate all_sessions dlucas", "x"), "GHWAT0051E");
  // An unprintable server argument is not echoed.
  r = run(tb.t, "terminate all_sessions dlucas", std::string_view("bad\0name\n", 9));
  EXPECT_TEXT(r, "GHWAT0051E", "Task sent to server (an invalid server name) but this server is default-webseald-host1.");
  // The server check comes first, even for a task that would not parse.
  EXPECT_MSG(run(tb.t, "bogus task", "web2-webseald-host1"), "GHWAT0051E");
  CHECK_EQ(state(tb.t, d), GH_VALID);
  // Addressed to this server, in every way allowed.
  EXPECT_MSG(run(tb.t, "server task default-webseald-host1 list sessions dlucas"), "GHWAT0007I");
  EXPECT_MSG(run(tb.t, "server task default-webseald-host1 list sessions dlucas", kServer), "GHWAT0007I");
  EXPECT_MSG(run(tb.t, "list sessions dlucas", kServer), "GHWAT0007I");
  EXPECT_MSG(run(tb.t, "Server Task default-webseald-host1 terminate all_sessions dlucas"), "GHWAT0002I");
  CHECK_EQ(state(tb.t, d), GH_R_ALL_SESSIONS_TERMINATED);
}

TEST(bad_identity_and_missing_table) {
  Table tb;
  Session d = login(tb.t, "dlucas");
  ExecContext c = context();
  c.server_name = "";
  EXPECT_MSG(execute(tb.t, c, "", "terminate all_sessions dlucas"), "GHWAT0057E");
  c = context();
  c.session_server_name = "host 1";
  EXPECT_MSG(execute(tb.t, c, "", "terminate all_sessions dlucas"), "GHWAT0057E");
  c = context();
  c.replica_set = "";
  EXPECT_MSG(execute(tb.t, c, "", "terminate all_sessions dlucas"), "GHWAT0057E");
  c.replica_set = std::string("a\0b", 3);
  EXPECT_MSG(execute(tb.t, c, "", "terminate all_sessions dlucas"), "GHWAT0057E");
  CHECK_EQ(state(tb.t, d), GH_VALID);
  EXPECT_TEXT(execute(nullptr, context(), "", "help"), "GHWAT0054E", "Bad argument table: no session table is open.");
}

// ------------------------------------------------------------------- parsing

TEST(every_parse_error_comes_back_as_its_catalogue_message) {
  Table tb;
  struct Case { std::string task; const char *id; };
  const std::vector<Case> cases = {
      {"bogus", "GHWAT0101E"},
      {"", "GHWAT0102E"},
      {"terminate all_sessions", "GHWAT0102E"},
      {"terminate all_sessions \"\"", "GHWAT0103E"},
      {"terminate all_sessions \"Mary", "GHWAT0104E"},
      {"terminate all_sessions \"a\\x\"", "GHWAT0104E"},
      {"terminate all_sessions a\x01", "GHWAT0105E"},
      {"terminate all_sessions \xC3(", "GHWAT0105E"},
      {std::string("terminate all_sessions a\0b", 26), "GHWAT0105E"},
      {"terminate all_sessions " + std::string(70000, 'a'), "GHWAT0106E"},
      {"terminate all_sessions Mary Jones", "GHWAT0107E"},
  };
  for (const Case &k : cases) {
    Response r = run(tb.t, k.task);
    if (!EXPECT_MSG(r, k.id)) std::fprintf(stderr, "    task: %s\n", show(k.task).c_str());
    else CHECK(r.messages[0].text.find(" (at byte ") != std::string::npos);
  }
  EXPECT_TEXT(run(tb.t, "bogus"), "GHWAT0101E", "unknown task `bogus`; `help` lists the tasks (at byte 0).");
  EXPECT_TEXT(run(tb.t, "terminate all_sessions Mary Jones"), "GHWAT0107E",
              "unexpected argument `Jones`; syntax: terminate all_sessions <user_id> (quote arguments that contain "
              "spaces) (at byte 28).");
}

// ---------------------------------------------------------------------- help

TEST(help_lists_tasks_and_describes_them) {
  Table tb;
  Response r = run(tb.t, "help");
  EXPECT_TEXT(r, "GHWAT0011I", "12 tasks; `help <task>` describes one.");
  CHECK(r.results == task_list());
  r = run(tb.t, "help terminate");
  EXPECT_TEXT(r, "GHWAT0012I", "2 task(s) match `help terminate`.");
  CHECK_EQ(r.results.size(), 12u);
  CHECK_STR(r.results[0], "Command:");
  CHECK_STR(r.results[1], "terminate session <user_session_id>");
  CHECK_STR(r.results[2], "Description:");
  CHECK_STR(r.results[4], "Example:");
  CHECK_STR(r.results[7], "terminate all_sessions <user_id>");
  r = run(tb.t, "help terminate all_sessions");
  EXPECT_MSG(r, "GHWAT0012I");
  CHECK_EQ(r.results.size(), 6u);
  // Each example is a task that parses.
  for (const std::string &line : task_list()) {
    Response h = run(tb.t, "help " + line.substr(0, line.find(" <")).substr(0, line.find(" [")));
    for (std::size_t i = 0; i + 1 < h.results.size(); ++i)
      if (h.results[i] == "Example:") CHECK(parse(h.results[i + 1]).ok);
  }
  r = run(tb.t, "HELP Terminate_All_Sessions"); // kind name
  EXPECT_TEXT(r, "GHWAT0012I", "1 task(s) match `help Terminate_All_Sessions`.");
  r = run(tb.t, "help session");
  EXPECT_TEXT(r, "GHWAT0012I", "3 task(s) match `help session`.");
  r = run(tb.t, "help replica set");
  EXPECT_TEXT(r, "GHWAT0012I", "2 task(s) match `help replica set`.");
  r = run(tb.t, "help signout");
  EXPECT_MSG(r, "GHWAT0012I");
  CHECK(r.results.size() == 6 && r.results[3].find("extension") != std::string::npos);
  EXPECT_TEXT(run(tb.t, "help bogus"), "GHWAT0055E", "No task matches `help bogus`; `help` lists the tasks.");
  EXPECT_MSG(run(tb.t, "help terminate session extra"), "GHWAT0055E");
}

TEST(task_list_has_one_syntax_line_per_task) {
  const std::vector<std::string> l = task_list();
  CHECK_EQ(l.size(), 12u);
  const std::vector<std::string> want = {
      "terminate session <user_session_id>",
      "terminate all_sessions <user_id>",
      "refresh all_sessions <user_id>",
      "help [<task>]",
      "signout all_sessions",
      "list sessions <user_id>",
      "list sessions pattern <pattern> [<maximum_return>]",
      "session terminate session <user_session_id> <replica_set>",
      "session terminate all_sessions <user_pattern> <replica_set>",
      "session list <pattern> <maximum_return> <replica_set>",
      "replica set list",
      "replica set show <replica_set>",
  };
  CHECK(l == want);
}

// --------------------------------------------------------- memory exhaustion

// Fails the 1st, 2nd, ... allocation of execute() until it completes: every
// time it must return (no exception escapes noexcept), either the normal
// response or GHWAT0058E (or, when even that message cannot be built, an
// empty failure).
TEST(out_of_memory_at_every_allocation) {
  Table tb(512);
  const std::vector<std::string> tasks = {
      "terminate all_sessions \"Mary Jones\"", "list sessions pattern * 5", "session terminate all_sessions u* default",
      "help terminate", "list sessions \"Mary Jones\"", "terminate session AAAAAAAAAAAAAAAAAAAAAA", "bogus"};
  bool saw_oom = false;
  for (const std::string &task : tasks) {
    for (long n = 1;; ++n) {
      for (int i = 0; i < 3; ++i) login(tb.t, "Mary Jones");
      for (int i = 0; i < 3; ++i) login(tb.t, "u" + std::to_string(i));
      const ExecContext ctx = context(); // built before the countdown starts
      g_allocs = 0;
      g_fail_at = n;
      Response r = execute(tb.t, ctx, "", task);
      const bool injected = g_allocs >= n;
      g_fail_at = 0;
      if (!injected) break; // the task completed without reaching allocation n
      // An allocation failed: the response says so and is not ok. (parse()
      // reports its own out-of-memory as GHWAT0106E, see grammar.cpp.)
      CHECK(!r.ok);
      CHECK(r.messages.size() <= 1);
      if (r.messages.size() == 1) {
        CHECK(r.messages[0].severity == Severity::Error);
        CHECK(r.results.empty());
        if (r.messages[0].id == "GHWAT0058E") {
          saw_oom = true;
          CHECK_STR(r.messages[0].text, "Out of memory while performing the task.");
        }
      }
      if (n > 100000) { CHECK(false); break; }
    }
  }
  CHECK(saw_oom);
}

// ---------------------------------------------------------------- concurrency

// Tasks from several threads against logins and validations in others: no
// crash, no sanitizer report, and every response well-formed.
TEST(concurrent_tasks) {
  Table tb(1024);
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> th;
  for (int w = 0; w < 2; ++w)
    th.emplace_back([&, w] {
      for (int i = 0; !stop.load(); ++i) {
        gh_session_spec s{};
        const std::string u = "user" + std::to_string((i + w) % 7);
        s.login = u.data();
        s.login_len = u.size();
        gh_session_info info{};
        if (gh_session_create(tb.t, &s, &info) != GH_OK) bad++;
      }
    });
  const char *tasks[] = {"terminate all_sessions user1", "list sessions pattern user* 50", "refresh all_sessions user2",
                         "session terminate all_sessions user3* default", "list sessions user4",
                         "session list *5 10 default", "signout all_sessions", "help"};
  for (int w = 0; w < 3; ++w)
    th.emplace_back([&, w] {
      for (int i = 0; i < 60; ++i) {
        Response r = run(tb.t, tasks[(i + w) % 8]);
        if (!r.ok || r.messages.size() != 1) bad++;
        for (const auto &line : r.results)
          if (line.empty()) bad++;
      }
    });
  for (std::size_t i = 2; i < th.size(); ++i) th[i].join();
  stop = true;
  th[0].join();
  th[1].join();
  CHECK_EQ(bad.load(), 0);
  CHECK_EQ(gh_reap(tb.t, 0, 1u << 20, nullptr), GH_OK);
  CHECK_EQ(gh_table_check(tb.t, 0), GH_OK);
}

// ---------------------------------------------------------------------- C API

TEST(c_api_argument_checks_and_accessors) {
  Table tb;
  gh_server_identity id{kServer, kSessionServer, nullptr};
  gh_task_response *r = reinterpret_cast<gh_task_response *>(&id); // must be overwritten with NULL
  CHECK_EQ(gh_performtask(nullptr, &id, nullptr, "help", 4, &r), GH_E_INVALID_ARGUMENT);
  CHECK(r == nullptr);
  CHECK_EQ(gh_performtask(tb.t, nullptr, nullptr, "help", 4, &r), GH_E_INVALID_ARGUMENT);
  gh_server_identity half{kServer, nullptr, nullptr};
  CHECK_EQ(gh_performtask(tb.t, &half, nullptr, "help", 4, &r), GH_E_INVALID_ARGUMENT);
  CHECK(std::string(gh_last_error()).find("session_server_name") != std::string::npos);
  CHECK_EQ(gh_performtask(tb.t, &id, nullptr, nullptr, 4, &r), GH_E_INVALID_ARGUMENT);
  CHECK_EQ(gh_performtask(tb.t, &id, nullptr, "help", 4, nullptr), GH_E_INVALID_ARGUMENT);
  // NULL task with length 0 is the empty task: a response with a parse error.
  CHECK_EQ(gh_performtask(tb.t, &id, nullptr, nullptr, 0, &r), GH_OK);
  CHECK(r != nullptr);
  CHECK_EQ(gh_task_response_ok(r), 0);
  CHECK_STR(gh_task_response_message_id(r, 0), "GHWAT0102E");
  CHECK_EQ(gh_task_response_message_severity(r, 0), GH_TASK_ERROR);
  CHECK_EQ(gh_task_response_message_code(r, 0), 0x47540102u);
  gh_task_response_free(r);
  // The task need not be NUL-terminated; the replica set defaults to "default".
  const char buf[] = "replica set listXXXX";
  CHECK_EQ(gh_performtask(tb.t, &id, "", buf, 16, &r), GH_OK);
  CHECK_EQ(gh_task_response_ok(r), 1);
  CHECK_EQ(gh_task_response_result_count(r), 1u);
  CHECK_STR(gh_task_response_result(r, 0), "default");
  CHECK(gh_task_response_result(r, 1) == nullptr);
  CHECK_EQ(gh_task_response_message_count(r), 1u);
  CHECK_EQ(gh_task_response_message_severity(r, 0), GH_TASK_INFO);
  CHECK(gh_task_response_message_id(r, 1) == nullptr);
  CHECK(gh_task_response_message_text(r, 1) == nullptr);
  CHECK_EQ(gh_task_response_message_code(r, 1), 0u);
  CHECK_EQ(gh_task_response_message_severity(r, 1), -1);
  gh_task_response_free(r);
  // A configured replica set and a server mismatch through the C API.
  gh_server_identity east{kServer, kSessionServer, "east"};
  CHECK_EQ(gh_performtask(tb.t, &east, "web2-webseald-host1", "replica set list", 16, &r), GH_OK);
  CHECK_STR(gh_task_response_message_id(r, 0), "GHWAT0051E");
  gh_task_response_free(r);
  CHECK_EQ(gh_performtask(tb.t, &east, kServer, "replica set list", 16, &r), GH_OK);
  CHECK_STR(gh_task_response_result(r, 0), "east");
  gh_task_response_free(r);
  // NULL-safe accessors.
  CHECK_EQ(gh_task_response_ok(nullptr), 0);
  CHECK_EQ(gh_task_response_result_count(nullptr), 0u);
  CHECK_EQ(gh_task_response_message_count(nullptr), 0u);
  CHECK(gh_task_response_result(nullptr, 0) == nullptr);
  gh_task_response_free(nullptr);
}

TEST(c_api_task_list) {
  char **tasks = nullptr;
  std::size_t n = 0;
  CHECK_EQ(gh_gettasklist(&tasks, &n), GH_OK);
  const std::vector<std::string> want = task_list();
  CHECK_EQ(n, want.size());
  for (std::size_t i = 0; i < n && i < want.size(); ++i) CHECK_STR(tasks[i], want[i]);
  gh_tasklist_free(tasks, n);
  gh_tasklist_free(nullptr, 3);
  CHECK_EQ(gh_gettasklist(nullptr, &n), GH_E_INVALID_ARGUMENT);
  CHECK_EQ(n, 0u);
  CHECK_EQ(gh_gettasklist(&tasks, nullptr), GH_E_INVALID_ARGUMENT);
  CHECK(tasks == nullptr);
}

int main(int argc, char **argv) { return run_all("task_exec_test", argc, argv); }
