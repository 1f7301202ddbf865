/*
 * gatehouse.h -- the in-process C API of the Gatehouse session table.
 *
 * The table lives in a named POSIX shared-memory segment. Any number of
 * processes and threads may map the same segment (gh_table_create /
 * gh_table_open) and call every function below concurrently: no function
 * takes a lock, lookups never write shared state except the last-access
 * stamp, and a process killed at any instant leaves the table usable for
 * the others. docs/table.md explains the layout and the ordering argument.
 *
 * Conventions
 *   - Every function that can fail returns a gh_status (GH_OK == 0) and, on
 *     failure, leaves the table unchanged. gh_status_name() and
 *     gh_last_error() give a stable code name and a human message.
 *   - Strings are passed as (pointer, length); they need not be
 *     NUL-terminated and are never retained after the call returns.
 *   - Times are milliseconds since the Unix epoch. Functions taking `now_ms`
 *     use the system clock when it is 0 (tests pass explicit times).
 *   - A session ID is the cookie value: 32 base64url characters encoding 24
 *     random bytes from getrandom(2). A user session ID (the value back-ends
 *     see and `terminate session` takes) is 22 base64url characters that
 *     address the slot directly; it is a different value from the cookie.
 */
#ifndef GATEHOUSE_H
#define GATEHOUSE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define GH_API __attribute__((visibility("default")))
#else
#define GH_API
#endif

#define GH_SESSION_ID_LEN 32      /* characters of a session ID (cookie) */
#define GH_USER_SESSION_ID_LEN 22 /* characters of a user session ID */
#define GH_LOGIN_MAX 256          /* bytes of UTF-8 in a login ID */
#define GH_NAME_MAX 200           /* bytes of a segment name */

/* Status codes. Values are stable: they are part of the ABI. */
typedef enum gh_status {
  GH_OK = 0,
  GH_E_INVALID_ARGUMENT = 1, /* a parameter is malformed (see gh_last_error) */
  GH_E_EXISTS = 2,           /* create: a segment of that name exists */
  GH_E_NOT_FOUND = 3,        /* open: no such segment; or no such session */
  GH_E_INCOMPATIBLE = 4,     /* open: magic, layout version or header size
                                are not this build's */
  GH_E_CORRUPT = 5,          /* open: header fails its checksum or a geometry
                                field differs from what create derives, or the
                                file size differs from segment_bytes */
  GH_E_SYSTEM = 6,           /* an OS call failed (errno in the message) */
  GH_E_FULL = 7,             /* no slot or user record could be obtained */
  GH_E_LIMIT = 8,            /* the user's concurrent-session limit is met */
  GH_E_TOO_LARGE = 9,        /* login ID + attributes exceed the slot area */
  GH_E_BUFFER = 10,          /* the caller's output buffer is too small */
  GH_E_PERMISSION = 11       /* open: the segment is not owned by this
                                process's effective uid, or group or others
                                have any access to it (it must be 0600) */
} gh_status;

/* Why validate() refused a session. GH_VALID means it was accepted. The
 * order is stable and is what the login page maps to a message. */
typedef enum gh_reason {
  GH_VALID = 0,
  GH_R_UNKNOWN = 1,                 /* never issued here, or slot reused */
  GH_R_EXPIRED = 2,                 /* lifetime (`timeout`) passed */
  GH_R_INACTIVE = 3,                /* `inactive-timeout` passed */
  GH_R_LOGGED_OUT = 4,              /* the user logged out */
  GH_R_TERMINATED = 5,              /* `terminate session` by an admin */
  GH_R_ALL_SESSIONS_TERMINATED = 6, /* `terminate all_sessions <user>` */
  GH_R_SIGNED_OUT_EVERYWHERE = 7,   /* global sign-out (epoch bump) */
  GH_R_DISPLACED = 8,               /* displaced by another login */
  GH_R_EVICTED = 9                  /* made room when the table was full: the
                                       slot is reused at once, but the cookie
                                       reads evicted for the next `capacity`
                                       evictions (then unknown) */
} gh_reason;
#define GH_REASON_COUNT 10

/* How a session was authenticated (stored as one byte). */
typedef enum gh_auth_method {
  GH_AUTH_OTHER = 0,
  GH_AUTH_FORMS = 1,
  GH_AUTH_BASIC = 2,
  GH_AUTH_CERTIFICATE = 3,
  GH_AUTH_EAI = 4,
  GH_AUTH_TOKEN = 5
} gh_auth_method;

typedef struct gh_table gh_table; /* one process's handle on a segment */

/* Geometry fixed when the segment is created. */
typedef struct gh_table_options {
  uint32_t capacity;   /* max live sessions (`max-entries`), 32..1<<24 */
  uint32_t cred_bytes; /* per-session area for login ID + attributes,
                          multiple of 8, 64..65536; 0 = 400 (512 B slots).
                          Slots are padded to a multiple of 64 bytes. */
} gh_table_options;

/* Create a new segment (fails with GH_E_EXISTS if the name is taken). The
 * name is a POSIX shm name without the leading slash: [A-Za-z0-9._-]. */
GH_API gh_status gh_table_create(const char *name, const gh_table_options *opt,
                                 gh_table **out);
/* Map an existing segment. Refuses (GH_E_PERMISSION) a segment owned by
 * another uid or open to group or others; then checks magic, layout version
 * and header size (GH_E_INCOMPATIBLE), and the header checksum, that capacity
 * is a multiple of 32 in 32..1<<24, that cred_bytes is a multiple of 8 in
 * 64..65536, that every other geometry field and offset equals what
 * gh_table_create derives from those two, and that the file is exactly
 * segment_bytes long (GH_E_CORRUPT). docs/table.md §1 lists the rules. */
GH_API gh_status gh_table_open(const char *name, gh_table **out);
/* Unmap. The segment stays until gh_table_unlink; other users are unaffected. */
GH_API void gh_table_close(gh_table *t);
/* Remove the name; mappings that exist stay valid until closed. */
GH_API gh_status gh_table_unlink(const char *name);

/* Everything a new session carries. */
typedef struct gh_session_spec {
  const char *login;          /* UTF-8, 1..GH_LOGIN_MAX bytes, no NUL */
  size_t login_len;
  const uint8_t *attrs;       /* opaque credential attributes (may be NULL) */
  size_t attrs_len;           /* login_len + attrs_len <= cred_bytes */
  uint32_t lifetime_s;        /* `timeout`; 0 = unlimited */
  uint32_t inactive_s;        /* `inactive-timeout`; 0 = unlimited */
  uint32_t max_sessions;      /* user's concurrent-session limit; 0 = unlimited */
  uint32_t flags;             /* application bits, returned by validate */
  uint8_t auth_method;        /* gh_auth_method */
  uint8_t auth_level;
  uint64_t now_ms;            /* creation time; 0 = system clock */
} gh_session_spec;

/* The fixed-size part of a session, as validate/list return it. */
typedef struct gh_session_info {
  uint32_t slot;              /* slot index; with `seq`, names this incarnation */
  uint32_t seq;
  uint64_t created_ms;
  uint64_t last_access_ms;
  uint32_t lifetime_s;
  uint32_t inactive_s;
  uint32_t generation;        /* user generation the session was born in */
  uint32_t epoch;             /* global epoch the session was born in */
  uint32_t flags;
  uint8_t auth_method;
  uint8_t auth_level;
  uint8_t refresh_needed;     /* 1 after `refresh all_sessions` for the user */
  uint8_t reason;             /* gh_reason (listings report live sessions: 0) */
  uint16_t login_len;
  uint32_t attrs_len;
  char session_id[GH_SESSION_ID_LEN + 1];            /* only from create */
  char user_session_id[GH_USER_SESSION_ID_LEN + 1];
} gh_session_info;

/* Create a session. Fills `out` (session_id included). Fails with GH_E_LIMIT
 * when the user already holds max_sessions live sessions, GH_E_TOO_LARGE when
 * login + attributes do not fit, GH_E_INVALID_ARGUMENT on a bad login ID.
 * On a full table it evicts one valid session, and only after the limit
 * check passed: the user's own least recently used session when it already
 * holds two or more, else (approximately) the least recently used session of
 * the whole table (docs/table.md §6). */
GH_API gh_status gh_session_create(gh_table *t, const gh_session_spec *spec,
                                   gh_session_info *out);

/* Adopt a session that another host created (the distributed session cache):
 * like gh_session_create, but under the given session ID (the cookie the
 * browser already holds) with the given creation and last-access times (0 =
 * now). The session is born in the user's current generation and the table's
 * current epoch: the caller must have checked it is valid in the fleet's
 * store, and drops it again if an invalidation raced with the adoption. If a
 * live session already has this ID, `out` describes it and GH_OK is returned;
 * an ended one stops answering for the ID. max_sessions should be 0 (the fleet
 * enforces the user's limit). GH_E_INVALID_ARGUMENT for a malformed ID. */
GH_API gh_status gh_session_adopt(gh_table *t, const gh_session_spec *spec, const char *sid, size_t sid_len,
                                  uint64_t created_ms, uint64_t last_ms, gh_session_info *out);

/* Validate a session ID (the cookie). Returns GH_VALID and fills `out`, or the
 * reason it is invalid (out->slot/seq still name the tombstone when there is
 * one). To stay string-free, validate leaves out->session_id and
 * out->user_session_id empty: gh_session_read gives the user session ID. With `touch` non-zero the last-access time is advanced (at most one
 * store per second). Never blocks, never allocates. A malformed ID is
 * GH_R_UNKNOWN; gh_session_id_check tells malformed from unknown. */
GH_API gh_reason gh_session_validate(gh_table *t, const char *sid, size_t sid_len,
                                     uint64_t now_ms, int touch, gh_session_info *out);

/* 0 when `sid` has the shape of a session ID, else GH_E_INVALID_ARGUMENT. */
GH_API gh_status gh_session_id_check(const char *sid, size_t sid_len);

/* Copy the login ID, attributes and user session ID of slot/seq (as returned
 * by validate) into caller buffers; any output may be NULL. `usid` needs
 * GH_USER_SESSION_ID_LEN + 1 bytes. GH_E_NOT_FOUND if that incarnation is
 * gone, GH_E_BUFFER (with the lengths filled in) if a buffer is too small. */
GH_API gh_status gh_session_read(gh_table *t, uint32_t slot, uint32_t seq, char *login,
                                 size_t login_cap, size_t *login_len, uint8_t *attrs,
                                 size_t attrs_cap, size_t *attrs_len, char *usid);

/* Advance last-access (what validate does with touch=1). */
GH_API gh_status gh_session_touch(gh_table *t, const char *sid, size_t sid_len,
                                  uint64_t now_ms);

/* End one session by cookie (user logout). GH_E_NOT_FOUND if not live. */
GH_API gh_status gh_session_logout(gh_table *t, const char *sid, size_t sid_len);

/* End one session by user session ID with the given reason
 * (GH_R_TERMINATED, GH_R_DISPLACED or GH_R_LOGGED_OUT). GH_E_NOT_FOUND if
 * not live. */
GH_API gh_status gh_session_terminate(gh_table *t, const char *usid, size_t usid_len,
                                      gh_reason reason);

/* End every session of a login ID in O(1): bumps the user's generation.
 * `reason` is GH_R_ALL_SESSIONS_TERMINATED or GH_R_DISPLACED. *ended receives
 * how many live sessions the user had (0 when the user is unknown). */
GH_API gh_status gh_user_terminate_all(gh_table *t, const char *login, size_t login_len,
                                       gh_reason reason, uint32_t *ended);

/* Mark every session of a login ID for credential refresh on its next
 * request (validate reports refresh_needed). *sessions receives the count. */
GH_API gh_status gh_user_refresh_all(gh_table *t, const char *login, size_t login_len,
                                     uint32_t *sessions);

/* Live session count and limit of a login ID (0, 0 when unknown). */
GH_API gh_status gh_user_count(gh_table *t, const char *login, size_t login_len,
                               uint32_t *count, uint32_t *limit);

/* Sign out everyone in O(1): bumps the global epoch. *epoch gets the new one. */
GH_API gh_status gh_sign_out_everyone(gh_table *t, uint32_t *epoch);

/* Listing. Visits live sessions whose login ID matches: `login` exactly
 * (gh_list_user) or a pattern with `*` wildcards, ASCII case-insensitive
 * (gh_list_pattern). Up to `max` results go to `out`; *total receives how
 * many matched. Listings scan the table: O(capacity), for admin use. */
GH_API gh_status gh_list_user(gh_table *t, const char *login, size_t login_len,
                              uint64_t now_ms, gh_session_info *out, uint32_t max,
                              uint32_t *returned, uint32_t *total);
GH_API gh_status gh_list_pattern(gh_table *t, const char *pattern, size_t pattern_len,
                                 uint64_t now_ms, gh_session_info *out, uint32_t max,
                                 uint32_t *returned, uint32_t *total);

/* Reclaim up to `max` slots of sessions that are dead or past a timeout
 * (their user counts drop). Returns how many were reclaimed in *reclaimed. */
GH_API gh_status gh_reap(gh_table *t, uint64_t now_ms, uint32_t max, uint32_t *reclaimed);

typedef struct gh_stats {
  uint32_t capacity;
  uint32_t cred_bytes;
  uint32_t slot_bytes;
  uint64_t segment_bytes;
  uint32_t live;            /* sessions that would validate now (a scan) */
  uint32_t tombstones;      /* dead slots still telling why */
  uint32_t users;           /* user records in use */
  uint32_t epoch;
  uint64_t created_total;
  uint64_t evictions;
  uint64_t ended[GH_REASON_COUNT]; /* sessions ended, by reason (a global
                                      sign-out is O(1) and is not counted) */
} gh_stats;
GH_API gh_status gh_table_stats(gh_table *t, uint64_t now_ms, gh_stats *out);

/* Consistency check for tests and operators: walks the whole segment and
 * reports the first broken invariant in gh_last_error(). GH_OK if sound. Run
 * it on a quiescent table after gh_reap. A user's count may exceed the truth
 * by at most `slack` (a thread killed between two steps of a create or an
 * end leaves one over-count, never an under-count; see docs/table.md). */
GH_API gh_status gh_table_check(gh_table *t, uint32_t slack);

/* Stable code name of a status ("GH_E_FULL") and of a reason ("expired"). */
GH_API const char *gh_status_name(gh_status s);
GH_API const char *gh_reason_name(gh_reason r);
/* Message for the last failure in this thread (never NULL). */
GH_API const char *gh_last_error(void);

/* ======================================================================
 * Task engine: pdadmin / dscadmin task strings (docs/tasks.md)
 *
 * The in-process equivalent of the reference product's
 * ivadmin_server_performtask() and ivadmin_server_gettasklist(). A task is
 * the text after `server task <server-name>` in a pdadmin command, e.g.
 * "terminate all_sessions \"Mary Jones\"", and may carry that prefix itself.
 * The engine parses it, checks that it is addressed to this server, and
 * acts on the table with the functions above; like them it takes no lock
 * and may be called from any thread or process that maps the table.
 * ====================================================================== */

/* Who "this server" is. All three strings are NUL-terminated and are not
 * retained after the call. */
typedef struct gh_server_identity {
  /* The pdadmin server name, `<instance>-webseald-<host>`, e.g.
   * "default-webseald-host1": what `server task <name>` and the `server`
   * argument of gh_performtask must equal (exactly). Required. */
  const char *server_name;
  /* The `[server] server-name`, `<host>-<instance>`, e.g. "host1-default":
   * encoded into user session ID strings base64(server-name)_<id> and
   * checked when such a string is given to `terminate session`. Required. */
  const char *session_server_name;
  /* The replica set this server belongs to, for the dscadmin commands;
   * NULL means "default". */
  const char *replica_set;
} gh_server_identity;

/* The outcome of a task: an ok flag, result lines, and messages. Opaque;
 * read it with the accessors below and release it with
 * gh_task_response_free. Immutable, so it may be read from any thread. */
typedef struct gh_task_response gh_task_response;

/* Message severities, numbered as the reference product's
 * IVADMIN_RESPONSE_INFO / _WARNING / _ERROR. */
#define GH_TASK_INFO 0
#define GH_TASK_WARNING 1
#define GH_TASK_ERROR 2

/* Perform one task. `server` is the server the caller addresses (NULL or ""
 * means this server); `task` is task_len bytes of UTF-8 (need not be
 * NUL-terminated; NULL only when task_len is 0).
 *
 * Returns GH_OK and a response in *out whenever the task was examined, even
 * when the task itself failed: a malformed or unknown task, a server-name
 * mismatch, an unknown user or session are messages in the response (its ok
 * flag is then 0 for errors, 1 for warnings). Returns GH_E_INVALID_ARGUMENT
 * (and sets *out to NULL) when t, id, id->server_name,
 * id->session_server_name or out is NULL, or task is NULL with task_len > 0;
 * GH_E_SYSTEM when memory for the response could not be had. The caller
 * owns *out and frees it with gh_task_response_free. Each table call a task
 * makes is atomic on its own; a task that ends many users' sessions and runs
 * out of memory half-way (GHWAT0058E) may have ended some of them. */
GH_API gh_status gh_performtask(gh_table *t, const gh_server_identity *id, const char *server,
                                const char *task, size_t task_len, gh_task_response **out);

/* 1 when the task succeeded (no message of severity GH_TASK_ERROR), else 0;
 * 0 for NULL. */
GH_API int gh_task_response_ok(const gh_task_response *r);
/* Result lines (listings, help), in order. A line is NUL-terminated UTF-8
 * without a newline, owned by the response, valid until it is freed. NULL
 * when r is NULL or i is out of range. */
GH_API size_t gh_task_response_result_count(const gh_task_response *r);
GH_API const char *gh_task_response_result(const gh_task_response *r, size_t i);
/* Messages, in order. For message i: its ID ("GHWAT0003W"), its 32-bit
 * status code (0x4754nnnn), its severity (GH_TASK_INFO/WARNING/ERROR) and
 * its text. Strings are owned by the response. Out of range (or r NULL):
 * NULL, 0, -1 and NULL. */
GH_API size_t gh_task_response_message_count(const gh_task_response *r);
GH_API const char *gh_task_response_message_id(const gh_task_response *r, size_t i);
GH_API uint32_t gh_task_response_message_code(const gh_task_response *r, size_t i);
GH_API int gh_task_response_message_severity(const gh_task_response *r, size_t i);
GH_API const char *gh_task_response_message_text(const gh_task_response *r, size_t i);
/* Release a response and every string it handed out. NULL is a no-op. */
GH_API void gh_task_response_free(gh_task_response *r);

/* The task list: one syntax line per task, e.g.
 * "terminate all_sessions <user_id>". On GH_OK *tasks is a new array of
 * *count NUL-terminated strings, owned by the caller and released with
 * gh_tasklist_free. GH_E_INVALID_ARGUMENT if a pointer is NULL, GH_E_SYSTEM
 * when out of memory (then *tasks is NULL and *count 0). */
GH_API gh_status gh_gettasklist(char ***tasks, size_t *count);
/* Release what gh_gettasklist returned (NULL is a no-op). */
GH_API void gh_tasklist_free(char **tasks, size_t count);

#ifdef __cplusplus
}
#endif
#endif /* GATEHOUSE_H */
