// segment.cpp -- creating, opening and mapping the shared-memory segment.
//
// A process may open the same segment many times (ava and worker_threads load
// the addon once per thread), so mappings are shared per process and
// reference-counted, keyed by the file's device and inode so that a segment
// unlinked and re-created under the same name is never confused with the old.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <thread>
#include <utility>

#include "geometry.h"
#include "sys.h"
#include "table.h"

namespace gh {
namespace {

struct Mapping {
  void *base;
  size_t size;
  int refs;
  std::pair<dev_t, ino_t> id;
};

std::mutex g_maps_mutex;  // guards open/close only; never on an operation path
std::map<std::pair<dev_t, ino_t>, Mapping *> g_maps;

bool valid_name(const char *name) {
  if (!name) return false;
  size_t n = strnlen(name, GH_NAME_MAX + 1);
  if (n == 0 || n > GH_NAME_MAX) return false;
  for (size_t i = 0; i < n; ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return !(n <= 2 && name[0] == '.');
}

void shm_path(const char *name, char *out, size_t cap) { snprintf(out, cap, "/%s", name); }

void bind(gh_table *t, Mapping *m) {
  auto *base = static_cast<uint8_t *>(m->base);
  t->mapping = m;
  t->hdr = reinterpret_cast<Header *>(base);
  t->slots = base + t->hdr->slots_off;
  t->index = reinterpret_cast<std::atomic<uint64_t> *>(base + t->hdr->index_off);
  t->users = reinterpret_cast<UserRec *>(base + t->hdr->users_off);
  t->capacity = t->hdr->capacity;
  t->slot_bytes = t->hdr->slot_bytes;
  t->cred_words = t->hdr->cred_bytes / 8;
  t->index_mask = t->hdr->index_buckets - 1;
  t->user_mask = t->hdr->user_records - 1;
}

// Checks a mapped header before anything else reads it. Beyond magic,
// version and checksum (which anyone can recompute), every geometry field
// must be exactly what gh_table_create would have written for the header's
// capacity and cred_bytes, and the file exactly that size: then every
// offset, mask and slot read that bind() derives stays inside the mapping.
gh_status check_header(const Header *h, size_t file_size, const char *name) {
  if (h->magic != kMagic)
    return fail(GH_E_INCOMPATIBLE, "segment '%s' is not a Gatehouse session table (bad magic)", name);
  if (h->layout_version != kLayoutVersion)
    return fail(GH_E_INCOMPATIBLE, "segment '%s' has layout version %u; this build reads %u", name,
                h->layout_version, kLayoutVersion);
  if (h->header_bytes != sizeof(Header))
    return fail(GH_E_INCOMPATIBLE, "segment '%s' header is %u bytes; expected %zu", name,
                h->header_bytes, sizeof(Header));
  if (geometry_hash(h) != h->geometry_check)
    return fail(GH_E_CORRUPT, "segment '%s' header fails its checksum", name);
  if (!capacity_in_range(h->capacity))
    return fail(GH_E_CORRUPT, "segment '%s' header: capacity %u is not a multiple of 32 in %u..%u", name,
                h->capacity, kMinCapacity, kMaxCapacity);
  if (!cred_bytes_in_range(h->cred_bytes))
    return fail(GH_E_CORRUPT, "segment '%s' header: cred_bytes %u is not a multiple of 8 in 64..%u", name,
                h->cred_bytes, kMaxCredBytes);
  Geometry g{};
  if (!derive_geometry(h->capacity, h->cred_bytes, g))
    return fail(GH_E_CORRUPT, "segment '%s' header: geometry overflows", name);
  struct Field { const char *what; uint64_t have, want; };
  const Field fields[] = {
      {"slot_bytes", h->slot_bytes, g.slot_bytes},
      {"index_buckets", h->index_buckets, g.index_buckets},
      {"user_records", h->user_records, g.user_records},
      {"slots_off", h->slots_off, g.slots_off},
      {"index_off", h->index_off, g.index_off},
      {"users_off", h->users_off, g.users_off},
      {"segment_bytes", h->segment_bytes, g.segment_bytes},
      {"reserved0", h->reserved0, 0},
  };
  for (const Field &f : fields)
    if (f.have != f.want)
      return fail(GH_E_CORRUPT, "segment '%s' header: %s is %llu; capacity %u and cred_bytes %u give %llu", name,
                  f.what, (unsigned long long)f.have, h->capacity, h->cred_bytes, (unsigned long long)f.want);
  if (h->segment_bytes != file_size)
    return fail(GH_E_CORRUPT, "segment '%s' is %zu bytes but its header says %llu", name, file_size,
                (unsigned long long)h->segment_bytes);
  return GH_OK;
}

// The segment holds every session ID in the clear (they are bearer
// credentials) and its header steers every pointer we derive: only a
// segment owned by our effective user and closed to everyone else is ours.
gh_status check_owner(const struct stat &st, const char *name) {
  if (st.st_uid != geteuid())
    return fail(GH_E_PERMISSION, "segment '%s' is owned by uid %u, not by this process's uid %u; refusing it", name,
                unsigned(st.st_uid), unsigned(geteuid()));
  if ((st.st_mode & 077) != 0)
    return fail(GH_E_PERMISSION, "segment '%s' has mode %04o: group or others may read or write it; refusing it "
                "(it must be 0600)", name, unsigned(st.st_mode & 07777));
  return GH_OK;
}

Mapping *find_mapping(std::pair<dev_t, ino_t> id) {
  auto it = g_maps.find(id);
  return it == g_maps.end() ? nullptr : it->second;
}

}  // namespace
}  // namespace gh

using namespace gh;

extern "C" gh_status gh_table_create(const char *name, const gh_table_options *opt, gh_table **out) {
  if (!out) return fail(GH_E_INVALID_ARGUMENT, "out must not be NULL");
  *out = nullptr;
  if (!valid_name(name))
    return fail(GH_E_INVALID_ARGUMENT, "segment name must be 1..%d characters of [A-Za-z0-9._-]", GH_NAME_MAX);
  if (!opt) return fail(GH_E_INVALID_ARGUMENT, "options must not be NULL");
  if (opt->capacity < kMinCapacity || opt->capacity > kMaxCapacity)
    return fail(GH_E_INVALID_ARGUMENT, "capacity %u is outside %u..%u", opt->capacity, kMinCapacity, kMaxCapacity);
  uint32_t cred = opt->cred_bytes ? opt->cred_bytes : kDefaultCredBytes;
  if (!cred_bytes_in_range(cred))
    return fail(GH_E_INVALID_ARGUMENT, "cred_bytes %u must be a multiple of 8 in 64..%u", cred, kMaxCredBytes);

  // WebSEAL rounds small max-entries up to a multiple of 32; so do we.
  Geometry geo{};
  if (!derive_geometry((opt->capacity + 31) & ~31u, cred, geo))
    return fail(GH_E_INVALID_ARGUMENT, "capacity %u with cred_bytes %u overflows", opt->capacity, cred);
  const uint64_t total = geo.segment_bytes;

  char path[GH_NAME_MAX + 2];
  shm_path(name, path, sizeof path);
  int fd = shm_open(path, O_CREAT | O_EXCL | O_RDWR, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return fail(GH_E_EXISTS, "segment '%s' already exists", name);
    return fail(GH_E_SYSTEM, "shm_open('%s'): %s", name, strerror(errno));
  }
  if (ftruncate(fd, off_t(total)) != 0) {
    int e = errno;
    close(fd);
    shm_unlink(path);
    return fail(GH_E_SYSTEM, "sizing segment '%s' to %llu bytes: %s", name, (unsigned long long)total, strerror(e));
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    shm_unlink(path);
    return fail(GH_E_SYSTEM, "fstat('%s'): %s", name, strerror(e));
  }
  void *base = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (base == MAP_FAILED) {
    int e = errno;
    shm_unlink(path);
    return fail(GH_E_SYSTEM, "mapping segment '%s': %s", name, strerror(e));
  }
  // The file is zero-filled: every slot FREE, every bucket and record empty.
  auto *h = new (base) Header();
  h->magic = kMagic;
  h->layout_version = kLayoutVersion;
  h->header_bytes = sizeof(Header);
  h->capacity = geo.capacity;
  h->slot_bytes = geo.slot_bytes;
  h->cred_bytes = geo.cred_bytes;
  h->index_buckets = geo.index_buckets;
  h->user_records = geo.user_records;
  h->segment_bytes = geo.segment_bytes;
  h->slots_off = geo.slots_off;
  h->index_off = geo.index_off;
  h->users_off = geo.users_off;
  random_bytes(h->hash_key, sizeof h->hash_key);
  h->created_ms = now_ms();
  h->geometry_check = geometry_hash(h);
  h->epoch.store(1, std::memory_order_relaxed);
  h->ready.store(1, std::memory_order_release);  // publishes everything above

  auto *m = new Mapping{base, size_t(total), 1, {st.st_dev, st.st_ino}};
  auto *t = new gh_table();
  {
    std::lock_guard<std::mutex> g(g_maps_mutex);
    g_maps[m->id] = m;
  }
  bind(t, m);
  *out = t;
  return GH_OK;
}

extern "C" gh_status gh_table_open(const char *name, gh_table **out) {
  if (!out) return fail(GH_E_INVALID_ARGUMENT, "out must not be NULL");
  *out = nullptr;
  if (!valid_name(name))
    return fail(GH_E_INVALID_ARGUMENT, "segment name must be 1..%d characters of [A-Za-z0-9._-]", GH_NAME_MAX);
  char path[GH_NAME_MAX + 2];
  shm_path(name, path, sizeof path);
  int fd = shm_open(path, O_RDWR, 0);
  if (fd < 0) {
    if (errno == ENOENT) return fail(GH_E_NOT_FOUND, "no session table named '%s'", name);
    return fail(GH_E_SYSTEM, "shm_open('%s'): %s", name, strerror(errno));
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return fail(GH_E_SYSTEM, "fstat('%s'): %s", name, strerror(e));
  }
  if (gh_status s = check_owner(st, name)) {
    close(fd);
    return s;
  }
  std::lock_guard<std::mutex> g(g_maps_mutex);
  std::pair<dev_t, ino_t> id{st.st_dev, st.st_ino};
  if (Mapping *m = find_mapping(id)) {
    close(fd);
    m->refs++;
    auto *t = new gh_table();
    bind(t, m);
    *out = t;
    return GH_OK;
  }
  // A creator may still be sizing or initialising the segment: wait briefly.
  for (int i = 0; i < 200 && size_t(st.st_size) < sizeof(Header); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    fstat(fd, &st);
  }
  if (size_t(st.st_size) < sizeof(Header)) {
    close(fd);
    return fail(GH_E_CORRUPT, "segment '%s' is %lld bytes: too small to be a session table", name,
                (long long)st.st_size);
  }
  size_t size = size_t(st.st_size);
  void *base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (base == MAP_FAILED) return fail(GH_E_SYSTEM, "mapping '%s': %s", name, strerror(errno));
  auto *h = static_cast<Header *>(base);
  // Wait for a creator that is still initialising (magic not yet written or
  // written but not yet ready); anything else is not ours to wait for.
  auto initialising = [h] {
    if (h->ready.load(std::memory_order_acquire) == 1) return false;
    uint64_t magic = reinterpret_cast<std::atomic<uint64_t> *>(&h->magic)->load(std::memory_order_relaxed);
    return magic == 0 || magic == kMagic;
  };
  for (int i = 0; i < 400 && initialising(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  gh_status s = h->ready.load(std::memory_order_acquire) == 1 || h->magic != kMagic
                    ? check_header(h, size, name)
                    : fail(GH_E_CORRUPT, "segment '%s' was never initialised (its creator died?)", name);
  if (s != GH_OK) {
    munmap(base, size);
    return s;
  }
  auto *m = new Mapping{base, size, 1, id};
  g_maps[id] = m;
  auto *t = new gh_table();
  bind(t, m);
  *out = t;
  return GH_OK;
}

extern "C" void gh_table_close(gh_table *t) {
  if (!t) return;
  auto *m = static_cast<Mapping *>(t->mapping);
  {
    std::lock_guard<std::mutex> g(g_maps_mutex);
    if (--m->refs == 0) {
      g_maps.erase(m->id);
      munmap(m->base, m->size);
      delete m;
    }
  }
  delete t;
}

extern "C" gh_status gh_table_unlink(const char *name) {
  if (!valid_name(name))
    return fail(GH_E_INVALID_ARGUMENT, "segment name must be 1..%d characters of [A-Za-z0-9._-]", GH_NAME_MAX);
  char path[GH_NAME_MAX + 2];
  shm_path(name, path, sizeof path);
  if (shm_unlink(path) != 0) {
    if (errno == ENOENT) return fail(GH_E_NOT_FOUND, "no session table named '%s'", name);
    return fail(GH_E_SYSTEM, "shm_unlink('%s'): %s", name, strerror(errno));
  }
  return GH_OK;
}
