/* Reference element-wise ops: relu, relu6, add, batchnorm, flatten. */
#include <math.h>
#include <string.h>

#include "kernels/reference/reference.h"

static size_t total(const sp_kernel_args *a) {
  return (size_t)a->batch * sp_dims_count(a->out_dims);
}

void sp_kernel_relu__reference(const sp_kernel_args *a) {
  for (size_t i = 0; i < total(a); i++) a->out[i] = sp_activate(SP_ACT_RELU, a->in[0][i]);
}

void sp_kernel_relu6__reference(const sp_kernel_args *a) {
  for (size_t i = 0; i < total(a); i++) a->out[i] = sp_activate(SP_ACT_RELU6, a->in[0][i]);
}

void sp_kernel_add__reference(const sp_kernel_args *a) {
  for (size_t i = 0; i < total(a); i++)
    a->out[i] = sp_activate(a->node->act, a->in[0][i] + a->in[1][i]);
}

/* y = (x - mean) / sqrt(var + eps) * gamma + beta, per channel. */
void sp_kernel_batchnorm__reference(const sp_kernel_args *a) {
  const sp_node *n = a->node;
  sp_dims d = a->out_dims;
  size_t plane = (size_t)d.h * (size_t)d.w;
  for (int b = 0; b < a->batch; b++)
    for (int c = 0; c < d.c; c++) {
      size_t base = sp_ref_at(d, b, c, 0, 0);
      for (size_t i = 0; i < plane; i++) {
        float y = (a->in[0][base + i] - n->bn_mean[c]) / sqrtf(n->bn_var[c] + n->bn_eps) *
                      n->bn_gamma[c] + n->bn_beta[c];
        a->out[base + i] = sp_activate(n->act, y);
      }
    }
}

/* NCHW is already the flattened order: a plain copy. */
void sp_kernel_flatten__reference(const sp_kernel_args *a) {
  memcpy(a->out, a->in[0], total(a) * sizeof(float));
}
