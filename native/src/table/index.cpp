// index.cpp -- session ID -> slot. Open addressing over a power-of-two array
// of 64-bit buckets (fingerprint(32) | slot+1(32)). A session may sit in any
// of the kIndexWindow buckets from its home, and lookups always look at the
// whole window rather than stopping at an empty bucket, so removal is a plain
// CAS to 0: no tombstones, and the cost of a miss is fixed (32 words, 4 cache
// lines). With >= 2 buckets per slot a full window is vanishingly rare; the
// creator then simply draws another session ID.
//
// An evicted session's bucket is not removed but turned into an eviction
// marker (its fingerprint, the marker bit and the eviction's serial), so that
// the evicted cookie can still be told "evicted" after its slot was reused.
// A marker is current while fewer than `capacity` evictions followed it;
// after that it is garbage, which lookups ignore and inserts overwrite. With
// >= 4 buckets per slot, sessions and current markers fill at most half.
#include "siphash.h"
#include "table.h"

namespace gh {

namespace {
inline uint64_t sid_hash(const gh_table *t, const uint64_t sid[3]) {
  return mix64(sid[0], sid[1] ^ sid[2], t->hdr->hash_key);
}
inline uint64_t entry_for(uint64_t h, uint32_t i) { return (h & 0xFFFFFFFF00000000ull) | (uint64_t(i) + 1); }
}  // namespace

bool marker_current(const gh_table *t, uint64_t e) {
  // The serial came from evictions.fetch_add before the marker was
  // published, so the counter read here is past it: age >= 1.
  uint64_t age = (t->hdr->evictions.load(std::memory_order_acquire) - (e & kSerialMask)) & kSerialMask;
  return age <= t->capacity;
}

uint32_t index_find(const gh_table *t, const uint64_t sid[3], bool *evicted) {
  uint64_t h = sid_hash(t, sid);
  uint32_t home = uint32_t(h) & t->index_mask;
  for (uint32_t k = 0; k < kIndexWindow; ++k) {
    uint64_t e = t->index[(home + k) & t->index_mask].load(std::memory_order_acquire);
    if (e == 0 || (e >> 32) != (h >> 32)) continue;
    if (is_marker(e)) {
      if (evicted && marker_current(t, e)) *evicted = true;
      continue;
    }
    uint32_t i = uint32_t(e) - 1;
    if (i >= t->capacity) continue;
    Slot *sl = slot_at(t, i);
    uint64_t w[3] = {sl->sid[0].load(std::memory_order_relaxed), sl->sid[1].load(std::memory_order_relaxed),
                     sl->sid[2].load(std::memory_order_relaxed)};
    if (ct_equal(w, sid, 3)) return i;
  }
  return UINT32_MAX;
}

bool index_insert(gh_table *t, const uint64_t sid[3], uint32_t i) {
  uint64_t h = sid_hash(t, sid);
  uint32_t home = uint32_t(h) & t->index_mask;
  uint64_t entry = entry_for(h, i);
  for (uint32_t k = 0; k < kIndexWindow; ++k) {
    auto &b = t->index[(home + k) & t->index_mask];
    uint64_t e = b.load(std::memory_order_relaxed);
    bool vacant = e == 0 || (is_marker(e) && !marker_current(t, e));  // garbage markers are free space
    if (vacant && b.compare_exchange_strong(e, entry, std::memory_order_acq_rel)) return true;
  }
  return false;
}

void index_remove(gh_table *t, const uint64_t sid[3], uint32_t i) {
  uint64_t h = sid_hash(t, sid);
  uint32_t home = uint32_t(h) & t->index_mask;
  uint64_t entry = entry_for(h, i);
  for (uint32_t k = 0; k < kIndexWindow; ++k) {
    auto &b = t->index[(home + k) & t->index_mask];
    uint64_t e = entry;
    if (b.compare_exchange_strong(e, 0, std::memory_order_acq_rel)) return;
  }
}

void index_mark_evicted(gh_table *t, const uint64_t sid[3], uint32_t i, uint64_t serial) {
  uint64_t h = sid_hash(t, sid);
  uint32_t home = uint32_t(h) & t->index_mask;
  uint64_t entry = entry_for(h, i), marker = (h & 0xFFFFFFFF00000000ull) | kMarker | (serial & kSerialMask);
  for (uint32_t k = 0; k < kIndexWindow; ++k) {
    uint64_t e = entry;
    if (t->index[(home + k) & t->index_mask].compare_exchange_strong(e, marker, std::memory_order_acq_rel)) return;
  }
}

}  // namespace gh
