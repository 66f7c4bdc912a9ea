/* Fully connected layer as matrix-vector products: y = act(W x + bias) per
 * image, W [units][features] row-major as the node holds it (no packing:
 * each weight is read once a call, so a packed copy would only cost memory).
 *
 * Own kernel: four weight rows at a time against every image of the batch
 * (the four rows stay in L1 or L2 while the images pass; W is streamed once
 * whatever the batch), 16-wide FMA with AVX-512, masked tail; the blocks of
 * rows are split between the threads. OpenBLAS: sgemv for one image, sgemm
 * (X W^T) for a batch, then the bias + activation pass. */
#include <stddef.h>

#ifdef __AVX512F__
#include <immintrin.h>
#endif

#include "kernels/activation.h"
#include "kernels/cpu/bias_act.h"
#include "kernels/cpu/blas_omp.h"
#include "kernels/cpu/cpu_kernels.h"

/* Rows per block: four dot products share each load of x. */
#define FC_ROWS 4

/* dot[r] = sum over f < n of row r of w (row stride ld) times x, for the
 * `rows` (1..FC_ROWS) rows of a block; a short block repeats its last row
 * in the unused lanes, so the loop never reads past the matrix. */
static void dot_rows(const float *restrict w, size_t ld, int rows, const float *restrict x,
                     size_t n, float dot[FC_ROWS]) {
  const float *restrict w0 = w, *restrict w1 = w + (rows > 1 ? ld : 0);
  const float *restrict w2 = w + (rows > 2 ? 2 * ld : 0), *restrict w3 = w + (rows > 3 ? 3 * ld : 0);
#ifdef __AVX512F__
  __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  for (size_t f = 0; f < n; f += 16) {
    const __mmask16 m = n - f >= 16 ? 0xffff : (__mmask16)((1u << (n - f)) - 1);
    const __m512 xv = _mm512_maskz_loadu_ps(m, x + f);
    s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w0 + f), xv, s0);
    s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w1 + f), xv, s1);
    s2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w2 + f), xv, s2);
    s3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w3 + f), xv, s3);
  }
  dot[0] = _mm512_reduce_add_ps(s0);
  dot[1] = _mm512_reduce_add_ps(s1);
  dot[2] = _mm512_reduce_add_ps(s2);
  dot[3] = _mm512_reduce_add_ps(s3);
#else
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
  for (size_t f = 0; f < n; f++) {
    s0 += w0[f] * x[f];
    s1 += w1[f] * x[f];
    s2 += w2[f] * x[f];
    s3 += w3[f] * x[f];
  }
  dot[0] = s0, dot[1] = s1, dot[2] = s2, dot[3] = s3;
#endif
}

/* Units [u, u + FC_ROWS) of every image. */
static void fc_block(const sp_kernel_args *a, int u, size_t features) {
  const sp_node *node = a->node;
  const int units = a->out_dims.c, rows = units - u < FC_ROWS ? units - u : FC_ROWS;
  const float *w = node->weight + (size_t)u * features;
  float dot[FC_ROWS];
  for (int b = 0; b < a->batch; b++) {
    dot_rows(w, features, rows, a->in[0] + (size_t)b * features, features, dot);
    float *y = a->out + (size_t)b * (size_t)units + (size_t)u;
    for (int r = 0; r < rows; r++)
      y[r] = sp_activate(node->act, dot[r] + (node->bias ? node->bias[u + r] : 0.0f));
  }
}

static void fc_gemv(const sp_kernel_args *a, int threads) {
  const size_t features = sp_dims_count(a->in_dims[0]);
  const int blocks = (a->out_dims.c + FC_ROWS - 1) / FC_ROWS;
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
  for (int blk = 0; blk < blocks; blk++) fc_block(a, blk * FC_ROWS, features);
}

void sp_kernel_fc__gemv_serial(const sp_kernel_args *a) { fc_gemv(a, 1); }

void sp_kernel_fc__gemv_omp(const sp_kernel_args *a) { fc_gemv(a, a->threads); }

/* OpenBLAS, its calls split over `threads` OpenMP threads (blas_omp.h):
 * sgemv for one image, X W^T for a batch, then the bias + activation pass. */
void sp_kernel_fc__blas(const sp_kernel_args *a) {
  const sp_node *node = a->node;
  const int features = (int)sp_dims_count(a->in_dims[0]), units = a->out_dims.c;
  if (a->batch == 1)
    sp_blas_sgemm(units, 1, features, node->weight, features, a->in[0], 1, 0, a->out, 1,
                  a->threads);
  else
    sp_blas_sgemm(a->batch, units, features, a->in[0], features, node->weight, features, 1,
                  a->out, units, a->threads);
  sp_bias_act_cols(a->out, a->batch, units, node->bias, node->act);
}
