/* A convolution as one GEMM per (image, group), shared by the im2col and
 * 1x1 variants (conv2d_im2col_gemm.c, conv2d_1x1_gemm.c) and open to any
 * other engine that multiplies a group's weights with its lowered input
 * (the CSR x im2col kernels): the driver lowers, the engine multiplies.
 *
 *     for each image, for each group:
 *       B = lower ? im2col(image, group) : the group's input channels
 *       C = the group's output channels = act(W_group * B + bias)  (engine)
 */
#ifndef SP_CONV2D_GEMM_H
#define SP_CONV2D_GEMM_H

#include <stddef.h>

#include "kernels/cpu_kernels.h"
#include "kernels/common/im2col.h"
#include "kernels/kernel.h"

/* One GEMM of the driver: C (m x n, row stride ldc) = act(W_group (m x k) *
 * B (k x n, row stride ldb) + bias[0..m)). */
typedef struct sp_conv_gemm_call {
  const sp_node *node;
  const void *prepared;     /* what the variant's prepare() built, or NULL */
  int group;
  int m, n, k;              /* cout_g, oh * ow, cin_g * kh * kw */
  const float *b;
  int ldb;
  float *c;
  int ldc;
  const float *bias;        /* this group's m biases, or NULL */
  sp_act act;
  int threads;              /* >= 1 */
  float *workspace;         /* the engine's scratch (see sp_conv2d_gemm_workspace_bytes) */
} sp_conv_gemm_call;

typedef void (*sp_conv_gemm_fn)(const sp_conv_gemm_call *call);

/* The two dense engines. own: the project's sgemm on the panels made by
 * sp_conv2d_gemm_pack (bias and activation in its epilogue); blas:
 * OpenBLAS cblas_sgemm on node->weight, then sp_bias_act_rows. */
void sp_conv_gemm_own(const sp_conv_gemm_call *call);
void sp_conv_gemm_blas(const sp_conv_gemm_call *call);

/* Runs the convolution of `a` on up to `threads` threads: im2col into the
 * workspace when `lower` (a block of output positions at a time, see
 * conv2d_gemm.c), else B is the input itself (only valid when
 * sp_conv_geom_is_pointwise). The engine's scratch follows the lowered
 * block in the workspace. */
void sp_conv2d_gemm_run(const sp_kernel_args *a, sp_conv_gemm_fn gemm, int lower, int threads);

/* Workspace of sp_conv2d_gemm_run: the lowered matrix of one (image, group)
 * when `lower`, plus `engine_floats` for the engine, plus alignment slack. */
size_t sp_conv2d_gemm_workspace_bytes(const sp_graph *g, const sp_node *node, int lower,
                                      size_t engine_floats);

/* Scratch floats of sp_conv_gemm_own for this node, lowered or not (sized
 * for as many threads as the machine has; runs use no more). */
size_t sp_conv2d_gemm_own_floats(const sp_graph *g, const sp_node *node, int lower);

/* prepare()/release() of the own-GEMM variants (sp_conv2d_gemm_pack and
 * sp_conv2d_gemm_unpack) are declared in cpu_kernels.h for the registry:
 * the weights of each group packed once with sp_sgemm_pack_a. */

#endif
