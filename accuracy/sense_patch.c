/* Compressed copies of a graph that share every unchanged array with the
 * original (sense_internal.h): one copy per option stays small, since an
 * option changes one layer or one channel group. */
#include <stdlib.h>
#include <string.h>

#include "engine/compress/compress.h"
#include "engine/graph/graph_clone.h"
#include "accuracy/sense_internal.h"

static int same_floats(const float *a, const float *b, size_t n) {
  if (!a || !b) return a == b;
  return !memcmp(a, b, n * sizeof *a);
}

static int same_dims(sp_dims a, sp_dims b) { return a.c == b.c && a.h == b.h && a.w == b.w; }

/* Whether node i computes the same function in both graphs: same shapes in
 * and out, same weights, bias and batch-norm values (bit patterns). */
static int same_node(const sp_graph *ga, const sp_graph *gb, int i) {
  const sp_node *a = &ga->nodes[i], *b = &gb->nodes[i];
  if (!same_dims(a->out, b->out) || a->units != b->units || a->groups != b->groups) return 0;
  for (int j = 0; j < a->n_inputs; j++)
    if (!same_dims(sp_node_in(ga, a, j), sp_node_in(gb, b, j))) return 0;
  size_t count = sp_node_weight_count(ga, a);
  if (count != sp_node_weight_count(gb, b) || !same_floats(a->weight, b->weight, count) ||
      !same_floats(a->bias, b->bias, (size_t)a->units))
    return 0;
  size_t c = a->op == SP_OP_BATCHNORM ? (size_t)a->out.c : 0;
  return same_floats(a->bn_gamma, b->bn_gamma, c) && same_floats(a->bn_beta, b->bn_beta, c) &&
         same_floats(a->bn_mean, b->bn_mean, c) && same_floats(a->bn_var, b->bn_var, c);
}

/* Replaces node d's arrays by those of the original's node o. */
static void borrow(sp_node *d, const sp_node *o) {
  free(d->weight), free(d->bias);
  free(d->bn_gamma), free(d->bn_beta), free(d->bn_mean), free(d->bn_var);
  d->weight = o->weight, d->bias = o->bias;
  d->bn_gamma = o->bn_gamma, d->bn_beta = o->bn_beta;
  d->bn_mean = o->bn_mean, d->bn_var = o->bn_var;
}

static size_t own_bytes(const sp_graph *g, const sp_node *n) {
  size_t c = n->op == SP_OP_BATCHNORM ? 4 * (size_t)n->out.c : 0;
  return (sp_node_weight_count(g, n) + (n->bias ? (size_t)n->units : 0) + c) * sizeof(float);
}

/* Compares the copy with the original node by node: shares what is equal,
 * marks what differs and everything that reads it as dirty. */
static sp_status share_unchanged(const sp_graph *base, sense_patch *p) {
  sp_graph *g = p->g;
  if (g->n_nodes != base->n_nodes)
    return sp_fail(SP_ERR_RUNTIME, "compression changed the node count of %s", base->name);
  p->first_dirty = g->n_nodes;
  for (int i = 1; i < g->n_nodes; i++) {
    sp_node *n = &g->nodes[i];
    if (sp_dims_count(n->out) > sp_dims_count(base->nodes[i].out))
      return sp_fail(SP_ERR_RUNTIME, "compression grew the output of %s", n->name);
    int changed = !same_node(base, g, i);
    if (changed) {
      p->bytes += own_bytes(g, n);
    } else {
      borrow(n, &base->nodes[i]);
      p->borrowed[i] = 1;
    }
    p->dirty[i] = (unsigned char)changed;
    for (int j = 0; j < n->n_inputs; j++) p->dirty[i] |= p->dirty[n->inputs[j]];
    if (p->dirty[i] && i < p->first_dirty) p->first_dirty = i;
    if (n->op == SP_OP_CONV2D || n->op == SP_OP_FC) {
      size_t count = sp_node_weight_count(g, n);
      p->weights += (int64_t)count;
      for (size_t k = 0; n->weight && k < count; k++) p->zeros += n->weight[k] == 0.0f;
    }
  }
  return SP_OK;
}

sp_status sense_patch_build(const sp_graph *base, const sense_kernels *base_kernels,
                            const char *spec, int threads, sense_patch *out) {
  memset(out, 0, sizeof *out);
  sp_status s = sp_graph_clone(base, &out->g);
  if (!s) s = sp_compression_apply(out->g, spec);
  if (!s) {
    out->borrowed = calloc((size_t)base->n_nodes, 1);
    out->dirty = calloc((size_t)base->n_nodes, 1);
    if (!out->borrowed || !out->dirty)
      s = sp_fail(SP_ERR_RUNTIME, "out of memory for compression '%s'", spec);
  }
  if (!s) s = share_unchanged(base, out);
  /* unchanged nodes keep the original's kernels and prepared weights */
  if (!s) s = sense_kernels_init(out->g, threads, base_kernels, out->borrowed, &out->kernels);
  if (s) {
    sense_patch_free(out);
    return s;
  }
  out->bytes += out->kernels.bytes;
  return SP_OK;
}

void sense_patch_free(sense_patch *p) {
  if (p->g) {
    if (p->kernels.variant) sense_kernels_free(p->g, &p->kernels);
    for (int i = 0; p->borrowed && i < p->g->n_nodes; i++) {
      if (!p->borrowed[i]) continue;
      sp_node *n = &p->g->nodes[i];
      n->weight = n->bias = n->bn_gamma = n->bn_beta = n->bn_mean = n->bn_var = NULL;
    }
    sp_graph_free(p->g);
  }
  free(p->borrowed);
  free(p->dirty);
  memset(p, 0, sizeof *p);
}
