/* im2col (im2col.h). One lowered row is one (channel, ky, kx) tap: for each
 * output row it is a shifted, possibly strided, copy of one input row with
 * zeros where the tap falls in the padding. The valid output range of the
 * tap is computed once per row, so the copy loops have no bounds checks. */
#include "kernels/common/im2col.h"

#include <string.h>

#include <omp.h>

/* Below this many floats a parallel region costs more than the copy. */
#define IM2COL_PARALLEL_MIN 32768

sp_conv_geom sp_conv_geom_of(const sp_graph *g, const sp_node *node) {
  return sp_conv_geom_make(sp_node_in(g, node, 0), node->out, node);
}

sp_conv_geom sp_conv_geom_make(sp_dims in, sp_dims out, const sp_node *node) {
  sp_conv_geom geo = {.cin = in.c, .ih = in.h, .iw = in.w, .cout = out.c, .oh = out.h,
                      .ow = out.w, .groups = node->groups, .win = node->win};
  geo.cin_g = in.c / node->groups;
  geo.cout_g = out.c / node->groups;
  geo.k = geo.cin_g * geo.win.kh * geo.win.kw;
  geo.n = out.h * out.w;
  return geo;
}

int sp_conv_geom_is_pointwise(const sp_conv_geom *geo) {
  const sp_window *w = &geo->win;
  return w->kh == 1 && w->kw == 1 && w->sh == 1 && w->sw == 1 && w->pt == 0 && w->pl == 0 &&
         w->pb == 0 && w->pr == 0;
}

/* Output positions o in [*lo, *hi) whose input o * stride + offset lies in
 * [0, in). */
static void valid_range(int in, int out, int stride, int offset, int *lo, int *hi) {
  *lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int last = in - 1 - offset;
  *hi = last < 0 ? 0 : last / stride + 1;
  if (*hi > out) *hi = out;
  if (*lo > *hi) *lo = *hi;
}

/* im2col_row for stride 1 and "same" width (ow == iw, 3x3 pad 1): the
 * valid rows of the tap are then one contiguous stretch of the input plane,
 * shifted, so they are copied with one memcpy; the few positions that took
 * a neighbouring row's value (window in the left or right padding) are
 * zeroed afterwards. */
static void im2col_row_same(const sp_conv_geom *geo, const float *plane, int ky, int kx, int y0,
                            int y1, int x0, int x1, int n0, int n1, float *restrict dst) {
  const long ow = geo->ow, plane_size = (long)geo->ih * geo->iw;
  const long off = (long)(ky - geo->win.pt) * ow + (kx - geo->win.pl); /* source = j + off */
  const long ja = n0 > y0 * ow ? n0 : y0 * ow, jb = n1 < y1 * ow ? n1 : y1 * ow;
  if (ja >= jb) {
    memset(dst, 0, (size_t)(n1 - n0) * sizeof *dst);
    return;
  }
  memset(dst, 0, (size_t)(ja - n0) * sizeof *dst);
  memset(dst + (jb - n0), 0, (size_t)(n1 - jb) * sizeof *dst);
  /* positions whose source lies outside the plane are border columns */
  const long cs = ja > -off ? ja : -off, ce = jb < plane_size - off ? jb : plane_size - off;
  if (cs < ce) memcpy(dst + (cs - n0), plane + (cs + off), (size_t)(ce - cs) * sizeof *dst);
  if (x0 == 0 && x1 == ow) return;
  for (long row = ja / ow * ow; row < jb; row += ow) {
    for (long j = row; j < row + x0; j++)
      if (j >= ja && j < jb) dst[j - n0] = 0.0f;
    for (long j = row + x1; j < row + ow; j++)
      if (j >= ja && j < jb) dst[j - n0] = 0.0f;
  }
}

/* Columns [n0, n1) of one lowered row, tap (ky, kx) of input plane
 * `plane`, into dst[0 .. n1 - n0): output row by output row, each a zeroed
 * head, a (strided) copy of the valid input, a zeroed tail. */
static void im2col_row(const sp_conv_geom *geo, const float *plane, int ky, int kx, int n0,
                       int n1, float *restrict dst) {
  const sp_window *w = &geo->win;
  const int ow = geo->ow, sw = w->sw;
  int y0, y1, x0, x1;
  valid_range(geo->ih, geo->oh, w->sh, ky - w->pt, &y0, &y1);
  valid_range(geo->iw, ow, sw, kx - w->pl, &x0, &x1);
  if (w->sh == 1 && sw == 1 && geo->iw == ow) {
    im2col_row_same(geo, plane, ky, kx, y0, y1, x0, x1, n0, n1, dst);
    return;
  }
  for (int j = n0; j < n1;) {
    const int oy = j / ow, xa = j % ow, xb = n1 - j < ow - xa ? xa + (n1 - j) : ow;
    float *restrict d = dst + (j - n0) - xa; /* d[ox] is column oy * ow + ox */
    if (oy < y0 || oy >= y1) {
      memset(d + xa, 0, (size_t)(xb - xa) * sizeof *d);
    } else {
      const int ca = xa > x0 ? xa : x0, cb = xb < x1 ? xb : x1; /* copied: [ca, cb) */
      const float *restrict s = plane + (size_t)(oy * w->sh - w->pt + ky) * (size_t)geo->iw;
      if (ca >= cb) {
        memset(d + xa, 0, (size_t)(xb - xa) * sizeof *d);
      } else {
        for (int ox = xa; ox < ca; ox++) d[ox] = 0.0f;
        if (sw == 1) {
          memcpy(d + ca, s + (ca - w->pl + kx), (size_t)(cb - ca) * sizeof *d);
        } else {
          for (int ox = ca; ox < cb; ox++) d[ox] = s[(size_t)(ox * sw - w->pl + kx)];
        }
        for (int ox = cb; ox < xb; ox++) d[ox] = 0.0f;
      }
    }
    j += xb - xa;
  }
}

/* Rows [k0, k1) x columns [n0, n1) into col (row r at col + r * ld). */
static void lower(const sp_conv_geom *geo, const float *image, int group, int k0, int k1, int n0,
                  int n1, float *col, size_t ld) {
  const int kh = geo->win.kh, kw = geo->win.kw;
  const size_t plane = (size_t)geo->ih * (size_t)geo->iw;
  for (int r = k0; r < k1; r++) {
    const int c = r / (kh * kw), ky = r / kw % kh, kx = r % kw;
    im2col_row(geo, image + (size_t)(group * geo->cin_g + c) * plane, ky, kx, n0, n1,
               col + (size_t)r * ld);
  }
}

void sp_im2col_rows(const sp_conv_geom *geo, const float *image, int group, int k0, int k1,
                    float *col) {
  lower(geo, image, group, k0, k1, 0, geo->n, col, (size_t)geo->n);
}

void sp_im2col_block(const sp_conv_geom *geo, const float *image, int group, int n0, int n1,
                     float *col, int threads) {
  const size_t ld = (size_t)(n1 - n0);
  if (threads <= 1 || (size_t)geo->k * ld < IM2COL_PARALLEL_MIN) {
    lower(geo, image, group, 0, geo->k, n0, n1, col, ld);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    /* contiguous row blocks: each thread writes one stretch of col */
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    lower(geo, image, group, (int)((long)geo->k * t / nt), (int)((long)geo->k * (t + 1) / nt), n0,
          n1, col, ld);
  }
}

void sp_im2col(const sp_conv_geom *geo, const float *image, int group, float *col, int threads) {
  sp_im2col_block(geo, image, group, 0, geo->n, col, threads);
}
