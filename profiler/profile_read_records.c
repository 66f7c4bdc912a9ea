/* Reading and validating the records, transitions and noise of a profile
 * file, against its groups and layers (profile_read.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/registry.h"
#include "engine/core/json_file.h"
#include "profiler/profile_read.h"

sp_status sp_profile_read_skipped(const char *f, const cJSON *o, const char *w,
                                  sp_profile_layer *l) {
  const cJSON *a;
  sp_status s = sp_json_array(f, o, w, "skipped", 0, &a);
  if (s) return s;
  size_t len = 0;
  l->skipped[0] = 0;
  for (const cJSON *e = a->child; e; e = e->next) {
    if (!cJSON_IsString(e) || strchr(e->valuestring, ','))
      return sp_json_bad(f, w, "skipped", "expected \"variant@threads\" strings");
    size_t n = strlen(e->valuestring);
    if (len + n + 2 > sizeof l->skipped) return sp_json_bad(f, w, "skipped", "too long");
    if (len) l->skipped[len++] = ',';
    memcpy(l->skipped + len, e->valuestring, n + 1);
    len += n;
  }
  return SP_OK;
}

sp_status sp_profile_read_variant(const char *f, const cJSON *o, const char *w, const sp_profile_layer *l,
                                  char *name, size_t size, const sp_variant **v) {
  sp_status s = sp_json_string(f, o, w, "variant", name, size);
  if (s) return s;
  *v = sp_registry_find(name);
  if (!*v) return sp_json_bad(f, w, "variant", "'%s' is not a variant of this build", name);
  if (strcmp(sp_op_name((*v)->op), l->kind))
    return sp_json_bad(f, w, "variant", "%s does not compute %s (layer %s)", (*v)->name, l->kind, l->name);
  return SP_OK;
}

sp_status sp_profile_read_keep_level(const char *f, const cJSON *o, const char *w, const char *key,
                                     const sp_profile_group *g, int group, int *level) {
  double k;
  sp_status s = sp_json_number(f, o, w, key, 0, 1, &k);
  if (s) return s;
  for (int i = 0; i < g->n_keep; i++)
    if (fabs(g->keep[i] - k) < 1e-9) {
      *level = i;
      return SP_OK;
    }
  return sp_json_bad(f, w, key, "%g is not a keep level of group %d", k, group);
}

sp_status sp_profile_read_compression(const char *f, const cJSON *o, const char *w, sp_compress_choice *c) {
  const cJSON *co;
  char where[64], kind[16];
  snprintf(where, sizeof where, "%s.compression", w);
  sp_status s = sp_json_object(f, o, w, "compression", &co);
  if (!s) s = sp_json_string(f, co, where, "kind", kind, sizeof kind);
  if (!s) s = sp_json_number(f, co, where, "rate", 0, 100, &c->rate);
  if (s) return s;
  if (!strcmp(kind, "none")) c->kind = SP_WEIGHTS_DENSE;
  else if (!strcmp(kind, "prune")) c->kind = SP_WEIGHTS_PRUNE;
  else if (!strcmp(kind, "ternary")) c->kind = SP_WEIGHTS_TERNARY;
  else return sp_json_bad(f, where, "kind", "'%s' is not none, prune or ternary", kind);
  if ((c->kind == SP_WEIGHTS_DENSE && c->rate != 0) || (c->kind == SP_WEIGHTS_PRUNE && c->rate >= 1) ||
      (c->kind == SP_WEIGHTS_TERNARY && c->rate <= 0))
    return sp_json_bad(f, where, "rate", "%g does not fit %s", c->rate, kind);
  return SP_OK;
}

/* The parameter point: exactly the variant's parameters, each a candidate value. */
static sp_status read_params(const char *f, const cJSON *o, const char *w, const sp_variant *v,
                             sp_profile_record *r) {
  const cJSON *po;
  sp_status s = sp_json_object(f, o, w, "params", &po);
  if (s) return s;
  int n = cJSON_GetArraySize(po), want = v->params ? v->params->count : 0;
  if (n != 0 && n != want)
    return sp_json_bad(f, w, "params", "expected {} or all %d parameters of %s", want, v->name);
  r->n_params = n;
  for (int i = 0; i < n; i++) {
    const sp_param *pa = &v->params->params[i];
    const cJSON *val = cJSON_GetObjectItemCaseSensitive(po, pa->name);
    int ok = 0;
    for (int k = 0; val && cJSON_IsNumber(val) && k < pa->n_values; k++)
      ok |= val->valuedouble == pa->values[k];
    if (!ok) return sp_json_bad(f, w, "params", "%s: missing or not a value of %s", pa->name, v->name);
    snprintf(r->param_names[i], sizeof r->param_names[i], "%s", pa->name);
    r->params[i] = (int)val->valuedouble;
  }
  return SP_OK;
}

static sp_status read_residency(const char *f, const cJSON *o, const char *w, const sp_variant *v,
                                sp_profile_record *r) {
  char res[32], backend[32];
  sp_status s = sp_json_string(f, o, w, "backend", backend, sizeof backend);
  if (!s && strcmp(backend, sp_backend_name(v->backend)))
    s = sp_json_bad(f, w, "backend", "'%s' is not the backend of %s (%s)", backend, v->name,
                    sp_backend_name(v->backend));
  if (!s) s = sp_json_string(f, o, w, "residency", res, sizeof res);
  if (s) return s;
  r->backend = v->backend;
  r->device = -1;
  char *end;
  if (!strncmp(res, "device:", 7)) {
    long id = strtol(res + 7, &end, 10);
    if (end == res + 7 || *end || id < 0 || id > 1 << 20)
      return sp_json_bad(f, w, "residency", "'%s' is not host or device:<id>", res);
    r->device = (int)id;
  } else if (strcmp(res, "host")) {
    return sp_json_bad(f, w, "residency", "'%s' is not host or device:<id>", res);
  }
  if ((r->device >= 0) != sp_variant_on_device(v))
    return sp_json_bad(f, w, "residency", "%s runs on the %s", v->name,
                       sp_variant_on_device(v) ? "device" : "host");
  return SP_OK;
}

static sp_status read_times(const char *f, const cJSON *o, const char *w, sp_profile_record *r) {
  sp_status s = sp_json_number(f, o, w, "median_ms", 0, 1e9, &r->median_ms);
  if (!s) s = sp_json_number(f, o, w, "p10_ms", 0, r->median_ms, &r->p10_ms);
  if (!s) s = sp_json_number(f, o, w, "p90_ms", r->median_ms, 1e9, &r->p90_ms);
  if (!s) s = sp_json_int(f, o, w, "n", 1, 1 << 30, &r->n);
  if (!s) s = sp_json_number(f, o, w, "noise", 0, 1e9, &r->noise);
  if (!s) s = sp_json_bool(f, o, w, "converged", &r->converged);
  if (!s) s = sp_json_number(f, o, w, "weight_bytes", 0, 1e18, &r->weight_bytes);
  if (!s) s = sp_json_number(f, o, w, "workspace_bytes", 0, 1e18, &r->workspace_bytes);
  if (!s) s = sp_json_number(f, o, w, "prepare_ms", 0, 1e12, &r->prepare_ms);
  r->evict_bytes = -1; /* absent: profiles before 2026-12-06 (third session) */
  if (!s && cJSON_GetObjectItemCaseSensitive(o, "evict_bytes"))
    s = sp_json_number(f, o, w, "evict_bytes", 0, 1e18, &r->evict_bytes);
  if (!s && cJSON_GetObjectItemCaseSensitive(o, "dominated"))
    s = sp_json_bool(f, o, w, "dominated", &r->dominated);
  const cJSON *reused = cJSON_GetObjectItemCaseSensitive(o, "reused");
  if (!s && reused) {
    if (!cJSON_IsString(reused) || strcmp(reused->valuestring, "none"))
      s = sp_json_bad(f, w, "reused", "expected \"none\"");
    r->reused = 1;
  }
  return s;
}

sp_status sp_profile_read_record(const char *f, const cJSON *o, const char *w, const sp_profile *p,
                             sp_profile_record *r) {
  char name[SP_NAME_MAX];
  sp_status s = sp_json_string(f, o, w, "layer", name, sizeof name);
  if (s) return s;
  r->layer = sp_profile_find_layer(p, name);
  if (r->layer < 0) return sp_json_bad(f, w, "layer", "'%s' is not a layer of the profile", name);
  const sp_profile_layer *l = &p->layers[r->layer];
  s = sp_profile_read_keep_level(f, o, w, "keep_in", &p->groups[l->group_in], l->group_in, &r->keep_in);
  if (!s) s = sp_profile_read_keep_level(f, o, w, "keep_out", &p->groups[l->group_out], l->group_out, &r->keep_out);
  if (!s && l->group_in == l->group_out && r->keep_in != r->keep_out)
    s = sp_json_bad(f, w, "keep_out", "layer %s passes its channels through: keep_in and "
                    "keep_out must be equal", l->name);
  if (!s) s = sp_profile_read_compression(f, o, w, &r->compression);
  const sp_variant *v = NULL;
  if (!s) s = sp_profile_read_variant(f, o, w, l, r->variant, sizeof r->variant, &v);
  if (s) return s;
  s = read_residency(f, o, w, v, r);
  if (!s) s = sp_json_int(f, o, w, "threads", 1, 1024, &r->threads);
  if (!s) s = read_params(f, o, w, v, r);
  if (!s) s = sp_json_bool(f, o, w, "tuned", &r->tuned);
  if (s) return s;
  const cJSON *failed = cJSON_GetObjectItemCaseSensitive(o, "failed");
  if (failed) {
    r->failed = 1;
    return sp_json_string(f, o, w, "failed", r->error, sizeof r->error);
  }
  return read_times(f, o, w, r);
}

sp_status sp_profile_read_records(const char *f, const cJSON *root, sp_profile *p) {
  const cJSON *a;
  sp_status s = sp_json_array(f, root, "", "records", 0, &a);
  int i = 0;
  char w[32];
  for (const cJSON *e = s ? NULL : a->child; e && !s; e = e->next, i++) {
    sp_profile_record r = {0};
    snprintf(w, sizeof w, "records[%d]", i);
    s = cJSON_IsObject(e) ? sp_profile_read_record(f, e, w, p, &r) : sp_json_bad(f, w, "", "expected an object");
    if (!s) s = sp_profile_add_record(p, &r);
  }
  return s;
}

static sp_status read_transition(const char *f, const cJSON *o, const char *w, const sp_profile *p,
                                 sp_profile_transition *t) {
  sp_status s = sp_json_string(f, o, w, "tensor", t->tensor, sizeof t->tensor);
  if (s) return s;
  t->layer = strcmp(t->tensor, "input") ? sp_profile_find_layer(p, t->tensor) : -1;
  if (t->layer < 0 && strcmp(t->tensor, "input"))
    return sp_json_bad(f, w, "tensor", "'%s' is neither input nor a layer", t->tensor);
  int group = t->layer < 0 ? 0 : p->layers[t->layer].group_out;
  s = sp_profile_read_keep_level(f, o, w, "keep", &p->groups[group], group, &t->keep);
  if (!s) s = sp_json_number(f, o, w, "bytes", 0, 1e18, &t->bytes);
  if (s) return s;
  if (cJSON_GetObjectItemCaseSensitive(o, "failed")) {
    t->failed = 1;
    return sp_json_string(f, o, w, "failed", t->error, sizeof t->error);
  }
  s = sp_json_number(f, o, w, "h2d_ms", 0, 1e9, &t->h2d_ms);
  if (!s) s = sp_json_number(f, o, w, "d2h_ms", 0, 1e9, &t->d2h_ms);
  return s;
}

sp_status sp_profile_read_transitions(const char *f, const cJSON *root, sp_profile *p) {
  const cJSON *a;
  sp_status s = sp_json_array(f, root, "", "transitions", 0, &a);
  int i = 0;
  char w[32];
  for (const cJSON *e = s ? NULL : a->child; e && !s; e = e->next, i++) {
    sp_profile_transition t = {0};
    snprintf(w, sizeof w, "transitions[%d]", i);
    s = cJSON_IsObject(e) ? read_transition(f, e, w, p, &t)
                          : sp_json_bad(f, w, "", "expected an object");
    if (!s && sp_profile_find_transition(p, t.layer, t.keep))
      s = sp_json_bad(f, w, "", "a second entry for %s at keep level %d", t.tensor, t.keep);
    if (!s) s = sp_profile_add_transition(p, &t);
  }
  return s;
}

sp_status sp_profile_read_noise(const char *f, const cJSON *root, sp_profile *p) {
  const cJSON *a;
  sp_status s = sp_json_array(f, root, "", "noise", 0, &a);
  int i = 0;
  char w[32], name[SP_NAME_MAX];
  for (const cJSON *e = s ? NULL : a->child; e && !s; e = e->next, i++) {
    snprintf(w, sizeof w, "noise[%d]", i);
    s = sp_json_string(f, e, w, "layer", name, sizeof name);
    int l = s ? -1 : sp_profile_find_layer(p, name);
    if (!s && (l < 0 || !p->layers[l].measured))
      s = sp_json_bad(f, w, "layer", "'%s' is not a measured layer", name);
    if (!s) s = sp_json_number(f, e, w, "median", 0, 1e9, &p->layers[l].noise_median);
    if (!s) s = sp_json_number(f, e, w, "max", 0, 1e9, &p->layers[l].noise_max);
    if (!s) s = sp_json_int(f, e, w, "unconverged", 0, 1 << 30, &p->layers[l].unconverged);
  }
  return s;
}
