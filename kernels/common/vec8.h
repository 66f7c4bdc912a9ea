/* Eight floats a vector for the kernels' non-AVX-512 paths, through GCC's
 * vector extensions: one AVX2 register under -march=native on an AVX2 CPU,
 * two SSE registers in a portable build. The helpers are static inline and
 * always inlined, so the ABI note GCC gives for 32-byte vector arguments
 * without AVX never applies (hence the pragma). */
#ifndef SP_VEC8_H
#define SP_VEC8_H

#include <stdint.h>
#include <string.h>
#if defined(__FMA__) || defined(__AVX2__)
#include <immintrin.h>
#endif

#pragma GCC diagnostic ignored "-Wpsabi"

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

#define V8_INLINE static inline __attribute__((always_inline))

V8_INLINE v8f v8_set1(float x) { return (v8f){0} + x; }

/* a * b + c, fused where the CPU has FMA (ISO C mode does not contract). */
V8_INLINE v8f v8_fma(v8f a, v8f b, v8f c) {
#if defined(__FMA__)
  return (v8f)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)c);
#else
  return a * b + c;
#endif
}

/* mask ? v : 0, lane by lane (mask lanes all ones or all zeros). */
V8_INLINE v8f v8_select(v8i mask, v8f v) { return (v8f)(mask & (v8i)v); }
/* mask ? a : b, lane by lane. */
V8_INLINE v8f v8_blend(v8i mask, v8f a, v8f b) { return (v8f)((mask & (v8i)a) | (~mask & (v8i)b)); }
/* The clamp of sp_act_bounds: r > lo ? r : lo, then r < hi ? r : hi (NaN -> lo). */
V8_INLINE v8f v8_clamp(v8f r, v8f lo, v8f hi) {
  r = v8_blend(r > lo, r, lo);
  return v8_blend(r < hi, r, hi);
}

#if defined(__AVX2__)
/* Lanes [0, n) as an AVX2 maskload/maskstore mask. */
V8_INLINE __m256i v8_mask_first(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
#endif

/* The first n (0..8) floats at src, zeros after them; nothing past them is
 * read (a masked load where AVX2 has one: a variable-length memcpy would be
 * a call). */
V8_INLINE v8f v8_load_first(const float *src, int n) {
  v8f v = {0};
  if (n >= 8) {
    memcpy(&v, src, sizeof v);
  } else {
#if defined(__AVX2__)
    v = (v8f)_mm256_maskload_ps(src, v8_mask_first(n));
#else
    for (int i = 0; i < n; i++) v[i] = src[i];
#endif
  }
  return v;
}
/* Stores the first n (0..8) lanes of v at dst. */
V8_INLINE void v8_store_first(float *dst, v8f v, int n) {
  if (n >= 8) {
    memcpy(dst, &v, sizeof v);
  } else {
#if defined(__AVX2__)
    _mm256_maskstore_ps(dst, v8_mask_first(n), (__m256)v);
#else
    for (int i = 0; i < n; i++) dst[i] = v[i];
#endif
  }
}

/* In-register 8x8 transpose: on return r[j] lane k = r[k] lane j on entry
 * (unpack within 128-bit halves, then pairs, then halves across: the
 * shuffles GCC and clang map to vunpck/vshufps/vperm2f128 on AVX;
 * __builtin_shufflevector is the spelling both compilers know). */
V8_INLINE void v8_transpose(v8f r[8]) {
  v8f t[8], u[8];
  for (int i = 0; i < 4; i++) {
    t[2 * i] = __builtin_shufflevector(r[2 * i], r[2 * i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
    t[2 * i + 1] = __builtin_shufflevector(r[2 * i], r[2 * i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
  }
  for (int i = 0; i < 2; i++) {
    u[4 * i] = __builtin_shufflevector(t[4 * i], t[4 * i + 2], 0, 1, 8, 9, 4, 5, 12, 13);
    u[4 * i + 1] = __builtin_shufflevector(t[4 * i], t[4 * i + 2], 2, 3, 10, 11, 6, 7, 14, 15);
    u[4 * i + 2] = __builtin_shufflevector(t[4 * i + 1], t[4 * i + 3], 0, 1, 8, 9, 4, 5, 12, 13);
    u[4 * i + 3] = __builtin_shufflevector(t[4 * i + 1], t[4 * i + 3], 2, 3, 10, 11, 6, 7, 14, 15);
  }
  for (int j = 0; j < 4; j++) {
    r[j] = __builtin_shufflevector(u[j], u[4 + j], 0, 1, 2, 3, 8, 9, 10, 11);
    r[4 + j] = __builtin_shufflevector(u[j], u[4 + j], 4, 5, 6, 7, 12, 13, 14, 15);
  }
}

#endif
