/* Sensitivity analysis (DESIGN.md, "sense"): the accuracy of a model when
 * compression options are applied to it, measured on a labelled split.
 *
 * sp_sense_evaluate is the engine: it scores the unchanged graph and any
 * number of compressions of it (each a spec of sp_compression_apply, applied
 * alone to its own copy). It is exact — every compressed graph is run on
 * every image — but fast: per batch of images the uncompressed graph runs
 * once, keeping every node's output, and a compressed graph re-runs only the
 * nodes whose output differs (those it changed and everything downstream of
 * them), reading the other nodes' outputs from that cache. Compressed copies
 * share every unchanged weight array with the original, so hundreds of them
 * fit in memory at once. */
#ifndef SP_SENSE_H
#define SP_SENSE_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/kernel.h"
#include "engine/data/dataset.h"
#include "engine/graph/graph.h"

/* ---- the compression grid ---- */

#define SP_SENSE_MAX_GRID 8

/* Rates tried per layer (prune, ternary) and per prunable channel group
 * (keep). The default is the profile grid of profiler/profile.c, so that
 * every profiled option has a measured accuracy. */
typedef struct sp_sense_grid {
  int n_prune, n_ternary, n_keep;
  double prune[SP_SENSE_MAX_GRID];   /* weight-pruning sparsities s */
  double ternary[SP_SENSE_MAX_GRID]; /* ternary threshold factors t */
  double keep[SP_SENSE_MAX_GRID];    /* channel keep fractions k < 1 */
} sp_sense_grid;

/* Full: s in {0.5, 0.7, 0.8, 0.9, 0.95}, t = 0.7, k in {0.75, 0.5, 0.25}.
 * Quick: s in {0.5, 0.9}, t = 0.7, k = 0.5. */
sp_sense_grid sp_sense_grid_default(int quick);

/* ---- evaluation ---- */

/* Labelled images to evaluate on, and what they are (for the files made
 * from them). */
typedef struct sp_sense_data {
  const char *name;      /* "fashion-mnist" */
  const char *split;     /* "calib" or "test" */
  const float *inputs;   /* count x the model's input shape */
  const uint8_t *labels; /* count labels */
  int count;
} sp_sense_data;

typedef struct sp_sense_options {
  int batch;            /* images per kernel call, >= 1 (default 64) */
  int threads;          /* >= 1 (default: the online cores) */
  int parallel_kernels; /* 0 (default): `threads` workers each run whole batches with
                         * serial kernels; 1: one batch at a time, OpenMP kernels with
                         * `threads` threads */
  size_t max_copy_bytes; /* weights held by compressed copies at once (default 1 GiB);
                          * beyond it the specs are evaluated in several passes */
  /* Called after every batch (from one thread at a time) with the work done
   * and the total, in image-compressions; NULL: no progress. */
  void (*progress)(void *ctx, int64_t done, int64_t total);
  void *progress_ctx;
} sp_sense_options;

sp_sense_options sp_sense_options_default(void);

/* What one graph scored. */
typedef struct sp_sense_score {
  int images, correct;     /* top-1: the first largest logit is the label */
  double loss_sum;         /* summed cross-entropy -log softmax(z)[label], natural log;
                            * +inf when some logit is not finite */
  int64_t weights, zeros;  /* conv/fc weights of the (compressed) graph, and how many are 0 */
} sp_sense_score;

static inline double sp_sense_accuracy(const sp_sense_score *s) {
  return s->images ? 100.0 * s->correct / s->images : 0.0;
}
static inline double sp_sense_loss(const sp_sense_score *s) {
  return s->images ? s->loss_sum / s->images : 0.0;
}

/* Scores g (into *baseline, unless NULL) and each of the n_specs compressions
 * specs[i] of it (into scores[i]) on the count images of `inputs` (count x
 * the graph's input shape, contiguous) with their labels (< the number of
 * outputs). g is not changed. Every node runs sp_sense_variant's kernel, so a
 * result equals a run of the compressed copy through the executor with those
 * variants. Errors: SP_ERR_INPUT naming the spec that does not apply to g
 * (sp_compression_apply's message), SP_ERR_RUNTIME when out of memory. */
sp_status sp_sense_evaluate(const sp_graph *g, const float *inputs, const uint8_t *labels,
                            int count, const char *const *specs, int n_specs,
                            const sp_sense_options *opt, sp_sense_score *baseline,
                            sp_sense_score *scores);

/* The kernel variant sense runs node n of g with: a host variant picked for
 * speed by the node's shape (depthwise, 1x1 GEMM, Winograd for 3x3 stride-1
 * convolutions of 8 or more input channels, else im2col + GEMM; OpenMP
 * versions when threads > 1), else sp_registry_default. */
const sp_variant *sp_sense_variant(const sp_graph *g, const sp_node *n, int threads);

#endif
