/* conv2d__im2col_clblast and conv2d__convgemm_clblast: convolution as a
 * CLBlast GEMM. The first lowers the batch with our im2col kernel
 * (im2col.cl) into device workspace, then calls CLBlastSgemm once per image
 * and group; the second is CLBlastSconvgemm (CLBlast's own batched im2col +
 * GEMM; groups 1, symmetric padding). Both then add the bias and apply the
 * fused activation in one element-wise kernel (eltwise.cl). CLBlast builds
 * its kernels on its first call in a process: prepare makes that call (one
 * image) so that compile time is prepare time. Built without CLBlast they
 * support nothing. */
#include <stdio.h>

#include "kernels/cl/cl_variant.h"

#ifdef SP_HAVE_CLBLAST
#include <clblast_c.h>

static const char *clblast_error(int code) {
  static _Thread_local char text[48];
  if (code > -1000) return sp_cl_error_name(code);
  switch (code) {
    case CLBlastNotImplemented: return "CLBlastNotImplemented";
    case CLBlastInvalidDimension: return "CLBlastInvalidDimension";
    case CLBlastInsufficientMemoryA: return "CLBlastInsufficientMemoryA";
    case CLBlastInsufficientMemoryB: return "CLBlastInsufficientMemoryB";
    case CLBlastInsufficientMemoryC: return "CLBlastInsufficientMemoryC";
    case CLBlastInvalidLocalMemUsage: return "CLBlastInvalidLocalMemUsage";
    case CLBlastDatabaseError: return "CLBlastDatabaseError";
    default: snprintf(text, sizeof text, "CLBlast error %d", code); return text;
  }
}

static sp_status clblast_fail(const char *variant, const char *call, CLBlastStatusCode code) {
  return sp_fail(SP_ERR_RUNTIME, "%s: %s failed: %s", variant, call, clblast_error(code));
}

/* Output size of Sconvgemm, which pads both sides alike with (pt, pl). */
static int convgemm_fits(const sp_graph *g, const sp_node *n) {
  sp_dims in = sp_node_in(g, n, 0);
  const sp_window *w = &n->win;
  int oh = (in.h + 2 * w->pt - w->kh) / w->sh + 1, ow = (in.w + 2 * w->pl - w->kw) / w->sw + 1;
  return n->groups == 1 && in.h + 2 * w->pt >= w->kh && in.w + 2 * w->pl >= w->kw &&
         oh == n->out.h && ow == n->out.w;
}
#endif

int sp_cl_conv2d_im2col_clblast_supports(const sp_graph *g, const sp_node *n) {
#ifdef SP_HAVE_CLBLAST
  return sp_cl_node_fits(g, n);
#else
  return 0;
#endif
}

int sp_cl_conv2d_convgemm_clblast_supports(const sp_graph *g, const sp_node *n) {
#ifdef SP_HAVE_CLBLAST
  return convgemm_fits(g, n) && sp_cl_node_fits(g, n);
#else
  return 0;
#endif
}

/* The lowered batch: C*KH*KW rows of OH*OW pixels per image. */
size_t sp_cl_conv2d_im2col_clblast_workspace(const sp_graph *g, const sp_node *n, int batch) {
  size_t rows = (size_t)sp_node_in(g, n, 0).c * (size_t)n->win.kh * (size_t)n->win.kw;
  return (size_t)batch * rows * (size_t)n->out.h * (size_t)n->out.w * sizeof(float);
}

/* Enqueues the GEMMs (or the convgemm) of `batch` images; in/col/out are
 * cl_mem. */
static sp_status gemm(const sp_cl_prepared *p, const sp_graph *g, const sp_node *n, int batch,
                      void *in, void *col, void *out, int convgemm) {
#ifdef SP_HAVE_CLBLAST
  sp_dims id = sp_node_in(g, n, 0);
  const sp_window *w = &n->win;
  cl_command_queue queue = sp_cl_queue(p->device);
  if (convgemm) {
    CLBlastStatusCode c = CLBlastSconvgemm(
        CLBlastKernelModeCrossCorrelation, (size_t)id.c, (size_t)id.h, (size_t)id.w,
        (size_t)w->kh, (size_t)w->kw, (size_t)w->pt, (size_t)w->pl, (size_t)w->sh, (size_t)w->sw,
        1, 1, (size_t)n->units, (size_t)batch, in, 0, p->mem[0], 0, out, 0, &queue, NULL);
    return c == CLBlastSuccess ? SP_OK : clblast_fail(p->variant, "CLBlastSconvgemm", c);
  }
  size_t pixels = (size_t)n->out.h * (size_t)n->out.w, taps = (size_t)w->kh * (size_t)w->kw;
  size_t kg = (size_t)n->units / (size_t)n->groups, depth = (size_t)id.c / (size_t)n->groups * taps;
  for (int b = 0; b < batch; b++)
    for (int grp = 0; grp < n->groups; grp++) {
      size_t a_off = (size_t)grp * kg * depth;
      size_t b_off = ((size_t)b * (size_t)id.c * taps + (size_t)grp * depth) * pixels;
      size_t c_off = ((size_t)b * (size_t)n->units + (size_t)grp * kg) * pixels;
      CLBlastStatusCode c = CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo,
                                         CLBlastTransposeNo, kg, pixels, depth, 1.0f, p->mem[0],
                                         a_off, depth, col, b_off, pixels, 0.0f, out, c_off,
                                         pixels, &queue, NULL);
      if (c != CLBlastSuccess) return clblast_fail(p->variant, "CLBlastSgemm", c);
    }
  return SP_OK;
#else
  return sp_fail(SP_ERR_RUNTIME, "%s: built without CLBlast", p->variant);
#endif
}

static sp_status lower(const sp_cl_prepared *p, const sp_graph *g, const sp_node *n, int batch,
                       void *in, void *col) {
  sp_dims id = sp_node_in(g, n, 0);
  const sp_window *w = &n->win;
  int ints[11] = {id.c, id.h, id.w, n->out.h, n->out.w, w->kh, w->kw, w->sh, w->sw, w->pt, w->pl};
  sp_cl_arg args[13] = {SP_CL_ARG(in), SP_CL_ARG(col)};
  for (int i = 0; i < 11; i++) args[2 + i] = SP_CL_ARG(ints[i]);
  size_t global[3] = {(size_t)n->out.h * (size_t)n->out.w,
                      (size_t)id.c * (size_t)w->kh * (size_t)w->kw, (size_t)batch};
  return sp_cl_launch(p->device, p->kernel[1], p->variant, 3, global, NULL, 13, args);
}

/* One image through the whole call, so that CLBlast compiles now. */
static sp_status warm_up(const sp_cl_prepared *p, const sp_graph *g, const sp_node *n,
                         int convgemm) {
  void *in = NULL, *col = NULL, *out = NULL;
  size_t in_bytes = sp_dims_count(sp_node_in(g, n, 0)) * sizeof(float);
  sp_status s = sp_cl_buffer_alloc(p->device, in_bytes, &in);
  if (!s) s = sp_cl_buffer_alloc(p->device, sp_dims_count(n->out) * sizeof(float), &out);
  if (!s && !convgemm)
    s = sp_cl_buffer_alloc(p->device, sp_cl_conv2d_im2col_clblast_workspace(g, n, 1), &col);
  if (!s && !convgemm) s = lower(p, g, n, 1, in, col);
  if (!s) s = gemm(p, g, n, 1, in, col, out, convgemm);
  if (!s) s = sp_cl_finish(p->device);
  sp_cl_buffer_free(in);
  sp_cl_buffer_free(col);
  sp_cl_buffer_free(out);
  return s;
}

static sp_status prepare(const char *variant, const sp_graph *g, const sp_node *n, void *backend,
                         int convgemm, void **prepared, size_t *bytes) {
  sp_cl_prepared *p = NULL;
  sp_status s = sp_cl_prepare_begin(variant, backend, NULL, NULL, &p);
  if (s) return s;
  *bytes = sp_node_weight_count(g, n) * sizeof(float);
  s = sp_cl_prepare_kernel(p, 0, "eltwise", "", "bias_act");
  if (!s && !convgemm) s = sp_cl_prepare_kernel(p, 1, "im2col", "", "im2col");
  if (!s) s = sp_cl_prepare_upload(p, 0, n->weight, *bytes);
  if (!s) s = sp_cl_prepare_bias(p, n);
  if (!s) s = warm_up(p, g, n, convgemm);
  return sp_cl_prepare_end(p, s, prepared);
}

sp_status sp_cl_conv2d_im2col_clblast_prepare(const sp_graph *g, const sp_node *n, void *backend,
                                              const int *params, void **prepared, size_t *bytes) {
  return prepare("conv2d__im2col_clblast", g, n, backend, 0, prepared, bytes);
}

sp_status sp_cl_conv2d_convgemm_clblast_prepare(const sp_graph *g, const sp_node *n,
                                                void *backend, const int *params,
                                                void **prepared, size_t *bytes) {
  return prepare("conv2d__convgemm_clblast", g, n, backend, 1, prepared, bytes);
}

static void run(const sp_kernel_args *a, int convgemm) {
  const sp_cl_prepared *p = a->prepared;
  const sp_node *n = a->node;
  sp_status s = convgemm ? SP_OK : lower(p, a->graph, n, a->batch, a->in_mem[0], a->workspace_mem);
  if (!s) s = gemm(p, a->graph, n, a->batch, a->in_mem[0], a->workspace_mem, a->out_mem, convgemm);
  int has_bias = p->bias != NULL, act = (int)n->act, k = n->units;
  int plane = a->out_dims.h * a->out_dims.w, count = a->batch * k * plane;
  if (!s && (has_bias || act)) {
    sp_cl_arg args[7] = {SP_CL_ARG(a->out_mem), SP_CL_ARG(p->bias), SP_CL_ARG(k), SP_CL_ARG(plane),
                         SP_CL_ARG(count),      SP_CL_ARG(has_bias), SP_CL_ARG(act)};
    size_t global[1] = {(size_t)count};
    s = sp_cl_launch(p->device, p->kernel[0], p->variant, 1, global, NULL, 7, args);
  }
  sp_cl_report(a, s);
}

void sp_kernel_conv2d__im2col_clblast(const sp_kernel_args *a) { run(a, 0); }
void sp_kernel_conv2d__convgemm_clblast(const sp_kernel_args *a) { run(a, 1); }
