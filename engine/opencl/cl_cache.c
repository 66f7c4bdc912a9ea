/* The on-disk cache of OpenCL program binaries (format in docs/formats.md). */
#define _POSIX_C_SOURCE 200809L
#include "engine/opencl/cl_cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/opencl/cl_runtime.h"
#include "engine/core/file_io.h"

static const char magic[8] = {'S', 'P', 'C', 'L', 'B', 'I', 'N', '\0'};

/* Fixed part of the header, little-endian as the host writes it (a cache is
 * local to one machine). The three key strings follow it, then the payload. */
typedef struct entry_header {
  char magic[8];
  uint32_t version;
  uint32_t header_bytes;    /* this struct + the three strings */
  uint64_t key_hash;
  uint64_t source_hash;     /* prelude + source */
  uint64_t payload_bytes;
  uint64_t payload_hash;
  uint32_t device_len, driver_len, options_len, reserved;
} entry_header;

uint64_t sp_fnv1a64(const void *data, size_t n, uint64_t h) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

static uint64_t source_hash(const sp_cl_cache_key *k) {
  uint64_t h = sp_fnv1a64(k->prelude, strlen(k->prelude), SP_FNV_OFFSET);
  return sp_fnv1a64(k->source, strlen(k->source), h);
}

uint64_t sp_cl_cache_key_hash(const sp_cl_cache_key *k) {
  /* each string with its terminating NUL, so that boundaries count */
  uint64_t h = sp_fnv1a64(k->device, strlen(k->device) + 1, SP_FNV_OFFSET);
  h = sp_fnv1a64(k->driver, strlen(k->driver) + 1, h);
  h = sp_fnv1a64(k->options, strlen(k->options) + 1, h);
  uint64_t s = source_hash(k);
  return sp_fnv1a64(&s, sizeof s, h);
}

void sp_cl_cache_dir(char *out, size_t cap) {
  const char *dir = getenv("SP_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
  if (dir && *dir) snprintf(out, cap, "%s", dir);
  else if (xdg && *xdg) snprintf(out, cap, "%s/stackplan", xdg);
  else if (home && *home) snprintf(out, cap, "%s/.cache/stackplan", home);
  else if (cap) out[0] = '\0';
}

int sp_cl_cache_path(const sp_cl_cache_key *k, char *out, size_t cap) {
  char dir[1024];
  sp_cl_cache_dir(dir, sizeof dir);
  if (!dir[0]) return 0;
  int n = snprintf(out, cap, "%s/opencl/%016llx.bin", dir,
                   (unsigned long long)sp_cl_cache_key_hash(k));
  return n > 0 && (size_t)n < cap;
}

/* mkdir -p of the folder that holds `path`. */
static int make_parent_dirs(const char *path) {
  char buf[1100];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return -1;
  char *slash = strrchr(buf, '/');
  if (!slash) return 0;
  *slash = '\0';
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static int same_string(const char *stored, uint32_t len, const char *want) {
  return strlen(want) == len && memcmp(stored, want, len) == 0;
}

int sp_cl_cache_load(const char *path, const sp_cl_cache_key *k, void **payload, size_t *size,
                     const char **why) {
  *payload = NULL;
  *size = 0;
  *why = "";
  FILE *f;
  if (sp_file_open_read(path, SP_FILE_CAP_ONNX, "a kernel cache entry", &f, NULL)) return 0;
  char *data = NULL;
  long file_bytes = -1;
  if (fseek(f, 0, SEEK_END) == 0) file_bytes = ftell(f);
  if (file_bytes >= (long)sizeof(entry_header) && fseek(f, 0, SEEK_SET) == 0) {
    data = malloc((size_t)file_bytes);
    if (data && fread(data, 1, (size_t)file_bytes, f) != (size_t)file_bytes) {
      free(data);
      data = NULL;
    }
  }
  fclose(f);
  if (!data) {
    *why = file_bytes >= 0 && file_bytes < (long)sizeof(entry_header) ? "shorter than its header"
                                                                      : "unreadable";
    return -1;
  }
  entry_header h;
  memcpy(&h, data, sizeof h);
  uint64_t strings = (uint64_t)h.device_len + h.driver_len + h.options_len;
  const char *s = data + sizeof h;
  if (memcmp(h.magic, magic, sizeof magic) != 0) *why = "not a stackplan cache entry";
  else if (h.version != SP_CL_CACHE_VERSION) *why = "another format version";
  else if (h.header_bytes != sizeof h + strings ||
           (uint64_t)file_bytes != h.header_bytes + h.payload_bytes)
    *why = "sizes do not match the file (truncated?)";
  else if (h.key_hash != sp_cl_cache_key_hash(k) || h.source_hash != source_hash(k) ||
           !same_string(s, h.device_len, k->device) ||
           !same_string(s + h.device_len, h.driver_len, k->driver) ||
           !same_string(s + h.device_len + h.driver_len, h.options_len, k->options))
    *why = "built for another device, driver, source or options";
  else if (h.payload_bytes == 0 ||
           sp_fnv1a64(data + h.header_bytes, h.payload_bytes, SP_FNV_OFFSET) != h.payload_hash)
    *why = "payload hash mismatch (corrupt)";
  if (**why) {
    free(data);
    return -1;
  }
  memmove(data, data + h.header_bytes, h.payload_bytes);
  *payload = data;
  *size = h.payload_bytes;
  return 1;
}

int sp_cl_cache_store(const char *path, const sp_cl_cache_key *k, const void *payload,
                      size_t size) {
  if (make_parent_dirs(path) != 0) return -1;
  entry_header h;
  memset(&h, 0, sizeof h);
  memcpy(h.magic, magic, sizeof magic);
  h.version = SP_CL_CACHE_VERSION;
  h.device_len = (uint32_t)strlen(k->device);
  h.driver_len = (uint32_t)strlen(k->driver);
  h.options_len = (uint32_t)strlen(k->options);
  h.header_bytes = (uint32_t)(sizeof h + h.device_len + h.driver_len + h.options_len);
  h.key_hash = sp_cl_cache_key_hash(k);
  h.source_hash = source_hash(k);
  h.payload_bytes = size;
  h.payload_hash = sp_fnv1a64(payload, size, SP_FNV_OFFSET);

  /* a temp file of our own in the same folder, renamed over the entry, so a
   * reader sees the old entry, no entry, or the whole new one */
  sp_atomic_file af;
  if (sp_atomic_open(path, &af)) return -1;
  FILE *f = af.f;
  int ok = fwrite(&h, sizeof h, 1, f) == 1 &&
           fwrite(k->device, 1, h.device_len, f) == h.device_len &&
           fwrite(k->driver, 1, h.driver_len, f) == h.driver_len &&
           fwrite(k->options, 1, h.options_len, f) == h.options_len &&
           fwrite(payload, 1, size, f) == size;
  if (!ok) {
    sp_atomic_abort(&af);
    return -1;
  }
  return sp_atomic_commit(&af) ? -1 : 0;
}
