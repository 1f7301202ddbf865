// geometry.h -- the one rule that turns (capacity, cred_bytes) into the
// sizes and offsets of a segment. gh_table_create writes what it derives and
// gh_table_open requires every header field to equal what it derives from
// the header's own capacity and cred_bytes, so the two can never disagree
// (docs/table.md §1). Header-only so the tests and the header fuzzer compute
// exactly what the library computes.
#pragma once

#include <cstdint>

#include "layout.h"
#include "siphash.h"

namespace gh {

struct Geometry {
  uint32_t capacity;
  uint32_t cred_bytes;
  uint32_t slot_bytes;
  uint32_t index_buckets;
  uint32_t user_records;
  uint64_t slots_off;
  uint64_t index_off;
  uint64_t users_off;
  uint64_t segment_bytes;
};

// The stored limits: what a header may say (a request is rounded first).
inline bool capacity_in_range(uint64_t c) { return c >= kMinCapacity && c <= kMaxCapacity && c % 32 == 0; }
inline bool cred_bytes_in_range(uint64_t c) { return c >= 64 && c <= kMaxCredBytes && c % 8 == 0; }

inline uint32_t next_pow2(uint64_t v) {
  uint64_t p = 1;
  while (p < v) p <<= 1;
  return uint32_t(p);
}

// Fills g for a stored capacity and cred_bytes (both in range); false if
// they are not, or if any size overflows 64 bits (it cannot within the
// limits; the check keeps that true if the limits ever change).
inline bool derive_geometry(uint32_t capacity, uint32_t cred_bytes, Geometry &g) {
  if (!capacity_in_range(capacity) || !cred_bytes_in_range(cred_bytes)) return false;
  g.capacity = capacity;
  g.cred_bytes = cred_bytes;
  // Slots start on cache lines, so validate() touches exactly the two lines
  // of the 112-byte slot header (the header itself is a multiple of 64).
  static_assert(sizeof(Header) % 64 == 0, "slots must start on a cache line");
  g.slot_bytes = (kSlotHeaderBytes + cred_bytes + 63) & ~63u;
  // Up to `capacity` sessions and `capacity` current eviction markers: the
  // index stays at most half full.
  g.index_buckets = next_pow2(uint64_t(capacity) * 4);
  g.user_records = next_pow2(uint64_t(capacity) * 3 / 2);
  uint64_t slots_bytes, index_bytes, users_bytes;
  g.slots_off = sizeof(Header);
  return !__builtin_mul_overflow(uint64_t(capacity), uint64_t(g.slot_bytes), &slots_bytes) &&
         !__builtin_add_overflow(g.slots_off, slots_bytes, &g.index_off) &&
         !__builtin_mul_overflow(uint64_t(g.index_buckets), uint64_t(8), &index_bytes) &&
         !__builtin_add_overflow(g.index_off, index_bytes, &g.users_off) &&
         !__builtin_mul_overflow(uint64_t(g.user_records), uint64_t(sizeof(UserRec)), &users_bytes) &&
         !__builtin_add_overflow(g.users_off, users_bytes, &g.segment_bytes);
}

// SipHash (fixed public key) of the immutable geometry words: catches
// accidental corruption only; anyone can recompute it, which is why open
// also re-derives the geometry.
inline uint64_t geometry_hash(const Header *h) {
  const uint64_t k[2] = {0x6761746568, 0x6f757365};
  uint64_t words[12] = {h->magic, h->layout_version, h->header_bytes, h->capacity,
                        h->slot_bytes, h->cred_bytes, h->index_buckets, h->user_records,
                        h->segment_bytes, h->slots_off, h->index_off, h->users_off};
  return siphash24(words, sizeof words, k);
}

}  // namespace gh
