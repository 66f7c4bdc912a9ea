/* Reference fully connected layer: each image's C*H*W values flattened,
 * weight [units][features], optional bias, fused activation. */
#include "kernels/reference/reference.h"

void sp_kernel_fc__reference(const sp_kernel_args *a) {
  const sp_node *n = a->node;
  size_t features = sp_dims_count(a->in_dims[0]);
  int units = a->out_dims.c;
  for (int b = 0; b < a->batch; b++) {
    const float *x = a->in[0] + (size_t)b * features;
    for (int u = 0; u < units; u++) {
      const float *wrow = n->weight + (size_t)u * features;
      float acc = n->bias ? n->bias[u] : 0.0f;
      for (size_t f = 0; f < features; f++) acc += x[f] * wrow[f];
      a->out[(size_t)b * (size_t)units + (size_t)u] = sp_activate(n->act, acc);
    }
  }
}
