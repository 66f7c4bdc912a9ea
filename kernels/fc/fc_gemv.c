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
#include <stdint.h>

#ifdef __AVX512F__
#include <immintrin.h>
#endif

#include "kernels/activation.h"
#include "kernels/common/bias_act.h"
#include "kernels/common/blas_omp.h"
#include "kernels/cpu_kernels.h"

/* Rows per block: four dot products share each load of x (8 measured no
 * faster: the loop is bound by L2 bandwidth, not by loads of x). */
#define FC_ROWS 4

/* dot[r] = sum over f < n of row r of w (row stride ld) times x, for the
 * `rows` (1..FC_ROWS) rows of a block; a short block repeats its last row
 * in the unused lanes, so the loop never reads past the matrix. */
static void dot_rows(const float *restrict w, size_t ld, int rows, const float *restrict x,
                     size_t n, float dot[FC_ROWS]) {
  const float *wr[FC_ROWS];
  for (int r = 0; r < FC_ROWS; r++) wr[r] = w + (size_t)(r < rows ? r : rows - 1) * ld;
#ifdef __AVX512F__
  __m512 s[FC_ROWS];
  for (int r = 0; r < FC_ROWS; r++) s[r] = _mm512_setzero_ps();
  /* the first chunk ends where row 0 reaches a 64-byte line, so that its
   * loads (and those of every row when n is a multiple of 16) do not split */
  size_t step = (size_t)(64 - (uintptr_t)wr[0] % 64) % 64 / sizeof(float);
  if (step == 0 || step > n) step = 16;
  for (size_t f = 0; f < n; f += step, step = 16) {
    const size_t len = n - f < step ? n - f : step;
    const __mmask16 m = (__mmask16)((1u << len) - 1);
    const __m512 xv = _mm512_maskz_loadu_ps(m, x + f);
    for (int r = 0; r < FC_ROWS; r++)
      s[r] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, wr[r] + f), xv, s[r]);
  }
  for (int r = 0; r < FC_ROWS; r++) dot[r] = _mm512_reduce_add_ps(s[r]);
#else
  for (int r = 0; r < FC_ROWS; r++) {
    const float *restrict wv = wr[r];
    float acc = 0;
#pragma omp simd reduction(+ : acc)
    for (size_t f = 0; f < n; f++) acc += wv[f] * x[f];
    dot[r] = acc;
  }
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
