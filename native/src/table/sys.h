// sys.h -- the few OS services the table needs: CSPRNG bytes, wall clock,
// whether a process is alive, and the calling thread's last error message.
#pragma once
#include <cstddef>
#include <cstdint>

#include "gatehouse.h"

namespace gh {

// Fills buf from getrandom(2). Aborts the process if the kernel CSPRNG fails:
// issuing a guessable session ID is never an acceptable fallback.
void random_bytes(void *buf, size_t n);
uint64_t now_ms();
bool process_alive(uint32_t pid);
uint32_t self_pid();

// Records a message for gh_last_error() and returns `s` for tail calls.
gh_status fail(gh_status s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *last_error();

}  // namespace gh
