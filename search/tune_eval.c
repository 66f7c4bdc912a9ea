/* The tuner's evaluator: verify against the reference, then time (tune.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/executor/executor.h"
#include "engine/core/rng.h"
#include "kernels/registry.h"
#include "profiler/layer_bench.h"
#include "search/tune.h"

/* K of the layer: the length of the dot products its outputs are. */
static size_t reduction_length(const sp_graph *g, const sp_node *n) {
  if (n->op == SP_OP_CONV2D) return (size_t)(sp_node_in(g, n, 0).c / n->groups) * n->win.kh * n->win.kw;
  if (n->op == SP_OP_FC) return sp_dims_count(sp_node_in(g, n, 0));
  return 1;
}

/* Runs the instance once with `variants`/`params` (NULL: the reference). */
static sp_status run_once(const sp_tune_eval *e, const int *values, float *out) {
  const sp_variant *variants[2] = {NULL, e->variant};
  const int *params[2] = {NULL, values};
  sp_exec_options o = sp_exec_options_default();
  o.batch = e->batch;
  o.device = e->device_index >= 0 ? e->device_index : 0;
  if (values) {
    o.variants = variants;
    o.params = params;
  } else {
    o.reference = 1;
  }
  sp_executor *x = NULL;
  sp_status s = sp_executor_create(e->instance, &o, &x);
  if (!s) s = sp_executor_run(x, e->input, out);
  sp_executor_free(x);
  return s;
}

sp_status sp_tune_eval_init(sp_tune_eval *e, const sp_graph *instance, const sp_variant *v,
                            int batch, int device_index, void *device,
                            const sp_protocol_options *protocol) {
  memset(e, 0, sizeof *e);
  e->instance = instance;
  e->variant = v;
  e->batch = batch;
  e->device_index = device_index;
  e->device = device;
  e->protocol = *protocol;
  const sp_node *n = &instance->nodes[1];
  size_t in_count = (size_t)batch * sp_dims_count(instance->input);
  e->out_count = (size_t)batch * sp_dims_count(n->out);
  e->input = malloc(in_count * sizeof *e->input);
  e->reference = malloc(e->out_count * sizeof *e->reference);
  if (!e->input || !e->reference) {
    sp_tune_eval_free(e);
    return sp_fail(SP_ERR_RUNTIME, "out of memory tuning %s", n->name);
  }
  sp_rng rng;
  sp_rng_seed(&rng, 0x7e57);
  for (size_t i = 0; i < in_count; i++) e->input[i] = 2.0f * sp_rng_uniform(&rng) - 1.0f;
  /* as tests/unit/test_ops.c: rounding grows with the reduction length */
  e->atol = 5.0f * (1e-5f + 1e-6f * (float)reduction_length(instance, n));
  e->rtol = 1e-4f;
  sp_status s = run_once(e, NULL, e->reference);
  if (s) {
    char why[256]; /* a copy: sp_fail writes where sp_last_error points */
    snprintf(why, sizeof why, "%s", sp_last_error());
    sp_tune_eval_free(e);
    return sp_fail(s, "layer %s: the reference kernel failed: %s", n->name, why);
  }
  return SP_OK;
}

void sp_tune_eval_free(sp_tune_eval *e) {
  free(e->input);
  free(e->reference);
  e->input = e->reference = NULL;
}

int sp_tune_evaluate(void *ctx, const int *values, double *cost, char *msg, size_t msg_cap) {
  sp_tune_eval *e = ctx;
  float *out = malloc(e->out_count * sizeof *out);
  if (!out) {
    snprintf(msg, msg_cap, "out of memory");
    return -1;
  }
  sp_status s = run_once(e, values, out);
  if (s) snprintf(msg, msg_cap, "%s", sp_last_error());
  size_t worst = 0;
  double worst_excess = 0;
  for (size_t i = 0; !s && i < e->out_count; i++) {
    double err = fabs((double)out[i] - e->reference[i]);
    double excess = err - (e->atol + e->rtol * fabs((double)e->reference[i]));
    if (isnan(excess)) excess = INFINITY;
    if (excess > worst_excess) worst_excess = excess, worst = i;
  }
  if (!s && worst_excess > 0) {
    snprintf(msg, msg_cap, "wrong result: output %zu is %g, the reference %g", worst,
             (double)out[worst], (double)e->reference[worst]);
    s = SP_ERR_RUNTIME;
  }
  free(out);
  if (s) return -1;
  sp_measure_options mopt = sp_protocol_measure_options(&e->protocol);
  sp_layer_timing t;
  int dev = sp_variant_on_device(e->variant);
  s = sp_layer_bench_at(e->instance, 1, e->variant, e->batch, 1, dev ? e->device : NULL, values,
                        &mopt, &t);
  if (s) {
    snprintf(msg, msg_cap, "%s", sp_last_error());
    return -1;
  }
  *cost = t.time.median;
  return 0;
}
