// context.cpp -- ivadmin_context_create / _createdefault / _delete. A
// context is only handed out after the admin API has accepted its user and
// password (GET /api/v1/whoami), as the original authenticates at create.
#include "config.h"
#include "http.h"
#include "reply.h"

namespace gh::ivadmin {

namespace {

// Checks the credentials locally: HTTP Basic cannot carry a ':' in the user
// ID, and the JSON bodies need UTF-8.
bool check_credentials(const char *userid, const char *pwd, Outcome &o) {
  if (userid == nullptr || *userid == '\0') {
    o.fail(IVADMIN_GH_E_ARGUMENT, "userid is required");
    return false;
  }
  if (pwd == nullptr) {
    o.fail(IVADMIN_GH_E_ARGUMENT, "pwd is required");
    return false;
  }
  const std::string_view user(userid);
  if (user.find(':') != std::string_view::npos || !valid_utf8(user)) {
    o.fail(IVADMIN_GH_E_ARGUMENT, "userid must be UTF-8 without ':'");
    return false;
  }
  for (const char c : user) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      o.fail(IVADMIN_GH_E_ARGUMENT, "userid must not contain control characters");
      return false;
    }
  }
  if (!valid_utf8(pwd)) {
    o.fail(IVADMIN_GH_E_ARGUMENT, "pwd must be UTF-8");
    return false;
  }
  return true;
}

void connect(const Endpoint &ep, const char *userid, const char *pwd, ivadmin_context *ctx, Outcome &o) {
  std::string error;
  if (!http_global_init(error)) {
    o.fail(IVADMIN_GH_E_CONNECT, error);
    return;
  }
  auto c = std::make_shared<ivadmin_context_s>();
  c->base_url = ep.base_url;
  c->ca_file = ep.ca_file;
  c->timeout_ms = ep.timeout_ms;
  c->user = userid;
  c->password = pwd;

  const std::string path = "/api/v1/whoami";
  const std::string url = c->base_url + path;
  HttpReply reply;
  if (!http_exchange(*c, "GET", path, nullptr, Auth::Basic, reply, error)) {
    o.fail(IVADMIN_GH_E_CONNECT, error);
    return;
  }
  if (reply.status != 200) {
    http_failure(reply, url, o);
    return;
  }
  Json body;
  if (!parse_body(reply, url, body, o)) return;
  const Json *principal = body.get("principal");
  if (principal == nullptr || principal->type != Json::Type::String) {
    o.fail(IVADMIN_GH_E_PROTOCOL, "the reply from " + url + " has no 'principal': is this Gatehouse's admin API?");
    return;
  }
  register_context(c);
  *ctx = c.get();
  o.ok = IVADMIN_TRUE;
}

} // namespace

} // namespace gh::ivadmin

using namespace gh::ivadmin;

extern "C" {

IVADMIN_DECLSPEC unsigned long IVADMIN_CALLTYPE ivadmin_context_create(
    const char *keyringfile, const char * /*keyringstashfile*/, const char * /*keyringpassword*/, const char *userid,
    const char *pwd, const char * /*serverdn*/, const char *serverhost, unsigned long port, ivadmin_context *ctx,
    ivadmin_response *rsp) {
  return run_call(rsp, [&](Outcome &o) {
    if (ctx == nullptr) return o.fail(IVADMIN_GH_E_ARGUMENT, "ctx (where the context goes) is NULL");
    *ctx = nullptr;
    if (!check_credentials(userid, pwd, o)) return;
    Endpoint ep;
    std::string error;
    if (!endpoint_from_host(serverhost, port, keyringfile, ep, error)) return o.fail(IVADMIN_GH_E_CONFIG, error);
    connect(ep, userid, pwd, ctx, o);
  });
}

IVADMIN_DECLSPEC unsigned long IVADMIN_CALLTYPE ivadmin_context_createdefault(const char *userid,
                                                                              const char *pwd,
                                                                              ivadmin_context *ctx,
                                                                              ivadmin_response *rsp) {
  return run_call(rsp, [&](Outcome &o) {
    if (ctx == nullptr) return o.fail(IVADMIN_GH_E_ARGUMENT, "ctx (where the context goes) is NULL");
    *ctx = nullptr;
    if (!check_credentials(userid, pwd, o)) return;
    Endpoint ep;
    std::string error;
    if (!endpoint_from_environment(ep, error)) return o.fail(IVADMIN_GH_E_CONFIG, error);
    connect(ep, userid, pwd, ctx, o);
  });
}

IVADMIN_DECLSPEC unsigned long IVADMIN_CALLTYPE ivadmin_context_delete(ivadmin_context ctx, ivadmin_response *rsp) {
  return run_call(rsp, [&](Outcome &o) {
    // The registry's reference goes here; a call still running on the
    // context in another thread keeps it alive until that call returns.
    if (unregister_context(ctx) == nullptr) {
      return o.fail(IVADMIN_GH_E_HANDLE, "the context is NULL, already deleted, or not from ivadmin_context_create");
    }
    o.ok = IVADMIN_TRUE;
  });
}

} // extern "C"
