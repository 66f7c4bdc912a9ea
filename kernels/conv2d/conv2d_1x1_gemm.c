/* conv2d with a 1x1 kernel, stride 1 and no padding (MobileNet's pointwise
 * layers, bottlenecks) as a plain GEMM on the NCHW input: a group's input
 * channels already are the K x N matrix (N = H * W), so there is no
 * lowering and no workspace but the GEMM's own. Grouped 1x1 layers work
 * alike, one GEMM per group. Strided 1x1 layers go to im2col
 * (conv2d_im2col_gemm.c), whose lowering is then just the subsampling. */
#include "kernels/common/conv2d_gemm.h"
#include "kernels/cpu_kernels.h"

int sp_conv2d_1x1_supports(const sp_graph *g, const sp_node *node) {
  sp_conv_geom geo = sp_conv_geom_of(g, node);
  return sp_conv_geom_is_pointwise(&geo);
}

size_t sp_conv2d_1x1_gemm_workspace(const sp_graph *g, const sp_node *node, int batch) {
  return sp_conv2d_gemm_workspace_bytes(g, node, 0, sp_conv2d_gemm_own_floats(g, node, 0));
}

void sp_kernel_conv2d__1x1_gemm_serial(const sp_kernel_args *a) {
  sp_conv2d_gemm_run(a, sp_conv_gemm_own, 0, 1);
}

void sp_kernel_conv2d__1x1_gemm_omp(const sp_kernel_args *a) {
  sp_conv2d_gemm_run(a, sp_conv_gemm_own, 0, a->threads);
}

void sp_kernel_conv2d__1x1_blas(const sp_kernel_args *a) {
  sp_conv2d_gemm_run(a, sp_conv_gemm_blas, 0, a->threads);
}
