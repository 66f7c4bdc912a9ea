/* Helpers shared by the compression files (not part of the public API). */
#ifndef SP_COMPRESS_INTERNAL_H
#define SP_COMPRESS_INTERNAL_H

#include "engine/graph/graph.h"

/* SP_OK when `node` is a conv2d or fc holding weights; else SP_ERR_INPUT
 * "<what>: layer X (op) has no weights". */
static inline sp_status sp_compress_check_weights(const sp_graph *g, int node, const char *what) {
  if (node < 1 || node >= g->n_nodes)
    return sp_fail(SP_ERR_INPUT, "%s: node %d is not a layer of %s", what, node, g->name);
  const sp_node *n = &g->nodes[node];
  if ((n->op != SP_OP_CONV2D && n->op != SP_OP_FC) || !n->weight || !sp_node_weight_count(g, n))
    return sp_fail(SP_ERR_INPUT, "%s: layer %s (%s) has no weights", what, n->name,
                   sp_op_name(n->op));
  return SP_OK;
}

#endif
