/*
 * ivadminapi.h -- Gatehouse's drop-in for the server-task part of IBM's
 * Administration C API (ivadminapi.h), so that legacy C programs written
 * against it compile and run with only the include path and the link flag
 * changed:
 *
 *   cc prog.c $(pkg-config --cflags --libs gatehouse-ivadmin)
 *   cc prog.c -I<gatehouse>/native/include -L<build> -lgatehouse-ivadmin
 *
 * (installed, headers in <prefix>/include/gatehouse; or from the build tree).
 *
 * The library (libgatehouse-ivadmin.so) talks HTTPS to Gatehouse's admin API
 * (libcurl); native/src/ivadmin/README.md describes the mapping. Prototypes
 * follow the reconstruction in the WebSEAL interface notes (section 6.3):
 * `unsigned long` returns compared with IVADMIN_TRUE, opaque handles passed
 * by value and created through pointers. Every input string is `const char *`
 * (callers passing `char *`, as code written for the original does, compile
 * unchanged; callers passing string literals or `const char *` compile
 * without warnings in C and at all in C++).
 *
 * Memory: every function that takes an `ivadmin_response *` stores a new
 * response there (on success and on failure); free it with ivadmin_free().
 * Each string of a returned `char **` array and the array itself are freed
 * with ivadmin_free() (they are malloc'd, so free() also works). ivadmin_free
 * accepts NULL.
 *
 * Threads: any number of contexts may be used at once from any threads. One
 * context may also be shared; its calls then run one at a time.
 */
#ifndef IVADMINAPI_H
#define IVADMINAPI_H

/* NULL, which legacy callers pass for the attribute lists without including
 * anything else. */
#include <stddef.h>

/* azn_attrlist_h_t, the attribute list handle of indata/outdata. Legacy code
 * includes <ogauthzn.h> itself too; both orders work. */
#include "ogauthzn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Calling convention and symbol export, as the original header spells them
 * on every prototype. Empty calling convention on Unix. */
#ifndef IVADMIN_CALLTYPE
#define IVADMIN_CALLTYPE
#endif
#ifndef IVADMIN_DECLSPEC
#if defined(__GNUC__)
#define IVADMIN_DECLSPEC __attribute__((visibility("default")))
#else
#define IVADMIN_DECLSPEC
#endif
#endif

/* Return values of every call (and of ivadmin_response_getok). */
#define IVADMIN_TRUE 1
#define IVADMIN_FALSE 0

/* Severity of a response message (ivadmin_response_getmodifier). */
#define IVADMIN_RESPONSE_INFO 0
#define IVADMIN_RESPONSE_WARNING 1
#define IVADMIN_RESPONSE_ERROR 2

/* "Return as many as there are" for the original's list calls. The original
 * value is unconfirmed; no call of this library takes it. */
#define IVADMIN_MAXRETURN 0

/* Opaque handles, passed by value. */
typedef struct ivadmin_context_s *ivadmin_context;
typedef struct ivadmin_response_s *ivadmin_response;

/* Gatehouse extension: message codes (ivadmin_response_getcode) of failures
 * detected on the client side, or reported by an HTTP status whose reply
 * carries no message code of its own. Messages from the server keep the
 * server's codes: 0x4754nnnn (task engine, GHWATnnnn) and 0x4741nnnn (admin
 * plane, GHWAAnnnn, e.g. 0x47410067 "Authorization for the requested command
 * has been denied."). */
#define IVADMIN_GH_E_ARGUMENT 0x47430001UL /* a parameter is missing or malformed */
#define IVADMIN_GH_E_CONFIG 0x47430002UL   /* URL, CA, timeout or config file unusable */
#define IVADMIN_GH_E_CONNECT 0x47430003UL  /* connection refused, TLS failure, timeout */
#define IVADMIN_GH_E_PROTOCOL 0x47430004UL /* the reply is not what the admin API sends */
#define IVADMIN_GH_E_AUTH 0x47430005UL     /* HTTP 401: authentication failed */
#define IVADMIN_GH_E_DENIED 0x47430006UL   /* HTTP 403: not authorized */
#define IVADMIN_GH_E_NOT_FOUND 0x47430007UL /* HTTP 404: unknown server or route */
#define IVADMIN_GH_E_REQUEST 0x47430008UL  /* HTTP 400/405/413/415: request refused */
#define IVADMIN_GH_E_BUSY 0x47430009UL     /* HTTP 429: locked out for a while */
#define IVADMIN_GH_E_SERVER 0x4743000aUL   /* HTTP 5xx or another status */
#define IVADMIN_GH_E_MEMORY 0x4743000bUL   /* out of memory */
#define IVADMIN_GH_E_HANDLE 0x4743000cUL   /* NULL, freed or foreign context handle */

/* Connects to the admin API at https://<serverhost>:<port> (serverhost NULL
 * or "" = "localhost", port 0 = 7135) and authenticates userid/pwd at once
 * (GET /api/v1/whoami, HTTP Basic). keyringfile is a PEM CA bundle to trust
 * (NULL or "" = the system's CAs); keyringstashfile, keyringpassword and
 * serverdn are accepted and ignored. On IVADMIN_FALSE *ctx is NULL and the
 * response says why. The env GATEHOUSE_ADMIN_TIMEOUT (seconds, default 10)
 * bounds every request of the context. */
IVADMIN_DECLSPEC unsigned long IVADMIN_CALLTYPE ivadmin_context_create(
    const char *keyringfile, const char *keyringstashfile, const char *keyringpassword, const char *userid,
    const char *pwd, const char *serverdn, const char *serverhost, unsigned long port, ivadmin_context *ctx,
    ivadmin_response *rsp);

/* As ivadmin_context_create with the local configuration: the URL from env
 * GATEHOUSE_ADMIN_URL, the CA bundle from env GATEHOUSE_ADMIN_CA, each else
 * from /etc/gatehouse/ivadmin.conf (`url = ...`, `ca = ...`, `timeout = ...`;
 * env GATEHOUSE_IVADMIN_CONF names another file) when it exists, else
 * https://localhost:7135 and the system's CAs. */
IVADMIN_DECLSPEC unsigned long IVADMIN_CALLTYPE ivadmin_context_createdefault(const char *userid,
                                                                              const char *pwd,
                                                                              ivadmin_context *ctx,
                                                                              ivadmin_response *rsp);

/* Ends the context and wipes its password. */
IVADMIN_DECLSPEC unsigned long IVADMIN_CALLTYPE ivadmin_context_delete(ivadmin_context ctx, ivadmin_response *rsp);

/* Response accessors. Out-of-range indexes and NULL or freed handles give
 * NULL / 0. The message string lives as long as the response. */
IVADMIN_DECLSPEC unsigned long IVADMIN_CALLTYPE ivadmin_response_getok(ivadmin_response rsp);
IVADMIN_DECLSPEC unsigned long IVADMIN_CALLTYPE ivadmin_response_getcount(ivadmin_response rsp);
IVADMIN_DECLSPEC const char *IVADMIN_CALLTYPE ivadmin_response_getmessage(ivadmin_response rsp,
                                                                          unsigned long index);
IVADMIN_DECLSPEC unsigned long IVADMIN_CALLTYPE ivadmin_response_getcode(ivadmin_response rsp, unsigned long index);
IVADMIN_DECLSPEC unsigned long IVADMIN_CALLTYPE ivadmin_response_getmodifier(ivadmin_response rsp,
                                                                             unsigned long index);

/* Frees a string, a string array or a response handle returned by this
 * library (a context handle too, as ivadmin_context_delete). NULL is fine. */
IVADMIN_DECLSPEC void IVADMIN_CALLTYPE ivadmin_free(void *ptr);

/* Runs `server task <serverid> <task>` (POST /isam/pdadmin), e.g. serverid
 * "default-webseald-host", task "terminate all_sessions dlucas". The task's
 * result lines go to *results (*responsecount strings), its messages to
 * *rsp. IVADMIN_TRUE iff the task succeeded. indata must be NULL. */
IVADMIN_DECLSPEC unsigned long IVADMIN_CALLTYPE ivadmin_server_performtask(
    ivadmin_context ctx, const char *serverid, const char *task, azn_attrlist_h_t indata, azn_attrlist_h_t *outdata,
    unsigned long *responsecount, char ***results, ivadmin_response *rsp);

/* Lists the tasks the server accepts (GET /api/v1/servers/<serverid>/tasks)
 * into *tasklist (*taskcount strings). *results gets no lines (count 0,
 * NULL array); they exist for the original's signature. */
IVADMIN_DECLSPEC unsigned long IVADMIN_CALLTYPE ivadmin_server_gettasklist(
    ivadmin_context ctx, const char *serverid, azn_attrlist_h_t indata, unsigned long *taskcount, char ***tasklist,
    azn_attrlist_h_t *outdata, unsigned long *responsecount, char ***results, ivadmin_response *rsp);

#ifdef __cplusplus
}
#endif

#endif /* IVADMINAPI_H */
