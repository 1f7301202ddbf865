/*
 * ogauthzn.h -- the types of the Open Group Authorization API (aznAPI,
 * C908) that IBM's Administration C API uses in its prototypes, so that
 * programs written against /opt/PolicyDirector/include, which include
 * <ogauthzn.h> next to <ivadminapi.h> and declare
 *
 *   azn_attrlist_h_t outdata;
 *
 * compile unchanged against Gatehouse.
 *
 * Types only: Gatehouse implements no aznAPI function (azn_initialize,
 * azn_attrlist_create, ...). A program that calls one fails to compile
 * here, with the name of the function, rather than at run time.
 * libgatehouse-ivadmin takes no attribute lists: pass NULL for indata, and
 * NULL or the address of a handle for outdata (it is set to NULL).
 *
 * The handles are opaque pointers here, so that the NULL legacy callers pass
 * for them converts without a warning in C and C++. The standard leaves
 * their representation to the implementation; a program that relies on
 * IBM's (e.g. compares a handle with an integer) needs IBM's header.
 */
#ifndef OGAUTHZN_H
#define OGAUTHZN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status of an aznAPI call; AZN_S_COMPLETE (0) is success. */
typedef unsigned int azn_status_t;
#define AZN_S_COMPLETE 0

/* NUL-terminated UTF-8 string, as the standard defines it. */
typedef char *azn_string_t;

/* Byte buffer descriptor, as the standard defines it. */
typedef struct azn_buffer_desc_struct {
  size_t length;
  void *value;
} azn_buffer_desc, *azn_buffer_t;

/* Opaque handles: an attribute list (ivadmin_server_performtask's and
 * ivadmin_server_gettasklist's indata/outdata) and a credentials chain. */
typedef struct azn_attrlist_s *azn_attrlist_h_t;
typedef struct azn_creds_s *azn_creds_h_t;

#ifdef __cplusplus
}
#endif

#endif /* OGAUTHZN_H */
