/* fc__opencl: fully connected layer (fc.cl), one work-item per unit and
 * image, work-groups of `wg` along the units, dot products in vectors of
 * `vec` floats. */
#include <stdio.h>

#include "kernels/cl/cl_variant.h"

enum { WG, VEC };

static const int wg_values[] = {1, 2, 4, 8, 16, 32, 64, 128, 256};
static const int vec_values[] = {1, 2, 4, 8, 16};

static const sp_param params[] = {{"wg", 9, wg_values, 16}, {"vec", 5, vec_values, 8}};

static int valid(const sp_graph *g, const sp_node *n, const int *pt, const sp_device_limits *lim) {
  return sp_cl_fits(lim, pt[WG], 1);
}

const sp_param_space sp_cl_fc_params = {2, params, valid};

sp_status sp_cl_fc_prepare(const sp_graph *g, const sp_node *n, void *backend, const int *point,
                           void **prepared, size_t *bytes) {
  sp_cl_prepared *p = NULL;
  sp_status s = sp_cl_prepare_begin("fc__opencl", backend, &sp_cl_fc_params, point, &p);
  if (s) return s;
  char options[32];
  snprintf(options, sizeof options, "-DVEC=%d", p->point[VEC]);
  *bytes = sp_node_weight_count(g, n) * sizeof(float);
  s = sp_cl_prepare_kernel(p, 0, "fc", options, "fc");
  if (!s) s = sp_cl_prepare_upload(p, 0, n->weight, *bytes);
  if (!s) s = sp_cl_prepare_bias(p, n);
  return sp_cl_prepare_end(p, s, prepared);
}

void sp_kernel_fc__opencl(const sp_kernel_args *a) {
  const sp_cl_prepared *p = a->prepared;
  int features = (int)sp_dims_count(a->in_dims[0]), units = a->out_dims.c;
  int has_bias = p->bias != NULL, act = (int)a->node->act;
  sp_cl_arg args[8] = {SP_CL_ARG(a->in_mem[0]), SP_CL_ARG(p->mem[0]), SP_CL_ARG(p->bias),
                       SP_CL_ARG(a->out_mem),   SP_CL_ARG(features), SP_CL_ARG(units),
                       SP_CL_ARG(has_bias),     SP_CL_ARG(act)};
  size_t global[2] = {(size_t)units, (size_t)a->batch}, local[2] = {(size_t)p->point[WG], 1};
  sp_cl_report(a, sp_cl_launch(p->device, p->kernel[0], p->variant, 2, global, local, 8, args));
}
