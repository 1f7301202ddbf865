// json.h -- a small, strict JSON reader and the string escaper the ivadmin
// client needs. Strict on purpose: the replies come from one known server,
// so anything off (invalid UTF-8, lone surrogates, duplicate keys, trailing
// bytes, NUL characters, nesting deeper than 64) is a protocol error rather
// than something to guess around.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gh::ivadmin {

struct Json {
  enum class Type { Null, Bool, Number, String, Array, Object };
  Type type = Type::Null;
  bool boolean = false;
  bool integral = false;  // the number was written without fraction or exponent
  std::int64_t integer = 0; // valid when integral and in range
  double number = 0;
  std::string string;
  std::vector<Json> items;                         // Array
  std::vector<std::pair<std::string, Json>> members; // Object, in order, keys unique

  // The member named `key` of an object, or nullptr.
  const Json *get(std::string_view key) const;
};

// Parses `text` as one JSON value. On failure returns false and sets `error`
// to a short description with the byte offset.
bool parse_json(std::string_view text, Json &out, std::string &error);

// True if `s` is well-formed UTF-8 (no overlongs, surrogates or values past
// U+10FFFF).
bool valid_utf8(std::string_view s);

// Appends `s` as a JSON string literal (quotes included). `s` must be valid
// UTF-8; multi-byte characters pass through, control characters, quotes and
// backslashes are escaped.
void append_json_string(std::string &out, std::string_view s);

} // namespace gh::ivadmin
