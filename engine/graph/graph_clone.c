/* sp_graph_clone (graph_clone.h). */
#include "engine/graph/graph_clone.h"

#include <stdlib.h>
#include <string.h>

/* A copy of `count` floats of src on a cache line, or NULL when src is NULL;
 * sets *oom when the allocation fails. Some kernels sum in an order that
 * depends on where their weights start (fc_gemv aligns its loads to row 0):
 * aligned copies give every copy the same rounding. */
static float *copy_floats(const float *src, size_t count, int *oom) {
  if (!src) return NULL;
  size_t bytes = (count * sizeof *src + 63) / 64 * 64;
  float *dst = aligned_alloc(64, bytes ? bytes : 64);
  if (!dst) {
    *oom = 1;
    return NULL;
  }
  memcpy(dst, src, count * sizeof *dst);
  return dst;
}

sp_status sp_graph_clone(const sp_graph *g, sp_graph **out) {
  *out = NULL;
  sp_graph *c = malloc(sizeof *c);
  sp_node *nodes = calloc((size_t)g->cap_nodes, sizeof *nodes);
  if (!c || !nodes) {
    free(c);
    free(nodes);
    return sp_fail(SP_ERR_RUNTIME, "out of memory copying graph %s", g->name);
  }
  *c = *g;
  c->nodes = nodes;
  int oom = 0;
  for (int i = 0; i < g->n_nodes; i++) {
    const sp_node *n = &g->nodes[i];
    sp_node *d = &nodes[i];
    *d = *n;
    /* batch-norm arrays hold one value per channel of the node's output (its
     * input's: a batch norm keeps the shape) */
    size_t channels = n->op == SP_OP_BATCHNORM ? (size_t)n->out.c : 0;
    d->weight = copy_floats(n->weight, sp_node_weight_count(g, n), &oom);
    d->bias = copy_floats(n->bias, (size_t)n->units, &oom);
    d->bn_gamma = copy_floats(n->bn_gamma, channels, &oom);
    d->bn_beta = copy_floats(n->bn_beta, channels, &oom);
    d->bn_mean = copy_floats(n->bn_mean, channels, &oom);
    d->bn_var = copy_floats(n->bn_var, channels, &oom);
  }
  if (oom) {
    sp_graph_free(c);
    return sp_fail(SP_ERR_RUNTIME, "out of memory copying the weights of %s", g->name);
  }
  *out = c;
  return SP_OK;
}
