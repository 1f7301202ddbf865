/* header_compat.c -- a compile-only test of the installed C headers: every
 * function of ivadminapi.h and gatehouse.h called with `const char *`, with
 * `char *` and with string literals for each input string, the IBM include
 * pair (<ivadminapi.h> with <ogauthzn.h>, both orders) and an
 * `azn_attrlist_h_t outdata;` declaration as legacy programs write them.
 * Built with -Wall -Wextra -Wpedantic -Werror as C (this file) and as C++
 * (header_compat.cpp includes it), by CMake and by test/c-library.test.ts
 * against an installed prefix. Nothing here is run. */
#ifdef HEADER_COMPAT_OGAUTHZN_FIRST
#include <ogauthzn.h>
#include <ivadminapi.h>
#else
#include <ivadminapi.h>
#include <ogauthzn.h>
#endif
#include <gatehouse.h>

#ifdef __cplusplus
extern "C" {
#endif
unsigned long header_compat_ivadmin(const char *cs, char *ms);
unsigned long header_compat_table(const char *cs, char *ms);
#ifdef __cplusplus
}
#endif

unsigned long header_compat_ivadmin(const char *cs, char *ms) {
  ivadmin_context ctx = NULL;
  ivadmin_response rsp = NULL;
  azn_attrlist_h_t outdata;
  azn_attrlist_h_t indata = NULL;
  unsigned long n = 0, tn = 0, rc = 0;
  char **results = NULL, **tasks = NULL;
  const char *msg;

  rc += ivadmin_context_create(cs, cs, cs, cs, cs, cs, cs, 7135, &ctx, &rsp);
  rc += ivadmin_context_create(ms, ms, ms, ms, ms, ms, ms, 7135, &ctx, &rsp);
  rc += ivadmin_context_create("ca.pem", "", "", "sec_master", "pw", "", "localhost", 0, &ctx, &rsp);
  rc += ivadmin_context_create(NULL, NULL, NULL, cs, ms, NULL, NULL, 0, &ctx, &rsp);
  rc += ivadmin_context_createdefault(cs, cs, &ctx, &rsp);
  rc += ivadmin_context_createdefault(ms, ms, &ctx, &rsp);
  rc += ivadmin_context_createdefault("sec_master", "pw", &ctx, &rsp);

  rc += ivadmin_server_performtask(ctx, cs, cs, NULL, &outdata, &n, &results, &rsp);
  rc += ivadmin_server_performtask(ctx, ms, ms, indata, NULL, &n, &results, &rsp);
  rc += ivadmin_server_performtask(ctx, "default-webseald-host", "terminate all_sessions bob", NULL, NULL, &n,
                                   &results, &rsp);
  rc += ivadmin_server_gettasklist(ctx, cs, NULL, &tn, &tasks, &outdata, &n, &results, &rsp);
  rc += ivadmin_server_gettasklist(ctx, ms, indata, &tn, &tasks, NULL, &n, &results, &rsp);
  rc += ivadmin_server_gettasklist(ctx, "default-webseald-host", NULL, &tn, &tasks, NULL, &n, &results, &rsp);

  rc += ivadmin_response_getok(rsp) + ivadmin_response_getcount(rsp) + ivadmin_response_getcode(rsp, 0) +
        ivadmin_response_getmodifier(rsp, 0);
  msg = ivadmin_response_getmessage(rsp, 0);
  rc += msg != NULL;
  ivadmin_free(results);
  ivadmin_free(tasks);
  ivadmin_free(rsp);
  rc += ivadmin_context_delete(ctx, &rsp);
  return rc + (outdata == NULL) + IVADMIN_TRUE + IVADMIN_RESPONSE_ERROR + IVADMIN_GH_E_HANDLE;
}

unsigned long header_compat_table(const char *cs, char *ms) {
  gh_table *t = NULL;
  gh_table_options opt = {1024, 0};
  gh_session_spec spec;
  gh_session_info info, list[4];
  gh_server_identity id;
  gh_task_response *r = NULL;
  gh_stats stats;
  char login[GH_LOGIN_MAX + 1], usid[GH_USER_SESSION_ID_LEN + 1];
  uint8_t attrs[64];
  size_t login_len = 0, attrs_len = 0, count = 0;
  uint32_t u = 0, ret = 0, total = 0;
  char **tasks = NULL;
  unsigned long rc = 0;

  rc += gh_table_create(cs, &opt, &t) + gh_table_create(ms, &opt, &t) + gh_table_create("gh-x", &opt, &t);
  rc += gh_table_open(cs, &t) + gh_table_open(ms, &t) + gh_table_open("gh-x", &t);
  rc += gh_table_unlink(cs) + gh_table_unlink(ms) + gh_table_unlink("gh-x");

  spec.login = cs;
  spec.login = ms;
  spec.login = "bob";
  spec.login_len = 3;
  spec.attrs = NULL;
  spec.attrs_len = 0;
  rc += gh_session_create(t, &spec, &info);
  rc += gh_session_validate(t, cs, 32, 0, 1, &info) + gh_session_validate(t, ms, 32, 0, 1, &info);
  rc += gh_session_id_check(cs, 32) + gh_session_id_check(ms, 32) + gh_session_id_check("x", 1);
  rc += gh_session_read(t, info.slot, info.seq, login, sizeof login, &login_len, attrs, sizeof attrs, &attrs_len,
                        usid);
  rc += gh_session_touch(t, cs, 32, 0) + gh_session_touch(t, ms, 32, 0);
  rc += gh_session_logout(t, cs, 32) + gh_session_logout(t, ms, 32);
  rc += gh_session_terminate(t, cs, 22, GH_R_TERMINATED) + gh_session_terminate(t, ms, 22, GH_R_TERMINATED);
  rc += gh_user_terminate_all(t, cs, 3, GH_R_ALL_SESSIONS_TERMINATED, &u) +
        gh_user_terminate_all(t, ms, 3, GH_R_ALL_SESSIONS_TERMINATED, &u);
  rc += gh_user_refresh_all(t, cs, 3, &u) + gh_user_refresh_all(t, ms, 3, &u);
  rc += gh_user_count(t, cs, 3, &u, &ret) + gh_user_count(t, ms, 3, &u, &ret);
  rc += gh_sign_out_everyone(t, &u);
  rc += gh_list_user(t, cs, 3, 0, list, 4, &ret, &total) + gh_list_user(t, ms, 3, 0, list, 4, &ret, &total);
  rc += gh_list_pattern(t, cs, 3, 0, list, 4, &ret, &total) + gh_list_pattern(t, "b*", 2, 0, list, 4, &ret, &total);
  rc += gh_reap(t, 0, 10, &u) + gh_table_stats(t, 0, &stats) + gh_table_check(t, 0);

  id.server_name = cs;
  id.server_name = ms;
  id.server_name = "default-webseald-host1";
  id.session_server_name = "host1-default";
  id.replica_set = NULL;
  rc += gh_performtask(t, &id, cs, cs, 3, &r) + gh_performtask(t, &id, ms, ms, 3, &r);
  rc += gh_performtask(t, &id, "", "help", 4, &r);
  rc += (unsigned long)gh_task_response_ok(r) + gh_task_response_result_count(r) +
        gh_task_response_message_count(r) + gh_task_response_message_code(r, 0) +
        (unsigned long)gh_task_response_message_severity(r, 0);
  rc += gh_task_response_result(r, 0) != NULL;
  rc += gh_task_response_message_id(r, 0) != NULL;
  rc += gh_task_response_message_text(r, 0) != NULL;
  gh_task_response_free(r);
  rc += gh_gettasklist(&tasks, &count);
  gh_tasklist_free(tasks, count);
  rc += gh_status_name(GH_OK) != NULL;
  rc += gh_reason_name(GH_VALID) != NULL;
  rc += gh_last_error() != NULL;
  gh_table_close(t);
  return rc;
}
