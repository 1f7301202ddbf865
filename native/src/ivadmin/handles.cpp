// handles.cpp -- the registry of live response and context handles (see
// handles.h) and context teardown.
#include "handles.h"

#include <unordered_map>
#include <unordered_set>

namespace gh::ivadmin {

namespace {

// Never destroyed: a handle freed from an atexit handler or a static
// destructor must still find the registry.
struct Registry {
  std::mutex lock;
  std::unordered_set<const void *> responses;
  std::unordered_map<const void *, ContextRef> contexts;
};

Registry &registry() {
  static Registry *r = new Registry;
  return *r;
}

} // namespace

std::mutex &registry_lock() { return registry().lock; }

bool response_is_live_locked(ivadmin_response r) { return r != nullptr && registry().responses.count(r) != 0; }

void register_response(ivadmin_response r) {
  std::lock_guard<std::mutex> g(registry().lock);
  registry().responses.insert(r);
}

void register_context(const ContextRef &c) {
  std::lock_guard<std::mutex> g(registry().lock);
  registry().contexts.emplace(c.get(), c);
}

bool unregister_response(ivadmin_response r) {
  if (r == nullptr) return false;
  std::lock_guard<std::mutex> g(registry().lock);
  return registry().responses.erase(r) != 0;
}

ContextRef acquire_context(ivadmin_context c) {
  if (c == nullptr) return nullptr;
  std::lock_guard<std::mutex> g(registry().lock);
  const auto it = registry().contexts.find(c);
  return it == registry().contexts.end() ? nullptr : it->second;
}

ContextRef unregister_context(ivadmin_context c) {
  if (c == nullptr) return nullptr;
  std::lock_guard<std::mutex> g(registry().lock);
  const auto it = registry().contexts.find(c);
  if (it == registry().contexts.end()) return nullptr;
  ContextRef ref = std::move(it->second);
  registry().contexts.erase(it);
  return ref;
}

void wipe(std::string &s) noexcept {
  volatile char *p = s.data();
  for (std::size_t i = 0; i < s.size(); ++i) p[i] = 0;
  s.clear();
}

} // namespace gh::ivadmin

ivadmin_context_s::~ivadmin_context_s() {
  if (curl != nullptr) curl_easy_cleanup(curl);
  gh::ivadmin::wipe(password);
}
