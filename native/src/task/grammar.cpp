// grammar.cpp -- parse() and format() of task strings. grammar.h states the
// grammar; this file follows it in three linear passes over the input:
// encoding check, tokenizer, and a flat (non-recursive) recogniser.
#include "grammar.h"

#include "gatehouse.h" // GH_LOGIN_MAX, GH_USER_SESSION_ID_LEN (constants only)

#include <utility>

namespace gh::task {

static_assert(kMaxTextBytes == GH_LOGIN_MAX, "a user ID argument holds exactly what the table accepts");

namespace {

constexpr std::size_t kExcerptBytes = 64;
constexpr std::size_t kGatehouseUserSessionIdLen = GH_USER_SESSION_ID_LEN;

Error make_error(ErrorCode c, std::string text, std::size_t offset) {
  Error e;
  e.code = c;
  e.message_id = message_id(c);
  e.text = std::move(text);
  e.offset = offset;
  return e;
}

// At most kExcerptBytes bytes of s, cut at a UTF-8 boundary (s is valid UTF-8).
std::string excerpt(std::string_view s) {
  if (s.size() <= kExcerptBytes) return std::string(s);
  std::size_t n = kExcerptBytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  std::string r(s.substr(0, n));
  r += "...";
  return r;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view lower_kw) {
  if (a.size() != lower_kw.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower_kw[i]) return false;
  return true;
}

const char kHex[] = "0123456789ABCDEF";

std::string hex_byte(unsigned v) {
  std::string s = "0x";
  s += kHex[(v >> 4) & 0xF];
  s += kHex[v & 0xF];
  return s;
}

// Checks that `in` is well-formed UTF-8 (Unicode Table 3-7) without NUL or
// control characters; tab is allowed (the tokenizer rejects it in quotes).
bool check_encoding(std::string_view in, Error *err) {
  const auto *p = reinterpret_cast<const unsigned char *>(in.data());
  const std::size_t n = in.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned c = p[i];
    if (c < 0x80) {
      if (c == 0) {
        if (err) *err = make_error(ErrorCode::Encoding, "NUL byte in the task", i);
        return false;
      }
      if ((c < 0x20 && c != '\t') || c == 0x7F) {
        if (err) *err = make_error(ErrorCode::Encoding, "control character " + hex_byte(c) + " in the task", i);
        return false;
      }
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned lo = 0x80, hi = 0xBF, cp = 0;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c == 0xE0) { len = 3; cp = c & 0x0F; lo = 0xA0; }
    else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) { len = 3; cp = c & 0x0F; }
    else if (c == 0xED) { len = 3; cp = c & 0x0F; hi = 0x9F; }
    else if (c == 0xF0) { len = 4; cp = c & 0x07; lo = 0x90; }
    else if (c >= 0xF1 && c <= 0xF3) { len = 4; cp = c & 0x07; }
    else if (c == 0xF4) { len = 4; cp = c & 0x07; hi = 0x8F; }
    bool ok = len != 0 && n - i >= len;
    for (std::size_t k = 1; ok && k < len; ++k) {
      const unsigned b = p[i + k];
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) ok = false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (!ok) {
      if (err) {
        // ED A0..BF xx encodes a UTF-16 surrogate: what the addon passes on
        // for an unpaired surrogate in a JavaScript string. Name it.
        const bool surrogate = c == 0xED && n - i >= 3 && p[i + 1] >= 0xA0 && p[i + 1] <= 0xBF &&
                               p[i + 2] >= 0x80 && p[i + 2] <= 0xBF;
        if (surrogate) {
          const unsigned s = 0xD000 | ((p[i + 1] & 0x3Fu) << 6) | (p[i + 2] & 0x3Fu);
          *err = make_error(ErrorCode::Encoding,
                            "unpaired UTF-16 surrogate U+" + hex_byte(s >> 8).substr(2) + hex_byte(s & 0xFF).substr(2) +
                                " (the task is not well-formed Unicode)", i);
        } else {
          *err = make_error(ErrorCode::Encoding, "invalid UTF-8 (byte " + hex_byte(c) + ")", i);
        }
      }
      return false;
    }
    if (cp >= 0x80 && cp <= 0x9F) {
      if (err) *err = make_error(ErrorCode::Encoding, "control character U+00" + hex_byte(cp).substr(2) + " in the task", i);
      return false;
    }
    i += len;
  }
  return true;
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

struct Token {
  std::string value;
  bool quoted = false;
  std::size_t offset = 0; // of the first byte (the opening quote if quoted)
};

// Splits `in` (already encoding-checked) into tokens; see grammar.h.
bool tokenize(std::string_view in, std::vector<Token> &out, Error &err) {
  const std::size_t n = in.size();
  std::size_t i = 0;
  for (;;) {
    while (i < n && is_space(in[i])) ++i;
    if (i == n) return true;
    if (out.size() == kMaxTokens) {
      err = make_error(ErrorCode::TooLong, "more than 256 tokens in the task", i);
      return false;
    }
    Token t;
    t.offset = i;
    if (in[i] == '"') {
      t.quoted = true;
      ++i;
      bool closed = false;
      while (i < n) {
        const char c = in[i];
        if (c == '"') { closed = true; ++i; break; }
        if (c == '\\') {
          if (i + 1 == n) break; // unterminated
          const char e = in[i + 1];
          if (e != '"' && e != '\\') {
            err = make_error(ErrorCode::Quoting,
                             "bad escape inside quotes: only \\\" (quote) and \\\\ (backslash) are allowed", i);
            return false;
          }
          t.value += e;
          i += 2;
          continue;
        }
        if (c == '\t') {
          err = make_error(ErrorCode::Encoding, "tab inside quotes", i);
          return false;
        }
        const std::size_t start = i;
        while (i < n && in[i] != '"' && in[i] != '\\' && in[i] != '\t') ++i;
        t.value.append(in.data() + start, i - start);
      }
      if (!closed) {
        err = make_error(ErrorCode::Quoting, "unbalanced quotes: the quote at offset " + std::to_string(t.offset) +
                                                 " is never closed", t.offset);
        return false;
      }
      if (i < n && !is_space(in[i])) {
        err = make_error(ErrorCode::Quoting, "a closing quote must be followed by a space or the end of the task", i);
        return false;
      }
    } else {
      const std::size_t start = i;
      while (i < n && !is_space(in[i])) {
        if (in[i] == '"') {
          err = make_error(ErrorCode::Quoting, "a double quote inside an unquoted argument; quote the whole argument",
                           i);
          return false;
        }
        ++i;
      }
      t.value.assign(in.data() + start, i - start);
    }
    out.push_back(std::move(t));
  }
}

int b64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Decodes canonical standard base64 with `=` padding (unused bits zero).
bool b64_decode(std::string_view s, std::string &out) {
  if (s.empty() || s.size() % 4 != 0) return false;
  std::size_t pad = 0;
  if (s.back() == '=') pad = s[s.size() - 2] == '=' ? 2 : 1;
  const std::size_t data = s.size() - pad;
  std::uint32_t acc = 0;
  int bits = 0;
  out.clear();
  for (std::size_t i = 0; i < data; ++i) {
    const int v = b64_value(static_cast<unsigned char>(s[i]));
    if (v < 0) return false;
    acc = ((acc << 6) | static_cast<std::uint32_t>(v)) & 0xFFFFFFu;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return (acc & ((1u << bits) - 1)) == 0;
}


bool is_base64url(std::string_view s) {
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool session_id_char(char c) { return c > 0x20 && c < 0x7F && c != '"' && c != '\\'; }

// Quoting where only lexing matters; user IDs also guard the keyword.
bool needs_quotes(std::string_view v, bool guard_keyword) {
  if (v.empty()) return true;
  for (char c : v)
    if (c == ' ' || c == '\t' || c == '"') return true;
  return guard_keyword && iequals(v, "pattern");
}

void append_token(std::string &out, std::string_view v, bool guard_keyword) {
  if (!needs_quotes(v, guard_keyword)) {
    out += v;
    return;
  }
  out += '"';
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

std::string session_token(const Command &c) {
  if (!c.session_server_name) return c.session_id;
  std::string name = *c.session_server_name;
  if (c.session_server_nul) name += '\0';
  std::string r = base64_encode(name);
  r += '_';
  r += c.session_id;
  return r;
}

// The recogniser: walks the token list once, left to right.
class Parser {
public:
  Parser(std::size_t input_size, const std::vector<Token> &toks) : input_size_(input_size), toks_(toks) {}

  ParseResult run() {
    if (toks_.empty())
      return fail(ErrorCode::MissingArgument, "empty task; `help` lists the tasks", input_size_);
    if (kw(0, "server")) {
      if (toks_.size() < 2)
        return fail(ErrorCode::MissingArgument, "`server` must be followed by `task <server-name> <task>`",
                    input_size_);
      if (!kw(1, "task"))
        return fail(ErrorCode::UnknownTask,
                    "unknown task `server " + excerpt(toks_[1].value) + "`; expected `server task <server-name> <task>`",
                    toks_[1].offset);
      if (toks_.size() < 3)
        return fail(ErrorCode::MissingArgument, "missing <server-name> after `server task`", input_size_);
      if (!valid_server_name(toks_[2].value))
        return fail(ErrorCode::BadArgument,
                    "bad server name `" + excerpt(toks_[2].value) +
                        "`: expected 1 to 256 characters of A-Z a-z 0-9 . _ -",
                    toks_[2].offset);
      cmd_.server_name = toks_[2].value;
      pos_ = 3;
      if (at_end()) return fail(ErrorCode::MissingArgument, "missing task after `server task <server-name>`", here());
    }
    const std::size_t first = pos_;
    if (take_kw("terminate")) {
      if (take_kw("session")) return session_cmd(Kind::TerminateSession);
      if (take_kw("all_sessions")) return user_cmd(Kind::TerminateAllSessions);
      return sub_missing(first, "`terminate session <user_session_id>` or `terminate all_sessions <user_id>`");
    }
    if (take_kw("refresh")) {
      if (take_kw("all_sessions")) return user_cmd(Kind::RefreshAllSessions);
      return sub_missing(first, "`refresh all_sessions <user_id>`");
    }
    if (take_kw("signout")) {
      if (take_kw("all_sessions")) return finish(Kind::SignoutAllSessions);
      return sub_missing(first, "`signout all_sessions`");
    }
    if (take_kw("help")) {
      cmd_.kind = Kind::Help;
      while (!at_end()) {
        std::string w;
        if (!take_text(w, "help word", Kind::Help)) return err_;
        cmd_.help_topic.push_back(std::move(w));
      }
      return finish(Kind::Help);
    }
    if (take_kw("list")) {
      if (!take_kw("sessions")) return sub_missing(first, "`list sessions <user_id>` or `list sessions pattern <pattern> [<max>]`");
      if (take_kw("pattern")) {
        const Kind k = Kind::ListSessionsPattern;
        if (at_end())
          return fail(ErrorCode::MissingArgument,
                      "missing <pattern>; syntax: " + std::string(syntax(k)) +
                          " (to list a user called pattern, quote it: list sessions \"pattern\")",
                      here());
        if (!take_text(cmd_.pattern, "<pattern>", k)) return err_;
        cmd_.max = kDefaultMax;
        if (!at_end() && !take_max(k)) return err_;
        return finish(k);
      }
      return user_cmd(Kind::ListSessions);
    }
    if (take_kw("session")) {
      if (take_kw("terminate")) {
        if (take_kw("session")) {
          const Kind k = Kind::DscTerminateSession;
          if (!take_session_id(k) || !take_text(cmd_.replica_set, "<replica_set>", k)) return err_;
          return finish(k);
        }
        if (take_kw("all_sessions")) {
          const Kind k = Kind::DscTerminateAllSessions;
          if (!take_text(cmd_.pattern, "<user_pattern>", k) || !take_text(cmd_.replica_set, "<replica_set>", k))
            return err_;
          return finish(k);
        }
        return sub_missing(first, "`session terminate session <user_session_id> <replica_set>` or "
                                  "`session terminate all_sessions <user_pattern> <replica_set>`");
      }
      if (take_kw("list")) {
        const Kind k = Kind::DscSessionList;
        if (!take_text(cmd_.pattern, "<pattern>", k)) return err_;
        if (at_end()) return fail(ErrorCode::MissingArgument, "missing <max>; syntax: " + std::string(syntax(k)), here());
        if (!take_max(k) || !take_text(cmd_.replica_set, "<replica_set>", k)) return err_;
        return finish(k);
      }
      return sub_missing(first, "`session terminate ...` or `session list <pattern> <max> <replica_set>`");
    }
    if (take_kw("replica")) {
      if (take_kw("set")) {
        if (take_kw("list")) return finish(Kind::ReplicaSetList);
        if (take_kw("show")) {
          if (!take_text(cmd_.replica_set, "<replica_set>", Kind::ReplicaSetShow)) return err_;
          return finish(Kind::ReplicaSetShow);
        }
      }
      return sub_missing(first, "`replica set list` or `replica set show <replica_set>`");
    }
    return fail(ErrorCode::UnknownTask,
                "unknown task `" + excerpt(toks_[pos_].value) + "`; `help` lists the tasks" + quoted_hint(toks_[pos_]),
                toks_[pos_].offset);
  }

private:
  bool at_end() const { return pos_ >= toks_.size(); }
  std::size_t here() const { return at_end() ? input_size_ : toks_[pos_].offset; }
  bool kw(std::size_t i, std::string_view word) const {
    return i < toks_.size() && !toks_[i].quoted && iequals(toks_[i].value, word);
  }
  bool take_kw(std::string_view word) {
    if (!kw(pos_, word)) return false;
    ++pos_;
    return true;
  }

  static const char *quoted_hint(const Token &t) { return t.quoted ? " (keywords cannot be quoted)" : ""; }

  ParseResult fail(ErrorCode c, std::string text, std::size_t offset) {
    ParseResult r;
    r.error = make_error(c, std::move(text), offset);
    return r;
  }
  // Records an error for the take_* helpers, which return false.
  bool set_err(ErrorCode c, std::string text, std::size_t offset) {
    err_ = fail(c, std::move(text), offset);
    return false;
  }

  // The words from `first` up to the current token did not form a task.
  ParseResult sub_missing(std::size_t first, const char *expected) {
    std::string words;
    const std::size_t last = at_end() ? pos_ : pos_ + 1;
    for (std::size_t i = first; i < last; ++i) {
      if (i > first) words += ' ';
      words += toks_[i].value;
    }
    if (at_end())
      return fail(ErrorCode::MissingArgument, "incomplete task `" + excerpt(words) + "`; expected " + expected, here());
    return fail(ErrorCode::UnknownTask,
                "unknown task `" + excerpt(words) + "`; expected " + expected + quoted_hint(toks_[pos_]), here());
  }

  ParseResult finish(Kind k) {
    if (!at_end())
      return fail(ErrorCode::ExtraArgument,
                  "unexpected argument `" + excerpt(toks_[pos_].value) + "`; syntax: " + std::string(syntax(k)) +
                      " (quote arguments that contain spaces)",
                  here());
    cmd_.kind = k;
    ParseResult r;
    r.ok = true;
    r.command = std::move(cmd_);
    return r;
  }

  bool take_text(std::string &out, const char *what, Kind k) {
    if (at_end())
      return set_err(ErrorCode::MissingArgument, std::string("missing ") + what + "; syntax: " + std::string(syntax(k)),
                     here());
    const Token &t = toks_[pos_];
    if (t.value.empty()) return set_err(ErrorCode::BadArgument, std::string("empty ") + what, t.offset);
    if (t.value.size() > kMaxTextBytes)
      return set_err(ErrorCode::BadArgument,
                     std::string(what) + " is " + std::to_string(t.value.size()) + " bytes; at most 256 are allowed",
                     t.offset);
    out = t.value;
    ++pos_;
    return true;
  }

  ParseResult user_cmd(Kind k) {
    if (!take_text(cmd_.user_id, "<user_id>", k)) return err_;
    return finish(k);
  }

  bool take_max(Kind k) {
    const Token &t = toks_[pos_];
    std::uint64_t v = 0;
    bool digits = !t.value.empty();
    for (char c : t.value) {
      if (c < '0' || c > '9') { digits = false; break; }
      v = v * 10 + static_cast<unsigned>(c - '0');
      if (v > kMaxMax) v = kMaxMax + 1; // saturate: no overflow on long inputs
    }
    if (!digits || v < 1 || v > kMaxMax)
      return set_err(ErrorCode::BadArgument,
                     "bad <max> `" + excerpt(t.value) + "`: expected a whole number from 1 to 100000; syntax: " +
                         std::string(syntax(k)),
                     t.offset);
    cmd_.max = static_cast<std::uint32_t>(v);
    ++pos_;
    return true;
  }

  bool take_session_id(Kind k) {
    if (at_end())
      return set_err(ErrorCode::MissingArgument, "missing <user_session_id>; syntax: " + std::string(syntax(k)), here());
    const Token &t = toks_[pos_];
    const std::string &tok = t.value;
    if (tok.empty()) return set_err(ErrorCode::BadArgument, "empty <user_session_id>", t.offset);
    if (tok.size() > kMaxSessionIdBytes)
      return set_err(ErrorCode::BadArgument,
                     "<user_session_id> is " + std::to_string(tok.size()) + " bytes; at most 1024 are allowed", t.offset);
    for (char c : tok)
      if (!session_id_char(c))
        return set_err(ErrorCode::BadArgument,
                       "bad <user_session_id>: only printable ASCII other than space, \" and \\ is allowed", t.offset);
    ++pos_;
    // A Gatehouse user session ID is never split, even if it contains `_`.
    if (!(tok.size() == kGatehouseUserSessionIdLen && is_base64url(tok))) {
      const std::size_t us = tok.find('_');
      if (us != std::string::npos && us + 1 < tok.size()) {
        std::string name;
        if (b64_decode(std::string_view(tok).substr(0, us), name)) {
          const bool nul = !name.empty() && name.back() == '\0';
          if (nul) name.pop_back();
          if (valid_server_name(name)) {
            cmd_.session_server_name = std::move(name);
            cmd_.session_server_nul = nul;
            cmd_.session_id = tok.substr(us + 1);
            return true;
          }
        }
      }
    }
    cmd_.session_id = tok;
    return true;
  }

  ParseResult session_cmd(Kind k) {
    if (!take_session_id(k)) return err_;
    return finish(k);
  }

  std::size_t input_size_;
  const std::vector<Token> &toks_;
  std::size_t pos_ = 0;
  Command cmd_;
  ParseResult err_;
};

} // namespace

std::string base64_encode(std::string_view s) {
  static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((s.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= s.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t(static_cast<unsigned char>(s[i])) << 16) |
                            (std::uint32_t(static_cast<unsigned char>(s[i + 1])) << 8) |
                            std::uint32_t(static_cast<unsigned char>(s[i + 2]));
    out += A[(v >> 18) & 63]; out += A[(v >> 12) & 63]; out += A[(v >> 6) & 63]; out += A[v & 63];
  }
  if (s.size() - i == 1) {
    const std::uint32_t v = std::uint32_t(static_cast<unsigned char>(s[i])) << 16;
    out += A[(v >> 18) & 63]; out += A[(v >> 12) & 63]; out += "==";
  } else if (s.size() - i == 2) {
    const std::uint32_t v = (std::uint32_t(static_cast<unsigned char>(s[i])) << 16) |
                            (std::uint32_t(static_cast<unsigned char>(s[i + 1])) << 8);
    out += A[(v >> 18) & 63]; out += A[(v >> 12) & 63]; out += A[(v >> 6) & 63]; out += '=';
  }
  return out;
}

bool Command::operator==(const Command &o) const {
  return kind == o.kind && server_name == o.server_name && session_id == o.session_id &&
         session_server_name == o.session_server_name && session_server_nul == o.session_server_nul &&
         user_id == o.user_id && pattern == o.pattern && max == o.max && replica_set == o.replica_set &&
         help_topic == o.help_topic;
}

ParseResult parse(std::string_view input) noexcept {
  try {
    ParseResult r;
    if (input.size() > kMaxInputBytes) {
      r.error = make_error(ErrorCode::TooLong,
                           "task is " + std::to_string(input.size()) + " bytes; at most 65536 are allowed",
                           kMaxInputBytes);
      return r;
    }
    if (!check_encoding(input, &r.error)) return r;
    std::vector<Token> toks;
    if (!tokenize(input, toks, r.error)) return r;
    return Parser(input.size(), toks).run();
  } catch (...) { // std::bad_alloc: inputs are bounded, so only under memory exhaustion
    ParseResult r;
    r.error.code = ErrorCode::TooLong;
    r.error.message_id = message_id(ErrorCode::TooLong);
    r.error.text = "out of memory";
    return r;
  }
}

std::string quote(std::string_view user_id) {
  std::string out;
  append_token(out, user_id, true);
  return out;
}

std::string format(const Command &c) {
  std::string out;
  if (c.server_name) {
    out += "server task ";
    out += *c.server_name;
    out += ' ';
  }
  switch (c.kind) {
  case Kind::TerminateSession:
    out += "terminate session ";
    out += session_token(c);
    break;
  case Kind::TerminateAllSessions:
    out += "terminate all_sessions ";
    out += quote(c.user_id);
    break;
  case Kind::RefreshAllSessions:
    out += "refresh all_sessions ";
    out += quote(c.user_id);
    break;
  case Kind::Help:
    out += "help";
    for (const auto &w : c.help_topic) {
      out += ' ';
      append_token(out, w, false);
    }
    break;
  case Kind::SignoutAllSessions:
    out += "signout all_sessions";
    break;
  case Kind::ListSessions:
    out += "list sessions ";
    out += quote(c.user_id);
    break;
  case Kind::ListSessionsPattern:
    out += "list sessions pattern ";
    append_token(out, c.pattern, false);
    out += ' ';
    out += std::to_string(c.max);
    break;
  case Kind::DscTerminateSession:
    out += "session terminate session ";
    out += session_token(c);
    out += ' ';
    append_token(out, c.replica_set, false);
    break;
  case Kind::DscTerminateAllSessions:
    out += "session terminate all_sessions ";
    append_token(out, c.pattern, false);
    out += ' ';
    append_token(out, c.replica_set, false);
    break;
  case Kind::DscSessionList:
    out += "session list ";
    append_token(out, c.pattern, false);
    out += ' ';
    out += std::to_string(c.max);
    out += ' ';
    append_token(out, c.replica_set, false);
    break;
  case Kind::ReplicaSetList:
    out += "replica set list";
    break;
  case Kind::ReplicaSetShow:
    out += "replica set show ";
    append_token(out, c.replica_set, false);
    break;
  }
  return out;
}

bool valid_text(std::string_view s) {
  if (s.empty() || s.size() > kMaxTextBytes) return false;
  for (char c : s)
    if (c == '\t') return false;
  return check_encoding(s, nullptr);
}

bool valid_server_name(std::string_view s) {
  if (s.empty() || s.size() > kMaxServerNameBytes) return false;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string_view kind_name(Kind k) {
  switch (k) {
  case Kind::TerminateSession: return "terminate_session";
  case Kind::TerminateAllSessions: return "terminate_all_sessions";
  case Kind::RefreshAllSessions: return "refresh_all_sessions";
  case Kind::Help: return "help";
  case Kind::SignoutAllSessions: return "signout_all_sessions";
  case Kind::ListSessions: return "list_sessions";
  case Kind::ListSessionsPattern: return "list_sessions_pattern";
  case Kind::DscTerminateSession: return "dsc_terminate_session";
  case Kind::DscTerminateAllSessions: return "dsc_terminate_all_sessions";
  case Kind::DscSessionList: return "dsc_session_list";
  case Kind::ReplicaSetList: return "replica_set_list";
  case Kind::ReplicaSetShow: return "replica_set_show";
  }
  return "unknown";
}

std::string_view syntax(Kind k) {
  switch (k) {
  case Kind::TerminateSession: return "terminate session <user_session_id>";
  case Kind::TerminateAllSessions: return "terminate all_sessions <user_id>";
  case Kind::RefreshAllSessions: return "refresh all_sessions <user_id>";
  case Kind::Help: return "help [<task>]";
  case Kind::SignoutAllSessions: return "signout all_sessions";
  case Kind::ListSessions: return "list sessions <user_id>";
  case Kind::ListSessionsPattern: return "list sessions pattern <pattern> [<maximum_return>]";
  case Kind::DscTerminateSession: return "session terminate session <user_session_id> <replica_set>";
  case Kind::DscTerminateAllSessions: return "session terminate all_sessions <user_pattern> <replica_set>";
  case Kind::DscSessionList: return "session list <pattern> <maximum_return> <replica_set>";
  case Kind::ReplicaSetList: return "replica set list";
  case Kind::ReplicaSetShow: return "replica set show <replica_set>";
  }
  return "";
}

std::string_view message_id(ErrorCode c) {
  switch (c) {
  case ErrorCode::UnknownTask: return "GHWAT0101E";
  case ErrorCode::MissingArgument: return "GHWAT0102E";
  case ErrorCode::BadArgument: return "GHWAT0103E";
  case ErrorCode::Quoting: return "GHWAT0104E";
  case ErrorCode::Encoding: return "GHWAT0105E";
  case ErrorCode::TooLong: return "GHWAT0106E";
  case ErrorCode::ExtraArgument: return "GHWAT0107E";
  }
  return "GHWAT0101E";
}

} // namespace gh::task
