/* task_c_api_test.c -- the task engine from plain C11: a C program maps the
 * table, logs "Mary Jones" in twice, lists her sessions and terminates them
 * all with gh_performtask, and reads every part of the responses. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gatehouse.h"

static int passed = 0, failed = 0;
#define EXPECT(c)                                                                                                  \
  do {                                                                                                             \
    if (c) ++passed;                                                                                               \
    else {                                                                                                         \
      ++failed;                                                                                                    \
      fprintf(stderr, "FAIL line %d: %s\n", __LINE__, #c);                                                         \
    }                                                                                                              \
  } while (0)

static gh_task_response *perform(gh_table *t, const gh_server_identity *id, const char *server, const char *task) {
  gh_task_response *r = NULL;
  EXPECT(gh_performtask(t, id, server, task, strlen(task), &r) == GH_OK);
  EXPECT(r != NULL);
  return r;
}

static gh_session_info login(gh_table *t, const char *user) {
  gh_session_spec s;
  gh_session_info info;
  memset(&s, 0, sizeof s);
  memset(&info, 0, sizeof info);
  s.login = user;
  s.login_len = strlen(user);
  s.auth_method = GH_AUTH_FORMS;
  EXPECT(gh_session_create(t, &s, &info) == GH_OK);
  return info;
}

int main(void) {
  char name[64];
  snprintf(name, sizeof name, "gh-task-c-test-%d", (int)getpid());
  gh_table_options o = {64, 0};
  gh_table *t = NULL;
  EXPECT(gh_table_create(name, &o, &t) == GH_OK);
  gh_server_identity id = {"default-webseald-host1", "host1-default", NULL};

  gh_session_info m1 = login(t, "Mary Jones"), m2 = login(t, "Mary Jones"), bob = login(t, "bob");

  /* List her sessions: two result lines, one info message. */
  gh_task_response *r = perform(t, &id, NULL, "list sessions \"Mary Jones\"");
  EXPECT(gh_task_response_ok(r) == 1);
  EXPECT(gh_task_response_result_count(r) == 2);
  for (size_t i = 0; i < gh_task_response_result_count(r); ++i) {
    const char *line = gh_task_response_result(r, i);
    /* base64("host1-default\0") is aG9zdDEtZGVmYXVsdAA= */
    EXPECT(line && strncmp(line, "aG9zdDEtZGVmYXVsdAA=_", 21) == 0);
    EXPECT(line && strstr(line, " user=\"Mary Jones\"") != NULL);
    EXPECT(line && (strstr(line, m1.user_session_id) || strstr(line, m2.user_session_id)));
  }
  EXPECT(gh_task_response_message_count(r) == 1);
  EXPECT(strcmp(gh_task_response_message_id(r, 0), "GHWAT0007I") == 0);
  gh_task_response_free(r);

  /* Terminate all of them, addressed explicitly to this server. */
  r = perform(t, &id, "default-webseald-host1", "terminate all_sessions \"Mary Jones\"");
  EXPECT(gh_task_response_ok(r) == 1);
  EXPECT(gh_task_response_result_count(r) == 0);
  EXPECT(gh_task_response_result(r, 0) == NULL);
  EXPECT(gh_task_response_message_count(r) == 1);
  EXPECT(strcmp(gh_task_response_message_id(r, 0), "GHWAT0002I") == 0);
  EXPECT(gh_task_response_message_code(r, 0) == 0x47540002u);
  EXPECT(gh_task_response_message_severity(r, 0) == GH_TASK_INFO);
  EXPECT(strcmp(gh_task_response_message_text(r, 0), "2 session(s) of user \"Mary Jones\" terminated.") == 0);
  gh_task_response_free(r);
  EXPECT(gh_session_validate(t, m1.session_id, GH_SESSION_ID_LEN, 0, 0, NULL) == GH_R_ALL_SESSIONS_TERMINATED);
  EXPECT(gh_session_validate(t, m2.session_id, GH_SESSION_ID_LEN, 0, 0, NULL) == GH_R_ALL_SESSIONS_TERMINATED);
  EXPECT(gh_session_validate(t, bob.session_id, GH_SESSION_ID_LEN, 0, 0, NULL) == GH_VALID);

  /* Again: nothing left, a warning, still ok. */
  r = perform(t, &id, "", "terminate all_sessions \"Mary Jones\"");
  EXPECT(gh_task_response_ok(r) == 1);
  EXPECT(strcmp(gh_task_response_message_id(r, 0), "GHWAT0003W") == 0);
  EXPECT(gh_task_response_message_severity(r, 0) == GH_TASK_WARNING);
  gh_task_response_free(r);

  /* Another server: an error, and bob keeps his session. */
  r = perform(t, &id, NULL, "server task web2-webseald-host1 terminate all_sessions bob");
  EXPECT(gh_task_response_ok(r) == 0);
  EXPECT(strcmp(gh_task_response_message_id(r, 0), "GHWAT0051E") == 0);
  EXPECT(gh_task_response_message_code(r, 0) == 0x47540051u);
  EXPECT(gh_task_response_message_severity(r, 0) == GH_TASK_ERROR);
  gh_task_response_free(r);
  EXPECT(gh_session_validate(t, bob.session_id, GH_SESSION_ID_LEN, 0, 0, NULL) == GH_VALID);

  /* One session by user session ID. */
  {
    char task[128];
    snprintf(task, sizeof task, "terminate session %s", bob.user_session_id);
    r = perform(t, &id, NULL, task);
    EXPECT(gh_task_response_ok(r) == 1);
    EXPECT(strcmp(gh_task_response_message_id(r, 0), "GHWAT0001I") == 0);
    gh_task_response_free(r);
    EXPECT(gh_session_validate(t, bob.session_id, GH_SESSION_ID_LEN, 0, 0, NULL) == GH_R_TERMINATED);
  }

  /* The task list. */
  {
    char **tasks = NULL;
    size_t n = 0, i;
    int has_terminate_all = 0;
    EXPECT(gh_gettasklist(&tasks, &n) == GH_OK);
    EXPECT(n == 12);
    for (i = 0; i < n; ++i)
      if (strcmp(tasks[i], "terminate all_sessions <user_id>") == 0) has_terminate_all = 1;
    EXPECT(has_terminate_all);
    gh_tasklist_free(tasks, n);
  }

  /* A bad call: no response, a status and a message. */
  r = (gh_task_response *)&id;
  EXPECT(gh_performtask(t, NULL, NULL, "help", 4, &r) == GH_E_INVALID_ARGUMENT);
  EXPECT(r == NULL);
  EXPECT(strlen(gh_last_error()) > 0);

  gh_table_close(t);
  EXPECT(gh_table_unlink(name) == GH_OK);
  printf("task_c_api_test: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
