#include "engine/graph/model_info.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "3x3/1", or "3x1/1,2" when the window or stride is not square. */
static int describe_window(const sp_window *w, char *buf, size_t size) {
  if (w->sh == w->sw) return snprintf(buf, size, "%dx%d/%d", w->kh, w->kw, w->sh);
  return snprintf(buf, size, "%dx%d/%d,%d", w->kh, w->kw, w->sh, w->sw);
}

void sp_node_describe(const sp_graph *g, const sp_node *n, char *buf, size_t size) {
  char win[32] = "", groups[24] = "";
  if (n->op == SP_OP_CONV2D || n->op == SP_OP_MAXPOOL || n->op == SP_OP_AVGPOOL) {
    win[0] = ' ';
    describe_window(&n->win, win + 1, sizeof win - 1);
  }
  if (n->op == SP_OP_CONV2D && n->groups > 1) {
    int cin = sp_node_in(g, n, 0).c;
    if (n->groups == cin && n->units == cin) snprintf(groups, sizeof groups, " dw");
    else snprintf(groups, sizeof groups, " g%d", n->groups);
  }
  /* fused steps read as one suffix: " +bn+relu" */
  const char *act = n->act != SP_ACT_NONE ? sp_act_name(n->act) : "";
  snprintf(buf, size, "%s%s%s%s%s%s%s", sp_op_name(n->op), win, groups,
           n->bn_folded || *act ? " " : "", n->bn_folded ? "+bn" : "", *act ? "+" : "", act);
}

int64_t sp_node_weight_bytes(const sp_graph *g, const sp_node *n) {
  int64_t floats = (int64_t)sp_node_weight_count(g, n);
  if ((n->op == SP_OP_CONV2D || n->op == SP_OP_FC) && n->bias) floats += n->units;
  /* an unfolded batch norm reads gamma, beta, mean and variance */
  if (n->op == SP_OP_BATCHNORM) floats += 4 * (int64_t)n->out.c;
  return floats * (int64_t)sizeof(float);
}

sp_status sp_model_info_compute(const sp_graph *g, int batch, sp_model_info *out) {
  memset(out, 0, sizeof *out);
  out->largest_activation_layer = -1;
  if (batch < 1)
    return sp_fail(SP_ERR_INPUT, "model info of %s: batch %d must be >= 1", g->name, batch);
  snprintf(out->name, sizeof out->name, "%s", g->name);
  out->input = g->input;
  out->output = g->nodes[g->output].out;
  out->batch = batch;
  out->n_layers = g->n_nodes - 1;
  out->layers = calloc(out->n_layers > 0 ? (size_t)out->n_layers : 1, sizeof *out->layers);
  if (!out->layers) return sp_fail(SP_ERR_RUNTIME, "out of memory for the info of %s", g->name);
  for (int i = 1; i < g->n_nodes; i++) {
    const sp_node *n = &g->nodes[i];
    sp_layer_info *l = &out->layers[i - 1];
    l->node = i;
    snprintf(l->name, sizeof l->name, "%s", n->name);
    sp_node_describe(g, n, l->op, sizeof l->op);
    l->n_inputs = n->n_inputs;
    for (int j = 0; j < n->n_inputs; j++) l->in[j] = sp_node_in(g, n, j);
    l->out = n->out;
    l->params = n->params;
    l->macs = sp_node_macs(g, n);
    l->weight_bytes = sp_node_weight_bytes(g, n);
    l->activation_bytes = (int64_t)batch * (int64_t)sp_dims_count(n->out) * (int64_t)sizeof(float);
    out->params += l->params;
    out->macs += l->macs;
    out->weight_bytes += l->weight_bytes;
    out->activation_bytes += l->activation_bytes;
    if (l->activation_bytes > out->largest_activation_bytes) {
      out->largest_activation_bytes = l->activation_bytes;
      out->largest_activation_layer = i - 1;
    }
  }
  return SP_OK;
}

void sp_model_info_free(sp_model_info *info) {
  if (!info) return;
  free(info->layers);
  info->layers = NULL;
  info->n_layers = 0;
}
