/* The widest float vector this build has, for kernels written once for
 * every ISA: 16 lanes with AVX-512, else 8 (vec8.h: AVX2+FMA under
 * -march=native, GCC's portable vectors elsewhere). Loads and stores of the
 * first n lanes touch nothing past them; the clamp is sp_act_bounds' (NaN ->
 * lo); the transpose is VEC_LANES x VEC_LANES in registers. */
#ifndef SP_VEC_H
#define SP_VEC_H

#include <stddef.h>

#ifdef __AVX512F__
#include <immintrin.h>
#define VEC_LANES 16
typedef __m512 vec;
#define VEC_INLINE static inline __attribute__((always_inline))
VEC_INLINE __mmask16 vec_mask_first(int n) {
  return (__mmask16)(n >= VEC_LANES ? 0xffffu : n <= 0 ? 0u : (1u << n) - 1);
}
VEC_INLINE vec vec_zero(void) { return _mm512_setzero_ps(); }
VEC_INLINE vec vec_set1(float x) { return _mm512_set1_ps(x); }
VEC_INLINE vec vec_load(const float *p) { return _mm512_load_ps(p); }
VEC_INLINE void vec_store(float *p, vec v) { _mm512_store_ps(p, v); }
VEC_INLINE vec vec_load_first(const float *p, int n) { return _mm512_maskz_loadu_ps(vec_mask_first(n), p); }
VEC_INLINE void vec_store_first(float *p, vec v, int n) { _mm512_mask_storeu_ps(p, vec_mask_first(n), v); }
VEC_INLINE vec vec_fma(vec a, vec b, vec c) { return _mm512_fmadd_ps(a, b, c); }
/* max(acc, lo) gives lo for NaN, as sp_activate does */
VEC_INLINE vec vec_clamp(vec v, vec lo, vec hi) { return _mm512_min_ps(_mm512_max_ps(v, lo), hi); }
/* The even lanes of the first `lanes` (1..32) floats at p: p[0], p[2], ...
 * (a stride-2 row); nothing past them is read. */
VEC_INLINE vec vec_even_lanes(const float *p, int lanes) {
  const __m512i idx = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  return _mm512_permutex2var_ps(vec_load_first(p, lanes), idx, vec_load_first(p + 16, lanes - 16));
}
/* In-register transpose: on return r[j] lane k = r[k] lane j on entry. */
VEC_INLINE void vec_transpose(vec r[VEC_LANES]) {
  __m512 t[VEC_LANES];
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
  for (int i = 0; i < VEC_LANES; i++) r[i] = t[i];
}

#else /* AVX2 or any other CPU: 8 channels a vector (vec8.h) */
#include "kernels/common/vec8.h"
#define VEC_LANES 8
typedef v8f vec;
#define VEC_INLINE V8_INLINE
VEC_INLINE vec vec_zero(void) { return (v8f){0}; }
VEC_INLINE vec vec_set1(float x) { return v8_set1(x); }
VEC_INLINE vec vec_load(const float *p) { return *(const v8f *)p; }
VEC_INLINE void vec_store(float *p, vec v) { *(v8f *)p = v; }
VEC_INLINE vec vec_load_first(const float *p, int n) { return v8_load_first(p, n); }
VEC_INLINE void vec_store_first(float *p, vec v, int n) { v8_store_first(p, v, n); }
VEC_INLINE vec vec_fma(vec a, vec b, vec c) { return v8_fma(a, b, c); }
VEC_INLINE vec vec_clamp(vec v, vec lo, vec hi) { return v8_clamp(v, lo, hi); }
VEC_INLINE void vec_transpose(vec r[VEC_LANES]) { v8_transpose(r); }
VEC_INLINE vec vec_even_lanes(const float *p, int lanes) {
  const v8f a = v8_load_first(p, lanes), b = v8_load_first(p + 8, lanes - 8);
  return __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14);
}
#endif


#endif
