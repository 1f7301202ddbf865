// maintenance.cpp -- the O(capacity) operations for administrators and
// tests: listings, reaping, statistics, the consistency checker; and the
// stable names of statuses and reasons.
#include <cstring>
#include <vector>

#include "sys.h"
#include "table.h"

using namespace gh;

namespace {
constexpr auto kAcq = std::memory_order_acquire;
constexpr auto kRlx = std::memory_order_relaxed;

bool read_login(const gh_table *t, uint32_t i, const Snapshot &s, char *buf) {
  Slot *sl = slot_at(t, i);
  if (s.login_len > GH_LOGIN_MAX) return false;
  for (size_t w = 0; w * 8 < s.login_len; ++w) {
    uint64_t v = sl->cred[w].load(kDataLoad);
    std::memcpy(buf + w * 8, &v, 8);
  }
  seq_read_fence();
  return sl->ctl.load(kRlx) == s.ctl;
}

char fold(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

// `*` matches any run of bytes; everything else matches itself, ASCII
// letters without regard to case. Iterative with one backtrack point: linear
// in practice and never recursive, whatever the pattern.
bool glob_match(const char *p, size_t pn, const char *s, size_t sn) {
  size_t pi = 0, si = 0, star = SIZE_MAX, mark = 0;
  while (si < sn) {
    if (pi < pn && p[pi] == '*') { star = pi++; mark = si; }
    else if (pi < pn && fold(p[pi]) == fold(s[si])) { ++pi; ++si; }
    else if (star != SIZE_MAX) { pi = star + 1; si = ++mark; }
    else return false;
  }
  while (pi < pn && p[pi] == '*') ++pi;
  return pi == pn;
}

template <typename Match>
gh_status list(gh_table *t, uint64_t now, gh_session_info *out, uint32_t max, uint32_t *returned, uint32_t *total,
               Match match) {
  if (!t) return fail(GH_E_INVALID_ARGUMENT, "table must not be NULL");
  if (max && !out) return fail(GH_E_INVALID_ARGUMENT, "out must not be NULL when max > 0");
  if (!now) now = now_ms();
  uint32_t n = 0, m = 0;
  char login[GH_LOGIN_MAX + 8];
  for (uint32_t i = 0; i < t->capacity; ++i) {
    Snapshot s;
    if (ctl_state(slot_at(t, i)->ctl.load(kAcq)) != kLive) continue;
    if (!snapshot(t, i, s) || judge(t, s, now) != GH_VALID) continue;
    if (!read_login(t, i, s, login) || !match(s, login)) continue;
    ++m;
    if (n < max) fill_info(t, s, i, GH_VALID, &out[n++]);
  }
  if (returned) *returned = n;
  if (total) *total = m;
  return GH_OK;
}
}  // namespace

extern "C" gh_status gh_list_user(gh_table *t, const char *login, size_t len, uint64_t now, gh_session_info *out,
                                  uint32_t max, uint32_t *returned, uint32_t *total) {
  if (!t) return fail(GH_E_INVALID_ARGUMENT, "table must not be NULL");
  if (!valid_login(login, len)) return fail(GH_E_INVALID_ARGUMENT, "malformed login ID");
  uint64_t key = login_key(t, login, len);
  return list(t, now, out, max, returned, total, [&](const Snapshot &s, const char *l) {
    return s.user_key == key && s.login_len == len && std::memcmp(l, login, len) == 0;
  });
}

extern "C" gh_status gh_list_pattern(gh_table *t, const char *pattern, size_t len, uint64_t now,
                                     gh_session_info *out, uint32_t max, uint32_t *returned, uint32_t *total) {
  if (!pattern || len == 0 || len > GH_LOGIN_MAX) return fail(GH_E_INVALID_ARGUMENT, "pattern must be 1..256 bytes");
  if (std::memchr(pattern, 0, len)) return fail(GH_E_INVALID_ARGUMENT, "pattern contains a NUL byte");
  return list(t, now, out, max, returned, total,
              [&](const Snapshot &s, const char *l) { return glob_match(pattern, len, l, s.login_len); });
}

extern "C" gh_status gh_reap(gh_table *t, uint64_t now, uint32_t max, uint32_t *reclaimed) {
  if (!t) return fail(GH_E_INVALID_ARGUMENT, "table must not be NULL");
  if (!now) now = now_ms();
  const uint32_t me = self_pid();
  uint32_t done = 0;
  for (uint32_t n = 0; n < t->capacity && done < max; ++n) {
    uint32_t i = uint32_t(t->hdr->reap_hand.fetch_add(1, kRlx) % t->capacity);
    Slot *sl = slot_at(t, i);
    uint64_t c = sl->ctl.load(kAcq);
    if (ctl_state(c) == kClaimed) {
      // Left behind by a process that died mid-create: clean up and free.
      uint32_t seq;
      if (ctl_owner(c) != me && !process_alive(ctl_owner(c)) && slot_take(t, i, c, &seq)) {
        slot_release(t, i, seq);
        ++done;
      }
      continue;
    }
    if (ctl_state(c) != kLive) continue;
    Snapshot s;
    if (!snapshot(t, i, s) || ctl_state(s.ctl) != kLive) continue;  // see slot_claim
    gh_reason r = judge(t, s, now);
    if (r == GH_VALID) continue;
    // Turn it into a tombstone that still tells why; the count goes back.
    uint64_t seen = s.ctl;
    uint64_t dead = make_ctl(ctl_seq(seen), kDead, false, r, 0);
    if (sl->ctl.compare_exchange_strong(seen, dead, std::memory_order_acq_rel, kAcq)) {
      if (ctl_counted(s.ctl)) uncount(t, s.user_idx, s.gen, s.epoch);
      if (r == GH_R_EXPIRED || r == GH_R_INACTIVE) t->hdr->ended[r].fetch_add(1, kRlx);
      ++done;
    }
  }
  if (reclaimed) *reclaimed = done;
  return GH_OK;
}

extern "C" gh_status gh_table_stats(gh_table *t, uint64_t now, gh_stats *out) {
  if (!t || !out) return fail(GH_E_INVALID_ARGUMENT, "table and out must not be NULL");
  if (!now) now = now_ms();
  std::memset(out, 0, sizeof *out);
  const Header *h = t->hdr;
  out->capacity = h->capacity;
  out->cred_bytes = h->cred_bytes;
  out->slot_bytes = h->slot_bytes;
  out->segment_bytes = h->segment_bytes;
  out->epoch = h->epoch.load(kAcq);
  out->created_total = h->created_total.load(kRlx);
  out->evictions = h->evictions.load(kRlx);
  for (int r = 0; r < GH_REASON_COUNT; ++r) out->ended[r] = h->ended[r].load(kRlx);
  for (uint32_t i = 0; i < t->capacity; ++i) {
    uint64_t c = slot_at(t, i)->ctl.load(kAcq);
    if (ctl_state(c) == kDead) { ++out->tombstones; continue; }
    if (ctl_state(c) != kLive) continue;
    Snapshot s;
    if (!snapshot(t, i, s)) continue;
    if (judge(t, s, now) == GH_VALID) ++out->live;
    else ++out->tombstones;
  }
  for (uint32_t u = 0; u <= t->user_mask; ++u) {
    uint64_t w = t->users[u].state.load(kAcq);
    if (t->users[u].key.load(kAcq) != 0 && us_tag(w) != 0) ++out->users;
  }
  return GH_OK;
}

extern "C" gh_status gh_table_check(gh_table *t, uint32_t slack) {
  if (!t) return fail(GH_E_INVALID_ARGUMENT, "table must not be NULL");
  const uint32_t epoch = t->hdr->epoch.load(kAcq);
  std::vector<uint32_t> counted(size_t(t->user_mask) + 1, 0);
  for (uint32_t i = 0; i < t->capacity; ++i) {
    Snapshot s;
    uint64_t c = slot_at(t, i)->ctl.load(kAcq);
    uint64_t st = ctl_state(c);
    if (st == kFree) continue;
    if (!snapshot(t, i, s)) return fail(GH_E_CORRUPT, "slot %u changed during the check (table not quiescent)", i);
    if (st == kClaimed) {
      if (!process_alive(ctl_owner(c)))
        return fail(GH_E_CORRUPT, "slot %u is claimed by dead process %u (run reap first)", i, ctl_owner(c));
      continue;
    }
    if (uint64_t(s.login_len) + s.attrs_len > uint64_t(t->cred_words) * 8 || s.login_len == 0)
      return fail(GH_E_CORRUPT, "slot %u has impossible lengths %u + %u", i, s.login_len, s.attrs_len);
    if (s.user_idx > t->user_mask) return fail(GH_E_CORRUPT, "slot %u names user record %u", i, s.user_idx);
    if (st == kDead && ctl_counted(c)) return fail(GH_E_CORRUPT, "dead slot %u still holds a count", i);
    if (st == kLive) {
      if (!ctl_counted(c)) return fail(GH_E_CORRUPT, "live slot %u holds no count", i);
      uint32_t found = index_find(t, s.sid);
      if (found != i) return fail(GH_E_CORRUPT, "live slot %u is not reachable through the index (found %u)", i, found);
      const UserRec &u = t->users[s.user_idx];
      uint64_t w = u.state.load(kAcq);
      if (s.epoch == epoch && us_gen(w) == s.gen && us_same_epoch(w, epoch) && u.key.load(kAcq) == s.user_key)
        counted[s.user_idx]++;
    }
  }
  for (uint32_t u = 0; u <= t->user_mask; ++u) {
    uint32_t c = us_live_count(t->users[u].state.load(kAcq), epoch);
    if (c < counted[u])
      return fail(GH_E_CORRUPT, "user record %u counts %u sessions but holds %u (under-count)", u, c, counted[u]);
    if (c - counted[u] > slack)
      return fail(GH_E_CORRUPT, "user record %u counts %u sessions but holds %u (over-count beyond slack %u)", u, c,
                  counted[u], slack);
  }
  for (uint32_t b = 0; b <= t->index_mask; ++b) {
    uint64_t e = t->index[b].load(kAcq);
    if (e && !is_marker(e) && uint32_t(e) - 1 >= t->capacity)
      return fail(GH_E_CORRUPT, "index bucket %u points past the table", b);
  }
  return GH_OK;
}

extern "C" const char *gh_status_name(gh_status s) {
  static const char *const names[] = {"GH_OK", "GH_E_INVALID_ARGUMENT", "GH_E_EXISTS", "GH_E_NOT_FOUND",
                                      "GH_E_INCOMPATIBLE", "GH_E_CORRUPT", "GH_E_SYSTEM", "GH_E_FULL",
                                      "GH_E_LIMIT", "GH_E_TOO_LARGE", "GH_E_BUFFER", "GH_E_PERMISSION"};
  return unsigned(s) < sizeof names / sizeof *names ? names[s] : "GH_E_UNKNOWN_STATUS";
}

extern "C" const char *gh_reason_name(gh_reason r) {
  static const char *const names[] = {"valid", "unknown", "expired", "inactive", "logged_out", "terminated",
                                      "all_sessions_terminated", "signed_out_everywhere", "displaced", "evicted"};
  return unsigned(r) < GH_REASON_COUNT ? names[r] : "unknown";
}

extern "C" const char *gh_last_error(void) { return last_error(); }
