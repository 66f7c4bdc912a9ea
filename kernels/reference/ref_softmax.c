/* Reference softmax over the C*H*W values of each image. The maximum is
 * subtracted first so that exp() cannot overflow on large logits. */
#include <math.h>

#include "kernels/reference/reference.h"

void sp_kernel_softmax__reference(const sp_kernel_args *a) {
  size_t n = sp_dims_count(a->out_dims);
  for (int b = 0; b < a->batch; b++) {
    const float *x = a->in[0] + (size_t)b * n;
    float *y = a->out + (size_t)b * n;
    float max = x[0];
    for (size_t i = 1; i < n; i++)
      if (x[i] > max) max = x[i];
    float sum = 0.0f;
    for (size_t i = 0; i < n; i++) {
      y[i] = expf(x[i] - max);
      sum += y[i];
    }
    for (size_t i = 0; i < n; i++) y[i] /= sum;
  }
}
