/* What the OpenCL variants (kernels/cl/<name>.c) share: the prepared state every
 * one of them keeps (its device, kernels, weights on the device, parameter
 * point) and the plumbing around it. */
#ifndef SP_CL_VARIANT_H
#define SP_CL_VARIANT_H

#include "engine/opencl/cl_runtime.h"
#include "kernels/cl/cl_kernels.h"

#define SP_CL_MAX_KERNELS 2
#define SP_CL_MAX_BUFFERS 3

typedef struct sp_cl_prepared {
  sp_cl_device *device;
  const char *variant;                 /* for messages */
  void *kernel[SP_CL_MAX_KERNELS];
  void *mem[SP_CL_MAX_BUFFERS];        /* weights in the variant's format (cl_mem) */
  void *bias;                          /* cl_mem, NULL when the node has none */
  int point[SP_MAX_PARAMS];            /* the parameter point it was built for */
  float pos, neg;                      /* ternary scales */
} sp_cl_prepared;

/* Starts prepare_device: the point is `params` (NULL = the defaults of
 * `space`, which may be NULL), checked with space->valid without device
 * limits (SP_ERR_INPUT naming the variant when the kernel cannot use it;
 * the device's limits are for the launch to enforce). */
sp_status sp_cl_prepare_begin(const char *variant, void *backend, const sp_param_space *space,
                              const int *params, sp_cl_prepared **out);

/* Uploads `count` floats (or bytes) into p->mem[slot]. */
sp_status sp_cl_prepare_upload(sp_cl_prepared *p, int slot, const void *host, size_t bytes);

/* Uploads node n's bias, when it has one, to p->bias. */
sp_status sp_cl_prepare_bias(sp_cl_prepared *p, const sp_node *n);

/* Creates p->kernel[slot]: `name` of source `source` built with `options`;
 * the failure message names the variant. */
sp_status sp_cl_prepare_kernel(sp_cl_prepared *p, int slot, const char *source,
                               const char *options, const char *name);

/* Ends prepare_device: on success hands p over through `prepared`, else
 * releases it and returns s. */
sp_status sp_cl_prepare_end(sp_cl_prepared *p, sp_status s, void **prepared);

/* Reports a failed launch to whoever asked (a->status keeps the first). */
void sp_cl_report(const sp_kernel_args *a, sp_status s);

/* The 12 ints of a convolution or pooling window every such kernel takes
 * after its buffers: C H W K OH OW KH KW SH SW PT PL. */
void sp_cl_window_ints(const sp_kernel_args *a, int out[12]);

/* The device limits check shared by the valid() functions: a work-group of
 * x * y work-items fits (always true when limits is NULL). */
int sp_cl_fits(const sp_device_limits *limits, int x, int y);

/* Whether the graph's shapes of node n fit the int arithmetic of the
 * kernels (every buffer below 2^31 elements) and a device exists. */
int sp_cl_node_fits(const sp_graph *g, const sp_node *n);

#endif
