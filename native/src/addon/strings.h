// strings.h -- JS strings into native code. Node-API's UTF-8 conversion
// silently turns an unpaired UTF-16 surrogate into U+FFFD and its latin1
// conversion keeps only the low byte of each code unit, so a string could
// reach the table as a different string than the caller passed (a login
// "\uD800" acting on the user literally named "\uFFFD"). Every string
// argument therefore goes through one of these, which read the UTF-16 code
// units and convert them here.
#pragma once

#include <napi.h>

#include <cstddef>
#include <string>

namespace gh_addon {

// The UTF-8 of a string argument. Throws GH_E_INVALID_ARGUMENT when v is not
// a string or holds an unpaired surrogate (ill-formed UTF-16): such a string
// names nothing, so nothing is done with it.
std::string utf8(const Napi::Value &v, const char *what);

// The task text of a string argument, converted losslessly: an unpaired
// surrogate becomes its 3-byte generalized UTF-8 form (ED A0..BF xx), which
// is not UTF-8, so the task grammar refuses the task with GHWAT0105E at the
// surrogate's byte offset, as for any other invalid encoding.
std::string task_text(const Napi::Value &v, const char *what);

// A session ID (cookie) for the validate hot path: copies up to cap - 1
// ASCII characters into buf and returns how many, or 0 (which validates as
// unknown) when the value is not a string, has cap or more code units, or
// has any non-ASCII one (latin1 conversion would keep only its low byte:
// "\u0141" would read as "A"). cap < 64. Never throws, never allocates.
size_t session_id(napi_env env, napi_value v, char *buf, size_t cap);

}  // namespace gh_addon
