#include "strings.h"

#include <cstdio>

namespace gh_addon {
namespace {

[[noreturn]] void invalid(Napi::Env env, const std::string &msg) {
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, "GH_E_INVALID_ARGUMENT"));
  throw e;
}

bool is_high(char16_t u) { return u >= 0xD800 && u <= 0xDBFF; }
bool is_low(char16_t u) { return u >= 0xDC00 && u <= 0xDFFF; }

void put(std::string &out, uint32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

std::u16string units(const Napi::Value &v, const char *what) {
  napi_env env = v.Env();
  if (!v.IsString()) invalid(env, std::string(what) + " must be a string");
  size_t len = 0;
  if (napi_get_value_string_utf16(env, v, nullptr, 0, &len) != napi_ok) invalid(env, std::string(what) + " is unreadable");
  std::u16string s(len + 1, u'\0');  // the call always writes a terminating NUL
  size_t got = 0;
  napi_get_value_string_utf16(env, v, s.data(), s.size(), &got);
  s.resize(got);
  return s;
}

// Converts UTF-16 to UTF-8. An unpaired surrogate at index i either throws
// (keep_lone false) or is encoded as itself (generalized UTF-8).
std::string convert(const Napi::Value &v, const char *what, bool keep_lone) {
  std::u16string s = units(v, what);
  std::string out;
  out.reserve(s.size() * 3);
  for (size_t i = 0; i < s.size(); ++i) {
    char16_t u = s[i];
    if (is_high(u) && i + 1 < s.size() && is_low(s[i + 1])) {
      put(out, 0x10000 + ((uint32_t(u) - 0xD800) << 10) + (uint32_t(s[i + 1]) - 0xDC00));
      ++i;
    } else if (is_high(u) || is_low(u)) {
      if (!keep_lone) {
        char where[96];
        std::snprintf(where, sizeof where, " is not well-formed UTF-16: unpaired surrogate U+%04X at index %zu",
                      unsigned(u), i);
        invalid(v.Env(), std::string(what) + where);
      }
      put(out, u);
    } else {
      put(out, u);
    }
  }
  return out;
}

}  // namespace

std::string utf8(const Napi::Value &v, const char *what) { return convert(v, what, false); }

std::string task_text(const Napi::Value &v, const char *what) { return convert(v, what, true); }

size_t session_id(napi_env env, napi_value v, char *buf, size_t cap) {
  char16_t units16[64];
  size_t len = 0;
  if (cap == 0 || cap >= sizeof units16 / sizeof *units16 ||
      napi_get_value_string_utf16(env, v, units16, cap + 1, &len) != napi_ok || len >= cap)
    return 0;
  for (size_t i = 0; i < len; ++i) {
    if (units16[i] > 0x7F) return 0;
    buf[i] = char(units16[i]);
  }
  return len;
}

}  // namespace gh_addon
