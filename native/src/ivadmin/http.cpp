// http.cpp -- the libcurl transport (see http.h). Peer and host
// verification are always on; only http and https are allowed and redirects
// are not followed, so credentials never go anywhere but the configured URL.
#include "http.h"

#include <pthread.h>

#include <cstring>

namespace gh::ivadmin {

namespace {

constexpr std::size_t kMaxReplyBytes = 8 * 1024 * 1024;

pthread_once_t g_once = PTHREAD_ONCE_INIT;
CURLcode g_init_rc = CURLE_OK;

void init_once() { g_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

struct Sink {
  std::string *body;
  bool too_large = false;
};

extern "C" size_t write_cb(char *data, size_t size, size_t n, void *user) {
  auto *sink = static_cast<Sink *>(user);
  const size_t bytes = size * n;
  if (sink->body->size() + bytes > kMaxReplyBytes) {
    sink->too_large = true;
    return 0; // makes curl stop with CURLE_WRITE_ERROR
  }
  try {
    sink->body->append(data, bytes);
  } catch (...) {
    return 0;
  }
  return bytes;
}

// Frees the header list whatever happens and resets the handle so that it
// keeps no copy of the credentials between calls (the connection stays).
struct Cleanup {
  CURL *curl;
  curl_slist *headers = nullptr;
  ~Cleanup() {
    curl_easy_reset(curl);
    curl_slist_free_all(headers);
  }
};

} // namespace

bool http_global_init(std::string &error) {
  pthread_once(&g_once, init_once);
  if (g_init_rc != CURLE_OK) {
    error = std::string("libcurl could not be initialised: ") + curl_easy_strerror(g_init_rc);
    return false;
  }
  return true;
}

std::string encode_path_segment(const std::string &s) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
  }
  return out;
}

bool http_exchange(ivadmin_context_s &ctx, const char *method, const std::string &path, const std::string *json_body,
                   Auth auth, HttpReply &out, std::string &error) {
  if (!http_global_init(error)) return false;
  std::lock_guard<std::mutex> g(ctx.lock);
  const std::string url = ctx.base_url + path;
  if (ctx.curl == nullptr) ctx.curl = curl_easy_init();
  if (ctx.curl == nullptr) {
    error = "libcurl could not create a handle for " + url;
    return false;
  }
  CURL *c = ctx.curl;
  // Declared before `cleanup`, so they outlive the handle's pointers to them.
  char errbuf[CURL_ERROR_SIZE] = {0};
  out.status = 0;
  out.body.clear();
  Sink sink{&out.body};
  Cleanup cleanup{c};

  cleanup.headers = curl_slist_append(cleanup.headers, "Accept: application/json");
  if (json_body != nullptr) {
    cleanup.headers = curl_slist_append(cleanup.headers, "Content-Type: application/json");
    cleanup.headers = curl_slist_append(cleanup.headers, "Expect:"); // no 100-continue round trip
  }
  if (cleanup.headers == nullptr) {
    error = "out of memory preparing a request to " + url;
    return false;
  }

  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(c, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!ctx.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, ctx.ca_file.c_str());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ctx.timeout_ms);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ctx.timeout_ms);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "gatehouse-ivadmin/1");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, cleanup.headers);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  if (auth == Auth::Basic) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl_easy_setopt(c, CURLOPT_USERNAME, ctx.user.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, ctx.password.c_str());
  }
  if (json_body != nullptr) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, json_body->data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(json_body->size()));
  }
  if (std::strcmp(method, "GET") == 0) curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  else if (std::strcmp(method, "POST") != 0 || json_body == nullptr) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);

  const CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    if (sink.too_large) {
      error = "the reply from " + url + " is larger than 8 MiB";
    } else {
      error = "cannot reach the Gatehouse admin API at " + url + ": " + curl_easy_strerror(rc);
      if (errbuf[0] != '\0') error += std::string(" (") + errbuf + ")";
    }
    out.body.clear();
    return false;
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out.status);
  return true;
}

} // namespace gh::ivadmin
