/* Channel groups by union-find over the node outputs (channel_groups.h). */
#include "engine/graph/channel_groups.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sp_channel_is_depthwise(const sp_graph *g, const sp_node *n) {
  if (n->op != SP_OP_CONV2D || n->groups <= 1) return 0;
  int cin = sp_node_in(g, n, 0).c;
  return n->groups == cin && n->units == cin;
}

/* Whether node n's output carries its input's channels (joins their groups). */
static int passes_channels(const sp_graph *g, const sp_node *n) {
  switch (n->op) {
    case SP_OP_BATCHNORM:
    case SP_OP_RELU:
    case SP_OP_RELU6:
    case SP_OP_CLIP:
    case SP_OP_MAXPOOL:
    case SP_OP_AVGPOOL:
    case SP_OP_GLOBAL_AVGPOOL:
    case SP_OP_FLATTEN:
    case SP_OP_SOFTMAX:
    case SP_OP_ADD: return 1;
    case SP_OP_CONV2D: return sp_channel_is_depthwise(g, n);
    default: return 0;
  }
}

static int find_root(int *parent, int i) {
  while (parent[i] != i) i = parent[i] = parent[parent[i]];
  return i;
}

static void join(int *parent, int a, int b) {
  a = find_root(parent, a);
  b = find_root(parent, b);
  if (a != b) parent[a > b ? a : b] = a < b ? a : b; /* the earlier node is the root */
}

int sp_channel_group_of_input(const sp_channel_groups *cg, const sp_graph *g, int node) {
  return node > 0 && node < cg->n_nodes ? cg->group_of[g->nodes[node].inputs[0]] : -1;
}

int sp_channel_keep_count(int channels, double keep) {
  long r = (long)floor(keep * channels + 0.5);
  long n = 4 * ((r + 2) / 4);
  if (n < 4) n = 4;
  return n > channels ? channels : (int)n;
}

/* Records the first reason a group may not be pruned. */
static void forbid(sp_channel_group *gr, const char *fmt, const char *layer) {
  if (!gr->prunable) return;
  gr->prunable = 0;
  snprintf(gr->why_not, sizeof gr->why_not, fmt, layer);
}

/* Checks the pruning conditions of group gr (channel_groups.h). */
static void judge(const sp_graph *g, sp_channel_group *gr) {
  for (int i = 0; i < gr->n_members; i++) {
    const sp_node *n = &g->nodes[gr->members[i]];
    if (gr->members[i] == 0) forbid(gr, "it holds the network %s", "input");
    if (gr->members[i] == g->output) forbid(gr, "it holds the graph output (layer %s)", n->name);
    if (n->op == SP_OP_ADD) forbid(gr, "it is joined by the residual add %s", n->name);
    if (n->op == SP_OP_SOFTMAX) forbid(gr, "it feeds the softmax %s", n->name);
    if (n->out.c % gr->channels)
      forbid(gr, "layer %s's width is not a multiple of the group's channels", n->name);
    if (sp_channel_is_depthwise(g, n) && sp_node_in(g, n, 0).c != gr->channels)
      forbid(gr, "the depthwise conv %s reads a flattened tensor", n->name);
  }
  for (int i = 0; i < gr->n_producers; i++) {
    const sp_node *n = &g->nodes[gr->producers[i]];
    if (n->op == SP_OP_CONV2D && n->groups != 1)
      forbid(gr, "it is produced by the grouped convolution %s", n->name);
    if (n->units != gr->channels)
      forbid(gr, "its producer %s has more outputs than the group's channels", n->name);
  }
  for (int i = 0; i < gr->n_consumers; i++) {
    const sp_node *n = &g->nodes[gr->consumers[i]];
    if (n->op == SP_OP_CONV2D && n->groups != 1)
      forbid(gr, "it is read by the grouped convolution %s", n->name);
  }
}

/* Appends v to a list of capacity n_nodes. */
static void push(int *list, int *count, int v) { list[(*count)++] = v; }

sp_status sp_channel_groups_compute(const sp_graph *g, sp_channel_groups *out) {
  memset(out, 0, sizeof *out);
  int n = g->n_nodes;
  int *parent = malloc((size_t)n * sizeof *parent);
  out->group_of = malloc((size_t)n * sizeof *out->group_of);
  out->groups = calloc((size_t)n, sizeof *out->groups); /* at most one group a node */
  out->n_nodes = n;
  if (!parent || !out->group_of || !out->groups) goto oom;
  for (int i = 0; i < n; i++) parent[i] = i;
  for (int i = 1; i < n; i++) {
    const sp_node *node = &g->nodes[i];
    if (!passes_channels(g, node)) continue;
    for (int j = 0; j < node->n_inputs; j++) join(parent, i, node->inputs[j]);
  }
  /* number the groups in order of their first member (the root) */
  for (int i = 0; i < n; i++) {
    int root = find_root(parent, i);
    if (root == i) {
      sp_channel_group *gr = &out->groups[out->n_groups];
      gr->id = out->n_groups++;
      gr->prunable = 1;
      gr->channels = g->nodes[i].out.c;
      gr->members = malloc((size_t)n * sizeof(int));
      gr->producers = malloc((size_t)n * sizeof(int));
      gr->consumers = malloc((size_t)n * sizeof(int));
      if (!gr->members || !gr->producers || !gr->consumers) goto oom;
      out->group_of[i] = gr->id;
    } else {
      out->group_of[i] = out->group_of[root]; /* root < i: already numbered */
    }
  }
  for (int i = 0; i < n; i++) {
    const sp_node *node = &g->nodes[i];
    sp_channel_group *gr = &out->groups[out->group_of[i]];
    push(gr->members, &gr->n_members, i);
    if (node->out.c < gr->channels) gr->channels = node->out.c;
    if (i > 0 && !passes_channels(g, node)) { /* a conv2d or fc: starts its own group */
      push(gr->producers, &gr->n_producers, i);
      sp_channel_group *in = &out->groups[out->group_of[node->inputs[0]]];
      push(in->consumers, &in->n_consumers, i);
    }
  }
  for (int k = 0; k < out->n_groups; k++) {
    sp_channel_group *gr = &out->groups[k];
    const char *name = gr->n_producers ? g->nodes[gr->producers[0]].name
                                       : g->nodes[gr->members[0]].name;
    snprintf(gr->name, sizeof gr->name, "%s", name);
    judge(g, gr);
  }
  free(parent);
  return SP_OK;
oom:
  free(parent);
  sp_channel_groups_free(out);
  return sp_fail(SP_ERR_RUNTIME, "out of memory computing the channel groups of %s", g->name);
}

void sp_channel_groups_free(sp_channel_groups *cg) {
  if (!cg) return;
  for (int k = 0; cg->groups && k < cg->n_groups; k++) {
    free(cg->groups[k].members);
    free(cg->groups[k].producers);
    free(cg->groups[k].consumers);
  }
  free(cg->groups);
  free(cg->group_of);
  memset(cg, 0, sizeof *cg);
}
