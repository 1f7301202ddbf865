// layout.h -- the shared-memory layout of a session table segment.
//
// Everything in the segment is a std::atomic word so that concurrent access
// from many processes is well defined (and ThreadSanitizer can check it).
// Words that are only written while a slot is CLAIMED (owned by one writer)
// are read with relaxed loads inside a seqlock-style validation on `ctl`.
// docs/table.md gives the full ordering argument; the comments here say what
// each word holds.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "gatehouse.h"

namespace gh {

// Seqlock orderings. Readers copy data words with relaxed loads between an
// acquire of `ctl` and a read fence; writers order their claim before data
// stores with a write fence (Boehm, "Can seqlocks get along with programming
// language memory models?"). ThreadSanitizer does not model fences, so its
// build uses acquire/release on the data words instead: the same guarantee,
// in a form the tool can check.
#if defined(__SANITIZE_THREAD__)
constexpr auto kDataLoad = std::memory_order_acquire;
constexpr auto kDataStore = std::memory_order_release;
inline void seq_read_fence() {}
inline void seq_write_fence() {}
#else
constexpr auto kDataLoad = std::memory_order_relaxed;
constexpr auto kDataStore = std::memory_order_relaxed;
inline void seq_read_fence() { std::atomic_thread_fence(std::memory_order_acquire); }
inline void seq_write_fence() { std::atomic_thread_fence(std::memory_order_release); }
#endif

static_assert(std::atomic<uint64_t>::is_always_lock_free,
              "shared-memory atomics must be lock-free (no process-local locks)");
static_assert(std::atomic<uint32_t>::is_always_lock_free, "u32 atomics must be lock-free");

constexpr uint64_t kMagic = 0x31454C4241544847ull;  // "GHTABLE1" little-endian
constexpr uint32_t kLayoutVersion = 3;  // 2: 20-bit epoch in the user state word; 3: eviction markers, 4x index
constexpr uint32_t kIndexWindow = 32;  // buckets a session ID may occupy
constexpr uint32_t kUserWindow = 4096; // longest probe for a login's record (probes stop at a never-used record)
constexpr uint32_t kAllocScan = 128;   // slots the allocator looks at before evicting
constexpr uint32_t kEvictSample = 128; // random slots (whole table) compared to pick the LRU victim
constexpr uint32_t kOwnFirst = 2;      // a login whose user holds this many sessions evicts its own first
constexpr uint32_t kOwnScan = 4096;    // slots searched for the user's own sessions (whole table up to this)
constexpr uint32_t kMinCapacity = 32;
constexpr uint32_t kMaxCapacity = 1u << 24;
constexpr uint32_t kDefaultCredBytes = 400;  // 112-byte slot header + 400 = 512 B
constexpr uint32_t kMaxCredBytes = 65536;

// ---- slot control word ----------------------------------------------------
// bits 0-3 state, bit 4 COUNTED (the slot holds one unit of its user's count),
// bits 8-15 reason (DEAD only), bits 16-39 owner pid (CLAIMED only),
// bits 40-63 seq (bumped on every claim: names the incarnation).
enum SlotState : uint64_t { kFree = 0, kClaimed = 1, kLive = 2, kDead = 3 };
constexpr uint64_t kCounted = 1ull << 4;

inline uint64_t ctl_state(uint64_t c) { return c & 0xF; }
inline bool ctl_counted(uint64_t c) { return (c & kCounted) != 0; }
inline uint32_t ctl_reason(uint64_t c) { return uint32_t((c >> 8) & 0xFF); }
inline uint32_t ctl_owner(uint64_t c) { return uint32_t((c >> 16) & 0xFFFFFF); }
inline uint32_t ctl_seq(uint64_t c) { return uint32_t(c >> 40); }
inline uint64_t make_ctl(uint32_t seq, uint64_t state, bool counted, uint32_t reason,
                         uint32_t owner) {
  return (uint64_t(seq & 0xFFFFFF) << 40) | (uint64_t(owner & 0xFFFFFF) << 16) |
         (uint64_t(reason & 0xFF) << 8) | (counted ? kCounted : 0) | state;
}

// ---- user state word --------------------------------------------------------
// gen(20) | epoch(20) | count(20) | tag(4). One CAS moves the count and the
// generation together, which is what makes termination race-free against
// concurrent logins. `epoch` is the low 20 bits of the global epoch the count
// belongs to: after a global sign-out the count reads as 0 (a record left
// untouched across exactly 2^20 sign-outs would see its old count again: a
// stale over-count, which only refuses logins early). tag 0 marks a record
// being (re)assigned; otherwise it is 4 bits of the login's hash, a cheap
// filter -- the key re-check after counting in is what guarantees identity.
constexpr uint32_t kGenMask = 0xFFFFF;
constexpr uint32_t kEpochMask = 0xFFFFF;
constexpr uint32_t kCountMax = 0xFFFFF;
inline uint32_t us_gen(uint64_t w) { return uint32_t(w >> 44) & kGenMask; }
inline uint32_t us_epoch(uint64_t w) { return uint32_t(w >> 24) & kEpochMask; }
inline uint32_t us_count(uint64_t w) { return uint32_t(w >> 4) & kCountMax; }
inline uint32_t us_tag(uint64_t w) { return uint32_t(w & 0xF); }
inline uint64_t make_us(uint32_t gen, uint32_t epoch, uint32_t count, uint32_t tag) {
  return (uint64_t(gen & kGenMask) << 44) | (uint64_t(epoch & kEpochMask) << 24) |
         (uint64_t(count & kCountMax) << 4) | (tag & 0xF);
}
inline bool us_same_epoch(uint64_t w, uint32_t epoch) { return us_epoch(w) == (epoch & kEpochMask); }
// The count that holds in the current epoch.
inline uint32_t us_live_count(uint64_t w, uint32_t epoch) { return us_same_epoch(w, epoch) ? us_count(w) : 0; }

// ---- index bucket ------------------------------------------------------------
// fingerprint(32) | slot+1 (a session), or fingerprint(32) | kMarker |
// eviction serial(31) (an eviction marker: the cookie with that fingerprint
// was evicted; current while fewer than `capacity` evictions followed it).
constexpr uint64_t kMarker = 1ull << 31;
constexpr uint64_t kSerialMask = kMarker - 1;
inline bool is_marker(uint64_t e) { return (e & kMarker) != 0; }

struct alignas(64) Header {
  // Immutable after creation (written before `ready` is released).
  uint64_t magic;
  uint32_t layout_version;
  uint32_t header_bytes;
  uint32_t capacity;
  uint32_t slot_bytes;
  uint32_t cred_bytes;
  uint32_t index_buckets;  // power of two, >= 4 * capacity (sessions + eviction markers)
  uint32_t user_records;   // power of two, >= 1.5 * capacity
  uint32_t reserved0;
  uint64_t segment_bytes;
  uint64_t slots_off;
  uint64_t index_off;
  uint64_t users_off;
  uint64_t hash_key[2];  // secret SipHash key: hashing is not attacker-steerable
  uint64_t created_ms;
  uint64_t geometry_check;  // hash of the fields above: detects corruption

  alignas(64) std::atomic<uint32_t> ready;    // 1 once initialised
  alignas(64) std::atomic<uint32_t> epoch;    // global sign-out epoch
  alignas(64) std::atomic<uint64_t> hand;     // allocator clock hand
  alignas(64) std::atomic<uint64_t> reap_hand;
  alignas(64) std::atomic<uint64_t> created_total;
  std::atomic<uint64_t> evictions;  // also hands out eviction serials (index markers)
  std::atomic<uint64_t> ended[GH_REASON_COUNT];
};

// A session slot: 14 words of header, then the credential area.
struct Slot {
  std::atomic<uint64_t> ctl;
  std::atomic<uint64_t> sid[3];       // 24 random bytes: the cookie, decoded
  std::atomic<uint64_t> usid[2];      // 12-byte random tag of the user session ID
  std::atomic<uint64_t> user_key;     // keyed hash of the login ID
  std::atomic<uint64_t> user_gen;     // user record index(32) | generation(32)
  std::atomic<uint64_t> epoch_refresh;// epoch born in(32) | refresh seen(32)
  std::atomic<uint64_t> created_ms;
  std::atomic<uint64_t> last_ms;      // the one word written while LIVE (touch)
  std::atomic<uint64_t> timeouts;     // lifetime_s(32) | inactive_s(32)
  std::atomic<uint64_t> misc;         // flags(32) | method(8) | level(8) | login_len(16)
  std::atomic<uint64_t> attrs_len;
  std::atomic<uint64_t> cred[1];      // cred_bytes/8 words: login ID then attributes
};
constexpr uint32_t kSlotHeaderBytes = offsetof(Slot, cred);
static_assert(kSlotHeaderBytes == 112, "slot header is 14 words");

struct UserRec {
  std::atomic<uint64_t> key;      // keyed hash of the login ID; 0 = never used
  std::atomic<uint64_t> state;    // see make_us
  std::atomic<uint32_t> limit;    // concurrent-session limit, 0 = unlimited
  std::atomic<uint32_t> refresh;  // bumped by refresh all_sessions
  std::atomic<uint64_t> reasons;  // why generation g ended: nibble g % 16
};
static_assert(sizeof(UserRec) == 32, "user records are 32 bytes");

}  // namespace gh
