// addon.cpp -- the Node-API binding of the session table. Thin by design:
// argument conversion, handles and errors only; all validation of meaning
// happens in TypeScript before the call (lib/session/) and in the C API.
//
// Handles are type-tagged externals, so a spoofed object cannot be
// unwrapped. Strings cross through strings.h, never through Node-API's
// lossy UTF-8 or latin1 conversions. The hot call, validate(), reads the
// session ID's UTF-16 code units (ASCII only) into a stack buffer and writes its numeric results into a Float64Array bound to
// the handle once, so it allocates nothing and returns a small integer.
// Open handles are tracked per environment (each worker thread has its own)
// and closed by the environment's cleanup when a worker exits.
#include <napi.h>

#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "gatehouse.h"
#include "strings.h"
#include "sys.h"
#include "table.h"

namespace {

const napi_type_tag kTableTag = {0x6761746568727365ull, 0x7461626c65763031ull};

// Slots of the output array written by validate (mirrored in lib/session/native.ts).
enum Out { kSlot, kSeq, kCreated, kLast, kLifetime, kInactive, kGen, kEpoch, kFlags, kMethod, kLevel, kRefresh, kOutLen };

struct Handle;
struct Instance {
  std::set<Handle *> open;
  ~Instance();
};

// Owned jointly by the handle External and the bound validator function;
// freed when the last of them is collected.
struct Handle {
  gh_table *table = nullptr;
  double *out = nullptr;
  Napi::Reference<Napi::Float64Array> out_ref;
  int owners = 1;
};

void release(Napi::Env env, Handle *h) {
  if (--h->owners > 0) return;
  if (h->table) {
    env.GetInstanceData<Instance>()->open.erase(h);
    gh_table_close(h->table);
  }
  delete h;
}

Instance::~Instance() {
  for (Handle *h : open) {
    gh_table_close(h->table);
    h->table = nullptr;
  }
}

Napi::Error make_error(Napi::Env env, const char *code, const std::string &msg) {
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

[[noreturn]] void throw_status(Napi::Env env, gh_status s) {
  throw make_error(env, gh_status_name(s), gh_last_error());
}

Handle *unwrap(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsExternal()) throw make_error(env, "GH_E_INVALID_ARGUMENT", "expected a table handle");
  bool ok = false;
  napi_check_object_type_tag(env, info[0], &kTableTag, &ok);
  if (!ok) throw make_error(env, "GH_E_INVALID_ARGUMENT", "not a Gatehouse table handle");
  auto *h = info[0].As<Napi::External<Handle>>().Data();
  if (!h->table) throw make_error(env, "GH_E_CLOSED", "the session table is closed");
  return h;
}

Napi::Value wrap(Napi::Env env, gh_table *t) {
  auto *h = new Handle();
  h->table = t;
  auto ext = Napi::External<Handle>::New(env, h, [](Napi::Env e, Handle *hh) { release(e, hh); });
  napi_type_tag_object(env, ext, &kTableTag);
  env.GetInstanceData<Instance>()->open.insert(h);
  return ext;
}

using gh_addon::utf8;  // strings.h: refuses ill-formed UTF-16 instead of rewriting it

// A cookie argument: ASCII only, else a malformed (empty) ID; see strings.h.
struct Cookie {
  char text[GH_SESSION_ID_LEN + 2];
  size_t len;
  Cookie(napi_env env, napi_value v) : len(gh_addon::session_id(env, v, text, sizeof text)) {}
};

uint32_t u32(const Napi::Value &v) { return v.IsNumber() ? v.As<Napi::Number>().Uint32Value() : 0; }
double num(const Napi::Value &v) { return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : 0; }

Napi::Object info_object(Napi::Env env, const gh_session_info &i) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("slot", i.slot);
  o.Set("seq", i.seq);
  o.Set("createdMs", double(i.created_ms));
  o.Set("lastAccessMs", double(i.last_access_ms));
  o.Set("lifetimeS", i.lifetime_s);
  o.Set("inactiveS", i.inactive_s);
  o.Set("generation", i.generation);
  o.Set("epoch", i.epoch);
  o.Set("flags", i.flags);
  o.Set("authMethod", i.auth_method);
  o.Set("authLevel", i.auth_level);
  o.Set("refreshNeeded", bool(i.refresh_needed));
  o.Set("userSessionId", i.user_session_id);
  if (i.session_id[0]) o.Set("sessionId", i.session_id);
  return o;
}

// ---- lifecycle ------------------------------------------------------------

Napi::Value Create(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string name = utf8(info[0], "name");
  gh_table_options o{u32(info[1]), u32(info[2])};
  gh_table *t = nullptr;
  if (gh_status s = gh_table_create(name.c_str(), &o, &t)) throw_status(env, s);
  return wrap(env, t);
}

Napi::Value Open(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string name = utf8(info[0], "name");
  gh_table *t = nullptr;
  if (gh_status s = gh_table_open(name.c_str(), &t)) throw_status(env, s);
  return wrap(env, t);
}

Napi::Value Close(const Napi::CallbackInfo &info) {
  Handle *h = unwrap(info);
  info.Env().GetInstanceData<Instance>()->open.erase(h);
  gh_table_close(h->table);
  h->table = nullptr;
  h->out = nullptr;
  h->out_ref.Reset();
  return info.Env().Undefined();
}

Napi::Value Unlink(const Napi::CallbackInfo &info) {
  std::string name = utf8(info[0], "name");
  gh_status s = gh_table_unlink(name.c_str());
  if (s == GH_E_NOT_FOUND) return Napi::Boolean::New(info.Env(), false);
  if (s) throw_status(info.Env(), s);
  return Napi::Boolean::New(info.Env(), true);
}

// ---- the hot path -----------------------------------------------------------

// The bound validator: (sessionId, nowMs, touch) -> reason (0 = valid). It
// carries its Handle as function data, so a call does no unwrapping and no
// type-tag check; the session's numbers land in the bound Float64Array.
napi_value Validate(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 3;
  napi_value argv[3];
  void *data = nullptr;
  napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, &data);
  auto *h = static_cast<Handle *>(data);
  if (!h->table) {
    napi_throw_error(env, "GH_E_CLOSED", "the session table is closed");
    return nullptr;
  }
  char sid[GH_SESSION_ID_LEN + 2];
  size_t len = argc < 1 ? 0 : gh_addon::session_id(env, argv[0], sid, sizeof sid);
  double now = 0;
  if (argc > 1) napi_get_value_double(env, argv[1], &now);
  bool touch = false;
  if (argc > 2) napi_get_value_bool(env, argv[2], &touch);
  gh::Snapshot s;
  uint32_t slot;
  gh_reason r = gh::validate_core(h->table, sid, len, now > 0 ? uint64_t(now) : gh::now_ms(), touch, s, &slot);
  if (r == GH_VALID) {
    double *o = h->out;
    o[kSlot] = slot;
    o[kSeq] = gh::ctl_seq(s.ctl);
    o[kCreated] = double(s.created_ms);
    o[kLast] = double(s.last_ms);
    o[kLifetime] = s.lifetime_s;
    o[kInactive] = s.inactive_s;
    o[kGen] = s.gen;
    o[kEpoch] = s.epoch;
    o[kFlags] = s.flags;
    o[kMethod] = s.method;
    o[kLevel] = s.level;
    o[kRefresh] = gh::refresh_needed(h->table, s);
  }
  napi_value result;
  napi_create_uint32(env, uint32_t(r), &result);
  return result;
}

// bindValidator(handle, out: Float64Array) -> validate function for this table.
Napi::Value BindValidator(const Napi::CallbackInfo &info) {
  Handle *h = unwrap(info);
  Napi::Env env = info.Env();
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      info[1].As<Napi::Float64Array>().ElementLength() < kOutLen)
    throw make_error(env, "GH_E_INVALID_ARGUMENT", "output must be a Float64Array of 12 or more elements");
  auto arr = info[1].As<Napi::Float64Array>();
  h->out = arr.Data();
  h->out_ref = Napi::Persistent(arr);
  napi_value fn;
  napi_create_function(env, "validate", NAPI_AUTO_LENGTH, Validate, h, &fn);
  h->owners++;
  napi_add_finalizer(env, fn, h, [](napi_env e, void *d, void *) { release(Napi::Env(e), static_cast<Handle *>(d)); },
                     nullptr, nullptr);
  return Napi::Value(env, fn);
}

// ---- session operations -----------------------------------------------------

// readSession(handle, slot, seq) -> [loginId, attrs Buffer, userSessionId] | undefined
Napi::Value ReadSession(const Napi::CallbackInfo &info) {
  Handle *h = unwrap(info);
  Napi::Env env = info.Env();
  char login[GH_LOGIN_MAX];
  char usid[GH_USER_SESSION_ID_LEN + 1];
  std::vector<uint8_t> attrs(4096);
  size_t ll = 0, al = 0;
  gh_status s = gh_session_read(h->table, u32(info[1]), u32(info[2]), login, sizeof login, &ll, attrs.data(),
                                attrs.size(), &al, usid);
  if (s == GH_E_BUFFER) {  // large attribute areas: size exactly and read again
    attrs.resize(al);
    s = gh_session_read(h->table, u32(info[1]), u32(info[2]), login, sizeof login, &ll, attrs.data(), attrs.size(),
                        &al, usid);
  }
  if (s != GH_OK) return env.Undefined();
  Napi::Array out = Napi::Array::New(env, 3);
  out.Set(0u, Napi::String::New(env, login, ll));
  out.Set(1u, Napi::Buffer<uint8_t>::Copy(env, attrs.data(), al));
  out.Set(2u, Napi::String::New(env, usid));
  return out;
}

// createSession(handle, login, attrs|null, lifetimeS, inactiveS, maxSessions, flags, method, level, nowMs)
Napi::Value CreateSession(const Napi::CallbackInfo &info) {
  Handle *h = unwrap(info);
  Napi::Env env = info.Env();
  std::string login = utf8(info[1], "loginId");
  gh_session_spec s{};
  s.login = login.data();
  s.login_len = login.size();
  if (info[2].IsBuffer()) {
    auto b = info[2].As<Napi::Buffer<uint8_t>>();
    s.attrs = b.Data();
    s.attrs_len = b.Length();
  }
  s.lifetime_s = u32(info[3]);
  s.inactive_s = u32(info[4]);
  s.max_sessions = u32(info[5]);
  s.flags = u32(info[6]);
  s.auth_method = uint8_t(u32(info[7]));
  s.auth_level = uint8_t(u32(info[8]));
  s.now_ms = uint64_t(num(info[9]));
  gh_session_info out;
  if (gh_status st = gh_session_create(h->table, &s, &out)) throw_status(env, st);
  return info_object(env, out);
}

// adoptSession(handle, sessionId, login, attrs|null, lifetimeS, inactiveS, flags, method, level, createdMs, lastMs)
Napi::Value AdoptSession(const Napi::CallbackInfo &info) {
  Handle *h = unwrap(info);
  Napi::Env env = info.Env();
  std::string sid = utf8(info[1], "sessionId");
  std::string login = utf8(info[2], "loginId");
  gh_session_spec s{};
  s.login = login.data();
  s.login_len = login.size();
  if (info[3].IsBuffer()) {
    auto b = info[3].As<Napi::Buffer<uint8_t>>();
    s.attrs = b.Data();
    s.attrs_len = b.Length();
  }
  s.lifetime_s = u32(info[4]);
  s.inactive_s = u32(info[5]);
  s.flags = u32(info[6]);
  s.auth_method = uint8_t(u32(info[7]));
  s.auth_level = uint8_t(u32(info[8]));
  gh_session_info out;
  if (gh_status st = gh_session_adopt(h->table, &s, sid.data(), sid.size(), uint64_t(num(info[9])),
                                      uint64_t(num(info[10])), &out))
    throw_status(env, st);
  return info_object(env, out);
}

// Operations that answer found / not found: true, or false when GH_E_NOT_FOUND.
Napi::Value found(Napi::Env env, gh_status s) {
  if (s == GH_E_NOT_FOUND) return Napi::Boolean::New(env, false);
  if (s) throw_status(env, s);
  return Napi::Boolean::New(env, true);
}

Napi::Value Logout(const Napi::CallbackInfo &info) {
  Handle *h = unwrap(info);
  Cookie sid(info.Env(), info[1]);
  return found(info.Env(), gh_session_logout(h->table, sid.text, sid.len));
}

Napi::Value Touch(const Napi::CallbackInfo &info) {
  Handle *h = unwrap(info);
  Cookie sid(info.Env(), info[1]);
  return found(info.Env(), gh_session_touch(h->table, sid.text, sid.len, uint64_t(num(info[2]))));
}

Napi::Value Terminate(const Napi::CallbackInfo &info) {
  Handle *h = unwrap(info);
  std::string usid = utf8(info[1], "userSessionId");
  return found(info.Env(), gh_session_terminate(h->table, usid.data(), usid.size(), gh_reason(u32(info[2]))));
}

Napi::Value TerminateAll(const Napi::CallbackInfo &info) {
  Handle *h = unwrap(info);
  std::string login = utf8(info[1], "loginId");
  uint32_t ended = 0;
  if (gh_status s = gh_user_terminate_all(h->table, login.data(), login.size(), gh_reason(u32(info[2])), &ended))
    throw_status(info.Env(), s);
  return Napi::Number::New(info.Env(), ended);
}

Napi::Value RefreshAll(const Napi::CallbackInfo &info) {
  Handle *h = unwrap(info);
  std::string login = utf8(info[1], "loginId");
  uint32_t n = 0;
  if (gh_status s = gh_user_refresh_all(h->table, login.data(), login.size(), &n)) throw_status(info.Env(), s);
  return Napi::Number::New(info.Env(), n);
}

Napi::Value UserCount(const Napi::CallbackInfo &info) {
  Handle *h = unwrap(info);
  std::string login = utf8(info[1], "loginId");
  uint32_t c = 0, l = 0;
  if (gh_status s = gh_user_count(h->table, login.data(), login.size(), &c, &l)) throw_status(info.Env(), s);
  Napi::Array a = Napi::Array::New(info.Env(), 2);
  a.Set(0u, c);
  a.Set(1u, l);
  return a;
}

Napi::Value SignOutEveryone(const Napi::CallbackInfo &info) {
  Handle *h = unwrap(info);
  uint32_t e = 0;
  if (gh_status s = gh_sign_out_everyone(h->table, &e)) throw_status(info.Env(), s);
  return Napi::Number::New(info.Env(), e);
}

// list(handle, kind 0=user 1=pattern, text, nowMs, max) -> { total, sessions: [...] }
Napi::Value List(const Napi::CallbackInfo &info) {
  Handle *h = unwrap(info);
  Napi::Env env = info.Env();
  std::string text = utf8(info[2], "login or pattern");
  uint32_t max = u32(info[4]);
  std::vector<gh_session_info> out(max ? max : 1);
  uint32_t n = 0, total = 0;
  uint64_t now = uint64_t(num(info[3]));
  gh_status s = u32(info[1]) == 0
                    ? gh_list_user(h->table, text.data(), text.size(), now, out.data(), max, &n, &total)
                    : gh_list_pattern(h->table, text.data(), text.size(), now, out.data(), max, &n, &total);
  if (s) throw_status(env, s);
  Napi::Array arr = Napi::Array::New(env, n);
  for (uint32_t k = 0; k < n; ++k) arr.Set(k, info_object(env, out[k]));
  Napi::Object r = Napi::Object::New(env);
  r.Set("total", total);
  r.Set("sessions", arr);
  return r;
}

Napi::Value Reap(const Napi::CallbackInfo &info) {
  Handle *h = unwrap(info);
  uint32_t n = 0;
  if (gh_status s = gh_reap(h->table, uint64_t(num(info[1])), u32(info[2]), &n)) throw_status(info.Env(), s);
  return Napi::Number::New(info.Env(), n);
}

Napi::Value Stats(const Napi::CallbackInfo &info) {
  Handle *h = unwrap(info);
  Napi::Env env = info.Env();
  gh_stats st;
  if (gh_status s = gh_table_stats(h->table, uint64_t(num(info[1])), &st)) throw_status(env, s);
  Napi::Object o = Napi::Object::New(env);
  o.Set("capacity", st.capacity);
  o.Set("credBytes", st.cred_bytes);
  o.Set("slotBytes", st.slot_bytes);
  o.Set("segmentBytes", double(st.segment_bytes));
  o.Set("live", st.live);
  o.Set("tombstones", st.tombstones);
  o.Set("users", st.users);
  o.Set("epoch", st.epoch);
  o.Set("createdTotal", double(st.created_total));
  o.Set("evictions", double(st.evictions));
  Napi::Object ended = Napi::Object::New(env);
  for (int r = 1; r < GH_REASON_COUNT; ++r) ended.Set(gh_reason_name(gh_reason(r)), double(st.ended[r]));
  o.Set("ended", ended);
  return o;
}

// check(handle, slack) -> null when consistent, else the first broken invariant.
Napi::Value Check(const Napi::CallbackInfo &info) {
  Handle *h = unwrap(info);
  gh_status s = gh_table_check(h->table, u32(info[1]));
  if (s == GH_OK) return info.Env().Null();
  return Napi::String::New(info.Env(), gh_last_error());
}

}  // namespace

// For tasks.cpp: the table behind a handle argument (throws like every call).
gh_table *UnwrapTable(const Napi::CallbackInfo &info) { return unwrap(info)->table; }

void RegisterTaskFunctions(Napi::Env env, Napi::Object exports);  // tasks.cpp

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new Instance());
  exports.Set("create", Napi::Function::New(env, Create));
  exports.Set("open", Napi::Function::New(env, Open));
  exports.Set("close", Napi::Function::New(env, Close));
  exports.Set("unlink", Napi::Function::New(env, Unlink));
  exports.Set("bindValidator", Napi::Function::New(env, BindValidator));
  exports.Set("readSession", Napi::Function::New(env, ReadSession));
  exports.Set("createSession", Napi::Function::New(env, CreateSession));
  exports.Set("adoptSession", Napi::Function::New(env, AdoptSession));
  exports.Set("logout", Napi::Function::New(env, Logout));
  exports.Set("touch", Napi::Function::New(env, Touch));
  exports.Set("terminate", Napi::Function::New(env, Terminate));
  exports.Set("terminateAll", Napi::Function::New(env, TerminateAll));
  exports.Set("refreshAll", Napi::Function::New(env, RefreshAll));
  exports.Set("userCount", Napi::Function::New(env, UserCount));
  exports.Set("signOutEveryone", Napi::Function::New(env, SignOutEveryone));
  exports.Set("list", Napi::Function::New(env, List));
  exports.Set("reap", Napi::Function::New(env, Reap));
  exports.Set("stats", Napi::Function::New(env, Stats));
  exports.Set("check", Napi::Function::New(env, Check));
  RegisterTaskFunctions(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(gatehouse, Init)
