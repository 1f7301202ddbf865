// actions.cpp -- terminate session, terminate / refresh all_sessions, and
// signout all_sessions: one table call each, mapped to catalogue messages.
#include "actions.h"

#include <string>

namespace gh::task::detail {

void add(Response &r, Msg m, std::initializer_list<std::string_view> args) { r.messages.push_back(make(m, args)); }

void add_table_error(Response &r, gh_status s) { add(r, Msg::TableError, {gh_status_name(s), gh_last_error()}); }

void terminate_session(gh_table *t, const ExecContext &ctx, const Command &c, bool check_server, Response &r) {
  // A whole user session ID string names the server that issued it. pdadmin
  // sends the task to one server, which must be that one: acting on another
  // server's ID here would at best miss and at worst confuse operators.
  if (check_server && c.session_server_name && *c.session_server_name != ctx.session_server_name) {
    add(r, Msg::SessionServerMismatch, {*c.session_server_name, ctx.session_server_name});
    return;
  }
  const gh_status s = gh_session_terminate(t, c.session_id.data(), c.session_id.size(), GH_R_TERMINATED);
  switch (s) {
  case GH_OK: add(r, Msg::SessionTerminated, {c.session_id}); break;
  case GH_E_NOT_FOUND: add(r, Msg::SessionNotFound, {c.session_id, gh_last_error()}); break;
  case GH_E_INVALID_ARGUMENT:
    // The grammar accepts any printable ID (the reference product's are
    // long); the table knows only its own 22-character form.
    add(r, Msg::BadArgument,
        {"<user_session_id> " + c.session_id,
         "a Gatehouse user session ID is " + std::to_string(GH_USER_SESSION_ID_LEN) +
             " base64url characters (or the whole string base64(server-name)_<id>)"});
    break;
  default: add_table_error(r, s); break;
  }
}

void terminate_all_sessions(gh_table *t, const std::string &user, Response &r) {
  std::uint32_t ended = 0;
  const gh_status s = gh_user_terminate_all(t, user.data(), user.size(), GH_R_ALL_SESSIONS_TERMINATED, &ended);
  if (s == GH_E_INVALID_ARGUMENT) return add(r, Msg::BadArgument, {"<user_id> " + quote(user), gh_last_error()});
  if (s != GH_OK) return add_table_error(r, s);
  if (ended == 0) return add(r, Msg::UserHasNoSessions, {quote(user)});
  add(r, Msg::UserSessionsTerminated, {std::to_string(ended), quote(user)});
}

void refresh_all_sessions(gh_table *t, const std::string &user, Response &r) {
  std::uint32_t sessions = 0;
  const gh_status s = gh_user_refresh_all(t, user.data(), user.size(), &sessions);
  if (s == GH_E_INVALID_ARGUMENT) return add(r, Msg::BadArgument, {"<user_id> " + quote(user), gh_last_error()});
  if (s != GH_OK) return add_table_error(r, s);
  if (sessions == 0) return add(r, Msg::UserHasNoSessions, {quote(user)});
  add(r, Msg::SessionsMarkedForRefresh, {std::to_string(sessions), quote(user)});
}

void signout_all_sessions(gh_table *t, Response &r) {
  std::uint32_t epoch = 0;
  const gh_status s = gh_sign_out_everyone(t, &epoch);
  if (s != GH_OK) return add_table_error(r, s);
  add(r, Msg::EveryoneSignedOut, {std::to_string(epoch)});
}

} // namespace gh::task::detail
