/* Reading and validating profile files: the header sections (device, model,
 * config, groups, layers); records, transitions and noise are in
 * profile_read_records.c. Every error is one line naming file and field. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/registry.h"
#include "profiler/profile_io.h"
#include "engine/core/json_file.h"
#include "profiler/profile_read.h"

static int is_hex16(const char *s) {
  if (strlen(s) != 16) return 0;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'))) return 0;
  return 1;
}

/* A string field that may be null (then out is ""). */
static sp_status string_or_null(const char *f, const cJSON *o, const char *where, const char *key,
                                char *out, size_t cap) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (v && cJSON_IsNull(v)) {
    out[0] = 0;
    return SP_OK;
  }
  return sp_json_string(f, o, where, key, out, cap);
}

static sp_status read_device(const char *f, const cJSON *root, sp_device_info *d) {
  const cJSON *o, *lib, *build;
  sp_status s = sp_json_object(f, root, "", "device", &o);
  if (!s) s = sp_json_string(f, o, "device", "fingerprint", d->fingerprint, sizeof d->fingerprint);
  if (!s && !is_hex16(d->fingerprint))
    s = sp_json_bad(f, "device", "fingerprint", "expected 16 lower-case hex digits");
  if (!s) s = sp_json_string(f, o, "device", "cpu", d->cpu, sizeof d->cpu);
  if (!s) s = sp_json_int(f, o, "device", "cores", 1, 1 << 20, &d->cores);
  if (s) return s;
  const cJSON *cl = cJSON_GetObjectItemCaseSensitive(o, "opencl");
  d->cl_index = -1;
  if (!cl) return sp_json_bad(f, "device", "opencl", "missing");
  if (!cJSON_IsNull(cl)) {
    if (!cJSON_IsObject(cl)) return sp_json_bad(f, "device", "opencl", "expected an object or null");
    d->has_opencl = 1;
    s = sp_json_int(f, cl, "device.opencl", "index", 0, 1 << 20, &d->cl_index);
    if (!s) s = sp_json_string(f, cl, "device.opencl", "platform", d->cl_platform, sizeof d->cl_platform);
    if (!s) s = sp_json_string(f, cl, "device.opencl", "device", d->cl_device, sizeof d->cl_device);
    if (!s) s = sp_json_string(f, cl, "device.opencl", "driver", d->cl_driver, sizeof d->cl_driver);
  }
  if (!s) s = sp_json_object(f, o, "device", "libraries", &lib);
  if (!s) s = sp_json_string(f, lib, "device.libraries", "openblas", d->openblas, sizeof d->openblas);
  if (!s) s = sp_json_string(f, lib, "device.libraries", "glpk", d->glpk, sizeof d->glpk);
  if (!s) s = string_or_null(f, lib, "device.libraries", "clblast", d->clblast, sizeof d->clblast);
  if (!s) s = sp_json_object(f, o, "device", "build", &build);
  if (!s) s = sp_json_string(f, build, "device.build", "compiler", d->compiler, sizeof d->compiler);
  if (!s) s = sp_json_string(f, build, "device.build", "flags", d->flags, sizeof d->flags);
  if (!s) s = sp_json_string(f, build, "device.build", "stackplan", d->version, sizeof d->version);
  return s;
}

static sp_status read_model(const char *f, const cJSON *root, sp_profile *p) {
  const cJSON *o, *in;
  sp_status s = sp_json_object(f, root, "", "model", &o);
  if (!s) s = sp_json_string(f, o, "model", "name", p->model, sizeof p->model);
  if (!s) s = sp_json_string(f, o, "model", "fingerprint", p->model_fingerprint,
                             sizeof p->model_fingerprint);
  if (!s && !is_hex16(p->model_fingerprint))
    s = sp_json_bad(f, "model", "fingerprint", "expected 16 lower-case hex digits");
  if (!s) s = sp_json_array(f, o, "model", "input", 3, &in);
  if (s) return s;
  int dims[3];
  for (int i = 0; i < 3; i++) {
    const cJSON *v = cJSON_GetArrayItem(in, i);
    if (cJSON_GetArraySize(in) != 3 || !cJSON_IsNumber(v) || v->valuedouble < 1 ||
        v->valuedouble > (1 << 24) || v->valuedouble != floor(v->valuedouble))
      return sp_json_bad(f, "model", "input", "expected [C, H, W] of positive integers");
    dims[i] = (int)v->valuedouble;
  }
  p->input = (sp_dims){dims[0], dims[1], dims[2]};
  return SP_OK;
}

sp_status sp_profile_read_numbers(const char *f, const cJSON *o, const char *where,
                                  const char *key, int max, double lo, double hi, double *out,
                                  int *n) {
  const cJSON *a;
  sp_status s = sp_json_array(f, o, where, key, 0, &a);
  if (s) return s;
  if (cJSON_GetArraySize(a) > max)
    return sp_json_bad(f, where, key, "more than %d values", max);
  *n = 0;
  for (const cJSON *v = a->child; v; v = v->next) {
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi))
      return sp_json_bad(f, where, key, "expected numbers in [%g, %g]", lo, hi);
    out[(*n)++] = v->valuedouble;
  }
  return SP_OK;
}

static sp_status read_variant_list(const char *f, const cJSON *o, sp_profile_config *c) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "variants");
  c->variants[0] = 0;
  if (!v) return sp_json_bad(f, "config", "variants", "missing");
  if (cJSON_IsNull(v)) return SP_OK;
  if (!cJSON_IsArray(v)) return sp_json_bad(f, "config", "variants", "expected an array or null");
  size_t len = 0;
  for (const cJSON *e = v->child; e; e = e->next) {
    if (!cJSON_IsString(e) || !sp_registry_find(e->valuestring))
      return sp_json_bad(f, "config", "variants", "'%s' is not a variant of this build",
                         cJSON_IsString(e) ? e->valuestring : "?");
    size_t n = strlen(e->valuestring);
    if (len + n + 2 > sizeof c->variants) return sp_json_bad(f, "config", "variants", "too long");
    if (len) c->variants[len++] = ',';
    memcpy(c->variants + len, e->valuestring, n + 1);
    len += n;
  }
  return SP_OK;
}

static sp_status read_protocol(const char *f, const cJSON *o, sp_protocol_options *p) {
  const char *w = "config.protocol";
  double d;
  sp_status s = sp_json_int(f, o, w, "warmup", 0, 1 << 20, &p->warmup);
  if (!s) s = sp_json_int(f, o, w, "min_runs", 1, 1 << 30, &p->min_runs);
  if (!s) s = sp_json_int(f, o, w, "max_runs", 1, 1 << 30, &p->max_runs);
  if (!s) s = sp_json_number(f, o, w, "min_seconds", 0, 1e6, &p->min_seconds);
  if (!s) s = sp_json_number(f, o, w, "max_seconds", 0, 1e6, &p->max_seconds);
  if (!s) s = sp_json_number(f, o, w, "rel_ci", 0, 1, &p->rel_ci);
  if (!s) s = sp_json_number(f, o, w, "batch_seconds", 0, 1e6, &p->batch_seconds);
  if (!s) s = sp_json_number(f, o, w, "outlier_ratio", 0, 1e6, &d);
  if (!s) p->outlier_ratio = d;
  if (!s) s = sp_json_int(f, o, w, "max_remeasure", 0, 1 << 20, &p->max_remeasure);
  if (!s) s = sp_json_number(f, o, w, "race_ratio", 0, 1e6, &p->race_ratio);
  const cJSON *cold = cJSON_GetObjectItemCaseSensitive(o, "cold_caches");
  p->cold_caches = 0; /* absent in profiles made before: warm caches */
  if (!s && cold && !cJSON_IsBool(cold)) s = sp_json_bad(f, w, "cold_caches", "must be true or false");
  else if (cold) p->cold_caches = cJSON_IsTrue(cold);
  if (!s && sp_protocol_options_check(p)) s = sp_json_bad(f, w, "", "%s", sp_last_error());
  return s;
}

static sp_status read_config(const char *f, const cJSON *root, sp_profile_config *c) {
  const cJSON *o, *grid, *proto;
  double th[SP_PROFILE_MAX_THREADS];
  sp_status s = sp_json_object(f, root, "", "config", &o);
  if (!s) s = sp_profile_read_numbers(f, o, "config", "threads", SP_PROFILE_MAX_THREADS, 1, 1024,
                                      th, &c->n_threads);
  if (!s && c->n_threads < 1) s = sp_json_bad(f, "config", "threads", "empty");
  for (int i = 0; !s && i < c->n_threads; i++) {
    if (th[i] != floor(th[i])) s = sp_json_bad(f, "config", "threads", "expected integers");
    c->threads[i] = (int)th[i];
  }
  if (!s) s = sp_json_bool(f, o, "config", "quick", &c->quick);
  if (!s) s = sp_json_int(f, o, "config", "batch", 1, 1 << 20, &c->batch);
  if (s) return s;
  const cJSON *dev = cJSON_GetObjectItemCaseSensitive(o, "device");
  c->device = -1;
  if (!dev) return sp_json_bad(f, "config", "device", "missing");
  if (!cJSON_IsNull(dev) && (s = sp_json_int(f, o, "config", "device", 0, 1 << 20, &c->device)))
    return s;
  s = read_variant_list(f, o, c);
  if (!s) s = sp_json_object(f, o, "config", "grid", &grid);
  if (!s) s = sp_profile_read_numbers(f, grid, "config.grid", "prune", SP_PROFILE_MAX_GRID, 0,
                                      0.999999, c->prune, &c->n_prune);
  if (!s) s = sp_profile_read_numbers(f, grid, "config.grid", "ternary", SP_PROFILE_MAX_GRID, 1e-9,
                                      100, c->ternary, &c->n_ternary);
  if (!s) s = sp_profile_read_numbers(f, grid, "config.grid", "keep", SP_MAX_KEEP - 1, 1e-9,
                                      0.999999, c->keep, &c->n_keep);
  if (!s) s = sp_json_object(f, o, "config", "protocol", &proto);
  if (!s) s = read_protocol(f, proto, &c->protocol);
  return s;
}

static sp_status read_group(const char *f, const cJSON *o, const char *w, int id,
                            sp_profile_group *g) {
  int got_id, n_kept;
  double kept[SP_MAX_KEEP];
  sp_status s = sp_json_int(f, o, w, "id", 0, 1 << 30, &got_id);
  if (!s && got_id != id) s = sp_json_bad(f, w, "id", "%d where %d was expected", got_id, id);
  if (!s) s = sp_json_string(f, o, w, "name", g->name, sizeof g->name);
  if (!s) s = sp_json_int(f, o, w, "channels", 1, 1 << 30, &g->channels);
  if (!s) s = sp_json_bool(f, o, w, "prunable", &g->prunable);
  if (!s) s = sp_profile_read_numbers(f, o, w, "keep", SP_MAX_KEEP, 1e-9, 1, g->keep, &g->n_keep);
  if (!s) s = sp_profile_read_numbers(f, o, w, "kept", SP_MAX_KEEP, 1, g->channels, kept, &n_kept);
  if (s) return s;
  if (g->n_keep < 1 || g->keep[0] != 1.0 || (!g->prunable && g->n_keep != 1))
    return sp_json_bad(f, w, "keep", "expected 1 first (and only 1 when not prunable)");
  if (n_kept != g->n_keep) return sp_json_bad(f, w, "kept", "expected one count per keep level");
  for (int k = 0; k < n_kept; k++) {
    g->kept[k] = (int)kept[k];
    if (k > 0 && !(g->keep[k] < g->keep[k - 1]))
      return sp_json_bad(f, w, "keep", "levels must decrease");
  }
  return SP_OK;
}

/* One level's calibration: its record's keep levels (the larger of them
 * must be the level k), variant, compression (pruned or ternary in the
 * compressed network's entries, absent = dense in the dense one's),
 * threads and times. */
static sp_status read_sequence_level(const char *f, const cJSON *q, const char *where, const sp_profile *p,
                                     const sp_profile_layer *l, int k, int compressed, sp_profile_sequence *out) {
  sp_status s = sp_profile_read_keep_level(f, q, where, "keep_in", &p->groups[l->group_in], l->group_in,
                                           &out->keep_in);
  if (!s) s = sp_profile_read_keep_level(f, q, where, "keep_out", &p->groups[l->group_out], l->group_out,
                                         &out->keep_out);
  if (!s && (out->keep_in > out->keep_out ? out->keep_in : out->keep_out) != k)
    s = sp_json_bad(f, where, "keep_out", "the larger keep level must be the entry's position %d", k);
  const sp_variant *v = NULL;
  if (!s) s = sp_profile_read_variant(f, q, where, l, out->variant, sizeof out->variant, &v);
  if (!s && sp_variant_on_device(v))
    s = sp_json_bad(f, where, "variant", "%s runs on a device: calibrations are of host records", v->name);
  out->compression = (sp_compress_choice){SP_WEIGHTS_DENSE, 0};
  if (!s && compressed) s = sp_profile_read_compression(f, q, where, &out->compression);
  if (!s && compressed && out->compression.kind == SP_WEIGHTS_DENSE)
    s = sp_json_bad(f, where, "compression", "the compressed network's entry must be pruned or ternary");
  if (!s) s = sp_json_int(f, q, where, "threads", 1, 4096, &out->threads);
  if (!s) s = sp_json_number(f, q, where, "alone_ms", 1e-9, 1e9, &out->alone_ms);
  if (!s) s = sp_json_number(f, q, where, "in_sequence_ms", 1e-9, 1e9, &out->in_sequence_ms);
  if (!s) s = sp_json_number(f, q, where, "evict_bytes", 0, 1e18, &out->evict_bytes);
  return s;
}

/* "sequence" (the dense network) or "sequence_compressed": null (or
 * absent: profiles before it) or one entry per network level, each null or
 * that level's calibration (profile.h). */
static sp_status read_sequence(const char *f, const cJSON *o, const char *w, const sp_profile *p,
                               sp_profile_layer *l, const char *key, int compressed, sp_profile_sequence *seq) {
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
  memset(seq, 0, SP_MAX_KEEP * sizeof *seq);
  if (!a || cJSON_IsNull(a)) return SP_OK;
  int levels = p->groups[l->group_in].n_keep, out = p->groups[l->group_out].n_keep;
  if (out > levels) levels = out;
  if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > levels)
    return sp_json_bad(f, w, key, "expected null or an array of at most %d entries", levels);
  sp_status s = SP_OK;
  for (int k = 0; !s && k < cJSON_GetArraySize(a); k++) {
    const cJSON *q = cJSON_GetArrayItem(a, k);
    char where[96];
    snprintf(where, sizeof where, "%s.%s[%d]", w, key, k);
    if (cJSON_IsNull(q)) continue;
    s = cJSON_IsObject(q) ? read_sequence_level(f, q, where, p, l, k, compressed, &seq[k])
                          : sp_json_bad(f, w, key, "entry %d: expected an object or null", k);
  }
  if (s) memset(seq, 0, SP_MAX_KEEP * sizeof *seq);
  return s;
}

static sp_status read_layer(const char *f, const cJSON *o, const char *w, sp_profile *p, int i) {
  sp_profile_layer *l = &p->layers[i];
  const cJSON *in;
  sp_status s = sp_json_string(f, o, w, "name", l->name, sizeof l->name);
  if (!s && (!strcmp(l->name, "input") || sp_profile_find_layer(p, l->name) != i))
    s = sp_json_bad(f, w, "name", "'%s' is not a unique layer name", l->name);
  if (!s) s = sp_json_string(f, o, w, "kind", l->kind, sizeof l->kind);
  int op = 0;
  while (!s && op < SP_OP_COUNT && strcmp(sp_op_name((sp_op)op), l->kind)) op++;
  if (!s && (op == SP_OP_COUNT || op == SP_OP_INPUT))
    s = sp_json_bad(f, w, "kind", "'%s' is not an op", l->kind);
  if (!s) s = sp_json_string(f, o, w, "op", l->op, sizeof l->op);
  if (!s) s = sp_json_array(f, o, w, "inputs", 1, &in);
  if (!s && cJSON_GetArraySize(in) > SP_MAX_INPUTS)
    s = sp_json_bad(f, w, "inputs", "more than %d", SP_MAX_INPUTS);
  for (const cJSON *e = s ? NULL : in->child; e && !s; e = e->next, l->n_inputs++) {
    int j = l->n_inputs;
    if (!cJSON_IsString(e) || strlen(e->valuestring) >= SP_NAME_MAX)
      return sp_json_bad(f, w, "inputs", "expected layer names");
    strcpy(l->inputs[j], e->valuestring);
    l->input_layer[j] = strcmp(e->valuestring, "input") ? sp_profile_find_layer(p, e->valuestring) : -1;
    if (strcmp(e->valuestring, "input") && !(l->input_layer[j] >= 0 && l->input_layer[j] < i))
      return sp_json_bad(f, w, "inputs", "'%s' is not an earlier layer", e->valuestring);
  }
  if (!s) s = sp_json_int(f, o, w, "group_in", 0, p->n_groups - 1, &l->group_in);
  if (!s) s = sp_json_int(f, o, w, "group_out", 0, p->n_groups - 1, &l->group_out);
  int n = 0;
  if (!s) s = sp_profile_read_numbers(f, o, w, "act_bytes", SP_MAX_KEEP, 0, 1e18, l->act_bytes, &n);
  if (!s && n != p->groups[l->group_out].n_keep)
    s = sp_json_bad(f, w, "act_bytes", "expected one value per keep level of group %d",
                    l->group_out);
  if (!s) s = sp_json_bool(f, o, w, "measured", &l->measured);
  if (!s) s = sp_json_number(f, o, w, "seconds", 0, 1e9, &l->seconds);
  if (!s) s = sp_profile_read_skipped(f, o, w, l);
  /* absent (profiles before the probe) or null: unknown */
  const cJSON *probe = cJSON_GetObjectItemCaseSensitive(o, "network_ms");
  l->network_ms = 0;
  if (!s && probe && !cJSON_IsNull(probe))
    s = sp_json_number(f, o, w, "network_ms", 1e-6, 1e9, &l->network_ms);
  if (!s) s = read_sequence(f, o, w, p, l, "sequence", 0, l->sequence);
  if (!s) s = read_sequence(f, o, w, p, l, "sequence_compressed", 1, l->sequence_compressed);
  return s;
}

/* Validates root (read from `path`) into p and deletes it. */
static sp_status load_root(const char *path, cJSON *root, sp_status s, sp_profile *p) {
  memset(p, 0, sizeof *p);
  const cJSON *groups = NULL, *layers = NULL;
  if (!s) s = sp_json_check_format(path, root, SP_PROFILE_FORMAT, SP_PROFILE_VERSION);
  if (!s) s = sp_json_string(path, root, "", "created", p->created, sizeof p->created);
  if (!s) s = sp_json_string(path, root, "", "updated", p->updated, sizeof p->updated);
  if (!s) s = read_device(path, root, &p->device);
  if (!s) s = read_model(path, root, p);
  if (!s) s = read_config(path, root, &p->config);
  if (!s) s = sp_json_array(path, root, "", "groups", 1, &groups);
  if (!s) s = sp_json_array(path, root, "", "layers", 1, &layers);
  if (!s) {
    p->n_groups = cJSON_GetArraySize(groups);
    p->n_layers = cJSON_GetArraySize(layers);
    p->groups = calloc((size_t)p->n_groups, sizeof *p->groups);
    p->layers = calloc((size_t)p->n_layers, sizeof *p->layers);
    if (!p->groups || !p->layers) s = sp_fail(SP_ERR_RUNTIME, "%s: out of memory", path);
  }
  char w[48];
  int i = 0;
  for (const cJSON *e = s ? NULL : groups->child; e && !s; e = e->next, i++) {
    snprintf(w, sizeof w, "groups[%d]", i);
    s = cJSON_IsObject(e) ? read_group(path, e, w, i, &p->groups[i])
                          : sp_json_bad(path, w, "", "expected an object");
  }
  i = 0;
  for (const cJSON *e = s ? NULL : layers->child; e && !s; e = e->next, i++) {
    snprintf(w, sizeof w, "layers[%d]", i);
    s = cJSON_IsObject(e) ? read_layer(path, e, w, p, i)
                          : sp_json_bad(path, w, "", "expected an object");
  }
  if (!s) s = sp_profile_read_records(path, root, p);
  if (!s) s = sp_profile_read_transitions(path, root, p);
  if (!s) s = sp_profile_read_noise(path, root, p);
  cJSON_Delete(root);
  if (s) sp_profile_free(p);
  return s;
}

sp_status sp_profile_load(const char *path, sp_profile *p) {
  cJSON *root = NULL;
  sp_status s = sp_json_read_file(path, &root);
  return load_root(path, root, s, p);
}

sp_status sp_profile_load_buffer(const void *data, size_t len, const char *name, sp_profile *p) {
  cJSON *root = NULL;
  sp_status s = sp_json_parse(data, len, name, &root);
  return load_root(name, root, s, p);
}
