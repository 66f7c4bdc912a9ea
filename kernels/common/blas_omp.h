/* OpenBLAS calls for the BLAS kernel variants, with their threads replaced
 * by OpenMP.
 *
 * Debian's libopenblas is the pthread build: its own worker threads spin
 * (sched_yield) for a long while after each call, and libgomp's idle
 * threads spin after each parallel region (OMP_WAIT_POLICY, GOMP_SPINCOUNT).
 * Alternating OpenMP kernels and multi-threaded OpenBLAS calls, as a
 * network does, therefore puts two pools of spinning threads on the same
 * cores, and a call's time then depends on what ran before it, which no
 * per-layer profile can predict. So OpenBLAS is always called with one
 * thread (openblas_set_num_threads(1) before every call: another caller may
 * have changed it), and `threads` OpenMP threads each make one such call on
 * their share of the rows or columns. One thread pool, sized by the
 * variant's thread parameter, never oversubscribed. Measured with
 * tests/bench/bench_conv --interference (docs: the dense kernels' report). */
#ifndef SP_BLAS_OMP_H
#define SP_BLAS_OMP_H

/* C (M x N, row stride ldc) = A (M x K, row stride lda) * op(B), op(B) =
 * B (K x N, row stride ldb) or, with trans_b, B^T where B is N x K.
 * N == 1 without trans_b is a matrix-vector product (cblas_sgemv, B a
 * column of stride ldb, C a column of stride ldc). The larger of M and N is
 * split over up to `threads` OpenMP threads (1: one call, no region). */
void sp_blas_sgemm(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                   int trans_b, float *C, int ldc, int threads);

#endif
