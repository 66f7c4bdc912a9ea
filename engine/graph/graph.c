#include "engine/graph/graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_names[SP_OP_COUNT] = {
    [SP_OP_INPUT] = "input",       [SP_OP_CONV2D] = "conv2d",
    [SP_OP_BATCHNORM] = "batchnorm", [SP_OP_RELU] = "relu",
    [SP_OP_RELU6] = "relu6",       [SP_OP_MAXPOOL] = "maxpool",
    [SP_OP_AVGPOOL] = "avgpool",   [SP_OP_GLOBAL_AVGPOOL] = "global_avgpool",
    [SP_OP_FC] = "fc",             [SP_OP_ADD] = "add",
    [SP_OP_FLATTEN] = "flatten",   [SP_OP_SOFTMAX] = "softmax",
    [SP_OP_CLIP] = "clip",
};

const char *sp_op_name(sp_op op) { return (op >= 0 && op < SP_OP_COUNT) ? op_names[op] : "?"; }

const char *sp_act_name(sp_act act) {
  switch (act) {
    case SP_ACT_RELU: return "relu";
    case SP_ACT_RELU6: return "relu6";
    default: return "none";
  }
}

sp_status sp_graph_create(const char *name, sp_dims input, sp_graph **out) {
  *out = NULL;
  if (input.c <= 0 || input.h <= 0 || input.w <= 0)
    return sp_fail(SP_ERR_INPUT, "%s: input shape %dx%dx%d must be positive", name, input.c,
                   input.h, input.w);
  sp_graph *g = calloc(1, sizeof *g);
  if (!g) return sp_fail(SP_ERR_RUNTIME, "out of memory creating graph %s", name);
  snprintf(g->name, sizeof g->name, "%s", name);
  g->input = input;
  g->cap_nodes = 64;
  g->nodes = calloc((size_t)g->cap_nodes, sizeof *g->nodes);
  if (!g->nodes) {
    free(g);
    return sp_fail(SP_ERR_RUNTIME, "out of memory creating graph %s", name);
  }
  sp_node *in = &g->nodes[0];
  snprintf(in->name, sizeof in->name, "input");
  in->op = SP_OP_INPUT;
  in->out = input;
  g->n_nodes = 1;
  g->output = 0;
  *out = g;
  return SP_OK;
}

void sp_node_free_data(sp_node *n) {
  free(n->weight);
  free(n->bias);
  free(n->bn_gamma);
  free(n->bn_beta);
  free(n->bn_mean);
  free(n->bn_var);
}

void sp_graph_free(sp_graph *g) {
  if (!g) return;
  for (int i = 0; i < g->n_nodes; i++) sp_node_free_data(&g->nodes[i]);
  free(g->nodes);
  free(g);
}

/* Output extent of a sliding window; <= 0 when the window does not fit. */
static int window_extent(int in, int k, int stride, int pad_lo, int pad_hi) {
  int span = in + pad_lo + pad_hi - k;
  return span < 0 ? 0 : span / stride + 1;
}

static sp_status check_window(const sp_node *n, sp_dims in) {
  const sp_window *w = &n->win;
  if (w->kh <= 0 || w->kw <= 0 || w->sh <= 0 || w->sw <= 0 || w->pt < 0 || w->pl < 0 ||
      w->pb < 0 || w->pr < 0)
    return sp_fail(SP_ERR_INPUT, "node %s: kernel, stride must be positive and padding >= 0",
                   n->name);
  if (n->op != SP_OP_CONV2D &&
      (w->pt >= w->kh || w->pb >= w->kh || w->pl >= w->kw || w->pr >= w->kw))
    return sp_fail(SP_ERR_INPUT, "node %s: pooling padding must be smaller than the kernel",
                     n->name);
  if (window_extent(in.h, w->kh, w->sh, w->pt, w->pb) <= 0 ||
      window_extent(in.w, w->kw, w->sw, w->pl, w->pr) <= 0)
    return sp_fail(SP_ERR_INPUT, "node %s: %dx%d window does not fit input %dx%dx%d", n->name,
                   w->kh, w->kw, in.c, in.h, in.w);
  return SP_OK;
}

static sp_dims window_out(const sp_node *n, sp_dims in, int channels) {
  const sp_window *w = &n->win;
  return (sp_dims){channels, window_extent(in.h, w->kh, w->sh, w->pt, w->pb),
                   window_extent(in.w, w->kw, w->sw, w->pl, w->pr)};
}

sp_status sp_node_infer_shape(const sp_graph *g, sp_node *n) {
  int want_inputs = n->op == SP_OP_ADD ? 2 : 1;
  if (n->op == SP_OP_INPUT) return sp_fail(SP_ERR_INPUT, "node %s: only node 0 is an input", n->name);
  if (n->op < 0 || n->op >= SP_OP_COUNT) return sp_fail(SP_ERR_INPUT, "node %s: unknown op", n->name);
  if (n->n_inputs != want_inputs)
    return sp_fail(SP_ERR_INPUT, "node %s: %s takes %d input(s), got %d", n->name,
                   sp_op_name(n->op), want_inputs, n->n_inputs);
  for (int i = 0; i < n->n_inputs; i++)
    if (n->inputs[i] < 0 || n->inputs[i] >= g->n_nodes)
      return sp_fail(SP_ERR_INPUT, "node %s: input %d refers to no earlier node", n->name, i);
  sp_dims in = sp_node_in(g, n, 0);
  switch (n->op) {
    case SP_OP_CONV2D: {
      sp_status s = check_window(n, in);
      if (s) return s;
      if (n->groups <= 0 || n->units <= 0 || in.c % n->groups || n->units % n->groups)
        return sp_fail(SP_ERR_INPUT,
                       "node %s: %d input and %d output channels are not divisible by %d groups",
                       n->name, in.c, n->units, n->groups);
      n->out = window_out(n, in, n->units);
      return SP_OK;
    }
    case SP_OP_MAXPOOL:
    case SP_OP_AVGPOOL: {
      sp_status s = check_window(n, in);
      if (s) return s;
      n->out = window_out(n, in, in.c);
      return SP_OK;
    }
    case SP_OP_GLOBAL_AVGPOOL: n->out = (sp_dims){in.c, 1, 1}; return SP_OK;
    case SP_OP_FC:
      if (n->units <= 0) return sp_fail(SP_ERR_INPUT, "node %s: fc needs units > 0", n->name);
      n->out = (sp_dims){n->units, 1, 1};
      return SP_OK;
    case SP_OP_FLATTEN: n->out = (sp_dims){(int)sp_dims_count(in), 1, 1}; return SP_OK;
    case SP_OP_ADD: {
      sp_dims b = sp_node_in(g, n, 1);
      if (b.c != in.c || b.h != in.h || b.w != in.w)
        return sp_fail(SP_ERR_INPUT, "node %s: cannot add %dx%dx%d and %dx%dx%d", n->name, in.c,
                       in.h, in.w, b.c, b.h, b.w);
      n->out = in;
      return SP_OK;
    }
    default: n->out = in; return SP_OK; /* batchnorm, relu, relu6, softmax, clip */
  }
}

sp_status sp_graph_add(sp_graph *g, const sp_node *node, int *index) {
  if (g->n_nodes == g->cap_nodes) {
    int cap = g->cap_nodes * 2;
    sp_node *grown = realloc(g->nodes, (size_t)cap * sizeof *grown);
    if (!grown) return sp_fail(SP_ERR_RUNTIME, "out of memory adding node %s", node->name);
    g->nodes = grown;
    g->cap_nodes = cap;
  }
  sp_node *n = &g->nodes[g->n_nodes];
  *n = *node;
  sp_status s = sp_node_infer_shape(g, n);
  if (s) {
    memset(n, 0, sizeof *n); /* weights stay with the caller on failure */
    return s;
  }
  if (index) *index = g->n_nodes;
  g->output = g->n_nodes++;
  return SP_OK;
}

static sp_node node_init(const char *name, sp_op op, int input) {
  sp_node n;
  memset(&n, 0, sizeof n);
  snprintf(n.name, sizeof n.name, "%s", name);
  n.op = op;
  n.n_inputs = 1;
  n.inputs[0] = input;
  return n;
}

static sp_status add_owning(sp_graph *g, sp_node *n, int *index) {
  sp_status s = sp_graph_add(g, n, index);
  if (s) sp_node_free_data(n);
  return s;
}

static float *zeros(size_t count) { return calloc(count ? count : 1, sizeof(float)); }

sp_status sp_graph_add_conv(sp_graph *g, const char *name, int input, int cout, int k,
                            int stride, int pad, int groups, int with_bias, int *index) {
  if (input < 0 || input >= g->n_nodes)
    return sp_fail(SP_ERR_INPUT, "node %s: input refers to no earlier node", name);
  sp_node n = node_init(name, SP_OP_CONV2D, input);
  n.win = (sp_window){k, k, stride, stride, pad, pad, pad, pad};
  n.groups = groups;
  n.units = cout;
  int cin = g->nodes[input].out.c;
  if (groups <= 0 || cout <= 0 || k <= 0 || cin % groups)
    return sp_fail(SP_ERR_INPUT, "node %s: bad conv (cin %d, cout %d, k %d, groups %d)", name, cin,
                   cout, k, groups);
  size_t wcount = (size_t)cout * (size_t)(cin / groups) * (size_t)k * (size_t)k;
  n.weight = g->shapes_only ? NULL : zeros(wcount);
  n.bias = with_bias && !g->shapes_only ? zeros((size_t)cout) : NULL;
  n.params = (int64_t)wcount + (with_bias ? cout : 0);
  if (!g->shapes_only && (!n.weight || (with_bias && !n.bias))) {
    sp_node_free_data(&n);
    return sp_fail(SP_ERR_RUNTIME, "out of memory for the weights of %s", name);
  }
  return add_owning(g, &n, index);
}

sp_status sp_graph_add_batchnorm(sp_graph *g, const char *name, int input, int *index) {
  if (input < 0 || input >= g->n_nodes)
    return sp_fail(SP_ERR_INPUT, "node %s: input refers to no earlier node", name);
  sp_node n = node_init(name, SP_OP_BATCHNORM, input);
  size_t c = (size_t)g->nodes[input].out.c;
  n.bn_gamma = zeros(c);
  n.bn_beta = zeros(c);
  n.bn_mean = zeros(c);
  n.bn_var = zeros(c);
  n.bn_eps = 1e-5f;
  n.params = 2 * (int64_t)c; /* gamma and beta are trainable; statistics are not */
  if (!n.bn_gamma || !n.bn_beta || !n.bn_mean || !n.bn_var) {
    sp_node_free_data(&n);
    return sp_fail(SP_ERR_RUNTIME, "out of memory for batch norm %s", name);
  }
  for (size_t i = 0; i < c; i++) n.bn_gamma[i] = n.bn_var[i] = 1.0f;
  return add_owning(g, &n, index);
}

sp_status sp_graph_add_simple(sp_graph *g, const char *name, sp_op op, int input, int *index) {
  sp_node n = node_init(name, op, input);
  return sp_graph_add(g, &n, index);
}

sp_status sp_graph_add_pool(sp_graph *g, const char *name, sp_op op, int input, int k,
                            int stride, int pad, int *index) {
  sp_node n = node_init(name, op, input);
  n.win = (sp_window){k, k, stride, stride, pad, pad, pad, pad};
  n.count_include_pad = 1;
  return sp_graph_add(g, &n, index);
}

sp_status sp_graph_add_fc(sp_graph *g, const char *name, int input, int units, int *index) {
  if (input < 0 || input >= g->n_nodes)
    return sp_fail(SP_ERR_INPUT, "node %s: input refers to no earlier node", name);
  sp_node n = node_init(name, SP_OP_FC, input);
  n.units = units;
  size_t features = sp_dims_count(g->nodes[input].out);
  if (units <= 0) return sp_fail(SP_ERR_INPUT, "node %s: fc needs units > 0", name);
  n.weight = g->shapes_only ? NULL : zeros((size_t)units * features);
  n.bias = g->shapes_only ? NULL : zeros((size_t)units);
  n.params = (int64_t)units * (int64_t)features + units;
  if (!g->shapes_only && (!n.weight || !n.bias)) {
    sp_node_free_data(&n);
    return sp_fail(SP_ERR_RUNTIME, "out of memory for the weights of %s", name);
  }
  return add_owning(g, &n, index);
}

sp_status sp_graph_add_add(sp_graph *g, const char *name, int a, int b, int *index) {
  sp_node n = node_init(name, SP_OP_ADD, a);
  n.n_inputs = 2;
  n.inputs[1] = b;
  return sp_graph_add(g, &n, index);
}

int sp_graph_consumers(const sp_graph *g, int index) {
  int count = g->output == index;
  for (int i = index + 1; i < g->n_nodes; i++)
    for (int j = 0; j < g->nodes[i].n_inputs; j++) count += g->nodes[i].inputs[j] == index;
  return count;
}

size_t sp_node_weight_count(const sp_graph *g, const sp_node *n) {
  if (n->op == SP_OP_CONV2D)
    return (size_t)n->units * (size_t)(sp_node_in(g, n, 0).c / n->groups) * (size_t)n->win.kh *
           (size_t)n->win.kw;
  if (n->op == SP_OP_FC) return (size_t)n->units * sp_dims_count(sp_node_in(g, n, 0));
  return 0;
}

int64_t sp_node_macs(const sp_graph *g, const sp_node *n) {
  if (n->op == SP_OP_CONV2D)
    return (int64_t)sp_node_weight_count(g, n) * n->out.h * n->out.w;
  if (n->op == SP_OP_FC) return (int64_t)sp_node_weight_count(g, n);
  return 0;
}
