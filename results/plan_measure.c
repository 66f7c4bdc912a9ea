/* Running a plan and measuring it (plan_measure.h). */
#include "results/plan_measure.h"

#include <math.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string.h>
#include <time.h>

#include "engine/opencl/cl_runtime.h"
#include "engine/compress/compress.h"
#include "engine/executor/dataset_eval.h"
#include "engine/core/rng.h"
#include "engine/onnx/model.h"
#include "profiler/reference_network.h"
#include "profiler/rss.h"
#include "engine/core/timer.h"

double sp_relative_error(double measured, double predicted) {
  return predicted > 0 ? (measured - predicted) / predicted : NAN;
}

/* The timed input: the first images of the data (repeated when it has fewer
 * than a batch), else uniform noise from a fixed seed. */
static void fill_input(float *in, size_t per, int batch, const sp_fmnist *d) {
  if (d && d->count > 0) {
    for (int b = 0; b < batch; b++) memcpy(in + (size_t)b * per, d->inputs + (size_t)(b % d->count) * per, per * sizeof *in);
    return;
  }
  sp_rng r;
  sp_rng_seed(&r, 1);
  for (size_t i = 0; i < per * (size_t)batch; i++) in[i] = sp_rng_uniform(&r);
}

/* Pins this thread to the core where the reference network (the model as
 * loaded, uncompressed, default variants, batch 1, one thread: what the
 * profile timed before each layer) runs fastest, and times it there; while
 * it is slower than at profile time by more than SP_SETTLE_RATIO, waits a
 * second and does it again, for up to o->settle_seconds. The network is
 * freed before the plan is timed. Without memory for it, the plan is timed
 * wherever the scheduler puts it. */
static void pin_quiet_core(const sp_plan_file *f, const sp_plan_exec *x, const sp_plan_measure_options *o,
                           sp_plan_measurement *out) {
  sp_graph *g = NULL;
  sp_reference_network r = {0};
  /* a graph loaded for it alone: one weight format resident */
  if (!sp_model_load(x->model, &g) && !sp_reference_network_open(g, 1, &r)) {
    double t0 = sp_time_now(), profiled = f->prov.profile_network_ms;
    for (;;) {
      out->core = sp_reference_network_pin(&r);
      out->network_ms = 1e3 * out->core.fastest;
      out->waited_s = sp_time_now() - t0;
      if (!(profiled > 0) || out->network_ms <= SP_SETTLE_RATIO * profiled ||
          out->waited_s + 1 > o->settle_seconds)
        break;
      sp_quiet_core_release();
      struct timespec second = {.tv_sec = 1};
      nanosleep(&second, NULL);
    }
  }
  sp_reference_network_close(&r);
  sp_graph_free(g);
#ifdef __GLIBC__
  malloc_trim(0); /* give its pages back: glibc keeps freed heap pages resident */
#endif
}

static sp_status time_runs(sp_executor *e, const float *in, float *out, const sp_plan_measure_options *o,
                           double *t) {
  sp_status s = SP_OK;
  for (int i = 0; !s && i < o->warmup; i++) s = sp_executor_run(e, in, out);
  for (int i = 0; !s && i < o->repeat; i++) {
    double t0 = sp_time_now();
    s = sp_executor_run(e, in, out);
    t[i] = sp_time_now() - t0;
  }
  return s;
}

/* Per plan layer, the median over `repeat` runs of its node's time. */
static sp_status layer_times(sp_executor *e, const sp_plan_file *f, const sp_graph *g, const float *in,
                             float *out, int repeat, double *layer_ms) {
  size_t n = (size_t)g->n_nodes;
  double *acc = calloc(n, sizeof *acc), *samples = malloc((size_t)repeat * n * sizeof *samples);
  sp_status s = (!acc || !samples) ? sp_fail(SP_ERR_RUNTIME, "out of memory") : SP_OK;
  sp_executor_time_nodes(e, acc);
  for (int r = 0; !s && r < repeat; r++) {
    memset(acc, 0, n * sizeof *acc);
    s = sp_executor_run(e, in, out);
    for (size_t i = 0; i < n; i++) samples[i * (size_t)repeat + (size_t)r] = acc[i];
  }
  sp_executor_time_nodes(e, NULL);
  for (int l = 0; !s && l < f->n_layers; l++) {
    int node = sp_graph_find(g, f->layers[l].name);
    layer_ms[l] = node > 0 ? 1e3 * sp_quantile(samples + (size_t)node * (size_t)repeat, repeat, 0.5) : NAN;
  }
  free(acc);
  free(samples);
  return s;
}

sp_status sp_plan_measure(const sp_plan_file *f, const sp_plan_exec *x, const sp_plan_measure_options *o,
                          sp_plan_measurement *out) {
  memset(out, 0, sizeof *out);
  out->core.cpu = -1; /* not pinned unless the reference network runs */
  const sp_graph *g = x->graph;
  int batch = f->batch > 0 ? f->batch : 1;
  sp_exec_options opt = sp_plan_exec_options(x, batch);
  size_t per = sp_dims_count(g->input), classes = sp_dims_count(g->nodes[g->output].out);
  float *in = malloc((size_t)batch * per * sizeof *in), *res = malloc((size_t)batch * classes * sizeof *res);
  double *t = malloc((size_t)o->repeat * sizeof *t);
  out->layer_ms = calloc((size_t)f->n_layers + 1, sizeof *out->layer_ms);
  out->n_layers = f->n_layers;
  sp_executor *e = NULL;
  /* the reference network first, and freed, so that the process never holds
   * it beside the plan's executor (its peak resident set is the larger of
   * the two, not their sum) */
  if (o->reference && in && res && t && out->layer_ms) pin_quiet_core(f, x, o, out);
  /* from here on the peak resident set is the plan's (rss_baseline: before
   * its model was loaded) */
#ifdef __GLIBC__
  if (o->rss_baseline > 0) malloc_trim(0); /* what loading and compressing freed */
#endif
  int memory = o->rss_baseline > 0 && sp_rss_reset_peak() == 0;
  if (memory) sp_cl_reset_allocated_peak();
  size_t cl_before = sp_cl_allocated_bytes();
  sp_status s = (!in || !res || !t || !out->layer_ms) ? sp_fail(SP_ERR_RUNTIME, "out of memory")
                                                      : sp_executor_create(g, &opt, &e);
  if (!s) {
    fill_input(in, per, batch, o->data);
    out->weight_bytes = (double)sp_executor_resident_weight_bytes(e);
    out->activation_bytes = (double)sp_executor_activation_bytes(e);
    out->workspace_bytes = (double)sp_executor_workspace_bytes(e);
    out->device_bytes = (double)sp_executor_device_bytes(e);
    out->peak_bytes = out->weight_bytes + out->activation_bytes + out->workspace_bytes + out->device_bytes;
    s = time_runs(e, in, res, o, t);
  }
  if (!s) {
    out->transfers = sp_executor_transfers(e);
    out->runs = o->repeat;
    out->latency_ms = 1e3 * sp_quantile(t, o->repeat, 0.5);
    out->p10_ms = 1e3 * sp_quantile(t, o->repeat, 0.1);
    out->p90_ms = 1e3 * sp_quantile(t, o->repeat, 0.9);
    s = layer_times(e, f, g, in, res, o->repeat, out->layer_ms);
  }
  if (!s && o->data) {
    sp_top1 top;
    s = sp_executor_top1(e, g, batch, o->data, NULL, &top);
    if (!s) {
      out->has_accuracy = 1;
      out->correct = top.correct;
      out->images = top.count;
      out->accuracy = top.count ? 100.0 * top.correct / top.count : 0;
    }
  }
  long hwm = memory && !s ? sp_rss_peak_bytes() : -1;
  if (hwm > 0) {
    sp_cl_device_info info = {0};
    int host_memory = x->device >= 0 && !sp_cl_device_describe(x->device, &info) && info.host_memory;
    out->rss_bytes = (double)(hwm - o->rss_baseline);
    out->cl_bytes = (double)(sp_cl_allocated_peak_bytes() - cl_before);
    out->measured_peak_bytes = out->rss_bytes + (host_memory ? 0 : out->cl_bytes);
    out->has_memory = 1;
  }
  sp_quiet_core_release();
  sp_executor_free(e);
  free(in);
  free(res);
  free(t);
  if (s) sp_plan_measurement_free(out);
  return s;
}

long sp_plan_memory_baseline(void) {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
  long rss = sp_rss_current_bytes();
  return rss > 0 ? rss : 0;
}

void sp_plan_measurement_free(sp_plan_measurement *m) {
  free(m->layer_ms);
  memset(m, 0, sizeof *m);
}
