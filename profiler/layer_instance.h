/* Layer instances: one layer of a model cut out as a graph of its own, at
 * a channel keep level of its input and output groups and with a weight
 * compression applied — what the profiler times. Latency depends on shapes
 * and sparsity, not on which channels are kept; the channels kept here are
 * nevertheless the real L1-selected ones (engine/compress.h), each group's
 * ranked on the unpruned model, so that an instance holds the weights of
 * the channel-pruned model. (sp_compression_apply prunes groups in spec
 * order; a group whose producers lost input channels to an earlier keep is
 * ranked on what is left, and may keep other channels: same shapes, same
 * latency.) */
#ifndef SP_LAYER_INSTANCE_H
#define SP_LAYER_INSTANCE_H

#include "engine/graph/channel_groups.h"
#include "engine/graph/graph.h"

#define SP_MAX_KEEP 8 /* keep levels of one group, 1.0 included */

/* The weight compression of an instance. */
typedef enum sp_weight_compression {
  SP_WEIGHTS_DENSE,   /* "none" */
  SP_WEIGHTS_PRUNE,   /* "prune": magnitude pruning to sparsity rate */
  SP_WEIGHTS_TERNARY, /* "ternary": TWN with threshold factor rate */
} sp_weight_compression;

typedef struct sp_compress_choice {
  sp_weight_compression kind;
  double rate;               /* s or t; 0 for none */
} sp_compress_choice;

const char *sp_weight_compression_name(sp_weight_compression kind); /* "none", "prune", "ternary" */

/* The compression item (engine/compress.h) that applies c (pruned or
 * ternary) to layer `layer`: how a plan's and the calibration's networks
 * compress a layer's weights. */
struct sp_compression_item sp_weight_compression_item(const char *layer, sp_compress_choice c);

/* The keep levels of every channel group and the channels each keeps. */
typedef struct sp_keep_levels {
  int n_levels;
  double keep[SP_MAX_KEEP];  /* level 0 is 1.0 */
  int count[SP_MAX_KEEP];    /* channels kept */
  int *kept[SP_MAX_KEEP];    /* their indices, ascending */
} sp_keep_levels;

typedef struct sp_keep_table {
  int n_groups;
  sp_keep_levels *groups;
} sp_keep_table;

/* Levels of each group: 1.0, then for a prunable group each fraction of
 * `grid` (in order) whose sp_channel_keep_count differs from every level
 * before it and from the whole group (C = 8: 0.75 keeps all 8 and is left
 * out, 0.25 keeps 4 like 0.5 and is left out). Unprunable groups have 1.0
 * only. SP_ERR_INPUT for a fraction outside (0, 1) or more than
 * SP_MAX_KEEP - 1 of them. Free with sp_keep_table_free. */
sp_status sp_keep_table_build(const sp_graph *g, const sp_channel_groups *cg, const double *grid,
                              int n_grid, sp_keep_table *out);
void sp_keep_table_free(sp_keep_table *t);

/* The per-image shape of node `tensor`'s output when its group keeps level
 * `level` (a flattened member keeps whole blocks of H*W features). */
sp_dims sp_kept_dims(const sp_graph *g, const sp_channel_groups *cg, const sp_keep_table *kt,
                     int tensor, int level);

/* Builds the instance of node `node` (not the input) of g: a graph whose
 * input is the node's (first) input at level `level_in` of its group, and
 * whose one node (index 1; every input reads node 0) is a copy of `node`
 * cut to those input channels and to level `level_out` of its own group,
 * then compressed. The name of the instance node is the layer's.
 * SP_ERR_INPUT naming the layer when a level is out of range, a
 * depthwise or pass-through layer gets two different levels, or the
 * compression does not apply (an op without weights). Free with
 * sp_graph_free. */
sp_status sp_layer_instance_build(const sp_graph *g, const sp_channel_groups *cg,
                                  const sp_keep_table *kt, int node, int level_in, int level_out,
                                  sp_compress_choice compression, sp_graph **out);

#endif
