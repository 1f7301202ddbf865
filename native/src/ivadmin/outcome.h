// outcome.h -- what one API call ends with (ok flag + messages) and how it
// becomes the caller's ivadmin_response. Every exported call runs its body
// through run_call, so no C++ exception ever crosses the C boundary and
// every call stores a response, even when it fails.
#pragma once

#include <new>
#include <string>
#include <utility>

#include "handles.h"

namespace gh::ivadmin {

using Message = ivadmin_response_s::Message;

struct Outcome {
  unsigned long ok = IVADMIN_FALSE;
  std::vector<Message> messages;

  // Sets ok = FALSE and puts an error message first.
  void fail(unsigned long code, std::string text) {
    ok = IVADMIN_FALSE;
    messages.insert(messages.begin(), Message{std::move(text), code, IVADMIN_RESPONSE_ERROR});
  }
};

// Stores a new response holding `o` in *rsp (when rsp is not NULL). If even
// that cannot be allocated, *rsp is NULL.
void publish(Outcome &o, ivadmin_response *rsp) noexcept;

template <class Fn> unsigned long run_call(ivadmin_response *rsp, Fn fn) noexcept {
  if (rsp != nullptr) *rsp = nullptr;
  Outcome o;
  try {
    fn(o);
  } catch (const std::bad_alloc &) {
    o = Outcome{};
    try { o.fail(IVADMIN_GH_E_MEMORY, "out of memory"); } catch (...) {}
  } catch (...) {
    o = Outcome{};
    try { o.fail(IVADMIN_GH_E_SERVER, "internal error in the ivadmin library"); } catch (...) {}
  }
  const unsigned long ok = o.ok;
  publish(o, rsp);
  return ok;
}

} // namespace gh::ivadmin
