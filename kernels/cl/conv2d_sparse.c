/* conv2d__csr_opencl and conv2d__ternary_opencl: sparse convolution from
 * weights compressed on the host in prepare (conv2d_sparse.cl). Device
 * format: int32 row pointers (Cout + 1), one packed uint32 tap per nonzero
 * (ci << 16 | ky << 8 | kx), and for CSR one float value per nonzero; for
 * ternary the sign in bit 31 of the tap and the two scales as arguments. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/compress/weight_format.h"
#include "kernels/cl/cl_variant.h"

enum { WG_X, WG_Y, PX };

static const int wg_values[] = {1, 2, 4, 8, 16, 32, 64};
static const int px_values[] = {1, 2, 4, 8, 16};

static const sp_param params[] = {
    {"wg_x", 7, wg_values, 4}, {"wg_y", 7, wg_values, 4}, {"px", 5, px_values, 8}};

static int valid(const sp_graph *g, const sp_node *n, const int *pt, const sp_device_limits *lim) {
  return sp_cl_fits(lim, pt[WG_X], pt[WG_Y]);
}

const sp_param_space sp_cl_conv2d_sparse_params = {3, params, valid};

/* The packed tap fits: input channels per group below 2^15, kernel sides
 * below 256. */
int sp_cl_conv2d_csr_supports(const sp_graph *g, const sp_node *n) {
  return sp_node_in(g, n, 0).c / n->groups < 32768 && n->win.kh < 256 && n->win.kw < 256 &&
         sp_cl_node_fits(g, n);
}

int sp_cl_conv2d_ternary_supports(const sp_graph *g, const sp_node *n) {
  return n->ternary && sp_cl_conv2d_csr_supports(g, n);
}

static uint32_t tap_of(const sp_node *n, int col) {
  int taps = n->win.kh * n->win.kw, r = col % taps;
  return (uint32_t)(col / taps) << 16 | (uint32_t)(r / n->win.kw) << 8 | (uint32_t)(r % n->win.kw);
}

/* Uploads row pointers (mem[0]), taps (mem[1]) and values (mem[2], CSR) or
 * the signs in the taps (ternary). */
static sp_status upload_sparse(sp_cl_prepared *p, const sp_graph *g, const sp_node *n,
                               int ternary, size_t *bytes) {
  sp_csr *m = NULL;
  sp_status s = sp_csr_build(g, n, &m);
  if (s) return sp_fail(s, "%s: %s", p->variant, sp_last_error());
  uint32_t *taps = malloc(((size_t)m->nnz + 1) * sizeof *taps);
  if (!taps) s = sp_fail(SP_ERR_RUNTIME, "%s: out of memory for %s's taps", p->variant, n->name);
  for (int32_t j = 0; !s && j < m->nnz; j++) {
    taps[j] = tap_of(n, m->col[j]);
    if (!ternary) continue;
    if (m->val[j] == n->ternary_pos) continue;
    if (m->val[j] == -n->ternary_neg) taps[j] |= 0x80000000u;
    else s = sp_fail(SP_ERR_INPUT, "%s: layer %s has weight %g, neither +%g nor -%g", p->variant,
                     n->name, (double)m->val[j], (double)n->ternary_pos, (double)n->ternary_neg);
  }
  size_t nnz = (size_t)m->nnz;
  if (!s) s = sp_cl_prepare_upload(p, 0, m->row_ptr, ((size_t)m->rows + 1) * sizeof(int32_t));
  if (!s) s = sp_cl_prepare_upload(p, 1, taps, nnz * sizeof *taps);
  if (!s && !ternary) s = sp_cl_prepare_upload(p, 2, m->val, nnz * sizeof(float));
  *bytes = ((size_t)m->rows + 1) * 4 + nnz * (ternary ? 4 : 8) + (ternary ? 8 : 0);
  p->pos = n->ternary_pos;
  p->neg = n->ternary_neg;
  free(taps);
  sp_csr_free(m);
  return s;
}

static sp_status prepare(const sp_graph *g, const sp_node *n, void *backend, const int *point,
                         int ternary, void **prepared, size_t *bytes) {
  sp_cl_prepared *p = NULL;
  sp_status s = sp_cl_prepare_begin(ternary ? "conv2d__ternary_opencl" : "conv2d__csr_opencl",
                                    backend, &sp_cl_conv2d_sparse_params, point, &p);
  if (s) return s;
  char options[48];
  snprintf(options, sizeof options, "-DPX=%d%s", p->point[PX], ternary ? " -DTERNARY" : "");
  s = sp_cl_prepare_kernel(p, 0, "conv2d_sparse", options, "conv2d_sparse");
  if (!s) s = upload_sparse(p, g, n, ternary, bytes);
  if (!s) s = sp_cl_prepare_bias(p, n);
  return sp_cl_prepare_end(p, s, prepared);
}

sp_status sp_cl_conv2d_csr_prepare(const sp_graph *g, const sp_node *n, void *backend,
                                   const int *point, void **prepared, size_t *bytes) {
  return prepare(g, n, backend, point, 0, prepared, bytes);
}

sp_status sp_cl_conv2d_ternary_prepare(const sp_graph *g, const sp_node *n, void *backend,
                                       const int *point, void **prepared, size_t *bytes) {
  return prepare(g, n, backend, point, 1, prepared, bytes);
}

static void run(const sp_kernel_args *a, int ternary) {
  const sp_cl_prepared *p = a->prepared;
  const sp_window *w = &a->node->win;
  sp_dims in = a->in_dims[0], o = a->out_dims;
  int ints[13] = {in.c,  in.h,  in.w,  o.c,           o.h, o.w, w->sh, w->sw, w->pt, w->pl,
                  a->node->groups, p->bias != NULL, (int)a->node->act};
  int px = p->point[PX];
  size_t global[3] = {(size_t)((o.w + px - 1) / px), (size_t)o.h, (size_t)a->batch * (size_t)o.c};
  size_t local[3] = {(size_t)p->point[WG_X], (size_t)p->point[WG_Y], 1};
  sp_cl_arg args[21];
  int k = 0;
  args[k++] = SP_CL_ARG(a->in_mem[0]);
  args[k++] = SP_CL_ARG(p->mem[0]);
  args[k++] = SP_CL_ARG(p->mem[1]);
  if (!ternary) args[k++] = SP_CL_ARG(p->mem[2]);
  args[k++] = SP_CL_ARG(p->bias);
  args[k++] = SP_CL_ARG(a->out_mem);
  for (int i = 0; i < 13; i++) args[k++] = SP_CL_ARG(ints[i]);
  args[k++] = SP_CL_ARG(p->pos);
  args[k++] = SP_CL_ARG(p->neg);
  sp_cl_report(a, sp_cl_launch(p->device, p->kernel[0], p->variant, 3, global, local, k, args));
}

void sp_kernel_conv2d__csr_opencl(const sp_kernel_args *a) { run(a, 0); }
void sp_kernel_conv2d__ternary_opencl(const sp_kernel_args *a) { run(a, 1); }
