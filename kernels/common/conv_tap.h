/* One kernel tap of a convolution as a whole-plane operation: for the tap
 * (ky, kx) with weight w, out[oy][ox] += w * in[oy*sh - pt + ky][ox*sw - pl + kx]
 * over every output position whose input lies inside the image (zero
 * padding). The sparse-direct and ternary kernels run one call per nonzero
 * weight; the inner loop runs over contiguous output x, and the padded
 * borders are handled by computing each tap's valid output range once. */
#ifndef SP_CONV_TAP_H
#define SP_CONV_TAP_H

#include <stddef.h>

#include "engine/graph/graph.h"

/* Output positions o in [*lo, *hi) whose input index o * stride + offset
 * lies in [0, in); offset is the tap minus the leading padding. */
static inline void sp_tap_valid_range(int in, int out, int stride, int offset, int *lo, int *hi) {
  *lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int last = in - 1 - offset; /* largest o * stride allowed */
  *hi = last < 0 ? 0 : last / stride + 1;
  if (*hi > out) *hi = out;
  if (*lo > *hi) *lo = *hi;
}

/* y[i] += w * x[i * stride] for i < n. */
static inline void sp_tap_axpy_row(float *restrict y, const float *restrict x, float w, int n,
                                   int stride) {
  if (stride == 1) {
    for (int i = 0; i < n; i++) y[i] += w * x[i];
  } else {
    for (int i = 0; i < n; i++) y[i] += w * x[(size_t)i * (size_t)stride];
  }
}

/* out (one od.h x od.w plane) += w * the tap-(ky, kx)-shifted in (one
 * id.h x id.w plane) under window `win`. */
static inline void sp_conv_tap_axpy(float *out, const float *in, float w, sp_dims id, sp_dims od,
                                    const sp_window *win, int ky, int kx) {
  int y0, y1, x0, x1;
  sp_tap_valid_range(id.h, od.h, win->sh, ky - win->pt, &y0, &y1);
  sp_tap_valid_range(id.w, od.w, win->sw, kx - win->pl, &x0, &x1);
  if (x0 == x1 || y0 == y1) return;
  if (win->sh == 1 && win->sw == 1 && x1 - x0 == od.w && od.w == id.w) {
    /* full rows, contiguous in both planes: one long row */
    sp_tap_axpy_row(out + (size_t)y0 * (size_t)od.w,
                    in + (size_t)(y0 - win->pt + ky) * (size_t)id.w + (size_t)(kx - win->pl), w,
                    (y1 - y0) * od.w, 1);
    return;
  }
  for (int oy = y0; oy < y1; oy++) {
    int iy = oy * win->sh - win->pt + ky, ix = x0 * win->sw - win->pl + kx;
    sp_tap_axpy_row(out + (size_t)oy * (size_t)od.w + (size_t)x0,
                    in + (size_t)iy * (size_t)id.w + (size_t)ix, w, x1 - x0, win->sw);
  }
}

#endif
