// users.cpp -- per-user records: login ID -> generation, count, limit.
//
// A login's record sits in one of kUserWindow records from its home. A record
// never returns to key 0 (it is reassigned instead), and a login is always
// placed at or before the first never-used record of its probe sequence, so
// every probe stops at the first key-0 record: the cost is the cluster length,
// not the window. The canonical record is the first in probe order whose key
// and tag match.
// Records whose count is 0 in the current epoch hold nothing that any live
// session depends on, so a new login reassigns the first such record on its
// probe sequence rather than extending the chain. Reassignment goes through
// tag 0 (step A), then the key (B),
// then the new tag (C); a creator re-checks the key after counting in, so a
// reassignment racing with a login can never attach a session to the wrong
// user. Two concurrent first logins may rarely both claim a record; every
// whole-user operation therefore acts on *all* matching records in the window.
#include "siphash.h"
#include "table.h"

namespace gh {

uint64_t login_key(const gh_table *t, const char *login, size_t len) {
  uint64_t k = siphash24(login, len, t->hdr->hash_key);
  return k ? k : 1;
}

uint32_t login_tag(uint64_t key) {
  uint32_t tag = uint32_t(key >> 60);
  return tag ? tag : 1;
}

uint32_t user_find(const gh_table *t, uint64_t key) {
  uint32_t tag = login_tag(key), home = uint32_t(key) & t->user_mask;
  for (uint32_t k = 0; k < kUserWindow; ++k) {
    uint32_t idx = (home + k) & t->user_mask;
    const UserRec &u = t->users[idx];
    uint64_t kk = u.key.load(std::memory_order_acquire);
    if (kk == 0) break;  // end of the probe sequence
    if (kk == key && us_tag(u.state.load(std::memory_order_acquire)) == tag) return idx;
  }
  return UINT32_MAX;
}

uint32_t user_find_or_claim(gh_table *t, uint64_t key) {
  const uint32_t tag = login_tag(key), home = uint32_t(key) & t->user_mask;
  for (int attempt = 0; attempt < 8; ++attempt) {
    uint32_t empty = UINT32_MAX, idle = UINT32_MAX;
    uint64_t empty_w = 0, idle_w = 0;
    for (uint32_t k = 0; k < kUserWindow; ++k) {
      uint32_t idx = (home + k) & t->user_mask;
      UserRec &u = t->users[idx];
      uint64_t kk = u.key.load(std::memory_order_acquire);
      uint64_t w = u.state.load(std::memory_order_acquire);
      if (kk == key && us_tag(w) == tag) return idx;
      // Epoch after the word: a stale epoch would make a record holding a
      // newer epoch's live session look idle.
      uint32_t epoch = t->hdr->epoch.load(std::memory_order_acquire);
      if (kk == 0) {  // end of the probe sequence: the first never-used record
        empty = idx;
        empty_w = w;
        break;
      }
      if (idle == UINT32_MAX && (us_tag(w) == 0 || us_live_count(w, epoch) == 0)) { idle = idx; idle_w = w; }
    }
    // Prefer an idle record on the chain to the never-used one that ends it:
    // reusing keeps chains short however many distinct users come and go.
    uint32_t idx = idle != UINT32_MAX ? idle : empty;
    uint64_t w = idle != UINT32_MAX ? idle_w : empty_w;
    if (idx == UINT32_MAX) return UINT32_MAX;
    UserRec &u = t->users[idx];
    uint32_t epoch = t->hdr->epoch.load(std::memory_order_acquire);
    // A: take the record out of service (new generation, no tag).
    uint64_t parked = make_us(us_gen(w) + 1, epoch, 0, 0);
    if (!u.state.compare_exchange_strong(w, parked, std::memory_order_acq_rel)) continue;
    u.limit.store(0, std::memory_order_relaxed);
    // B: the new key; C: the new tag puts it in service.
    u.key.store(key, std::memory_order_release);
    if (!u.state.compare_exchange_strong(parked, make_us(us_gen(parked), epoch, 0, tag),
                                         std::memory_order_acq_rel))
      continue;
    // A concurrent first login may have claimed an earlier record for the
    // same key: defer to the canonical (first) one and park ours again.
    uint32_t first = user_find(t, key);
    if (first != idx && first != UINT32_MAX) {
      uint64_t mine = make_us(us_gen(parked), epoch, 0, tag);
      u.state.compare_exchange_strong(mine, make_us(us_gen(parked), epoch, 0, 0), std::memory_order_acq_rel);
      return first;
    }
    return idx;
  }
  return UINT32_MAX;
}

}  // namespace gh
