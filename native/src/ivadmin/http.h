// http.h -- one HTTP(S) exchange with the admin API over a context's reused
// curl handle. Transport failures (refused, TLS, timeout, oversized reply)
// come back as a message naming the URL and curl's own error; HTTP statuses
// are the caller's to interpret.
#pragma once

#include <string>

#include "handles.h"

namespace gh::ivadmin {

struct HttpReply {
  long status = 0;
  std::string body;
};

enum class Auth { None, Basic };

// curl_global_init, once per process (pthread_once). False if it failed.
bool http_global_init(std::string &error);

// Sends `method` to ctx.base_url + path with an optional JSON body. Locks
// ctx.lock for the exchange. The caller wipes `json_body` if it holds a
// secret; this function leaves no copy of it behind in the handle.
bool http_exchange(ivadmin_context_s &ctx, const char *method, const std::string &path, const std::string *json_body,
                   Auth auth, HttpReply &out, std::string &error);

// Percent-encodes everything but RFC 3986 unreserved characters, for a
// path segment.
std::string encode_path_segment(const std::string &s);

} // namespace gh::ivadmin
