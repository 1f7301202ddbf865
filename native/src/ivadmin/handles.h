// handles.h -- the objects behind ivadmin_response and ivadmin_context, and
// the registry of live handles. Every handle the library gives out is
// registered, so a NULL, freed or foreign handle is recognised (getters give
// 0/NULL, calls fail with a message) instead of being dereferenced, and
// ivadmin_free(void *) can tell a response from a plain malloc'd string or
// array without a hidden header (strings stay free()-able).
#pragma once

#include <curl/curl.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ivadminapi.h"

struct ivadmin_response_s {
  struct Message {
    std::string text;
    unsigned long code;
    unsigned long modifier; // IVADMIN_RESPONSE_INFO/WARNING/ERROR
  };
  unsigned long ok = IVADMIN_FALSE;
  std::vector<Message> messages;
};

// Shared ownership: a call holds a reference while it runs, so deleting the
// context from another thread meanwhile frees it only after that call.
struct ivadmin_context_s {
  ~ivadmin_context_s();
  std::string base_url; // scheme://host:port[/prefix], no trailing slash
  std::string ca_file;  // PEM bundle; empty = the system's
  std::string user;
  std::string password; // wiped on delete
  long timeout_ms = 10000;
  std::mutex lock; // one request at a time per context (the curl handle is reused)
  CURL *curl = nullptr;
};

namespace gh::ivadmin {

using ContextRef = std::shared_ptr<ivadmin_context_s>;

// Registers a response / context as live. May throw std::bad_alloc.
void register_response(ivadmin_response r);
void register_context(const ContextRef &c);

// Removes a response from the registry; true if it was live (the caller then
// owns it and deletes it).
bool unregister_response(ivadmin_response r);

// A reference to the live context c, or null (NULL, deleted or foreign).
ContextRef acquire_context(ivadmin_context c);

// Removes c from the registry and returns the registry's reference (null if
// c was not live). The context is destroyed with its last reference.
ContextRef unregister_context(ivadmin_context c);

// Overwrites a string's bytes with zeros in a way the compiler keeps.
void wipe(std::string &s) noexcept;

std::mutex &registry_lock();
bool response_is_live_locked(ivadmin_response r);

// Calls fn(r) under the registry lock if r is live (so a concurrent
// ivadmin_free cannot free it meanwhile); returns fallback otherwise.
template <class T, class Fn> T with_response(ivadmin_response r, T fallback, Fn fn) {
  std::lock_guard<std::mutex> g(registry_lock());
  if (!response_is_live_locked(r)) return fallback;
  return fn(r);
}

} // namespace gh::ivadmin
