/* Depthwise convolution on small planes, 16 channels a vector.
 *
 * MobileNet's late depthwise layers have planes of 8x8, 4x4 and 2x2: a
 * row-per-vector kernel fills 2 to 8 of a vector's 16 lanes and pays the
 * per-plane overhead 512 or 1024 times. Here a block of 16 channels is
 * transposed into a zero-padded channel-minor tile (pixel-major, 16 channels
 * per pixel), so every filter tap of every output pixel is one full-width
 * FMA with the 16 channels' weights of that tap, and no output touches a
 * border case; the 16-channel output tile is transposed back. The
 * transposes are 16x16 in registers (three per 16 pixels and one for the
 * filters), which on these planes costs less than the lanes the row kernel
 * leaves empty.
 *
 * Without AVX-512 the same code runs 8 channels a vector (vec.h: AVX2
 * under -march=native, GCC's portable vectors elsewhere), 8x8 transposes.
 *
 * Used by the depthwise variants (conv2d_depthwise.c) when
 * sp_dw_blocked_fits(): channel multiplier 1, at most 16 taps, and
 * a padded tile of at most DW_TILE_PIXELS pixels (so it and the output tile
 * stay in L1 on each thread's stack). */
#include "kernels/conv2d/conv2d_depthwise_blocked.h"

#include <string.h>

#include "kernels/activation.h"
#include "kernels/common/bias_act.h"
#include "kernels/common/vec.h"

#define DW_TILE_PIXELS 400 /* up to 18x18 padded: 16x16 planes with padding 1 */
#define MAX_TAPS 16

#define BLK VEC_LANES

int sp_dw_blocked_fits(const sp_dims *in, const sp_dims *out, const sp_window *w) {
  const int ph = in->h + w->pt + w->pb, pw = in->w + w->pl + w->pr;
  return out->c == in->c && w->kh * w->kw <= MAX_TAPS && ph * pw <= DW_TILE_PIXELS &&
         out->h * out->w <= DW_TILE_PIXELS;
}

/* r[k] = the n floats at src + k * stride for the nc rows k < nc, zeros for
 * the rest (so nothing is read past a row or past the last channel). */
VEC_INLINE void load_rows(vec r[BLK], const float *src, size_t stride, int nc, int n) {
  for (int k = 0; k < BLK; k++) r[k] = k < nc ? vec_load_first(src + (size_t)k * stride, n) : vec_zero();
}

/* One output tile (oh*ow pixels of BLK channels) from the padded input
 * tile: kh and kw are constants in the 3x3 instances, so the taps unroll. */
VEC_INLINE void dw_tile(float *restrict otile, const float *restrict tile, int pw, int oh, int ow,
                        int kh, int kw, int sh, int sw, const vec *filter, vec bias, int clamp,
                        vec lo, vec hi) {
  for (int oy = 0; oy < oh; oy++)
    for (int ox = 0; ox < ow; ox++) {
      const float *base = tile + ((size_t)(oy * sh) * (size_t)pw + (size_t)(ox * sw)) * BLK;
      vec acc = bias;
      for (int r = 0; r < kh; r++)
        for (int t = 0; t < kw; t++)
          acc = vec_fma(filter[r * kw + t], vec_load(base + ((size_t)r * (size_t)pw + (size_t)t) * BLK),
                        acc);
      if (clamp) acc = vec_clamp(acc, lo, hi);
      vec_store(otile + ((size_t)oy * (size_t)ow + (size_t)ox) * BLK, acc);
    }
}

void sp_dw_blocked_run(const sp_kernel_args *a, int threads) {
  const sp_node *node = a->node;
  const sp_window *w = &node->win;
  const sp_dims id = a->in_dims[0], od = a->out_dims;
  const int blocks = (id.c + BLK - 1) / BLK, items = a->batch * blocks;
  const int ph = id.h + w->pt + w->pb, pw = id.w + w->pl + w->pr, taps = w->kh * w->kw;
  const size_t in_plane = (size_t)id.h * (size_t)id.w, out_plane = (size_t)od.h * (size_t)od.w;
  float lo_s, hi_s;
  sp_act_bounds(node->act, &lo_s, &hi_s);
  const int clamp = node->act != SP_ACT_NONE;
  const vec lo = vec_set1(lo_s), hi = vec_set1(hi_s);
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    _Alignas(64) float tile[DW_TILE_PIXELS * BLK];
    _Alignas(64) float otile[DW_TILE_PIXELS * BLK];
    memset(tile, 0, (size_t)ph * (size_t)pw * BLK * sizeof *tile); /* the border stays zero */
#pragma omp for schedule(static)
    for (int it = 0; it < items; it++) {
      const int img = it / blocks, c0 = it % blocks * BLK;
      const int nc = id.c - c0 < BLK ? id.c - c0 : BLK;
      const float *in = a->in[0] + ((size_t)img * (size_t)id.c + (size_t)c0) * in_plane;
      float *out = a->out + ((size_t)img * (size_t)od.c + (size_t)c0) * out_plane;
      vec r[BLK], filter[MAX_TAPS > BLK ? MAX_TAPS : BLK];
      /* filters: row k = channel c0 + k's taps -> filter[tap] = BLK channels'
       * weights, BLK taps a transpose */
      const float *wts = node->weight + (size_t)c0 * (size_t)taps;
      for (int t0 = 0; t0 < taps; t0 += BLK) {
        load_rows(filter + t0, wts + t0, (size_t)taps, nc, taps - t0);
        vec_transpose(filter + t0);
      }
      const vec bias = node->bias ? vec_load_first(node->bias + c0, nc) : vec_zero();
      /* input planes -> the tile's interior, BLK pixels at a time */
      for (size_t p0 = 0; p0 < in_plane; p0 += BLK) {
        const int n = in_plane - p0 < BLK ? (int)(in_plane - p0) : BLK;
        load_rows(r, in + p0, in_plane, nc, n);
        vec_transpose(r);
        for (int j = 0; j < n; j++) {
          const size_t y = (p0 + (size_t)j) / (size_t)id.w, x = (p0 + (size_t)j) % (size_t)id.w;
          vec_store(tile + ((y + (size_t)w->pt) * (size_t)pw + x + (size_t)w->pl) * BLK, r[j]);
        }
      }
      if (w->kh == 3 && w->kw == 3 && w->sh == 1 && w->sw == 1)
        dw_tile(otile, tile, pw, od.h, od.w, 3, 3, 1, 1, filter, bias, clamp, lo, hi);
      else if (w->kh == 3 && w->kw == 3 && w->sh == 2 && w->sw == 2)
        dw_tile(otile, tile, pw, od.h, od.w, 3, 3, 2, 2, filter, bias, clamp, lo, hi);
      else
        dw_tile(otile, tile, pw, od.h, od.w, w->kh, w->kw, w->sh, w->sw, filter, bias, clamp, lo,
                hi);
      /* the output tile -> the output planes, BLK pixels at a time */
      for (size_t p0 = 0; p0 < out_plane; p0 += BLK) {
        const int n = out_plane - p0 < BLK ? (int)(out_plane - p0) : BLK;
        for (int j = 0; j < BLK; j++)
          r[j] = j < n ? vec_load(otile + (p0 + (size_t)j) * BLK) : vec_zero();
        vec_transpose(r);
        for (int k = 0; k < nc; k++) vec_store_first(out + (size_t)k * out_plane + p0, r[k], n);
      }
    }
  }
}
