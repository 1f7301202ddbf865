// siphash.h -- SipHash-2-4 (Aumasson & Bernstein). Login IDs are chosen by
// users, so their hash is keyed with a per-segment secret: nobody can aim
// many logins at one window of the user table.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace gh {

inline uint64_t rotl64(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

inline uint64_t siphash24(const void *data, size_t len, const uint64_t key[2]) {
  const auto *in = static_cast<const uint8_t *>(data);
  uint64_t v0 = 0x736f6d6570736575ull ^ key[0], v1 = 0x646f72616e646f6dull ^ key[1];
  uint64_t v2 = 0x6c7967656e657261ull ^ key[0], v3 = 0x7465646279746573ull ^ key[1];
  auto round = [&] {
    v0 += v1; v1 = rotl64(v1, 13); v1 ^= v0; v0 = rotl64(v0, 32);
    v2 += v3; v3 = rotl64(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl64(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl64(v1, 17); v1 ^= v2; v2 = rotl64(v2, 32);
  };
  const size_t full = len & ~size_t(7);
  for (size_t i = 0; i < full; i += 8) {
    uint64_t m;
    std::memcpy(&m, in + i, 8);
    v3 ^= m; round(); round(); v0 ^= m;
  }
  uint64_t b = uint64_t(len) << 56;
  for (size_t i = 0; i < (len & 7); ++i) b |= uint64_t(in[full + i]) << (8 * i);
  v3 ^= b; round(); round(); v0 ^= b;
  v2 ^= 0xff;
  round(); round(); round(); round();
  return v0 ^ v1 ^ v2 ^ v3;
}

// Session IDs are already 192 random bits, so one keyed multiply-mix is
// enough to spread them (and keeps validate() cheap).
inline uint64_t mix64(uint64_t a, uint64_t b, const uint64_t key[2]) {
  uint64_t x = (a ^ key[0]) * 0x9E3779B97F4A7C15ull;
  x ^= (b ^ key[1]) + (x >> 29);
  x *= 0xBF58476D1CE4E5B9ull;
  return x ^ (x >> 32);
}

}  // namespace gh
