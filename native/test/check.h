// check.h -- a tiny test harness: each TEST registers itself, CHECK records a
// failure without stopping, and main() prints "<binary>: N passed, N failed".
#pragma once
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

struct TestCase { const char *name; std::function<void()> fn; };
inline std::vector<TestCase> &registry() { static std::vector<TestCase> r; return r; }
inline int &failures() { static int f = 0; return f; }
struct Register { Register(const char *n, std::function<void()> f) { registry().push_back({n, std::move(f)}); } };

#define TEST(name) static void name(); static Register reg_##name(#name, name); static void name()
#define CHECK(cond) do { if (!(cond)) { ++failures(); std::fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_EQ(a, b) do { auto va_ = (a); auto vb_ = (b); if (!(va_ == vb_)) { ++failures(); std::fprintf(stderr, "  FAIL %s:%d: %s == %s (%lld vs %lld)\n", __FILE__, __LINE__, #a, #b, (long long)va_, (long long)vb_); } } while (0)

inline int run_all(const char *binary, int argc, char **argv) {
  int passed = 0, failed = 0;
  for (auto &t : registry()) {
    if (argc > 1 && std::strcmp(argv[1], t.name) != 0) continue;
    int before = failures();
    t.fn();
    if (failures() == before) { ++passed; std::printf("ok - %s\n", t.name); }
    else { ++failed; std::printf("not ok - %s\n", t.name); }
  }
  std::printf("%s: %d passed, %d failed\n", binary, passed, failed);
  return failed ? 1 : 0;
}
