/* c_api_test.c -- gatehouse.h is usable from plain C11: a C program maps the
 * table, logs a user in, terminates all of that user's sessions. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gatehouse.h"

int main(void) {
  char name[64];
  snprintf(name, sizeof name, "gh-c-test-%d", (int)getpid());
  gh_table_options o = {64, 0};
  gh_table *t = NULL;
  int failed = 0, passed = 0;
#define EXPECT(c) do { if (c) ++passed; else { ++failed; fprintf(stderr, "FAIL line %d: %s (%s)\n", __LINE__, #c, gh_last_error()); } } while (0)
  EXPECT(gh_table_create(name, &o, &t) == GH_OK);
  gh_session_spec s;
  memset(&s, 0, sizeof s);
  s.login = "dlucas";
  s.login_len = 6;
  gh_session_info info;
  EXPECT(gh_session_create(t, &s, &info) == GH_OK);
  EXPECT(gh_session_validate(t, info.session_id, GH_SESSION_ID_LEN, 0, 1, NULL) == GH_VALID);
  unsigned int ended = 0;
  EXPECT(gh_user_terminate_all(t, "dlucas", 6, GH_R_ALL_SESSIONS_TERMINATED, &ended) == GH_OK);
  EXPECT(ended == 1);
  EXPECT(gh_session_validate(t, info.session_id, GH_SESSION_ID_LEN, 0, 1, NULL) == GH_R_ALL_SESSIONS_TERMINATED);
  EXPECT(strcmp(gh_reason_name(GH_R_ALL_SESSIONS_TERMINATED), "all_sessions_terminated") == 0);
  EXPECT(strcmp(gh_status_name(GH_E_LIMIT), "GH_E_LIMIT") == 0);
  gh_table_close(t);
  EXPECT(gh_table_unlink(name) == GH_OK);
  printf("c_api_test: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
