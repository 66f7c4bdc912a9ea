/* The importer's table of named values: a fixed-capacity array with a hash
 * index (the importer sizes it once from the model, so it never grows), and
 * use counts from a sorted list of every node input name. Hashing keeps big
 * or hostile files linear in time. */
#include <stdlib.h>
#include <string.h>

#include "engine/onnx/onnx_internal.h"

static size_t hash_name(const char *s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return (size_t)h;
}

onnx_value *onnx_find(onnx_ctx *c, const char *name) {
  if (!name || !c->n_slots) return NULL;
  for (size_t k = hash_name(name) & (c->n_slots - 1);; k = (k + 1) & (c->n_slots - 1)) {
    int v = c->slots[k];
    if (v < 0) return NULL;
    if (!strcmp(c->vals[v].name, name)) return &c->vals[v];
  }
}

static void value_free(onnx_value *v) {
  if (!v->owned) return;
  free(v->f);
  free(v->i);
  v->f = NULL;
  v->i = NULL;
}

sp_status onnx_define(onnx_ctx *c, const onnx_value *v) {
  onnx_value copy = *v;
  if (!copy.name || !*copy.name) {
    value_free(&copy);
    return onnx_err(c, "an output has an empty name");
  }
  if (onnx_find(c, copy.name)) {
    value_free(&copy);
    return onnx_err(c, "value '%s' is defined twice", copy.name);
  }
  if (c->n_vals == c->cap_vals) { /* cannot happen: the table is sized from the model */
    value_free(&copy);
    return onnx_err(c, "too many values");
  }
  copy.uses = onnx_count_uses(c, copy.name);
  size_t k = hash_name(copy.name) & (c->n_slots - 1);
  while (c->slots[k] >= 0) k = (k + 1) & (c->n_slots - 1);
  c->slots[k] = c->n_vals;
  c->vals[c->n_vals++] = copy;
  return SP_OK;
}

static const char *output_name(const onnx_ctx *c, int i) {
  const Onnx__NodeProto *n = c->node;
  return (size_t)i < n->n_output ? n->output[i] : NULL;
}

sp_status onnx_define_act(onnx_ctx *c, int i, int node, int rank, int nonneg) {
  onnx_value v = {.name = output_name(c, i), .kind = ONNX_ACT, .node = node, .rank = rank,
                  .nonneg = nonneg};
  return onnx_define(c, &v);
}

sp_status onnx_define_alias(onnx_ctx *c, const onnx_value *src) {
  onnx_value v = *src;
  v.name = output_name(c, 0);
  v.owned = 0;
  v.alias = 1;
  return onnx_define(c, &v);
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int onnx_count_uses(const onnx_ctx *c, const char *name) {
  const char *key = name;
  const char **hit = bsearch(&key, c->use_names, c->n_use_names, sizeof *c->use_names,
                             compare_names);
  if (!hit) return 0;
  size_t lo = (size_t)(hit - c->use_names), hi = lo;
  while (lo > 0 && !strcmp(c->use_names[lo - 1], name)) lo--;
  while (hi + 1 < c->n_use_names && !strcmp(c->use_names[hi + 1], name)) hi++;
  return (int)(hi - lo + 1);
}

/* Sorts `names` (taken over) for onnx_count_uses. */
void onnx_set_use_names(onnx_ctx *c, const char **names, size_t n) {
  qsort(names, n, sizeof *names, compare_names);
  c->use_names = names;
  c->n_use_names = n;
}

void onnx_values_free(onnx_ctx *c) {
  for (int i = 0; i < c->n_vals; i++) value_free(&c->vals[i]);
  free(c->vals);
  free(c->slots);
  free(c->use_names);
  c->vals = NULL;
  c->slots = NULL;
  c->use_names = NULL;
  c->n_vals = c->cap_vals = 0;
  c->n_slots = 0;
}
