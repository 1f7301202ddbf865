// fuzz_table_header.cpp -- libFuzzer target for gh_table_open on crafted
// segments. The input mutates a header exactly as gh_table_create writes it
// (capacity 32 or 64, cred_bytes 64 or 400) and the size of the file around
// it; by default the checksum is recomputed afterwards, so only the geometry
// checks stand between the input and the code that trusts the header.
//
// Input: byte 0 flags (bit 0: keep the stale checksum, bit 1: capacity 64,
// bit 2: cred_bytes 400); bytes 1-2 a signed file-size change in 8-byte
// units; the rest is XORed over the header from offset 0 (so an empty input
// is a sound segment). `ready` is forced to 1: open's wait for a creator is
// not what is fuzzed here.
//
// Whenever open succeeds, the header must satisfy the documented geometry
// rules (checked here independently of derive_geometry) and every operation
// must work on it without a crash. Any violation aborts. Run with test/fuzz.sh.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "gatehouse.h"
#include "geometry.h"

namespace {

void fail(const char *what) {
  std::fprintf(stderr, "fuzz_table_header: %s (%s)\n", what, gh_last_error());
  std::abort();
}

bool pow2(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

// The rules of docs/table.md §1, written out again rather than derived.
bool follows_the_rules(const gh::Header &h, uint64_t file_size) {
  const uint64_t cap = h.capacity, cred = h.cred_bytes;
  return cap >= 32 && cap <= (1u << 24) && cap % 32 == 0 && cred >= 64 && cred <= 65536 && cred % 8 == 0 &&
         h.slot_bytes % 64 == 0 && h.slot_bytes >= 112 + cred && h.slot_bytes < 112 + cred + 64 &&
         pow2(h.index_buckets) && h.index_buckets >= 4 * cap && h.index_buckets / 2 < 4 * cap &&
         pow2(h.user_records) && 2 * uint64_t(h.user_records) >= 3 * cap && uint64_t(h.user_records) < 3 * cap &&
         h.slots_off == sizeof(gh::Header) && h.index_off == h.slots_off + cap * h.slot_bytes &&
         h.users_off == h.index_off + 8 * uint64_t(h.index_buckets) &&
         h.segment_bytes == h.users_off + 32 * uint64_t(h.user_records) && h.segment_bytes == file_size;
}

void exercise(gh_table *t, uint64_t file_size) {
  gh_stats st;
  if (gh_table_stats(t, 0, &st) != GH_OK) fail("stats on an opened table");
  if (st.segment_bytes != file_size) fail("opened a table whose size is not the file's");
  gh_session_spec spec{};
  spec.login = "fuzz";
  spec.login_len = 4;
  spec.lifetime_s = 60;
  gh_session_info info{};
  if (gh_session_create(t, &spec, &info) != GH_OK) fail("create on an opened table");
  gh_session_info v{};
  if (gh_session_validate(t, info.session_id, GH_SESSION_ID_LEN, 0, 1, &v) != GH_VALID) fail("validate");
  char login[GH_LOGIN_MAX];
  uint8_t attrs[64];
  size_t ll = 0, al = 0;
  char usid[GH_USER_SESSION_ID_LEN + 1];
  if (gh_session_read(t, v.slot, v.seq, login, sizeof login, &ll, attrs, sizeof attrs, &al, usid) != GH_OK)
    fail("read");
  gh_session_info list[4];
  uint32_t n = 0, total = 0;
  gh_list_pattern(t, "*", 1, 0, list, 4, &n, &total);
  uint32_t ended = 0;
  gh_user_terminate_all(t, "fuzz", 4, GH_R_ALL_SESSIONS_TERMINATED, &ended);
  uint32_t reclaimed = 0;
  gh_reap(t, 0, UINT32_MAX, &reclaimed);
  if (gh_table_check(t, 0) != GH_OK) fail("check after work");
}

// A plain array: the exit handler runs after static strings are destroyed.
char g_path[64];

void remove_segment() { shm_unlink(g_path); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!g_path[0]) {
    std::snprintf(g_path, sizeof g_path, "/gh-fuzz-header-%d", int(getpid()));
    std::atexit(remove_segment);
  }
  const char *name = g_path + 1;
  const uint8_t flags = size > 0 ? data[0] : 0;
  const int16_t delta = size > 2 ? int16_t(uint16_t(data[1]) | uint16_t(data[2]) << 8) : 0;
  const uint8_t *overlay = size > 3 ? data + 3 : nullptr;
  const size_t overlay_len = size > 3 ? size - 3 : 0;

  gh::Geometry g{};
  if (!gh::derive_geometry(flags & 2 ? 64 : 32, flags & 4 ? 400 : 64, g)) fail("template geometry");
  alignas(64) unsigned char raw[sizeof(gh::Header)] = {};
  auto *h = new (raw) gh::Header();
  h->magic = gh::kMagic;
  h->layout_version = gh::kLayoutVersion;
  h->header_bytes = sizeof(gh::Header);
  h->capacity = g.capacity;
  h->slot_bytes = g.slot_bytes;
  h->cred_bytes = g.cred_bytes;
  h->index_buckets = g.index_buckets;
  h->user_records = g.user_records;
  h->segment_bytes = g.segment_bytes;
  h->slots_off = g.slots_off;
  h->index_off = g.index_off;
  h->users_off = g.users_off;
  h->hash_key[0] = 1;
  h->hash_key[1] = 2;
  h->epoch.store(1);
  h->geometry_check = gh::geometry_hash(h);
  for (size_t i = 0; i < overlay_len && i < sizeof raw; ++i) raw[i] ^= overlay[i];
  if (!(flags & 1)) h->geometry_check = gh::geometry_hash(h);
  h->ready.store(1);

  int64_t file_size = int64_t(g.segment_bytes) + int64_t(delta) * 8;
  if (file_size < int64_t(sizeof raw)) file_size = sizeof raw;

  int fd = shm_open(g_path, O_CREAT | O_RDWR, 0600);
  if (fd < 0) fail("shm_open");
  if (ftruncate(fd, 0) != 0 || ftruncate(fd, off_t(file_size)) != 0) fail("ftruncate");
  if (pwrite(fd, raw, sizeof raw, 0) != ssize_t(sizeof raw)) fail("pwrite");
  close(fd);

  gh_table *t = nullptr;
  gh_status s = gh_table_open(name, &t);
  if (s == GH_OK) {
    if (!t) fail("GH_OK without a table");
    if (!follows_the_rules(*h, uint64_t(file_size))) fail("opened a header that breaks the geometry rules");
    exercise(t, uint64_t(file_size));
    gh_table_close(t);
  } else {
    if (t) fail("a failed open left a table");
    if (s != GH_E_CORRUPT && s != GH_E_INCOMPATIBLE) fail("open failed with an unexpected status");
  }
  h->~Header();
  return 0;
}
