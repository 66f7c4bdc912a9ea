/* Magnitude weight pruning of one layer (engine/compress.h). */
#include <math.h>
#include <stdlib.h>

#include "engine/compress/compress.h"
#include "engine/compress/compress_internal.h"

typedef struct ranked_weight {
  float magnitude;
  size_t index;
} ranked_weight;

/* Smaller magnitude first, then lower index: a total order, so qsort's
 * instability cannot change which weights are pruned. */
static int by_magnitude(const void *pa, const void *pb) {
  const ranked_weight *a = pa, *b = pb;
  if (a->magnitude != b->magnitude) return a->magnitude < b->magnitude ? -1 : 1;
  return (a->index > b->index) - (a->index < b->index);
}

sp_status sp_compress_prune(sp_graph *g, int node, double sparsity) {
  sp_status s = sp_compress_check_weights(g, node, "prune");
  if (s) return s;
  sp_node *n = &g->nodes[node];
  if (!(sparsity >= 0.0 && sparsity < 1.0))
    return sp_fail(SP_ERR_INPUT, "prune: sparsity %g of layer %s out of range (expected [0, 1))",
                   sparsity, n->name);
  size_t count = sp_node_weight_count(g, n);
  size_t zeros = (size_t)floor(sparsity * (double)count + 0.5);
  if (zeros > 0) {
    ranked_weight *r = malloc(count * sizeof *r);
    if (!r) return sp_fail(SP_ERR_RUNTIME, "out of memory pruning %s", n->name);
    for (size_t i = 0; i < count; i++) r[i] = (ranked_weight){fabsf(n->weight[i]), i};
    qsort(r, count, sizeof *r, by_magnitude);
    for (size_t i = 0; i < zeros; i++) n->weight[r[i].index] = 0.0f;
    free(r);
  }
  n->sparsity = (float)sparsity;
  return SP_OK;
}
