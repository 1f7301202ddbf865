// messages.cpp -- the catalogue (see messages.h for the ID and code scheme)
// and the renderer. docs/tasks.md reproduces this table; task_exec_test
// checks that the IDs, codes and severities stay consistent with each other
// and with grammar.cpp's message_id().
#include "messages.h"

#include <iterator>

namespace gh::task {

namespace {

constexpr std::uint32_t kCodeBase = 0x47540000u; // "GT": Gatehouse Tasks

#define GH_MSG(sym, num, letter, sev, nargs, fmt, meaning)                                                          \
  MessageDef { Msg::sym, "GHWAT" #num #letter, kCodeBase + 0x##num, Severity::sev, fmt, nargs, meaning }

// The code is pasted from the ID's digits (0x##num), so it cannot drift from
// the ID: GHWAT0101E is 0x47540101.
const MessageDef kCatalogue[] = {
    GH_MSG(SessionTerminated, 0001, I, Info, 1, "Session %s terminated.",
           "terminate session: the session ended; it will not validate again."),
    GH_MSG(UserSessionsTerminated, 0002, I, Info, 2, "%u session(s) of user %s terminated.",
           "terminate all_sessions: every session the user held ended."),
    GH_MSG(UserHasNoSessions, 0003, W, Warning, 1, "User %s has no sessions.",
           "terminate/refresh all_sessions, list sessions: the login ID holds no live session (it may never "
           "have logged in; login IDs are case-sensitive)."),
    GH_MSG(SessionNotFound, 0004, W, Warning, 2, "Session %s not found: %s.",
           "terminate session: no live session has this user session ID (it ended already, or was never "
           "issued by this table). The second part says which."),
    GH_MSG(SessionsMarkedForRefresh, 0005, I, Info, 2, "%u session(s) of user %s marked for credential refresh.",
           "refresh all_sessions: each session reloads its credential on its next request."),
    GH_MSG(EveryoneSignedOut, 0006, I, Info, 1, "Every active session signed out (new epoch %u).",
           "signout all_sessions: every session of every user ended at once."),
    GH_MSG(SessionsListed, 0007, I, Info, 1, "%u session(s) listed.",
           "list sessions, session list: the result lines are every matching session."),
    GH_MSG(ListTruncated, 0008, I, Info, 2, "%u session(s) matched; %u listed (raise the maximum to list more).",
           "list sessions, session list: more sessions matched than were listed; the last result line says how "
           "many."),
    GH_MSG(NoSessionsMatch, 0009, W, Warning, 1, "No sessions match pattern %s.",
           "list sessions pattern, session list, session terminate all_sessions: no live session's login ID "
           "matches."),
    GH_MSG(MatchingUsersTerminated, 0010, I, Info, 3, "%u session(s) of %u user(s) matching %s terminated.",
           "session terminate all_sessions: every session of every matching user ended; one result line per "
           "user."),
    GH_MSG(HelpTaskList, 0011, I, Info, 1, "%u tasks; `help <task>` describes one.",
           "help: the result lines are the task list."),
    GH_MSG(HelpTopic, 0012, I, Info, 2, "%u task(s) match `help %s`.",
           "help <task>: the result lines describe the matching tasks."),
    GH_MSG(ReplicaSetsListed, 0013, I, Info, 1, "%u replica set(s) listed.",
           "replica set list: one result line per replica set."),
    GH_MSG(ReplicaSetShown, 0014, I, Info, 2, "Replica set %s has %u replica(s).",
           "replica set show: one result line per replica (server) in the set."),

    GH_MSG(ServerMismatch, 0051, E, Error, 2, "Task sent to server %s but this server is %s.",
           "The `server task <name>` prefix or the server argument names another server; nothing was done."),
    GH_MSG(SessionServerMismatch, 0052, E, Error, 2,
           "The user session ID string names server %s but this server's server-name is %s; send the task to "
           "that server.",
           "terminate session with a whole user session ID string issued by another server; nothing was done."),
    GH_MSG(UnknownReplicaSet, 0053, E, Error, 2, "Unknown replica set %s; this server's replica set is %s.",
           "A dscadmin command names a replica set this server does not belong to; nothing was done."),
    GH_MSG(BadArgument, 0054, E, Error, 2, "Bad argument %s: %s.",
           "The task parsed, but the session table cannot accept an argument (e.g. a user session ID that "
           "is not 22 base64url characters); nothing was done."),
    GH_MSG(UnknownHelpTopic, 0055, E, Error, 1, "No task matches `help %s`; `help` lists the tasks.",
           "help <task> names no task."),
    GH_MSG(TableError, 0056, E, Error, 2, "The session table failed the task: %s (%s).",
           "The table returned an unexpected status (its gh_status name and message follow)."),
    GH_MSG(BadIdentity, 0057, E, Error, 1, "This server's identity is not configured correctly: %s.",
           "The caller passed an invalid server name, [server] server-name or replica-set name; nothing was "
           "done."),
    GH_MSG(OutOfMemory, 0058, E, Error, 0, "Out of memory while performing the task.",
           "Memory ran out; the task may have been partly done (each table call is atomic on its own)."),
    GH_MSG(InternalError, 0059, E, Error, 1, "Internal error while performing the task: %s.",
           "A defect in Gatehouse; please report it with the task string."),

    GH_MSG(ParseUnknownTask, 0101, E, Error, 2, "%s (at byte %zu).", "Parse error: the words name no task."),
    GH_MSG(ParseMissingArgument, 0102, E, Error, 2, "%s (at byte %zu).",
           "Parse error: the task is empty or incomplete, or an argument is missing."),
    GH_MSG(ParseBadArgument, 0103, E, Error, 2, "%s (at byte %zu).",
           "Parse error: an argument is malformed, empty, too long or out of range."),
    GH_MSG(ParseQuoting, 0104, E, Error, 2, "%s (at byte %zu).",
           "Parse error: unbalanced quotes, a misplaced quote or a bad escape."),
    GH_MSG(ParseEncoding, 0105, E, Error, 2, "%s (at byte %zu).",
           "Parse error: invalid UTF-8 (including an unpaired UTF-16 surrogate in a JavaScript task string), a NUL "
           "byte, a control character, or a tab inside quotes."),
    GH_MSG(ParseTooLong, 0106, E, Error, 2, "%s (at byte %zu).",
           "Parse error: the task is over 65536 bytes or 256 tokens."),
    GH_MSG(ParseExtraArgument, 0107, E, Error, 2, "%s (at byte %zu).",
           "Parse error: words follow a complete task (quote arguments that contain spaces)."),
};

#undef GH_MSG

constexpr std::size_t kCount = std::size(kCatalogue);
static_assert(kCount == static_cast<std::size_t>(Msg::ParseExtraArgument) + 1, "one entry per Msg, in enum order");

} // namespace

const MessageDef *catalogue(std::size_t *count) noexcept {
  if (count) *count = kCount;
  return kCatalogue;
}

const MessageDef &def(Msg m) noexcept {
  // The table is in enum order (task_exec_test checks it), so index directly.
  return kCatalogue[static_cast<std::size_t>(m)];
}

const MessageDef *find_message(std::string_view id) noexcept {
  for (const MessageDef &d : kCatalogue)
    if (id == d.id) return &d;
  return nullptr;
}

Msg from_grammar(ErrorCode c) noexcept {
  switch (c) {
  case ErrorCode::UnknownTask: return Msg::ParseUnknownTask;
  case ErrorCode::MissingArgument: return Msg::ParseMissingArgument;
  case ErrorCode::BadArgument: return Msg::ParseBadArgument;
  case ErrorCode::Quoting: return Msg::ParseQuoting;
  case ErrorCode::Encoding: return Msg::ParseEncoding;
  case ErrorCode::TooLong: return Msg::ParseTooLong;
  case ErrorCode::ExtraArgument: return Msg::ParseExtraArgument;
  }
  return Msg::ParseUnknownTask;
}

namespace {
template <typename It>
Message render(Msg m, It next, It end) {
  const MessageDef &d = def(m);
  Message out;
  out.id = d.id;
  out.code = d.code;
  out.severity = d.severity;
  for (const char *p = d.format; *p; ++p) {
    if (*p != '%') {
      out.text += *p;
      continue;
    }
    if (p[1] == '%') {
      out.text += '%';
      ++p;
      continue;
    }
    // A conversion: %s, %u or %zu. Skip its letters; substitute the argument.
    if (p[1] == 'z' && p[2] == 'u') p += 2;
    else if (p[1] == 's' || p[1] == 'u') p += 1;
    if (next != end) out.text += *next++;
  }
  return out;
}
}  // namespace

Message make(Msg m, std::initializer_list<std::string_view> args) { return render(m, args.begin(), args.end()); }

Message make(Msg m, const std::vector<std::string> &args) { return render(m, args.begin(), args.end()); }

std::string_view severity_name(Severity s) noexcept {
  switch (s) {
  case Severity::Info: return "info";
  case Severity::Warning: return "warning";
  case Severity::Error: return "error";
  }
  return "error";
}

} // namespace gh::task
