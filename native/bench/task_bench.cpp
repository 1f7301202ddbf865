// task_bench.cpp -- parse + execute throughput of the task engine through
// gh_performtask (the in-process ivadmin_server_performtask equivalent):
// `terminate session <id>` and `terminate all_sessions <user>` for users
// holding 1, 100 and 10,000 sessions. Run: bash bench/task.sh
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "gatehouse.h"

namespace {
using Clock = std::chrono::steady_clock;

void die(const char *what) {
  std::fprintf(stderr, "task_bench: %s: %s\n", what, gh_last_error());
  std::exit(1);
}

gh_session_info login(gh_table *t, const std::string &user) {
  gh_session_spec s{};
  s.login = user.data();
  s.login_len = user.size();
  gh_session_info info;
  if (gh_session_create(t, &s, &info) != GH_OK) die("gh_session_create");
  return info;
}

// Runs one task; returns its latency in microseconds and checks it succeeded.
double perform(gh_table *t, const gh_server_identity &id, const std::string &task) {
  gh_task_response *r = nullptr;
  auto t0 = Clock::now();
  gh_status st = gh_performtask(t, &id, "", task.data(), task.size(), &r);
  double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
  if (st != GH_OK || !gh_task_response_ok(r)) die(task.c_str());  // warnings (no sessions) are ok
  gh_task_response_free(r);
  return us;
}

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, size_t(p * double(v.size())))];
}
}  // namespace

int main() {
  std::string name = "gh-task-bench-" + std::to_string(getpid());
  gh_table *t = nullptr;
  gh_table_options o{65536, 64};
  if (gh_table_create(name.c_str(), &o, &t) != GH_OK) die("gh_table_create");
  gh_server_identity id{"default-webseald-bench", "bench-default", "default"};

  std::printf("| task | sessions ended per call | calls | median µs | p99 µs | calls/s (from median) |\n");
  std::printf("|---|---:|---:|---:|---:|---:|\n");
  // terminate session: 20,000 distinct sessions, one call each.
  {
    std::vector<std::string> tasks;
    for (int i = 0; i < 20000; ++i) tasks.push_back(std::string("terminate session ") + login(t, "u" + std::to_string(i % 1000)).user_session_id);
    std::vector<double> us;
    for (auto &task : tasks) us.push_back(perform(t, id, task));
    double m = pct(us, 0.5);
    std::printf("| `terminate session <id>` | 1 | %zu | %.2f | %.2f | %.0f |\n", us.size(), m, pct(us, 0.99), 1e6 / m);
  }
  // terminate all_sessions for users holding 1, 100 and 10,000 sessions.
  for (bool warm : {false, true})
  for (int per_user : {1, 100, 10000}) {
    int calls = per_user == 10000 ? 20 : 200;
    std::vector<double> us;
    for (int k = 0; k < calls; ++k) {
      std::string user = "Mary Jones " + std::to_string(per_user) + (warm ? "w-" : "c-") + std::to_string(k);
      for (int i = 0; i < per_user; ++i) login(t, user);
      // Creating the sessions evicts the engine's code and data from cache;
      // one unrelated task first, so the timed call measures the terminate
      // and not the cold start (which the cold column still reports).
      if (warm) perform(t, id, "terminate all_sessions \"someone else\"");
      us.push_back(perform(t, id, "terminate all_sessions \"" + user + "\""));
    }
    double m = pct(us, 0.5);
    std::printf("| `terminate all_sessions \"Mary Jones …\"` (%s) | %d | %d | %.2f | %.2f | %.0f |\n", warm ? "warm" : "cold",
                per_user, calls, m, pct(us, 0.99), 1e6 / m);
  }
  gh_table_close(t);
  gh_table_unlink(name.c_str());
  return 0;
}
