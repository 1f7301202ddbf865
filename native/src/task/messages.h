// messages.h -- the one catalogue of messages the task engine returns.
//
// Every message has
//   - a stable ID in the reference product's shape: `GHWAT` (Gatehouse,
//     WebSEAL-compatible Administration, Tasks), four decimal digits, and the
//     severity letter I, W or E (e.g. GHWAT0003W);
//   - a 32-bit status code: 0x4754nnnn, where 0x4754 is "GT" (Gatehouse
//     Tasks) and nnnn are the message number's four digits read as hex
//     (GHWAT0101E -> 0x47540101), so a code reads back as its ID and no code
//     collides with the reference product's ranges (0x3898f0xx, 0x38c58xxx);
//   - a severity (info, warning, error, numbered as IVADMIN_RESPONSE_*);
//   - a printf-style text using only %s, %u and %zu.
//
// Numbers: 0001-0049 results (info, warning), 0051-0099 execution errors,
// 0101-0107 parse errors (the IDs grammar.cpp's message_id() emits; the
// grammar's detail text is the first argument). docs/tasks.md lists them.
// IDs and codes never change meaning once released; retired numbers are not
// reused.
#pragma once
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "grammar.h"

namespace gh::task {

enum class Severity : int { Info = 0, Warning = 1, Error = 2 }; // as IVADMIN_RESPONSE_*

enum class Msg {
  // results
  SessionTerminated,        // GHWAT0001I
  UserSessionsTerminated,   // GHWAT0002I
  UserHasNoSessions,        // GHWAT0003W
  SessionNotFound,          // GHWAT0004W
  SessionsMarkedForRefresh, // GHWAT0005I
  EveryoneSignedOut,        // GHWAT0006I
  SessionsListed,           // GHWAT0007I
  ListTruncated,            // GHWAT0008I
  NoSessionsMatch,          // GHWAT0009W
  MatchingUsersTerminated,  // GHWAT0010I
  HelpTaskList,             // GHWAT0011I
  HelpTopic,                // GHWAT0012I
  ReplicaSetsListed,        // GHWAT0013I
  ReplicaSetShown,          // GHWAT0014I
  // execution errors
  ServerMismatch,           // GHWAT0051E
  SessionServerMismatch,    // GHWAT0052E
  UnknownReplicaSet,        // GHWAT0053E
  BadArgument,              // GHWAT0054E
  UnknownHelpTopic,         // GHWAT0055E
  TableError,               // GHWAT0056E
  BadIdentity,              // GHWAT0057E
  OutOfMemory,              // GHWAT0058E
  InternalError,            // GHWAT0059E
  // parse errors (grammar.h ErrorCode, same order)
  ParseUnknownTask,         // GHWAT0101E
  ParseMissingArgument,     // GHWAT0102E
  ParseBadArgument,         // GHWAT0103E
  ParseQuoting,             // GHWAT0104E
  ParseEncoding,            // GHWAT0105E
  ParseTooLong,             // GHWAT0106E
  ParseExtraArgument,       // GHWAT0107E
};

struct MessageDef {
  Msg msg;
  const char *id;      // "GHWAT0003W" (NUL-terminated, static)
  std::uint32_t code;  // 0x47540003
  Severity severity;
  const char *format;  // printf-style: %s, %u, %zu, %%
  unsigned nargs;      // conversions in `format`
  const char *meaning; // when it is returned (documentation, errtext)
};

// A message as a response carries it.
struct Message {
  std::string id;
  std::uint32_t code = 0;
  Severity severity = Severity::Info;
  std::string text;
};

// The whole catalogue, in number order.
const MessageDef *catalogue(std::size_t *count) noexcept;
const MessageDef &def(Msg m) noexcept;
// nullptr when no message has this ID.
const MessageDef *find_message(std::string_view id) noexcept;
// The catalogue entry of a parse error (same ID as message_id(c)).
Msg from_grammar(ErrorCode c) noexcept;

// Renders `m` with `args` substituted in order for its conversions (each
// %s / %u / %zu takes the next argument as already-formatted text; missing
// arguments render empty). Never reads a va_list, so a wrong argument count
// cannot be undefined behaviour. May throw std::bad_alloc.
Message make(Msg m, std::initializer_list<std::string_view> args = {});
// The same with arguments known only at run time (the addon's formatMessage).
Message make(Msg m, const std::vector<std::string> &args);

std::string_view severity_name(Severity s) noexcept; // "info", "warning", "error"

} // namespace gh::task
