/* Reference clip: y = min(max(x, lo), hi) with the node's bounds (ONNX Clip
 * whose bounds are neither ReLU's nor ReLU6's). NaN passes through, as in
 * PyTorch's clamp. */
#include "kernels/reference/reference.h"

void sp_kernel_clip__reference(const sp_kernel_args *a) {
  float lo = a->node->clip_lo, hi = a->node->clip_hi;
  size_t n = (size_t)a->batch * sp_dims_count(a->out_dims);
  for (size_t i = 0; i < n; i++) {
    float x = a->in[0][i];
    a->out[i] = x < lo ? lo : (x > hi ? hi : x);
  }
}
