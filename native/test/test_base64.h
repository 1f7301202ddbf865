// test_base64.h -- standard base64 for the tests, written independently of
// the library's encoders so that tests check them rather than echo them.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

inline std::string b64(std::string_view s) {
  static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : s) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) { bits -= 6; out += A[(acc >> bits) & 63]; }
  }
  if (bits) out += A[(acc << (6 - bits)) & 63];
  while (out.size() % 4) out += '=';
  return out;
}
