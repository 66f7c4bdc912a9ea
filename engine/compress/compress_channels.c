/* L1-norm channel pruning of one channel group (engine/compress.h): chooses
 * the channels to keep, then cuts the group's producers, its depthwise convs
 * and batch norms, and its consumers down to them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/graph/channel_groups.h"
#include "engine/compress/compress.h"

typedef struct ranked_channel {
  double l1;
  int channel;
} ranked_channel;

/* Larger L1 norm first, then the lower channel: a total order. */
static int by_norm(const void *pa, const void *pb) {
  const ranked_channel *a = pa, *b = pb;
  if (a->l1 != b->l1) return a->l1 > b->l1 ? -1 : 1;
  return (a->channel > b->channel) - (a->channel < b->channel);
}

static int ascending(const void *pa, const void *pb) {
  int a = *(const int *)pa, b = *(const int *)pb;
  return (a > b) - (a < b);
}

/* The group of `node`, checked for pruning at rate `keep`. */
static sp_status pruned_group(const sp_graph *g, const sp_channel_groups *cg, int node,
                              double keep, const sp_channel_group **out) {
  if (node < 0 || node >= g->n_nodes)
    return sp_fail(SP_ERR_INPUT, "keep: node %d is not a layer of %s", node, g->name);
  const char *layer = g->nodes[node].name;
  const sp_channel_group *gr = &cg->groups[cg->group_of[node]];
  if (!(keep > 0.0 && keep <= 1.0))
    return sp_fail(SP_ERR_INPUT, "keep: rate %g of layer %s out of range (expected (0, 1])", keep,
                   layer);
  if (!gr->prunable)
    return sp_fail(SP_ERR_INPUT, "keep: the channel group of layer %s (%s) cannot be pruned: %s",
                   layer, gr->name, gr->why_not);
  *out = gr;
  return SP_OK;
}

/* Ranks the group's channels by the L1 norm of their producers' filters and
 * writes the n_keep best, ascending, to kept. */
static sp_status select_channels(const sp_graph *g, const sp_channel_group *gr, int n_keep,
                                 int *kept) {
  int c_count = gr->channels;
  ranked_channel *rank = calloc((size_t)c_count, sizeof *rank);
  if (!rank) return sp_fail(SP_ERR_RUNTIME, "out of memory ranking the channels of %s", gr->name);
  for (int c = 0; c < c_count; c++) rank[c].channel = c;
  for (int p = 0; p < gr->n_producers; p++) {
    const sp_node *n = &g->nodes[gr->producers[p]];
    size_t row = sp_node_weight_count(g, n) / (size_t)n->units;
    for (int c = 0; c < c_count; c++)
      for (size_t i = 0; i < row; i++) rank[c].l1 += fabs((double)n->weight[(size_t)c * row + i]);
  }
  qsort(rank, (size_t)c_count, sizeof *rank, by_norm);
  for (int i = 0; i < n_keep; i++) kept[i] = rank[i].channel;
  qsort(kept, (size_t)n_keep, sizeof *kept, ascending);
  free(rank);
  return SP_OK;
}

sp_status sp_compress_keep_select(const sp_graph *g, int node, double keep, int *kept,
                                  int *n_kept) {
  sp_channel_groups cg;
  sp_status s = sp_channel_groups_compute(g, &cg);
  if (s) return s;
  const sp_channel_group *gr = NULL;
  s = pruned_group(g, &cg, node, keep, &gr);
  if (!s) {
    *n_kept = sp_channel_keep_count(gr->channels, keep);
    s = select_channels(g, gr, *n_kept, kept);
  }
  sp_channel_groups_free(&cg);
  return s;
}

/* In an array of `outer` x (channels * block) floats, keeps the blocks of the
 * kept channels, in place: row o becomes n_keep * block floats. Every
 * destination lies at or before its source and after every source already
 * read, so a forward memmove never overwrites data still to be moved. */
static void keep_blocks(float *a, size_t outer, int channels, size_t block, const int *kept,
                        int n_keep) {
  if (!a) return;
  size_t old_row = (size_t)channels * block, new_row = (size_t)n_keep * block;
  for (size_t o = 0; o < outer; o++)
    for (int k = 0; k < n_keep; k++)
      memmove(a + o * new_row + (size_t)k * block, a + o * old_row + (size_t)kept[k] * block,
              block * sizeof *a);
}

/* Shrinks an allocation to `count` floats (keeps it when realloc fails). */
static float *shrink(float *a, size_t count) {
  if (!a || !count) return a;
  float *smaller = realloc(a, count * sizeof *a);
  return smaller ? smaller : a;
}

/* A conv2d/fc (producer or depthwise member) loses output channels: weight
 * rows, bias rows and its per-channel share of the recorded params. */
static void cut_outputs(const sp_graph *g, sp_node *n, const int *kept, int n_keep) {
  int units = n->units;
  size_t old_count = sp_node_weight_count(g, n), row = old_count / (size_t)units;
  keep_blocks(n->weight, 1, units, row, kept, n_keep);
  keep_blocks(n->bias, 1, units, 1, kept, n_keep);
  n->weight = shrink(n->weight, (size_t)n_keep * row);
  n->bias = shrink(n->bias, (size_t)n_keep);
  int64_t per_channel_extra = n->params - (int64_t)old_count; /* bias, folded batch norm */
  n->params = (int64_t)((size_t)n_keep * row) + per_channel_extra * n_keep / units;
  if (sp_channel_is_depthwise(g, n)) n->groups = n_keep;
  n->units = n_keep;
}

/* A standalone batch norm of the group loses its channels (each spanning
 * `factor` values when it follows a flatten). */
static void cut_batchnorm(sp_node *n, int channels, int factor, const int *kept, int n_keep) {
  float **arrays[] = {&n->bn_gamma, &n->bn_beta, &n->bn_mean, &n->bn_var};
  for (int i = 0; i < 4; i++) {
    keep_blocks(*arrays[i], 1, channels, (size_t)factor, kept, n_keep);
    *arrays[i] = shrink(*arrays[i], (size_t)n_keep * (size_t)factor);
  }
  n->params = n->params * n_keep / channels;
}

/* A conv2d (groups 1) or fc consumer loses the input channels of the group:
 * in its weight [units][channels * factor * taps], channel c's block is
 * factor * taps wide (factor = H * W for an fc reading (C, H, W) values). */
static void cut_inputs(const sp_graph *g, sp_node *n, int channels, const int *kept, int n_keep) {
  size_t old_count = sp_node_weight_count(g, n);
  size_t block = old_count / (size_t)n->units / (size_t)channels;
  keep_blocks(n->weight, (size_t)n->units, channels, block, kept, n_keep);
  size_t new_count = (size_t)n->units * (size_t)n_keep * block;
  n->weight = shrink(n->weight, new_count);
  n->params -= (int64_t)(old_count - new_count);
}

/* Recomputes every shape after the surgery. */
static sp_status reinfer_shapes(sp_graph *g) {
  for (int i = 1; i < g->n_nodes; i++) {
    sp_status s = sp_node_infer_shape(g, &g->nodes[i]);
    if (s) return s;
  }
  return SP_OK;
}

sp_status sp_compress_keep(sp_graph *g, int node, double keep) {
  sp_channel_groups cg;
  sp_status s = sp_channel_groups_compute(g, &cg);
  if (s) return s;
  const sp_channel_group *gr = NULL;
  int *kept = NULL;
  s = pruned_group(g, &cg, node, keep, &gr);
  int channels = gr ? gr->channels : 0, n_keep = gr ? sp_channel_keep_count(channels, keep) : 0;
  if (!s && n_keep < channels) {
    kept = malloc((size_t)channels * sizeof *kept);
    s = kept ? select_channels(g, gr, n_keep, kept)
             : sp_fail(SP_ERR_RUNTIME, "out of memory pruning the channels of %s", gr->name);
  }
  if (!s && n_keep < channels) {
    /* Every cut reads the shapes as they were: shapes are re-inferred last. */
    for (int i = 0; i < gr->n_consumers; i++)
      cut_inputs(g, &g->nodes[gr->consumers[i]], channels, kept, n_keep);
    for (int i = 0; i < gr->n_members; i++) {
      sp_node *n = &g->nodes[gr->members[i]];
      if (n->op == SP_OP_CONV2D || n->op == SP_OP_FC) cut_outputs(g, n, kept, n_keep);
      else if (n->op == SP_OP_BATCHNORM)
        cut_batchnorm(n, channels, n->out.c / channels, kept, n_keep);
    }
    s = reinfer_shapes(g);
  }
  free(kept);
  sp_channel_groups_free(&cg);
  return s;
}
