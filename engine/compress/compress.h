/* Compression of a loaded graph (stack layer 2), applied in place to the
 * float weights of an optimized graph (batch norms folded, sp_model_load):
 *
 *   weight pruning    zero the smallest-magnitude weights of one layer;
 *   ternary           TWN quantisation of one layer to {+pos, 0, -neg};
 *   channel pruning   drop whole channels of one channel group
 *                     (engine/channel_groups.h), making layers smaller.
 *
 * Weight pruning and ternary keep the dense layout (a kernel variant of
 * format CSR or ternary converts the weights in its prepare()); channel
 * pruning leaves physically smaller dense layers. Every function validates
 * before it changes anything: on error the graph is untouched and
 * sp_last_error() names the layer and the option at fault. */
#ifndef SP_COMPRESS_H
#define SP_COMPRESS_H

#include <stdint.h>

#include "engine/graph/graph.h"

/* Index of the node called `name`, or -1. */
int sp_graph_find(const sp_graph *g, const char *name);

/* ---- weight pruning (engine/compress_prune.c) ---- */

/* Magnitude pruning of conv2d/fc node `node` to sparsity s in [0, 1): the
 * round(s * N) weights of smallest |w| are set to 0 (N = weight count;
 * round = floor(x + 0.5); ties in |w| go to the lower index, so the result
 * is deterministic). Weights already 0 are among the smallest, so the layer
 * ends with max(round(s * N), zeros before) zeros. The bias is untouched.
 * Records node->sparsity = s. SP_ERR_INPUT: no weights, s out of range. */
sp_status sp_compress_prune(sp_graph *g, int node, double sparsity);

/* ---- ternary quantisation (engine/compress_ternary.c) ---- */

#define SP_TERNARY_DEFAULT_T 0.7

/* Ternary weight networks (Li & Liu, TWN) per layer, threshold factor t > 0:
 *   delta = t * mean |w|,
 *   pos   = mean of w over w > delta   (0 when there is none),
 *   neg   = mean of |w| over w < -delta (0 when there is none),
 *   w    <- +pos if w > delta, -neg if w < -delta, else 0 (|w| == delta -> 0).
 * Means are accumulated in double and rounded to float once, so the layer
 * holds at most three distinct values exactly. Records node->ternary = 1,
 * ternary_pos, ternary_neg, ternary_t. SP_ERR_INPUT: no weights, t <= 0,
 * NaN or infinite. */
sp_status sp_compress_ternary(sp_graph *g, int node, double t);

/* ---- channel pruning (engine/compress_channels.c) ---- */

/* L1-norm filter pruning of the channel group that node `node`'s output
 * belongs to (any layer of the group: its producer, a pool or depthwise conv
 * inside it), keeping sp_channel_keep_count(C, keep) of its C channels
 * (keep in (0, 1]; the rounding rule is documented there). Channels are
 * ranked by the L1 norm of their producers' filters (summed over producers);
 * the largest are kept, in their original order. Surgery: the producers lose
 * output channels (weight rows, bias), depthwise convs and standalone batch
 * norms of the group lose whole channels, every consumer loses the matching
 * input channels (conv weight columns; an fc after a flatten the matching
 * blocks of H*W features); then shapes are re-inferred and the recorded
 * params of the touched nodes reduced. SP_ERR_INPUT naming the layer and why
 * when the group may not be pruned, or keep is out of range. */
sp_status sp_compress_keep(sp_graph *g, int node, double keep);

/* The channels that sp_compress_keep(g, node, keep) would keep, without
 * changing the graph: writes their indices (ascending) to `kept` (room for
 * the group's channel count) and their number to *n_kept. Same errors. */
sp_status sp_compress_keep_select(const sp_graph *g, int node, double keep, int *kept,
                                  int *n_kept);

/* ---- compression specs (engine/compress_spec.c) ---- */

typedef enum sp_compress_kind {
  SP_COMPRESS_PRUNE,   /* "prune:LAYER=S"      weight pruning to sparsity S in [0, 1) */
  SP_COMPRESS_TERNARY, /* "ternary:LAYER[=T]"  ternary with threshold T > 0 (default 0.7) */
  SP_COMPRESS_KEEP,    /* "keep:LAYER=K"       channel pruning of LAYER's group, K in (0, 1] */
} sp_compress_kind;

typedef struct sp_compression_item {
  sp_compress_kind kind;
  char layer[SP_NAME_MAX];
  double rate;               /* S, T or K */
  char text[2 * SP_NAME_MAX]; /* the item as written, for messages */
} sp_compression_item;

typedef struct sp_compression {
  int n_items;
  sp_compression_item *items; /* in spec order */
} sp_compression;

/* Parses a comma-separated list of items (above; "" is the empty list).
 * The layer is everything between the first ':' and the last '=' (so names
 * may contain dots and colons, not commas). SP_ERR_INPUT naming the item
 * for an unknown kind, a missing layer or value, a value that is not a
 * number, or a rate out of range. Free with sp_compression_free. */
sp_status sp_compression_parse(const char *spec, sp_compression *out);
void sp_compression_free(sp_compression *c);

/* Checks a parsed spec against g without changing it: every layer exists;
 * prune/ternary layers have weights; keep layers' groups may be pruned; no
 * layer has two weight compressions (prune/ternary) and no group two keeps.
 * A layer may take a keep and a prune or ternary. */
sp_status sp_compression_check(const sp_graph *g, const sp_compression *c);

/* Parses, checks and applies `spec` to g: every keep first (in spec order),
 * then the prunes and ternaries, so that weight compression sees the final
 * shapes. Errors: SP_ERR_INPUT (the CLI's exit code 2) with a one-line
 * message naming the item, the layer and the option; the graph is then
 * unchanged (SP_ERR_RUNTIME, out of memory, may leave it half done). */
sp_status sp_compression_apply(sp_graph *g, const char *spec);

/* The same for items built by a program (a plan's choices): checked, then
 * applied keeps first. Same errors. */
sp_status sp_compression_apply_items(sp_graph *g, const sp_compression *c);

/* The item keeping fraction `keep` of the channels of the group produced by
 * layer `group` ("group NAME keep K" in messages). */
sp_compression_item sp_compression_keep_item(const char *group, double keep);

/* ---- memory of each format (engine/weight_format.h) ---- */

/* Exact bytes of node n's weights in each format, without building them
 * (bias excluded: every variant reads the float bias, units * 4 bytes, and
 * the executor adds it for every format). 0 for nodes without weights.
 *   dense   = N * 4
 *   csr     = (rows + 1) * 4 + nnz * 8, nnz = weights != 0 now
 *   ternary = rows * ceil(cols / 4) + 8, the codes the weights would take
 *             once ternarised (the size does not depend on the values). */
typedef struct sp_format_bytes {
  int64_t dense, csr, ternary;
} sp_format_bytes;

sp_format_bytes sp_compress_format_bytes(const sp_graph *g, const sp_node *n);

#endif
