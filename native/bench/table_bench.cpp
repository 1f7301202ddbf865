// table_bench.cpp -- `bash bench/native.sh [--quick]` (native half of
// `npm run bench:table`). Measures, side by side in one run:
//
//   1. gh_session_validate (touch=1, now_ms=0) lookups/s over N live
//      sessions (N = 10,000 and 1,000,000; --quick: 100,000), in a random
//      pre-shuffled order, on 1 and on 2 threads; against a
//      std::unordered_map<std::string, Session> on 1 thread doing the same
//      validity checks with the same string keys.
//   2. gh_user_terminate_all latency for a user with 1 and with 10,000
//      sessions (10,000 sessions created before every timed call, the
//      target's and a filler user's, so both rows see the same cache state).
//   3. gh_sign_out_everyone latency with N live sessions.
//   4. Segment bytes per slot of the large table.
//
// Keys: every lookup sequence is a vector of std::string copies laid out in
// that sequence's (shuffled) order, so reading the key bytes is a sequential
// stream -- like a cookie sitting in a freshly parsed request -- and what is
// measured is the cost of the table, not of fetching the key. Both sides read
// the very same strings. The baseline reads the system clock per lookup, as
// gh_session_validate does with now_ms=0. Two reference columns: the map
// reading the clock once per pass (what that clock read costs), and validate
// with out=NULL (what building the gh_session_info, user session ID string
// included, costs).
#include <malloc.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "gatehouse.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr uint32_t kLifetimeS = 3600;
constexpr uint32_t kInactiveS = 600;
constexpr uint32_t kCredBytes = 64;
constexpr int kTrials = 5;

[[noreturn]] void die(const char *what) {
  std::fprintf(stderr, "table_bench: %s: %s\n", what, gh_last_error());
  std::exit(1);
}

// The clock gh_session_validate reads when now_ms is 0 (CLOCK_REALTIME_COARSE, ms):
// the baseline pays exactly the same for it.
uint64_t wall_ms() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return uint64_t(ts.tv_sec) * 1000u + uint64_t(ts.tv_nsec) / 1000000u;
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, 10, "model name") == 0) {
      size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "unknown";
}

int online_cpus() {  // what nproc(1) prints: the CPUs this process may use
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  return int(sysconf(_SC_NPROCESSORS_ONLN));
}

std::string with_commas(uint64_t v) {
  std::string s = std::to_string(v);
  for (int i = int(s.size()) - 3; i > 0; i -= 3) s.insert(size_t(i), ",");
  return s;
}

std::string mops(double ops_per_s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f M", ops_per_s / 1e6);
  return buf;
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Nearest-rank percentile of microsecond samples.
double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t rank = size_t(p / 100.0 * double(v.size()) + 0.999999);
  if (rank < 1) rank = 1;
  return v[std::min(rank, v.size()) - 1];
}

size_t heap_in_use() { return mallinfo2().uordblks; }

// Every segment this run created, unlinked again at exit: the error paths
// leave through std::exit, which runs no destructors.
std::vector<std::string> g_segments;
void unlink_segments() {
  for (const std::string &name : g_segments) gh_table_unlink(name.c_str());
}

// A table segment named after this process; unlinked by the destructor.
struct Table {
  std::string name;
  gh_table *t = nullptr;
  Table(const char *what, uint32_t capacity) {
    name = "gh-bench-" + std::to_string(getpid()) + "-" + what;
    gh_table_unlink(name.c_str());
    g_segments.push_back(name);
    gh_table_options o{capacity, kCredBytes};
    if (gh_table_create(name.c_str(), &o, &t) != GH_OK) die("gh_table_create");
  }
  ~Table() {
    gh_table_close(t);
    gh_table_unlink(name.c_str());
  }
  Table(const Table &) = delete;
  Table &operator=(const Table &) = delete;
};

gh_session_info create_session(gh_table *t, const std::string &login) {
  gh_session_spec spec{};
  spec.login = login.data();
  spec.login_len = login.size();
  spec.lifetime_s = kLifetimeS;
  spec.inactive_s = kInactiveS;
  spec.auth_method = GH_AUTH_FORMS;
  gh_session_info info;
  if (gh_session_create(t, &spec, &info) != GH_OK) die("gh_session_create");
  return info;
}

// ---- the baseline ------------------------------------------------------------

// The fields gh_session_info carries that the validity rule needs.
struct Session {
  uint64_t created_ms;
  uint64_t last_access_ms;
  uint32_t lifetime_s;
  uint32_t inactive_s;
  uint32_t user_idx;
  uint32_t generation;
  uint32_t epoch;
  uint32_t flags;
};

// What a careful C++ developer would write with std::unordered_map: the same
// checks, in the same order, as the table's judge(), and the same once-a-second
// touch. Single-threaded (it has no lock).
struct MapSessions {
  std::unordered_map<std::string, Session> map;
  std::vector<uint32_t> generations;  // per user
  uint32_t epoch = 1;

  gh_reason validate(const std::string &id, uint64_t now, Session *out) {
    auto it = map.find(id);
    if (it == map.end()) return GH_R_UNKNOWN;
    Session &s = it->second;
    if (s.epoch != epoch) return GH_R_SIGNED_OUT_EVERYWHERE;
    if (s.generation != generations[s.user_idx]) return GH_R_ALL_SESSIONS_TERMINATED;
    if (s.lifetime_s && now >= s.created_ms + uint64_t(s.lifetime_s) * 1000) return GH_R_EXPIRED;
    if (s.inactive_s && now >= s.last_access_ms + uint64_t(s.inactive_s) * 1000) return GH_R_INACTIVE;
    if (now >= s.last_access_ms + 1000) s.last_access_ms = now;
    *out = s;
    return GH_VALID;
  }
};

// ---- lookups -------------------------------------------------------------------

using Keys = std::vector<std::string>;

// The N keys copied in a random order (see the header comment).
Keys shuffled_copy(const Keys &keys, uint64_t seed) {
  std::vector<uint32_t> order(keys.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  Keys out;
  out.reserve(keys.size());
  for (uint32_t i : order) out.push_back(keys[i]);
  return out;
}

// `lookups` validations cycling through seq; returns how many were valid.
// With want_info false, out is NULL: no gh_session_info (and so no user
// session ID string) is built.
uint64_t gh_pass(gh_table *t, const Keys &seq, uint64_t lookups, bool want_info, uint64_t *sink) {
  gh_session_info info{};
  gh_session_info *out = want_info ? &info : nullptr;
  uint64_t valid = 0, acc = 0;
  size_t j = 0;
  for (uint64_t k = 0; k < lookups; ++k) {
    const std::string &key = seq[j];
    if (++j == seq.size()) j = 0;
    gh_reason r = gh_session_validate(t, key.data(), key.size(), 0, 1, out);
    valid += r == GH_VALID;
    acc += info.slot;
  }
  *sink += acc;
  return valid;
}

uint64_t map_pass(MapSessions &m, const Keys &seq, uint64_t lookups, bool clock_per_lookup, uint64_t *sink) {
  Session out{};
  uint64_t valid = 0, acc = 0, now = wall_ms();
  size_t j = 0;
  for (uint64_t k = 0; k < lookups; ++k) {
    const std::string &key = seq[j];
    if (++j == seq.size()) j = 0;
    if (clock_per_lookup) now = wall_ms();
    gh_reason r = m.validate(key, now, &out);
    valid += r == GH_VALID;
    acc += out.user_idx;
  }
  *sink += acc;
  return valid;
}

void expect_all_valid(uint64_t valid, uint64_t lookups, const char *what) {
  if (valid != lookups) {
    std::fprintf(stderr, "table_bench: %s: only %" PRIu64 " of %" PRIu64 " lookups were valid\n", what, valid,
                 lookups);
    std::exit(1);
  }
}

// Aggregate lookups/s of `threads` threads, each on its own sequence.
double gh_rate(gh_table *t, const std::vector<const Keys *> &seqs, uint64_t lookups, bool want_info,
               uint64_t *sink) {
  const size_t threads = seqs.size();
  std::vector<uint64_t> valid(threads, 0), sinks(threads, 0);
  std::atomic<size_t> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  for (size_t i = 0; i < threads; ++i) {
    pool.emplace_back([&, i] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) {
      }
      valid[i] = gh_pass(t, *seqs[i], lookups, want_info, &sinks[i]);
    });
  }
  while (ready.load() != threads) {
  }
  auto t0 = Clock::now();
  go.store(true, std::memory_order_release);
  for (auto &th : pool) th.join();
  double s = seconds_since(t0);
  for (size_t i = 0; i < threads; ++i) {
    expect_all_valid(valid[i], lookups, "gh_session_validate");
    *sink += sinks[i];
  }
  return double(lookups * threads) / s;
}

struct LookupRow {
  uint32_t n;
  double gh1, gh2, map_clock, map_noclock, gh1_noinfo;
  std::string spread;  // min-max over the trials
  uint64_t segment_bytes;
  uint32_t capacity;
  double map_heap_bytes;  // per session
};

// Builds a table and a map of n sessions and measures lookups/s. When
// `keep` is set the table is handed back (for the sign-out measurement).
LookupRow lookups(uint32_t n, uint64_t lookups_per_trial, std::unique_ptr<Table> *keep, Keys *keys_out,
                  uint64_t *sink) {
  LookupRow row{};
  row.n = n;
  auto tb = std::make_unique<Table>(("lookup-" + std::to_string(n)).c_str(), n);
  Keys keys;
  keys.reserve(n);
  auto t0 = Clock::now();
  for (uint32_t k = 0; k < n; ++k) {
    gh_session_info info = create_session(tb->t, "user" + std::to_string(k));
    keys.emplace_back(info.session_id, GH_SESSION_ID_LEN);
  }
  double create_s = seconds_since(t0);

  gh_stats st;
  if (gh_table_stats(tb->t, 0, &st) != GH_OK) die("gh_table_stats");
  if (st.live != n) {
    std::fprintf(stderr, "table_bench: expected %u live sessions, stats say %u\n", n, st.live);
    std::exit(1);
  }
  row.segment_bytes = st.segment_bytes;
  row.capacity = st.capacity;

  // The baseline, with the same keys and the same field values.
  MapSessions m;
  size_t heap0 = heap_in_use();
  m.map.reserve(n);
  m.generations.assign(n, 0);
  const uint64_t now = wall_ms();
  for (uint32_t k = 0; k < n; ++k) m.map.emplace(keys[k], Session{now, now, kLifetimeS, kInactiveS, k, 0, 1, 0});
  row.map_heap_bytes = double(heap_in_use() - heap0) / n;

  Keys seq_a = shuffled_copy(keys, 0x6761746568ull + n), seq_b = shuffled_copy(keys, 0x6f757365ull + n);
  std::printf("  N=%s: created %s sessions in %.2f s (%.2f us each); measuring...\n", with_commas(n).c_str(),
              with_commas(n).c_str(), create_s, create_s * 1e6 / n);
  std::fflush(stdout);

  // Warm-up: one pass of each kind.
  expect_all_valid(gh_pass(tb->t, seq_a, n, true, sink), n, "warm-up");
  expect_all_valid(map_pass(m, seq_a, n, true, sink), n, "warm-up (map)");

  std::vector<double> gh1, gh2, mc, mn, g0;
  for (int trial = 0; trial < kTrials; ++trial) {
    gh1.push_back(gh_rate(tb->t, {&seq_a}, lookups_per_trial, true, sink));
    gh2.push_back(gh_rate(tb->t, {&seq_a, &seq_b}, lookups_per_trial, true, sink));
    g0.push_back(gh_rate(tb->t, {&seq_a}, lookups_per_trial, false, sink));
    auto m0 = Clock::now();
    expect_all_valid(map_pass(m, seq_a, lookups_per_trial, true, sink), lookups_per_trial, "map");
    mc.push_back(double(lookups_per_trial) / seconds_since(m0));
    m0 = Clock::now();
    expect_all_valid(map_pass(m, seq_a, lookups_per_trial, false, sink), lookups_per_trial, "map");
    mn.push_back(double(lookups_per_trial) / seconds_since(m0));
  }
  auto range = [](const char *what, const std::vector<double> &v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s %.2f-%.2f M", what, *std::min_element(v.begin(), v.end()) / 1e6,
                  *std::max_element(v.begin(), v.end()) / 1e6);
    return std::string(buf);
  };
  row.spread = range("gh 1 thread", gh1) + ", " + range("gh 2 threads", gh2) + ", " + range("umap", mc);
  row.gh1 = median_of(gh1);
  row.gh2 = median_of(gh2);
  row.map_clock = median_of(mc);
  row.map_noclock = median_of(mn);
  row.gh1_noinfo = median_of(g0);
  if (keep) *keep = std::move(tb);
  if (keys_out) *keys_out = std::move(keys);
  return row;
}

// ---- latencies -------------------------------------------------------------------

struct Latency {
  std::string what;
  std::string ended;  // sessions each call ends
  size_t calls;
  double median_us, p99_us, max_us;
};

Latency summarize(std::string what, std::string ended, const std::vector<double> &us) {
  return Latency{std::move(what), std::move(ended), us.size(), percentile(us, 50), percentile(us, 99),
                 *std::max_element(us.begin(), us.end())};
}

// gh_user_terminate_all on a user holding `sessions` live sessions, in a table
// of capacity 65536. Before every timed call 10,000 sessions are created: a
// filler user's first, then the target's `sessions` (the filler is ended,
// untimed, afterwards). Both rows thus run with the same cache disturbance and
// every timed call really ends `sessions` sessions.
Latency terminate_all(uint32_t sessions, int reps, Table &tb) {
  constexpr uint32_t kCreatesPerRep = 10000;
  const std::string login = "bulk" + std::to_string(sessions), filler = "filler";
  std::vector<double> us;
  us.reserve(size_t(reps));
  for (int rep = 0; rep < reps; ++rep) {
    for (uint32_t k = sessions; k < kCreatesPerRep; ++k) create_session(tb.t, filler);
    for (uint32_t k = 0; k < sessions; ++k) create_session(tb.t, login);
    uint32_t ended = 0;
    auto t0 = Clock::now();
    gh_status s = gh_user_terminate_all(tb.t, login.data(), login.size(), GH_R_ALL_SESSIONS_TERMINATED, &ended);
    auto t1 = Clock::now();
    if (s != GH_OK) die("gh_user_terminate_all");
    if (ended != sessions) {
      std::fprintf(stderr, "table_bench: terminate_all ended %u sessions, expected %u\n", ended, sessions);
      std::exit(1);
    }
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    if (gh_user_terminate_all(tb.t, filler.data(), filler.size(), GH_R_ALL_SESSIONS_TERMINATED, nullptr) != GH_OK)
      die("gh_user_terminate_all (filler)");
  }
  uint32_t count = 1, limit = 1;
  if (gh_user_count(tb.t, login.data(), login.size(), &count, &limit) != GH_OK || count != 0) {
    std::fprintf(stderr, "table_bench: %s still counts %u sessions after terminate_all\n", login.c_str(), count);
    std::exit(1);
  }
  return summarize("`gh_user_terminate_all`, user with " + with_commas(sessions) + " session" +
                       (sessions == 1 ? "" : "s"),
                   with_commas(sessions), us);
}

// The same call repeated at once on a user it has just emptied: the O(1)
// work with the user's records already in cache.
Latency terminate_all_warm(int reps, Table &tb) {
  const std::string login = "warm";
  create_session(tb.t, login);
  std::vector<double> us;
  us.reserve(size_t(reps));
  for (int rep = 0; rep < reps; ++rep) {
    auto t0 = Clock::now();
    gh_status s = gh_user_terminate_all(tb.t, login.data(), login.size(), GH_R_ALL_SESSIONS_TERMINATED, nullptr);
    auto t1 = Clock::now();
    if (s != GH_OK) die("gh_user_terminate_all");
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  return summarize("(`gh_user_terminate_all` repeated back to back, caches warm)", "1 (first call), then 0", us);
}

Latency sign_out_everyone(gh_table *t, uint32_t live, int calls, const std::string &probe_key) {
  std::vector<double> us;
  us.reserve(size_t(calls));
  for (int i = 0; i < calls; ++i) {
    uint32_t epoch = 0;
    auto t0 = Clock::now();
    gh_status s = gh_sign_out_everyone(t, &epoch);
    auto t1 = Clock::now();
    if (s != GH_OK) die("gh_sign_out_everyone");
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  gh_reason r = gh_session_validate(t, probe_key.data(), probe_key.size(), 0, 0, nullptr);
  if (r != GH_R_SIGNED_OUT_EVERYWHERE) {
    std::fprintf(stderr, "table_bench: after sign-out a session validates as %s\n", gh_reason_name(r));
    std::exit(1);
  }
  return summarize("`gh_sign_out_everyone`, " + with_commas(live) + " live sessions", with_commas(live) +
                   " (first call), then 0", us);
}

// What two back-to-back steady_clock::now() calls cost: the floor under
// every latency above.
Latency clock_floor(int calls) {
  std::vector<double> us;
  us.reserve(size_t(calls));
  for (int i = 0; i < calls; ++i) {
    auto t0 = Clock::now();
    auto t1 = Clock::now();
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  return summarize("(timer floor: empty timed region)", "-", us);
}

}  // namespace

int main(int argc, char **argv) {
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else {
      std::fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
      return 2;
    }
  }
  const uint32_t big = quick ? 100000 : 1000000;
  const uint64_t lookups_per_trial = quick ? 500000 : 1000000;
  const int term_reps = 200, signout_calls = 1000;
  std::atexit(unlink_segments);
  auto start = Clock::now();

  char date[64];
  std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S %Z", std::localtime(&now));
  std::printf("# Gatehouse native table benchmark%s\n\n", quick ? " (--quick)" : "");
  std::printf("- date: %s\n- cpu: %s\n- nproc: %d\n", date, cpu_model().c_str(), online_cpus());
  std::printf("- sessions: cred_bytes %u, lifetime %u s, inactive %u s, one per user \"user<k>\"\n", kCredBytes,
              kLifetimeS, kInactiveS);
  std::printf("- lookups: %s per trial per thread, random order, median of %d trials\n\n",
              with_commas(lookups_per_trial).c_str(), kTrials);
  std::fflush(stdout);

  uint64_t sink = 0;
  std::vector<LookupRow> rows;
  std::unique_ptr<Table> big_table;
  Keys big_keys;
  rows.push_back(lookups(10000, lookups_per_trial, nullptr, nullptr, &sink));
  rows.push_back(lookups(big, lookups_per_trial, &big_table, &big_keys, &sink));

  std::vector<Latency> lat;
  {
    Table tb("terminate", 65536);
    lat.push_back(terminate_all(1, term_reps, tb));
    lat.push_back(terminate_all(10000, term_reps, tb));
    lat.push_back(terminate_all_warm(term_reps, tb));
  }
  lat.push_back(sign_out_everyone(big_table->t, big, signout_calls, big_keys[0]));
  lat.push_back(clock_floor(signout_calls));
  big_table.reset();

  std::printf("\n## Validate: lookups/s (touch=1, now_ms=0)\n\n");
  std::printf("| live sessions | gh 1 thread | gh 2 threads | unordered_map 1 thread | gh1/umap | gh2/gh1 |"
              " gh 1 thread, out=NULL | umap, clock read once per pass |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const LookupRow &r : rows)
    std::printf("| %s | %s | %s | %s | %.2f | %.2f | %s | %s |\n", with_commas(r.n).c_str(), mops(r.gh1).c_str(),
                mops(r.gh2).c_str(), mops(r.map_clock).c_str(), r.gh1 / r.map_clock, r.gh2 / r.gh1,
                mops(r.gh1_noinfo).c_str(), mops(r.map_noclock).c_str());

  std::printf("\nSpread over the %d trials (min-max):\n", kTrials);
  for (const LookupRow &r : rows) std::printf("- N=%s: %s\n", with_commas(r.n).c_str(), r.spread.c_str());

  std::printf("\n## Whole-user and whole-table operations (microseconds per call)\n\n");
  std::printf("| operation | sessions ended per call | calls | median us | p99 us | max us |\n");
  std::printf("|---|---:|---:|---:|---:|---:|\n");
  for (const Latency &l : lat)
    std::printf("| %s | %s | %zu | %.3f | %.3f | %.3f |\n", l.what.c_str(), l.ended.c_str(),
                l.calls, l.median_us, l.p99_us, l.max_us);

  std::printf("\n## Memory\n\n");
  std::printf("| live sessions | capacity | segment bytes | segment bytes / capacity |"
              " unordered_map heap bytes / session |\n");
  std::printf("|---:|---:|---:|---:|---:|\n");
  for (const LookupRow &r : rows)
    std::printf("| %s | %s | %s | %.1f | %.1f |\n", with_commas(r.n).c_str(), with_commas(r.capacity).c_str(),
                with_commas(r.segment_bytes).c_str(), double(r.segment_bytes) / r.capacity, r.map_heap_bytes);
  std::printf("\nThe segment holds slots, session index and user records; each slot has %u bytes of credential area. "
              "The map's heap figure (malloc in-use bytes, nodes + key strings + buckets) is for its fixed fields "
              "only: no login ID, attributes or user session ID.\n",
              kCredBytes);

  std::printf("\nRatios: gh1/umap = gh_session_validate on 1 thread / unordered_map on 1 thread (same checks, "
              "clock read per lookup on both); gh2/gh1 = 2-thread aggregate / 1 thread.\n");
  std::printf("The last two columns are for reference only: validate with out=NULL builds no gh_session_info "
              "(no user session ID string); the map reading the clock once per pass shows what the clock read "
              "costs.\n");
  std::printf("Total run time %.1f s (checksum %" PRIu64 ").\n", seconds_since(start), sink & 0xFFFF);
  return 0;
}
