// grammar.h -- the grammar of Gatehouse task strings (gh::task).
//
// A task string is what follows `server task <server-name>` in a pdadmin
// command, what an EAI response carries in `am-eai-server-task`, or what a
// dscadmin prompt takes. parse() turns one into a Command, or into an Error
// carrying a message ID; format() turns a Command back into the canonical
// string, and parse(format(c)) == c for every Command that parse() returned.
// This file parses only: executing a Command is the task engine's business.
//
// Tasks (keywords are case-insensitive, tokens are separated by any run of
// spaces and tabs, leading and trailing spaces and tabs are ignored):
//
//   pdadmin server tasks (the reference product's syntax)
//     terminate session <user_session_id>
//     terminate all_sessions <user_id>
//     refresh all_sessions <user_id>
//     help [<task words>...]
//   Gatehouse extensions
//     signout all_sessions                        sign out every active session
//     list sessions <user_id>                     list one user's sessions
//     list sessions pattern <pattern> [<max>]     list by login pattern
//   dscadmin commands
//     session terminate session <user_session_id> <replica_set>
//     session terminate all_sessions <user_pattern> <replica_set>
//     session list <pattern> <max> <replica_set>
//     replica set list
//     replica set show <replica_set>
//
// Any of them may be preceded by `server task <server-name>`; the name is
// then returned in Command::server_name.
//
// Tokens and quoting
//   - An unquoted token runs to the next space or tab. It may contain any
//     UTF-8 (backslashes are literal: DOMAIN\mary) but no double quote.
//   - A token that starts with `"` is quoted and ends at the next unescaped
//     `"`, which must be followed by whitespace or the end of the input.
//     Inside the quotes `\"` is a double quote and `\\` is a backslash; a
//     backslash before any other character is an error (GHWAT0104E), as is a
//     missing closing quote. Quotes may enclose spaces ("Mary Jones") and
//     the empty string, which every argument then rejects.
//   - A quoted token is never a keyword: `list sessions "pattern"` lists the
//     sessions of the user called pattern, while `list sessions pattern ...`
//     is the pattern form.
//   - The whole input must be valid UTF-8 (no overlong forms, surrogates or
//     code points above U+10FFFF) and contain no NUL, no control character
//     (U+0000-U+001F except tab, U+007F, U+0080-U+009F) and no tab inside
//     quotes.
//
// Arguments
//   user_id, pattern, replica_set, help words: 1..256 bytes of UTF-8 (the
//     table's GH_LOGIN_MAX). In patterns `*` matches any run of characters;
//     there is no escape for a literal `*`.
//   user_session_id: 1..1024 printable ASCII characters other than `"` and
//     `\`. Either the bare ID or the reference product's whole user session
//     ID string `base64(server-name)_<id>`. The token is split at its first
//     underscore when the part before it is canonical standard base64 (with
//     `=` padding) of a valid server name, optionally followed by one NUL
//     byte (the reference product encodes it), and the part after it is not
//     empty. Then Command::session_id is the part after the underscore and
//     Command::session_server_name the decoded name. Exception: a token of
//     exactly 22 base64url characters (GH_USER_SESSION_ID_LEN, a Gatehouse
//     user session ID, which may itself contain `_`) is never split.
//   server-name: 1..256 characters of [A-Za-z0-9._-], e.g.
//     default-webseald-proxy1.example.com.
//   max: decimal digits, 1..100000; `list sessions pattern` defaults to 100.
//
// Limits: at most 65536 bytes of input and 256 tokens (GHWAT0106E).
// parse() never throws, never recurses, and runs in time linear in the input.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gh::task {

inline constexpr std::size_t kMaxInputBytes = 65536;
inline constexpr std::size_t kMaxTokens = 256;
inline constexpr std::size_t kMaxTextBytes = 256;       // user_id, pattern, ...
inline constexpr std::size_t kMaxSessionIdBytes = 1024; // whole token
inline constexpr std::size_t kMaxServerNameBytes = 256;
inline constexpr std::uint32_t kDefaultMax = 100;
inline constexpr std::uint32_t kMaxMax = 100000;

enum class Kind {
  TerminateSession,        // terminate session <user_session_id>
  TerminateAllSessions,    // terminate all_sessions <user_id>
  RefreshAllSessions,      // refresh all_sessions <user_id>
  Help,                    // help [<words>...]
  SignoutAllSessions,      // signout all_sessions            (extension)
  ListSessions,            // list sessions <user_id>         (extension)
  ListSessionsPattern,     // list sessions pattern <p> [<m>] (extension)
  DscTerminateSession,     // session terminate session <id> <replica_set>
  DscTerminateAllSessions, // session terminate all_sessions <pattern> <replica_set>
  DscSessionList,          // session list <pattern> <max> <replica_set>
  ReplicaSetList,          // replica set list
  ReplicaSetShow,          // replica set show <replica_set>
};

// Fields not used by a kind are empty / 0 / nullopt.
struct Command {
  Kind kind = Kind::Help;
  // From a leading `server task <server-name>`; nullopt without one.
  std::optional<std::string> server_name;
  // TerminateSession, DscTerminateSession: the ID the table acts on (the part
  // after the first underscore of a whole user session ID string).
  std::string session_id;
  // The server name decoded from a whole user session ID string; nullopt
  // when a bare ID was given. session_server_nul records whether the encoded
  // name carried the trailing NUL byte, so format() reproduces the string.
  std::optional<std::string> session_server_name;
  bool session_server_nul = false;
  std::string user_id;     // TerminateAllSessions, RefreshAllSessions, ListSessions
  std::string pattern;     // ListSessionsPattern, DscTerminateAllSessions, DscSessionList
  std::uint32_t max = 0;   // ListSessionsPattern, DscSessionList
  std::string replica_set; // Dsc*, ReplicaSetShow
  std::vector<std::string> help_topic; // Help: the words after `help`

  bool operator==(const Command &o) const;
  bool operator!=(const Command &o) const { return !(*this == o); }
};

// Message IDs of parse errors. Every error is one of these.
enum class ErrorCode {
  UnknownTask,     // GHWAT0101E the words name no task
  MissingArgument, // GHWAT0102E the task or an argument is missing
  BadArgument,     // GHWAT0103E an argument is malformed, empty, too long or out of range
  Quoting,         // GHWAT0104E unbalanced quotes, a misplaced quote or a bad escape
  Encoding,        // GHWAT0105E invalid UTF-8, a NUL byte or a control character
  TooLong,         // GHWAT0106E input over 65536 bytes or over 256 tokens
  ExtraArgument,   // GHWAT0107E words after the end of a complete task
};

struct Error {
  ErrorCode code = ErrorCode::UnknownTask;
  std::string_view message_id; // e.g. "GHWAT0104E" (static storage)
  std::string text;            // one line of English, no message ID; quotes
                               // at most 64 bytes of (validated) input
  std::size_t offset = 0;      // byte offset in the input where it was found
};

struct ParseResult {
  bool ok = false;
  Command command; // meaningful when ok
  Error error;     // meaningful when !ok
  explicit operator bool() const { return ok; }
};

// Parses a task string, with or without the `server task <name>` prefix.
ParseResult parse(std::string_view input) noexcept;

// The canonical string of a Command: lower-case keywords, single spaces, the
// prefix `server task <name> ` when server_name is set, max always written,
// arguments quoted by quote() rules only where needed. Precondition: the
// fields are valid for the grammar (as every parsed Command's are); for other
// Commands the result may not parse back. A hand-built session command whose
// whole user session ID string would be exactly 22 base64url characters
// reads back as a bare ID.
std::string format(const Command &cmd);

// The canonical token for a user ID: unchanged when it can stand unquoted,
// otherwise wrapped in double quotes with `"` and `\` escaped. Quotes are
// needed for the empty string, for IDs containing a space, tab or `"`, and
// for IDs equal (ignoring ASCII case) to the keyword `pattern`. quote()
// does not validate; an invalid ID (see valid_text) will not parse.
std::string quote(std::string_view user_id);

// Standard base64 with `=` padding: the encoding of the server name in a
// whole user session ID string (parse() decodes it).
std::string base64_encode(std::string_view bytes);

// Argument validity, as parse() applies it.
bool valid_text(std::string_view s);        // user_id / pattern / replica_set / help word
bool valid_server_name(std::string_view s); // [A-Za-z0-9._-]{1,256}

// Name of a kind ("terminate_session", ...) and its syntax line
// ("terminate session <user_session_id>").
std::string_view kind_name(Kind k);
std::string_view syntax(Kind k);
// "GHWAT0101E" ... "GHWAT0107E".
std::string_view message_id(ErrorCode c);

} // namespace gh::task
