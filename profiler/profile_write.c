/* Writing profile files (profile_io.h): a JSON object whose arrays hold one
 * element a line, so that files diff and grep well. */
#define _POSIX_C_SOURCE 200809L /* strtok_r */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/file_io.h"
#include "profiler/profile_io.h"
#include "engine/core/json_file.h"
#include "profiler/profile_read.h"

/* A growing text buffer; `failed` sticks once memory runs out. */
typedef struct text {
  char *s;
  size_t len, cap;
  int failed;
} text;

static void put(text *t, const char *s) {
  size_t n = strlen(s);
  if (t->failed) return;
  if (t->len + n + 1 > t->cap) {
    size_t cap = t->cap ? t->cap : 1 << 16;
    while (cap < t->len + n + 1) cap *= 2;
    char *grown = realloc(t->s, cap);
    if (!grown) {
      t->failed = 1;
      return;
    }
    t->s = grown;
    t->cap = cap;
  }
  memcpy(t->s + t->len, s, n + 1);
  t->len += n;
}

/* Appends `item` unformatted and frees it. */
static void put_json(text *t, cJSON *item) {
  char *s = item ? cJSON_PrintUnformatted(item) : NULL;
  if (!s) t->failed = 1;
  else put(t, s);
  free(s);
  cJSON_Delete(item);
}

static void put_field(text *t, const char *key, cJSON *item, int last) {
  put(t, "\"");
  put(t, key);
  put(t, "\": ");
  put_json(t, item);
  put(t, last ? "\n" : ",\n");
}

/* Measured values keep 6 significant digits: more is noise, and files halve. */
static cJSON *measured(double v) {
  char text[32];
  snprintf(text, sizeof text, "%.6g", v);
  return cJSON_CreateNumber(strtod(text, NULL));
}

static cJSON *numbers(const double *v, int n) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
  return a;
}

static cJSON *device_json(const sp_device_info *d) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "fingerprint", d->fingerprint);
  cJSON_AddStringToObject(o, "cpu", d->cpu);
  cJSON_AddNumberToObject(o, "cores", d->cores);
  if (d->has_opencl) {
    cJSON *cl = cJSON_AddObjectToObject(o, "opencl");
    cJSON_AddNumberToObject(cl, "index", d->cl_index);
    cJSON_AddStringToObject(cl, "platform", d->cl_platform);
    cJSON_AddStringToObject(cl, "device", d->cl_device);
    cJSON_AddStringToObject(cl, "driver", d->cl_driver);
  } else {
    cJSON_AddNullToObject(o, "opencl");
  }
  cJSON *lib = cJSON_AddObjectToObject(o, "libraries");
  cJSON_AddStringToObject(lib, "openblas", d->openblas);
  cJSON_AddStringToObject(lib, "glpk", d->glpk);
  if (d->clblast[0]) cJSON_AddStringToObject(lib, "clblast", d->clblast);
  else cJSON_AddNullToObject(lib, "clblast");
  cJSON *b = cJSON_AddObjectToObject(o, "build");
  cJSON_AddStringToObject(b, "compiler", d->compiler);
  cJSON_AddStringToObject(b, "flags", d->flags);
  cJSON_AddStringToObject(b, "stackplan", d->version);
  return o;
}

static cJSON *config_json(const sp_profile_config *c) {
  cJSON *o = cJSON_CreateObject();
  cJSON *th = cJSON_AddArrayToObject(o, "threads");
  for (int i = 0; i < c->n_threads; i++) cJSON_AddItemToArray(th, cJSON_CreateNumber(c->threads[i]));
  cJSON_AddBoolToObject(o, "quick", c->quick);
  cJSON_AddNumberToObject(o, "batch", c->batch);
  if (c->device >= 0) cJSON_AddNumberToObject(o, "device", c->device);
  else cJSON_AddNullToObject(o, "device");
  if (c->variants[0]) {
    cJSON *v = cJSON_AddArrayToObject(o, "variants");
    char list[sizeof c->variants];
    memcpy(list, c->variants, sizeof list);
    for (char *save = NULL, *name = strtok_r(list, ",", &save); name;
         name = strtok_r(NULL, ",", &save))
      cJSON_AddItemToArray(v, cJSON_CreateString(name));
  } else {
    cJSON_AddNullToObject(o, "variants");
  }
  cJSON *grid = cJSON_AddObjectToObject(o, "grid");
  cJSON_AddItemToObject(grid, "prune", numbers(c->prune, c->n_prune));
  cJSON_AddItemToObject(grid, "ternary", numbers(c->ternary, c->n_ternary));
  cJSON_AddItemToObject(grid, "keep", numbers(c->keep, c->n_keep));
  const sp_protocol_options *p = &c->protocol;
  cJSON *pr = cJSON_AddObjectToObject(o, "protocol");
  cJSON_AddNumberToObject(pr, "warmup", p->warmup);
  cJSON_AddNumberToObject(pr, "min_runs", p->min_runs);
  cJSON_AddNumberToObject(pr, "max_runs", p->max_runs);
  cJSON_AddNumberToObject(pr, "min_seconds", p->min_seconds);
  cJSON_AddNumberToObject(pr, "max_seconds", p->max_seconds);
  cJSON_AddNumberToObject(pr, "rel_ci", p->rel_ci);
  cJSON_AddNumberToObject(pr, "batch_seconds", p->batch_seconds);
  cJSON_AddNumberToObject(pr, "outlier_ratio", p->outlier_ratio);
  cJSON_AddNumberToObject(pr, "max_remeasure", p->max_remeasure);
  cJSON_AddNumberToObject(pr, "race_ratio", p->race_ratio);
  cJSON_AddBoolToObject(pr, "cold_caches", p->cold_caches);
  return o;
}

static cJSON *group_json(const sp_profile_group *g, int id) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "id", id);
  cJSON_AddStringToObject(o, "name", g->name);
  cJSON_AddNumberToObject(o, "channels", g->channels);
  cJSON_AddBoolToObject(o, "prunable", g->prunable);
  cJSON_AddItemToObject(o, "keep", numbers(g->keep, g->n_keep));
  cJSON *kept = cJSON_AddArrayToObject(o, "kept");
  for (int k = 0; k < g->n_keep; k++) cJSON_AddItemToArray(kept, cJSON_CreateNumber(g->kept[k]));
  return o;
}

/* One entry per network level of the layer (its groups' levels): the
 * calibration `seq` there or null; null for the whole when none. Entries
 * of the compressed network name their record's compression. */
static cJSON *sequence_json(const sp_profile *p, const sp_profile_layer *l, const sp_profile_sequence *seq,
                            int compressed) {
  int levels = p->groups[l->group_in].n_keep, out = p->groups[l->group_out].n_keep, any = 0;
  if (out > levels) levels = out;
  for (int k = 0; k < levels; k++) any |= seq[k].alone_ms > 0;
  if (!any) return cJSON_CreateNull();
  cJSON *a = cJSON_CreateArray();
  for (int k = 0; k < levels; k++) {
    const sp_profile_sequence *q = &seq[k];
    if (!(q->alone_ms > 0)) {
      cJSON_AddItemToArray(a, cJSON_CreateNull());
      continue;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "keep_in", p->groups[l->group_in].keep[q->keep_in]);
    cJSON_AddNumberToObject(o, "keep_out", p->groups[l->group_out].keep[q->keep_out]);
    cJSON_AddStringToObject(o, "variant", q->variant);
    if (compressed) {
      cJSON *c = cJSON_AddObjectToObject(o, "compression");
      cJSON_AddStringToObject(c, "kind", sp_weight_compression_name(q->compression.kind));
      cJSON_AddNumberToObject(c, "rate", q->compression.rate);
    }
    cJSON_AddNumberToObject(o, "threads", q->threads);
    cJSON_AddItemToObject(o, "alone_ms", measured(q->alone_ms));
    cJSON_AddItemToObject(o, "in_sequence_ms", measured(q->in_sequence_ms));
    cJSON_AddNumberToObject(o, "evict_bytes", q->evict_bytes);
    cJSON_AddItemToArray(a, o);
  }
  return a;
}

static cJSON *layer_json(const sp_profile *p, const sp_profile_layer *l) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "name", l->name);
  cJSON_AddStringToObject(o, "kind", l->kind);
  cJSON_AddStringToObject(o, "op", l->op);
  cJSON *in = cJSON_AddArrayToObject(o, "inputs");
  for (int i = 0; i < l->n_inputs; i++) cJSON_AddItemToArray(in, cJSON_CreateString(l->inputs[i]));
  cJSON_AddNumberToObject(o, "group_in", l->group_in);
  cJSON_AddNumberToObject(o, "group_out", l->group_out);
  cJSON_AddItemToObject(o, "act_bytes", numbers(l->act_bytes, p->groups[l->group_out].n_keep));
  cJSON_AddBoolToObject(o, "measured", l->measured);
  cJSON_AddItemToObject(o, "seconds", measured(l->seconds));
  if (l->network_ms > 0) cJSON_AddItemToObject(o, "network_ms", measured(l->network_ms));
  else cJSON_AddNullToObject(o, "network_ms");
  cJSON_AddItemToObject(o, "sequence", sequence_json(p, l, l->sequence, 0));
  cJSON_AddItemToObject(o, "sequence_compressed", sequence_json(p, l, l->sequence_compressed, 1));
  cJSON *sk = cJSON_AddArrayToObject(o, "skipped");
  char list[sizeof l->skipped];
  memcpy(list, l->skipped, sizeof list);
  for (char *save = NULL, *s = strtok_r(list, ",", &save); s; s = strtok_r(NULL, ",", &save))
    cJSON_AddItemToArray(sk, cJSON_CreateString(s));
  return o;
}

cJSON *sp_profile_record_json(const sp_profile *p, const sp_profile_record *r) {
  const sp_profile_layer *l = &p->layers[r->layer];
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "layer", l->name);
  cJSON_AddNumberToObject(o, "keep_in", p->groups[l->group_in].keep[r->keep_in]);
  cJSON_AddNumberToObject(o, "keep_out", p->groups[l->group_out].keep[r->keep_out]);
  cJSON *c = cJSON_AddObjectToObject(o, "compression");
  cJSON_AddStringToObject(c, "kind", sp_weight_compression_name(r->compression.kind));
  cJSON_AddNumberToObject(c, "rate", r->compression.rate);
  cJSON_AddStringToObject(o, "variant", r->variant);
  cJSON_AddStringToObject(o, "backend", sp_backend_name(r->backend));
  char residency[32] = "host";
  if (r->device >= 0) snprintf(residency, sizeof residency, "device:%d", r->device);
  cJSON_AddStringToObject(o, "residency", residency);
  cJSON_AddNumberToObject(o, "threads", r->threads);
  cJSON *params = cJSON_AddObjectToObject(o, "params");
  for (int i = 0; i < r->n_params; i++) cJSON_AddNumberToObject(params, r->param_names[i], r->params[i]);
  cJSON_AddBoolToObject(o, "tuned", r->tuned);
  if (r->failed) {
    cJSON_AddStringToObject(o, "failed", r->error);
    return o;
  }
  cJSON_AddItemToObject(o, "median_ms", measured(r->median_ms));
  cJSON_AddItemToObject(o, "p10_ms", measured(r->p10_ms));
  cJSON_AddItemToObject(o, "p90_ms", measured(r->p90_ms));
  cJSON_AddNumberToObject(o, "n", r->n);
  cJSON_AddItemToObject(o, "noise", measured(r->noise));
  cJSON_AddBoolToObject(o, "converged", r->converged);
  if (r->dominated) cJSON_AddBoolToObject(o, "dominated", 1);
  cJSON_AddNumberToObject(o, "weight_bytes", r->weight_bytes);
  cJSON_AddNumberToObject(o, "workspace_bytes", r->workspace_bytes);
  cJSON_AddItemToObject(o, "prepare_ms", measured(r->prepare_ms));
  if (r->evict_bytes >= 0) cJSON_AddNumberToObject(o, "evict_bytes", r->evict_bytes);
  if (r->reused) cJSON_AddStringToObject(o, "reused", "none");
  return o;
}

static cJSON *transition_json(const sp_profile *p, const sp_profile_transition *t) {
  int group = t->layer < 0 ? 0 : p->layers[t->layer].group_out;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "tensor", t->tensor);
  cJSON_AddNumberToObject(o, "keep", p->groups[group].keep[t->keep]);
  cJSON_AddNumberToObject(o, "bytes", t->bytes);
  if (t->failed) {
    cJSON_AddStringToObject(o, "failed", t->error);
  } else {
    cJSON_AddItemToObject(o, "h2d_ms", measured(t->h2d_ms));
    cJSON_AddItemToObject(o, "d2h_ms", measured(t->d2h_ms));
  }
  return o;
}

static cJSON *noise_json(const sp_profile_layer *l) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "layer", l->name);
  cJSON_AddItemToObject(o, "median", measured(l->noise_median));
  cJSON_AddItemToObject(o, "max", measured(l->noise_max));
  cJSON_AddNumberToObject(o, "unconverged", l->unconverged);
  return o;
}

/* "key": [\n item,\n item\n] */
static void open_array(text *t, const char *key, int n) {
  put(t, "\"");
  put(t, key);
  put(t, n ? "\": [\n" : "\": [");
}

static void close_array(text *t, int last) { put(t, last ? "]\n" : "],\n"); }

static void put_item(text *t, cJSON *item, int last) {
  put_json(t, item);
  put(t, last ? "\n" : ",\n");
}

sp_status sp_profile_save(const char *path, const sp_profile *p) {
  text t = {0};
  put(&t, "{\n");
  put_field(&t, "format", cJSON_CreateString(SP_PROFILE_FORMAT), 0);
  put_field(&t, "version", cJSON_CreateNumber(SP_PROFILE_VERSION), 0);
  put_field(&t, "created", cJSON_CreateString(p->created), 0);
  put_field(&t, "updated", cJSON_CreateString(p->updated), 0);
  put_field(&t, "device", device_json(&p->device), 0);
  cJSON *model = cJSON_CreateObject();
  cJSON_AddStringToObject(model, "name", p->model);
  cJSON_AddStringToObject(model, "fingerprint", p->model_fingerprint);
  double in[3] = {p->input.c, p->input.h, p->input.w};
  cJSON_AddItemToObject(model, "input", numbers(in, 3));
  put_field(&t, "model", model, 0);
  put_field(&t, "config", config_json(&p->config), 0);
  open_array(&t, "groups", p->n_groups);
  for (int i = 0; i < p->n_groups; i++) put_item(&t, group_json(&p->groups[i], i), i == p->n_groups - 1);
  close_array(&t, 0);
  open_array(&t, "layers", p->n_layers);
  for (int i = 0; i < p->n_layers; i++)
    put_item(&t, layer_json(p, &p->layers[i]), i == p->n_layers - 1);
  close_array(&t, 0);
  open_array(&t, "records", p->n_records);
  for (int i = 0; i < p->n_records; i++)
    put_item(&t, sp_profile_record_json(p, &p->records[i]), i == p->n_records - 1);
  close_array(&t, 0);
  open_array(&t, "transitions", p->n_transitions);
  for (int i = 0; i < p->n_transitions; i++)
    put_item(&t, transition_json(p, &p->transitions[i]), i == p->n_transitions - 1);
  close_array(&t, 0);
  int measured = 0, k = 0;
  for (int i = 0; i < p->n_layers; i++) measured += p->layers[i].measured;
  open_array(&t, "noise", measured);
  for (int i = 0; i < p->n_layers; i++)
    if (p->layers[i].measured) put_item(&t, noise_json(&p->layers[i]), ++k == measured);
  close_array(&t, 1);
  put(&t, "}\n");
  sp_status s = t.failed ? sp_fail(SP_ERR_RUNTIME, "out of memory writing %s", path)
                         : sp_file_write_atomic(path, t.s, t.len);
  free(t.s);
  return s;
}
