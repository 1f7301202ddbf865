// user_ops.cpp -- whole-user and whole-table operations, all O(1) in the
// number of sessions: terminate all_sessions (generation bump), refresh
// all_sessions (refresh counter), count, and sign out everyone (epoch bump).
#include "sys.h"
#include "table.h"

using namespace gh;

namespace {
constexpr auto kAcq = std::memory_order_acquire;
constexpr auto kAR = std::memory_order_acq_rel;

gh_status check_login(gh_table *t, const char *login, size_t len) {
  if (!t) return fail(GH_E_INVALID_ARGUMENT, "table must not be NULL");
  if (!valid_login(login, len))
    return fail(GH_E_INVALID_ARGUMENT, "login ID must be 1..%d bytes of UTF-8 without control characters",
                GH_LOGIN_MAX);
  return GH_OK;
}

// Calls f(record) for every in-service record of this login (normally one).
template <typename F>
void for_each_record(gh_table *t, uint64_t key, F f) {
  uint32_t tag = login_tag(key), home = uint32_t(key) & t->user_mask;
  for (uint32_t k = 0; k < kUserWindow; ++k) {
    UserRec &u = t->users[(home + k) & t->user_mask];
    uint64_t kk = u.key.load(kAcq);
    if (kk == 0) break;  // end of the probe sequence (see users.cpp)
    if (kk == key && us_tag(u.state.load(kAcq)) == tag) f(u);
  }
}

void note_reason(UserRec &u, uint32_t gen, gh_reason reason) {
  uint64_t shift = (gen % 16) * 4, r = u.reasons.load(kAcq);
  while (!u.reasons.compare_exchange_weak(r, (r & ~(0xFull << shift)) | (uint64_t(reason) << shift), kAR, kAcq)) {
  }
}
}  // namespace

extern "C" gh_status gh_user_terminate_all(gh_table *t, const char *login, size_t len, gh_reason reason,
                                           uint32_t *ended) {
  if (gh_status s = check_login(t, login, len)) return s;
  if (reason != GH_R_ALL_SESSIONS_TERMINATED && reason != GH_R_DISPLACED)
    return fail(GH_E_INVALID_ARGUMENT, "reason must be all_sessions_terminated or displaced");
  uint64_t key = login_key(t, login, len);
  const uint32_t tag = login_tag(key);
  uint32_t total = 0;
  for_each_record(t, key, [&](UserRec &u) {
    uint64_t w = u.state.load(kAcq);
    // Retry only while the record still belongs to this login: if it was
    // reassigned meanwhile, it holds nothing of ours and bumping it would end
    // another user's sessions.
    while (us_tag(w) == tag && u.key.load(kAcq) == key) {
      uint32_t epoch = t->hdr->epoch.load(kAcq);
      // Say why before the bump makes it visible; a validate that sees the
      // new generation then finds the reason already in place.
      note_reason(u, us_gen(w), reason);
      uint64_t nw = make_us(us_gen(w) + 1, epoch, 0, us_tag(w));
      if (u.state.compare_exchange_weak(w, nw, kAR, kAcq)) {
        total += us_live_count(w, epoch);
        break;
      }
    }
  });
  t->hdr->ended[reason].fetch_add(total, std::memory_order_relaxed);
  if (ended) *ended = total;
  return GH_OK;
}

extern "C" gh_status gh_user_refresh_all(gh_table *t, const char *login, size_t len, uint32_t *sessions) {
  if (gh_status s = check_login(t, login, len)) return s;
  uint64_t key = login_key(t, login, len);
  uint32_t epoch = t->hdr->epoch.load(kAcq), total = 0;
  for_each_record(t, key, [&](UserRec &u) {
    u.refresh.fetch_add(1, kAR);
    total += us_live_count(u.state.load(kAcq), epoch);
  });
  if (sessions) *sessions = total;
  return GH_OK;
}

extern "C" gh_status gh_user_count(gh_table *t, const char *login, size_t len, uint32_t *count, uint32_t *limit) {
  if (gh_status s = check_login(t, login, len)) return s;
  uint64_t key = login_key(t, login, len);
  uint32_t epoch = t->hdr->epoch.load(kAcq), total = 0, lim = 0;
  for_each_record(t, key, [&](UserRec &u) {
    total += us_live_count(u.state.load(kAcq), epoch);
    lim = u.limit.load(std::memory_order_relaxed);
  });
  if (count) *count = total;
  if (limit) *limit = lim;
  return GH_OK;
}

extern "C" gh_status gh_sign_out_everyone(gh_table *t, uint32_t *epoch) {
  if (!t) return fail(GH_E_INVALID_ARGUMENT, "table must not be NULL");
  uint32_t e = t->hdr->epoch.fetch_add(1, kAR) + 1;
  if (epoch) *epoch = e;
  return GH_OK;
}
