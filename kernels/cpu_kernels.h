/* Support predicates and workspace sizes of the CPU kernels named in
 * variants.inc (run functions are declared by the registry itself). */
#ifndef SP_CPU_KERNELS_H
#define SP_CPU_KERNELS_H

#include "kernels/kernel.h"

/* Winograd F(2x2,3x3) and F(4x4,3x3) (conv2d_winograd.c): 3x3 stride-1
 * ungrouped convolutions with padding <= 2 on each side. */
int sp_conv2d_winograd_supports(const sp_graph *g, const sp_node *n);
size_t sp_conv2d_winograd2x2_serial_workspace_bytes(const sp_graph *g, const sp_node *n,
                                                    int batch);
size_t sp_conv2d_winograd2x2_omp_workspace_bytes(const sp_graph *g, const sp_node *n, int batch);
size_t sp_conv2d_winograd4x4_serial_workspace_bytes(const sp_graph *g, const sp_node *n,
                                                    int batch);
size_t sp_conv2d_winograd4x4_omp_workspace_bytes(const sp_graph *g, const sp_node *n, int batch);
sp_status sp_conv2d_winograd2x2_prepare(const sp_graph *g, const sp_node *n, void **prepared,
                                        size_t *bytes);
sp_status sp_conv2d_winograd4x4_prepare(const sp_graph *g, const sp_node *n, void **prepared,
                                        size_t *bytes);
void sp_conv2d_winograd_release(void *prepared);

/* Sparse formats (engine/weight_format.h): CSR for any conv2d/fc
 * (csr_direct, csr_im2col, fc csr; sparse_formats.c builds it) and packed
 * ternary codes for nodes marked ternary by engine/compress.h. prepare()
 * reports the format's exact bytes (sp_csr_bytes, sp_ternary_bytes). */
sp_status sp_csr_prepare(const sp_graph *g, const sp_node *n, void **prepared, size_t *bytes);
void sp_csr_release(void *prepared);
sp_status sp_ternary_prepare(const sp_graph *g, const sp_node *n, void **prepared, size_t *bytes);
void sp_ternary_release(void *prepared);
int sp_ternary_supports(const sp_graph *g, const sp_node *n); /* n->ternary */
/* CSR x im2col (conv2d_csr_im2col.c): groups 1; workspace one lowered image. */
int sp_conv2d_csr_im2col_supports(const sp_graph *g, const sp_node *n);
size_t sp_conv2d_csr_im2col_workspace_bytes(const sp_graph *g, const sp_node *n, int batch);
/* Ternary conv (conv2d_ternary.c): workspace one image's -1 partial sums. */
size_t sp_conv2d_ternary_workspace_bytes(const sp_graph *g, const sp_node *n, int batch);

/* Dense GEMM convolutions (conv2d_gemm.c drives them; im2col.h lowers).
 * im2col_*: any conv2d; workspace one lowered (image, group) plus the GEMM's
 * scratch. 1x1_*: 1x1 kernel, stride 1, no padding (any groups), no
 * lowering. Own-GEMM variants pack each group's weights once (prepare). */
size_t sp_conv2d_im2col_gemm_workspace(const sp_graph *g, const sp_node *n, int batch);
size_t sp_conv2d_im2col_blas_workspace(const sp_graph *g, const sp_node *n, int batch);
int sp_conv2d_1x1_supports(const sp_graph *g, const sp_node *n);
size_t sp_conv2d_1x1_gemm_workspace(const sp_graph *g, const sp_node *n, int batch);
sp_status sp_conv2d_gemm_pack(const sp_graph *g, const sp_node *n, void **prepared,
                              size_t *bytes);
void sp_conv2d_gemm_unpack(void *prepared);
/* Depthwise (conv2d_depthwise.c): groups == input channels, any channel
 * multiplier, any window. */
int sp_conv2d_depthwise_supports(const sp_graph *g, const sp_node *n);

#endif
