/* Sparse-direct convolution from CSR weights: each output plane starts as
 * its bias, then every nonzero weight (input channel, ky, kx) of its filter
 * adds the shifted input plane, scaled, into it (kernels/cpu/conv_tap.h).
 * Work is proportional to the nonzeros; any stride, padding and groups. */
#include "engine/compress/weight_format.h"
#include "kernels/activation.h"
#include "kernels/kernel.h"
#include "kernels/common/conv_tap.h"

/* Output channel `oc` of image `b` into its own plane. */
static void csr_plane(const sp_kernel_args *a, const sp_csr *m, int b, int oc) {
  const sp_node *n = a->node;
  const sp_window *w = &n->win;
  sp_dims id = a->in_dims[0], od = a->out_dims;
  int cin_g = id.c / n->groups, group = oc / (od.c / n->groups), taps = w->kh * w->kw;
  size_t in_plane = (size_t)id.h * (size_t)id.w, out_plane = (size_t)od.h * (size_t)od.w;
  float *out = a->out + ((size_t)b * (size_t)od.c + (size_t)oc) * out_plane;
  const float *image = a->in[0] + ((size_t)b * (size_t)id.c + (size_t)group * (size_t)cin_g) * in_plane;
  float bias = n->bias ? n->bias[oc] : 0.0f;
  for (size_t i = 0; i < out_plane; i++) out[i] = bias;
  for (int32_t k = m->row_ptr[oc]; k < m->row_ptr[oc + 1]; k++) {
    int col = m->col[k], ic = col / taps, tap = col % taps;
    sp_conv_tap_axpy(out, image + (size_t)ic * in_plane, m->val[k], id, od, w, tap / w->kw,
                     tap % w->kw);
  }
  sp_activate_span(n->act, out, out_plane);
}

/* Planes are independent: parallel over (image, output channel), dynamic
 * schedule because rows hold different numbers of nonzeros. */
static void conv2d_csr_direct(const sp_kernel_args *a, int threads) {
  const sp_csr *m = a->prepared;
  int batch = a->batch, cout = a->out_dims.c;
#pragma omp parallel for collapse(2) schedule(dynamic) num_threads(threads) if (threads > 1)
  for (int b = 0; b < batch; b++)
    for (int oc = 0; oc < cout; oc++) csr_plane(a, m, b, oc);
}

void sp_kernel_conv2d__csr_direct_serial(const sp_kernel_args *a) { conv2d_csr_direct(a, 1); }

void sp_kernel_conv2d__csr_direct_omp(const sp_kernel_args *a) {
  conv2d_csr_direct(a, a->threads);
}
