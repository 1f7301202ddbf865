// tasks.cpp -- the task-string parser exposed to Node: parseTask(text)
// returns the command the native grammar reads, so the TypeScript builders
// are checked against the one parser every front door uses.
#include <napi.h>

#include <string>

#include "../task/grammar.h"
#include "../task/messages.h"
#include "gatehouse.h"
#include "strings.h"

gh_table *UnwrapTable(const Napi::CallbackInfo &info);  // addon.cpp

namespace {

using gh::task::Command;
using gh::task::Kind;

// The user-session-ID token as written (whole `base64(server)_id` string or
// bare ID), rebuilt through the grammar's own formatter.
std::string session_token(const Command &c) {
  Command only = c;
  only.kind = Kind::TerminateSession;
  only.server_name.reset();
  std::string text = gh::task::format(only);
  const std::string prefix = "terminate session ";
  return text.compare(0, prefix.size(), prefix) == 0 ? text.substr(prefix.size()) : text;
}

Napi::Value ParseTask(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::Error e = Napi::TypeError::New(env, "parseTask(text) takes a string");
    e.Set("code", Napi::String::New(env, "GH_E_INVALID_ARGUMENT"));
    throw e;
  }
  // Lossless: a lone surrogate stays an encoding error for the grammar (GHWAT0105E).
  std::string text = gh_addon::task_text(info[0], "task");
  gh::task::ParseResult r = gh::task::parse(text);
  Napi::Object out = Napi::Object::New(env);
  out.Set("ok", r.ok);
  if (!r.ok) {
    Napi::Object err = Napi::Object::New(env);
    err.Set("messageId", std::string(r.error.message_id));
    err.Set("text", r.error.text);
    err.Set("offset", double(r.error.offset));
    out.Set("error", err);
    return out;
  }
  const Command &c = r.command;
  Napi::Object cmd = Napi::Object::New(env);
  cmd.Set("kind", std::string(gh::task::kind_name(c.kind)));
  switch (c.kind) {
    case Kind::TerminateSession:
      cmd.Set("userSessionId", session_token(c));
      break;
    case Kind::DscTerminateSession:
      cmd.Set("userSessionId", session_token(c));
      cmd.Set("replicaSet", c.replica_set);
      break;
    case Kind::TerminateAllSessions:
    case Kind::RefreshAllSessions:
    case Kind::ListSessions:
      cmd.Set("userId", c.user_id);
      break;
    case Kind::ListSessionsPattern:
      cmd.Set("pattern", c.pattern);
      cmd.Set("max", c.max);
      break;
    case Kind::DscTerminateAllSessions:
      cmd.Set("pattern", c.pattern);
      cmd.Set("replicaSet", c.replica_set);
      break;
    case Kind::DscSessionList:
      cmd.Set("pattern", c.pattern);
      cmd.Set("max", c.max);
      cmd.Set("replicaSet", c.replica_set);
      break;
    case Kind::ReplicaSetShow:
      cmd.Set("replicaSet", c.replica_set);
      break;
    case Kind::Help: {
      Napi::Array topic = Napi::Array::New(env, c.help_topic.size());
      for (uint32_t i = 0; i < c.help_topic.size(); ++i) topic.Set(i, c.help_topic[i]);
      cmd.Set("topic", topic);
      break;
    }
    case Kind::SignoutAllSessions:
    case Kind::ReplicaSetList:
      break;
  }
  out.Set("command", cmd);
  if (c.server_name) out.Set("serverName", *c.server_name);
  if (c.session_server_name) out.Set("sessionServerName", *c.session_server_name);
  Command bare = c;
  bare.server_name.reset();
  out.Set("canonical", gh::task::format(bare));
  return out;
}

[[noreturn]] void throw_code(Napi::Env env, const char *code, const std::string &msg) {
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, code));
  throw e;
}

// performTask(handle, serverName, sessionServerName, replicaSet, server, task)
//   -> { ok, results: string[], messages: [{ id, code, severity, text }] }
Napi::Value PerformTask(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  gh_table *t = UnwrapTable(info);
  for (size_t i = 1; i <= 5; ++i)
    if (!info[i].IsString()) throw_code(env, "GH_E_INVALID_ARGUMENT", "performTask takes five strings after the handle");
  std::string server_name = gh_addon::utf8(info[1], "serverName");
  std::string session_server_name = gh_addon::utf8(info[2], "sessionServerName");
  std::string replica_set = gh_addon::utf8(info[3], "replicaSet");
  std::string server = gh_addon::utf8(info[4], "server");
  // Lossless: a lone surrogate stays an encoding error for the grammar (GHWAT0105E).
  std::string task = gh_addon::task_text(info[5], "task");
  gh_server_identity id{server_name.c_str(), session_server_name.c_str(), replica_set.c_str()};
  gh_task_response *r = nullptr;
  gh_status st = gh_performtask(t, &id, server.c_str(), task.data(), task.size(), &r);
  if (st != GH_OK) throw_code(env, gh_status_name(st), gh_last_error());
  Napi::Object out = Napi::Object::New(env);
  out.Set("ok", gh_task_response_ok(r) != 0);
  size_t n = gh_task_response_result_count(r);
  Napi::Array results = Napi::Array::New(env, n);
  for (size_t i = 0; i < n; ++i) results.Set(uint32_t(i), gh_task_response_result(r, i));
  out.Set("results", results);
  size_t m = gh_task_response_message_count(r);
  Napi::Array messages = Napi::Array::New(env, m);
  static const char *const kSeverity[] = {"info", "warning", "error"};
  for (size_t i = 0; i < m; ++i) {
    Napi::Object msg = Napi::Object::New(env);
    int sev = gh_task_response_message_severity(r, i);
    msg.Set("id", gh_task_response_message_id(r, i));
    msg.Set("code", double(gh_task_response_message_code(r, i)));
    msg.Set("severity", sev >= 0 && sev <= 2 ? kSeverity[sev] : "error");
    msg.Set("text", gh_task_response_message_text(r, i));
    messages.Set(uint32_t(i), msg);
  }
  out.Set("messages", messages);
  gh_task_response_free(r);
  return out;
}

Napi::Value TaskList(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  char **tasks = nullptr;
  size_t count = 0;
  if (gh_status st = gh_gettasklist(&tasks, &count)) throw_code(env, gh_status_name(st), gh_last_error());
  Napi::Array out = Napi::Array::New(env, count);
  for (size_t i = 0; i < count; ++i) out.Set(uint32_t(i), tasks[i]);
  gh_tasklist_free(tasks, count);
  return out;
}

// formatMessage(id, args: string[]) -> { id, code, severity, text }: a
// catalogue message rendered exactly as the executor renders it (the
// distributed cache's task engine answers with the same messages).
Napi::Value FormatMessage(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString() || !info[1].IsArray()) throw_code(env, "GH_E_INVALID_ARGUMENT", "formatMessage(id, args[])");
  const gh::task::MessageDef *d = gh::task::find_message(info[0].As<Napi::String>().Utf8Value());
  if (!d) throw_code(env, "GH_E_INVALID_ARGUMENT", "no message has this ID");
  Napi::Array a = info[1].As<Napi::Array>();
  std::vector<std::string> args;
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value v = a.Get(i);
    if (!v.IsString()) throw_code(env, "GH_E_INVALID_ARGUMENT", "message arguments must be strings");
    args.push_back(v.As<Napi::String>().Utf8Value());
  }
  gh::task::Message m = gh::task::make(d->msg, args);
  static const char *const kSeverity[] = {"info", "warning", "error"};
  Napi::Object msg = Napi::Object::New(env);
  msg.Set("id", m.id);
  msg.Set("code", double(m.code));
  msg.Set("severity", kSeverity[int(m.severity)]);
  msg.Set("text", m.text);
  return msg;
}

}  // namespace

void RegisterTaskFunctions(Napi::Env env, Napi::Object exports) {
  exports.Set("parseTask", Napi::Function::New(env, ParseTask));
  exports.Set("performTask", Napi::Function::New(env, PerformTask));
  exports.Set("taskList", Napi::Function::New(env, TaskList));
  exports.Set("formatMessage", Napi::Function::New(env, FormatMessage));
}
