// base64url.h -- unpadded base64url (RFC 4648 section 5) for fixed-size IDs.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gh {

inline constexpr char kB64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

inline int b64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

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
  uint32_t acc = 0;
  int bits = 0;
  size_t o = 0;
  for (size_t i = 0; i < len; ++i) {
    int v = b64_value(static_cast<unsigned char>(in[i]));
    if (v < 0) return false;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (o < n) out[o++] = uint8_t(acc >> bits);
      else return false;
    }
  }
  return o == n && (acc & ((1u << bits) - 1)) == 0;
}

}  // namespace gh
