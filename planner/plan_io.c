/* Plan files in JSON (plan_io.h; schema in docs/formats.md). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/file_io.h"
#include "planner/plan_io.h"
#include "engine/core/json_file.h"

static const char *result_keys[] = {"optimal", "feasible", "infeasible", "time_limit", "gave_up", "unsupported"};

static cJSON *number_or_null(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

static cJSON *layer_json(const sp_plan_file_layer *l) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "name", l->name);
  cJSON_AddStringToObject(o, "op", l->op);
  cJSON *c = cJSON_AddObjectToObject(o, "compression");
  cJSON_AddStringToObject(c, "kind", sp_weight_compression_name(l->compression.kind));
  cJSON_AddNumberToObject(c, "rate", l->compression.rate);
  cJSON_AddNumberToObject(c, "keep_in", l->keep_in);
  cJSON_AddNumberToObject(c, "keep_out", l->keep_out);
  cJSON_AddStringToObject(o, "variant", l->variant);
  cJSON_AddStringToObject(o, "format", l->format);
  cJSON_AddStringToObject(o, "algorithm", l->algorithm);
  cJSON_AddStringToObject(o, "backend", l->backend);
  char dev[32] = "host";
  if (l->device >= 0) snprintf(dev, sizeof dev, "device:%d", l->device);
  cJSON_AddStringToObject(o, "device", dev);
  cJSON_AddNumberToObject(o, "threads", l->threads);
  cJSON *params = cJSON_AddObjectToObject(o, "params");
  for (int i = 0; i < l->n_params; i++) cJSON_AddNumberToObject(params, l->param_names[i], l->params[i]);
  cJSON *pr = cJSON_AddObjectToObject(o, "predicted");
  cJSON_AddNumberToObject(pr, "latency_ms", l->latency_ms);
  cJSON_AddNumberToObject(pr, "weight_bytes", l->weight_bytes);
  cJSON_AddNumberToObject(pr, "workspace_bytes", l->workspace_bytes);
  cJSON_AddNumberToObject(pr, "act_bytes", l->act_bytes);
  return o;
}

static cJSON *file_json(const sp_plan_file *f) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "format", SP_PLAN_FILE_FORMAT);
  cJSON_AddNumberToObject(o, "version", SP_PLAN_FILE_VERSION);
  cJSON_AddStringToObject(o, "created", f->created);
  const sp_plan_provenance *pv = &f->prov;
  cJSON *m = cJSON_AddObjectToObject(o, "model");
  cJSON_AddStringToObject(m, "name", pv->model);
  cJSON_AddStringToObject(m, "structure_fingerprint", pv->structure_fingerprint);
  cJSON_AddStringToObject(m, "weights_fingerprint", pv->weights_fingerprint);
  cJSON *d = cJSON_AddObjectToObject(o, "device");
  cJSON_AddStringToObject(d, "fingerprint", pv->device_fingerprint);
  cJSON *p = cJSON_AddObjectToObject(o, "profile");
  cJSON_AddStringToObject(p, "path", pv->profile_path);
  cJSON_AddStringToObject(p, "hash", pv->profile_hash);
  cJSON_AddStringToObject(p, "device_fingerprint", pv->device_fingerprint);
  if (pv->profile_network_ms > 0) cJSON_AddNumberToObject(p, "network_ms", pv->profile_network_ms);
  else cJSON_AddNullToObject(p, "network_ms");
  cJSON *a = cJSON_AddObjectToObject(o, "accuracy");
  cJSON_AddStringToObject(a, "path", pv->accuracy_path);
  cJSON_AddStringToObject(a, "hash", pv->accuracy_hash);
  cJSON_AddStringToObject(o, "objective", sp_plan_objective_key(f->objective));
  cJSON *b = cJSON_AddObjectToObject(o, "bounds");
  cJSON_AddItemToObject(b, "min_accuracy", number_or_null(f->bounds.min_accuracy));
  cJSON_AddItemToObject(b, "max_memory_bytes", number_or_null(f->bounds.max_memory));
  cJSON_AddItemToObject(b, "max_latency_ms", number_or_null(f->bounds.max_latency));
  cJSON *s = cJSON_AddObjectToObject(o, "solver");
  cJSON_AddStringToObject(s, "name", f->solver);
  cJSON_AddStringToObject(s, "result", result_keys[f->result]);
  cJSON_AddNumberToObject(s, "solve_s", f->solve_s);
  cJSON_AddNumberToObject(s, "gap", f->gap);
  cJSON_AddNumberToObject(s, "options_used", f->options_used);
  cJSON_AddNumberToObject(s, "options_total", f->options_total);
  cJSON *t = cJSON_AddObjectToObject(o, "predicted");
  cJSON_AddNumberToObject(t, "latency_ms", f->predicted.latency_ms);
  cJSON_AddNumberToObject(t, "transition_ms", f->predicted.transition_ms);
  cJSON_AddNumberToObject(t, "peak_bytes", f->predicted.peak_bytes);
  cJSON_AddStringToObject(t, "peak_layer",
                          f->predicted.peak_step >= 0 && f->predicted.peak_step < f->n_layers
                              ? f->layers[f->predicted.peak_step].name : "");
  cJSON_AddNumberToObject(t, "accuracy", f->predicted.accuracy);
  cJSON_AddNumberToObject(t, "batch", f->batch);
  cJSON *gs = cJSON_AddArrayToObject(o, "groups");
  for (int g = 0; g < f->n_groups; g++) {
    cJSON *gj = cJSON_CreateObject();
    cJSON_AddStringToObject(gj, "name", f->groups[g].name);
    cJSON_AddNumberToObject(gj, "keep", f->groups[g].keep);
    cJSON_AddNumberToObject(gj, "channels", f->groups[g].channels);
    cJSON_AddNumberToObject(gj, "channels_kept", f->groups[g].channels_kept);
    cJSON_AddItemToArray(gs, gj);
  }
  cJSON *ls = cJSON_AddArrayToObject(o, "layers");
  for (int l = 0; l < f->n_layers; l++) cJSON_AddItemToArray(ls, layer_json(&f->layers[l]));
  return o;
}

sp_status sp_plan_file_save(const char *path, const sp_plan_file *f) {
  cJSON *root = file_json(f);
  char *text = root ? cJSON_Print(root) : NULL;
  cJSON_Delete(root);
  if (!text) return sp_fail(SP_ERR_RUNTIME, "out of memory writing %s", path);
  size_t n = strlen(text);
  char *full = realloc(text, n + 2); /* a final newline */
  if (!full) {
    free(text);
    return sp_fail(SP_ERR_RUNTIME, "out of memory writing %s", path);
  }
  full[n] = '\n';
  full[n + 1] = 0;
  sp_status st = sp_file_write_atomic(path, full, n + 1);
  free(full);
  return st;
}

/* ---- reading ---- */

/* A bound: a number in [lo, hi] or null (absent: `none`). */
static sp_status bound(const char *file, const cJSON *b, const char *key, double lo, double hi, double none,
                       double *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(b, key);
  if (v && cJSON_IsNull(v)) {
    *out = none;
    return SP_OK;
  }
  return sp_json_number(file, b, "bounds", key, lo, hi, out);
}

static sp_status read_layer(const char *file, const cJSON *o, const char *where, sp_plan_file_layer *l) {
  sp_status st;
  const cJSON *c, *params, *pr;
  char kind[16], dev[32];
  if ((st = sp_json_string(file, o, where, "name", l->name, sizeof l->name)) ||
      (st = sp_json_string(file, o, where, "op", l->op, sizeof l->op)) ||
      (st = sp_json_object(file, o, where, "compression", &c)) ||
      (st = sp_json_string(file, c, where, "kind", kind, sizeof kind)) ||
      (st = sp_json_number(file, c, where, "rate", 0, 1e6, &l->compression.rate)) ||
      (st = sp_json_number(file, c, where, "keep_in", DBL_MIN, 1, &l->keep_in)) ||
      (st = sp_json_number(file, c, where, "keep_out", DBL_MIN, 1, &l->keep_out)) ||
      (st = sp_json_string(file, o, where, "variant", l->variant, sizeof l->variant)) ||
      (st = sp_json_string(file, o, where, "format", l->format, sizeof l->format)) ||
      (st = sp_json_string(file, o, where, "algorithm", l->algorithm, sizeof l->algorithm)) ||
      (st = sp_json_string(file, o, where, "backend", l->backend, sizeof l->backend)) ||
      (st = sp_json_string(file, o, where, "device", dev, sizeof dev)) ||
      (st = sp_json_int(file, o, where, "threads", 1, 4096, &l->threads)) ||
      (st = sp_json_object(file, o, where, "params", &params)) ||
      (st = sp_json_object(file, o, where, "predicted", &pr)) ||
      (st = sp_json_number(file, pr, where, "latency_ms", 0, DBL_MAX, &l->latency_ms)) ||
      (st = sp_json_number(file, pr, where, "weight_bytes", 0, DBL_MAX, &l->weight_bytes)) ||
      (st = sp_json_number(file, pr, where, "workspace_bytes", 0, DBL_MAX, &l->workspace_bytes)) ||
      (st = sp_json_number(file, pr, where, "act_bytes", 0, DBL_MAX, &l->act_bytes)))
    return st;
  int k;
  for (k = 0; k <= SP_WEIGHTS_TERNARY && strcmp(kind, sp_weight_compression_name((sp_weight_compression)k)); k++) {}
  if (k > SP_WEIGHTS_TERNARY) return sp_json_bad(file, where, "compression.kind", "'%s' is not none, prune or ternary", kind);
  l->compression.kind = (sp_weight_compression)k;
  char tail;
  if (!strcmp(dev, "host")) l->device = -1;
  else if (sscanf(dev, "device:%d%c", &l->device, &tail) != 1 || l->device < 0)
    return sp_json_bad(file, where, "device", "'%s' is neither host nor device:<id>", dev);
  const cJSON *p;
  cJSON_ArrayForEach(p, params) {
    if (l->n_params == SP_MAX_PARAMS) return sp_json_bad(file, where, "params", "more than %d", SP_MAX_PARAMS);
    if (strlen(p->string) >= sizeof l->param_names[0] || !cJSON_IsNumber(p) || p->valuedouble != floor(p->valuedouble))
      return sp_json_bad(file, where, "params", "'%s' is not a short name with an integer value", p->string);
    snprintf(l->param_names[l->n_params], sizeof l->param_names[0], "%s", p->string);
    l->params[l->n_params++] = (int)p->valuedouble;
  }
  return SP_OK;
}

static sp_status read_head(const char *file, const cJSON *root, sp_plan_file *f) {
  sp_status st;
  const cJSON *m, *d, *p, *a, *b, *s, *t;
  char objective[16], result[16];
  sp_plan_provenance *pv = &f->prov;
  if ((st = sp_json_check_format(file, root, SP_PLAN_FILE_FORMAT, SP_PLAN_FILE_VERSION)) ||
      (st = sp_json_string(file, root, "", "created", f->created, sizeof f->created)) ||
      (st = sp_json_object(file, root, "", "model", &m)) ||
      (st = sp_json_string(file, m, "model", "name", pv->model, sizeof pv->model)) ||
      (st = sp_json_string(file, m, "model", "structure_fingerprint", pv->structure_fingerprint, 17)) ||
      (st = sp_json_string(file, m, "model", "weights_fingerprint", pv->weights_fingerprint, 17)) ||
      (st = sp_json_object(file, root, "", "device", &d)) ||
      (st = sp_json_string(file, d, "device", "fingerprint", pv->device_fingerprint, 17)) ||
      (st = sp_json_object(file, root, "", "profile", &p)) ||
      (st = sp_json_string(file, p, "profile", "path", pv->profile_path, sizeof pv->profile_path)) ||
      (st = sp_json_string(file, p, "profile", "hash", pv->profile_hash, 17)) ||
      (st = sp_json_object(file, root, "", "accuracy", &a)) ||
      (st = sp_json_string(file, a, "accuracy", "path", pv->accuracy_path, sizeof pv->accuracy_path)) ||
      (st = sp_json_string(file, a, "accuracy", "hash", pv->accuracy_hash, 17)) ||
      (st = sp_json_string(file, root, "", "objective", objective, sizeof objective)) ||
      (st = sp_json_object(file, root, "", "bounds", &b)) ||
      (st = bound(file, b, "min_accuracy", -DBL_MAX, 100, -INFINITY, &f->bounds.min_accuracy)) ||
      (st = bound(file, b, "max_memory_bytes", 0, DBL_MAX, INFINITY, &f->bounds.max_memory)) ||
      (st = bound(file, b, "max_latency_ms", 0, DBL_MAX, INFINITY, &f->bounds.max_latency)) ||
      (st = sp_json_object(file, root, "", "solver", &s)) ||
      (st = sp_json_string(file, s, "solver", "name", f->solver, sizeof f->solver)) ||
      (st = sp_json_string(file, s, "solver", "result", result, sizeof result)) ||
      (st = sp_json_number(file, s, "solver", "solve_s", 0, DBL_MAX, &f->solve_s)) ||
      (st = sp_json_number(file, s, "solver", "gap", 0, DBL_MAX, &f->gap)) ||
      (st = sp_json_int(file, s, "solver", "options_used", 0, 1 << 30, &f->options_used)) ||
      (st = sp_json_int(file, s, "solver", "options_total", 0, 1 << 30, &f->options_total)) ||
      (st = sp_json_object(file, root, "", "predicted", &t)) ||
      (st = sp_json_number(file, t, "predicted", "latency_ms", 0, DBL_MAX, &f->predicted.latency_ms)) ||
      (st = sp_json_number(file, t, "predicted", "transition_ms", 0, DBL_MAX, &f->predicted.transition_ms)) ||
      (st = sp_json_number(file, t, "predicted", "peak_bytes", 0, DBL_MAX, &f->predicted.peak_bytes)) ||
      (st = sp_json_number(file, t, "predicted", "accuracy", -DBL_MAX, 100, &f->predicted.accuracy)))
    return st;
  pv->profile_network_ms = 0; /* absent in plans written before it was recorded, or null */
  const cJSON *probe = cJSON_GetObjectItemCaseSensitive(p, "network_ms");
  if (probe && !cJSON_IsNull(probe) &&
      (st = sp_json_number(file, p, "profile", "network_ms", 1e-6, 1e9, &pv->profile_network_ms)))
    return st;
  f->batch = 1; /* absent in plans written before it was recorded */
  if (cJSON_GetObjectItemCaseSensitive(t, "batch") &&
      (st = sp_json_int(file, t, "predicted", "batch", 1, 1 << 16, &f->batch)))
    return st;
  if (!sp_plan_objective_parse(objective, &f->objective))
    return sp_json_bad(file, "", "objective", "'%s' is not latency, memory or accuracy", objective);
  int r;
  for (r = 0; r <= SP_PLAN_UNSUPPORTED && strcmp(result, result_keys[r]); r++) {}
  if (r > SP_PLAN_UNSUPPORTED) return sp_json_bad(file, "solver", "result", "'%s' is unknown", result);
  f->result = (sp_plan_result)r;
  return SP_OK;
}

static sp_status read_body(const char *file, const cJSON *root, sp_plan_file *f) {
  const cJSON *gs, *ls, *item;
  sp_status st;
  if ((st = sp_json_array(file, root, "", "groups", 1, &gs)) || (st = sp_json_array(file, root, "", "layers", 1, &ls)))
    return st;
  f->groups = calloc((size_t)cJSON_GetArraySize(gs), sizeof *f->groups);
  f->layers = calloc((size_t)cJSON_GetArraySize(ls), sizeof *f->layers);
  if (!f->groups || !f->layers) return sp_fail(SP_ERR_RUNTIME, "%s: out of memory", file);
  char where[48];
  cJSON_ArrayForEach(item, gs) {
    sp_plan_file_group *g = &f->groups[f->n_groups];
    snprintf(where, sizeof where, "groups[%d]", f->n_groups++);
    if ((st = sp_json_string(file, item, where, "name", g->name, sizeof g->name)) ||
        (st = sp_json_number(file, item, where, "keep", DBL_MIN, 1, &g->keep)) ||
        (st = sp_json_int(file, item, where, "channels", 1, 1 << 30, &g->channels)) ||
        (st = sp_json_int(file, item, where, "channels_kept", 1, g->channels, &g->channels_kept)))
      return st;
  }
  cJSON_ArrayForEach(item, ls) {
    snprintf(where, sizeof where, "layers[%d]", f->n_layers);
    if ((st = read_layer(file, item, where, &f->layers[f->n_layers++]))) return st;
  }
  f->predicted.peak_step = -1;
  const cJSON *peak = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "predicted"), "peak_layer");
  for (int l = 0; l < f->n_layers && cJSON_IsString(peak); l++)
    if (!strcmp(f->layers[l].name, peak->valuestring)) f->predicted.peak_step = l;
  return SP_OK;
}

/* Validates root (read from `path`, st its read status) into out and deletes it. */
static sp_status load_root(const char *path, cJSON *root, sp_status st, sp_plan_file *out) {
  if (!st) st = read_head(path, root, out);
  if (!st) st = read_body(path, root, out);
  cJSON_Delete(root);
  if (st) sp_plan_file_free(out);
  return st;
}

sp_status sp_plan_file_load(const char *path, sp_plan_file *out) {
  memset(out, 0, sizeof *out);
  cJSON *root = NULL;
  sp_status st = sp_json_read_file(path, &root);
  return load_root(path, root, st, out);
}

sp_status sp_plan_file_load_buffer(const void *data, size_t len, const char *name,
                                   sp_plan_file *out) {
  memset(out, 0, sizeof *out);
  cJSON *root = NULL;
  sp_status st = sp_json_parse(data, len, name, &root);
  return load_root(name, root, st, out);
}
