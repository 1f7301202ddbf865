// table.h -- the process-local handle on a mapped segment, and the internal
// operations shared by the translation units of the table.
#pragma once

#include "layout.h"

struct gh_table {
  void *mapping;  // process-wide, reference-counted (segment.cpp)
  gh::Header *hdr;
  uint8_t *slots;
  std::atomic<uint64_t> *index;
  gh::UserRec *users;
  uint32_t capacity;
  uint32_t slot_bytes;
  uint32_t cred_words;
  uint32_t index_mask;
  uint32_t user_mask;
};

namespace gh {

inline Slot *slot_at(const gh_table *t, uint32_t i) {
  return reinterpret_cast<Slot *>(t->slots + uint64_t(i) * t->slot_bytes);
}

// A consistent copy of a slot's fixed words, taken under the seqlock.
struct Snapshot {
  uint64_t ctl;
  uint64_t sid[3];
  uint64_t usid[2];
  uint64_t user_key;
  uint32_t user_idx, gen;
  uint32_t epoch, refresh;
  uint64_t created_ms, last_ms;
  uint32_t lifetime_s, inactive_s;
  uint32_t flags;
  uint8_t method, level;
  uint16_t login_len;
  uint32_t attrs_len;
};

// Copies the fixed words of slot i and re-checks ctl. Returns false if a
// writer intervened (the caller retries) or the slot holds no session.
bool snapshot(const gh_table *t, uint32_t i, Snapshot &s);

// The one validity rule: live, same generation as the user, same epoch as
// the table, and within both timeouts. Returns GH_VALID or the reason.
gh_reason judge(const gh_table *t, const Snapshot &s, uint64_t now);

// Gives back the slot's unit of its user's count (if the slot held one and
// the generation/epoch it was counted in are still current).
void uncount(gh_table *t, uint32_t user_idx, uint32_t gen, uint32_t epoch);

// Removes the index bucket that points at slot i for session words sid.
void index_remove(gh_table *t, const uint64_t sid[3], uint32_t i);
// Finds the slot of a session ID (decoded words); UINT32_MAX when absent,
// and then *evicted (if given) is set when a current eviction marker of that
// ID is in its window.
uint32_t index_find(const gh_table *t, const uint64_t sid[3], bool *evicted = nullptr);
// Turns the bucket (sid -> slot i) into an eviction marker with `serial`.
void index_mark_evicted(gh_table *t, const uint64_t sid[3], uint32_t i, uint64_t serial);
// Whether an eviction marker is among the last `capacity` evictions.
bool marker_current(const gh_table *t, uint64_t e);
// Inserts (sid -> slot i); false if the session's window is full.
bool index_insert(gh_table *t, const uint64_t sid[3], uint32_t i);

// User records.
uint64_t login_key(const gh_table *t, const char *login, size_t len);
uint32_t login_tag(uint64_t key);
// Finds the record of key, or claims one. UINT32_MAX if none can be had.
uint32_t user_find(const gh_table *t, uint64_t key);
uint32_t user_find_or_claim(gh_table *t, uint64_t key);

// Who is asking for a slot, for the choice of an eviction victim.
struct ClaimFor {
  uint64_t now;
  uint64_t user_key;   // the new session's login
  uint32_t user_held;  // sessions that login held before this one
  uint64_t seed;       // CSPRNG bytes for the random victim sample
};
// Claims a slot for a new session. When the table is full, evicts the
// user's own least recently used session if it holds kOwnFirst or more,
// else the least recently used of a random sample of the whole table.
// Returns the index; ctl is CLAIMED by us with the returned seq.
uint32_t slot_claim(gh_table *t, const ClaimFor &who, uint32_t *seq);
// Returns a claimed slot to FREE (used when a create gives up).
void slot_release(gh_table *t, uint32_t i, uint32_t seq);
// Takes over slot i from whatever state `seen` describes, cleaning up what
// the previous incarnation left (index bucket, count). False if ctl moved.
// With `evict`, the previous (valid, LIVE) session is being evicted: it is
// counted, and its bucket becomes an eviction marker instead of going.
bool slot_take(gh_table *t, uint32_t i, uint64_t seen, uint32_t *seq, bool evict = false);

// Ends a live session: LIVE -> DEAD(reason) and gives back its count.
// False if the slot was no longer in state `seen`.
bool slot_retire(gh_table *t, uint32_t i, uint64_t seen, const Snapshot &s, gh_reason reason);

bool valid_login(const char *login, size_t len);
bool decode_sid(const char *sid, size_t len, uint64_t out[3]);
bool ct_equal(const uint64_t *a, const uint64_t *b, size_t words);
// Fills the fixed view; the user session ID string only when with_usid.
void fill_info(const gh_table *t, const Snapshot &s, uint32_t slot, gh_reason r,
               gh_session_info *out, bool with_usid = true);

}  // namespace gh

namespace gh {
uint32_t usid_mask(const gh_table *t, const uint64_t tag[2]);
void encode_usid(const gh_table *t, uint32_t slot, const uint64_t tag[2], char *out);
bool decode_usid(const gh_table *t, const char *s, size_t len, uint32_t *slot, uint64_t tag[2]);
// Whether the session must reload its credential (refresh all_sessions).
bool refresh_needed(const gh_table *t, const Snapshot &s);
// Validate without building strings: the addon's hot path.
gh_reason validate_core(gh_table *t, const char *sid, size_t sid_len, uint64_t now, bool touch,
                        Snapshot &s, uint32_t *slot);
}  // namespace gh
