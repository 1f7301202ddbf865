// codec.cpp -- checking and converting what callers hand us: login IDs,
// session IDs and user session IDs, and the fixed session view.
#include <cstring>

#include "base64url.h"
#include "siphash.h"
#include "table.h"

namespace gh {

bool ct_equal(const uint64_t *a, const uint64_t *b, size_t words) {
  uint64_t diff = 0;
  for (size_t k = 0; k < words; ++k) diff |= a[k] ^ b[k];
  return diff == 0;
}

// 1..256 bytes of well-formed UTF-8 (no overlongs, no surrogates), and no
// control characters: a login ID ends up in HTTP headers and audit logs.
bool valid_login(const char *s, size_t n) {
  if (!s || n == 0 || n > GH_LOGIN_MAX) return false;
  const auto *p = reinterpret_cast<const uint8_t *>(s);
  for (size_t i = 0; i < n;) {
    uint8_t c = p[i];
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7F) return false;
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else return false;
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    static const uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    if (cp >= 0x80 && cp < 0xA0) return false;  // C1 controls
    i += len;
  }
  return true;
}

bool decode_sid(const char *sid, size_t len, uint64_t out[3]) {
  if (!sid || len != GH_SESSION_ID_LEN) return false;
  uint8_t raw[24];
  if (!b64url_decode(sid, len, raw, sizeof raw)) return false;
  std::memcpy(out, raw, sizeof raw);
  return (out[0] | out[1] | out[2]) != 0;
}

uint32_t usid_mask(const gh_table *t, const uint64_t tag[2]) {
  return uint32_t(mix64(tag[0], tag[1] ^ 0x7573696475736964ull, t->hdr->hash_key));
}

void encode_usid(const gh_table *t, uint32_t slot, const uint64_t tag[2], char *out) {
  uint8_t raw[16];
  uint32_t masked = slot ^ usid_mask(t, tag);
  std::memcpy(raw, &masked, 4);
  std::memcpy(raw + 4, &tag[0], 8);
  std::memcpy(raw + 12, &tag[1], 4);
  b64url_encode(raw, sizeof raw, out);
}

bool decode_usid(const gh_table *t, const char *s, size_t len, uint32_t *slot, uint64_t tag[2]) {
  if (!s || len != GH_USER_SESSION_ID_LEN) return false;
  uint8_t raw[16];
  if (!b64url_decode(s, len, raw, sizeof raw)) return false;
  uint32_t masked;
  std::memcpy(&masked, raw, 4);
  tag[0] = 0;
  tag[1] = 0;
  std::memcpy(&tag[0], raw + 4, 8);
  std::memcpy(&tag[1], raw + 12, 4);
  *slot = masked ^ usid_mask(t, tag);
  return true;
}

bool refresh_needed(const gh_table *t, const Snapshot &s) {
  return s.user_idx <= t->user_mask && t->users[s.user_idx].refresh.load(std::memory_order_acquire) != s.refresh;
}

void fill_info(const gh_table *t, const Snapshot &s, uint32_t slot, gh_reason r, gh_session_info *out,
               bool with_usid) {
  out->slot = slot;
  out->seq = ctl_seq(s.ctl);
  out->created_ms = s.created_ms;
  out->last_access_ms = s.last_ms;
  out->lifetime_s = s.lifetime_s;
  out->inactive_s = s.inactive_s;
  out->generation = s.gen;
  out->epoch = s.epoch;
  out->flags = s.flags;
  out->auth_method = s.method;
  out->auth_level = s.level;
  out->refresh_needed = r == GH_VALID && refresh_needed(t, s);
  out->reason = uint8_t(r);
  out->login_len = s.login_len;
  out->attrs_len = s.attrs_len;
  out->session_id[0] = '\0';
  out->user_session_id[0] = '\0';
  if (with_usid) encode_usid(t, slot, s.usid, out->user_session_id);
}

}  // namespace gh
