// stress_test.cpp -- the lock-free claims, checked across threads *and*
// processes. Forked children and the parent each run owner threads (create,
// validate, logout, terminate, terminate all_sessions for users they own)
// and reader threads (validate sessions published by every owner in every
// process). Checked continuously:
//   - no live session lost: an owner's own session validates until it ends it;
//   - linearizable termination: once an owner has published "ended" (after
//     its terminate call returned), no reader anywhere may validate it;
//   - counts: each owner's user count equals what the owner holds;
// and at the end gh_table_check() proves the structure consistent.
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "check.h"
#include "gatehouse.h"

namespace {
constexpr int kProcs = 3;            // parent + 2 children
constexpr int kOwnersPerProc = 2;
constexpr int kReadersPerProc = 1;
constexpr int kPerOwner = 24;        // published sessions per owner

struct Pub {  // one published session: phase 0 empty, 1 live, 2 ended
  std::atomic<uint64_t> ver_phase;
  std::atomic<uint64_t> sid[4];
};
struct Shared {
  std::atomic<int> stop;
  std::atomic<uint64_t> violations, lost, validated_after_end, count_mismatch, ops, reads;
  Pub pub[kProcs * kOwnersPerProc][kPerOwner];
};

void put_sid(Pub &p, const char *sid) {
  uint64_t w[4] = {0, 0, 0, 0};
  std::memcpy(w, sid, 32);
  for (int k = 0; k < 4; ++k) p.sid[k].store(w[k], std::memory_order_release);
}

void owner(gh_table *t, Shared *sh, int id, unsigned seed) {
  std::mt19937 rng(seed);
  std::string user = "owner-" + std::to_string(id);
  struct Mine { gh_session_info info; bool live; };
  std::vector<Mine> mine(kPerOwner);
  uint64_t ver = 1;
  auto publish = [&](int k, int phase) {
    Pub &p = sh->pub[id][k];
    if (phase == 1) {
      p.ver_phase.store(0, std::memory_order_release);
      put_sid(p, mine[k].info.session_id);
      ++ver;
    }
    p.ver_phase.store((ver << 2) | uint64_t(phase), std::memory_order_release);
  };
  for (int k = 0; k < kPerOwner; ++k) mine[k].live = false;
  while (!sh->stop.load(std::memory_order_relaxed)) {
    int k = int(rng() % kPerOwner);
    int op = int(rng() % 100);
    if (!mine[k].live) {
      gh_session_spec s{};
      s.login = user.data();
      s.login_len = user.size();
      if (gh_session_create(t, &s, &mine[k].info) != GH_OK) { ++sh->violations; continue; }
      mine[k].live = true;
      publish(k, 1);
    } else if (op < 70) {
      gh_reason r = gh_session_validate(t, mine[k].info.session_id, 32, 0, 1, nullptr);
      if (r != GH_VALID) ++sh->lost;
    } else if (op < 82) {
      if (gh_session_logout(t, mine[k].info.session_id, 32) != GH_OK) ++sh->lost;
      mine[k].live = false;
      publish(k, 2);
    } else if (op < 94) {
      if (gh_session_terminate(t, mine[k].info.user_session_id, 22, GH_R_TERMINATED) != GH_OK) ++sh->lost;
      mine[k].live = false;
      publish(k, 2);
    } else {
      gh_user_terminate_all(t, user.data(), user.size(), GH_R_ALL_SESSIONS_TERMINATED, nullptr);
      for (int j = 0; j < kPerOwner; ++j)
        if (mine[j].live) { mine[j].live = false; publish(j, 2); }
    }
    uint32_t held = 0, count = 0;
    for (auto &m : mine) held += m.live;
    gh_user_count(t, user.data(), user.size(), &count, nullptr);
    if (count != held) ++sh->count_mismatch;
    sh->ops.fetch_add(1, std::memory_order_relaxed);
  }
}

void reader(gh_table *t, Shared *sh, unsigned seed) {
  std::mt19937 rng(seed);
  while (!sh->stop.load(std::memory_order_relaxed)) {
    Pub &p = sh->pub[rng() % (kProcs * kOwnersPerProc)][rng() % kPerOwner];
    uint64_t v1 = p.ver_phase.load(std::memory_order_acquire);
    if ((v1 & 3) != 2) continue;  // only "ended" is a promise we can check
    uint64_t w[4];
    for (int k = 0; k < 4; ++k) w[k] = p.sid[k].load(std::memory_order_acquire);
    if (p.ver_phase.load(std::memory_order_relaxed) != v1) continue;
    char sid[33];
    std::memcpy(sid, w, 32);
    if (gh_session_validate(t, sid, 32, 0, 0, nullptr) == GH_VALID) ++sh->validated_after_end;
    sh->reads.fetch_add(1, std::memory_order_relaxed);
  }
}

void run_process(const char *name, Shared *sh, int proc) {
  gh_table *t = nullptr;
  if (gh_table_open(name, &t) != GH_OK) { ++sh->violations; return; }
  std::vector<std::thread> th;
  for (int o = 0; o < kOwnersPerProc; ++o) th.emplace_back(owner, t, sh, proc * kOwnersPerProc + o, unsigned(proc * 100 + o));
  for (int r = 0; r < kReadersPerProc; ++r) th.emplace_back(reader, t, sh, unsigned(proc * 1000 + r));
  for (auto &x : th) x.join();
  gh_table_close(t);
}
}  // namespace

static int g_seconds = 5;

// A tiny table under constant eviction: allocators race for the same slots,
// and each of the 7 users of a thread soon holds enough sessions to evict
// its own (the fairness path) while others' logins evict by LRU sample.
// Every thread must read back its own login for the session it just created
// (two writers owning one slot would mix data), an earlier cookie of its own
// may read only valid, evicted or (marker aged out, slot being taken over)
// unknown, and the structure must check.
TEST(eviction_races_never_give_one_slot_two_owners) {
  std::string name = "gh-evict-" + std::to_string(getpid());
  gh_table *t = nullptr;
  gh_table_options o{32, 64};
  CHECK_EQ(gh_table_create(name.c_str(), &o, &t), GH_OK);
  std::atomic<uint64_t> mixed{0}, created{0}, evicted_seen{0}, wrong_reason{0};
  std::atomic<int> stop{0};
  std::vector<std::thread> th;
  for (int k = 0; k < 6; ++k)
    th.emplace_back([&, k] {
      char earlier[8][33] = {};
      for (int n = 0; !stop.load(std::memory_order_relaxed); ++n) {
        std::string user = "t" + std::to_string(k) + "-" + std::to_string(n % 7);
        gh_session_spec s{};
        s.login = user.data();
        s.login_len = user.size();
        gh_session_info info;
        if (gh_session_create(t, &s, &info) != GH_OK) continue;
        created++;
        char *old = earlier[n % 8];
        if (old[0]) {
          gh_reason r = gh_session_validate(t, old, 32, 0, 0, nullptr);
          if (r == GH_R_EVICTED) evicted_seen++;
          else if (r != GH_VALID && r != GH_R_UNKNOWN) wrong_reason++;
        }
        std::memcpy(old, info.session_id, 33);
        gh_session_info v;
        if (gh_session_validate(t, info.session_id, 32, 0, 0, &v) != GH_VALID) continue;  // evicted already: fine
        char login[300];
        size_t ll = 0;
        if (gh_session_read(t, v.slot, v.seq, login, sizeof login, &ll, nullptr, 0, nullptr, nullptr) == GH_OK &&
            (ll != user.size() || std::memcmp(login, user.data(), ll) != 0))
          mixed++;
      }
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  stop = 1;
  for (auto &x : th) x.join();
  std::printf("  created=%llu mixed=%llu evicted_seen=%llu\n", (unsigned long long)created.load(),
              (unsigned long long)mixed.load(), (unsigned long long)evicted_seen.load());
  CHECK(created.load() > 1000);
  CHECK_EQ(mixed.load(), 0u);
  CHECK(evicted_seen.load() > 0);
  CHECK_EQ(wrong_reason.load(), 0u);
  gh_stats st{};
  gh_table_stats(t, 0, &st);
  CHECK_EQ(st.evictions, st.ended[GH_R_EVICTED]);
  CHECK(st.evictions > 1000);
  gh_status cs = gh_table_check(t, 0);
  if (cs != GH_OK) std::fprintf(stderr, "  check: %s\n", gh_last_error());
  CHECK_EQ(cs, GH_OK);
  gh_table_close(t);
  gh_table_unlink(name.c_str());
}

TEST(threads_and_processes_keep_the_contract) {
  std::string name = "gh-stress-" + std::to_string(getpid());
  gh_table *t = nullptr;
  gh_table_options o{4096, 0};
  CHECK_EQ(gh_table_create(name.c_str(), &o, &t), GH_OK);
  auto *sh = static_cast<Shared *>(mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  new (sh) Shared();
  std::vector<pid_t> kids;
  for (int p = 1; p < kProcs; ++p) {
    pid_t pid = fork();
    if (pid == 0) { run_process(name.c_str(), sh, p); _exit(0); }
    kids.push_back(pid);
  }
  std::thread timer([&] { std::this_thread::sleep_for(std::chrono::seconds(g_seconds)); sh->stop = 1; });
  run_process(name.c_str(), sh, 0);
  timer.join();
  for (pid_t k : kids) {
    int st = 0;
    waitpid(k, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  std::printf("  ops=%llu reads=%llu lost=%llu validated_after_end=%llu count_mismatch=%llu\n",
              (unsigned long long)sh->ops.load(), (unsigned long long)sh->reads.load(), (unsigned long long)sh->lost.load(),
              (unsigned long long)sh->validated_after_end.load(), (unsigned long long)sh->count_mismatch.load());
  CHECK(sh->ops.load() > 1000);
  CHECK(sh->reads.load() > 1000);
  CHECK_EQ(sh->violations.load(), 0u);
  CHECK_EQ(sh->lost.load(), 0u);
  CHECK_EQ(sh->validated_after_end.load(), 0u);
  CHECK_EQ(sh->count_mismatch.load(), 0u);
  gh_status cs = gh_table_check(t, 0);
  if (cs != GH_OK) std::fprintf(stderr, "  check: %s\n", gh_last_error());
  CHECK_EQ(cs, GH_OK);
  gh_table_close(t);
  gh_table_unlink(name.c_str());
  munmap(sh, sizeof(Shared));
}

int main(int argc, char **argv) {
  if (argc > 1) g_seconds = std::atoi(argv[1]);
  return run_all("stress_test", 1, argv);
}
