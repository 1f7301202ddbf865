/* terminate_user.c -- ends every session of one user on a Gatehouse server,
 * written the way legacy programs call IBM's Administration C API: create a
 * context, perform "terminate all_sessions <user>", print the result lines
 * and the messages, free everything, delete the context. Only the include
 * path and the link flag differ from a build against /opt/PolicyDirector:
 *
 *   cmake -S native -B native/build/plain
 *   cmake --build native/build/plain --target gatehouse-ivadmin
 *   cc -o terminate_user examples/c/terminate_user.c -Inative/include \
 *      -Lnative/build/plain -lgatehouse-ivadmin -Wl,-rpath,$PWD/native/build/plain
 *
 * (or `make -C examples/c`; see the Makefile beside this file.)
 *
 * Usage:  GATEHOUSE_ADMIN_PASSWORD=... ./terminate_user <server> <user> [admin-id]
 *   <server>    the pdadmin server name, e.g. default-webseald-www1
 *   <user>      the login ID whose sessions end
 *   [admin-id]  the administrator (default sec_master)
 * The admin API's URL and CA come from GATEHOUSE_ADMIN_URL and
 * GATEHOUSE_ADMIN_CA or /etc/gatehouse/ivadmin.conf (ivadmin_context_createdefault).
 * The password is read from the environment, never from the command line,
 * where other users could see it.
 *
 * Exit status: 0 if the task succeeded, 1 if it failed, 2 on bad usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivadminapi.h"

static const char *severity(unsigned long modifier) {
  switch (modifier) {
  case IVADMIN_RESPONSE_INFO: return "info";
  case IVADMIN_RESPONSE_WARNING: return "warning";
  case IVADMIN_RESPONSE_ERROR: return "error";
  default: return "?";
  }
}

/* Prints every message of a response, as pdadmin does. */
static void print_messages(ivadmin_response rsp) {
  unsigned long i;
  for (i = 0; i < ivadmin_response_getcount(rsp); i++) {
    printf("%s: %s (0x%08lx)\n", severity(ivadmin_response_getmodifier(rsp, i)), ivadmin_response_getmessage(rsp, i),
           ivadmin_response_getcode(rsp, i));
  }
}

int main(int argc, char **argv) {
  ivadmin_context ctx;
  ivadmin_response rsp;
  unsigned long rc, rcount = 0, i;
  char **results = NULL;
  char task[512];
  char *admin = argc > 3 ? argv[3] : "sec_master";
  char *password = getenv("GATEHOUSE_ADMIN_PASSWORD");

  if (argc < 3 || password == NULL) {
    fprintf(stderr, "usage: GATEHOUSE_ADMIN_PASSWORD=... %s <server> <user> [admin-id]\n", argv[0]);
    return 2;
  }
  if (strlen(argv[2]) + sizeof "terminate all_sessions " > sizeof task) {
    fprintf(stderr, "%s: user ID too long\n", argv[0]);
    return 2;
  }
  sprintf(task, "terminate all_sessions %s", argv[2]);

  /* 1. Authenticate. */
  rc = ivadmin_context_createdefault(admin, password, &ctx, &rsp);
  if (rc != IVADMIN_TRUE) {
    fprintf(stderr, "cannot log in as %s:\n", admin);
    print_messages(rsp);
    ivadmin_free(rsp);
    return 1;
  }
  ivadmin_free(rsp);

  /* 2. Perform the task on the named server. */
  rc = ivadmin_server_performtask(ctx, argv[1], task, NULL, NULL, &rcount, &results, &rsp);

  /* 3. Print what came back, freeing each line and then the array. */
  for (i = 0; i < rcount; i++) {
    printf("%s\n", results[i]);
    ivadmin_free(results[i]);
  }
  ivadmin_free(results);
  print_messages(rsp);
  ivadmin_free(rsp);

  /* 4. End the context. */
  ivadmin_context_delete(ctx, &rsp);
  ivadmin_free(rsp);
  return rc == IVADMIN_TRUE ? 0 : 1;
}
