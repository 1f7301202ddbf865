// executor.cpp -- execute(): identity and addressing checks, parse, dispatch.
// The checks come before any table call so that a task for another server
// or replica set never touches this server's sessions.
#include "executor.h"

#include <new>
#include <stdexcept>

#include "actions.h"
#include "help.h"

namespace gh::task {

namespace {

using detail::add;

// Why the configured identity is unusable, or empty when it is fine. The
// offending value is not echoed: it may not be printable.
std::string identity_problem(const ExecContext &ctx) {
  if (!valid_server_name(ctx.server_name))
    return "the server name must be 1 to 256 characters of A-Z a-z 0-9 . _ - (form <instance>-webseald-<host>)";
  if (!valid_server_name(ctx.session_server_name))
    return "the [server] server-name must be 1 to 256 characters of A-Z a-z 0-9 . _ - (form <host>-<instance>)";
  if (!valid_text(ctx.replica_set)) return "the replica set name must be 1 to 256 bytes of UTF-8";
  return {};
}

std::string join(const std::vector<std::string> &words) {
  std::string out;
  for (const auto &w : words) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

void help(const Command &c, Response &r) {
  if (c.help_topic.empty()) {
    r.results = task_list();
    return add(r, Msg::HelpTaskList, {std::to_string(r.results.size())});
  }
  HelpText h = describe(c.help_topic);
  if (h.tasks == 0) return add(r, Msg::UnknownHelpTopic, {join(c.help_topic)});
  r.results = std::move(h.lines);
  add(r, Msg::HelpTopic, {std::to_string(h.tasks), join(c.help_topic)});
}

// dscadmin commands name a replica set; this server has exactly one.
bool in_replica_set(const ExecContext &ctx, const Command &c, Response &r) {
  if (c.replica_set == ctx.replica_set) return true;
  add(r, Msg::UnknownReplicaSet, {quote(c.replica_set), quote(ctx.replica_set)});
  return false;
}

void dispatch(gh_table *t, const ExecContext &ctx, const Command &c, Response &r) {
  switch (c.kind) {
  case Kind::TerminateSession: return detail::terminate_session(t, ctx, c, true, r);
  case Kind::TerminateAllSessions: return detail::terminate_all_sessions(t, c.user_id, r);
  case Kind::RefreshAllSessions: return detail::refresh_all_sessions(t, c.user_id, r);
  case Kind::Help: return help(c, r);
  case Kind::SignoutAllSessions: return detail::signout_all_sessions(t, r);
  case Kind::ListSessions: return detail::list_user(t, ctx, c.user_id, r);
  case Kind::ListSessionsPattern: return detail::list_pattern(t, ctx, c.pattern, c.max, r);
  case Kind::DscTerminateSession:
    if (in_replica_set(ctx, c, r)) detail::terminate_session(t, ctx, c, false, r);
    return;
  case Kind::DscTerminateAllSessions:
    if (in_replica_set(ctx, c, r)) detail::terminate_matching(t, ctx, c.pattern, r);
    return;
  case Kind::DscSessionList:
    if (in_replica_set(ctx, c, r)) detail::list_pattern(t, ctx, c.pattern, c.max, r);
    return;
  case Kind::ReplicaSetList:
    r.results.push_back(ctx.replica_set);
    return add(r, Msg::ReplicaSetsListed, {"1"});
  case Kind::ReplicaSetShow:
    if (!in_replica_set(ctx, c, r)) return;
    r.results.push_back(ctx.server_name); // the one replica: this server
    return add(r, Msg::ReplicaSetShown, {quote(ctx.replica_set), "1"});
  }
  add(r, Msg::InternalError, {"task kind " + std::string(kind_name(c.kind)) + " has no executor"});
}

void run(gh_table *t, const ExecContext &ctx, std::string_view server, std::string_view task, Response &r) {
  if (const std::string why = identity_problem(ctx); !why.empty()) return add(r, Msg::BadIdentity, {why});
  if (!t) return add(r, Msg::BadArgument, {"table", "no session table is open"});
  // The addressed server is checked before the task is even parsed: a task
  // for another server is that server's to judge.
  if (!server.empty() && server != ctx.server_name)
    return add(r, Msg::ServerMismatch,
               {valid_server_name(server) ? server : std::string_view("(an invalid server name)"), ctx.server_name});
  ParseResult p = parse(task);
  if (!p.ok) return add(r, from_grammar(p.error.code), {p.error.text, std::to_string(p.error.offset)});
  const Command &c = p.command;
  if (c.server_name && *c.server_name != ctx.server_name)
    return add(r, Msg::ServerMismatch, {*c.server_name, ctx.server_name});
  dispatch(t, ctx, c, r);
}

bool has_error(const Response &r) {
  for (const Message &m : r.messages)
    if (m.severity == Severity::Error) return true;
  return false;
}

// A fresh response holding one error. Building it may itself fail under
// memory exhaustion; then the response is an empty failure.
Response failure(Msg m, std::string_view arg) noexcept {
  Response r;
  try {
    add(r, m, {arg});
  } catch (...) {
  }
  return r;
}

} // namespace

Response execute(gh_table *t, const ExecContext &ctx, std::string_view server, std::string_view task) noexcept {
  Response r;
  try {
    run(t, ctx, server, task, r);
  } catch (const std::bad_alloc &) {
    // Drop the partial output first: it frees memory for the message.
    r = Response();
    r = failure(Msg::OutOfMemory, "");
  } catch (const std::exception &e) {
    r = Response();
    r = failure(Msg::InternalError, e.what());
  } catch (...) {
    r = Response();
    r = failure(Msg::InternalError, "unknown exception");
  }
  r.ok = !has_error(r) && !r.messages.empty();
  return r;
}

} // namespace gh::task
