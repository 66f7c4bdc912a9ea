/* The tuning cache: the best parameter point found for a kernel variant on
 * a layer shape on a device, so that a tuning is done once and `profile`
 * (and plans) run tuned kernels. One file per device fingerprint
 * (profiler/device_info.h): <cache>/tuning/<fingerprint>.json, format
 * `stackplan-tuning` version 1 (docs/formats.md), <cache> as for the
 * OpenCL program cache ($SP_CACHE_DIR, else $XDG_CACHE_HOME/stackplan,
 * else ~/.cache/stackplan). An entry's key is the variant, the hash of its
 * kernel source (so an edited kernel is tuned again) and the layer shape. */
#ifndef SP_TUNE_CACHE_H
#define SP_TUNE_CACHE_H

#include "kernels/kernel.h"
#include "profiler/device_info.h"

#define SP_TUNE_FORMAT "stackplan-tuning"
#define SP_TUNE_VERSION 1
#define SP_TUNE_SHAPE_MAX 192

typedef struct sp_tune_entry {
  char variant[SP_NAME_MAX];
  char source[17];           /* sp_tune_source_hash */
  char shape[SP_TUNE_SHAPE_MAX]; /* sp_tune_shape_key: geometry, channels, weights */
  int n_params;
  char names[SP_MAX_PARAMS][32];
  int values[SP_MAX_PARAMS]; /* the best point */
  double best_ms, default_ms; /* default_ms: 0 when the default point failed or was not timed */
  int evaluations, failures, space; /* evaluations made, failed, valid points */
  char strategy[16];
  unsigned long long seed;
  char created[32];
} sp_tune_entry;

typedef struct sp_tune_cache {
  char path[1024];           /* "" when no cache folder can be derived */
  sp_device_info device;
  int n, cap;
  sp_tune_entry *entries;
} sp_tune_cache;

/* The file of device `d` under the cache folder ("" when there is none). */
void sp_tune_cache_path(const sp_device_info *d, char *out, size_t cap);

/* Reads a cache file strictly: SP_ERR_IO when it cannot be read,
 * SP_ERR_INPUT with one line naming the file and the field when it is
 * corrupt, of another format or version, or of another device than `d`. */
sp_status sp_tune_cache_load(const char *path, const sp_device_info *d, sp_tune_cache *out);

/* The same from `len` bytes in memory, named `name` in messages. */
sp_status sp_tune_cache_load_buffer(const void *data, size_t len, const char *name,
                                    const sp_device_info *d, sp_tune_cache *out);

/* Opens the cache of device d for use: loads its file when there is one; a
 * corrupt file is reported on stderr ("stackplan: ignoring the tuning cache
 * <file>: <why>") and replaced by an empty cache (it is rewritten by the
 * next save). Only running out of memory fails. */
sp_status sp_tune_cache_open(const sp_device_info *d, sp_tune_cache *out);

/* Whether sp_tune_cache_save could write c->path: creates the folders and a
 * temporary file beside it (then removes it), so that `tune` fails before
 * its search, not after. SP_ERR_IO naming the file when it cannot. */
sp_status sp_tune_cache_check_writable(const sp_tune_cache *c);

/* Writes the cache atomically to c->path, creating the folders.
 * SP_ERR_IO naming the file on failure. */
sp_status sp_tune_cache_save(const sp_tune_cache *c);

void sp_tune_cache_close(sp_tune_cache *c);

/* Adds e, replacing an entry of the same variant, source and shape. */
sp_status sp_tune_cache_put(sp_tune_cache *c, const sp_tune_entry *e);

/* The entry of exactly this key, or NULL. */
const sp_tune_entry *sp_tune_cache_find(const sp_tune_cache *c, const char *variant,
                                        const char *source, const char *shape);

/* The entry for `variant` on node 1 of `instance`: the exact shape, else the
 * nearest one of the same geometry and weight format (closest channel
 * counts, in ratio), else NULL. */
const sp_tune_entry *sp_tune_cache_lookup(const sp_tune_cache *c, const sp_variant *variant,
                                          const sp_graph *instance, int batch);

/* sp_tuned_point_fn of profiler/profile_case.h over an sp_tune_cache *. */
int sp_tune_cache_point(void *cache, const sp_variant *variant, const sp_graph *instance,
                        int batch, int *point);

/* The shape key of node n: "<geometry> c=<cin>-><cout> w=<weights>", the
 * geometry being op, kernel, stride, padding, groups (dw for depthwise),
 * activation, bias, input and output H x W, batch; weights dense, csr:<d>
 * (density to 2 digits) or ternary. */
void sp_tune_shape_key(const sp_graph *g, const sp_node *n, int batch, char *out, size_t cap);

/* 16 hex digits: FNV-1a of the variant's name, stackplan's version and the
 * OpenCL sources its kernels are built from (with the shared prelude);
 * of every embedded source when the variant is not known to use one. */
void sp_tune_source_hash(const sp_variant *v, char out[17]);

#endif
