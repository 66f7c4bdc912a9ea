#include "layer_bench.h"

#include <stdlib.h>

#include "engine/model_info.h"
#include "engine/rng.h"
#include "kernels/registry.h"
#include "timer.h"

typedef struct bench_call {
  const sp_variant *variant;
  sp_kernel_args args;
} bench_call;

static void run_once(void *ctx) {
  const bench_call *c = ctx;
  c->variant->run(&c->args);
}

static float *random_activations(size_t count, uint64_t seed) {
  float *x = malloc((count ? count : 1) * sizeof *x);
  if (!x) return NULL;
  sp_rng rng;
  sp_rng_seed(&rng, seed);
  for (size_t i = 0; i < count; i++) x[i] = 2.0f * sp_rng_uniform(&rng) - 1.0f;
  return x;
}

sp_status sp_layer_bench(const sp_graph *g, int index, const sp_variant *v, int batch,
                         int threads, const sp_measure_options *opt, sp_layer_timing *out) {
  *out = (sp_layer_timing){0};
  if (index <= 0 || index >= g->n_nodes)
    return sp_fail(SP_ERR_INPUT, "%s: no layer %d (it has %d)", g->name, index, g->n_nodes - 1);
  const sp_node *n = &g->nodes[index];
  if (!sp_variant_supports(v, g, n))
    return sp_fail(SP_ERR_INPUT, "layer %s: variant %s cannot run it", n->name, v->name);
  bench_call call = {.variant = v,
                     .args = {.graph = g, .node = n, .batch = batch, .threads = threads,
                              .out_dims = n->out}};
  sp_kernel_args *a = &call.args;
  sp_status s = SP_OK;
  void *prepared = NULL;
  float *in[SP_MAX_INPUTS] = {NULL, NULL};
  for (int j = 0; j < n->n_inputs && !s; j++) {
    a->in_dims[j] = sp_node_in(g, n, j);
    in[j] = random_activations((size_t)batch * sp_dims_count(a->in_dims[j]), 0x5eed + (uint64_t)j);
    if (!in[j]) s = sp_fail(SP_ERR_RUNTIME, "layer %s: out of memory for inputs", n->name);
    a->in[j] = in[j];
  }
  out->workspace_bytes = v->workspace_bytes ? v->workspace_bytes(g, n, batch) : 0;
  a->out = s ? NULL : malloc((size_t)batch * sp_dims_count(n->out) * sizeof(float));
  a->workspace = out->workspace_bytes && !s ? malloc(out->workspace_bytes) : NULL;
  if (!s && (!a->out || (out->workspace_bytes && !a->workspace)))
    s = sp_fail(SP_ERR_RUNTIME, "layer %s: out of memory for outputs or workspace", n->name);

  out->weight_bytes = (size_t)sp_node_weight_bytes(g, n);
  if (!s && v->prepare) {
    size_t bytes = 0;
    double t0 = sp_time_now();
    s = v->prepare(g, n, &prepared, &bytes);
    out->prepare_seconds = sp_time_now() - t0;
    if (s) s = sp_fail(s, "layer %s: %s failed to prepare its weights: %s", n->name, v->name,
                       sp_last_error());
    out->weight_bytes = bytes + (n->bias ? (size_t)n->units * sizeof(float) : 0);
    a->prepared = prepared;
  }
  if (!s && sp_measure(run_once, &call, opt, &out->time))
    s = sp_fail(SP_ERR_RUNTIME, "layer %s: out of memory timing %s", n->name, v->name);

  if (prepared) v->release(prepared);
  free(a->workspace);
  free(a->out);
  free(in[0]);
  free(in[1]);
  return s;
}
