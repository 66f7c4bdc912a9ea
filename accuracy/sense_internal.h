/* Shared by the sense files (not a public API): the kernels chosen for a
 * graph, compressed copies that borrow unchanged weights from the original
 * (sense_patch.c), and the node runner (sense_run.c). */
#ifndef SP_SENSE_INTERNAL_H
#define SP_SENSE_INTERNAL_H

#include "accuracy/sense.h"

/* Per node: the variant that runs it and what its prepare() built. */
typedef struct sense_kernels {
  const sp_variant **variant;
  void **prepared;
  unsigned char *owned; /* prepared[i] is this struct's to release */
  size_t bytes;         /* of what it prepared itself */
} sense_kernels;

/* Chooses and prepares every node of g (entries of `share` are reused where
 * share_mask[i] is set: nodes identical to the original's). */
sp_status sense_kernels_init(const sp_graph *g, int threads, const sense_kernels *share,
                             const unsigned char *share_mask, sense_kernels *out);
void sense_kernels_free(const sp_graph *g, sense_kernels *k);

/* One compression of the original graph. Arrays of nodes the compression
 * left identical point into the original graph (borrowed), the others are
 * the copy's own. */
typedef struct sense_patch {
  sp_graph *g;
  unsigned char *borrowed; /* per node: its arrays belong to the original */
  unsigned char *dirty;    /* per node: its output differs from the original's */
  int first_dirty;         /* first dirty node; n_nodes when nothing changed */
  sense_kernels kernels;   /* own for changed nodes, the original's otherwise */
  size_t bytes;            /* memory held: own weight arrays and prepared weights */
  int64_t weights, zeros;  /* conv/fc weights and zeros of the compressed graph */
} sense_patch;

/* Copies base, applies spec, and shares what did not change. */
sp_status sense_patch_build(const sp_graph *base, const sense_kernels *base_kernels,
                            const char *spec, int threads, sense_patch *out);
void sense_patch_free(sense_patch *p);

/* Runs node i of g on `batch` images: inputs in[j] (one per node input),
 * output out, scratch workspace. */
sp_status sense_run_node(const sp_graph *g, int i, const sense_kernels *k, const float *const *in,
                         float *out, int batch, int threads, float *workspace);

/* Adds the top-1 hits and cross-entropy of n rows of `classes` logits. */
void sense_score_rows(const float *logits, const uint8_t *labels, int n, int classes,
                      sp_sense_score *s);

#endif
