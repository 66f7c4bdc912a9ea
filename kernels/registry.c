#include "kernels/registry.h"

#include <string.h>

/* Declarations of every run function named in variants.inc. */
#define SP_VARIANT(sym, op, fmt, algo, backend, supports, workspace) \
  void sp_kernel_##sym(const sp_kernel_args *args);
#define SP_VARIANT_PREPARED(sym, op, fmt, algo, backend, supports, workspace, prepare, release) \
  SP_VARIANT(sym, op, fmt, algo, backend, supports, workspace)
#define SP_VARIANT_DEVICE(sym, op, fmt, algo, backend, supports, workspace, prepare_device, \
                          release, params, sources)                                        \
  SP_VARIANT(sym, op, fmt, algo, backend, supports, workspace)
#include "kernels/variants.inc"
#undef SP_VARIANT
#undef SP_VARIANT_PREPARED
#undef SP_VARIANT_DEVICE

/* Predicates and workspace functions are declared by the kernels that use them. */
#include "kernels/cl/cl_kernels.h"
#include "kernels/cpu_kernels.h"
#include "kernels/conv2d/ternary_blocked.h"

static const sp_variant variants[] = {
#define SP_VARIANT_PREPARED(sym, op_, fmt, algo_, backend_, supports_, workspace_, prepare_,     \
                            release_)                                                       \
  {.name = #sym, .op = op_, .format = fmt, .algo = algo_, .backend = backend_,                \
   .supports = supports_, .workspace_bytes = workspace_, .run = sp_kernel_##sym,              \
   .prepare = prepare_, .release = release_},
#define SP_VARIANT(sym, op_, fmt, algo_, backend_, supports_, workspace_) \
  SP_VARIANT_PREPARED(sym, op_, fmt, algo_, backend_, supports_, workspace_, NULL, NULL)
#define SP_VARIANT_DEVICE(sym, op_, fmt, algo_, backend_, supports_, workspace_, prepare_device_, \
                          release_, params_, sources_)                                       \
  {.name = #sym, .op = op_, .format = fmt, .algo = algo_, .backend = backend_,                 \
   .supports = supports_, .workspace_bytes = workspace_, .run = sp_kernel_##sym,               \
   .release = release_, .prepare_device = prepare_device_, .params = params_,                  \
   .cl_sources = sources_},
#include "kernels/variants.inc"
#undef SP_VARIANT
#undef SP_VARIANT_PREPARED
#undef SP_VARIANT_DEVICE
};

const sp_variant *sp_registry_variants(int *count) {
  *count = (int)(sizeof variants / sizeof variants[0]);
  return variants;
}

const sp_variant *sp_registry_find(const char *name) {
  for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++)
    if (strcmp(variants[i].name, name) == 0) return &variants[i];
  return NULL;
}

const sp_variant *sp_registry_reference(sp_op op) {
  for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++)
    if (variants[i].op == op && variants[i].algo == SP_ALGO_REFERENCE) return &variants[i];
  return NULL;
}

int sp_variant_supports(const sp_variant *v, const sp_graph *g, const sp_node *node) {
  return v->op == node->op && (!v->supports || v->supports(g, node));
}

int sp_variant_on_device(const sp_variant *v) {
  return v->backend == SP_BACKEND_OPENCL || v->backend == SP_BACKEND_CLBLAST;
}

sp_status sp_variant_prepare(const sp_variant *v, const sp_graph *g, const sp_node *node,
                             void *device, const int *params, void **prepared, size_t *bytes) {
  *prepared = NULL;
  *bytes = 0;
  if (v->prepare_device) {
    if (!device)
      return sp_fail(SP_ERR_INPUT, "layer %s: %s runs on an OpenCL device and none was given",
                     node->name, v->name);
    return v->prepare_device(g, node, device, params, prepared, bytes);
  }
  return v->prepare ? v->prepare(g, node, prepared, bytes) : SP_OK;
}

int sp_variant_default_params(const sp_variant *v, int *point) {
  if (!v->params) return 0;
  for (int i = 0; i < v->params->count; i++) point[i] = v->params->params[i].default_value;
  return v->params->count;
}

int sp_param_point_next(const sp_param_space *space, int *point) {
  for (int i = space->count - 1; i >= 0; i--) {
    const sp_param *p = &space->params[i];
    int k = 0;
    while (k < p->n_values && p->values[k] != point[i]) k++;
    if (k + 1 < p->n_values) {
      point[i] = p->values[k + 1];
      return 1;
    }
    point[i] = p->values[0];
  }
  return 0;
}

const sp_variant *sp_registry_default(const sp_graph *g, const sp_node *node, int threads) {
  sp_backend preferred = threads > 1 ? SP_BACKEND_OPENMP : SP_BACKEND_SERIAL;
  const sp_variant *fallback = NULL;
  for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
    const sp_variant *v = &variants[i];
    /* device variants run only where a plan or the caller asks for them */
    if (v->algo == SP_ALGO_REFERENCE || sp_variant_on_device(v) || !sp_variant_supports(v, g, node))
      continue;
    if (v->backend == preferred) return v;
    if (!fallback) fallback = v;
  }
  return fallback ? fallback : sp_registry_reference(node->op);
}

/* sp_registry_fastest_guess's preference: measured with `stackplan bench`
 * at batch 32, Winograd 1.5-4x faster than im2col + GEMM on 3x3 layers, both
 * 15x faster than the direct loop; F(2x2) wins on outputs under 4x4, where
 * F(4x4) tiles are mostly padding; each one's supports() decides whether it
 * fits the node. */
enum { GUESS_DEPTHWISE, GUESS_1X1, GUESS_WINOGRAD4, GUESS_WINOGRAD2, GUESS_IM2COL, GUESS_COUNT };
static const char *const fastest_guess[GUESS_COUNT][2] = {
    [GUESS_DEPTHWISE] = {"conv2d__depthwise_serial", "conv2d__depthwise_omp"},
    [GUESS_1X1] = {"conv2d__1x1_gemm_serial", "conv2d__1x1_gemm_omp"},
    [GUESS_WINOGRAD4] = {"conv2d__winograd4x4_serial", "conv2d__winograd4x4_omp"},
    [GUESS_WINOGRAD2] = {"conv2d__winograd2x2_serial", "conv2d__winograd2x2_omp"},
    [GUESS_IM2COL] = {"conv2d__im2col_gemm_serial", "conv2d__im2col_gemm_omp"},
};

const char *sp_registry_fastest_guess_name(int i, int omp) {
  return i >= 0 && i < GUESS_COUNT ? fastest_guess[i][omp != 0] : NULL;
}

const sp_variant *sp_registry_fastest_guess(const sp_graph *g, const sp_node *node, int threads) {
  if (node->op == SP_OP_CONV2D) {
    const int winograd = sp_node_in(g, node, 0).c < 8 ? -1
                         : node->out.h >= 4          ? GUESS_WINOGRAD4
                                                     : GUESS_WINOGRAD2;
    const int order[] = {GUESS_DEPTHWISE, GUESS_1X1, winograd, GUESS_IM2COL};
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
      if (order[k] < 0) continue;
      const sp_variant *v = sp_registry_find(fastest_guess[order[k]][threads > 1]);
      if (v && sp_variant_supports(v, g, node)) return v;
    }
  }
  return sp_registry_default(g, node, threads);
}

static const char *const format_names[SP_FORMAT_COUNT] = {"none", "dense", "csr", "ternary"};
static const char *const algo_names[SP_ALGO_COUNT] = {
    "reference", "direct", "im2col_gemm", "gemm", "winograd", "sparse", "elementwise"};
static const char *const backend_names[SP_BACKEND_COUNT] = {"serial", "openmp", "blas", "opencl",
                                                            "clblast"};

const char *sp_format_name(sp_format f) { return f < SP_FORMAT_COUNT ? format_names[f] : "?"; }
const char *sp_algo_name(sp_algo a) { return a < SP_ALGO_COUNT ? algo_names[a] : "?"; }
const char *sp_backend_name(sp_backend b) { return b < SP_BACKEND_COUNT ? backend_names[b] : "?"; }
