// tasks.cpp -- the task-string parser exposed to Node: parseTask(text)
// returns the command the native grammar reads, so the TypeScript builders
// are checked against the one parser every front door uses.
#include <napi.h>

#include <string>

#include "../task/grammar.h"

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
  std::string text = info[0].As<Napi::String>().Utf8Value();
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

}  // namespace

void RegisterTaskFunctions(Napi::Env env, Napi::Object exports) {
  exports.Set("parseTask", Napi::Function::New(env, ParseTask));
}
