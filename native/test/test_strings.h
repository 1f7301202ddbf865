// test_strings.h -- printable renderings of strings for failure messages, and
// CHECK_STR, which compares two strings and prints both when they differ.
#pragma once
#include <cstdio>
#include <string>
#include <string_view>

#include "check.h"

inline std::string show(std::string_view s) {
  std::string r;
  for (unsigned char c : s.substr(0, 200)) {
    if (c >= 0x20 && c < 0x7F && c != '\\') r += static_cast<char>(c);
    else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      r += buf;
    }
  }
  if (s.size() > 200) r += "...(" + std::to_string(s.size()) + " bytes)";
  return r;
}

#define CHECK_STR(a, b)                                                                                            \
  do {                                                                                                             \
    std::string va_ = std::string(a), vb_ = std::string(b);                                                        \
    if (va_ != vb_) {                                                                                              \
      ++failures();                                                                                                \
      std::fprintf(stderr, "  FAIL %s:%d: %s == %s (\"%s\" vs \"%s\")\n", __FILE__, __LINE__, #a, #b,             \
                   show(va_).c_str(), show(vb_).c_str());                                                          \
    }                                                                                                              \
  } while (0)
