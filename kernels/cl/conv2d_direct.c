/* conv2d__direct_opencl: the hand-written direct convolution
 * (conv2d_direct.cl) with its tunable work-group and register blocking. */
#include <stdio.h>

#include "kernels/cl/cl_variant.h"

enum { WG_X, WG_Y, OC, PX, VEC };

static const int wg_values[] = {1, 2, 4, 8, 16, 32, 64};
static const int block_values[] = {1, 2, 4, 8, 16};

static const sp_param params[] = {
    {"wg_x", 7, wg_values, 4},  {"wg_y", 7, wg_values, 4}, {"oc", 5, block_values, 4},
    {"px", 5, block_values, 16}, {"vec", 5, block_values, 16},
};

/* Defaults: the paper's 4x4 work-groups and 16-wide vectors (16 pixels a
 * work-item), 4 output channels a work-item. Valid: vec divides px, at most
 * 64 accumulators a work-item (registers), the work-group fits the device. */
static int valid(const sp_graph *g, const sp_node *n, const int *pt, const sp_device_limits *lim) {
  return pt[PX] % pt[VEC] == 0 && pt[OC] * pt[PX] <= 64 && sp_cl_fits(lim, pt[WG_X], pt[WG_Y]);
}

const sp_param_space sp_cl_conv2d_direct_params = {5, params, valid};

int sp_cl_conv2d_direct_supports(const sp_graph *g, const sp_node *n) {
  return sp_cl_node_fits(g, n);
}

sp_status sp_cl_conv2d_direct_prepare(const sp_graph *g, const sp_node *n, void *backend,
                                      const int *point, void **prepared, size_t *bytes) {
  sp_cl_prepared *p = NULL;
  sp_status s = sp_cl_prepare_begin("conv2d__direct_opencl", backend, &sp_cl_conv2d_direct_params,
                                    point, &p);
  if (s) return s;
  char options[96];
  snprintf(options, sizeof options, "-DOC=%d -DPX=%d -DVEC=%d", p->point[OC], p->point[PX],
           p->point[VEC]);
  *bytes = sp_node_weight_count(g, n) * sizeof(float);
  s = sp_cl_prepare_kernel(p, 0, "conv2d_direct", options, "conv2d_direct");
  if (!s) s = sp_cl_prepare_upload(p, 0, n->weight, *bytes);
  if (!s) s = sp_cl_prepare_bias(p, n);
  return sp_cl_prepare_end(p, s, prepared);
}

void sp_kernel_conv2d__direct_opencl(const sp_kernel_args *a) {
  const sp_cl_prepared *p = a->prepared;
  const sp_node *n = a->node;
  int geo[12], groups = n->groups, has_bias = p->bias != NULL, act = (int)n->act;
  sp_cl_window_ints(a, geo);
  int oc = p->point[OC], px = p->point[PX], kg = a->out_dims.c / groups;
  size_t global[3] = {(size_t)((a->out_dims.w + px - 1) / px), (size_t)a->out_dims.h,
                      (size_t)a->batch * (size_t)groups * (size_t)((kg + oc - 1) / oc)};
  size_t local[3] = {(size_t)p->point[WG_X], (size_t)p->point[WG_Y], 1};
  sp_cl_arg args[19] = {SP_CL_ARG(a->in_mem[0]), SP_CL_ARG(p->mem[0]), SP_CL_ARG(p->bias),
                        SP_CL_ARG(a->out_mem)};
  for (int i = 0; i < 12; i++) args[4 + i] = SP_CL_ARG(geo[i]);
  args[16] = SP_CL_ARG(groups);
  args[17] = SP_CL_ARG(has_bias);
  args[18] = SP_CL_ARG(act);
  sp_cl_report(a, sp_cl_launch(p->device, p->kernel[0], "conv2d__direct_opencl", 3, global, local,
                               19, args));
}
