/* The register-blocked micro-kernels of sp_sgemm (kernels/cpu/sgemm.c), one
 * set per instruction set, chosen at compile time. Internal to sgemm.c.
 *
 * Each set defines
 *   SGEMM_MR    rows of a tile = height of a packed A panel (even)
 *   SGEMM_VLEN  floats per vector register; a tile is 1 or 2 vectors wide,
 *               so NR = 2 * SGEMM_VLEN columns
 * and tile functions for every even panel height h <= SGEMM_MR (the last
 * panel of A is only as high as it needs, rounded up to even) and vector
 * count nv = 1, 2, in the table sgemm_tiles[h / 2 - 1].run[nv - 1]:
 *
 *   void run(int kc, const float *a, const float *b, float *c, int ldc,
 *            int mr, int nr, int first, int last, const float *bias, sp_act act);
 *
 * computes the h x (nv * SGEMM_VLEN) product of a packed A panel slice `a`
 * (kc steps of h floats) and a packed B micro-panel `b` (kc rows of
 * nv * SGEMM_VLEN floats, zero-padded), then writes its top left mr x nr
 * corner (1 <= mr <= h, 1 <= nr <= nv * SGEMM_VLEN) to C (row stride ldc):
 * C = acc on the first K block, C += acc after that, and on the last K block
 * also + bias[r] (when bias is not NULL) and the activation. Nothing outside
 * that corner is read or written.
 *
 * Where SGEMM_HAVE_FUSED_PACK is 1 there is also .pack[nv - 1], the same
 * with `b` replaced by (const float *bsrc, int ldb, float *bdst): it reads
 * the micro-panel from B itself (kc rows of nr floats, row stride ldb) and
 * writes the packed copy to bdst while computing, so that packing B costs no
 * pass of its own. */
#ifndef SP_SGEMM_MICROKERNEL_H
#define SP_SGEMM_MICROKERNEL_H

#include "engine/graph/graph.h"

#define SGEMM_ALWAYS_INLINE static inline __attribute__((always_inline))

#if defined(__AVX512F__)
#include <immintrin.h>

/* 14 x 32: 28 zmm accumulators + 2 for the B row, A broadcast from L1: per
 * k step 28 FMAs (14 cycles on the two FMA ports) against 2 vector loads and
 * 14 broadcasts, so loads never limit, and 28 independent chains cover the
 * 4-cycle FMA latency. In L1 it runs at 88 % of the FMA peak; 12 x 32,
 * 8 x 32, 8 x 48 and 6 x 64 measured 1-6 % slower (tests/bench/bench_sgemm.c
 * and a tile loop), and 14 x 16 is the tile for N = 16. */
#define SGEMM_MR 14
#define SGEMM_VLEN 16
/* The narrow kernel (N < SGEMM_NARROW_N) loads a panel column as one vector. */
#define SGEMM_HAVE_NARROW 1
#define SGEMM_HAVE_FUSED_PACK 1

/* Lanes [0, n) of a 16-lane mask; n may be <= 0 or >= 16. */
SGEMM_ALWAYS_INLINE __mmask16 sgemm_mask16(int n) {
  return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1);
}

SGEMM_ALWAYS_INLINE __m512 sgemm_act512(__m512 y, sp_act act) {
  if (act != SP_ACT_NONE) y = _mm512_max_ps(y, _mm512_setzero_ps()); /* NaN -> 0, as sp_activate */
  if (act == SP_ACT_RELU6) y = _mm512_min_ps(y, _mm512_set1_ps(6.0f));
  return y;
}

/* How far ahead (in k steps; 64 x 56 bytes = 3.5 KiB) the tiles prefetch
 * their A panel: with N = 16 an A panel is used by one tile only and comes
 * from L3, and the hardware prefetcher alone ran ~15 % slower there. */
#define SGEMM_PREFETCH_A 64
/* Rows ahead that the packing tile prefetches B (from L3: ~100 ns away). */
#define SGEMM_PREFETCH_B 16

SGEMM_ALWAYS_INLINE void sgemm_tile_avx512(const int h, const int nv, int kc,
                                           const float *restrict a, const float *restrict b,
                                           const float *restrict bsrc, int ldb,
                                           float *restrict bdst, float *restrict c, int ldc,
                                           int mr, int nr, int first, int last,
                                           const float *restrict bias, sp_act act) {
  __m512 acc[SGEMM_MR][2];
#pragma GCC unroll 16
  for (int r = 0; r < h; r++)
#pragma GCC unroll 2
    for (int v = 0; v < nv; v++) acc[r][v] = _mm512_setzero_ps();
  __mmask16 m[2];
#pragma GCC unroll 2
  for (int v = 0; v < nv; v++) m[v] = sgemm_mask16(nr - 16 * v);

  for (int k = 0; k < kc; k++) {
    __m512 bv[2];
    if (bsrc) { /* fused packing: the masked load zero-pads columns past nr */
#pragma GCC unroll 2
      for (int v = 0; v < nv; v++) {
        bv[v] = _mm512_maskz_loadu_ps(m[v], bsrc + v * 16);
        _mm512_storeu_ps(bdst + v * 16, bv[v]);
        _mm_prefetch((const char *)(bsrc + SGEMM_PREFETCH_B * (size_t)ldb + v * 16),
                     _MM_HINT_T0);
      }
      bsrc += ldb;
      bdst += nv * 16;
    } else {
#pragma GCC unroll 2
      for (int v = 0; v < nv; v++) bv[v] = _mm512_loadu_ps(b + v * 16);
      b += nv * 16;
    }
#pragma GCC unroll 16
    for (int r = 0; r < h; r++) {
      __m512 ar = _mm512_set1_ps(a[r]);
#pragma GCC unroll 2
      for (int v = 0; v < nv; v++) acc[r][v] = _mm512_fmadd_ps(ar, bv[v], acc[r][v]);
    }
    _mm_prefetch((const char *)(a + SGEMM_PREFETCH_A * h), _MM_HINT_T0);
    a += h;
  }

#pragma GCC unroll 16
  for (int r = 0; r < h; r++) {
    if (r >= mr) break;
    float *cr = c + (size_t)r * (size_t)ldc;
#pragma GCC unroll 2
    for (int v = 0; v < nv; v++) {
      __m512 y = acc[r][v];
      if (!first) y = _mm512_add_ps(y, _mm512_maskz_loadu_ps(m[v], cr + 16 * v));
      if (last) {
        if (bias) y = _mm512_add_ps(y, _mm512_set1_ps(bias[r]));
        y = sgemm_act512(y, act);
      }
      _mm512_mask_storeu_ps(cr + 16 * v, m[v], y);
    }
  }
}

/* Narrow N (N < SGEMM_NARROW_N: the CIFAR nets' last layers have N = 4):
 * vectors run down M instead, one packed panel column per zmm (h of 16
 * lanes), and each of the ncol <= 8 columns of B is broadcast, so no lane is
 * spent on N padding. The whole K is done in one pass (B is only K x ncol
 * floats and stays in L1/L2), so each C element is written once, by a masked
 * scatter. Covers np panels of height h (np * h rows, mr of them valid)
 * starting at `a`, `pstride` floats apart; B and C start at the first column.
 * Against the 14 x 16 tile: 3.2x faster at N = 4, 1.9x at 8, 1.1x at 12,
 * 0.7x at 16. */
#define SGEMM_NARROW_N 16
/* k steps ahead (of h floats each) that the narrow kernel prefetches its
 * panels: with N = 4 a layer streams its weights at 2 FLOP per byte, so it
 * runs at the speed of memory, and the hardware prefetcher alone kept too
 * few of the np streams' lines in flight. */
#define SGEMM_PREFETCH_NARROW 128
/* Panels a group covers for each column count (np * ncol <= 24 of 32 zmm). */
#define SGEMM_NARROW_NP_1 6
#define SGEMM_NARROW_NP_2 6
#define SGEMM_NARROW_NP_3 6
#define SGEMM_NARROW_NP_4 6
#define SGEMM_NARROW_NP_5 4
#define SGEMM_NARROW_NP_6 4
#define SGEMM_NARROW_NP_7 3
#define SGEMM_NARROW_NP_8 3
#define SGEMM_NARROW_IMPL sgemm_narrow_avx512
SGEMM_ALWAYS_INLINE void sgemm_narrow_avx512(const int ncol, const int np, const int h, int K,
                                             const float *restrict a, size_t pstride,
                                             const float *restrict B, int ldb,
                                             float *restrict c, int ldc, int mr,
                                             const float *restrict bias, sp_act act) {
  const __mmask16 lanes = sgemm_mask16(h);
  __m512 acc[6][8];
#pragma GCC unroll 8
  for (int p = 0; p < np; p++)
#pragma GCC unroll 8
    for (int n = 0; n < ncol; n++) acc[p][n] = _mm512_setzero_ps();
  for (int k = 0; k < K; k++) {
    const float *bk = B + (size_t)k * (size_t)ldb;
#pragma GCC unroll 8
    for (int p = 0; p < np; p++) {
      /* each panel is one stream used once: ask for it early (see above) */
      _mm_prefetch((const char *)(a + p * pstride + (size_t)(k + SGEMM_PREFETCH_NARROW) * (size_t)h),
                   _MM_HINT_T0);
      __m512 av = _mm512_maskz_loadu_ps(lanes, a + p * pstride + (size_t)k * (size_t)h);
#pragma GCC unroll 8
      for (int n = 0; n < ncol; n++)
        acc[p][n] = _mm512_fmadd_ps(av, _mm512_set1_ps(bk[n]), acc[p][n]);
    }
  }
  const __m512i rows = _mm512_mullo_epi32(
      _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
      _mm512_set1_epi32(ldc));
#pragma GCC unroll 8
  for (int p = 0; p < np; p++) {
    __mmask16 valid = sgemm_mask16(mr - p * h) & lanes;
    if (!valid) break;
    __m512 bv = bias ? _mm512_maskz_loadu_ps(valid, bias + p * h) : _mm512_setzero_ps();
    float *cp = c + (size_t)(p * h) * (size_t)ldc;
#pragma GCC unroll 8
    for (int n = 0; n < ncol; n++)
      _mm512_mask_i32scatter_ps(cp + n, valid, rows,
                                sgemm_act512(_mm512_add_ps(acc[p][n], bv), act), 4);
  }
}

#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

/* 6 x 16: 12 ymm accumulators + 2 for the B row + 1 broadcast = 15 of 16. */
#define SGEMM_MR 6
#define SGEMM_VLEN 8
#define SGEMM_HAVE_NARROW 0
#define SGEMM_HAVE_FUSED_PACK 0

/* Lanes [0, n) of an 8-lane maskload/maskstore mask. */
SGEMM_ALWAYS_INLINE __m256i sgemm_mask8(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* No narrow-N path: one with vectors down M (as AVX-512 has) measured no
 * faster at N = 4 on an AVX2 EPYC (Zen 3; bench_sgemm, interleaved with
 * OpenBLAS: 30-32 against 33-36 GFLOP/s): those layers stream their weights
 * from L3 at 2 FLOP a byte either way. */

SGEMM_ALWAYS_INLINE void sgemm_tile_avx2(const int h, const int nv, int kc,
                                         const float *restrict a, const float *restrict b,
                                         float *restrict c, int ldc, int mr, int nr, int first,
                                         int last, const float *restrict bias, sp_act act) {
  __m256 acc[SGEMM_MR][2];
#pragma GCC unroll 8
  for (int r = 0; r < h; r++)
#pragma GCC unroll 2
    for (int v = 0; v < nv; v++) acc[r][v] = _mm256_setzero_ps();
  for (int k = 0; k < kc; k++) {
    __m256 bv[2];
#pragma GCC unroll 2
    for (int v = 0; v < nv; v++) bv[v] = _mm256_loadu_ps(b + v * 8);
#pragma GCC unroll 8
    for (int r = 0; r < h; r++) {
      __m256 ar = _mm256_broadcast_ss(a + r);
#pragma GCC unroll 2
      for (int v = 0; v < nv; v++) acc[r][v] = _mm256_fmadd_ps(ar, bv[v], acc[r][v]);
    }
    __builtin_prefetch(a + 64 * h); /* see SGEMM_PREFETCH_A of the AVX-512 tile */
    a += h;
    b += nv * 8;
  }
  __m256i m[2];
#pragma GCC unroll 2
  for (int v = 0; v < nv; v++) m[v] = sgemm_mask8(nr - 8 * v);
#pragma GCC unroll 8
  for (int r = 0; r < h; r++) {
    if (r >= mr) break;
    float *cr = c + (size_t)r * (size_t)ldc;
#pragma GCC unroll 2
    for (int v = 0; v < nv; v++) {
      __m256 y = acc[r][v];
      if (!first) y = _mm256_add_ps(y, _mm256_maskload_ps(cr + 8 * v, m[v]));
      if (last) {
        if (bias) y = _mm256_add_ps(y, _mm256_set1_ps(bias[r]));
        if (act != SP_ACT_NONE) y = _mm256_max_ps(y, _mm256_setzero_ps());
        if (act == SP_ACT_RELU6) y = _mm256_min_ps(y, _mm256_set1_ps(6.0f));
      }
      _mm256_maskstore_ps(cr + 8 * v, m[v], y);
    }
  }
}
#define SGEMM_TILE_IMPL sgemm_tile_avx2

#else
/* Portable: a 4 x 8 tile (NR = 2 vectors of 4) in GCC vector extensions,
 * which compile to whatever SIMD the target has (SSE2 at least on x86-64):
 * 8 accumulators + 2 for the B row + 1 broadcast fit SSE's 16 registers.
 * The edge of C goes through a small tile in memory. */
#include <string.h>

#define SGEMM_MR 4
#define SGEMM_VLEN 4
#define SGEMM_HAVE_NARROW 0
#define SGEMM_HAVE_FUSED_PACK 0

typedef float sgemm_v4 __attribute__((vector_size(16)));

SGEMM_ALWAYS_INLINE void sgemm_tile_c(const int h, const int nv, int kc,
                                      const float *restrict a, const float *restrict b,
                                      float *restrict c, int ldc, int mr, int nr, int first,
                                      int last, const float *restrict bias, sp_act act) {
  sgemm_v4 acc[SGEMM_MR][2];
  memset(acc, 0, sizeof acc); /* all of it: the edge copy below reads every lane */
  for (int k = 0; k < kc; k++) {
    sgemm_v4 bv[2];
    for (int v = 0; v < nv; v++) memcpy(&bv[v], b + 4 * v, sizeof bv[v]);
    for (int r = 0; r < h; r++) {
      const float ar = a[r];
      for (int v = 0; v < nv; v++) acc[r][v] += ar * bv[v];
    }
    a += h;
    b += nv * 4;
  }
  float out[SGEMM_MR][8];
  memcpy(out, acc, sizeof out);
  for (int r = 0; r < mr; r++) {
    float *cr = c + (size_t)r * (size_t)ldc;
    for (int j = 0; j < nr; j++) {
      float y = out[r][j];
      if (!first) y += cr[j];
      if (last) {
        if (bias) y += bias[r];
        if (act != SP_ACT_NONE) y = y > 0.0f ? y : 0.0f;
        if (act == SP_ACT_RELU6 && y > 6.0f) y = 6.0f;
      }
      cr[j] = y;
    }
  }
}
#define SGEMM_TILE_IMPL sgemm_tile_c
#endif

/* The tile functions, one per (even height, vector count). */
#define SGEMM_TILE_ARGS                                                                   \
  int kc, const float *a, const float *b, float *c, int ldc, int mr, int nr, int first, \
      int last, const float *bias, sp_act act
typedef void (*sgemm_tile_fn)(SGEMM_TILE_ARGS);
#if SGEMM_HAVE_FUSED_PACK
#define SGEMM_TILE_PACK_ARGS                                                                 \
  int kc, const float *a, const float *bsrc, int ldb, float *bdst, float *c, int ldc, int mr, \
      int nr, int first, int last, const float *bias, sp_act act
typedef void (*sgemm_tile_pack_fn)(SGEMM_TILE_PACK_ARGS);
#define SGEMM_TILE_FN(h, nv)                                                                  \
  static void sgemm_tile_##h##_##nv(SGEMM_TILE_ARGS) {                                        \
    sgemm_tile_avx512(h, nv, kc, a, b, NULL, 0, NULL, c, ldc, mr, nr, first, last, bias, act); \
  }                                                                                           \
  static void sgemm_tile_pack_##h##_##nv(SGEMM_TILE_PACK_ARGS) {                              \
    sgemm_tile_avx512(h, nv, kc, a, NULL, bsrc, ldb, bdst, c, ldc, mr, nr, first, last, bias, \
                      act);                                                                   \
  }
#define SGEMM_TILE_ROW(h)                                      \
  {{sgemm_tile_##h##_1, sgemm_tile_##h##_2},                   \
   {sgemm_tile_pack_##h##_1, sgemm_tile_pack_##h##_2}},
#else
#define SGEMM_TILE_FN(h, nv)                                                  \
  static void sgemm_tile_##h##_##nv(SGEMM_TILE_ARGS) {                        \
    SGEMM_TILE_IMPL(h, nv, kc, a, b, c, ldc, mr, nr, first, last, bias, act); \
  }
#define SGEMM_TILE_ROW(h) {{sgemm_tile_##h##_1, sgemm_tile_##h##_2}},
#endif
SGEMM_TILE_FN(2, 1) SGEMM_TILE_FN(2, 2) SGEMM_TILE_FN(4, 1) SGEMM_TILE_FN(4, 2)
#if SGEMM_MR >= 6
SGEMM_TILE_FN(6, 1) SGEMM_TILE_FN(6, 2)
#endif
#if SGEMM_MR >= 14
SGEMM_TILE_FN(8, 1) SGEMM_TILE_FN(8, 2) SGEMM_TILE_FN(10, 1) SGEMM_TILE_FN(10, 2)
SGEMM_TILE_FN(12, 1) SGEMM_TILE_FN(12, 2) SGEMM_TILE_FN(14, 1) SGEMM_TILE_FN(14, 2)
#endif
static const struct {
  sgemm_tile_fn run[2];
#if SGEMM_HAVE_FUSED_PACK
  sgemm_tile_pack_fn pack[2];
#endif
} sgemm_tiles[SGEMM_MR / 2] = {
    SGEMM_TILE_ROW(2) SGEMM_TILE_ROW(4)
#if SGEMM_MR >= 6
    SGEMM_TILE_ROW(6)
#endif
#if SGEMM_MR >= 14
    SGEMM_TILE_ROW(8) SGEMM_TILE_ROW(10) SGEMM_TILE_ROW(12) SGEMM_TILE_ROW(14)
#endif
};
_Static_assert(SGEMM_MR == 4 || SGEMM_MR == 6 || SGEMM_MR == 14, "tile table covers MR");

#endif
