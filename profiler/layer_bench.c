#include "profiler/layer_bench.h"

#include <stdlib.h>

#include "engine/opencl/cl_runtime.h"
#include "engine/graph/model_info.h"
#include "engine/core/rng.h"
#include "kernels/registry.h"
#include "engine/core/timer.h"

typedef struct bench_call {
  const sp_variant *variant;
  sp_kernel_args args;
  sp_status status;          /* the first failure a device call reported */
  size_t evict_bytes;        /* sp_measure_options.evict_bytes */
  size_t in_floats[SP_MAX_INPUTS];
} bench_call;

/* One buffer for every eviction, grown as needed; never freed (it stays
 * reachable, and a profile reuses it for every layer). */
static unsigned char *evict_buffer;
static size_t evict_capacity;
static volatile float evict_sink;

/* The cache state a layer meets inside a network: since its last run, the
 * other layers streamed their weights and activations through the caches,
 * and its producer just wrote its input. So: read evict_bytes of other data,
 * then read the inputs. Untimed (sp_measure_options.before). */
static void evict(void *ctx) {
  const bench_call *c = ctx;
  if (c->evict_bytes > evict_capacity) {
    unsigned char *b = realloc(evict_buffer, c->evict_bytes);
    if (!b) return; /* out of memory: the run goes on warm */
    for (size_t i = evict_capacity; i < c->evict_bytes; i++) b[i] = (unsigned char)i;
    evict_buffer = b;
    evict_capacity = c->evict_bytes;
  }
  unsigned sum = 0;
  for (size_t i = 0; i < c->evict_bytes; i += 64) sum += evict_buffer[i];
  float f = (float)sum;
  for (int j = 0; j < SP_MAX_INPUTS; j++)
    for (size_t i = 0; c->args.in[j] && i < c->in_floats[j]; i += 16) f += c->args.in[j][i];
  evict_sink = f;
}

static void run_once(void *ctx) {
  const bench_call *c = ctx;
  c->variant->run(&c->args);
}

/* A device call is done when its queue is: the wait is part of its time. */
static void run_once_on_device(void *ctx) {
  bench_call *c = ctx;
  c->variant->run(&c->args);
  sp_status s = sp_cl_finish(c->args.backend);
  if (s && !c->status) c->status = s;
}

static float *random_activations(size_t count, uint64_t seed) {
  float *x = malloc((count ? count : 1) * sizeof *x);
  if (!x) return NULL;
  sp_rng rng;
  sp_rng_seed(&rng, seed);
  for (size_t i = 0; i < count; i++) x[i] = 2.0f * sp_rng_uniform(&rng) - 1.0f;
  return x;
}

/* Allocates the call's buffers: host ones for a host variant, device ones
 * (inputs uploaded) for a device variant. */
static sp_status allocate(bench_call *call, const sp_graph *g, const sp_node *n, int batch,
                          size_t workspace, float **in) {
  sp_kernel_args *a = &call->args;
  int dev = sp_variant_on_device(call->variant);
  sp_status s = SP_OK;
  for (int j = 0; j < n->n_inputs && !s; j++) {
    a->in_dims[j] = sp_node_in(g, n, j);
    size_t count = (size_t)batch * sp_dims_count(a->in_dims[j]);
    in[j] = random_activations(count, 0x5eed + (uint64_t)j);
    if (!in[j]) s = sp_fail(SP_ERR_RUNTIME, "layer %s: out of memory for inputs", n->name);
    else if (dev) s = sp_cl_buffer_upload(a->backend, in[j], count * sizeof(float), &a->in_mem[j]);
    else a->in[j] = in[j];
    call->in_floats[j] = count;
  }
  size_t out_bytes = (size_t)batch * sp_dims_count(n->out) * sizeof(float);
  if (!s && dev) {
    s = sp_cl_buffer_alloc(a->backend, out_bytes, &a->out_mem);
    if (!s && workspace) s = sp_cl_buffer_alloc(a->backend, workspace, &a->workspace_mem);
    if (s) s = sp_fail(s, "layer %s: %s", n->name, sp_last_error());
  } else if (!s) {
    a->out = malloc(out_bytes);
    a->workspace = workspace ? malloc(workspace) : NULL;
    if (!a->out || (workspace && !a->workspace))
      s = sp_fail(SP_ERR_RUNTIME, "layer %s: out of memory for outputs or workspace", n->name);
  }
  return s;
}

static void release(bench_call *call, float **in) {
  sp_kernel_args *a = &call->args;
  for (int j = 0; j < SP_MAX_INPUTS; j++) {
    free(in[j]);
    sp_cl_buffer_free(a->in_mem[j]);
  }
  sp_cl_buffer_free(a->out_mem);
  sp_cl_buffer_free(a->workspace_mem);
  free(a->workspace);
  free(a->out);
}

sp_status sp_layer_bench_at(const sp_graph *g, int index, const sp_variant *v, int batch,
                            int threads, void *device, const int *params,
                            const sp_measure_options *opt, sp_layer_timing *out) {
  *out = (sp_layer_timing){0};
  if (index <= 0 || index >= g->n_nodes)
    return sp_fail(SP_ERR_INPUT, "%s: no layer %d (it has %d)", g->name, index, g->n_nodes - 1);
  const sp_node *n = &g->nodes[index];
  if (!sp_variant_supports(v, g, n))
    return sp_fail(SP_ERR_INPUT, "layer %s: variant %s cannot run it", n->name, v->name);
  int dev = sp_variant_on_device(v);
  if (dev && !device)
    return sp_fail(SP_ERR_INPUT, "layer %s: %s runs on an OpenCL device and none was given",
                   n->name, v->name);
  bench_call call = {.variant = v,
                     .args = {.graph = g, .node = n, .batch = batch, .threads = threads,
                              .out_dims = n->out, .params = params,
                              .backend = dev ? device : NULL}};
  sp_kernel_args *a = &call.args;
  a->status = &call.status;
  void *prepared = NULL;
  float *in[SP_MAX_INPUTS] = {NULL, NULL};
  out->workspace_bytes = v->workspace_bytes ? v->workspace_bytes(g, n, batch) : 0;
  sp_status s = allocate(&call, g, n, batch, out->workspace_bytes, in);

  out->weight_bytes = (size_t)sp_node_weight_bytes(g, n);
  if (!s && (v->prepare || v->prepare_device)) {
    size_t bytes = 0;
    double t0 = sp_time_now();
    s = sp_variant_prepare(v, g, n, a->backend, params, &prepared, &bytes);
    out->prepare_seconds = sp_time_now() - t0;
    if (s) s = sp_fail(s, "layer %s: %s failed to prepare%s: %s", n->name, v->name,
                       dev ? "" : " its weights", sp_last_error());
    out->weight_bytes = bytes + (n->bias ? (size_t)n->units * sizeof(float) : 0);
    a->prepared = prepared;
  }
  if (!s && dev) { /* one call first: a refused launch fails here, not 1000 times */
    run_once_on_device(&call);
    if (call.status) s = sp_fail(call.status, "layer %s: %s", n->name, sp_last_error());
  }
  sp_measure_options mopt = *opt;
  call.evict_bytes = dev ? 0 : opt->evict_bytes; /* device buffers live apart */
  if (call.evict_bytes) mopt.before = evict;
  if (!s && sp_measure(dev ? run_once_on_device : run_once, &call, &mopt, &out->time))
    s = sp_fail(SP_ERR_RUNTIME, "layer %s: out of memory timing %s", n->name, v->name);
  if (!s && call.status) s = sp_fail(call.status, "layer %s: %s", n->name, sp_last_error());

  if (prepared) v->release(prepared);
  release(&call, in);
  return s;
}

sp_status sp_layer_bench(const sp_graph *g, int index, const sp_variant *v, int batch,
                         int threads, const sp_measure_options *opt, sp_layer_timing *out) {
  return sp_layer_bench_at(g, index, v, batch, threads, NULL, NULL, opt, out);
}
