// server.cpp -- ivadmin_server_performtask (POST /isam/pdadmin with one
// `server task <serverid> <task>` command) and ivadmin_server_gettasklist
// (GET /api/v1/servers/<serverid>/tasks).
#include "http.h"
#include "reply.h"

namespace gh::ivadmin {

namespace {

bool check_server_id(const char *serverid, Outcome &o) {
  if (serverid == nullptr || *serverid == '\0') {
    o.fail(IVADMIN_GH_E_ARGUMENT, "serverid is required (e.g. default-webseald-<host>)");
    return false;
  }
  const std::string_view s(serverid);
  for (const char c : s) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      o.fail(IVADMIN_GH_E_ARGUMENT, "serverid must not contain spaces or control characters");
      return false;
    }
  }
  if (!valid_utf8(s)) {
    o.fail(IVADMIN_GH_E_ARGUMENT, "serverid must be UTF-8");
    return false;
  }
  return true;
}

// Common entry checks; returns the context's reference or null (with `o`
// failed).
ContextRef begin(ivadmin_context ctx, const char *serverid, azn_attrlist_h_t indata, azn_attrlist_h_t *outdata,
                 Outcome &o) {
  if (outdata != nullptr) *outdata = nullptr;
  ContextRef c = acquire_context(ctx);
  if (c == nullptr) {
    o.fail(IVADMIN_GH_E_HANDLE, "the context is NULL, deleted, or not from ivadmin_context_create");
    return nullptr;
  }
  if (indata != nullptr) {
    o.fail(IVADMIN_GH_E_ARGUMENT, "indata attributes are not supported (pass NULL)");
    return nullptr;
  }
  if (!check_server_id(serverid, o)) return nullptr;
  return c;
}

// Makes sure a wiped copy is all that is left of a body holding the password.
struct WipeOnExit {
  std::string &s;
  ~WipeOnExit() { wipe(s); }
};

void perform(ivadmin_context ctx, const char *serverid, const char *task, azn_attrlist_h_t indata,
             azn_attrlist_h_t *outdata, unsigned long *count, char ***results, Outcome &o) {
  ContextRef c = begin(ctx, serverid, indata, outdata, o);
  if (c == nullptr) return;
  if (count == nullptr || results == nullptr) {
    return o.fail(IVADMIN_GH_E_ARGUMENT, "responsecount and results must not be NULL");
  }
  if (task == nullptr || std::string_view(task).find_first_not_of(" \t") == std::string_view::npos) {
    return o.fail(IVADMIN_GH_E_ARGUMENT, "task is required (e.g. \"terminate all_sessions <user>\")");
  }
  if (!valid_utf8(task)) return o.fail(IVADMIN_GH_E_ARGUMENT, "task must be UTF-8");

  const std::string command = std::string("server task ") + serverid + " " + task;
  std::string body;
  WipeOnExit wipe_body{body};
  // Room for the worst case (every byte escaped as \u00XX), so the buffer
  // holding the password is never reallocated and left unwiped.
  body.reserve(64 + 6 * (c->user.size() + c->password.size() + command.size()));
  body += "{\"admin_id\":";
  append_json_string(body, c->user);
  body += ",\"admin_pwd\":";
  append_json_string(body, c->password);
  body += ",\"commands\":[";
  append_json_string(body, command);
  body += "]}";

  const std::string path = "/isam/pdadmin";
  const std::string url = c->base_url + path;
  HttpReply reply;
  std::string error;
  if (!http_exchange(*c, "POST", path, &body, Auth::None, reply, error)) return o.fail(IVADMIN_GH_E_CONNECT, error);
  if (reply.status != 200) return http_failure(reply, url, o);

  Json doc;
  if (!parse_body(reply, url, doc, o)) return;
  const Json *commands = doc.get("commands");
  if (commands == nullptr || commands->type != Json::Type::Array || commands->items.size() != 1 ||
      commands->items[0].type != Json::Type::Object) {
    return o.fail(IVADMIN_GH_E_PROTOCOL, "the reply from " + url + " does not hold exactly one command result");
  }
  const Json &cmd = commands->items[0];
  const Json *ok = cmd.get("ok");
  std::vector<std::string> lines;
  std::vector<Message> messages;
  if (ok == nullptr || ok->type != Json::Type::Bool) {
    return o.fail(IVADMIN_GH_E_PROTOCOL, "the reply from " + url + " has no boolean 'ok'");
  }
  if (!read_strings(cmd.get("results"), lines)) {
    return o.fail(IVADMIN_GH_E_PROTOCOL, "the reply from " + url + " has no 'results' array of strings");
  }
  if (cmd.get("messages") == nullptr || !read_messages(cmd.get("messages"), messages, error)) {
    return o.fail(IVADMIN_GH_E_PROTOCOL, "the reply from " + url + " has bad task messages: " +
                                             (error.empty() ? std::string("'messages' is missing") : error));
  }
  if (!to_c_array(lines, results, count)) return o.fail(IVADMIN_GH_E_MEMORY, "out of memory copying the results");
  o.messages = std::move(messages);
  o.ok = ok->boolean ? IVADMIN_TRUE : IVADMIN_FALSE;
}

void task_list(ivadmin_context ctx, const char *serverid, azn_attrlist_h_t indata, unsigned long *tcount,
               char ***tasks, azn_attrlist_h_t *outdata, unsigned long *rcount, char ***results, Outcome &o) {
  ContextRef c = begin(ctx, serverid, indata, outdata, o);
  if (c == nullptr) return;
  if (tcount == nullptr || tasks == nullptr) return o.fail(IVADMIN_GH_E_ARGUMENT, "taskcount and tasklist must not be NULL");

  const std::string path = "/api/v1/servers/" + encode_path_segment(serverid) + "/tasks";
  const std::string url = c->base_url + path;
  HttpReply reply;
  std::string error;
  if (!http_exchange(*c, "GET", path, nullptr, Auth::Basic, reply, error)) return o.fail(IVADMIN_GH_E_CONNECT, error);
  if (reply.status != 200) return http_failure(reply, url, o);
  Json doc;
  if (!parse_body(reply, url, doc, o)) return;
  std::vector<std::string> lines;
  if (!read_strings(doc.get("tasks"), lines)) {
    return o.fail(IVADMIN_GH_E_PROTOCOL, "the reply from " + url + " has no 'tasks' array of strings");
  }
  if (!to_c_array(lines, tasks, tcount)) return o.fail(IVADMIN_GH_E_MEMORY, "out of memory copying the task list");
  o.ok = IVADMIN_TRUE;
}

} // namespace

} // namespace gh::ivadmin

using namespace gh::ivadmin;

extern "C" {

IVADMIN_DECLSPEC unsigned long IVADMIN_CALLTYPE ivadmin_server_performtask(
    ivadmin_context ctx, const char *serverid, const char *task, azn_attrlist_h_t indata, azn_attrlist_h_t *outdata,
    unsigned long *responsecount, char ***results, ivadmin_response *rsp) {
  if (responsecount != nullptr) *responsecount = 0;
  if (results != nullptr) *results = nullptr;
  return run_call(rsp, [&](Outcome &o) { perform(ctx, serverid, task, indata, outdata, responsecount, results, o); });
}

IVADMIN_DECLSPEC unsigned long IVADMIN_CALLTYPE ivadmin_server_gettasklist(
    ivadmin_context ctx, const char *serverid, azn_attrlist_h_t indata, unsigned long *taskcount, char ***tasklist,
    azn_attrlist_h_t *outdata, unsigned long *responsecount, char ***results, ivadmin_response *rsp) {
  if (taskcount != nullptr) *taskcount = 0;
  if (tasklist != nullptr) *tasklist = nullptr;
  if (responsecount != nullptr) *responsecount = 0;
  if (results != nullptr) *results = nullptr;
  return run_call(rsp, [&](Outcome &o) {
    task_list(ctx, serverid, indata, taskcount, tasklist, outdata, responsecount, results, o);
  });
}

} // extern "C"
