/* The transforms of Winograd minimal filtering F(m x m, 3 x 3) (Lavin &
 * Gray, "Fast Algorithms for Convolutional Neural Networks", 2016), for
 * output tiles of m = 2 or m = 4 pixels a side; an input tile is
 * alpha = m + 2 pixels a side. With g the 3x3 filter and d an alpha x alpha
 * input tile, the m x m output tile is
 *
 *     Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A.
 *
 * m = 2 interpolates at 0, 1, -1, ∞; m = 4 at 0, 1, -1, 2, -2, ∞. The
 * filter transform, run once per layer, is a matrix product in double with
 * the G tables. The input and output transforms are written out as formulas
 * (Bᵀ and Aᵀ are mostly zeros and small powers of two) and applied to rows
 * of tiles by three kernels, each in a portable version the compiler
 * vectorises and an AVX-512 one:
 *
 *   wino_input_cols    Bᵀ down the columns of alpha image rows (contiguous),
 *                      zero padding included
 *   wino_input_tiles   Bᵀ along a row, across tiles (stride m), into V
 *   wino_output_tiles  Aᵀ M A of up to 16 tiles, + bias, activation, clipped
 *                      to the image, into the NCHW output rows
 *
 * `m` is a constant wherever these are inlined, so one branch remains.
 * Internal to kernels/cpu/conv2d_winograd.c. */
#ifndef SP_WINOGRAD_TRANSFORMS_H
#define SP_WINOGRAD_TRANSFORMS_H

#include <stddef.h>

#include "kernels/activation.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#define WINO_ALPHA_MAX 6
#define WINO_INLINE static inline __attribute__((always_inline))

/* G (alpha x 3) of F(2, 3) and F(4, 3). */
static const double wino_g2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
static const double wino_g4[6][3] = {
    {1.0 / 4, 0, 0},
    {-1.0 / 6, -1.0 / 6, -1.0 / 6},
    {-1.0 / 6, 1.0 / 6, -1.0 / 6},
    {1.0 / 24, 1.0 / 12, 1.0 / 6},
    {1.0 / 24, -1.0 / 12, 1.0 / 6},
    {0, 0, 1}};

/* u = G g Gᵀ (alpha x alpha, row-major) of one 3x3 filter g, in double so
 * that the only rounding is the final one to float. */
static inline void wino_filter(int m, const float *g, double *u) {
  const int alpha = m + 2;
  const double(*G)[3] = m == 2 ? wino_g2 : wino_g4;
  double gg[WINO_ALPHA_MAX][3]; /* G g */
  for (int i = 0; i < alpha; i++)
    for (int c = 0; c < 3; c++)
      gg[i][c] = G[i][0] * g[c] + G[i][1] * g[3 + c] + G[i][2] * g[6 + c];
  for (int i = 0; i < alpha; i++)
    for (int j = 0; j < alpha; j++)
      u[i * alpha + j] = gg[i][0] * G[j][0] + gg[i][1] * G[j][1] + gg[i][2] * G[j][2];
}

/* The 1-D transforms, once for floats and once for vectors of 16 (GCC and
 * clang give vector types the arithmetic operators):
 *
 *   input  y = Bᵀ d, alpha values. Rows of Bᵀ:
 *     m = 2: [1 0 -1 0] [0 1 1 0] [0 -1 1 0] [0 1 0 -1]
 *     m = 4: [4 0 -5 0 1 0] [0 -4 -4 1 1 0] [0 4 -4 -1 1 0]
 *            [0 -2 -1 2 1 0] [0 2 -1 -2 1 0] [0 4 0 -5 0 1]
 *   output y = Aᵀ d, alpha values in, m out. Rows of Aᵀ:
 *     m = 2: [1 1 1 0] [0 1 -1 -1]
 *     m = 4: [1 1 1 1 1 0] [0 1 -1 2 -2 0] [0 1 1 4 4 0] [0 1 -1 8 -8 1] */
#define WINO_DEFINE_1D(T, suffix)                                                       \
  WINO_INLINE void wino_input_1d##suffix(int m, const T *d, T *y) {                    \
    if (m == 2) {                                                                       \
      y[0] = d[0] - d[2];                                                               \
      y[1] = d[1] + d[2];                                                               \
      y[2] = d[2] - d[1];                                                               \
      y[3] = d[1] - d[3];                                                               \
    } else {                                                                            \
      const T p = d[4] - d[2], q = d[3] - d[1];                                         \
      y[0] = 4.0f * d[0] - 5.0f * d[2] + d[4];                                          \
      y[1] = (d[3] + d[4]) - 4.0f * (d[1] + d[2]);                                      \
      y[2] = (d[4] - d[3]) + 4.0f * (d[1] - d[2]);                                      \
      y[3] = p + 2.0f * q;                                                              \
      y[4] = p - 2.0f * q;                                                              \
      y[5] = 4.0f * d[1] - 5.0f * d[3] + d[5];                                          \
    }                                                                                   \
  }                                                                                     \
  WINO_INLINE void wino_output_1d##suffix(int m, const T *d, T *y) {                   \
    if (m == 2) {                                                                       \
      y[0] = d[0] + d[1] + d[2];                                                        \
      y[1] = d[1] - d[2] - d[3];                                                        \
    } else {                                                                            \
      const T s12 = d[1] + d[2], d12 = d[1] - d[2], s34 = d[3] + d[4], d34 = d[3] - d[4]; \
      y[0] = d[0] + s12 + s34;                                                          \
      y[1] = d12 + 2.0f * d34;                                                          \
      y[2] = s12 + 4.0f * s34;                                                          \
      y[3] = d12 + 8.0f * d34 + d[5];                                                   \
    }                                                                                   \
  }

#if defined(__AVX512F__)
WINO_DEFINE_1D(__m512, _v)

/* Lanes [0, n) set; n >= 1. */
WINO_INLINE __mmask16 wino_mask(int n) {
  return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1);
}

/* Columns [x, x + 16) of an image row of width w, zeros outside [0, w)
 * and for a padding row (NULL). Reads only inside the row: the edge vectors
 * take their valid columns with an expanding load into the right lanes. */
WINO_INLINE __m512 wino_load_cols(const float *row, int x, int w) {
  if (!row) return _mm512_setzero_ps();
  if (x >= 0 && x + 16 <= w) return _mm512_loadu_ps(row + x);
  const int l0 = x < 0 ? -x : 0, l1 = w - x < 16 ? w - x : 16;
  if (l1 <= l0) return _mm512_setzero_ps();
  const __mmask16 k = (__mmask16)(((1u << l1) - 1) & ~((1u << l0) - 1));
  return _mm512_maskz_expandloadu_ps(k, row + x + l0);
}

/* cp[i][x] = (Bᵀ (image column x0 + x of rows[0..alpha)))_i for x < n,
 * then zeros up to `end`: columns outside [0, w) and padding rows (NULL)
 * read as zeros. Whole vectors, so cp needs `end` rounded up to 16 floats
 * per row; the tile kernel then loads exactly what was stored here, which
 * the CPU forwards from its store buffer (partial overlaps would stall). */
WINO_INLINE void wino_input_cols(const int m, const float *const *rows, int x0, int w,
                                 float *const *cp, int n, int end) {
  int x = 0;
  for (; x < n; x += 16) {
    __m512 d[WINO_ALPHA_MAX], y[WINO_ALPHA_MAX];
    for (int r = 0; r < m + 2; r++) d[r] = wino_load_cols(rows[r], x0 + x, w);
    wino_input_1d_v(m, d, y);
    for (int i = 0; i < m + 2; i++) _mm512_storeu_ps(cp[i] + x, y[i]);
  }
  for (; x < end; x += 16)
    for (int i = 0; i < m + 2; i++) _mm512_storeu_ps(cp[i] + x, _mm512_setzero_ps());
}

/* dst[j][t] = (Bᵀ (c[m t], ..., c[m t + alpha - 1]))_j for t < nt; reads
 * c[0, m * round_up(nt, 16) + 2). Sixteen tiles at a time: the stride-m
 * phases c[m t + p] come from two-table permutes of the 16m floats (two
 * per phase and a blend for m = 4), the last two inputs c[m (t + 1) + p]
 * are phases 0 and 1 moved down a lane. */
WINO_INLINE void wino_input_tiles(const int m, const float *c, float *const *dst, int nt) {
  const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  for (int t = 0; t < nt; t += 16, c += 16 * m) {
    __m512 d[WINO_ALPHA_MAX], y[WINO_ALPHA_MAX];
    const __m512 a0 = _mm512_loadu_ps(c), a1 = _mm512_loadu_ps(c + 16);
    for (int p = 0; p < m; p++) {
      const __m512i idx = _mm512_add_epi32(_mm512_mullo_epi32(lane, _mm512_set1_epi32(m)),
                                           _mm512_set1_epi32(p)); /* only 5 bits count */
      d[p] = _mm512_permutex2var_ps(a0, idx, a1);
      if (m == 4)
        d[p] = _mm512_mask_mov_ps(d[p], 0xFF00, _mm512_permutex2var_ps(
                                                    _mm512_loadu_ps(c + 32), idx,
                                                    _mm512_loadu_ps(c + 48)));
    }
    for (int q = 0; q < 2; q++)
      d[m + q] = _mm512_castsi512_ps(_mm512_alignr_epi32(
          _mm512_castps_si512(_mm512_set1_ps(c[16 * m + q])), _mm512_castps_si512(d[q]), 1));
    wino_input_1d_v(m, d, y);
    const __mmask16 k = wino_mask(nt - t);
    for (int j = 0; j < m + 2; j++) _mm512_mask_storeu_ps(dst[j] + t, k, y[j]);
  }
}

/* y[b][t] (16 tiles each) -> out[m t + b]: m vectors of 16 floats. */
WINO_INLINE void wino_interleave(const int m, const __m512 *y, __m512 *out) {
  /* pair[l] = l / 2 + 16 (l % 2): a's lane l / 2, then b's */
  const __m512i pair = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  const __m512i eight = _mm512_set1_epi32(8);
  if (m == 2) {
    out[0] = _mm512_permutex2var_ps(y[0], pair, y[1]);
    out[1] = _mm512_permutex2var_ps(y[0], _mm512_add_epi32(pair, eight), y[1]);
  } else {
    /* quad[l] = 2 (l / 4) + l % 4, from b when l % 4 >= 2: pairs of pairs */
    const __m512i quad = _mm512_set_epi32(23, 22, 7, 6, 21, 20, 5, 4, 19, 18, 3, 2, 17, 16, 1, 0);
    const __m512 p01 = _mm512_permutex2var_ps(y[0], pair, y[1]);
    const __m512 p23 = _mm512_permutex2var_ps(y[2], pair, y[3]);
    const __m512 q01 = _mm512_permutex2var_ps(y[0], _mm512_add_epi32(pair, eight), y[1]);
    const __m512 q23 = _mm512_permutex2var_ps(y[2], _mm512_add_epi32(pair, eight), y[3]);
    out[0] = _mm512_permutex2var_ps(p01, quad, p23);
    out[1] = _mm512_permutex2var_ps(p01, _mm512_add_epi32(quad, eight), p23);
    out[2] = _mm512_permutex2var_ps(q01, quad, q23);
    out[3] = _mm512_permutex2var_ps(q01, _mm512_add_epi32(quad, eight), q23);
  }
}

/* nt <= 16 tiles, M_ξ[t] = mx[ξ ms + t]: output row a < rows (at out + a ldo)
 * gets act((Aᵀ M_t A)[a][x % m] + bias) at columns x < width <= m nt. */
WINO_INLINE void wino_output_tiles(const int m, const float *mx, size_t ms, int nt, float *out,
                                   size_t ldo, int rows, int width, float bias, sp_act act) {
  const int alpha = m + 2;
  const __mmask16 k = wino_mask(nt);
  __m512 ca[4][WINO_ALPHA_MAX]; /* Aᵀ M, row a, column j */
  for (int j = 0; j < alpha; j++) {
    __m512 d[WINO_ALPHA_MAX], y[4];
    for (int i = 0; i < alpha; i++)
      d[i] = _mm512_maskz_loadu_ps(k, mx + (size_t)(i * alpha + j) * ms);
    wino_output_1d_v(m, d, y);
    for (int a = 0; a < m; a++) ca[a][j] = y[a];
  }
  const __m512 b = _mm512_set1_ps(bias), zero = _mm512_setzero_ps(), six = _mm512_set1_ps(6.0f);
  for (int a = 0; a < rows; a++) {
    __m512 y[4], o[4];
    wino_output_1d_v(m, ca[a], y);
    wino_interleave(m, y, o);
    for (int v = 0; v < m && 16 * v < width; v++) {
      __m512 r = _mm512_add_ps(o[v], b);
      if (act != SP_ACT_NONE) r = _mm512_max_ps(r, zero); /* NaN -> 0, as sp_activate */
      if (act == SP_ACT_RELU6) r = _mm512_min_ps(r, six);
      _mm512_mask_storeu_ps(out + (size_t)a * ldo + 16 * v, wino_mask(width - 16 * v), r);
    }
  }
}

#else /* portable: loops the compiler vectorises */
WINO_DEFINE_1D(float, _f)

/* The loops read through arrays of row pointers, which the compiler cannot
 * prove disjoint from what they write: say so. (Not `omp simd`: GCC turns
 * the small arrays in the body into per-lane copies and then vectorises
 * nothing.) */
#if defined(__clang__)
#define WINO_IVDEP _Pragma("clang loop vectorize(assume_safety)")
#elif defined(__GNUC__)
#define WINO_IVDEP _Pragma("GCC ivdep")
#else
#define WINO_IVDEP
#endif

WINO_INLINE void wino_input_cols(const int m, const float *const *rows, int x0, int w,
                                 float *const *cp, int n, int end) {
  (void)end; /* the loop below reads no further than n */
  const int lo = x0 < 0 ? (-x0 < n ? -x0 : n) : 0; /* cp columns [lo, hi) lie in the image */
  const int hi = w - x0 < n ? (w - x0 > lo ? w - x0 : lo) : n;
  static const float zeros[1] = {0.0f};
  const float *src[WINO_ALPHA_MAX]; /* padding rows read zeros[0] with stride 0 */
  int step[WINO_ALPHA_MAX];
  for (int r = 0; r < m + 2; r++) {
    src[r] = rows[r] ? rows[r] + x0 + lo : zeros;
    step[r] = rows[r] != NULL;
    for (int x = 0; x < lo; x++) cp[r][x] = 0.0f;
    for (int x = hi; x < n; x++) cp[r][x] = 0.0f;
  }
  WINO_IVDEP
  for (int x = 0; x < hi - lo; x++) {
    float d[WINO_ALPHA_MAX], y[WINO_ALPHA_MAX];
    for (int r = 0; r < m + 2; r++) d[r] = src[r][x * step[r]];
    wino_input_1d_f(m, d, y);
    for (int i = 0; i < m + 2; i++) cp[i][lo + x] = y[i];
  }
}

WINO_INLINE void wino_input_tiles(const int m, const float *c, float *const *dst, int nt) {
  WINO_IVDEP
  for (int t = 0; t < nt; t++) {
    float d[WINO_ALPHA_MAX], y[WINO_ALPHA_MAX];
    for (int k = 0; k < m + 2; k++) d[k] = c[t * m + k];
    wino_input_1d_f(m, d, y);
    for (int j = 0; j < m + 2; j++) dst[j][t] = y[j];
  }
}

WINO_INLINE void wino_output_tiles(const int m, const float *mx, size_t ms, int nt, float *out,
                                   size_t ldo, int rows, int width, float bias, sp_act act) {
  const int alpha = m + 2;
  float ca[4][WINO_ALPHA_MAX][16]; /* Aᵀ M, row a, column j, tile */
  for (int j = 0; j < alpha; j++) {
    const float *src[WINO_ALPHA_MAX];
    for (int i = 0; i < alpha; i++) src[i] = mx + (size_t)(i * alpha + j) * ms;
    WINO_IVDEP
    for (int t = 0; t < nt; t++) {
      float d[WINO_ALPHA_MAX], y[4];
      for (int i = 0; i < alpha; i++) d[i] = src[i][t];
      wino_output_1d_f(m, d, y);
      for (int a = 0; a < m; a++) ca[a][j][t] = y[a];
    }
  }
  for (int a = 0; a < rows; a++) {
    float row[16 * 4];
    WINO_IVDEP
    for (int t = 0; t < nt; t++) {
      float d[WINO_ALPHA_MAX], y[4];
      for (int j = 0; j < alpha; j++) d[j] = ca[a][j][t];
      wino_output_1d_f(m, d, y);
      for (int b = 0; b < m; b++) row[t * m + b] = y[b];
    }
    float *o = out + (size_t)a * ldo;
    for (int x = 0; x < width; x++) o[x] = sp_activate(act, row[x] + bias);
  }
}
#endif

#endif
