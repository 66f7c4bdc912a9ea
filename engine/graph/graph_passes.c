/* Load-time graph rewrites: batch-norm folding and activation fusion. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/graph/graph.h"

/* Removes node `victim`, whose single input takes its place for every
 * consumer, and renumbers the nodes after it. */
static void bypass_node(sp_graph *g, int victim) {
  int replacement = g->nodes[victim].inputs[0];
  sp_node *v = &g->nodes[victim];
  free(v->weight);
  free(v->bias);
  free(v->bn_gamma);
  free(v->bn_beta);
  free(v->bn_mean);
  free(v->bn_var);
  for (int i = victim + 1; i < g->n_nodes; i++) {
    sp_node *n = &g->nodes[i];
    for (int j = 0; j < n->n_inputs; j++) {
      if (n->inputs[j] == victim) n->inputs[j] = replacement;
      else if (n->inputs[j] > victim) n->inputs[j]--;
    }
  }
  if (g->output == victim) g->output = replacement;
  else if (g->output > victim) g->output--;
  memmove(&g->nodes[victim], &g->nodes[victim + 1],
          (size_t)(g->n_nodes - victim - 1) * sizeof *g->nodes);
  g->n_nodes--;
}

/* conv(x) * s + t with s = gamma / sqrt(var + eps), t = beta - mean * s. */
static sp_status fold_into_conv(const sp_graph *g, sp_node *conv, const sp_node *bn) {
  int cout = conv->units;
  if (!conv->bias) {
    conv->bias = calloc((size_t)cout, sizeof(float));
    if (!conv->bias) return sp_fail(SP_ERR_RUNTIME, "out of memory folding %s", bn->name);
  }
  size_t per_out = sp_node_weight_count(g, conv) / (size_t)cout;
  for (int o = 0; o < cout; o++) {
    float s = bn->bn_gamma[o] / sqrtf(bn->bn_var[o] + bn->bn_eps);
    for (size_t i = 0; i < per_out; i++) conv->weight[(size_t)o * per_out + i] *= s;
    conv->bias[o] = (conv->bias[o] - bn->bn_mean[o]) * s + bn->bn_beta[o];
  }
  conv->params += bn->params;
  conv->bn_folded = 1;
  return SP_OK;
}

sp_status sp_graph_fold_batchnorm(sp_graph *g) {
  for (int i = 1; i < g->n_nodes; i++) {
    sp_node *bn = &g->nodes[i];
    if (bn->op != SP_OP_BATCHNORM) continue;
    int p = bn->inputs[0];
    sp_node *conv = &g->nodes[p];
    if (conv->op != SP_OP_CONV2D || conv->act != SP_ACT_NONE || sp_graph_consumers(g, p) != 1)
      continue;
    sp_status s = fold_into_conv(g, conv, bn);
    if (s) return s;
    if (bn->act != SP_ACT_NONE) conv->act = bn->act;
    bypass_node(g, i);
    i--;
  }
  return SP_OK;
}

static int accepts_activation(sp_op op) {
  return op == SP_OP_CONV2D || op == SP_OP_FC || op == SP_OP_ADD || op == SP_OP_BATCHNORM;
}

sp_status sp_graph_fuse_activations(sp_graph *g) {
  for (int i = 1; i < g->n_nodes; i++) {
    sp_node *a = &g->nodes[i];
    if (a->op != SP_OP_RELU && a->op != SP_OP_RELU6) continue;
    int p = a->inputs[0];
    sp_node *prod = &g->nodes[p];
    if (!accepts_activation(prod->op) || prod->act != SP_ACT_NONE || sp_graph_consumers(g, p) != 1)
      continue;
    prod->act = a->op == SP_OP_RELU ? SP_ACT_RELU : SP_ACT_RELU6;
    bypass_node(g, i);
    i--;
  }
  return SP_OK;
}

sp_status sp_graph_optimize(sp_graph *g) {
  sp_status s = sp_graph_fold_batchnorm(g);
  return s ? s : sp_graph_fuse_activations(g);
}
