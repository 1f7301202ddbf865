// eviction_test.cpp -- what a full table does to make room, measured: the
// victim is among the least recently used sessions of the whole table, a user
// holding several sessions pays with its own, a login refused by its limit
// evicts nobody, and an evicted cookie keeps saying "evicted" after its slot
// was reused.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "check.h"
#include "gatehouse.h"

namespace {
std::string unique_name(const char *what) {
  static int n = 0;
  return std::string("gh-evt-") + what + "-" + std::to_string(getpid()) + "-" + std::to_string(n++);
}

struct Table {
  gh_table *t = nullptr;
  std::string name;
  explicit Table(uint32_t capacity, uint32_t cred = 64) : name(unique_name("t")) {
    gh_table_options o{capacity, cred};
    if (gh_table_create(name.c_str(), &o, &t) != GH_OK) std::fprintf(stderr, "create: %s\n", gh_last_error());
  }
  ~Table() { gh_table_close(t); gh_table_unlink(name.c_str()); }
};

const uint64_t T0 = uint64_t(time(nullptr)) * 1000;

// No timeouts: only eviction ends these sessions.
gh_session_info login(gh_table *t, const std::string &user, uint64_t now, uint32_t max = 0, gh_status *st = nullptr) {
  gh_session_spec s{};
  s.login = user.data();
  s.login_len = user.size();
  s.max_sessions = max;
  s.now_ms = now;
  gh_session_info info{};
  gh_status r = gh_session_create(t, &s, &info);
  if (st) *st = r;
  if (r != GH_OK && r != GH_E_LIMIT) std::fprintf(stderr, "  create: %s\n", gh_last_error());
  return info;
}

gh_reason check(gh_table *t, const gh_session_info &i, uint64_t now) {
  return gh_session_validate(t, i.session_id, GH_SESSION_ID_LEN, now, 0, nullptr);
}

gh_stats stats(gh_table *t, uint64_t now) {
  gh_stats s{};
  gh_table_stats(t, now, &s);
  return s;
}

// Fills a table of `capacity` with one session per user, then gives them a
// known access order: the session touched k-th has last access T0 + k s.
// Returns, per slot, the session's age rank (0 = least recently used).
std::vector<int> fill_in_known_order(gh_table *t, uint32_t capacity, unsigned seed,
                                     std::vector<gh_session_info> *sessions = nullptr) {
  std::vector<gh_session_info> s(capacity);
  for (uint32_t i = 0; i < capacity; ++i) s[i] = login(t, "user" + std::to_string(i), T0);
  std::vector<uint32_t> order(capacity);
  std::iota(order.begin(), order.end(), 0u);
  std::shuffle(order.begin(), order.end(), std::mt19937(seed));
  std::vector<int> rank_of_slot(capacity, -1);
  for (uint32_t k = 0; k < capacity; ++k) {
    const gh_session_info &x = s[order[k]];
    gh_session_validate(t, x.session_id, GH_SESSION_ID_LEN, T0 + 1000 * (k + 1), 1, nullptr);
    rank_of_slot[x.slot] = int(k);
  }
  if (sessions) *sessions = s;
  return rank_of_slot;
}
}  // namespace

// For each capacity (multiples of 128 among them, where the old fixed
// windows could reach only one slot in eight), log in new users on the full
// table and place every victim in the age order of the sessions still there.
TEST(victims_are_among_the_least_recently_used_of_the_whole_table) {
  for (uint32_t capacity : {4096u, 4000u, 1056u, 8192u}) {
    Table tb(capacity);
    std::vector<int> rank_of_slot = fill_in_known_order(tb.t, capacity, capacity);
    CHECK_EQ(stats(tb.t, T0).evictions, 0u);
    std::vector<bool> gone(capacity, false);
    const uint32_t evictions = capacity / 8;
    const uint64_t later = T0 + 1000 * (uint64_t(capacity) + 10);
    double worst = 0, sum = 0;
    uint32_t counted = 0;
    for (uint32_t e = 0; e < evictions; ++e) {
      gh_session_info n = login(tb.t, "new" + std::to_string(e), later + e);
      if (n.slot >= capacity || rank_of_slot[n.slot] < 0) continue;  // a newcomer's slot: counted below
      int r = rank_of_slot[n.slot];
      // Rank among the sessions of the original fill still present.
      uint32_t older = 0, left = 0;
      for (uint32_t s = 0; s < capacity; ++s)
        if (!gone[s]) {
          ++left;
          older += rank_of_slot[s] >= 0 && rank_of_slot[s] < r;
        }
      double pct = double(older) / double(left);
      worst = std::max(worst, pct);
      sum += pct;
      ++counted;
      gone[n.slot] = true;
      rank_of_slot[n.slot] = -1;
    }
    gh_stats s = stats(tb.t, later + evictions);
    std::printf("  capacity %u: %u evictions, mean victim percentile %.2f%%, worst %.2f%%\n", capacity, counted,
                100 * sum / counted, 100 * worst);
    // Every eviction took a session of the original fill (the newcomers are
    // the most recently used), the table stayed full, and each was counted.
    CHECK_EQ(counted, evictions);
    CHECK_EQ(s.evictions, uint64_t(evictions));
    CHECK_EQ(s.ended[GH_R_EVICTED], uint64_t(evictions));
    CHECK_EQ(s.live, capacity);
    // A sample of 128 makes the victim's percentile Beta(1, 128): mean 0.8 %,
    // beyond 15 % with probability 1e-9 per eviction.
    CHECK(sum / counted < 0.025);
    CHECK(worst < 0.15);
    CHECK_EQ(gh_table_check(tb.t, 0), GH_OK);
  }
}

// A table no larger than the sample is searched whole: eviction is exact LRU.
TEST(small_tables_evict_exactly_the_least_recently_used) {
  const uint32_t capacity = 96;
  Table tb(capacity);
  std::vector<int> rank_of_slot = fill_in_known_order(tb.t, capacity, 7);
  for (int e = 0; e < 40; ++e) {
    gh_session_info n = login(tb.t, "new" + std::to_string(e), T0 + 1000 * (capacity + 10 + e));
    CHECK(n.slot < capacity);
    if (n.slot < capacity) CHECK_EQ(rank_of_slot[n.slot], e);  // the e-th oldest goes e-th
  }
}

// One account logging in again and again on a full table must not push the
// other users out: from its kOwnFirst-th session on, it evicts its own least
// recently used session, however recently it was used.
TEST(one_user_logging_in_repeatedly_evicts_only_its_own_sessions) {
  const uint32_t capacity = 4096;
  Table tb(capacity);
  std::vector<gh_session_info> others;
  fill_in_known_order(tb.t, capacity, 11, &others);
  const uint64_t later = T0 + 1000 * (uint64_t(capacity) + 10);
  std::vector<gh_session_info> mine;
  for (int k = 0; k < 500; ++k) mine.push_back(login(tb.t, "greedy", later + 1000 * k));
  const uint64_t end = later + 1000 * 600;
  int others_left = 0;
  for (auto &o : others) others_left += check(tb.t, o, end) == GH_VALID;
  std::printf("  others still logged in: %d of %u\n", others_left, capacity);
  // The first two logins held fewer than kOwnFirst sessions and took the LRU
  // of others; every later one took greedy's own oldest.
  CHECK_EQ(others_left, int(capacity) - 2);
  uint32_t c = 0;
  gh_user_count(tb.t, "greedy", 6, &c, nullptr);
  CHECK_EQ(c, 2u);
  CHECK_EQ(check(tb.t, mine[499], end), GH_VALID);
  CHECK_EQ(check(tb.t, mine[498], end), GH_VALID);
  CHECK_EQ(check(tb.t, mine[100], end), GH_R_EVICTED);
  CHECK_EQ(stats(tb.t, end).evictions, 500u);
  CHECK_EQ(gh_table_check(tb.t, 0), GH_OK);
}

// The limit is checked before a slot is claimed, so a refused login evicts
// nobody -- also when several logins of the user race for the last place.
TEST(a_login_refused_by_its_limit_evicts_nobody) {
  const uint32_t capacity = 64;
  Table tb(capacity);
  std::vector<gh_session_info> others;
  for (uint32_t i = 0; i + 1 < capacity; ++i) others.push_back(login(tb.t, "other" + std::to_string(i), T0));
  gh_status st;
  login(tb.t, "limited", T0, 1, &st);
  CHECK_EQ(st, GH_OK);
  // Sequential: the table is full and the user at its limit.
  login(tb.t, "limited", T0 + 1000, 1, &st);
  CHECK_EQ(st, GH_E_LIMIT);
  CHECK_EQ(stats(tb.t, T0 + 1000).evictions, 0u);
  // Racing: in each round one racer ends the user's session (its slot
  // becomes reusable), then both log in at once, released together by a
  // spinning barrier (one racer per core); one wins, the other is refused.
  constexpr int kRacers = 2, kRounds = 20000;
  std::atomic<int> arrived{0};
  auto barrier = [&](int &phase) {  // the n-th call returns once both made it
    ++phase;
    arrived.fetch_add(1);
    for (int spins = 0; arrived.load() < kRacers * phase; ++spins)
      if (spins > 10000) std::this_thread::yield();
  };
  std::atomic<uint64_t> wins{0}, refused{0};
  std::vector<std::thread> th;
  for (int k = 0; k < kRacers; ++k)
    th.emplace_back([&, k] {
      int phase = 0;
      for (int round = 0; round < kRounds; ++round) {
        barrier(phase);
        if (k == 0) gh_user_terminate_all(tb.t, "limited", 7, GH_R_ALL_SESSIONS_TERMINATED, nullptr);
        barrier(phase);
        gh_status s;
        login(tb.t, "limited", T0 + 2000, 1, &s);
        (s == GH_OK ? wins : refused).fetch_add(1);
      }
    });
  for (auto &x : th) x.join();
  std::printf("  wins=%llu refused=%llu\n", (unsigned long long)wins.load(), (unsigned long long)refused.load());
  CHECK_EQ(wins.load(), uint64_t(kRounds));
  CHECK_EQ(refused.load(), uint64_t(kRounds * (kRacers - 1)));
  CHECK_EQ(stats(tb.t, T0 + 3000).evictions, 0u);
  int others_left = 0;
  for (auto &o : others) others_left += check(tb.t, o, T0 + 3000) == GH_VALID;
  CHECK_EQ(others_left, int(capacity) - 1);
  CHECK_EQ(gh_table_check(tb.t, 0), GH_OK);
}

// The evicted cookie's bucket becomes a marker: the reason survives the reuse
// of the slot for the next `capacity` evictions, then the marker is garbage.
TEST(an_evicted_cookie_reads_evicted_for_the_next_capacity_evictions) {
  const uint32_t capacity = 64;
  Table tb(capacity);
  std::vector<gh_session_info> s;
  fill_in_known_order(tb.t, capacity, 3, &s);
  // The least recently used session is the one touched first.
  gh_session_info victim{};
  for (auto &x : s) {
    gh_session_info v{};
    gh_session_validate(tb.t, x.session_id, 32, T0, 0, &v);
    if (v.last_access_ms == T0 + 1000) victim = x;
  }
  uint64_t now = T0 + 1000 * (capacity + 10);
  gh_session_info first = login(tb.t, "newcomer0", now);
  CHECK_EQ(first.slot, victim.slot);  // its slot is in use again...
  CHECK_EQ(check(tb.t, victim, now), GH_R_EVICTED);  // ...and the cookie still says why
  CHECK_EQ(gh_session_logout(tb.t, victim.session_id, 32), GH_E_NOT_FOUND);
  gh_session_info info{};
  CHECK_EQ(gh_session_validate(tb.t, victim.session_id, 32, now, 1, &info), GH_R_EVICTED);
  CHECK_EQ(info.slot, UINT32_MAX);
  for (uint32_t e = 1; e < capacity; ++e) login(tb.t, "newcomer" + std::to_string(e), now + e);
  CHECK_EQ(stats(tb.t, now + capacity).evictions, uint64_t(capacity));
  CHECK_EQ(check(tb.t, victim, now + capacity), GH_R_EVICTED);  // `capacity` evictions in all
  login(tb.t, "one-more", now + capacity + 1);
  CHECK_EQ(check(tb.t, victim, now + capacity + 1), GH_R_UNKNOWN);  // past the bound
  CHECK_EQ(check(tb.t, first, now + capacity + 1), GH_R_EVICTED);
  CHECK_EQ(gh_table_check(tb.t, 0), GH_OK);
}

int main(int argc, char **argv) { return run_all("eviction_test", argc, argv); }
