/* Depthwise convolution (groups == input channels; output channel oc reads
 * input channel oc / multiplier): one small filter per plane, so the work
 * is a sliding window over each input plane, bound by memory traffic and
 * per-plane overhead rather than arithmetic.
 *
 * Planes up to DW_PADDED_MAX floats with their padding (all of the CIFAR
 * MobileNet's) are copied into a zero-padded plane on the thread's stack,
 * whose border is zeroed once a call; every output row is then one span
 * with no bounds checks. Bigger planes are computed in place: each output
 * row is cut into the border columns whose window sticks out into the left
 * or right padding (tap by tap, with the valid tap range) and the interior
 * span; rows whose window sticks out at the top or bottom use fewer filter
 * rows.
 *
 * The span kernel computes a vector of outputs at a time (vec.h: 16 with
 * AVX-512, 8 with AVX2 or portable vectors; masked loads and stores for the
 * tail, so nothing is read past the window; stride 2 takes the even lanes of
 * two loads); 3x3 with stride 1 or 2 get instances with the filter held in
 * registers.
 * Bias and activation are applied before the single store. */
#include <stddef.h>
#include <string.h>


#include "kernels/activation.h"
#include "kernels/common/bias_act.h"
#include "kernels/common/vec.h"
#include "kernels/conv2d/conv2d_depthwise_blocked.h"
#include "kernels/cpu_kernels.h"

#define DW_INLINE static inline __attribute__((always_inline))

int sp_conv2d_depthwise_supports(const sp_graph *g, const sp_node *node) {
  sp_dims in = sp_node_in(g, node, 0);
  return node->groups == in.c && node->out.c % in.c == 0;
}

/* The interior of one output row: out[x] = act(bias + sum over filter rows
 * r < nrows and taps t < kw of f[r * kw + t] * in[r * ld + x * sw + t]) for
 * x < n. Every input read is inside the row. */
DW_INLINE void dw_span(float *restrict out, const float *restrict in, size_t ld,
                       const float *restrict f, int nrows, int kw, int sw, int n, float bias,
                       sp_act act) {
  float lo, hi;
  sp_act_bounds(act, &lo, &hi);
  const vec vlo = vec_set1(lo), vhi = vec_set1(hi), vb = vec_set1(bias);
  for (int x = 0; x < n; x += VEC_LANES) {
    const int m = n - x < VEC_LANES ? n - x : VEC_LANES;
    vec acc = vb;
    for (int r = 0; r < nrows; r++) {
      const float *p = in + (size_t)r * ld + (size_t)x * (size_t)sw;
      for (int t = 0; t < kw; t++) {
        /* sw == 2: lanes 0 .. 2m-2 from p + t are read */
        const vec v = sw == 1 ? vec_load_first(p + t, m) : vec_even_lanes(p + t, 2 * m - 1);
        acc = vec_fma(vec_set1(f[r * kw + t]), v, acc);
      }
    }
    if (act != SP_ACT_NONE) acc = vec_clamp(acc, vlo, vhi);
    vec_store_first(out + x, acc, m);
  }
}

/* Instances with a constant filter shape, so that the compiler unrolls the
 * taps and keeps the filter in registers; the generic ones for the rest. */
static void dw_span_3x3_s1(float *out, const float *in, size_t ld, const float *f, int n,
                           float bias, sp_act act) {
  dw_span(out, in, ld, f, 3, 3, 1, n, bias, act);
}
static void dw_span_3x3_s2(float *out, const float *in, size_t ld, const float *f, int n,
                           float bias, sp_act act) {
  dw_span(out, in, ld, f, 3, 3, 2, n, bias, act);
}
static void dw_span_s1(float *out, const float *in, size_t ld, const float *f, int nrows, int kw,
                       int n, float bias, sp_act act) {
  dw_span(out, in, ld, f, nrows, kw, 1, n, bias, act);
}
static void dw_span_s2(float *out, const float *in, size_t ld, const float *f, int nrows, int kw,
                       int n, float bias, sp_act act) {
  dw_span(out, in, ld, f, nrows, kw, 2, n, bias, act);
}

/* Plain scalar span for strides above 2 (rare: no vector loads to save). */
static void dw_span_any(float *out, const float *in, size_t ld, const float *f, int nrows, int kw,
                        int sw, int n, float bias, sp_act act) {
  for (int x = 0; x < n; x++) {
    float acc = bias;
    for (int r = 0; r < nrows; r++)
      for (int t = 0; t < kw; t++)
        acc += f[r * kw + t] * in[(size_t)r * ld + (size_t)x * (size_t)sw + (size_t)t];
    out[x] = sp_activate(act, acc);
  }
}

/* n outputs of one row whose window lies wholly inside `in` (filter rows
 * f[0 .. nrows), input rows in + r * ld): the instance for the shape. */
static void dw_row(float *out, const float *in, size_t ld, const float *f, int nrows, int kw,
                   int sw, int n, float bias, sp_act act) {
  if (nrows == 3 && kw == 3 && sw == 1)
    dw_span_3x3_s1(out, in, ld, f, n, bias, act);
  else if (nrows == 3 && kw == 3 && sw == 2)
    dw_span_3x3_s2(out, in, ld, f, n, bias, act);
  else if (sw == 1)
    dw_span_s1(out, in, ld, f, nrows, kw, n, bias, act);
  else if (sw == 2)
    dw_span_s2(out, in, ld, f, nrows, kw, n, bias, act);
  else
    dw_span_any(out, in, ld, f, nrows, kw, sw, n, bias, act);
}

/* One output plane from one input plane, for planes too big for the padded
 * copy: border columns tap by tap, the interior by dw_row. */
static void dw_plane_borders(const float *in, int ih, int iw, float *out, int oh, int ow,
                             const sp_window *w, const float *filter, float bias, sp_act act) {
  const int kh = w->kh, kw = w->kw, sw = w->sw;
  /* interior columns: ox * sw - pl >= 0 and ox * sw - pl + kw <= iw */
  int xlo = (w->pl + sw - 1) / sw, xhi = iw - kw + w->pl >= 0 ? (iw - kw + w->pl) / sw + 1 : 0;
  if (xhi > ow) xhi = ow;
  if (xlo > xhi) xlo = xhi;
  for (int oy = 0; oy < oh; oy++) {
    const int iy = oy * w->sh - w->pt; /* input row of filter row 0 */
    const int ky0 = iy < 0 ? -iy : 0, ky1 = ih - iy < kh ? ih - iy : kh;
    const int nrows = ky1 > ky0 ? ky1 - ky0 : 0;
    const float *rows = nrows ? in + (size_t)(iy + ky0) * (size_t)iw : in; /* first used row */
    const float *f = filter + (size_t)ky0 * (size_t)kw;
    float *o = out + (size_t)oy * (size_t)ow;
    for (int ox = 0; ox < ow; ox++) {
      if (ox == xlo) ox = xhi; /* the interior follows */
      if (ox >= ow) break;
      const int ix = ox * sw - w->pl;
      const int kx0 = ix < 0 ? -ix : 0, kx1 = iw - ix < kw ? iw - ix : kw;
      float acc = bias;
      for (int r = 0; r < nrows; r++) {
        const float *row = rows + (size_t)r * (size_t)iw;
        for (int t = kx0; t < kx1; t++) acc += f[r * kw + t] * row[ix + t];
      }
      o[ox] = sp_activate(act, acc);
    }
    if (xhi > xlo) /* p is not read when nrows == 0 */
      dw_row(o + xlo, nrows ? rows + (xlo * sw - w->pl) : in, (size_t)iw, f, nrows, kw, sw,
             xhi - xlo, bias, act);
  }
}

/* Planes whose zero-padded copy has at most this many floats (16 KiB, on
 * each thread's stack) are copied into it and computed with no border
 * cases at all: on MobileNet's small planes (32x32 down to 2x2, where most
 * or all outputs touch the padding) the border taps would cost more than
 * the copy. */
#define DW_PADDED_MAX 4096

/* Copies one input plane into the interior of the padded plane `pad` (its
 * border rows and columns are zero, written once per thread). */
static void dw_fill_padded(const float *in, int ih, int iw, const sp_window *w, float *pad) {
  const int pw = iw + w->pl + w->pr;
  for (int y = 0; y < ih; y++) {
    const float *s = in + (size_t)y * (size_t)iw;
    float *d = pad + (size_t)(w->pt + y) * (size_t)pw + (size_t)w->pl;
    /* rows of 2 to 64 floats: a call to memcpy per row cost more than the copy */
    for (int x = 0; x < iw; x += VEC_LANES)
      vec_store_first(d + x, vec_load_first(s + x, iw - x), iw - x);
  }
}

/* A whole output plane of a 3x3 filter with stride s in both directions from
 * a padded plane: one loop nest, so that the filter, bias and bounds stay
 * in registers across the rows (a call per row reloaded them). */
DW_INLINE void dw_plane_3x3(const float *pad, size_t pw, float *out, int oh, int ow, int s,
                            const float *filter, float bias, sp_act act) {
  for (int oy = 0; oy < oh; oy++)
    dw_span(out + (size_t)oy * (size_t)ow, pad + (size_t)oy * (size_t)s * pw, pw, filter, 3, 3, s,
            ow, bias, act);
}
static void dw_plane_3x3_s1(const float *pad, size_t pw, float *out, int oh, int ow,
                            const float *filter, float bias, sp_act act) {
  dw_plane_3x3(pad, pw, out, oh, ow, 1, filter, bias, act);
}
static void dw_plane_3x3_s2(const float *pad, size_t pw, float *out, int oh, int ow,
                            const float *filter, float bias, sp_act act) {
  dw_plane_3x3(pad, pw, out, oh, ow, 2, filter, bias, act);
}

/* One output plane from a padded input plane. */
static void dw_plane_padded(const float *pad, int iw, float *out, int oh, int ow,
                            const sp_window *w, const float *filter, float bias, sp_act act) {
  const size_t pw = (size_t)(iw + w->pl + w->pr);
  const int k3 = w->kh == 3 && w->kw == 3;
  if (k3 && w->sh == 1 && w->sw == 1) {
    dw_plane_3x3_s1(pad, pw, out, oh, ow, filter, bias, act);
    return;
  }
  if (k3 && w->sh == 2 && w->sw == 2) {
    dw_plane_3x3_s2(pad, pw, out, oh, ow, filter, bias, act);
    return;
  }
  for (int oy = 0; oy < oh; oy++)
    dw_row(out + (size_t)oy * (size_t)ow, pad + (size_t)oy * (size_t)w->sh * pw, pw, filter,
           w->kh, w->kw, w->sw, ow, bias, act);
}

/* Planes of all images and input channels are independent and cost the
 * same: one static parallel loop over them (threads == 1: no parallel
 * region); the `mult` output channels of an input plane are computed
 * together, from one padded copy. */
static void conv2d_depthwise(const sp_kernel_args *a, int threads) {
  const sp_node *node = a->node;
  const sp_window *w = &node->win;
  const sp_dims id = a->in_dims[0], od = a->out_dims;
  if (sp_dw_blocked_fits(&id, &od, w)) {
    sp_dw_blocked_run(a, threads);
    return;
  }
  const int mult = od.c / id.c, planes = a->batch * id.c;
  const size_t in_plane = (size_t)id.h * (size_t)id.w, out_plane = (size_t)od.h * (size_t)od.w;
  const size_t taps = (size_t)w->kh * (size_t)w->kw;
  const size_t padded = (size_t)(id.h + w->pt + w->pb) * (size_t)(id.w + w->pl + w->pr);
  const int use_pad = padded <= DW_PADDED_MAX;
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    _Alignas(64) float pad[DW_PADDED_MAX];
    if (use_pad) memset(pad, 0, padded * sizeof *pad);
#pragma omp for schedule(static)
    for (int p = 0; p < planes; p++) {
      const float *in = a->in[0] + (size_t)p * in_plane;
      if (use_pad) dw_fill_padded(in, id.h, id.w, w, pad);
      for (int j = 0; j < mult; j++) {
        const int oc = p % id.c * mult + j; /* output channel within the image */
        float *out = a->out + ((size_t)p * (size_t)mult + (size_t)j) * out_plane;
        const float *f = node->weight + (size_t)oc * taps;
        const float bias = node->bias ? node->bias[oc] : 0.0f;
        if (use_pad)
          dw_plane_padded(pad, id.w, out, od.h, od.w, w, f, bias, node->act);
        else
          dw_plane_borders(in, id.h, id.w, out, od.h, od.w, w, f, bias, node->act);
      }
    }
  }
}

void sp_kernel_conv2d__depthwise_serial(const sp_kernel_args *a) { conv2d_depthwise(a, 1); }

void sp_kernel_conv2d__depthwise_omp(const sp_kernel_args *a) {
  conv2d_depthwise(a, a->threads);
}
