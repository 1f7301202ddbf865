#include "sys.h"

#include <cerrno>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <sys/random.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>

namespace gh {

void random_bytes(void *buf, size_t n) {
  auto *p = static_cast<uint8_t *>(buf);
  while (n > 0) {
    ssize_t r = getrandom(p, n, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "gatehouse: getrandom failed (errno %d); refusing to continue\n", errno);
      std::abort();
    }
    p += r;
    n -= size_t(r);
  }
}

// The coarse clock (updated every tick, a few ns to read) is plenty: timeouts
// are whole seconds and last-access is stored at most once a second. The
// precise clock cost a seventh of validate() on this machine's VM clocksource.
uint64_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return uint64_t(ts.tv_sec) * 1000u + uint64_t(ts.tv_nsec) / 1000000u;
}

bool process_alive(uint32_t pid) {
  if (pid == 0) return false;
  if (::kill(pid_t(pid), 0) == 0) return true;
  return errno != ESRCH;  // EPERM: exists but not ours
}

// getpid() is a system call in current glibc and was called three times per
// create; cache it, and drop the cache in a forked child.
namespace {
std::atomic<uint32_t> g_pid{0};
void forget_pid() { g_pid.store(0, std::memory_order_relaxed); }
}  // namespace

uint32_t self_pid() {
  uint32_t p = g_pid.load(std::memory_order_relaxed);
  if (p == 0) {
    static const int registered = pthread_atfork(nullptr, nullptr, forget_pid);
    (void)registered;
    p = uint32_t(::getpid());
    g_pid.store(p, std::memory_order_relaxed);
  }
  return p;
}

namespace {
thread_local char g_last_error[512] = "no error";
}

gh_status fail(gh_status s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(g_last_error, sizeof g_last_error, fmt, ap);
  va_end(ap);
  return s;
}

const char *last_error() { return g_last_error; }

}  // namespace gh
