// sessions.cpp -- operations on one session: create, validate, read, touch,
// logout, terminate by user session ID.
#include <cstring>

#include "base64url.h"
#include "sys.h"
#include "table.h"

using namespace gh;

namespace {
constexpr auto kAcq = std::memory_order_acquire;
constexpr auto kRel = std::memory_order_release;
constexpr auto kRlx = std::memory_order_relaxed;
constexpr auto kAR = std::memory_order_acq_rel;

// Writes login + attrs into the credential words of a slot we own.
void write_cred(Slot *sl, uint32_t words, const char *login, size_t login_len, const uint8_t *attrs,
                size_t attrs_len) {
  size_t total = login_len + attrs_len;
  for (uint32_t w = 0; w < words && size_t(w) * 8 < total; ++w) {
    uint8_t buf[8] = {0};
    for (size_t b = 0; b < 8; ++b) {
      size_t pos = size_t(w) * 8 + b;
      if (pos < login_len) buf[b] = uint8_t(login[pos]);
      else if (pos < total) buf[b] = attrs[pos - login_len];
    }
    uint64_t v;
    std::memcpy(&v, buf, 8);
    sl->cred[w].store(v, kDataStore);
  }
}

// Counts the new session in for its user (the step that makes a login
// race-free against `terminate all_sessions`). Returns the record index and
// fills gen/epoch and how many sessions the user held before, or UINT32_MAX
// with *st set.
uint32_t count_in(gh_table *t, uint64_t key, uint32_t limit, uint32_t *gen, uint32_t *epoch, uint32_t *refresh,
                  uint32_t *held, gh_status *st) {
  const uint32_t tag = login_tag(key);
  for (int attempt = 0; attempt < 16; ++attempt) {
    uint32_t r = user_find_or_claim(t, key);
    if (r == UINT32_MAX) {
      *st = fail(GH_E_FULL, "no user record is free in this login's window (table too small for its users)");
      return UINT32_MAX;
    }
    UserRec &u = t->users[r];
    u.limit.store(limit, kRlx);
    uint64_t w = u.state.load(kAcq);
    uint32_t e = 0, c = 0;
    bool counted = false;
    while (us_tag(w) == tag) {
      // The epoch is read after the count word (and again after every failed
      // CAS): an epoch older than the word would reset a newer epoch's count.
      e = t->hdr->epoch.load(kAcq);
      c = us_live_count(w, e);
      if (limit && c >= limit) {
        *st = fail(GH_E_LIMIT, "user already has %u of %u allowed sessions", c, limit);
        return UINT32_MAX;
      }
      if (c >= kCountMax) {
        *st = fail(GH_E_LIMIT, "user has the maximum of %u sessions", kCountMax);
        return UINT32_MAX;
      }
      if (u.state.compare_exchange_weak(w, make_us(us_gen(w), e, c + 1, tag), kAR, kAcq)) {
        counted = true;
        break;
      }
    }
    if (!counted) continue;  // record was reassigned: look again
    if (u.key.load(kAcq) != key) {  // reassigned between lookup and count-in
      uncount(t, r, us_gen(w), e);
      continue;
    }
    *gen = us_gen(w);
    *epoch = e;
    *held = c;
    *refresh = u.refresh.load(kAcq);
    return r;
  }
  *st = fail(GH_E_FULL, "user record kept changing under concurrent logins; try again");
  return UINT32_MAX;
}
}  // namespace

extern "C" gh_status gh_session_id_check(const char *sid, size_t len) {
  uint64_t w[3];
  if (!sid) return fail(GH_E_INVALID_ARGUMENT, "session ID must not be NULL");
  if (len != GH_SESSION_ID_LEN)
    return fail(GH_E_INVALID_ARGUMENT, "session ID must be %d characters, got %zu", GH_SESSION_ID_LEN, len);
  if (!decode_sid(sid, len, w)) return fail(GH_E_INVALID_ARGUMENT, "session ID is not canonical base64url");
  return GH_OK;
}

namespace {
// Creates a session: a fresh random session ID, or (adoption from the
// distributed cache) the given one with the given times.
gh_status create_impl(gh_table *t, const gh_session_spec *spec, const uint64_t *given_sid, uint64_t created_ms,
                      uint64_t last_ms, gh_session_info *out) {
  if (!t || !spec || !out) return fail(GH_E_INVALID_ARGUMENT, "table, spec and out must not be NULL");
  if (!valid_login(spec->login, spec->login_len))
    return fail(GH_E_INVALID_ARGUMENT,
                "login ID must be 1..%d bytes of UTF-8 without control characters", GH_LOGIN_MAX);
  if (spec->attrs_len && !spec->attrs) return fail(GH_E_INVALID_ARGUMENT, "attrs is NULL but attrs_len is not 0");
  uint64_t cred_bytes = uint64_t(t->cred_words) * 8;
  if (uint64_t(spec->login_len) + spec->attrs_len > cred_bytes)
    return fail(GH_E_TOO_LARGE, "login ID (%zu bytes) and attributes (%zu bytes) exceed the %llu-byte credential area",
                spec->login_len, spec->attrs_len, (unsigned long long)cred_bytes);
  if (spec->auth_method > GH_AUTH_TOKEN) return fail(GH_E_INVALID_ARGUMENT, "unknown auth method %u", spec->auth_method);
  uint64_t now = spec->now_ms ? spec->now_ms : now_ms();
  const uint64_t born = created_ms ? created_ms : now;
  const uint64_t seen = last_ms ? last_ms : born;
  uint64_t key = login_key(t, spec->login, spec->login_len);

  // Check before evict: the login is counted in (which refuses it at its
  // limit) before a slot is claimed, because claiming may evict a session.
  // A crash between here and the COUNTED store below leaves one over-count,
  // as any count-in window does (docs/table.md §5).
  gh_status st = GH_OK;
  uint32_t gen = 0, epoch = 0, refresh = 0, held = 0;
  uint32_t r = count_in(t, key, spec->max_sessions, &gen, &epoch, &refresh, &held, &st);
  if (r == UINT32_MAX) return st;

  uint64_t sid[3], tag[2] = {0, 0}, seed;
  uint8_t fresh[44];  // one getrandom(2) for both identifiers and the eviction sample
  random_bytes(fresh, sizeof fresh);
  std::memcpy(sid, given_sid ? static_cast<const void *>(given_sid) : static_cast<const void *>(fresh), 24);
  std::memcpy(tag, fresh + 24, 12);
  std::memcpy(&seed, fresh + 36, 8);
  uint32_t seq;
  uint32_t i = slot_claim(t, ClaimFor{now, key, held, seed}, &seq);
  if (i == UINT32_MAX) {
    uncount(t, r, gen, epoch);
    return fail(GH_E_FULL, "no slot could be claimed (every sampled slot is being written)");
  }
  Slot *sl = slot_at(t, i);
  sl->usid[0].store(tag[0], kDataStore);
  sl->usid[1].store(tag[1], kDataStore);
  sl->user_key.store(key, kDataStore);
  sl->created_ms.store(born, kDataStore);
  sl->last_ms.store(seen, kDataStore);
  sl->timeouts.store((uint64_t(spec->lifetime_s) << 32) | spec->inactive_s, kDataStore);
  sl->misc.store((uint64_t(spec->flags) << 32) | (uint64_t(spec->auth_method) << 24) |
                     (uint64_t(spec->auth_level) << 16) | uint64_t(spec->login_len),
                 kDataStore);
  sl->attrs_len.store(spec->attrs_len, kDataStore);
  write_cred(sl, t->cred_words, spec->login, spec->login_len, spec->attrs, spec->attrs_len);

  sl->user_gen.store((uint64_t(r) << 32) | gen, kDataStore);
  sl->epoch_refresh.store((uint64_t(epoch) << 32) | refresh, kDataStore);
  // Record that this slot now holds one unit of the user's count, so that
  // whoever retires or takes it over gives that unit back.
  const uint32_t me = self_pid();
  sl->ctl.store(make_ctl(seq, kClaimed, true, 0, me), kRel);

  bool indexed = false;
  for (int tries = 0; tries < 8 && !indexed; ++tries) {
    if (tries > 0) {
      if (given_sid) break;  // an adopted ID cannot be redrawn
      random_bytes(sid, sizeof sid);
    }
    if ((sid[0] | sid[1] | sid[2]) == 0) continue;
    for (int k = 0; k < 3; ++k) sl->sid[k].store(sid[k], kDataStore);
    // The bucket CAS (acq_rel) publishes the sid words before it points at them.
    indexed = index_insert(t, sid, i);
  }
  if (!indexed) {
    sl->ctl.store(make_ctl(seq, kClaimed, false, 0, me), kRel);  // clear COUNTED first: never give a unit back twice
    uncount(t, r, gen, epoch);
    slot_release(t, i, seq);
    return fail(GH_E_FULL, "session index window full after 8 draws (index corrupt?)");
  }
  // Publish: readers that see LIVE see every word written above.
  sl->ctl.store(make_ctl(seq, kLive, true, 0, 0), kRel);
  t->hdr->created_total.fetch_add(1, kDataStore);

  Snapshot s{};
  s.ctl = make_ctl(seq, kLive, true, 0, 0);
  s.usid[0] = tag[0];
  s.usid[1] = tag[1];
  s.user_idx = r;
  s.gen = gen;
  s.epoch = epoch;
  s.refresh = refresh;
  s.created_ms = born;
  s.last_ms = seen;
  s.lifetime_s = spec->lifetime_s;
  s.inactive_s = spec->inactive_s;
  s.flags = spec->flags;
  s.method = spec->auth_method;
  s.level = spec->auth_level;
  s.login_len = uint16_t(spec->login_len);
  s.attrs_len = uint32_t(spec->attrs_len);
  fill_info(t, s, i, GH_VALID, out);
  b64url_encode(reinterpret_cast<const uint8_t *>(sid), 24, out->session_id);
  return GH_OK;
}
}  // namespace

extern "C" gh_status gh_session_create(gh_table *t, const gh_session_spec *spec, gh_session_info *out) {
  return create_impl(t, spec, nullptr, 0, 0, out);
}

namespace gh {
gh_reason validate_core(gh_table *t, const char *sid, size_t sid_len, uint64_t now, bool touch, Snapshot &s,
                        uint32_t *slot) {
  uint64_t w[3];
  *slot = UINT32_MAX;
  if (!decode_sid(sid, sid_len, w)) return GH_R_UNKNOWN;
  for (int attempt = 0; attempt < 64; ++attempt) {
    bool evicted = false;
    uint32_t i = index_find(t, w, &evicted);
    // An evicted session's slot was reused at once; its eviction marker
    // still says why (for the last `capacity` evictions).
    if (i == UINT32_MAX) return evicted ? GH_R_EVICTED : GH_R_UNKNOWN;
    if (!snapshot(t, i, s) || !ct_equal(s.sid, w, 3)) continue;  // a writer intervened
    if (ctl_state(s.ctl) == kClaimed) return GH_R_UNKNOWN;       // being replaced
    *slot = i;
    gh_reason r = judge(t, s, now);
    // Touch at most once a second: the last-access word is shared by every
    // core that serves this session, so writing it on every hit would
    // ping-pong its cache line.
    if (r == GH_VALID && touch && now >= s.last_ms + 1000) {
      // A CAS from the value we judged: it never moves last-access backwards
      // and cannot land in a newer incarnation (whose creator wrote its own).
      uint64_t seen = s.last_ms;
      slot_at(t, i)->last_ms.compare_exchange_strong(seen, now, kRlx, kRlx);
    }
    return r;
  }
  return GH_R_UNKNOWN;
}
}  // namespace gh

extern "C" gh_reason gh_session_validate(gh_table *t, const char *sid, size_t sid_len, uint64_t now_ms_,
                                         int touch, gh_session_info *out) {
  Snapshot s;
  uint32_t i;
  gh_reason r = validate_core(t, sid, sid_len, now_ms_ ? now_ms_ : now_ms(), touch != 0, s, &i);
  if (out) {
    if (i == UINT32_MAX) {
      std::memset(out, 0, sizeof *out);
      out->slot = UINT32_MAX;
      out->reason = uint8_t(r);
    } else {
      fill_info(t, s, i, r, out, false);  // the hot path builds no strings
    }
  }
  return r;
}

extern "C" gh_status gh_session_read(gh_table *t, uint32_t slot, uint32_t seq, char *login, size_t login_cap,
                                     size_t *login_len, uint8_t *attrs, size_t attrs_cap, size_t *attrs_len,
                                     char *usid) {
  if (!t || slot >= t->capacity) return fail(GH_E_NOT_FOUND, "no such slot");
  Slot *sl = slot_at(t, slot);
  uint8_t buf[kMaxCredBytes];
  for (int attempt = 0; attempt < 64; ++attempt) {
    Snapshot s;
    if (!snapshot(t, slot, s)) continue;
    if (ctl_seq(s.ctl) != seq || ctl_state(s.ctl) == kClaimed || ctl_state(s.ctl) == kFree)
      return fail(GH_E_NOT_FOUND, "that session no longer occupies slot %u", slot);
    size_t total = size_t(s.login_len) + s.attrs_len;
    // open() pins cred_bytes to <= kMaxCredBytes; bound by buf as well, so
    // no header or slot contents can make this copy overrun the stack.
    if (total > size_t(t->cred_words) * 8 || total > sizeof buf)
      return fail(GH_E_CORRUPT, "slot %u has inconsistent lengths", slot);
    for (size_t w = 0; w * 8 < total; ++w) {
      uint64_t v = sl->cred[w].load(kDataLoad);
      std::memcpy(buf + w * 8, &v, 8);
    }
    seq_read_fence();
    if (sl->ctl.load(kRlx) != s.ctl) continue;
    if (login_len) *login_len = s.login_len;
    if (attrs_len) *attrs_len = s.attrs_len;
    if ((login && login_cap < s.login_len) || (attrs && attrs_cap < s.attrs_len))
      return fail(GH_E_BUFFER, "buffers too small: need %u and %u bytes", s.login_len, s.attrs_len);
    if (login) std::memcpy(login, buf, s.login_len);
    if (attrs) std::memcpy(attrs, buf + s.login_len, s.attrs_len);
    if (usid) encode_usid(t, slot, s.usid, usid);
    return GH_OK;
  }
  return fail(GH_E_NOT_FOUND, "slot %u kept changing while being read", slot);
}

extern "C" gh_status gh_session_touch(gh_table *t, const char *sid, size_t len, uint64_t now) {
  Snapshot s;
  uint32_t i;
  gh_reason r = validate_core(t, sid, len, now ? now : now_ms(), true, s, &i);
  return r == GH_VALID ? GH_OK : fail(GH_E_NOT_FOUND, "session is not valid (%s)", gh_reason_name(r));
}

namespace {
// Retires the session in slot i if it is still the one `match` accepts.
template <typename Match>
gh_status end_session(gh_table *t, uint32_t i, gh_reason reason, Match match) {
  uint64_t now = now_ms();
  for (int attempt = 0; attempt < 64; ++attempt) {
    Snapshot s;
    if (!snapshot(t, i, s)) {
      if (ctl_state(slot_at(t, i)->ctl.load(kAcq)) == kFree) break;
      continue;
    }
    if (!match(s)) break;
    gh_reason now_r = judge(t, s, now);
    if (now_r != GH_VALID) return fail(GH_E_NOT_FOUND, "session already ended (%s)", gh_reason_name(now_r));
    if (slot_retire(t, i, s.ctl, s, reason)) return GH_OK;
  }
  return fail(GH_E_NOT_FOUND, "no such live session");
}
}  // namespace

extern "C" gh_status gh_session_logout(gh_table *t, const char *sid, size_t len) {
  uint64_t w[3];
  if (!t) return fail(GH_E_INVALID_ARGUMENT, "table must not be NULL");
  if (!decode_sid(sid, len, w)) return fail(GH_E_INVALID_ARGUMENT, "malformed session ID");
  uint32_t i = index_find(t, w);
  if (i == UINT32_MAX) return fail(GH_E_NOT_FOUND, "no such session");
  return end_session(t, i, GH_R_LOGGED_OUT, [&](const Snapshot &s) { return ct_equal(s.sid, w, 3); });
}

extern "C" gh_status gh_session_terminate(gh_table *t, const char *usid, size_t len, gh_reason reason) {
  if (!t) return fail(GH_E_INVALID_ARGUMENT, "table must not be NULL");
  if (reason != GH_R_TERMINATED && reason != GH_R_DISPLACED && reason != GH_R_LOGGED_OUT)
    return fail(GH_E_INVALID_ARGUMENT, "reason must be terminated, displaced or logged_out");
  uint32_t i;
  uint64_t tag[2];
  if (!decode_usid(t, usid, len, &i, tag))
    return fail(GH_E_INVALID_ARGUMENT, "user session ID must be %d base64url characters", GH_USER_SESSION_ID_LEN);
  if (i >= t->capacity) return fail(GH_E_NOT_FOUND, "no such session");
  return end_session(t, i, reason, [&](const Snapshot &s) { return ct_equal(s.usid, tag, 2); });
}

extern "C" gh_status gh_session_adopt(gh_table *t, const gh_session_spec *spec, const char *sid, size_t sid_len,
                                      uint64_t created_ms, uint64_t last_ms, gh_session_info *out) {
  uint64_t w[3];
  if (!t || !spec || !out) return fail(GH_E_INVALID_ARGUMENT, "table, spec and out must not be NULL");
  if (!decode_sid(sid, sid_len, w) || (w[0] | w[1] | w[2]) == 0)
    return fail(GH_E_INVALID_ARGUMENT, "malformed session ID");
  const uint64_t now = spec->now_ms ? spec->now_ms : now_ms();
  // An incarnation of this ID already here: a live one is the answer; an
  // ended one stops answering for the ID (its slot keeps the tombstone).
  for (int attempt = 0; attempt < 8; ++attempt) {
    uint32_t old = index_find(t, w);
    if (old == UINT32_MAX) break;
    Snapshot s;
    if (!snapshot(t, old, s)) {
      if (attempt < 4) continue;  // a writer intervened: look again before giving up on it
    } else if (ct_equal(s.sid, w, 3) && judge(t, s, now) == GH_VALID) {
      fill_info(t, s, old, GH_VALID, out);
      std::memcpy(out->session_id, sid, GH_SESSION_ID_LEN);
      out->session_id[GH_SESSION_ID_LEN] = '\0';
      return GH_OK;
    }
    index_remove(t, w, old);
  }
  gh_status st = create_impl(t, spec, w, created_ms, last_ms, out);
  if (st != GH_OK) return st;
  // Two processes adopting one ID at once each made a slot; the index
  // answers with one of them, so the other is retired at once.
  const uint32_t mine = out->slot, seq = out->seq;
  if (index_find(t, w) != mine)
    end_session(t, mine, GH_R_EVICTED, [&](const Snapshot &s) { return ctl_seq(s.ctl) == seq; });
  return GH_OK;
}
