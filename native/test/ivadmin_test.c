/* ivadmin_test.c -- the ivadminapi.h client library from plain C11, against
 * a running admin API (test/ivadmin.test.ts starts a stand-in and runs this
 * under AddressSanitizer + LeakSanitizer).
 *
 *   ivadmin_test [url [ca-file [user [password]]]]
 *
 * Each argument not given comes from the environment: IVADMIN_TEST_URL
 * (https://host:port), IVADMIN_TEST_CA, IVADMIN_TEST_USER,
 * IVADMIN_TEST_PASSWORD. Also from the environment: IVADMIN_TEST_SERVER
 * (the server name tasks go to), IVADMIN_TEST_TARGET (a user holding
 * sessions, ended by the test), IVADMIN_TEST_DENIED_USER and
 * IVADMIN_TEST_DENIED_PASSWORD (an account that authenticates but may not
 * run tasks), IVADMIN_TEST_STANDIN=1 when the server is the test stand-in
 * (test/helpers/fake-admin.ts): only then do the round-trip, protocol-error
 * and JSON checks run, which need its `echo` and `fake-reply` tasks.
 *
 * Prints "ok - <check>" / "not ok - <check>", "# <check>: ..." detail lines
 * (results and messages, control characters escaped as \xNN) and at the end
 * "ivadmin_test: N passed, N failed". Exit status 1 if any check failed. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ivadminapi.h"

static int passed = 0, failed = 0, current_failures = 0;
static const char *current = "";

#define EXPECT(c)                                                                                                  \
  do {                                                                                                             \
    if (!(c)) {                                                                                                    \
      ++current_failures;                                                                                          \
      fprintf(stderr, "  FAIL %s line %d: %s\n", current, __LINE__, #c);                                          \
    }                                                                                                              \
  } while (0)

static void run(const char *name, void (*fn)(void)) {
  current = name;
  current_failures = 0;
  fn();
  if (current_failures == 0) {
    ++passed;
    printf("ok - %s\n", name);
  } else {
    ++failed;
    printf("not ok - %s\n", name);
  }
  fflush(stdout);
}

/* --- configuration ------------------------------------------------------ */

static const char *url, *ca, *user, *password, *server, *target, *denied_user, *denied_password;
static char host[256];
static int standin;
static unsigned long port;

static const char *setting(int argc, char **argv, int i, const char *env, const char *fallback) {
  const char *v = argc > i ? argv[i] : getenv(env);
  return v != NULL && *v != '\0' ? v : fallback;
}

/* https://host:port -> host, port (IPv6 literals in brackets). */
static int split_url(const char *u) {
  const char *p = strncmp(u, "https://", 8) == 0 ? u + 8 : NULL;
  const char *colon;
  size_t n;
  if (p == NULL) return 0;
  if (*p == '[') {
    const char *close = strchr(p, ']');
    if (close == NULL || close[1] != ':') return 0;
    n = (size_t)(close - p - 1);
    if (n >= sizeof host) return 0;
    memcpy(host, p + 1, n);
    colon = close + 1;
  } else {
    colon = strrchr(p, ':');
    if (colon == NULL) return 0;
    n = (size_t)(colon - p);
    if (n >= sizeof host) return 0;
    memcpy(host, p, n);
  }
  host[n] = '\0';
  port = strtoul(colon + 1, NULL, 10);
  return port > 0 && port < 65536;
}

/* --- helpers ------------------------------------------------------------ */

/* Prints s with control characters and backslashes escaped, so that the
 * ava test can compare exact bytes. */
static void print_escaped(const char *s) {
  for (; *s; ++s) {
    unsigned char c = (unsigned char)*s;
    if (c == '\\') fputs("\\\\", stdout);
    else if (c < 0x20 || c == 0x7f) printf("\\x%02x", c);
    else putchar(c);
  }
}

static void show_response(const char *what, ivadmin_response rsp) {
  unsigned long i, n = ivadmin_response_getcount(rsp);
  for (i = 0; i < n; ++i) {
    const char *m = ivadmin_response_getmessage(rsp, i);
    printf("# %s: message[%lu] code=0x%08lx modifier=%lu text=", what, i, ivadmin_response_getcode(rsp, i),
           ivadmin_response_getmodifier(rsp, i));
    print_escaped(m != NULL ? m : "(null)");
    putchar('\n');
  }
}

static void show_lines(const char *what, const char *kind, char **lines, unsigned long n) {
  unsigned long i;
  for (i = 0; i < n; ++i) {
    printf("# %s: %s[%lu]=", what, kind, i);
    print_escaped(lines[i]);
    putchar('\n');
  }
}

static void free_lines(char **lines, unsigned long n) {
  unsigned long i;
  for (i = 0; i < n; ++i) ivadmin_free(lines[i]);
  ivadmin_free(lines);
}

static int contains(const char *haystack, const char *needle) {
  return haystack != NULL && strstr(haystack, needle) != NULL;
}

/* Checks a failed call's response: not ok, first message an error with the
 * expected code, and non-empty text containing `needle` (if given). */
static void expect_failure(ivadmin_response rsp, unsigned long code, const char *needle) {
  const char *m = ivadmin_response_getmessage(rsp, 0);
  EXPECT(rsp != NULL);
  EXPECT(ivadmin_response_getok(rsp) == IVADMIN_FALSE);
  EXPECT(ivadmin_response_getcount(rsp) >= 1);
  EXPECT(ivadmin_response_getmodifier(rsp, 0) == IVADMIN_RESPONSE_ERROR);
  EXPECT(ivadmin_response_getcode(rsp, 0) == code);
  EXPECT(m != NULL && *m != '\0');
  if (needle != NULL) EXPECT(contains(m, needle));
  if (ivadmin_response_getcode(rsp, 0) != code)
    fprintf(stderr, "  %s: code 0x%08lx, expected 0x%08lx\n", current, ivadmin_response_getcode(rsp, 0), code);
}

/* A request the server refused: as expect_failure, but the code is either
 * the server's own (admin plane 0x4741nnnn or task engine 0x4754nnnn, when
 * its reply carries a message) or the status's IVADMIN_GH_E_* code. */
static int server_code(unsigned long code) {
  return (code & 0xffff0000UL) == 0x47410000UL || (code & 0xffff0000UL) == 0x47540000UL;
}

static void expect_refusal(ivadmin_response rsp, unsigned long status_code, const char *needle) {
  unsigned long code = ivadmin_response_getcode(rsp, 0);
  expect_failure(rsp, server_code(code) ? code : status_code, needle);
}

static ivadmin_context login_as(const char *id, const char *pwd) {
  ivadmin_context ctx = NULL;
  ivadmin_response rsp = NULL;
  unsigned long rc = ivadmin_context_create(ca, "", "", id, pwd, "", host, port, &ctx, &rsp);
  EXPECT(rc == IVADMIN_TRUE);
  EXPECT(ivadmin_response_getok(rsp) == IVADMIN_TRUE);
  if (rc != IVADMIN_TRUE) show_response(current, rsp);
  ivadmin_free(rsp);
  return ctx;
}

static void logout(ivadmin_context ctx) {
  ivadmin_response rsp = NULL;
  EXPECT(ivadmin_context_delete(ctx, &rsp) == IVADMIN_TRUE);
  EXPECT(ivadmin_response_getok(rsp) == IVADMIN_TRUE);
  ivadmin_free(rsp);
}

/* A TCP port on 127.0.0.1 that refuses connections (bound, not listening)
 * or accepts them and never answers (listening, never accepting). The
 * socket stays open so that no one else takes the port meanwhile. */
static int local_port(int listening, unsigned long *p) {
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || (listening && listen(fd, 8) != 0) ||
      getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
    perror("local_port");
    if (fd >= 0) close(fd);
    return -1;
  }
  *p = ntohs(a.sin_port);
  return fd;
}

/* --- checks ------------------------------------------------------------- */

static void create_and_delete(void) {
  ivadmin_context ctx = NULL;
  ivadmin_response rsp = NULL;
  unsigned long rc = ivadmin_context_create(ca, NULL, NULL, user, password, NULL, host, port,
                                            &ctx, &rsp);
  EXPECT(rc == IVADMIN_TRUE);
  EXPECT(ctx != NULL);
  EXPECT(ivadmin_response_getok(rsp) == IVADMIN_TRUE);
  EXPECT(ivadmin_response_getcount(rsp) == 0);
  ivadmin_free(rsp);
  rsp = NULL;
  EXPECT(ivadmin_context_delete(ctx, &rsp) == IVADMIN_TRUE);
  ivadmin_free(rsp);
  /* A second delete is reported, not a crash. */
  rsp = NULL;
  EXPECT(ivadmin_context_delete(ctx, &rsp) == IVADMIN_FALSE);
  expect_failure(rsp, IVADMIN_GH_E_HANDLE, "context");
  ivadmin_free(rsp);
}

static void createdefault_from_env(void) {
  ivadmin_context ctx = NULL;
  ivadmin_response rsp = NULL;
  setenv("GATEHOUSE_ADMIN_URL", url, 1);
  setenv("GATEHOUSE_ADMIN_CA", ca, 1);
  /* A config file named explicitly must exist, even when the env gives the
   * URL and the CA (it may still hold the timeout). */
  setenv("GATEHOUSE_IVADMIN_CONF", "/nonexistent/ivadmin.conf", 1);
  EXPECT(ivadmin_context_createdefault(user, password, &ctx, &rsp) == IVADMIN_FALSE);
  expect_failure(rsp, IVADMIN_GH_E_CONFIG, "/nonexistent/ivadmin.conf");
  ivadmin_free(rsp);
  unsetenv("GATEHOUSE_IVADMIN_CONF");
  rsp = NULL;
  EXPECT(ivadmin_context_createdefault(user, password, &ctx, &rsp) == IVADMIN_TRUE);
  EXPECT(ivadmin_response_getok(rsp) == IVADMIN_TRUE);
  show_response(current, rsp);
  ivadmin_free(rsp);
  logout(ctx);
}

static void createdefault_from_config_file(void) {
  char path[] = "/tmp/ivadmin-test-XXXXXX";
  ivadmin_context ctx = NULL;
  ivadmin_response rsp = NULL;
  int fd = mkstemp(path);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  EXPECT(f != NULL);
  if (f == NULL) return;
  fprintf(f, "# written by ivadmin_test\n\n  url = %s/\n; a comment\nca=%s\ntimeout = 5\n", url, ca);
  fclose(f);
  unsetenv("GATEHOUSE_ADMIN_URL");
  unsetenv("GATEHOUSE_ADMIN_CA");
  setenv("GATEHOUSE_IVADMIN_CONF", path, 1);
  EXPECT(ivadmin_context_createdefault(user, password, &ctx, &rsp) == IVADMIN_TRUE);
  show_response(current, rsp);
  ivadmin_free(rsp);
  logout(ctx);

  /* An unknown key is named with its file and line. */
  f = fopen(path, "w");
  EXPECT(f != NULL);
  if (f != NULL) {
    fprintf(f, "url = %s\nsevrer = oops\n", url);
    fclose(f);
  }
  rsp = NULL;
  ctx = (ivadmin_context)1; /* must be reset to NULL on failure */
  EXPECT(ivadmin_context_createdefault(user, password, &ctx, &rsp) == IVADMIN_FALSE);
  EXPECT(ctx == NULL);
  expect_failure(rsp, IVADMIN_GH_E_CONFIG, ":2: unknown key 'sevrer'");
  show_response(current, rsp);
  ivadmin_free(rsp);
  unlink(path);
  unsetenv("GATEHOUSE_IVADMIN_CONF");
}

static void wrong_password(void) {
  ivadmin_context ctx = NULL;
  ivadmin_response rsp = NULL;
  EXPECT(ivadmin_context_create(ca, "", "", user, "not-the-password", "", host, port, &ctx, &rsp) ==
         IVADMIN_FALSE);
  EXPECT(ctx == NULL);
  expect_refusal(rsp, IVADMIN_GH_E_AUTH, NULL);
  show_response(current, rsp);
  ivadmin_free(rsp);
}

static void unreachable_server(void) {
  unsigned long dead = 0;
  char needle[64];
  ivadmin_context ctx = NULL;
  ivadmin_response rsp = NULL;
  int fd = local_port(0, &dead);
  EXPECT(fd >= 0);
  if (fd < 0) return;
  EXPECT(ivadmin_context_create(ca, "", "", user, password, "", "127.0.0.1", dead, &ctx,
                                &rsp) == IVADMIN_FALSE);
  EXPECT(ctx == NULL);
  snprintf(needle, sizeof needle, "https://127.0.0.1:%lu/", dead);
  expect_failure(rsp, IVADMIN_GH_E_CONNECT, needle);
  show_response(current, rsp);
  ivadmin_free(rsp);
  close(fd);
}

static void silent_server_times_out(void) {
  unsigned long mute = 0;
  ivadmin_context ctx = NULL;
  ivadmin_response rsp = NULL;
  int fd = local_port(1, &mute);
  EXPECT(fd >= 0);
  if (fd < 0) return;
  setenv("GATEHOUSE_ADMIN_TIMEOUT", "0.5", 1);
  EXPECT(ivadmin_context_create(ca, "", "", user, password, "", "127.0.0.1", mute, &ctx,
                                &rsp) == IVADMIN_FALSE);
  expect_failure(rsp, IVADMIN_GH_E_CONNECT, "imeout");
  show_response(current, rsp);
  ivadmin_free(rsp);
  rsp = NULL;
  setenv("GATEHOUSE_ADMIN_TIMEOUT", "ten", 1);
  EXPECT(ivadmin_context_create(ca, "", "", user, password, "", "127.0.0.1", mute, &ctx,
                                &rsp) == IVADMIN_FALSE);
  expect_failure(rsp, IVADMIN_GH_E_CONFIG, "GATEHOUSE_ADMIN_TIMEOUT");
  ivadmin_free(rsp);
  unsetenv("GATEHOUSE_ADMIN_TIMEOUT");
  close(fd);
}

static void untrusted_certificate(void) {
  ivadmin_context ctx = NULL;
  ivadmin_response rsp = NULL;
  /* The system's CAs do not trust the server's self-signed certificate. */
  EXPECT(ivadmin_context_create(NULL, "", "", user, password, "", host, port, &ctx, &rsp) ==
         IVADMIN_FALSE);
  expect_failure(rsp, IVADMIN_GH_E_CONNECT, url);
  show_response(current, rsp);
  ivadmin_free(rsp);
  rsp = NULL;
  EXPECT(ivadmin_context_create("/nonexistent/ca.pem", "", "", user, password, "", host, port, &ctx,
                                &rsp) == IVADMIN_FALSE);
  expect_failure(rsp, IVADMIN_GH_E_CONFIG, "/nonexistent/ca.pem");
  ivadmin_free(rsp);
}

static void performtask_with_results(void) {
  ivadmin_context ctx = login_as(user, password);
  ivadmin_response rsp = NULL;
  unsigned long rcount = 99, i;
  char **results = NULL;
  char task[300];
  azn_attrlist_h_t outdata = (azn_attrlist_h_t)&rcount; /* must come back NULL */
  snprintf(task, sizeof task, "list sessions %s", target);
  EXPECT(ivadmin_server_performtask(ctx, server, task, NULL, &outdata, &rcount, &results, &rsp) == IVADMIN_TRUE);
  EXPECT(outdata == NULL);
  EXPECT(ivadmin_response_getok(rsp) == IVADMIN_TRUE);
  EXPECT(rcount >= 1);
  EXPECT(results != NULL);
  for (i = 0; i < rcount; ++i) EXPECT(results[i] != NULL);
  EXPECT(ivadmin_response_getcount(rsp) >= 1);
  for (i = 0; i < ivadmin_response_getcount(rsp); ++i) EXPECT(ivadmin_response_getmodifier(rsp, i) <= 2);
  show_lines(current, "result", results, rcount);
  show_response(current, rsp);
  free_lines(results, rcount);
  ivadmin_free(rsp);

  /* The reference's own example: end all of a user's sessions. */
  rsp = NULL;
  snprintf(task, sizeof task, "terminate all_sessions %s", target);
  EXPECT(ivadmin_server_performtask(ctx, server, task, NULL, NULL, &rcount, &results, &rsp) == IVADMIN_TRUE);
  EXPECT(ivadmin_response_getcount(rsp) >= 1);
  EXPECT(ivadmin_response_getmodifier(rsp, 0) == IVADMIN_RESPONSE_INFO);
  show_lines(current, "result", results, rcount);
  show_response(current, rsp);
  free_lines(results, rcount);
  ivadmin_free(rsp);

  /* Again: nothing left, a warning but still success. */
  rsp = NULL;
  EXPECT(ivadmin_server_performtask(ctx, server, task, NULL, NULL, &rcount, &results, &rsp) == IVADMIN_TRUE);
  EXPECT(ivadmin_response_getcount(rsp) >= 1);
  EXPECT(ivadmin_response_getmodifier(rsp, 0) == IVADMIN_RESPONSE_WARNING);
  show_response(current, rsp);
  free_lines(results, rcount);
  ivadmin_free(rsp);
  logout(ctx);
}

static void performtask_failing_task(void) {
  ivadmin_context ctx = login_as(user, password);
  ivadmin_response rsp = NULL;
  unsigned long rcount = 0;
  char **results = NULL;
  char *huge = malloc(5000);

  /* Runs, but fails: ok false with the engine's error message. */
  EXPECT(ivadmin_server_performtask(ctx, server, "help frobnicate", NULL, NULL, &rcount, &results, &rsp) ==
         IVADMIN_FALSE);
  EXPECT(ivadmin_response_getok(rsp) == IVADMIN_FALSE);
  EXPECT(ivadmin_response_getcount(rsp) >= 1);
  EXPECT(ivadmin_response_getmodifier(rsp, 0) == IVADMIN_RESPONSE_ERROR);
  EXPECT((ivadmin_response_getcode(rsp, 0) & 0xffff0000UL) == 0x47540000UL); /* the engine's own code */
  show_response(current, rsp);
  free_lines(results, rcount);
  ivadmin_free(rsp);

  /* Does not parse: the server refuses the request (400) with the parse
   * error's code. */
  rsp = NULL;
  EXPECT(ivadmin_server_performtask(ctx, server, "frobnicate everything", NULL, NULL, &rcount, &results, &rsp) ==
         IVADMIN_FALSE);
  EXPECT(rcount == 0 && results == NULL);
  expect_failure(rsp, ivadmin_response_getcode(rsp, 0), "parse");
  EXPECT((ivadmin_response_getcode(rsp, 0) & 0xffff0000UL) == 0x47540000UL);
  show_response(current, rsp);
  ivadmin_free(rsp);

  /* Longer than 4096 bytes: 400 without a message code. */
  rsp = NULL;
  EXPECT(huge != NULL);
  if (huge != NULL) {
    memcpy(huge, "echo ", 5);
    memset(huge + 5, 'x', 4994);
    huge[4999] = '\0';
    EXPECT(ivadmin_server_performtask(ctx, server, huge, NULL, NULL, &rcount, &results, &rsp) == IVADMIN_FALSE);
    expect_refusal(rsp, IVADMIN_GH_E_REQUEST, NULL);
    show_response(current, rsp);
    ivadmin_free(rsp);
    free(huge);
  }

  /* An unknown server is the server's 404. */
  rsp = NULL;
  EXPECT(ivadmin_server_performtask(ctx, "default-webseald-nowhere", "help", NULL, NULL, &rcount, &results, &rsp) ==
         IVADMIN_FALSE);
  expect_refusal(rsp, IVADMIN_GH_E_NOT_FOUND, NULL);
  show_response(current, rsp);
  ivadmin_free(rsp);
  logout(ctx);
}

static void denied(void) {
  ivadmin_context ctx = login_as(denied_user, denied_password);
  ivadmin_response rsp = NULL;
  unsigned long rcount = 7;
  char **results = NULL;
  char task[300];
  snprintf(task, sizeof task, "terminate all_sessions %s", target);
  EXPECT(ivadmin_server_performtask(ctx, server, task, NULL, NULL, &rcount, &results, &rsp) == IVADMIN_FALSE);
  EXPECT(rcount == 0 && results == NULL);
  expect_refusal(rsp, IVADMIN_GH_E_DENIED, NULL);
  show_response(current, rsp);
  ivadmin_free(rsp);
  logout(ctx);
}

/* Quotes, backslashes, control characters and UTF-8 reach the server and
 * come back byte for byte (the stand-in's `echo` task returns its text). */
static const char tricky[] = "He said \"hi\" \\ C:\\path\\ \"\\\"\" tab\there nl\nthere \x01\x1f\x7f "
                             "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92 end\\";

static void task_round_trip(void) {
  ivadmin_context ctx = login_as(user, password);
  ivadmin_response rsp = NULL;
  unsigned long rcount = 0;
  char **results = NULL;
  char task[512];
  snprintf(task, sizeof task, "echo %s", tricky);
  EXPECT(ivadmin_server_performtask(ctx, server, task, NULL, NULL, &rcount, &results, &rsp) == IVADMIN_TRUE);
  EXPECT(rcount == 1);
  EXPECT(rcount >= 1 && strcmp(results[0], tricky) == 0);
  show_lines(current, "result", results, rcount);
  free_lines(results, rcount);
  ivadmin_free(rsp);

  /* Invalid UTF-8 is refused locally rather than mangled on the way. */
  rsp = NULL;
  EXPECT(ivadmin_server_performtask(ctx, server, "echo \xc3\x28", NULL, NULL, &rcount, &results, &rsp) ==
         IVADMIN_FALSE);
  expect_failure(rsp, IVADMIN_GH_E_ARGUMENT, "UTF-8");
  ivadmin_free(rsp);
  logout(ctx);
}

static void protocol_errors(void) {
  ivadmin_context ctx = login_as(user, password);
  ivadmin_response rsp = NULL;
  unsigned long rcount = 0;
  char **results = NULL;
  EXPECT(ivadmin_server_performtask(ctx, server, "fake-reply garbage", NULL, NULL, &rcount, &results, &rsp) ==
         IVADMIN_FALSE);
  expect_failure(rsp, IVADMIN_GH_E_PROTOCOL, "not valid JSON");
  show_response(current, rsp);
  ivadmin_free(rsp);
  rsp = NULL;
  EXPECT(ivadmin_server_performtask(ctx, server, "fake-reply no-commands", NULL, NULL, &rcount, &results, &rsp) ==
         IVADMIN_FALSE);
  expect_failure(rsp, IVADMIN_GH_E_PROTOCOL, "exactly one command");
  ivadmin_free(rsp);
  rsp = NULL;
  EXPECT(ivadmin_server_performtask(ctx, server, "fake-reply bad-severity", NULL, NULL, &rcount, &results, &rsp) ==
         IVADMIN_FALSE);
  expect_failure(rsp, IVADMIN_GH_E_PROTOCOL, "severity");
  EXPECT(rcount == 0 && results == NULL);
  ivadmin_free(rsp);
  logout(ctx);
}

/* Sends `body` back through the stand-in (`fake-reply hex`) and runs
 * performtask on it. */
static unsigned long reply_with(ivadmin_context ctx, const char *body, unsigned long *rcount, char ***results,
                                ivadmin_response *rsp) {
  static const char hex[] = "0123456789abcdef";
  char task[4096];
  size_t n = strlen(body), i, at = strlen("fake-reply hex ");
  if (at + 2 * n >= sizeof task) return 99;
  memcpy(task, "fake-reply hex ", at);
  for (i = 0; i < n; ++i) {
    task[at++] = hex[(unsigned char)body[i] >> 4];
    task[at++] = hex[(unsigned char)body[i] & 0xf];
  }
  task[at] = '\0';
  return ivadmin_server_performtask(ctx, server, task, NULL, NULL, rcount, results, rsp);
}

#define REPLY_HEAD "{\"result\":\"\",\"commands\":[{\"command\":\"c\",\"ok\":true,"

/* The reader accepts every JSON form the server may use and rejects the
 * rest as a protocol error (never a crash, never a guess). */
static void json_strictness(void) {
  static const char *const bad[] = {
      REPLY_HEAD "\"results\":[],\"messages\":[]}]} x",                     /* trailing bytes */
      REPLY_HEAD "\"results\":[],\"results\":[\"x\"],\"messages\":[]}]}",   /* duplicate key */
      REPLY_HEAD "\"results\":[\"\\ud800\"],\"messages\":[]}]}",              /* lone surrogate */
      REPLY_HEAD "\"results\":[\"\\udc00\\ud800\"],\"messages\":[]}]}",       /* reversed pair */
      REPLY_HEAD "\"results\":[\"\xff\"],\"messages\":[]}]}",                 /* invalid UTF-8 */
      REPLY_HEAD "\"results\":[\"\xc0\xaf\"],\"messages\":[]}]}",             /* overlong */
      REPLY_HEAD "\"results\":[\"\xed\xa0\x80\"],\"messages\":[]}]}",         /* encoded surrogate */
      REPLY_HEAD "\"results\":[\"a\x01\"],\"messages\":[]}]}",                /* raw control char */
      REPLY_HEAD "\"results\":[\"a\\u0000b\"],\"messages\":[]}]}",            /* NUL */
      REPLY_HEAD "\"results\":[\"\\x41\"],\"messages\":[]}]}",                /* bad escape */
      REPLY_HEAD "\"results\":[],\"messages\":[],\"n\":01}]}",                /* leading zero */
      REPLY_HEAD "\"results\":[],\"messages\":[],\"n\":1.}]}",                /* bare point */
      REPLY_HEAD "\"results\":[],\"messages\":[],\"n\":1e999}]}",             /* out of range */
      REPLY_HEAD "\"results\":[1],\"messages\":[]}]}",                        /* not a string */
      REPLY_HEAD "\"results\":[\"a\",],\"messages\":[]}]}",                   /* trailing comma */
      REPLY_HEAD "'results':[],\"messages\":[]}]}",                           /* single quotes */
      REPLY_HEAD "\"results\":[],\"messages\":[]}]",                          /* truncated */
      REPLY_HEAD "\"results\":[]}]}",                                         /* no messages */
      REPLY_HEAD "\"ok\":1,\"results\":[],\"messages\":[]}]}",                /* duplicate ok */
      REPLY_HEAD "\"results\":[],\"messages\":[{\"id\":\"X\",\"code\":4294967296,\"severity\":\"info\",\"text\":\"t\"}]}]}",
      REPLY_HEAD "\"results\":[],\"messages\":[{\"id\":\"X\",\"code\":-1,\"severity\":\"info\",\"text\":\"t\"}]}]}",
      REPLY_HEAD "\"results\":[],\"messages\":[{\"id\":\"X\",\"code\":1.5,\"severity\":\"info\",\"text\":\"t\"}]}]}",
      REPLY_HEAD "\"results\":[],\"messages\":[{\"id\":\"X\",\"code\":1,\"severity\":\"info\"}]}]}",
      "",
      "[]",
  };
  char deep[400];
  ivadmin_context ctx = login_as(user, password);
  ivadmin_response rsp = NULL;
  unsigned long rcount = 0, i;
  char **results = NULL;

  /* Everything a strict reader must take: escapes, surrogate pairs, raw
   * UTF-8, unknown members of every type, exponents, whitespace. */
  EXPECT(reply_with(ctx,
                    " \t\r\n{\"result\" : \"x\", \"extra\": [1.5e3, -0, 0.25E-2, true, false, null, {}, [[]]],\n"
                    " \"commands\" : [ {\"command\":\"c\",\"ok\":true,\"results\":[\"caf\\u00e9 \\ud83d\\udd12 \\/ "
                    "\\\"q\\\" \\\\ \\t\\b\\f\\r\\n\", \"\xe2\x82\xac\", \"\"],\"messages\":[{\"id\":\"GHWAT0001I\","
                    "\"code\":4294967295,\"severity\":\"warning\",\"text\":\"\\u2028 ok\",\"new\":1}]} ] } ",
                    &rcount, &results, &rsp) == IVADMIN_TRUE);
  EXPECT(rcount == 3);
  if (rcount == 3) {
    EXPECT(strcmp(results[0], "caf\xc3\xa9 \xf0\x9f\x94\x92 / \"q\" \\ \t\b\f\r\n") == 0);
    EXPECT(strcmp(results[1], "\xe2\x82\xac") == 0);
    EXPECT(strcmp(results[2], "") == 0);
  }
  EXPECT(ivadmin_response_getcount(rsp) == 1);
  EXPECT(ivadmin_response_getcode(rsp, 0) == 4294967295UL);
  EXPECT(ivadmin_response_getmodifier(rsp, 0) == IVADMIN_RESPONSE_WARNING);
  EXPECT(contains(ivadmin_response_getmessage(rsp, 0), "\xe2\x80\xa8 ok"));
  free_lines(results, rcount);
  ivadmin_free(rsp);

  for (i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    rsp = NULL;
    EXPECT(reply_with(ctx, bad[i], &rcount, &results, &rsp) == IVADMIN_FALSE);
    EXPECT(rcount == 0 && results == NULL);
    expect_failure(rsp, IVADMIN_GH_E_PROTOCOL, NULL);
    if (ivadmin_response_getcode(rsp, 0) != IVADMIN_GH_E_PROTOCOL) fprintf(stderr, "  bad[%lu] was accepted\n", i);
    ivadmin_free(rsp);
  }

  /* Nesting deeper than 64 is refused before it can exhaust the stack. */
  memset(deep, 0, sizeof deep);
  strcpy(deep, "{\"n\":");
  for (i = 0; i < 100; ++i) strcat(deep, "[");
  rsp = NULL;
  EXPECT(reply_with(ctx, deep, &rcount, &results, &rsp) == IVADMIN_FALSE);
  expect_failure(rsp, IVADMIN_GH_E_PROTOCOL, "deeply");
  ivadmin_free(rsp);
  logout(ctx);
}

static void gettasklist(void) {
  ivadmin_context ctx = login_as(user, password);
  ivadmin_response rsp = NULL;
  unsigned long tcount = 0, rcount = 5, i;
  char **tasks = NULL, **results = (char **)&rcount;
  EXPECT(ivadmin_server_gettasklist(ctx, server, NULL, &tcount, &tasks, NULL, &rcount, &results, &rsp) ==
         IVADMIN_TRUE);
  EXPECT(ivadmin_response_getok(rsp) == IVADMIN_TRUE);
  EXPECT(tcount >= 1);
  EXPECT(rcount == 0 && results == NULL);
  for (i = 0; i < tcount; ++i) EXPECT(tasks[i] != NULL && *tasks[i] != '\0');
  show_lines(current, "task", tasks, tcount);
  free_lines(tasks, tcount);
  ivadmin_free(rsp);

  rsp = NULL;
  EXPECT(ivadmin_server_gettasklist(ctx, "no such/server", NULL, &tcount, &tasks, NULL, &rcount, &results, &rsp) ==
         IVADMIN_FALSE);
  expect_failure(rsp, IVADMIN_GH_E_ARGUMENT, "serverid");
  ivadmin_free(rsp);
  rsp = NULL;
  EXPECT(ivadmin_server_gettasklist(ctx, "default-webseald-nowhere", NULL, &tcount, &tasks, NULL, &rcount, &results,
                                    &rsp) == IVADMIN_FALSE);
  expect_refusal(rsp, IVADMIN_GH_E_NOT_FOUND, NULL);
  ivadmin_free(rsp);
  logout(ctx);
}

static void bad_arguments(void) {
  ivadmin_context ctx = login_as(user, password), other;
  ivadmin_response rsp = NULL;
  unsigned long rcount = 0;
  char **results = NULL;

  EXPECT(ivadmin_server_performtask(NULL, server, "help", NULL, NULL, &rcount, &results, &rsp) == IVADMIN_FALSE);
  expect_failure(rsp, IVADMIN_GH_E_HANDLE, "context");
  ivadmin_free(rsp);
  rsp = NULL;
  EXPECT(ivadmin_server_performtask(ctx, NULL, "help", NULL, NULL, &rcount, &results, &rsp) == IVADMIN_FALSE);
  expect_failure(rsp, IVADMIN_GH_E_ARGUMENT, "serverid");
  ivadmin_free(rsp);
  rsp = NULL;
  EXPECT(ivadmin_server_performtask(ctx, server, "  ", NULL, NULL, &rcount, &results, &rsp) == IVADMIN_FALSE);
  expect_failure(rsp, IVADMIN_GH_E_ARGUMENT, "task");
  ivadmin_free(rsp);
  rsp = NULL;
  other = (ivadmin_context)&rcount; /* a failed create sets it to NULL */
  EXPECT(ivadmin_context_create(ca, "", "", "a:b", password, "", host, port, &other, &rsp) ==
         IVADMIN_FALSE);
  expect_failure(rsp, IVADMIN_GH_E_ARGUMENT, "userid");
  ivadmin_free(rsp);
  EXPECT(other == NULL);

  /* A NULL rsp is allowed; the return value still tells. */
  EXPECT(ivadmin_server_performtask(NULL, server, "help", NULL, NULL, &rcount, &results, NULL) == IVADMIN_FALSE);

  /* Getters on NULL and out-of-range indexes. */
  EXPECT(ivadmin_response_getok(NULL) == IVADMIN_FALSE);
  EXPECT(ivadmin_response_getcount(NULL) == 0);
  EXPECT(ivadmin_response_getmessage(NULL, 0) == NULL);
  rsp = NULL;
  EXPECT(ivadmin_context_delete(NULL, &rsp) == IVADMIN_FALSE);
  EXPECT(ivadmin_response_getmessage(rsp, 1) == NULL);
  EXPECT(ivadmin_response_getcode(rsp, 1) == 0);
  EXPECT(ivadmin_response_getmodifier(rsp, 99) == 0);
  EXPECT(ivadmin_response_getmessage(rsp, (unsigned long)-1) == NULL);
  ivadmin_free(rsp);
  ivadmin_free(NULL);
  logout(ctx);
}

/* Contexts used from several threads at once: one each, and one shared. */
#define THREADS 4
#define ROUNDS 5
static ivadmin_context shared_ctx;
static int thread_errors;
static pthread_mutex_t thread_lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg) {
  int id = (int)(size_t)arg, k, bad = 0;
  for (k = 0; k < ROUNDS; ++k) {
    ivadmin_context own = NULL;
    ivadmin_response rsp = NULL;
    char who[32], task[80];
    unsigned long rcount = 0;
    char **results = NULL;
    int round;
    if (ivadmin_context_create(ca, "", "", user, password, "", host, port, &own, &rsp) !=
        IVADMIN_TRUE)
      ++bad;
    ivadmin_free(rsp);
    for (round = 0; round < 2; ++round) {
      ivadmin_context c = round == 0 ? own : shared_ctx;
      /* Nobody by that name holds a session: the warning names the user,
       * which shows each reply reached the thread that asked. */
      snprintf(who, sizeof who, "t%dr%d%s", id, k, round == 0 ? "own" : "shared");
      snprintf(task, sizeof task, "list sessions %s", who);
      rsp = NULL;
      if (ivadmin_server_performtask(c, server, task, NULL, NULL, &rcount, &results, &rsp) != IVADMIN_TRUE ||
          ivadmin_response_getcount(rsp) < 1 || !contains(ivadmin_response_getmessage(rsp, 0), who))
        ++bad;
      free_lines(results, rcount);
      ivadmin_free(rsp);
    }
    rsp = NULL;
    if (ivadmin_context_delete(own, &rsp) != IVADMIN_TRUE) ++bad;
    ivadmin_free(rsp);
  }
  pthread_mutex_lock(&thread_lock);
  thread_errors += bad;
  pthread_mutex_unlock(&thread_lock);
  return NULL;
}

static void threads(void) {
  pthread_t t[THREADS];
  int i;
  shared_ctx = login_as(user, password);
  thread_errors = 0;
  for (i = 0; i < THREADS; ++i) EXPECT(pthread_create(&t[i], NULL, worker, (void *)(size_t)i) == 0);
  for (i = 0; i < THREADS; ++i) pthread_join(t[i], NULL);
  EXPECT(thread_errors == 0);
  logout(shared_ctx);
}

int main(int argc, char **argv) {
  url = setting(argc, argv, 1, "IVADMIN_TEST_URL", NULL);
  ca = setting(argc, argv, 2, "IVADMIN_TEST_CA", NULL);
  user = setting(argc, argv, 3, "IVADMIN_TEST_USER", "sec_master");
  password = setting(argc, argv, 4, "IVADMIN_TEST_PASSWORD", NULL);
  server = setting(0, argv, 0, "IVADMIN_TEST_SERVER", "default-webseald-test");
  target = setting(0, argv, 0, "IVADMIN_TEST_TARGET", "dlucas");
  denied_user = setting(0, argv, 0, "IVADMIN_TEST_DENIED_USER", NULL);
  denied_password = setting(0, argv, 0, "IVADMIN_TEST_DENIED_PASSWORD", NULL);
  if (url == NULL || ca == NULL || password == NULL || denied_user == NULL || denied_password == NULL ||
      !split_url(url)) {
    fprintf(stderr, "usage: ivadmin_test https://host:port ca-file user password\n"
                    "  (or IVADMIN_TEST_URL, _CA, _USER, _PASSWORD; also IVADMIN_TEST_DENIED_USER and\n"
                    "  IVADMIN_TEST_DENIED_PASSWORD, IVADMIN_TEST_SERVER, IVADMIN_TEST_TARGET)\n");
    return 2;
  }
  unsetenv("GATEHOUSE_ADMIN_TIMEOUT");
  standin = getenv("IVADMIN_TEST_STANDIN") != NULL && strcmp(getenv("IVADMIN_TEST_STANDIN"), "1") == 0;

  run("create_and_delete", create_and_delete);
  run("createdefault_from_env", createdefault_from_env);
  run("createdefault_from_config_file", createdefault_from_config_file);
  run("wrong_password", wrong_password);
  run("unreachable_server", unreachable_server);
  run("silent_server_times_out", silent_server_times_out);
  run("untrusted_certificate", untrusted_certificate);
  run("performtask_with_results", performtask_with_results);
  run("performtask_failing_task", performtask_failing_task);
  run("denied", denied);
  if (standin) {
    run("task_round_trip", task_round_trip);
    run("protocol_errors", protocol_errors);
    run("json_strictness", json_strictness);
  } else {
    printf("skip - task_round_trip, protocol_errors, json_strictness (IVADMIN_TEST_STANDIN is not 1)\n");
  }
  run("gettasklist", gettasklist);
  run("bad_arguments", bad_arguments);
  run("threads", threads);

  printf("ivadmin_test: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
