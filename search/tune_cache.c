/* The tuning cache file: load, save, lookups (tune_cache.h). */
#define _POSIX_C_SOURCE 200809L /* mkdir */
#include "search/tune_cache.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/opencl/cl_runtime.h"
#include "engine/core/file_io.h"
#include "profiler/profile.h"
#include "engine/core/json_file.h"

void sp_tune_cache_path(const sp_device_info *d, char *out, size_t cap) {
  char dir[900];
  sp_cl_cache_dir(dir, sizeof dir);
  if (!dir[0]) {
    if (cap) out[0] = 0;
    return;
  }
  snprintf(out, cap, "%s/tuning/%s.json", dir, d->fingerprint);
}

void sp_tune_cache_close(sp_tune_cache *c) {
  free(c->entries);
  c->entries = NULL;
  c->n = c->cap = 0;
}

sp_status sp_tune_cache_put(sp_tune_cache *c, const sp_tune_entry *e) {
  for (int i = 0; i < c->n; i++)
    if (!strcmp(c->entries[i].variant, e->variant) && !strcmp(c->entries[i].source, e->source) &&
        !strcmp(c->entries[i].shape, e->shape)) {
      c->entries[i] = *e;
      return SP_OK;
    }
  if (c->n == c->cap) {
    int cap = c->cap ? 2 * c->cap : 32;
    sp_tune_entry *grown = realloc(c->entries, (size_t)cap * sizeof *grown);
    if (!grown) return sp_fail(SP_ERR_RUNTIME, "out of memory for the tuning cache");
    c->entries = grown;
    c->cap = cap;
  }
  c->entries[c->n++] = *e;
  return SP_OK;
}

const sp_tune_entry *sp_tune_cache_find(const sp_tune_cache *c, const char *variant,
                                        const char *source, const char *shape) {
  for (int i = 0; i < c->n; i++)
    if (!strcmp(c->entries[i].variant, variant) && !strcmp(c->entries[i].source, source) &&
        !strcmp(c->entries[i].shape, shape))
      return &c->entries[i];
  return NULL;
}

/* Splits a shape key into geometry length, channels and the weight kind. */
static int parse_key(const char *key, size_t *geometry, int *cin, int *cout, char *kind,
                     size_t cap) {
  const char *c = strstr(key, " c=");
  if (!c || sscanf(c, " c=%d->%d", cin, cout) != 2) return 0;
  const char *w = strstr(c, " w=");
  if (!w) return 0;
  size_t n = strcspn(w + 3, ":");
  if (n >= cap) return 0;
  memcpy(kind, w + 3, n);
  kind[n] = 0;
  *geometry = (size_t)(c - key);
  return 1;
}

const sp_tune_entry *sp_tune_cache_lookup(const sp_tune_cache *c, const sp_variant *variant,
                                          const sp_graph *instance, int batch) {
  char shape[SP_TUNE_SHAPE_MAX], source[17], kind[16], other_kind[16];
  sp_tune_shape_key(instance, &instance->nodes[1], batch, shape, sizeof shape);
  sp_tune_source_hash(variant, source);
  const sp_tune_entry *exact = sp_tune_cache_find(c, variant->name, source, shape);
  size_t geo, other_geo;
  int cin, cout, ci, co;
  if (exact || !parse_key(shape, &geo, &cin, &cout, kind, sizeof kind)) return exact;
  const sp_tune_entry *best = NULL;
  double best_d = INFINITY;
  for (int i = 0; i < c->n; i++) {
    const sp_tune_entry *e = &c->entries[i];
    if (strcmp(e->variant, variant->name) || strcmp(e->source, source) ||
        !parse_key(e->shape, &other_geo, &ci, &co, other_kind, sizeof other_kind) ||
        other_geo != geo || strncmp(e->shape, shape, geo) || strcmp(kind, other_kind))
      continue;
    double d = fabs(log((double)ci / cin)) + fabs(log((double)co / cout));
    if (d < best_d) best_d = d, best = e;
  }
  return best;
}

int sp_tune_cache_point(void *cache, const sp_variant *variant, const sp_graph *instance,
                        int batch, int *point) {
  const sp_tune_entry *e = sp_tune_cache_lookup(cache, variant, instance, batch);
  const sp_param_space *ps = variant->params;
  if (!e || !ps || e->n_params != ps->count) return 0;
  int values[SP_MAX_PARAMS];
  for (int i = 0; i < ps->count; i++) {
    if (strcmp(e->names[i], ps->params[i].name)) return 0;
    values[i] = e->values[i];
  }
  if (ps->valid && !ps->valid(instance, &instance->nodes[1], values, NULL)) return 0;
  memcpy(point, values, (size_t)ps->count * sizeof *point);
  return 1;
}

static sp_status read_entry(const char *f, const cJSON *o, const char *w, sp_tune_entry *e) {
  const cJSON *params;
  double seed;
  sp_status s = sp_json_string(f, o, w, "variant", e->variant, sizeof e->variant);
  if (!s) s = sp_json_string(f, o, w, "source", e->source, sizeof e->source);
  if (!s) s = sp_json_string(f, o, w, "shape", e->shape, sizeof e->shape);
  if (!s) s = sp_json_object(f, o, w, "params", &params);
  if (!s && cJSON_GetArraySize(params) > SP_MAX_PARAMS)
    s = sp_json_bad(f, w, "params", "more than %d", SP_MAX_PARAMS);
  for (const cJSON *p = s ? NULL : params->child; p && !s; p = p->next, e->n_params++) {
    /* the range check before the cast: (int) of inf or 1e300 is undefined */
    if (!cJSON_IsNumber(p) || !(fabs(p->valuedouble) <= 1 << 30) ||
        p->valuedouble != floor(p->valuedouble) || !p->string || strlen(p->string) >= 32)
      return sp_json_bad(f, w, "params", "expected integer values in [-2^30, 2^30]");
    snprintf(e->names[e->n_params], sizeof e->names[0], "%s", p->string);
    e->values[e->n_params] = (int)p->valuedouble;
  }
  if (!s) s = sp_json_number(f, o, w, "best_ms", 0, 1e9, &e->best_ms);
  if (!s) s = sp_json_number(f, o, w, "default_ms", 0, 1e9, &e->default_ms);
  if (!s) s = sp_json_int(f, o, w, "evaluations", 0, 1 << 30, &e->evaluations);
  if (!s) s = sp_json_int(f, o, w, "failures", 0, 1 << 30, &e->failures);
  if (!s) s = sp_json_int(f, o, w, "space", 0, 1 << 30, &e->space);
  if (!s) s = sp_json_string(f, o, w, "strategy", e->strategy, sizeof e->strategy);
  if (!s) s = sp_json_number(f, o, w, "seed", 0, 1.8e19, &seed);
  if (!s) e->seed = (unsigned long long)seed;
  if (!s) s = sp_json_string(f, o, w, "created", e->created, sizeof e->created);
  return s;
}

/* Validates root (read from `path`, s its read status) into out and deletes it. */
static sp_status load_root(const char *path, cJSON *root, sp_status s, const sp_device_info *d,
                           sp_tune_cache *out) {
  memset(out, 0, sizeof *out);
  snprintf(out->path, sizeof out->path, "%s", path);
  out->device = *d;
  const cJSON *dev, *entries;
  char fp[17];
  if (!s) s = sp_json_check_format(path, root, SP_TUNE_FORMAT, SP_TUNE_VERSION);
  if (!s) s = sp_json_object(path, root, "", "device", &dev);
  if (!s) s = sp_json_string(path, dev, "device", "fingerprint", fp, sizeof fp);
  if (!s && strcmp(fp, d->fingerprint))
    s = sp_json_bad(path, "device", "fingerprint", "%s is not this device's (%s)", fp, d->fingerprint);
  if (!s) s = sp_json_array(path, root, "", "entries", 0, &entries);
  int i = 0;
  for (const cJSON *e = s ? NULL : entries->child; e && !s; e = e->next, i++) {
    char w[32];
    sp_tune_entry entry = {0};
    snprintf(w, sizeof w, "entries[%d]", i);
    s = cJSON_IsObject(e) ? read_entry(path, e, w, &entry) : sp_json_bad(path, w, "", "expected an object");
    if (!s) s = sp_tune_cache_put(out, &entry);
  }
  cJSON_Delete(root);
  if (s) sp_tune_cache_close(out);
  return s;
}

sp_status sp_tune_cache_load(const char *path, const sp_device_info *d, sp_tune_cache *out) {
  cJSON *root = NULL;
  sp_status s = sp_json_read_file(path, &root);
  return load_root(path, root, s, d, out);
}

sp_status sp_tune_cache_load_buffer(const void *data, size_t len, const char *name,
                                    const sp_device_info *d, sp_tune_cache *out) {
  cJSON *root = NULL;
  sp_status s = sp_json_parse(data, len, name, &root);
  return load_root(name, root, s, d, out);
}

sp_status sp_tune_cache_open(const sp_device_info *d, sp_tune_cache *out) {
  char path[1024];
  sp_tune_cache_path(d, path, sizeof path);
  /* lstat, not open: whatever the path is (a FIFO too), the loader's checks
   * report it without blocking */
  struct stat st;
  int exists = path[0] && lstat(path, &st) == 0;
  sp_status s = exists ? sp_tune_cache_load(path, d, out) : SP_OK;
  if (s == SP_ERR_RUNTIME) return s;
  if (s) fprintf(stderr, "stackplan: ignoring the tuning cache %s\n", sp_last_error());
  if (s || !exists) {
    memset(out, 0, sizeof *out);
    snprintf(out->path, sizeof out->path, "%s", path);
    out->device = *d;
  }
  return SP_OK;
}

/* mkdir -p of the folder holding `path`. */
static int make_dirs(const char *path) {
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", path);
  char *slash = strrchr(buf, '/');
  if (!slash) return 0;
  *slash = 0;
  for (char *p = buf + 1;; p++) {
    if (*p && *p != '/') continue;
    char c = *p;
    *p = 0;
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
    if (!c) return 0;
    *p = '/';
  }
}

sp_status sp_tune_cache_check_writable(const sp_tune_cache *c) {
  if (!c->path[0]) return sp_fail(SP_ERR_IO, "no folder for the tuning cache (set SP_CACHE_DIR)");
  if (make_dirs(c->path)) return sp_fail(SP_ERR_IO, "%s: cannot create its folder: %s", c->path, strerror(errno));
  sp_atomic_file af; /* the temporary a save would write, created and removed */
  sp_status s = sp_atomic_open(c->path, &af);
  if (s) return s;
  sp_atomic_abort(&af);
  return SP_OK;
}

sp_status sp_tune_cache_save(const sp_tune_cache *c) {
  if (!c->path[0]) return sp_fail(SP_ERR_IO, "no folder for the tuning cache (set SP_CACHE_DIR)");
  if (make_dirs(c->path)) return sp_fail(SP_ERR_IO, "%s: cannot create its folder: %s", c->path, strerror(errno));
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "format", SP_TUNE_FORMAT);
  cJSON_AddNumberToObject(root, "version", SP_TUNE_VERSION);
  cJSON *dev = cJSON_AddObjectToObject(root, "device");
  cJSON_AddStringToObject(dev, "fingerprint", c->device.fingerprint);
  cJSON_AddStringToObject(dev, "cpu", c->device.cpu);
  if (c->device.has_opencl) cJSON_AddStringToObject(dev, "opencl", c->device.cl_device);
  else cJSON_AddNullToObject(dev, "opencl");
  cJSON *entries = cJSON_AddArrayToObject(root, "entries");
  for (int i = 0; i < c->n; i++) {
    const sp_tune_entry *e = &c->entries[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "variant", e->variant);
    cJSON_AddStringToObject(o, "source", e->source);
    cJSON_AddStringToObject(o, "shape", e->shape);
    cJSON *params = cJSON_AddObjectToObject(o, "params");
    for (int k = 0; k < e->n_params; k++) cJSON_AddNumberToObject(params, e->names[k], e->values[k]);
    cJSON_AddNumberToObject(o, "best_ms", e->best_ms);
    cJSON_AddNumberToObject(o, "default_ms", e->default_ms);
    cJSON_AddNumberToObject(o, "evaluations", e->evaluations);
    cJSON_AddNumberToObject(o, "failures", e->failures);
    cJSON_AddNumberToObject(o, "space", e->space);
    cJSON_AddStringToObject(o, "strategy", e->strategy);
    cJSON_AddNumberToObject(o, "seed", (double)e->seed);
    cJSON_AddStringToObject(o, "created", e->created);
    cJSON_AddItemToArray(entries, o);
  }
  char *text = cJSON_Print(root);
  cJSON_Delete(root);
  if (!text) return sp_fail(SP_ERR_RUNTIME, "out of memory writing %s", c->path);
  sp_status s = sp_file_write_atomic(c->path, text, strlen(text));
  free(text);
  return s;
}
