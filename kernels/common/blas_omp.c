/* OpenBLAS on OpenMP threads (blas_omp.h). */
#include "kernels/common/blas_omp.h"

#include <stddef.h>

#include <cblas.h>
#include <omp.h>

/* Declared by OpenBLAS's cblas.h, but not by every cblas.h. */
void openblas_set_num_threads(int num_threads);

/* Splits are in multiples of this many rows or columns (a vector). */
#define SPLIT_ALIGN 16

/* One single-threaded call on rows [m0, m1) and columns [n0, n1). */
static void call(int m0, int m1, int n0, int n1, int K, const float *A, int lda, const float *B,
                 int ldb, int trans_b, float *C, int ldc) {
  if (m0 >= m1 || n0 >= n1) return;
  const float *a = A + (size_t)m0 * (size_t)lda;
  const float *b = trans_b ? B + (size_t)n0 * (size_t)ldb : B + n0;
  float *c = C + (size_t)m0 * (size_t)ldc + n0;
  if (n1 - n0 == 1 && !trans_b)
    cblas_sgemv(CblasRowMajor, CblasNoTrans, m1 - m0, K, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
  else
    cblas_sgemm(CblasRowMajor, CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m1 - m0,
                n1 - n0, K, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
}

void sp_blas_sgemm(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                   int trans_b, float *C, int ldc, int threads) {
  openblas_set_num_threads(1);
  if (threads <= 1) {
    call(0, M, 0, N, K, A, lda, B, ldb, trans_b, C, ldc);
    return;
  }
  const int split_m = M >= N, len = split_m ? M : N;
  const int units = (len + SPLIT_ALIGN - 1) / SPLIT_ALIGN;
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    int lo = units * t / nt * SPLIT_ALIGN, hi = units * (t + 1) / nt * SPLIT_ALIGN;
    if (hi > len) hi = len;
    if (split_m)
      call(lo, hi, 0, N, K, A, lda, B, ldb, trans_b, C, ldc);
    else
      call(0, M, lo, hi, K, A, lda, B, ldb, trans_b, C, ldc);
  }
}
