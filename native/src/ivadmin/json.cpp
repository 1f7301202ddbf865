// json.cpp -- the strict JSON reader and string escaper (see json.h).
#include "json.h"

#include <charconv>
#include <cmath>
#include <system_error>

namespace gh::ivadmin {

const Json *Json::get(std::string_view key) const {
  if (type != Type::Object) return nullptr;
  for (const auto &m : members)
    if (m.first == key) return &m.second;
  return nullptr;
}

namespace {

constexpr int kMaxDepth = 64;

// Length of the UTF-8 sequence starting at s[i], or 0 if it is malformed.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t n;
  std::uint32_t cp;
  if (c >= 0xc2 && c <= 0xdf) { n = 2; cp = c & 0x1f; }
  else if (c >= 0xe0 && c <= 0xef) { n = 3; cp = c & 0x0f; }
  else if (c >= 0xf0 && c <= 0xf4) { n = 4; cp = c & 0x07; }
  else return 0; // continuation byte, overlong lead (c0, c1) or past U+10FFFF
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3f);
  }
  if (n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) return 0;
  if (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) return 0;
  return n;
}

void append_utf8(std::string &out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

class Parser {
public:
  explicit Parser(std::string_view text) : s_(text) {}

  bool run(Json &out, std::string &error) {
    skip_ws();
    if (!value(out, 0)) { error = err_; return false; }
    skip_ws();
    if (i_ != s_.size()) { fail("unexpected data after the JSON value"); error = err_; return false; }
    return true;
  }

private:
  std::string_view s_;
  std::size_t i_ = 0;
  std::string err_;

  bool fail(const char *what) {
    if (err_.empty()) err_ = std::string(what) + " at byte " + std::to_string(i_);
    return false;
  }
  bool at_end() const { return i_ >= s_.size(); }
  char peek() const { return s_[i_]; }
  void skip_ws() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++i_;
  }
  bool literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return fail("invalid literal");
    i_ += word.size();
    return true;
  }

  bool value(Json &v, int depth) {
    if (at_end()) return fail("unexpected end of JSON");
    switch (peek()) {
    case '{': return object(v, depth + 1);
    case '[': return array(v, depth + 1);
    case '"': v.type = Json::Type::String; return string(v.string);
    case 't': v.type = Json::Type::Bool; v.boolean = true; return literal("true");
    case 'f': v.type = Json::Type::Bool; v.boolean = false; return literal("false");
    case 'n': v.type = Json::Type::Null; return literal("null");
    default: return number(v);
    }
  }

  bool object(Json &v, int depth) {
    if (depth > kMaxDepth) return fail("JSON nested too deeply");
    v.type = Json::Type::Object;
    ++i_; // '{'
    skip_ws();
    if (!at_end() && peek() == '}') { ++i_; return true; }
    for (;;) {
      skip_ws();
      if (at_end() || peek() != '"') return fail("expected a member name");
      std::string key;
      if (!string(key)) return false;
      if (v.get(key) != nullptr) return fail("duplicate member name");
      skip_ws();
      if (at_end() || peek() != ':') return fail("expected ':'");
      ++i_;
      skip_ws();
      Json member;
      if (!value(member, depth)) return false;
      v.members.emplace_back(std::move(key), std::move(member));
      skip_ws();
      if (at_end()) return fail("unterminated object");
      if (peek() == ',') { ++i_; continue; }
      if (peek() == '}') { ++i_; return true; }
      return fail("expected ',' or '}'");
    }
  }

  bool array(Json &v, int depth) {
    if (depth > kMaxDepth) return fail("JSON nested too deeply");
    v.type = Json::Type::Array;
    ++i_; // '['
    skip_ws();
    if (!at_end() && peek() == ']') { ++i_; return true; }
    for (;;) {
      skip_ws();
      Json item;
      if (!value(item, depth)) return false;
      v.items.push_back(std::move(item));
      skip_ws();
      if (at_end()) return fail("unterminated array");
      if (peek() == ',') { ++i_; continue; }
      if (peek() == ']') { ++i_; return true; }
      return fail("expected ',' or ']'");
    }
  }

  bool hex4(std::uint32_t &out) {
    if (i_ + 4 > s_.size()) return fail("truncated \\u escape");
    out = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[i_++];
      out <<= 4;
      if (c >= '0' && c <= '9') out |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') out |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') out |= static_cast<std::uint32_t>(c - 'A' + 10);
      else return fail("invalid \\u escape");
    }
    return true;
  }

  bool string(std::string &out) {
    ++i_; // '"'
    for (;;) {
      if (at_end()) return fail("unterminated string");
      const unsigned char c = static_cast<unsigned char>(peek());
      if (c == '"') { ++i_; return true; }
      if (c < 0x20) return fail("control character in string");
      if (c != '\\') {
        const std::size_t n = utf8_sequence(s_, i_);
        if (n == 0) return fail("invalid UTF-8 in string");
        out.append(s_.substr(i_, n));
        i_ += n;
        continue;
      }
      ++i_;
      if (at_end()) return fail("unterminated escape");
      const char e = s_[i_++];
      switch (e) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        std::uint32_t cp = 0;
        if (!hex4(cp)) return false;
        if (cp >= 0xdc00 && cp <= 0xdfff) return fail("lone low surrogate");
        if (cp >= 0xd800 && cp <= 0xdbff) {
          std::uint32_t lo = 0;
          if (s_.substr(i_, 2) != "\\u") return fail("lone high surrogate");
          i_ += 2;
          if (!hex4(lo)) return false;
          if (lo < 0xdc00 || lo > 0xdfff) return fail("lone high surrogate");
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        // C strings cannot carry NUL: a reply holding one would be cut short.
        if (cp == 0) return fail("NUL character in string");
        append_utf8(out, cp);
        break;
      }
      default: return fail("invalid escape");
      }
    }
  }

  bool number(Json &v) {
    const std::size_t start = i_;
    bool integral = true;
    if (!at_end() && peek() == '-') ++i_;
    if (at_end()) return fail("invalid value");
    if (peek() == '0') {
      ++i_;
    } else if (peek() >= '1' && peek() <= '9') {
      while (!at_end() && peek() >= '0' && peek() <= '9') ++i_;
    } else {
      return fail("invalid value");
    }
    if (!at_end() && peek() == '.') {
      integral = false;
      ++i_;
      if (at_end() || peek() < '0' || peek() > '9') return fail("invalid number");
      while (!at_end() && peek() >= '0' && peek() <= '9') ++i_;
    }
    if (!at_end() && (peek() == 'e' || peek() == 'E')) {
      integral = false;
      ++i_;
      if (!at_end() && (peek() == '+' || peek() == '-')) ++i_;
      if (at_end() || peek() < '0' || peek() > '9') return fail("invalid number");
      while (!at_end() && peek() >= '0' && peek() <= '9') ++i_;
    }
    // from_chars, not strtod: the caller's locale must not change the meaning.
    const char *first = s_.data() + start, *last = s_.data() + i_;
    v.type = Json::Type::Number;
    const auto d = std::from_chars(first, last, v.number);
    if (d.ec != std::errc() || !std::isfinite(v.number)) return fail("number out of range");
    if (integral) {
      long long n = 0;
      v.integral = std::from_chars(first, last, n).ec == std::errc();
      v.integer = n;
    }
    return true;
  }
};

} // namespace

bool parse_json(std::string_view text, Json &out, std::string &error) {
  out = Json{};
  return Parser(text).run(out, error);
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

void append_json_string(std::string &out, std::string_view s) {
  static const char hex[] = "0123456789abcdef";
  out += '"';
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    default:
      if (c < 0x20) {
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 0xf];
      } else {
        out += ch;
      }
    }
  }
  out += '"';
}

} // namespace gh::ivadmin
