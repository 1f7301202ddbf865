// slots.cpp -- the life of a slot: snapshot (seqlock read), the validity
// rule, claiming (with approximate-LRU, per-user-fair eviction), retiring,
// and giving back counts.
//
//   FREE/DEAD --take--> CLAIMED --publish--> LIVE --retire--> DEAD(reason)
//                          ^                   |
//                          +-------take--------+   (reuse of expired/evicted)
//
// Only the owner of a CLAIMED slot writes its data words; LIVE slots change
// only `last_ms` (touch) and `ctl`. Every transition is one CAS on `ctl`, so
// a process killed between any two instructions leaves each slot in exactly
// one state; a slot CLAIMED by a dead process is taken over by the next
// allocator that meets it.
#include <cstring>

#include "sys.h"
#include "table.h"

namespace gh {

constexpr auto kAcq = std::memory_order_acquire;
constexpr auto kRel = std::memory_order_release;
constexpr auto kRlx = std::memory_order_relaxed;
constexpr auto kAR = std::memory_order_acq_rel;

bool snapshot(const gh_table *t, uint32_t i, Snapshot &s) {
  Slot *sl = slot_at(t, i);
  uint64_t c1 = sl->ctl.load(kAcq);
  if (ctl_state(c1) == kFree) return false;
  s.ctl = c1;
  for (int k = 0; k < 3; ++k) s.sid[k] = sl->sid[k].load(kDataLoad);
  s.usid[0] = sl->usid[0].load(kDataLoad);
  s.usid[1] = sl->usid[1].load(kDataLoad);
  s.user_key = sl->user_key.load(kDataLoad);
  uint64_t ug = sl->user_gen.load(kDataLoad);
  s.user_idx = uint32_t(ug >> 32);
  s.gen = uint32_t(ug);
  uint64_t er = sl->epoch_refresh.load(kDataLoad);
  s.epoch = uint32_t(er >> 32);
  s.refresh = uint32_t(er);
  s.created_ms = sl->created_ms.load(kDataLoad);
  s.last_ms = sl->last_ms.load(kDataLoad);
  uint64_t to = sl->timeouts.load(kDataLoad);
  s.lifetime_s = uint32_t(to >> 32);
  s.inactive_s = uint32_t(to);
  uint64_t m = sl->misc.load(kDataLoad);
  s.flags = uint32_t(m >> 32);
  s.method = uint8_t(m >> 24);
  s.level = uint8_t(m >> 16);
  s.login_len = uint16_t(m);
  s.attrs_len = uint32_t(sl->attrs_len.load(kDataLoad));
  // Seqlock check: if any word above came from a newer incarnation, the
  // writer's claim (ordered before its data stores by a release fence) is
  // visible here and ctl differs.
  seq_read_fence();
  return sl->ctl.load(kDataLoad) == c1;
}

namespace {
gh_reason reason_for_generation(const UserRec &u, uint32_t born, uint32_t now_gen) {
  uint32_t behind = (now_gen - born) & kGenMask;
  if (behind == 0 || behind >= 16) return GH_R_ALL_SESSIONS_TERMINATED;
  uint32_t r = uint32_t(u.reasons.load(kAcq) >> ((born % 16) * 4)) & 0xF;
  return r == 0 ? GH_R_ALL_SESSIONS_TERMINATED : gh_reason(r);
}
}  // namespace

gh_reason judge(const gh_table *t, const Snapshot &s, uint64_t now) {
  uint64_t st = ctl_state(s.ctl);
  if (st == kDead) {
    uint32_t r = ctl_reason(s.ctl);
    return r > 0 && r < GH_REASON_COUNT ? gh_reason(r) : GH_R_UNKNOWN;
  }
  if (st != kLive) return GH_R_UNKNOWN;
  // Termination checks come before timeouts: an administrator's action is
  // the more useful thing to tell the user.
  if (s.epoch != t->hdr->epoch.load(kAcq)) return GH_R_SIGNED_OUT_EVERYWHERE;
  if (s.user_idx > t->user_mask) return GH_R_UNKNOWN;
  const UserRec &u = t->users[s.user_idx];
  uint64_t w = u.state.load(kAcq);
  if (us_gen(w) != s.gen) return reason_for_generation(u, s.gen, us_gen(w));
  if (u.key.load(kAcq) != s.user_key) return GH_R_ALL_SESSIONS_TERMINATED;
  if (s.lifetime_s && now >= s.created_ms + uint64_t(s.lifetime_s) * 1000) return GH_R_EXPIRED;
  if (s.inactive_s && now >= s.last_ms + uint64_t(s.inactive_s) * 1000) return GH_R_INACTIVE;
  return GH_VALID;
}

void uncount(gh_table *t, uint32_t user_idx, uint32_t gen, uint32_t epoch) {
  if (user_idx > t->user_mask) return;
  // A count from an earlier epoch was already reset by the global sign-out.
  if (epoch != t->hdr->epoch.load(kAcq)) return;
  UserRec &u = t->users[user_idx];
  uint64_t w = u.state.load(kAcq);
  while (us_gen(w) == gen && us_same_epoch(w, epoch) && us_count(w) > 0) {
    uint64_t nw = make_us(us_gen(w), us_epoch(w), us_count(w) - 1, us_tag(w));
    if (u.state.compare_exchange_weak(w, nw, kAR, kAcq)) return;
  }
}

bool slot_take(gh_table *t, uint32_t i, uint64_t seen, uint32_t *seq, bool evict) {
  Slot *sl = slot_at(t, i);
  uint32_t nseq = (ctl_seq(seen) + 1) & 0xFFFFFF;
  uint64_t claimed = make_ctl(nseq, kClaimed, false, 0, self_pid());
  if (!sl->ctl.compare_exchange_strong(seen, claimed, kAR, kAcq)) return false;
  // Orders the claim before our data stores (the writer half of the seqlock).
  seq_write_fence();
  // We own the slot now; clean up what the previous incarnation left. Its
  // words are stable: their writer either retired them or is dead.
  if (ctl_state(seen) != kFree) {
    uint64_t sid[3] = {sl->sid[0].load(kRlx), sl->sid[1].load(kRlx), sl->sid[2].load(kRlx)};
    if (evict) {
      // The serial dates the marker: the evicted cookie reads "evicted"
      // until `capacity` more evictions have happened.
      uint64_t serial = t->hdr->evictions.fetch_add(1, kAR);
      t->hdr->ended[GH_R_EVICTED].fetch_add(1, kRlx);
      if (sid[0] | sid[1] | sid[2]) index_mark_evicted(t, sid, i, serial);
    } else if (sid[0] | sid[1] | sid[2]) {
      index_remove(t, sid, i);
    }
    if (ctl_counted(seen)) {
      uint64_t ug = sl->user_gen.load(kRlx);
      uint64_t er = sl->epoch_refresh.load(kRlx);
      uncount(t, uint32_t(ug >> 32), uint32_t(ug), uint32_t(er >> 32));
    }
    for (auto &w : sl->sid) w.store(0, kDataStore);
  }
  *seq = nseq;
  return true;
}

void slot_release(gh_table *t, uint32_t i, uint32_t seq) {
  Slot *sl = slot_at(t, i);
  for (auto &w : sl->sid) w.store(0, kDataStore);
  sl->ctl.store(make_ctl(seq, kFree, false, 0, 0), kRel);
}

bool slot_retire(gh_table *t, uint32_t i, uint64_t seen, const Snapshot &s, gh_reason reason) {
  Slot *sl = slot_at(t, i);
  uint64_t dead = make_ctl(ctl_seq(seen), kDead, false, reason, 0);
  if (!sl->ctl.compare_exchange_strong(seen, dead, kAR, kAcq)) return false;
  // Whoever clears COUNTED gives the unit back: exactly once. A crash right
  // here leaves an over-count (never an under-count); see docs/table.md.
  if (ctl_counted(seen)) uncount(t, s.user_idx, s.gen, s.epoch);
  t->hdr->ended[reason].fetch_add(1, kRlx);
  return true;
}

namespace {
// splitmix64: positions for the victim sample, seeded from getrandom(2) by
// the create, so nobody can predict or steer which slots are compared.
uint64_t next_random(uint64_t &state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The outcome of looking at one slot while choosing where a session goes.
enum class Seen { kTaken, kCandidate, kSkip };

// Looks at slot i: takes it at once if it holds nothing valid (free, a
// tombstone, a dead writer's claim, an invalid session), otherwise reports a
// valid LIVE session as a candidate victim in `s`.
Seen look_at(gh_table *t, uint32_t i, uint64_t now, uint32_t me, Snapshot &s, uint32_t *seq) {
  uint64_t c = slot_at(t, i)->ctl.load(kAcq);
  switch (ctl_state(c)) {
    case kFree:
    case kDead:
      return slot_take(t, i, c, seq) ? Seen::kTaken : Seen::kSkip;
    case kClaimed:
      // Another writer's slot, unless that writer died mid-create.
      return ctl_owner(c) != me && !process_alive(ctl_owner(c)) && slot_take(t, i, c, seq) ? Seen::kTaken
                                                                                            : Seen::kSkip;
    default: {  // kLive
      // The snapshot re-reads ctl: another allocator may have claimed the
      // slot since our load, and a CLAIMED slot judges "unknown" -- which
      // must never be mistaken for a dead session we may take.
      if (!snapshot(t, i, s) || ctl_state(s.ctl) != kLive) return Seen::kSkip;
      gh_reason r = judge(t, s, now);
      if (r == GH_VALID) return Seen::kCandidate;
      // Expired or inactive sessions are reclaimed here; terminated
      // generations were already accounted when they were ended.
      if (!slot_take(t, i, s.ctl, seq)) return Seen::kSkip;
      if (r == GH_R_EXPIRED || r == GH_R_INACTIVE) t->hdr->ended[r].fetch_add(1, kRlx);
      return Seen::kTaken;
    }
  }
}

struct Victim {
  uint32_t slot = UINT32_MAX;
  uint64_t ctl = 0, last = UINT64_MAX;
  void offer(uint32_t i, const Snapshot &s) {
    if (s.last_ms < last) { slot = i; ctl = s.ctl; last = s.last_ms; }
  }
};

// The user's own least recently used session, searched in up to kOwnScan
// slots from a random start (the whole table when it is no larger). The
// first cache line of a slot holds ctl and user_key, so a slot of another
// user costs one line. Returns a slot taken on the way (one that held
// nothing valid), else UINT32_MAX with the best candidate in v.
uint32_t own_victim(gh_table *t, const ClaimFor &who, uint64_t &rng, uint32_t me, Victim &v, uint32_t *seq) {
  uint32_t n = t->capacity < kOwnScan ? t->capacity : kOwnScan;
  uint32_t start = uint32_t(next_random(rng) % t->capacity);
  for (uint32_t k = 0; k < n; ++k) {
    uint32_t i = (start + k) % t->capacity;
    Slot *sl = slot_at(t, i);
    if (ctl_state(sl->ctl.load(kAcq)) != kLive || sl->user_key.load(kDataLoad) != who.user_key) continue;
    Snapshot s;
    Seen r = look_at(t, i, who.now, me, s, seq);
    if (r == Seen::kTaken) return i;
    if (r == Seen::kCandidate && s.user_key == who.user_key) v.offer(i, s);
  }
  return UINT32_MAX;
}

// The least recently used session of kEvictSample slots drawn uniformly
// from the whole table (every slot, when the table is no larger). A live
// slot whose last access is not older than the best so far is passed over
// after reading two words; only improvements are snapshotted and judged.
// Returns as own_victim.
uint32_t sampled_victim(gh_table *t, const ClaimFor &who, uint64_t &rng, uint32_t me, Victim &v, uint32_t *seq) {
  const bool all = t->capacity <= kEvictSample;
  const uint32_t n = all ? t->capacity : kEvictSample;
  const uint32_t start = uint32_t(next_random(rng) % t->capacity);
  for (uint32_t k = 0; k < n; ++k) {
    uint32_t i = all ? (start + k) % t->capacity : uint32_t(next_random(rng) % t->capacity);
    Slot *sl = slot_at(t, i);
    uint64_t c = sl->ctl.load(kAcq);
    if (ctl_state(c) == kLive && sl->last_ms.load(kDataLoad) >= v.last) continue;
    Snapshot s;
    Seen r = look_at(t, i, who.now, me, s, seq);
    if (r == Seen::kTaken) return i;
    if (r == Seen::kCandidate) v.offer(i, s);
  }
  return UINT32_MAX;
}
}  // namespace

uint32_t slot_claim(gh_table *t, const ClaimFor &who, uint32_t *seq) {
  const uint32_t me = self_pid();
  uint64_t rng = who.seed;
  for (int round = 0; round < 4; ++round) {
    // A clock over the table: the first slot holding nothing valid.
    for (uint32_t n = 0; n < kAllocScan; ++n) {
      uint32_t i = uint32_t(t->hdr->hand.fetch_add(1, kRlx) % t->capacity);
      Snapshot s;
      if (look_at(t, i, who.now, me, s, seq) == Seen::kTaken) return i;
    }
    // Nothing free among kAllocScan slots: the table is (about) full and a
    // valid session must make room. (Check before evict is the caller's:
    // the login was counted in, within its limit, before it came here.)
    // Fairness first: a user that already holds kOwnFirst sessions pays
    // with its own least recently used one, not another user's.
    Victim v;
    if (who.user_held >= kOwnFirst) {
      uint32_t i = own_victim(t, who, rng, me, v, seq);
      if (i != UINT32_MAX) return i;
    }
    if (v.slot == UINT32_MAX) {
      uint32_t i = sampled_victim(t, who, rng, me, v, seq);
      if (i != UINT32_MAX) return i;
    }
    if (v.slot != UINT32_MAX && slot_take(t, v.slot, v.ctl, seq, true)) return v.slot;
  }
  return UINT32_MAX;
}

}  // namespace gh
