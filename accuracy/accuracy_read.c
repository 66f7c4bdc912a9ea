/* sp_accuracy_load (accuracy_io.h): every field checked, every error one
 * line "file: where.key: what is wrong". */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accuracy/accuracy_io.h"
#include "engine/core/json_file.h"

/* Where a field is, for messages: the file and the enclosing path. */
typedef struct ctx {
  const char *file;
  char where[64];
} ctx;

static sp_status bad(const ctx *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static sp_status bad(const ctx *c, const char *key, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return sp_fail(SP_ERR_INPUT, "%s: %s%s%s: %s", c->file, c->where, *c->where && *key ? "." : "",
                 key, msg);
}

static const cJSON *get(const ctx *c, const cJSON *o, const char *key, sp_status *s) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!v) *s = bad(c, key, "missing");
  return v;
}

static sp_status number(const ctx *c, const cJSON *o, const char *key, double lo, double hi,
                        double *out) {
  sp_status s = SP_OK;
  const cJSON *v = get(c, o, key, &s);
  if (s) return s;
  if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi))
    return bad(c, key, "expected a number in [%g, %g]", lo, hi);
  *out = v->valuedouble;
  return SP_OK;
}

static sp_status integer(const ctx *c, const cJSON *o, const char *key, int lo, int hi, int *out) {
  double d = 0;
  sp_status s = number(c, o, key, lo, hi, &d);
  if (!s && d != floor(d)) s = bad(c, key, "expected an integer in [%d, %d]", lo, hi);
  if (!s) *out = (int)d;
  return s;
}

/* A loss: a number >= 0, or null for one that overflowed (read as +inf). */
static sp_status loss(const ctx *c, const cJSON *o, double *out) {
  sp_status s = SP_OK;
  const cJSON *v = get(c, o, "loss", &s);
  if (!s && cJSON_IsNull(v)) *out = INFINITY;
  else if (!s) s = number(c, o, "loss", 0, INFINITY, out);
  return s;
}

/* A non-empty string shorter than cap. */
static sp_status string(const ctx *c, const cJSON *o, const char *key, char *out, size_t cap) {
  sp_status s = SP_OK;
  const cJSON *v = get(c, o, key, &s);
  if (s) return s;
  if (!cJSON_IsString(v) || !*v->valuestring || strlen(v->valuestring) >= cap)
    return bad(c, key, "expected a non-empty string of at most %zu bytes", cap - 1);
  memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
  return SP_OK;
}

static sp_status object(const ctx *c, const cJSON *o, const char *key, int array,
                        const cJSON **out) {
  sp_status s = SP_OK;
  *out = get(c, o, key, &s);
  if (!s && !(array ? cJSON_IsArray(*out) : cJSON_IsObject(*out)))
    s = bad(c, key, "expected an %s", array ? "array" : "object");
  return s;
}

static sp_status fingerprint(const ctx *c, const cJSON *o, const char *key, char out[17]) {
  sp_status s = string(c, o, key, out, 17);
  if (s) return s;
  int ok = strlen(out) == 16;
  for (int i = 0; ok && i < 16; i++) ok = isdigit((unsigned char)out[i]) || (out[i] >= 'a' && out[i] <= 'f');
  return ok ? SP_OK : bad(c, key, "expected 16 lower-case hex digits");
}

static sp_status read_model(ctx *c, const cJSON *root, sp_accuracy *a) {
  const cJSON *m, *input;
  sp_status s = object(c, root, "model", 0, &m);
  snprintf(c->where, sizeof c->where, "model");
  if (!s) s = string(c, m, "name", a->model, sizeof a->model);
  if (!s) s = fingerprint(c, m, "structure_fingerprint", a->structure_fingerprint);
  if (!s) s = fingerprint(c, m, "weights_fingerprint", a->weights_fingerprint);
  if (!s) s = object(c, m, "input", 1, &input);
  if (!s && cJSON_GetArraySize(input) != 3) s = bad(c, "input", "expected [C, H, W]");
  for (int i = 0; !s && i < 3; i++) {
    const cJSON *d = cJSON_GetArrayItem(input, i);
    if (!cJSON_IsNumber(d) || d->valuedouble < 1 || d->valuedouble > 65536 ||
        d->valuedouble != floor(d->valuedouble))
      s = bad(c, "input", "expected [C, H, W], positive integers");
    else a->input[i] = (int)d->valuedouble;
  }
  if (!s) s = integer(c, m, "classes", 1, 1 << 20, &a->classes);
  return s;
}

static sp_status read_data(ctx *c, const cJSON *root, sp_accuracy *a) {
  const cJSON *d, *b;
  snprintf(c->where, sizeof c->where, "%s", "");
  sp_status s = object(c, root, "data", 0, &d);
  snprintf(c->where, sizeof c->where, "data");
  if (!s) s = string(c, d, "name", a->data, sizeof a->data);
  if (!s) s = string(c, d, "split", a->split, sizeof a->split);
  if (!s) s = integer(c, d, "images", 1, 1 << 30, &a->images);
  snprintf(c->where, sizeof c->where, "%s", "");
  if (!s) s = object(c, root, "baseline", 0, &b);
  snprintf(c->where, sizeof c->where, "baseline");
  if (!s) s = number(c, b, "accuracy", 0, 100, &a->accuracy);
  if (!s) s = loss(c, b, &a->loss);
  return s;
}

/* The optional uncertainty fields (accuracy_io.h), defaults from the file;
 * a given drop_interval must hold the entry's drop. */
static sp_status read_uncertainty(ctx *c, const cJSON *o, const sp_accuracy *a, double accuracy,
                                  sp_accuracy_uncertainty *u) {
  sp_status s = SP_OK;
  int n = a->images;
  double base = a->accuracy;
  if (cJSON_HasObjectItem(o, "images")) s = integer(c, o, "images", 1, 1 << 30, &n);
  if (!s && cJSON_HasObjectItem(o, "baseline")) s = number(c, o, "baseline", 0, 100, &base);
  if (s) return s;
  *u = sp_accuracy_uncertainty_of(accuracy, n, base);
  const cJSON *iv = cJSON_GetObjectItemCaseSensitive(o, "drop_interval");
  if (!iv) return SP_OK;
  const cJSON *lo = cJSON_GetArrayItem(iv, 0), *hi = cJSON_GetArrayItem(iv, 1);
  double drop = base - accuracy;
  if (!cJSON_IsArray(iv) || cJSON_GetArraySize(iv) != 2 || !cJSON_IsNumber(lo) || !cJSON_IsNumber(hi) ||
      !(lo->valuedouble <= drop + 1e-3 && drop <= hi->valuedouble + 1e-3))
    return bad(c, "drop_interval", "expected [lo, hi] around the drop %g", drop);
  u->drop_lo = lo->valuedouble, u->drop_hi = hi->valuedouble;
  return SP_OK;
}

static sp_status read_layer(ctx *c, const cJSON *o, const sp_accuracy *a, sp_accuracy_layer *l) {
  char kind[16];
  sp_status s = cJSON_IsObject(o) ? SP_OK : bad(c, "", "expected an object");
  if (!s) s = string(c, o, "layer", l->layer, sizeof l->layer);
  if (!s) s = string(c, o, "compression", kind, sizeof kind);
  if (!s && strcmp(kind, "prune") && strcmp(kind, "ternary"))
    s = bad(c, "compression", "'%s' is neither prune nor ternary", kind);
  l->kind = !s && !strcmp(kind, "prune") ? SP_COMPRESS_PRUNE : SP_COMPRESS_TERNARY;
  /* a pruning rate of 1 would remove every weight: said so, not as
   * "[0, 1]" (1 - DBL_EPSILON printed with %g) */
  if (!s && l->kind == SP_COMPRESS_PRUNE) s = number(c, o, "rate", 0, 1, &l->rate);
  if (!s && l->kind == SP_COMPRESS_PRUNE && l->rate >= 1)
    s = bad(c, "rate", "%g is not a pruning rate in [0, 1) (1 would remove every weight)", l->rate);
  if (!s && l->kind == SP_COMPRESS_TERNARY) s = number(c, o, "rate", DBL_MIN, 1e6, &l->rate);
  if (!s) s = number(c, o, "accuracy", 0, 100, &l->accuracy);
  if (!s) s = loss(c, o, &l->loss);
  if (!s) s = read_uncertainty(c, o, a, l->accuracy, &l->u);
  return s;
}

static sp_status read_group(ctx *c, const cJSON *o, const sp_accuracy *a, sp_accuracy_group *gr) {
  const cJSON *layers, *item;
  sp_status s = cJSON_IsObject(o) ? SP_OK : bad(c, "", "expected an object");
  if (!s) s = string(c, o, "group", gr->group, sizeof gr->group);
  if (!s) s = object(c, o, "layers", 1, &layers);
  if (!s && !(gr->layers = calloc((size_t)cJSON_GetArraySize(layers) + 1, sizeof *gr->layers)))
    s = sp_fail(SP_ERR_RUNTIME, "%s: out of memory", c->file);
  const cJSON *names = s ? NULL : layers;
  cJSON_ArrayForEach(item, names) {
    if (!cJSON_IsString(item) || !*item->valuestring || strlen(item->valuestring) >= SP_NAME_MAX) {
      s = bad(c, "layers", "expected layer names (strings of 1 to %d bytes)", SP_NAME_MAX - 1);
      break;
    }
    snprintf(gr->layers[gr->n_layers++], SP_NAME_MAX, "%s", item->valuestring);
  }
  if (!s) s = number(c, o, "keep", DBL_MIN, 1, &gr->keep);
  if (!s) s = integer(c, o, "channels_kept", 1, 1 << 30, &gr->channels_kept);
  if (!s) s = number(c, o, "accuracy", 0, 100, &gr->accuracy);
  if (!s) s = loss(c, o, &gr->loss);
  if (!s) s = read_uncertainty(c, o, a, gr->accuracy, &gr->u);
  return s;
}

/* The "layers" and "groups" arrays. */
static sp_status read_entries(ctx *c, const cJSON *root, sp_accuracy *a) {
  const cJSON *layers, *groups, *item;
  snprintf(c->where, sizeof c->where, "%s", "");
  sp_status s = object(c, root, "layers", 1, &layers);
  if (!s) s = object(c, root, "groups", 1, &groups);
  if (s) return s;
  a->layers = calloc((size_t)cJSON_GetArraySize(layers) + 1, sizeof *a->layers);
  a->groups = calloc((size_t)cJSON_GetArraySize(groups) + 1, sizeof *a->groups);
  if (!a->layers || !a->groups) return sp_fail(SP_ERR_RUNTIME, "%s: out of memory", c->file);
  cJSON_ArrayForEach(item, layers) {
    snprintf(c->where, sizeof c->where, "layers[%d]", a->n_layers);
    if ((s = read_layer(c, item, a, &a->layers[a->n_layers++]))) return s;
  }
  cJSON_ArrayForEach(item, groups) {
    snprintf(c->where, sizeof c->where, "groups[%d]", a->n_groups);
    if ((s = read_group(c, item, a, &a->groups[a->n_groups++]))) return s;
  }
  return SP_OK;
}

static sp_status read_root(ctx *c, const cJSON *root, sp_accuracy *a) {
  char format[64];
  int version = 0;
  if (!cJSON_IsObject(root)) return bad(c, "(top level)", "expected an object");
  sp_status s = string(c, root, "format", format, sizeof format);
  if (!s && strcmp(format, SP_ACCURACY_FORMAT))
    s = bad(c, "format", "'%s' is not %s", format, SP_ACCURACY_FORMAT);
  if (!s) s = integer(c, root, "version", 0, 1 << 30, &version);
  if (!s && version != SP_ACCURACY_VERSION)
    s = bad(c, "version", "%d is not supported (this stackplan reads version %d)", version,
            SP_ACCURACY_VERSION);
  if (!s) s = string(c, root, "created", a->created, sizeof a->created);
  if (!s) s = string(c, root, "source", a->source, sizeof a->source);
  if (!s && strcmp(a->source, "measured") && strcmp(a->source, "user"))
    s = bad(c, "source", "'%s' is neither measured nor user", a->source);
  if (!s) s = read_model(c, root, a);
  if (!s) s = read_data(c, root, a);
  if (!s) s = read_entries(c, root, a);
  return s;
}

/* Validates root (read from `path`) into out and deletes it. */
static sp_status load_root(const char *path, cJSON *root, sp_accuracy *out) {
  ctx c = {.file = path};
  sp_status s = read_root(&c, root, out);
  cJSON_Delete(root);
  if (s) sp_accuracy_free(out);
  return s;
}

sp_status sp_accuracy_load(const char *path, sp_accuracy *out) {
  memset(out, 0, sizeof *out);
  cJSON *root = NULL;
  sp_status s = sp_json_read_file(path, &root);
  return s ? s : load_root(path, root, out);
}

sp_status sp_accuracy_load_buffer(const void *data, size_t len, const char *name,
                                  sp_accuracy *out) {
  memset(out, 0, sizeof *out);
  cJSON *root = NULL;
  sp_status s = sp_json_parse(data, len, name, &root);
  return s ? s : load_root(name, root, out);
}
