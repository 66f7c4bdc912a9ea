/* The OpenCL and CLBlast kernel variants named in variants.inc: support
 * predicates, workspace sizes, prepare_device functions and parameter spaces
 * (run functions are declared by the registry itself). Every supports()
 * is 0 while there is no OpenCL device (engine/cl_runtime.h). */
#ifndef SP_CL_KERNELS_H
#define SP_CL_KERNELS_H

#include "kernels/kernel.h"

/* Frees what any of the prepare_device functions below built. */
void sp_cl_release(void *prepared);

/* conv2d__direct_opencl (conv2d_direct.c): any conv2d. Parameters wg_x,
 * wg_y (work-group), oc (output channels per work-item), px (output pixels
 * per work-item), vec (vector width, divides px). */
extern const sp_param_space sp_cl_conv2d_direct_params;
int sp_cl_conv2d_direct_supports(const sp_graph *g, const sp_node *n);
sp_status sp_cl_conv2d_direct_prepare(const sp_graph *g, const sp_node *n, void *backend,
                                      const int *params, void **prepared, size_t *bytes);

/* conv2d__depthwise_opencl (conv2d_depthwise.c): groups == input channels,
 * any channel multiplier. Parameters wg_x, wg_y, px. */
extern const sp_param_space sp_cl_conv2d_depthwise_params;
int sp_cl_conv2d_depthwise_supports(const sp_graph *g, const sp_node *n);
sp_status sp_cl_conv2d_depthwise_prepare(const sp_graph *g, const sp_node *n, void *backend,
                                         const int *params, void **prepared, size_t *bytes);

/* conv2d__csr_opencl, conv2d__ternary_opencl (conv2d_sparse.c): CSR built
 * on the host from the node's weights (zeros dropped), ternary for nodes
 * marked ternary. Parameters wg_x, wg_y, px. */
extern const sp_param_space sp_cl_conv2d_sparse_params;
int sp_cl_conv2d_csr_supports(const sp_graph *g, const sp_node *n);
int sp_cl_conv2d_ternary_supports(const sp_graph *g, const sp_node *n);
sp_status sp_cl_conv2d_csr_prepare(const sp_graph *g, const sp_node *n, void *backend,
                                   const int *params, void **prepared, size_t *bytes);
sp_status sp_cl_conv2d_ternary_prepare(const sp_graph *g, const sp_node *n, void *backend,
                                       const int *params, void **prepared, size_t *bytes);

/* conv2d__im2col_clblast, conv2d__convgemm_clblast (conv2d_clblast.c):
 * im2col (kernels/cl/im2col.cl) + CLBlastSgemm per image and group, and
 * CLBlastSconvgemm (groups 1, padding that gives the node's output size);
 * 0 when built without CLBlast. The im2col workspace is device memory. */
int sp_cl_conv2d_im2col_clblast_supports(const sp_graph *g, const sp_node *n);
size_t sp_cl_conv2d_im2col_clblast_workspace(const sp_graph *g, const sp_node *n, int batch);
sp_status sp_cl_conv2d_im2col_clblast_prepare(const sp_graph *g, const sp_node *n, void *backend,
                                              const int *params, void **prepared, size_t *bytes);
int sp_cl_conv2d_convgemm_clblast_supports(const sp_graph *g, const sp_node *n);
sp_status sp_cl_conv2d_convgemm_clblast_prepare(const sp_graph *g, const sp_node *n,
                                                void *backend, const int *params,
                                                void **prepared, size_t *bytes);

/* fc__opencl (fc.c): parameters wg (work-group along units), vec. */
extern const sp_param_space sp_cl_fc_params;
sp_status sp_cl_fc_prepare(const sp_graph *g, const sp_node *n, void *backend, const int *params,
                           void **prepared, size_t *bytes);

/* Pooling and element-wise (pool.c, eltwise.c): no parameters, no weights;
 * prepare_device builds the kernel. */
int sp_cl_supports(const sp_graph *g, const sp_node *n); /* any node, when a device exists */
sp_status sp_cl_maxpool_prepare(const sp_graph *g, const sp_node *n, void *backend,
                                const int *params, void **prepared, size_t *bytes);
sp_status sp_cl_avgpool_prepare(const sp_graph *g, const sp_node *n, void *backend,
                                const int *params, void **prepared, size_t *bytes);
sp_status sp_cl_global_avgpool_prepare(const sp_graph *g, const sp_node *n, void *backend,
                                       const int *params, void **prepared, size_t *bytes);
sp_status sp_cl_add_prepare(const sp_graph *g, const sp_node *n, void *backend,
                            const int *params, void **prepared, size_t *bytes);
sp_status sp_cl_activate_prepare(const sp_graph *g, const sp_node *n, void *backend,
                                 const int *params, void **prepared, size_t *bytes);
sp_status sp_cl_flatten_prepare(const sp_graph *g, const sp_node *n, void *backend,
                                const int *params, void **prepared, size_t *bytes);

#endif
