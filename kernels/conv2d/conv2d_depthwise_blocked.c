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
 * Without AVX-512 the same scheme runs 8 channels a vector (vec8.h: AVX2
 * under -march=native, GCC's portable vectors elsewhere), 8x8 transposes.
 *
 * Used by the depthwise variants (conv2d_depthwise.c) when
 * sp_dw_blocked_fits(): channel multiplier 1, at most 16 taps, and
 * a padded tile of at most DW_TILE_PIXELS pixels (so it and the output tile
 * stay in L1 on each thread's stack). */
#include "kernels/conv2d/conv2d_depthwise_blocked.h"

#ifdef __AVX512F__
#include <immintrin.h>
#include <string.h>

#include "kernels/activation.h"
#include "kernels/common/bias_act.h"

#define DW_TILE_PIXELS 400 /* up to 18x18 padded: 16x16 planes with padding 1 */
#define BLK 16

int sp_dw_blocked_fits(const sp_dims *in, const sp_dims *out, const sp_window *w) {
  const int ph = in->h + w->pt + w->pb, pw = in->w + w->pl + w->pr;
  return out->c == in->c && w->kh * w->kw <= BLK && ph * pw <= DW_TILE_PIXELS &&
         out->h * out->w <= DW_TILE_PIXELS;
}

/* In-register transpose: on return r[j] lane k = r[k] lane j on entry. */
static inline __attribute__((always_inline)) void transpose16(__m512 r[BLK]) {
  __m512 t[BLK];
  for (int i = 0; i < 8; i++) { /* per 128-bit lane: [a0 b0 a1 b1], [a2 b2 a3 b3] */
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; i++) { /* r[4i + j], 128-bit lane L: column 4L + j of rows 4i..4i+3 */
    r[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int j = 0; j < 4; j++) { /* gather lane L of r[j], r[4+j], r[8+j], r[12+j] */
    const __m512 u0 = _mm512_shuffle_f32x4(r[j], r[4 + j], 0x88);
    const __m512 u1 = _mm512_shuffle_f32x4(r[j], r[4 + j], 0xdd);
    const __m512 u2 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0x88);
    const __m512 u3 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0xdd);
    t[j] = _mm512_shuffle_f32x4(u0, u2, 0x88);
    t[4 + j] = _mm512_shuffle_f32x4(u1, u3, 0x88);
    t[8 + j] = _mm512_shuffle_f32x4(u0, u2, 0xdd);
    t[12 + j] = _mm512_shuffle_f32x4(u1, u3, 0xdd);
  }
  for (int i = 0; i < BLK; i++) r[i] = t[i];
}

static inline __mmask16 first(int n) { return (__mmask16)(n >= BLK ? 0xffffu : (1u << n) - 1); }

/* r[k] = the n floats at src + k * stride for the nc rows k < nc, zeros for
 * the rest (so nothing is read past a row or past the last channel). */
static inline __attribute__((always_inline)) void load_rows(__m512 r[BLK], const float *src,
                                                            size_t stride, int nc, int n) {
  for (int k = 0; k < BLK; k++)
    r[k] = k < nc ? _mm512_maskz_loadu_ps(first(n), src + (size_t)k * stride) : _mm512_setzero_ps();
}

/* One output tile (oh*ow pixels of 16 channels) from the padded input tile:
 * kh and kw are constants in the 3x3 instance, so the taps unroll. */
static inline __attribute__((always_inline)) void dw_tile(
    float *restrict otile, const float *restrict tile, int pw, int oh, int ow, int kh, int kw,
    int sh, int sw, const __m512 *filter, __m512 bias, int clamp, __m512 lo, __m512 hi) {
  for (int oy = 0; oy < oh; oy++)
    for (int ox = 0; ox < ow; ox++) {
      const float *base = tile + ((size_t)(oy * sh) * (size_t)pw + (size_t)(ox * sw)) * BLK;
      __m512 acc = bias;
      for (int r = 0; r < kh; r++)
        for (int t = 0; t < kw; t++)
          acc = _mm512_fmadd_ps(filter[r * kw + t],
                                _mm512_load_ps(base + ((size_t)r * (size_t)pw + (size_t)t) * BLK),
                                acc);
      if (clamp) acc = _mm512_min_ps(_mm512_max_ps(acc, lo), hi);
      _mm512_store_ps(otile + ((size_t)oy * (size_t)ow + (size_t)ox) * BLK, acc);
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
  const int clamp = node->act != SP_ACT_NONE; /* max(acc, lo) gives lo for NaN, as sp_activate */
  const __m512 lo = _mm512_set1_ps(lo_s), hi = _mm512_set1_ps(hi_s);
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
      __m512 r[BLK], filter[BLK];
      /* filters: row k = channel c0 + k's taps -> filter[tap] = 16 channels' weights */
      load_rows(filter, node->weight + (size_t)c0 * (size_t)taps, (size_t)taps, nc, taps);
      transpose16(filter);
      const __m512 bias = node->bias ? _mm512_maskz_loadu_ps(first(nc), node->bias + c0)
                                     : _mm512_setzero_ps();
      /* input planes -> the tile's interior, 16 pixels at a time */
      for (size_t p0 = 0; p0 < in_plane; p0 += BLK) {
        const int n = in_plane - p0 < BLK ? (int)(in_plane - p0) : BLK;
        load_rows(r, in + p0, in_plane, nc, n);
        transpose16(r);
        for (int j = 0; j < n; j++) {
          const size_t y = (p0 + (size_t)j) / (size_t)id.w, x = (p0 + (size_t)j) % (size_t)id.w;
          _mm512_store_ps(tile + ((y + (size_t)w->pt) * (size_t)pw + x + (size_t)w->pl) * BLK,
                          r[j]);
        }
      }
      if (w->kh == 3 && w->kw == 3 && w->sh == 1 && w->sw == 1)
        dw_tile(otile, tile, pw, od.h, od.w, 3, 3, 1, 1, filter, bias, clamp, lo, hi);
      else if (w->kh == 3 && w->kw == 3 && w->sh == 2 && w->sw == 2)
        dw_tile(otile, tile, pw, od.h, od.w, 3, 3, 2, 2, filter, bias, clamp, lo, hi);
      else
        dw_tile(otile, tile, pw, od.h, od.w, w->kh, w->kw, w->sh, w->sw, filter, bias, clamp, lo,
                hi);
      /* the output tile -> the output planes, 16 pixels at a time */
      for (size_t p0 = 0; p0 < out_plane; p0 += BLK) {
        const int n = out_plane - p0 < BLK ? (int)(out_plane - p0) : BLK;
        for (int j = 0; j < BLK; j++)
          r[j] = j < n ? _mm512_load_ps(otile + (p0 + (size_t)j) * BLK) : _mm512_setzero_ps();
        transpose16(r);
        for (int k = 0; k < nc; k++)
          _mm512_mask_storeu_ps(out + (size_t)k * out_plane + p0, first(n), r[k]);
      }
    }
  }
}

#else /* AVX2 or any other CPU: the same scheme, 8 channels a vector (vec8.h) */
#include "kernels/activation.h"
#include "kernels/common/bias_act.h"
#include "kernels/common/vec8.h"

#define DW_TILE_PIXELS 400 /* up to 18x18 padded: 16x16 planes with padding 1 */
#define BLK 8
#define MAX_TAPS 16

int sp_dw_blocked_fits(const sp_dims *in, const sp_dims *out, const sp_window *w) {
  const int ph = in->h + w->pt + w->pb, pw = in->w + w->pl + w->pr;
  return out->c == in->c && w->kh * w->kw <= MAX_TAPS && ph * pw <= DW_TILE_PIXELS &&
         out->h * out->w <= DW_TILE_PIXELS;
}

/* r[k] = the n floats at src + k * stride for the nc rows k < nc, zeros for
 * the rest (nothing is read past a row or past the last channel). */
V8_INLINE void load_rows(v8f r[BLK], const float *src, size_t stride, int nc, int n) {
  for (int k = 0; k < BLK; k++) r[k] = k < nc ? v8_load_first(src + (size_t)k * stride, n) : (v8f){0};
}

/* One output tile (oh*ow pixels of 8 channels) from the padded input tile;
 * kh and kw are constants in the 3x3 instances, so the taps unroll. */
V8_INLINE void dw_tile(float *restrict otile, const float *restrict tile, int pw, int oh, int ow,
                       int kh, int kw, int sh, int sw, const v8f *filter, v8f bias, int clamp,
                       v8f lo, v8f hi) {
  for (int oy = 0; oy < oh; oy++)
    for (int ox = 0; ox < ow; ox++) {
      const float *base = tile + ((size_t)(oy * sh) * (size_t)pw + (size_t)(ox * sw)) * BLK;
      v8f acc = bias;
      for (int r = 0; r < kh; r++)
        for (int t = 0; t < kw; t++)
          acc = v8_fma(filter[r * kw + t],
                       *(const v8f *)(base + ((size_t)r * (size_t)pw + (size_t)t) * BLK), acc);
      if (clamp) acc = v8_clamp(acc, lo, hi);
      *(v8f *)(otile + ((size_t)oy * (size_t)ow + (size_t)ox) * BLK) = acc;
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
  const v8f lo = v8_set1(lo_s), hi = v8_set1(hi_s);
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    _Alignas(32) float tile[DW_TILE_PIXELS * BLK];
    _Alignas(32) float otile[DW_TILE_PIXELS * BLK];
    memset(tile, 0, (size_t)ph * (size_t)pw * BLK * sizeof *tile); /* the border stays zero */
#pragma omp for schedule(static)
    for (int it = 0; it < items; it++) {
      const int img = it / blocks, c0 = it % blocks * BLK;
      const int nc = id.c - c0 < BLK ? id.c - c0 : BLK;
      const float *in = a->in[0] + ((size_t)img * (size_t)id.c + (size_t)c0) * in_plane;
      float *out = a->out + ((size_t)img * (size_t)od.c + (size_t)c0) * out_plane;
      v8f r[BLK], filter[MAX_TAPS];
      /* filters: row k = channel c0 + k's taps -> filter[tap] = 8 channels'
       * weights, 8 taps a transpose */
      const float *wts = node->weight + (size_t)c0 * (size_t)taps;
      for (int t0 = 0; t0 < taps; t0 += BLK) {
        load_rows(filter + t0, wts + t0, (size_t)taps, nc, taps - t0);
        v8_transpose(filter + t0);
      }
      float b[BLK] = {0};
      for (int k = 0; k < nc && node->bias; k++) b[k] = node->bias[c0 + k];
      v8f bias;
      memcpy(&bias, b, sizeof bias);
      /* input planes -> the tile's interior, 8 pixels at a time */
      for (size_t p0 = 0; p0 < in_plane; p0 += BLK) {
        const int n = in_plane - p0 < BLK ? (int)(in_plane - p0) : BLK;
        load_rows(r, in + p0, in_plane, nc, n);
        v8_transpose(r);
        for (int j = 0; j < n; j++) {
          const size_t y = (p0 + (size_t)j) / (size_t)id.w, x = (p0 + (size_t)j) % (size_t)id.w;
          *(v8f *)(tile + ((y + (size_t)w->pt) * (size_t)pw + x + (size_t)w->pl) * BLK) = r[j];
        }
      }
      if (w->kh == 3 && w->kw == 3 && w->sh == 1 && w->sw == 1)
        dw_tile(otile, tile, pw, od.h, od.w, 3, 3, 1, 1, filter, bias, clamp, lo, hi);
      else if (w->kh == 3 && w->kw == 3 && w->sh == 2 && w->sw == 2)
        dw_tile(otile, tile, pw, od.h, od.w, 3, 3, 2, 2, filter, bias, clamp, lo, hi);
      else
        dw_tile(otile, tile, pw, od.h, od.w, w->kh, w->kw, w->sh, w->sw, filter, bias, clamp, lo,
                hi);
      /* the output tile -> the output planes, 8 pixels at a time */
      for (size_t p0 = 0; p0 < out_plane; p0 += BLK) {
        const int n = out_plane - p0 < BLK ? (int)(out_plane - p0) : BLK;
        for (int j = 0; j < BLK; j++)
          r[j] = j < n ? *(const v8f *)(otile + (p0 + (size_t)j) * BLK) : (v8f){0};
        v8_transpose(r);
        for (int k = 0; k < nc; k++) v8_store_first(out + (size_t)k * out_plane + p0, r[k], n);
      }
    }
  }
}

#endif
