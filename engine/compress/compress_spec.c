/* Compression specs: "keep:conv3=0.5,prune:conv5=0.8,ternary:fc1" parsed,
 * checked against a graph, applied (engine/compress.h). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/graph/channel_groups.h"
#include "engine/compress/compress.h"

#define SPEC_FORMS "prune:LAYER=S, ternary:LAYER[=T] or keep:LAYER=K"

int sp_graph_find(const sp_graph *g, const char *name) {
  for (int i = 0; i < g->n_nodes; i++)
    if (!strcmp(g->nodes[i].name, name)) return i;
  return -1;
}

static const char *const kind_names[] = {"prune", "ternary", "keep"};
static const char *const option_names[] = {"sparsity", "threshold", "keep rate"};
static const char *const option_ranges[] = {"s in [0, 1)", "a finite t > 0", "k in (0, 1]"};

static int rate_ok(sp_compress_kind kind, double r) {
  switch (kind) {
    case SP_COMPRESS_PRUNE: return r >= 0.0 && r < 1.0;
    case SP_COMPRESS_TERNARY: return r > 0.0 && isfinite(r);
    default: return r > 0.0 && r <= 1.0;
  }
}

/* Parses one item of `len` characters. */
static sp_status parse_item(const char *text, size_t len, sp_compression_item *it) {
  memset(it, 0, sizeof *it);
  snprintf(it->text, sizeof it->text, "%.*s", (int)len, text);
  const char *colon = memchr(text, ':', len);
  if (!colon)
    return sp_fail(SP_ERR_INPUT, "compression item '%s': expected %s", it->text, SPEC_FORMS);
  size_t klen = (size_t)(colon - text);
  int kind = -1;
  for (int k = 0; k < 3; k++)
    if (strlen(kind_names[k]) == klen && !strncmp(text, kind_names[k], klen)) kind = k;
  if (kind < 0)
    return sp_fail(SP_ERR_INPUT, "compression item '%s': unknown kind '%.*s' (expected %s)",
                   it->text, (int)klen, text, SPEC_FORMS);
  it->kind = (sp_compress_kind)kind;
  const char *layer = colon + 1, *end = text + len, *eq = NULL;
  for (const char *p = layer; p < end; p++)
    if (*p == '=') eq = p;
  size_t llen = (size_t)((eq ? eq : end) - layer);
  if (llen == 0)
    return sp_fail(SP_ERR_INPUT, "compression item '%s': no layer named (expected %s)", it->text,
                   SPEC_FORMS);
  if (llen >= sizeof it->layer)
    return sp_fail(SP_ERR_INPUT, "compression item '%s': layer name longer than %d characters",
                   it->text, SP_NAME_MAX - 1);
  memcpy(it->layer, layer, llen);
  if (!eq) {
    if (it->kind != SP_COMPRESS_TERNARY)
      return sp_fail(SP_ERR_INPUT, "compression item '%s': layer %s has no %s (expected %s:%s)",
                     it->text, it->layer, option_names[kind], kind_names[kind],
                     it->kind == SP_COMPRESS_PRUNE ? "LAYER=S" : "LAYER=K");
    it->rate = SP_TERNARY_DEFAULT_T;
    return SP_OK;
  }
  char value[64];
  size_t vlen = (size_t)(end - eq - 1);
  snprintf(value, sizeof value, "%.*s", (int)vlen, eq + 1);
  char *stop = NULL;
  double r = vlen && vlen < sizeof value ? strtod(value, &stop) : 0.0;
  if (!stop || stop == value || *stop || isspace((unsigned char)value[0]))
    return sp_fail(SP_ERR_INPUT,
                   "compression item '%s': %s '%s' of layer %s is not a number (expected %s)",
                   it->text, option_names[kind], value, it->layer, option_ranges[kind]);
  if (!rate_ok(it->kind, r))
    return sp_fail(SP_ERR_INPUT, "compression item '%s': %s %g of layer %s out of range (expected %s)",
                   it->text, option_names[kind], r, it->layer, option_ranges[kind]);
  it->rate = r;
  return SP_OK;
}

sp_status sp_compression_parse(const char *spec, sp_compression *out) {
  memset(out, 0, sizeof *out);
  if (!spec || !*spec) return SP_OK;
  int cap = 1;
  for (const char *p = spec; *p; p++) cap += *p == ',';
  out->items = calloc((size_t)cap, sizeof *out->items);
  if (!out->items) return sp_fail(SP_ERR_RUNTIME, "out of memory parsing compression '%s'", spec);
  for (const char *item = spec;;) {
    const char *comma = strchr(item, ',');
    size_t len = comma ? (size_t)(comma - item) : strlen(item);
    sp_status s = len ? parse_item(item, len, &out->items[out->n_items])
                      : sp_fail(SP_ERR_INPUT, "compression '%s': empty item (expected %s)", spec,
                                SPEC_FORMS);
    if (s) {
      sp_compression_free(out);
      return s;
    }
    out->n_items++;
    if (!comma) break;
    item = comma + 1;
  }
  return SP_OK;
}

void sp_compression_free(sp_compression *c) {
  if (!c) return;
  free(c->items);
  memset(c, 0, sizeof *c);
}

/* The earlier item that conflicts with item i (same layer for weight
 * compression, same group for keep), or NULL. */
static const sp_compression_item *conflict(const sp_graph *g, const sp_channel_groups *cg,
                                           const sp_compression *c, int i) {
  const sp_compression_item *it = &c->items[i];
  int node = sp_graph_find(g, it->layer);
  for (int j = 0; j < i; j++) {
    const sp_compression_item *prev = &c->items[j];
    int prev_node = sp_graph_find(g, prev->layer);
    if (it->kind == SP_COMPRESS_KEEP && prev->kind == SP_COMPRESS_KEEP &&
        cg->group_of[node] == cg->group_of[prev_node])
      return prev;
    if (it->kind != SP_COMPRESS_KEEP && prev->kind != SP_COMPRESS_KEEP && node == prev_node)
      return prev;
  }
  return NULL;
}

sp_status sp_compression_check(const sp_graph *g, const sp_compression *c) {
  sp_channel_groups cg;
  sp_status s = sp_channel_groups_compute(g, &cg);
  for (int i = 0; !s && i < c->n_items; i++) {
    const sp_compression_item *it = &c->items[i];
    int node = sp_graph_find(g, it->layer);
    const sp_node *n = node >= 0 ? &g->nodes[node] : NULL;
    const sp_channel_group *gr = node >= 0 ? &cg.groups[cg.group_of[node]] : NULL;
    const sp_compression_item *prev = node >= 0 ? conflict(g, &cg, c, i) : NULL;
    if (!n)
      s = sp_fail(SP_ERR_INPUT, "compression item '%s': unknown layer %s in model %s", it->text,
                  it->layer, g->name);
    else if (it->kind != SP_COMPRESS_KEEP &&
             ((n->op != SP_OP_CONV2D && n->op != SP_OP_FC) || !n->weight))
      s = sp_fail(SP_ERR_INPUT, "compression item '%s': layer %s (%s) has no weights to %s",
                  it->text, it->layer, sp_op_name(n->op),
                  it->kind == SP_COMPRESS_PRUNE ? "prune" : "ternarise");
    else if (it->kind == SP_COMPRESS_KEEP && !gr->prunable)
      s = sp_fail(SP_ERR_INPUT,
                  "compression item '%s': the channel group of layer %s (%s) cannot be pruned: %s",
                  it->text, it->layer, gr->name, gr->why_not);
    else if (prev && it->kind == SP_COMPRESS_KEEP)
      s = sp_fail(SP_ERR_INPUT,
                  "compression item '%s': the channel group of layer %s (%s) is already pruned "
                  "by '%s'",
                  it->text, it->layer, gr->name, prev->text);
    else if (prev)
      s = sp_fail(SP_ERR_INPUT, "compression item '%s': layer %s is already compressed by '%s'",
                  it->text, it->layer, prev->text);
  }
  sp_channel_groups_free(&cg);
  return s;
}

sp_compression_item sp_compression_keep_item(const char *group, double keep) {
  sp_compression_item it = {.kind = SP_COMPRESS_KEEP, .rate = keep};
  snprintf(it.layer, sizeof it.layer, "%s", group);
  snprintf(it.text, sizeof it.text, "group %s keep %g", group, keep);
  return it;
}

sp_status sp_compression_apply_items(sp_graph *g, const sp_compression *c) {
  sp_status s = sp_compression_check(g, c);
  /* pass 0: channel pruning; pass 1: weight compression on the final shapes */
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; !s && i < c->n_items; i++) {
      const sp_compression_item *it = &c->items[i];
      if ((it->kind == SP_COMPRESS_KEEP) != (pass == 0)) continue;
      int node = sp_graph_find(g, it->layer);
      if (it->kind == SP_COMPRESS_KEEP) s = sp_compress_keep(g, node, it->rate);
      else if (it->kind == SP_COMPRESS_PRUNE) s = sp_compress_prune(g, node, it->rate);
      else s = sp_compress_ternary(g, node, it->rate);
    }
  return s;
}

sp_status sp_compression_apply(sp_graph *g, const char *spec) {
  sp_compression c;
  sp_status s = sp_compression_parse(spec, &c);
  if (!s) s = sp_compression_apply_items(g, &c);
  sp_compression_free(&c);
  return s;
}
