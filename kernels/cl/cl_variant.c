/* Shared plumbing of the OpenCL variants: prepared state, weight upload,
 * kernel creation, failure reporting. */
#include "kernels/cl/cl_variant.h"

#include <stdint.h>
#include <stdlib.h>

sp_status sp_cl_prepare_begin(const char *variant, void *backend, const sp_param_space *space,
                              const int *params, sp_cl_prepared **out) {
  *out = NULL;
  if (!backend) return sp_fail(SP_ERR_INPUT, "%s needs an OpenCL device", variant);
  sp_cl_prepared *p = calloc(1, sizeof *p);
  if (!p) return sp_fail(SP_ERR_RUNTIME, "out of memory preparing %s", variant);
  p->device = backend;
  p->variant = variant;
  for (int i = 0; space && i < space->count; i++)
    p->point[i] = params ? params[i] : space->params[i].default_value;
  if (space && space->valid && !space->valid(NULL, NULL, p->point, NULL)) {
    free(p);
    return sp_fail(SP_ERR_INPUT, "%s: parameter point not valid for this kernel", variant);
  }
  *out = p;
  return SP_OK;
}

sp_status sp_cl_prepare_upload(sp_cl_prepared *p, int slot, const void *host, size_t bytes) {
  /* an empty array (a CSR without nonzeros) still gets a buffer to bind */
  static const uint32_t zero = 0;
  if (!bytes) return sp_cl_buffer_upload(p->device, &zero, sizeof zero, &p->mem[slot]);
  return sp_cl_buffer_upload(p->device, host, bytes, &p->mem[slot]);
}

sp_status sp_cl_prepare_bias(sp_cl_prepared *p, const sp_node *n) {
  if (!n->bias) return SP_OK;
  return sp_cl_buffer_upload(p->device, n->bias, (size_t)n->units * sizeof(float), &p->bias);
}

sp_status sp_cl_prepare_kernel(sp_cl_prepared *p, int slot, const char *source,
                               const char *options, const char *name) {
  sp_status s = sp_cl_kernel_create(p->device, source, options, name, &p->kernel[slot]);
  if (s) return sp_fail(s, "%s: %s", p->variant, sp_last_error());
  return SP_OK;
}

sp_status sp_cl_prepare_end(sp_cl_prepared *p, sp_status s, void **prepared) {
  if (s) {
    sp_cl_release(p);
    return s;
  }
  *prepared = p;
  return SP_OK;
}

void sp_cl_release(void *prepared) {
  sp_cl_prepared *p = prepared;
  if (!p) return;
  for (int i = 0; i < SP_CL_MAX_KERNELS; i++) sp_cl_kernel_free(p->kernel[i]);
  for (int i = 0; i < SP_CL_MAX_BUFFERS; i++) sp_cl_buffer_free(p->mem[i]);
  sp_cl_buffer_free(p->bias);
  free(p);
}

void sp_cl_report(const sp_kernel_args *a, sp_status s) {
  if (s && a->status && *a->status == SP_OK) *a->status = s;
}

void sp_cl_window_ints(const sp_kernel_args *a, int out[12]) {
  const sp_window *w = &a->node->win;
  sp_dims in = a->in_dims[0], o = a->out_dims;
  int v[12] = {in.c, in.h, in.w, o.c, o.h, o.w, w->kh, w->kw, w->sh, w->sw, w->pt, w->pl};
  for (int i = 0; i < 12; i++) out[i] = v[i];
}

int sp_cl_fits(const sp_device_limits *limits, int x, int y) {
  if (!limits) return 1;
  return (size_t)x * (size_t)y <= limits->max_work_group_size &&
         (size_t)x <= limits->max_work_item_size[0] && (size_t)y <= limits->max_work_item_size[1];
}

int sp_cl_node_fits(const sp_graph *g, const sp_node *n) {
  /* generous: a batch of 64 images of either shape stays below 2^31 floats */
  size_t limit = (size_t)1 << 25;
  if (sp_dims_count(n->out) > limit) return 0;
  for (int j = 0; j < n->n_inputs; j++)
    if (sp_dims_count(sp_node_in(g, n, j)) > limit) return 0;
  return sp_cl_enabled();
}
