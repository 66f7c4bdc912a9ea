/* maxpool__opencl, avgpool__opencl, global_avgpool__opencl (pool.cl): one
 * work-item per output element, work-groups chosen by the implementation. */
#include "kernels/cl/cl_variant.h"

int sp_cl_supports(const sp_graph *g, const sp_node *n) { return sp_cl_node_fits(g, n); }

static sp_status prepare(const char *variant, const char *kernel, void *backend, void **prepared) {
  sp_cl_prepared *p = NULL;
  sp_status s = sp_cl_prepare_begin(variant, backend, NULL, NULL, &p);
  if (s) return s;
  return sp_cl_prepare_end(p, sp_cl_prepare_kernel(p, 0, "pool", "", kernel), prepared);
}

sp_status sp_cl_maxpool_prepare(const sp_graph *g, const sp_node *n, void *backend,
                                const int *params, void **prepared, size_t *bytes) {
  return prepare("maxpool__opencl", "maxpool", backend, prepared);
}

sp_status sp_cl_avgpool_prepare(const sp_graph *g, const sp_node *n, void *backend,
                                const int *params, void **prepared, size_t *bytes) {
  return prepare("avgpool__opencl", "avgpool", backend, prepared);
}

sp_status sp_cl_global_avgpool_prepare(const sp_graph *g, const sp_node *n, void *backend,
                                       const int *params, void **prepared, size_t *bytes) {
  return prepare("global_avgpool__opencl", "global_avgpool", backend, prepared);
}

/* Window pooling: the kernel's 12 window ints, then (avgpool) the bottom and
 * right padding and count_include_pad. */
static void run_window(const sp_kernel_args *a, int average) {
  const sp_cl_prepared *p = a->prepared;
  const sp_window *w = &a->node->win;
  int geo[12], pb = w->pb, pr = w->pr, include_pad = a->node->count_include_pad;
  sp_cl_window_ints(a, geo);
  /* the kernels take C H W OH OW KH KW SH SW PT PL: drop K (geo[3]) */
  int ints[11] = {geo[0], geo[1], geo[2], geo[4], geo[5], geo[6],
                  geo[7], geo[8], geo[9], geo[10], geo[11]};
  sp_cl_arg args[16] = {SP_CL_ARG(a->in_mem[0]), SP_CL_ARG(a->out_mem)};
  for (int i = 0; i < 11; i++) args[2 + i] = SP_CL_ARG(ints[i]);
  args[13] = SP_CL_ARG(pb);
  args[14] = SP_CL_ARG(pr);
  args[15] = SP_CL_ARG(include_pad);
  size_t global[3] = {(size_t)a->out_dims.w, (size_t)a->out_dims.h,
                      (size_t)a->batch * (size_t)a->out_dims.c};
  sp_cl_report(a, sp_cl_launch(p->device, p->kernel[0], p->variant, 3, global, NULL,
                               average ? 16 : 13, args));
}

void sp_kernel_maxpool__opencl(const sp_kernel_args *a) { run_window(a, 0); }
void sp_kernel_avgpool__opencl(const sp_kernel_args *a) { run_window(a, 1); }

void sp_kernel_global_avgpool__opencl(const sp_kernel_args *a) {
  const sp_cl_prepared *p = a->prepared;
  sp_dims in = a->in_dims[0];
  int planes = a->batch * in.c, plane = in.h * in.w;
  sp_cl_arg args[4] = {SP_CL_ARG(a->in_mem[0]), SP_CL_ARG(a->out_mem), SP_CL_ARG(planes),
                       SP_CL_ARG(plane)};
  size_t global[1] = {(size_t)planes};
  sp_cl_report(a, sp_cl_launch(p->device, p->kernel[0], p->variant, 1, global, NULL, 4, args));
}
