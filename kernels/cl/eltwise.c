/* add__opencl (fused activation), relu__opencl, relu6__opencl and
 * flatten__opencl (a device copy): element-wise, one work-item an element. */
#include "kernels/cl/cl_variant.h"

static sp_status prepare(const char *variant, const char *kernel, void *backend, void **prepared) {
  sp_cl_prepared *p = NULL;
  sp_status s = sp_cl_prepare_begin(variant, backend, NULL, NULL, &p);
  if (s) return s;
  if (kernel) s = sp_cl_prepare_kernel(p, 0, "eltwise", "", kernel);
  return sp_cl_prepare_end(p, s, prepared);
}

sp_status sp_cl_add_prepare(const sp_graph *g, const sp_node *n, void *backend,
                            const int *params, void **prepared, size_t *bytes) {
  return prepare("add__opencl", "add_act", backend, prepared);
}

sp_status sp_cl_activate_prepare(const sp_graph *g, const sp_node *n, void *backend,
                                 const int *params, void **prepared, size_t *bytes) {
  return prepare(n->op == SP_OP_RELU6 ? "relu6__opencl" : "relu__opencl", "activate", backend,
                 prepared);
}

sp_status sp_cl_flatten_prepare(const sp_graph *g, const sp_node *n, void *backend,
                                const int *params, void **prepared, size_t *bytes) {
  return prepare("flatten__opencl", NULL, backend, prepared);
}

static int count_of(const sp_kernel_args *a) { return a->batch * (int)sp_dims_count(a->out_dims); }

void sp_kernel_add__opencl(const sp_kernel_args *a) {
  const sp_cl_prepared *p = a->prepared;
  int count = count_of(a), act = (int)a->node->act;
  sp_cl_arg args[5] = {SP_CL_ARG(a->in_mem[0]), SP_CL_ARG(a->in_mem[1]), SP_CL_ARG(a->out_mem),
                       SP_CL_ARG(count), SP_CL_ARG(act)};
  size_t global[1] = {(size_t)count};
  sp_cl_report(a, sp_cl_launch(p->device, p->kernel[0], p->variant, 1, global, NULL, 5, args));
}

static void activate(const sp_kernel_args *a, sp_act act_kind) {
  const sp_cl_prepared *p = a->prepared;
  int count = count_of(a), act = (int)act_kind;
  sp_cl_arg args[4] = {SP_CL_ARG(a->in_mem[0]), SP_CL_ARG(a->out_mem), SP_CL_ARG(count),
                       SP_CL_ARG(act)};
  size_t global[1] = {(size_t)count};
  sp_cl_report(a, sp_cl_launch(p->device, p->kernel[0], p->variant, 1, global, NULL, 4, args));
}

void sp_kernel_relu__opencl(const sp_kernel_args *a) { activate(a, SP_ACT_RELU); }
void sp_kernel_relu6__opencl(const sp_kernel_args *a) { activate(a, SP_ACT_RELU6); }

void sp_kernel_flatten__opencl(const sp_kernel_args *a) {
  const sp_cl_prepared *p = a->prepared;
  sp_cl_report(a, sp_cl_buffer_copy(p->device, a->in_mem[0], a->out_mem,
                                    (size_t)count_of(a) * sizeof(float)));
}
