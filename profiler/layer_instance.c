/* Keep levels of channel groups and one-layer instance graphs (layer_instance.h). */
#include "profiler/layer_instance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/compress/compress.h"

const char *sp_weight_compression_name(sp_weight_compression kind) {
  switch (kind) {
    case SP_WEIGHTS_PRUNE: return "prune";
    case SP_WEIGHTS_TERNARY: return "ternary";
    default: return "none";
  }
}

sp_compression_item sp_weight_compression_item(const char *layer, sp_compress_choice c) {
  sp_compression_item it = {.kind = c.kind == SP_WEIGHTS_PRUNE ? SP_COMPRESS_PRUNE : SP_COMPRESS_TERNARY,
                            .rate = c.rate};
  snprintf(it.layer, sizeof it.layer, "%s", layer);
  snprintf(it.text, sizeof it.text, "layer %s %s %g", layer, sp_weight_compression_name(c.kind), c.rate);
  return it;
}

void sp_keep_table_free(sp_keep_table *t) {
  for (int g = 0; t->groups && g < t->n_groups; g++)
    for (int l = 0; l < t->groups[g].n_levels; l++) free(t->groups[g].kept[l]);
  free(t->groups);
  memset(t, 0, sizeof *t);
}

static sp_status add_level(const sp_graph *g, const sp_channel_group *gr, sp_keep_levels *lv,
                           double keep) {
  int count = keep >= 1.0 ? gr->channels : sp_channel_keep_count(gr->channels, keep);
  for (int l = 0; l < lv->n_levels; l++)
    if (lv->count[l] == count) return SP_OK; /* the same channels as a level before */
  int *kept = malloc((size_t)gr->channels * sizeof *kept), n = 0;
  if (!kept) return sp_fail(SP_ERR_RUNTIME, "out of memory for the keep levels of %s", gr->name);
  sp_status s = SP_OK;
  if (keep >= 1.0)
    for (n = 0; n < gr->channels; n++) kept[n] = n;
  else
    s = sp_compress_keep_select(g, gr->members[0], keep, kept, &n);
  if (s) {
    free(kept);
    return s;
  }
  lv->keep[lv->n_levels] = keep;
  lv->count[lv->n_levels] = n;
  lv->kept[lv->n_levels++] = kept;
  return SP_OK;
}

sp_status sp_keep_table_build(const sp_graph *g, const sp_channel_groups *cg, const double *grid,
                              int n_grid, sp_keep_table *out) {
  memset(out, 0, sizeof *out);
  if (n_grid > SP_MAX_KEEP - 1)
    return sp_fail(SP_ERR_INPUT, "at most %d channel keep fractions, got %d", SP_MAX_KEEP - 1,
                   n_grid);
  for (int i = 0; i < n_grid; i++)
    if (!(grid[i] > 0 && grid[i] < 1))
      return sp_fail(SP_ERR_INPUT, "channel keep fraction %g out of range (0, 1)", grid[i]);
  out->groups = calloc((size_t)cg->n_groups, sizeof *out->groups);
  if (!out->groups) return sp_fail(SP_ERR_RUNTIME, "out of memory for the keep levels");
  out->n_groups = cg->n_groups;
  sp_status s = SP_OK;
  for (int gi = 0; gi < cg->n_groups && !s; gi++) {
    const sp_channel_group *gr = &cg->groups[gi];
    s = add_level(g, gr, &out->groups[gi], 1.0);
    for (int i = 0; i < n_grid && gr->prunable && !s; i++)
      s = add_level(g, gr, &out->groups[gi], grid[i]);
  }
  if (s) sp_keep_table_free(out);
  return s;
}

sp_dims sp_kept_dims(const sp_graph *g, const sp_channel_groups *cg, const sp_keep_table *kt,
                     int tensor, int level) {
  int gi = cg->group_of[tensor];
  sp_dims d = g->nodes[tensor].out;
  int per_channel = d.c / cg->groups[gi].channels; /* H*W for a flattened member, else 1 */
  d.c = kt->groups[gi].count[level] * per_channel;
  return d;
}

/* rows[no] x (ni blocks of bs) out of a row-major matrix of row length
 * row_len: out[r][a * bs + j] = w[rows[r]][cols[a] * bs + j]. */
static float *gather(const float *w, size_t row_len, const int *rows, int no, const int *cols,
                     int ni, int bs) {
  float *out = malloc((size_t)no * (size_t)ni * (size_t)bs * sizeof *out + 1);
  if (!out) return NULL;
  float *o = out;
  for (int r = 0; r < no; r++)
    for (int a = 0; a < ni; a++, o += bs)
      memcpy(o, w + (size_t)rows[r] * row_len + (size_t)cols[a] * bs, (size_t)bs * sizeof *o);
  return out;
}

static float *pick(const float *v, const int *idx, int n) {
  if (!v) return NULL;
  static const int zero = 0;
  return gather(v, 1, idx, n, &zero, 1, 1);
}

/* Fills the copy n's arrays with the kept rows (output channels) `ko` and
 * input channels `ki` of the source node src. */
static sp_status cut_weights(const sp_graph *g, const sp_node *src, sp_node *n, const int *ko,
                             int no, const int *ki, int ni, int per_channel) {
  int depthwise = sp_channel_is_depthwise(g, src);
  if (src->weight) {
    size_t row_len = sp_node_weight_count(g, src) / (size_t)src->units;
    static const int first = 0;
    int bs = src->op == SP_OP_FC ? per_channel : src->win.kh * src->win.kw;
    n->weight = depthwise ? gather(src->weight, row_len, ko, no, &first, 1, bs)
                          : gather(src->weight, row_len, ko, no, ki, ni, bs);
    if (!n->weight) return SP_ERR_RUNTIME;
  }
  const int *rows = src->op == SP_OP_BATCHNORM ? ki : ko;
  int nrows = src->op == SP_OP_BATCHNORM ? ni : no;
  n->bias = pick(src->bias, rows, nrows);
  n->bn_gamma = pick(src->bn_gamma, rows, nrows);
  n->bn_beta = pick(src->bn_beta, rows, nrows);
  n->bn_mean = pick(src->bn_mean, rows, nrows);
  n->bn_var = pick(src->bn_var, rows, nrows);
  if ((src->bias && !n->bias) || (src->bn_gamma && !n->bn_gamma) || (src->bn_beta && !n->bn_beta) ||
      (src->bn_mean && !n->bn_mean) || (src->bn_var && !n->bn_var))
    return SP_ERR_RUNTIME;
  if (src->op == SP_OP_CONV2D || src->op == SP_OP_FC) n->units = no;
  if (depthwise) n->groups = no;
  return SP_OK;
}

static sp_status check_levels(const sp_graph *g, const sp_channel_groups *cg,
                              const sp_keep_table *kt, int node, int level_in, int level_out) {
  const sp_node *src = &g->nodes[node];
  int gin = sp_channel_group_of_input(cg, g, node), gout = cg->group_of[node];
  if (level_in < 0 || level_in >= kt->groups[gin].n_levels || level_out < 0 ||
      level_out >= kt->groups[gout].n_levels)
    return sp_fail(SP_ERR_INPUT, "layer %s: keep level %d/%d out of range (%d/%d levels)",
                   src->name, level_in, level_out, kt->groups[gin].n_levels,
                   kt->groups[gout].n_levels);
  if (gin == gout && level_in != level_out)
    return sp_fail(SP_ERR_INPUT, "layer %s passes its channels through: keep in and out must be "
                   "equal", src->name);
  int grouped = src->op == SP_OP_CONV2D && src->groups > 1 && !sp_channel_is_depthwise(g, src);
  if (grouped && (level_in || level_out))
    return sp_fail(SP_ERR_INPUT, "layer %s: a grouped convolution keeps all its channels",
                   src->name);
  return SP_OK;
}

sp_status sp_layer_instance_build(const sp_graph *g, const sp_channel_groups *cg,
                                  const sp_keep_table *kt, int node, int level_in, int level_out,
                                  sp_compress_choice compression, sp_graph **out) {
  *out = NULL;
  if (node <= 0 || node >= g->n_nodes)
    return sp_fail(SP_ERR_INPUT, "%s: no layer %d", g->name, node);
  const sp_node *src = &g->nodes[node];
  sp_status s = check_levels(g, cg, kt, node, level_in, level_out);
  if (s) return s;
  if (compression.kind != SP_WEIGHTS_DENSE && !src->weight)
    return sp_fail(SP_ERR_INPUT, "layer %s (%s) has no weights to %s", src->name,
                   sp_op_name(src->op), sp_weight_compression_name(compression.kind));
  int gin = sp_channel_group_of_input(cg, g, node), gout = cg->group_of[node];
  sp_dims in = sp_kept_dims(g, cg, kt, src->inputs[0], level_in);
  int per_channel = sp_node_in(g, src, 0).c / cg->groups[gin].channels;
  sp_graph *inst = NULL;
  s = sp_graph_create(src->name, in, &inst);
  if (s) return s;

  sp_node n = *src;
  n.weight = n.bias = n.bn_gamma = n.bn_beta = n.bn_mean = n.bn_var = NULL;
  n.inputs[0] = n.inputs[1] = 0;
  n.sparsity = 0;
  n.ternary = 0;
  n.ternary_pos = n.ternary_neg = n.ternary_t = 0;
  const sp_keep_levels *li = &kt->groups[gin], *lo = &kt->groups[gout];
  if (cut_weights(g, src, &n, lo->kept[level_out], lo->count[level_out], li->kept[level_in],
                  li->count[level_in], per_channel)) {
    sp_node_free_data(&n);
    sp_graph_free(inst);
    return sp_fail(SP_ERR_RUNTIME, "layer %s: out of memory building its instance", src->name);
  }
  s = sp_graph_add(inst, &n, NULL);
  if (s) sp_node_free_data(&n);
  if (!s && compression.kind == SP_WEIGHTS_PRUNE) s = sp_compress_prune(inst, 1, compression.rate);
  if (!s && compression.kind == SP_WEIGHTS_TERNARY)
    s = sp_compress_ternary(inst, 1, compression.rate);
  if (s) {
    sp_graph_free(inst);
    return s;
  }
  *out = inst;
  return SP_OK;
}
