/* Direct convolution on the CPU. Each output plane (image, output channel)
 * starts as its bias; then for every input channel of its group and every
 * kernel tap (ky, kx) the shifted input rows, scaled by that weight, are
 * added into the output rows. The inner loop runs over contiguous output x
 * (and contiguous input x for stride 1), so the compiler vectorises it; the
 * padded borders are handled by computing the valid output range of each
 * tap once instead of testing every element. */
#include "kernels/activation.h"
#include "kernels/kernel.h"

/* Output positions o in [*lo, *hi) whose input index o * stride + offset
 * lies in [0, in); offset is the tap minus the leading padding. */
static void valid_range(int in, int out, int stride, int offset, int *lo, int *hi) {
  *lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int last = in - 1 - offset; /* largest o * stride allowed */
  *hi = last < 0 ? 0 : last / stride + 1;
  if (*hi > out) *hi = out;
  if (*lo > *hi) *lo = *hi;
}

/* y[i] += w * x[i * stride] for i < n. */
static void axpy_row(float *restrict y, const float *restrict x, float w, int n, int stride) {
  if (stride == 1) {
    for (int i = 0; i < n; i++) y[i] += w * x[i];
  } else {
    for (int i = 0; i < n; i++) y[i] += w * x[(size_t)i * (size_t)stride];
  }
}

/* Computes output channel `oc` of image `b` into its own plane. */
static void conv_plane(const sp_kernel_args *a, int b, int oc) {
  const sp_node *n = a->node;
  const sp_window *w = &n->win;
  sp_dims id = a->in_dims[0], od = a->out_dims;
  int cin_g = id.c / n->groups;
  int group = oc / (od.c / n->groups);
  size_t in_plane = (size_t)id.h * (size_t)id.w, out_plane = (size_t)od.h * (size_t)od.w;
  float *out = a->out + ((size_t)b * (size_t)od.c + (size_t)oc) * out_plane;
  float bias = n->bias ? n->bias[oc] : 0.0f;
  for (size_t i = 0; i < out_plane; i++) out[i] = bias;

  const float *filter = n->weight + (size_t)oc * (size_t)cin_g * (size_t)w->kh * (size_t)w->kw;
  for (int ic = 0; ic < cin_g; ic++) {
    const float *in =
        a->in[0] + ((size_t)b * (size_t)id.c + (size_t)(group * cin_g + ic)) * in_plane;
    for (int ky = 0; ky < w->kh; ky++) {
      int y0, y1;
      valid_range(id.h, od.h, w->sh, ky - w->pt, &y0, &y1);
      for (int kx = 0; kx < w->kw; kx++) {
        int x0, x1;
        valid_range(id.w, od.w, w->sw, kx - w->pl, &x0, &x1);
        if (x0 == x1) continue;
        float wv = filter[((size_t)ic * (size_t)w->kh + (size_t)ky) * (size_t)w->kw + (size_t)kx];
        if (w->sh == 1 && w->sw == 1 && x1 - x0 == od.w && od.w == id.w) {
          /* full rows, contiguous in both planes (1x1 kernels, centre taps):
           * one long row instead of y1 - y0 short ones */
          axpy_row(out + (size_t)y0 * (size_t)od.w,
                   in + (size_t)(y0 - w->pt + ky) * (size_t)id.w + (size_t)(kx - w->pl), wv,
                   (y1 - y0) * od.w, 1);
          continue;
        }
        for (int oy = y0; oy < y1; oy++) {
          int iy = oy * w->sh - w->pt + ky, ix = x0 * w->sw - w->pl + kx;
          axpy_row(out + (size_t)oy * (size_t)od.w + (size_t)x0,
                   in + (size_t)iy * (size_t)id.w + (size_t)ix, wv, x1 - x0, w->sw);
        }
      }
    }
  }
  sp_activate_span(n->act, out, out_plane);
}

/* The one implementation: output planes are independent, so the parallel
 * loop is the outer one over (image, output channel); dynamic scheduling
 * evens out groups of unequal cost. threads == 1 runs serially. */
static void conv2d_direct(const sp_kernel_args *a, int threads) {
  int batch = a->batch, cout = a->out_dims.c;
#pragma omp parallel for collapse(2) schedule(dynamic) num_threads(threads) if (threads > 1)
  for (int b = 0; b < batch; b++)
    for (int oc = 0; oc < cout; oc++) conv_plane(a, b, oc);
}

void sp_kernel_conv2d__direct_serial(const sp_kernel_args *a) { conv2d_direct(a, 1); }

void sp_kernel_conv2d__direct_omp(const sp_kernel_args *a) { conv2d_direct(a, a->threads); }
