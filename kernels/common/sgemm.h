/* stackplan's own single-precision GEMM, the engine of the im2col, 1x1 and
 * Winograd convolutions on the CPU:
 *
 *     C[M x N] = act(A[M x K] * B[K x N] + row_bias[m])
 *
 * All matrices are row-major. A is the weight matrix (Cout x Cin*k*k for a
 * convolution): it is packed once, when the layer is created, into the
 * micro-kernel's panel layout; B (im2col columns or an NCHW input plane set)
 * and C are given per call. The bias and the fused activation are applied
 * in the micro-kernel's epilogue, so C is written once per K block and never
 * swept again.
 *
 * Sizes: M, N, K >= 1 (K = 0 is not supported). Leading dimensions are in
 * floats and at least the row width (lda >= K, ldb >= N, ldc >= N).
 *
 * Typical use:
 *     float *pa = malloc(sp_sgemm_packed_a_floats(M, K) * sizeof *pa);
 *     sp_sgemm_pack_a(M, K, weight, K, pa);                  // layer creation
 *     float *ws = malloc(sp_sgemm_workspace_floats(M, N, K, T) * sizeof *ws);
 *     sp_sgemm_run(M, N, K, pa, col, N, out, N, bias, act, T, ws);  // each call
 *
 * The implementation (kernels/cpu/sgemm.c) picks its micro-kernel at compile
 * time: AVX-512F, AVX2+FMA, or portable C; the packed layout belongs to the
 * build that made it. */
#ifndef SP_SGEMM_H
#define SP_SGEMM_H

#include <stddef.h>

#include "engine/graph/graph.h"
#include "engine/core/status.h"

/* Number of floats sp_sgemm_pack_a writes for an M x K matrix: M rounded up
 * to the micro-kernel's row count (MR) times K. */
size_t sp_sgemm_packed_a_floats(int M, int K);

/* Packs the M x K row-major matrix A (row stride lda) into `packed`, which
 * holds sp_sgemm_packed_a_floats(M, K) floats: panels of MR rows, each panel
 * stored k-major (the MR values of one column of A are contiguous); the rows
 * past M in the last panel are zero. Call once per weight matrix. */
void sp_sgemm_pack_a(int M, int K, const float *A, int lda, float *packed);

/* Number of floats of scratch sp_sgemm_run needs for these sizes with up to
 * `threads` threads (the packed blocks of B). Never more than a few MiB. */
size_t sp_sgemm_workspace_floats(int M, int N, int K, int threads);

/* C = act(packed_a * B + row_bias[m]) for M x N row-major C (row stride ldc)
 * and K x N row-major B (row stride ldb). `packed_a` comes from
 * sp_sgemm_pack_a(M, K, ...); row_bias (M floats) may be NULL; act is
 * SP_ACT_NONE, SP_ACT_RELU (max(y, 0)) or SP_ACT_RELU6 (min(max(y, 0), 6)).
 * Runs on up to `threads` OpenMP threads: fewer when the product is too
 * small to share (under ~1 MFLOP a thread), and threads <= 1 opens no
 * parallel region at all. `workspace` holds sp_sgemm_workspace_floats(M, N, K, threads)
 * floats; no memory is allocated. C must not overlap A, B or the workspace.
 * C's previous contents are ignored (beta = 0). */
void sp_sgemm_run(int M, int N, int K, const float *packed_a, const float *B, int ldb,
                  float *C, int ldc, const float *row_bias, sp_act act, int threads,
                  float *workspace);

/* One-off convenience: packs A and allocates the workspace, then calls
 * sp_sgemm_run. Returns SP_OK, or SP_ERR_RUNTIME (with sp_last_error set)
 * when the scratch cannot be allocated, in which case C is untouched. */
sp_status sp_sgemm(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                   float *C, int ldc, const float *row_bias, sp_act act, int threads);

#endif
