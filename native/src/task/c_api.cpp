// c_api.cpp -- the task engine's C API (gatehouse.h, "Task engine"): a thin
// shell over gh::task::execute() that keeps the Response alive behind an
// opaque handle so C callers get stable const char* views into it.
#include <cstdlib>
#include <cstring>
#include <new>

#include "../table/sys.h" // gh::fail: the library's one gh_last_error() channel
#include "executor.h"
#include "gatehouse.h"

struct gh_task_response {
  gh::task::Response r;
};

namespace {

const gh::task::Message *message_at(const gh_task_response *r, size_t i) {
  return (r && i < r->r.messages.size()) ? &r->r.messages[i] : nullptr;
}

} // namespace

extern "C" gh_status gh_performtask(gh_table *t, const gh_server_identity *id, const char *server,
                                           const char *task, size_t task_len, gh_task_response **out) {
  if (out) *out = nullptr;
  if (!t) return gh::fail(GH_E_INVALID_ARGUMENT, "table must not be NULL");
  if (!id || !id->server_name || !id->session_server_name)
    return gh::fail(GH_E_INVALID_ARGUMENT, "identity, its server_name and session_server_name must not be NULL");
  if (!task && task_len) return gh::fail(GH_E_INVALID_ARGUMENT, "task must not be NULL when task_len > 0");
  if (!out) return gh::fail(GH_E_INVALID_ARGUMENT, "out must not be NULL");
  auto *resp = new (std::nothrow) gh_task_response;
  if (!resp) return gh::fail(GH_E_SYSTEM, "out of memory (ENOMEM) allocating the response");
  try {
    gh::task::ExecContext ctx;
    ctx.server_name = id->server_name;
    ctx.session_server_name = id->session_server_name;
    if (id->replica_set) ctx.replica_set = id->replica_set;
    resp->r = gh::task::execute(t, ctx, server ? std::string_view(server) : std::string_view(),
                                std::string_view(task ? task : "", task_len));
  } catch (...) { // only std::bad_alloc copying the identity: execute() never throws
    delete resp;
    return gh::fail(GH_E_SYSTEM, "out of memory (ENOMEM) preparing the task");
  }
  // An out-of-memory response may have no message at all; C callers still
  // get a response whose ok flag is 0.
  *out = resp;
  return GH_OK;
}

extern "C" int gh_task_response_ok(const gh_task_response *r) { return r && r->r.ok ? 1 : 0; }

extern "C" size_t gh_task_response_result_count(const gh_task_response *r) {
  return r ? r->r.results.size() : 0;
}

extern "C" const char *gh_task_response_result(const gh_task_response *r, size_t i) {
  return (r && i < r->r.results.size()) ? r->r.results[i].c_str() : nullptr;
}

extern "C" size_t gh_task_response_message_count(const gh_task_response *r) {
  return r ? r->r.messages.size() : 0;
}

extern "C" const char *gh_task_response_message_id(const gh_task_response *r, size_t i) {
  const gh::task::Message *m = message_at(r, i);
  return m ? m->id.c_str() : nullptr;
}

extern "C" uint32_t gh_task_response_message_code(const gh_task_response *r, size_t i) {
  const gh::task::Message *m = message_at(r, i);
  return m ? m->code : 0;
}

extern "C" int gh_task_response_message_severity(const gh_task_response *r, size_t i) {
  const gh::task::Message *m = message_at(r, i);
  return m ? static_cast<int>(m->severity) : -1;
}

extern "C" const char *gh_task_response_message_text(const gh_task_response *r, size_t i) {
  const gh::task::Message *m = message_at(r, i);
  return m ? m->text.c_str() : nullptr;
}

extern "C" void gh_task_response_free(gh_task_response *r) { delete r; }

extern "C" gh_status gh_gettasklist(char ***tasks, size_t *count) {
  if (tasks) *tasks = nullptr;
  if (count) *count = 0;
  if (!tasks || !count) return gh::fail(GH_E_INVALID_ARGUMENT, "tasks and count must not be NULL");
  std::vector<std::string> list;
  try {
    list = gh::task::task_list();
  } catch (...) {
    return gh::fail(GH_E_SYSTEM, "out of memory (ENOMEM) building the task list");
  }
  // malloc, not new: the array and its strings are plain C memory.
  char **arr = static_cast<char **>(std::calloc(list.size() ? list.size() : 1, sizeof(char *)));
  if (!arr) return gh::fail(GH_E_SYSTEM, "out of memory (ENOMEM) building the task list");
  for (size_t i = 0; i < list.size(); ++i) {
    arr[i] = static_cast<char *>(std::malloc(list[i].size() + 1));
    if (!arr[i]) {
      gh_tasklist_free(arr, i);
      return gh::fail(GH_E_SYSTEM, "out of memory (ENOMEM) building the task list");
    }
    std::memcpy(arr[i], list[i].c_str(), list[i].size() + 1);
  }
  *tasks = arr;
  *count = list.size();
  return GH_OK;
}

extern "C" void gh_tasklist_free(char **tasks, size_t count) {
  if (!tasks) return;
  for (size_t i = 0; i < count; ++i) std::free(tasks[i]);
  std::free(tasks);
}
