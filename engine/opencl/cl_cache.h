/* The persistent cache of OpenCL program binaries (docs/formats.md, "OpenCL
 * program cache"): one file per (device name, driver version, build options,
 * source), written atomically (temp file + rename), verified on load (magic,
 * version, sizes, key strings and an FNV-1a hash of the payload) so that a
 * truncated, corrupt or stale entry is rejected and rebuilt, never trusted.
 * Plain C: no OpenCL needed. */
#ifndef SP_CL_CACHE_H
#define SP_CL_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define SP_CL_CACHE_VERSION 1

/* What a program binary is valid for. */
typedef struct sp_cl_cache_key {
  const char *device;   /* CL_DEVICE_NAME */
  const char *driver;   /* CL_DRIVER_VERSION */
  const char *options;  /* full build options */
  const char *prelude;  /* source parts, hashed in order (prelude may be "") */
  const char *source;
} sp_cl_cache_key;

/* FNV-1a, 64 bits, continuing from `h` (start with SP_FNV_OFFSET). */
#define SP_FNV_OFFSET 0xcbf29ce484222325ull
uint64_t sp_fnv1a64(const void *data, size_t n, uint64_t h);

/* Hash of the whole key (names the file). */
uint64_t sp_cl_cache_key_hash(const sp_cl_cache_key *k);

/* <cache dir>/opencl/<16 hex digits of the key hash>.bin into out; 0 when no
 * cache folder can be derived. */
int sp_cl_cache_path(const sp_cl_cache_key *k, char *out, size_t cap);

/* Loads the entry at `path` for key k: 1 and a malloc'ed payload when it is
 * valid, 0 when there is no file, -1 when the file is there but rejected
 * (`why` says what was wrong). */
int sp_cl_cache_load(const char *path, const sp_cl_cache_key *k, void **payload, size_t *size,
                     const char **why);

/* Writes the entry atomically (creating the folders); 0 on success, -1 when
 * it could not (the cache is an optimisation: callers go on). */
int sp_cl_cache_store(const char *path, const sp_cl_cache_key *k, const void *payload,
                      size_t size);

#endif
