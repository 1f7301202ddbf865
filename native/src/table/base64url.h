// base64url.h -- unpadded base64url (RFC 4648 section 5) for fixed-size IDs.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gh {

inline constexpr char kB64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Table lookup rather than range tests: session IDs are random, so a
// branchy classifier mispredicts on nearly every character (it was half the
// cost of validate() before this table).
struct B64Table {
  int8_t v[256];
  constexpr B64Table() : v() {
    for (int i = 0; i < 256; ++i) v[i] = -1;
    for (int i = 0; i < 64; ++i) v[static_cast<unsigned char>(kB64Alphabet[i])] = int8_t(i);
  }
};
inline constexpr B64Table kB64Decode{};

inline int b64_value(unsigned char c) { return kB64Decode.v[c]; }

// Encodes n bytes into ceil(n*4/3) characters; writes a terminating NUL.
inline void b64url_encode(const uint8_t *in, size_t n, char *out) {
  size_t o = 0, i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t(in[i]) << 16) | (uint32_t(in[i + 1]) << 8) | in[i + 2];
    out[o++] = kB64Alphabet[(v >> 18) & 63];
    out[o++] = kB64Alphabet[(v >> 12) & 63];
    out[o++] = kB64Alphabet[(v >> 6) & 63];
    out[o++] = kB64Alphabet[v & 63];
  }
  if (n - i == 1) {
    uint32_t v = uint32_t(in[i]) << 16;
    out[o++] = kB64Alphabet[(v >> 18) & 63];
    out[o++] = kB64Alphabet[(v >> 12) & 63];
  } else if (n - i == 2) {
    uint32_t v = (uint32_t(in[i]) << 16) | (uint32_t(in[i + 1]) << 8);
    out[o++] = kB64Alphabet[(v >> 18) & 63];
    out[o++] = kB64Alphabet[(v >> 12) & 63];
    out[o++] = kB64Alphabet[(v >> 6) & 63];
  }
  out[o] = '\0';
}

// Decodes exactly `len` characters into n bytes. Rejects any character
// outside the alphabet and non-canonical trailing bits (so each ID has one
// spelling). Returns false on any defect.
inline bool b64url_decode(const char *in, size_t len, uint8_t *out, size_t n) {
  if (len != (n * 4 + 2) / 3) return false;
  int bad = 0;
  size_t i = 0, o = 0;
  for (; i + 4 <= len; i += 4) {  // whole groups: 4 characters -> 3 bytes
    int a = b64_value(static_cast<unsigned char>(in[i])), b = b64_value(static_cast<unsigned char>(in[i + 1]));
    int c = b64_value(static_cast<unsigned char>(in[i + 2])), d = b64_value(static_cast<unsigned char>(in[i + 3]));
    bad |= a | b | c | d;  // any -1 sets the sign bit
    uint32_t v = (uint32_t(a & 63) << 18) | (uint32_t(b & 63) << 12) | (uint32_t(c & 63) << 6) | uint32_t(d & 63);
    out[o] = uint8_t(v >> 16);
    out[o + 1] = uint8_t(v >> 8);
    out[o + 2] = uint8_t(v);
    o += 3;
  }
  uint32_t acc = 0;
  int bits = 0;
  for (; i < len; ++i) {  // a short tail (user session IDs: 2 characters)
    int v = b64_value(static_cast<unsigned char>(in[i]));
    bad |= v;
    acc = (acc << 6) | uint32_t(v & 63);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (o >= n) return false;
      out[o++] = uint8_t(acc >> bits);
    }
  }
  return bad >= 0 && o == n && (acc & ((1u << bits) - 1)) == 0;
}

}  // namespace gh
