// response.cpp -- ivadmin_response accessors, ivadmin_free and publish().
#include <cstdlib>

#include "outcome.h"

namespace gh::ivadmin {

void publish(Outcome &o, ivadmin_response *rsp) noexcept {
  if (rsp == nullptr) return;
  ivadmin_response r = nullptr;
  try {
    r = new ivadmin_response_s;
    r->ok = o.ok;
    r->messages = std::move(o.messages);
    register_response(r);
    *rsp = r;
  } catch (...) {
    delete r;
    *rsp = nullptr;
  }
}

} // namespace gh::ivadmin

using gh::ivadmin::with_response;

extern "C" {

IVADMIN_DECLSPEC unsigned long IVADMIN_CALLTYPE ivadmin_response_getok(ivadmin_response rsp) {
  return with_response(rsp, static_cast<unsigned long>(IVADMIN_FALSE), [](ivadmin_response r) { return r->ok; });
}

IVADMIN_DECLSPEC unsigned long IVADMIN_CALLTYPE ivadmin_response_getcount(ivadmin_response rsp) {
  return with_response(rsp, 0UL, [](ivadmin_response r) { return static_cast<unsigned long>(r->messages.size()); });
}

IVADMIN_DECLSPEC const char *IVADMIN_CALLTYPE ivadmin_response_getmessage(ivadmin_response rsp,
                                                                          unsigned long index) {
  return with_response(rsp, static_cast<const char *>(nullptr), [index](ivadmin_response r) -> const char * {
    return index < r->messages.size() ? r->messages[index].text.c_str() : nullptr;
  });
}

IVADMIN_DECLSPEC unsigned long IVADMIN_CALLTYPE ivadmin_response_getcode(ivadmin_response rsp, unsigned long index) {
  return with_response(rsp, 0UL, [index](ivadmin_response r) {
    return index < r->messages.size() ? r->messages[index].code : 0UL;
  });
}

IVADMIN_DECLSPEC unsigned long IVADMIN_CALLTYPE ivadmin_response_getmodifier(ivadmin_response rsp,
                                                                             unsigned long index) {
  return with_response(rsp, 0UL, [index](ivadmin_response r) {
    return index < r->messages.size() ? r->messages[index].modifier : 0UL;
  });
}

IVADMIN_DECLSPEC void IVADMIN_CALLTYPE ivadmin_free(void *ptr) {
  if (ptr == nullptr) return;
  auto *r = static_cast<ivadmin_response>(ptr);
  if (gh::ivadmin::unregister_response(r)) {
    delete r;
    return;
  }
  // A context handle: as ivadmin_context_delete (the reference dropped on return).
  if (gh::ivadmin::unregister_context(static_cast<ivadmin_context>(ptr)) != nullptr) return;
  std::free(ptr); // a string or a string array (plain malloc)
}

} // extern "C"
