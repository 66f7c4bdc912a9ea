/* conv2d as im2col + GEMM, for any geometry: each (image, group) is lowered
 * into the workspace (sp_im2col, split over the threads) and multiplied by
 * that group's weights. Engines: the project's sgemm on weights packed once
 * by prepare() (bias and activation fused into its epilogue), or OpenBLAS
 * (bias and activation as a second pass). 1x1 stride-1 unpadded layers are
 * supported too (the lowering is then a plain copy); the 1x1 variants
 * (conv2d_1x1_gemm.c) skip that copy. A 1x1 kernel with stride 2 (ResNet's
 * projections) is also left here: its lowering is exactly the subsampling
 * copy a dedicated kernel would make. */
#include "kernels/common/conv2d_gemm.h"
#include "kernels/cpu_kernels.h"

size_t sp_conv2d_im2col_gemm_workspace(const sp_graph *g, const sp_node *node, int batch) {
  return sp_conv2d_gemm_workspace_bytes(g, node, 1, sp_conv2d_gemm_own_floats(g, node, 1));
}

size_t sp_conv2d_im2col_blas_workspace(const sp_graph *g, const sp_node *node, int batch) {
  return sp_conv2d_gemm_workspace_bytes(g, node, 1, 0);
}

void sp_kernel_conv2d__im2col_gemm_serial(const sp_kernel_args *a) {
  sp_conv2d_gemm_run(a, sp_conv_gemm_own, 1, 1);
}

void sp_kernel_conv2d__im2col_gemm_omp(const sp_kernel_args *a) {
  sp_conv2d_gemm_run(a, sp_conv_gemm_own, 1, a->threads);
}

void sp_kernel_conv2d__im2col_blas(const sp_kernel_args *a) {
  sp_conv2d_gemm_run(a, sp_conv_gemm_blas, 1, a->threads);
}
