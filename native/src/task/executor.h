// executor.h -- runs task strings against a session table (gh::task).
//
// execute() is the engine behind gh_performtask (gatehouse.h) and the Node
// binding's performTask: it parses the task with parse() (grammar.h), checks
// that it is addressed to this server, and acts on the table through the
// public C API of gatehouse.h only. It is reentrant and thread-safe (the
// table is; nothing here is shared), and it never throws.
//
// Response conventions (docs/tasks.md shows every task's output):
//   - ok is false exactly when a message of severity error is present; a
//     warning ("user has no sessions", "session not found") leaves ok true,
//     because the state the caller asked for holds.
//   - results are the task's output lines (listings, help); messages say what
//     happened, each from the catalogue in messages.h.
//   - A session listing line is
//       <user session ID string> created=<ISO> last_access=<ISO> auth=<method>
//       level=<n> refresh=<yes|no> user=<user token>
//     (one line; see session_line.h) and, when more sessions matched than are
//     listed, a last line `total=<matched> listed=<lines>`.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gatehouse.h"
#include "messages.h"

namespace gh::task {

// Who "this server" is.
struct ExecContext {
  // The pdadmin server name, `<instance>-webseald-<host>`, e.g.
  // default-webseald-host1: what `server task <name>` and the server argument
  // must equal (exactly, as in the reference product's `server list`).
  std::string server_name;
  // The `[server] server-name`, `<host>-<instance>`, e.g. host1-default:
  // encoded into user session ID strings and checked when one is given back.
  std::string session_server_name;
  // The one replica set this server belongs to (dscadmin commands).
  std::string replica_set = "default";
  // Time used to judge liveness in listings; 0 = the system clock.
  std::uint64_t now_ms = 0;
};

struct Response {
  bool ok = false;
  std::vector<std::string> results;
  std::vector<Message> messages;
};

// Parses and performs `task` on `t` for the server `ctx` describes. `server`
// is the server the caller addressed (empty = this server). Never throws:
// bad input, unknown users and sessions, and even memory exhaustion come
// back as messages.
Response execute(gh_table *t, const ExecContext &ctx, std::string_view server, std::string_view task) noexcept;

// The task list `gettasklist` returns: one syntax line per task, e.g.
// "terminate all_sessions <user_id>".
std::vector<std::string> task_list();

} // namespace gh::task
