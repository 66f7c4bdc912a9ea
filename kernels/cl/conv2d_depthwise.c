/* conv2d__depthwise_opencl: depthwise convolution (conv2d_depthwise.cl). */
#include <stdio.h>

#include "kernels/cl/cl_variant.h"

enum { WG_X, WG_Y, PX };

static const int wg_values[] = {1, 2, 4, 8, 16, 32, 64};
static const int px_values[] = {1, 2, 4, 8, 16};

static const sp_param params[] = {
    {"wg_x", 7, wg_values, 4}, {"wg_y", 7, wg_values, 4}, {"px", 5, px_values, 8}};

static int valid(const sp_graph *g, const sp_node *n, const int *pt, const sp_device_limits *lim) {
  return sp_cl_fits(lim, pt[WG_X], pt[WG_Y]);
}

const sp_param_space sp_cl_conv2d_depthwise_params = {3, params, valid};

int sp_cl_conv2d_depthwise_supports(const sp_graph *g, const sp_node *n) {
  int cin = sp_node_in(g, n, 0).c;
  return n->groups == cin && n->units % cin == 0 && sp_cl_node_fits(g, n);
}

sp_status sp_cl_conv2d_depthwise_prepare(const sp_graph *g, const sp_node *n, void *backend,
                                         const int *point, void **prepared, size_t *bytes) {
  sp_cl_prepared *p = NULL;
  sp_status s = sp_cl_prepare_begin("conv2d__depthwise_opencl", backend,
                                    &sp_cl_conv2d_depthwise_params, point, &p);
  if (s) return s;
  char options[32];
  snprintf(options, sizeof options, "-DPX=%d", p->point[PX]);
  *bytes = sp_node_weight_count(g, n) * sizeof(float);
  s = sp_cl_prepare_kernel(p, 0, "conv2d_depthwise", options, "conv2d_depthwise");
  if (!s) s = sp_cl_prepare_upload(p, 0, n->weight, *bytes);
  if (!s) s = sp_cl_prepare_bias(p, n);
  return sp_cl_prepare_end(p, s, prepared);
}

void sp_kernel_conv2d__depthwise_opencl(const sp_kernel_args *a) {
  const sp_cl_prepared *p = a->prepared;
  int geo[12], has_bias = p->bias != NULL, act = (int)a->node->act, px = p->point[PX];
  sp_cl_window_ints(a, geo);
  size_t global[3] = {(size_t)((a->out_dims.w + px - 1) / px), (size_t)a->out_dims.h,
                      (size_t)a->batch * (size_t)a->out_dims.c};
  size_t local[3] = {(size_t)p->point[WG_X], (size_t)p->point[WG_Y], 1};
  sp_cl_arg args[18] = {SP_CL_ARG(a->in_mem[0]), SP_CL_ARG(p->mem[0]), SP_CL_ARG(p->bias),
                        SP_CL_ARG(a->out_mem)};
  for (int i = 0; i < 12; i++) args[4 + i] = SP_CL_ARG(geo[i]);
  args[16] = SP_CL_ARG(has_bias);
  args[17] = SP_CL_ARG(act);
  sp_cl_report(a, sp_cl_launch(p->device, p->kernel[0], "conv2d__depthwise_opencl", 3, global,
                               local, 18, args));
}
