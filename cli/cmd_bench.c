/* stackplan bench: every kernel variant on every layer of a model, one line
 * each (shape, median time, GFLOP/s, fraction of this machine's measured
 * peak, weight bytes), then the whole model end to end with the fastest
 * variant of each layer. A benchmark, not a test: numbers vary with load. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "profiler/bench_sequence.h"
#include "cli/model_args.h"
#include "engine/opencl/cl_runtime.h"
#include "engine/executor/executor.h"
#include "engine/graph/model_info.h"
#include "engine/core/rng.h"
#include "kernels/registry.h"
#include "profiler/layer_bench.h"
#include "profiler/peak.h"
#include "engine/core/timer.h"
#include "profiler/transfer.h"

static const char usage_text[] =
    "usage: stackplan bench MODEL [--threads T] [--batch N] [--min-time S] [--layer NAME]\n"
    "                             [--reference] [--device ID] [--sequence]\n"
    "\n"
    "Times every registered kernel variant that supports each layer of MODEL (a zoo\n"
    "spec or an .onnx file): one line per layer and variant with the shape, the\n"
    "median time, GFLOP/s (2 x MACs / time), the fraction of this machine's measured\n"
    "FMA peak (x threads for parallel variants) and the weight bytes in the\n"
    "variant's format. The last line runs the whole model with the variant of each\n"
    "layer fastest inside the network (among its fastest alone):\n"
    "`end-to-end: <median> ms`.\n"
    "\n"
    "  --threads T    threads for parallel variants (default 1)\n"
    "  --batch N      images per call (default 1)\n"
    "  --min-time S   seconds of timed runs per measurement (default 0.1)\n"
    "  --layer NAME   only this layer (no end-to-end line)\n"
    "  --reference    also time the naive reference kernels\n"
    "  --device ID    also time the OpenCL and CLBlast variants on that device (an id\n"
    "                 of `stackplan devices`: N or P:D); their time includes waiting\n"
    "                 for the device, kernel builds are prepare time and not counted\n"
    "  --sequence     after the end-to-end line, each layer's median time inside the\n"
    "                 network run next to its time alone (sequence effects)\n";

typedef struct bench_options {
  const char *model, *layer, *compress;
  int threads, batch, reference, sequence;
  double min_time;
  int device_index;      /* -1: host variants only */
  sp_cl_device *device;  /* opened when --device was given */
} bench_options;

static int parse_options(int argc, char **argv, bench_options *o) {
  *o = (bench_options){.threads = 1, .batch = 1, .min_time = 0.1, .device_index = -1};
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
    if (sp_cli_is_help(arg)) {
      fputs(usage_text, stdout);
      return -1;
    } else if (!strcmp(arg, "--threads") && value) {
      if (!sp_cli_parse_int("bench", arg, value, 1, 256, &o->threads)) return 2;
      i++;
    } else if (!strcmp(arg, "--batch") && value) {
      if (!sp_cli_parse_int("bench", arg, value, 1, 4096, &o->batch)) return 2;
      i++;
    } else if (!strcmp(arg, "--min-time") && value) {
      char *end;
      o->min_time = strtod(value, &end);
      if (*end || !(o->min_time > 0 && o->min_time <= 60))
        return sp_cli_error("bench", 2, "--min-time expects seconds in (0, 60], got '%s'", value);
      i++;
    } else if (!strcmp(arg, "--layer") && value) {
      o->layer = argv[++i];
    } else if (!strcmp(arg, "--compress") && value) {
      o->compress = argv[++i];
    } else if (!strcmp(arg, "--reference")) {
      o->reference = 1;
    } else if (!strcmp(arg, "--sequence")) {
      o->sequence = 1;
    } else if (!strcmp(arg, "--device") && value) {
      if (sp_cl_parse_device(value, &o->device_index)) return sp_cli_fail("bench", SP_ERR_INPUT);
      i++;
    } else if (arg[0] == '-') {
      return sp_cli_error("bench", 2, "unknown or incomplete option '%s' (see --help)", arg);
    } else if (o->model) {
      return sp_cli_error("bench", 2, "expected one MODEL, got '%s' too", arg);
    } else {
      o->model = arg;
    }
  }
  if (!o->model) return sp_cli_error("bench", 2, "missing MODEL (see --help)");
  if (o->device_index >= 0 && sp_cl_device_get(o->device_index, &o->device))
    return sp_cli_fail("bench", SP_ERR_RUNTIME);
  return 0;
}

static int find_layer(const sp_graph *g, const char *name) {
  for (int i = 1; i < g->n_nodes; i++)
    if (!strcmp(g->nodes[i].name, name)) return i;
  return -1;
}

/* Times every variant of node `i`; keeps the fastest few in *cand. */
static void bench_layer(const sp_graph *g, int i, const bench_options *o, double peak,
                        sp_bench_candidates *cand) {
  const sp_node *n = &g->nodes[i];
  char desc[SP_OP_DESC_MAX], shape[64];
  sp_node_describe(g, n, desc, sizeof desc);
  sp_dims in = sp_node_in(g, n, 0);
  snprintf(shape, sizeof shape, "%dx%dx%d->%dx%dx%d", in.c, in.h, in.w, n->out.c, n->out.h,
           n->out.w);
  double flops = 2.0 * (double)sp_node_macs(g, n) * o->batch;
  sp_measure_options mopt = sp_measure_options_default();
  mopt.min_seconds = o->min_time;
  int count;
  const sp_variant *all = sp_registry_variants(&count);
  /* the reference is timed when asked for, or when it is the only way to run the layer */
  int with_reference = o->reference || sp_registry_default(g, n, o->threads)->algo == SP_ALGO_REFERENCE;
  for (int k = 0; k < count; k++) {
    const sp_variant *v = &all[k];
    int on_device = sp_variant_on_device(v);
    if ((on_device && !o->device) || !sp_variant_supports(v, g, n) ||
        (v->algo == SP_ALGO_REFERENCE && !with_reference))
      continue;
    sp_layer_timing t;
    if (sp_layer_bench_at(g, i, v, o->batch, o->threads, on_device ? o->device : NULL, NULL,
                          &mopt, &t)) {
      printf("%-22s %-26s %-24s %-34s failed: %s\n", n->name, desc, shape, v->name,
             sp_last_error());
      continue;
    }
    int used = v->backend == SP_BACKEND_SERIAL ? 1 : o->threads;
    double gflops = flops / t.time.median / 1e9;
    char of_peak[16] = "    -"; /* the CPU's peak says nothing about a device */
    if (!on_device)
      snprintf(of_peak, sizeof of_peak, "%5.1f", peak > 0 ? 100.0 * gflops / (peak * used) : 0.0);
    printf("%-22s %-26s %-24s %-34s %9.4f ms %8.2f GFLOP/s %s%% peak %10zu B\n", n->name, desc,
           shape, v->name, 1e3 * t.time.median, gflops, of_peak, t.weight_bytes);
    fflush(stdout);
    sp_bench_candidates_add(cand, v, t.time.median, t.weight_bytes, o->threads);
  }
}

/* The choice the end-to-end run makes, as `infer --variant` takes it, so the
 * same network can be timed again (tools/ort_compare.sh does). */
static void print_fastest(const sp_graph *g, const sp_variant **chosen) {
  printf("# fastest:");
  const char *sep = " ";
  for (int i = 1; i < g->n_nodes; i++)
    if (chosen[i]) {
      printf("%s%s=%s", sep, g->nodes[i].name, chosen[i]->name);
      sep = ",";
    }
  printf("\n");
}

static void run_executor(void *ctx) {
  void **c = ctx;
  sp_executor_run(c[0], c[1], c[2]);
}

/* The --sequence table: each chosen variant alone and inside the network. */
static void print_sequence(const sp_graph *g, const sp_bench_candidates *c,
                           const sp_variant **chosen, const double *in_sequence, int runs) {
  printf("# in sequence: median of %d network runs timed per layer, against the layer alone\n",
         runs);
  printf("# %-20s %-34s %12s %14s %7s\n", "layer", "variant", "alone", "in sequence", "ratio");
  double sum_alone = 0, sum_sequence = 0;
  for (int i = 1; i < g->n_nodes; i++) {
    if (!chosen[i]) continue;
    double alone = 0;
    for (int r = 0; r < c[i].n; r++)
      if (c[i].v[r] == chosen[i]) alone = c[i].alone[r];
    sum_alone += alone;
    sum_sequence += in_sequence[i];
    printf("# %-20s %-34s %9.4f ms %11.4f ms %6.2fx\n", g->nodes[i].name, chosen[i]->name,
           1e3 * alone, 1e3 * in_sequence[i], alone > 0 ? in_sequence[i] / alone : 0.0);
  }
  printf("# sum of the layers: alone %.3f ms, in sequence %.3f ms\n", 1e3 * sum_alone,
         1e3 * sum_sequence);
}

/* Chooses each layer's variant among its fastest alone by its time in
 * sequence (bench_sequence.h), prints the choice, then runs the model end
 * to end with it and prints the last line. */
static int bench_end_to_end(const sp_graph *g, const sp_bench_candidates *cand,
                            const sp_variant **chosen, const bench_options *o) {
  size_t in_count = (size_t)o->batch * sp_dims_count(g->input);
  float *in = malloc(in_count * sizeof *in);
  float *out = malloc((size_t)o->batch * sp_dims_count(g->nodes[g->output].out) * sizeof *out);
  double *in_sequence = calloc((size_t)g->n_nodes, sizeof *in_sequence);
  if (!in || !out || !in_sequence) {
    free(in), free(out), free(in_sequence);
    return sp_cli_error("bench", 1, "out of memory for a batch of %d", o->batch);
  }
  sp_rng rng;
  sp_rng_seed(&rng, 1);
  for (size_t k = 0; k < in_count; k++) in[k] = sp_rng_normal(&rng);
  sp_sequence_network net = {.graph = g, .options = sp_exec_options_default(), .input = in,
                          .output = out};
  net.options.batch = o->batch;
  net.options.threads = o->threads;
  net.options.device = o->device_index >= 0 ? o->device_index : 0;
  double alone = 0;
  for (int i = 1; i < g->n_nodes; i++) alone += cand[i].n ? cand[i].alone[0] : 0;
  /* about 5 x --min-time of network runs per choice */
  int runs = alone > 0 ? (int)(5 * o->min_time / alone) : 300;
  runs = runs < 15 ? 15 : runs > 300 ? 300 : runs;
  sp_executor *e = NULL;
  sp_status s = sp_bench_choose_in_sequence(&net, cand, runs, chosen, in_sequence);
  if (!s) {
    print_fastest(g, chosen);
    if (o->sequence) print_sequence(g, cand, chosen, in_sequence, runs);
    net.options.variants = chosen;
    s = sp_executor_create(g, &net.options, &e);
  }
  if (!s) s = sp_executor_run(e, in, out); /* one checked run: a device may refuse */
  int rc = s ? sp_cli_fail("bench", s) : 0;
  void *ctx[3] = {e, in, out};
  sp_measure_options mopt = sp_measure_options_default();
  mopt.min_seconds = 10 * o->min_time;
  sp_timing t;
  if (!rc && sp_measure(run_executor, ctx, &mopt, &t) == 0) {
    sp_transfer_stats tr = sp_executor_transfers(e);
    char moves[96] = "";
    if (tr.uploads + tr.downloads)
      snprintf(moves, sizeof moves, "; %d host<->device transfers, %.3f ms",
               tr.uploads + tr.downloads, 1e3 * (tr.upload_seconds + tr.download_seconds));
    printf("end-to-end: %.3f ms (p10 %.3f, p90 %.3f, n=%d; threads %d, batch %d, fastest "
           "variant per layer in sequence%s)\n",
           1e3 * t.median, 1e3 * t.p10, 1e3 * t.p90, t.n, o->threads, o->batch, moves);
  } else if (!rc) {
    rc = sp_cli_error("bench", 1, "out of memory timing %s", g->name);
  }
  free(in), free(out), free(in_sequence);
  sp_executor_free(e);
  return rc;
}

int sp_cmd_bench(int argc, char **argv) {
  bench_options o;
  int rc = parse_options(argc, argv, &o);
  if (rc) return rc < 0 ? 0 : rc;
  sp_graph *g = NULL;
  sp_status s = sp_cli_load_model(o.model, o.compress, &g);
  if (s) return sp_cli_fail("bench", s);
  int only = o.layer ? find_layer(g, o.layer) : 0;
  if (only < 0) {
    rc = sp_cli_error("bench", 2, "%s has no layer '%s' (see stackplan info)", g->name, o.layer);
    sp_graph_free(g);
    return rc;
  }
  const sp_variant **chosen = calloc((size_t)g->n_nodes, sizeof *chosen);
  sp_bench_candidates *cand = calloc((size_t)g->n_nodes, sizeof *cand);
  if (!chosen || !cand) {
    free(chosen), free(cand);
    sp_graph_free(g);
    return sp_cli_error("bench", 1, "out of memory");
  }
  double peak = sp_peak_gflops_per_core();
  printf("# %s, batch %d, threads %d; measured peak %.1f GFLOP/s per core\n", g->name, o.batch,
         o.threads, peak);
  printf("# %-20s %-26s %-24s %-34s %12s %16s %10s %12s\n", "layer", "op", "shape", "variant",
         "median", "speed", "of peak", "weights");
  if (o.device)
    printf("# OpenCL device %d: %s (driver %s)\n", o.device_index, sp_cl_info(o.device)->name,
           sp_cl_info(o.device)->driver);
  for (int i = only ? only : 1; i < (only ? only + 1 : g->n_nodes); i++)
    bench_layer(g, i, &o, peak, &cand[i]);
  if (o.device) {
    size_t bytes = (size_t)o.batch * sp_dims_count(g->input) * sizeof(float);
    sp_transfer_timing tt;
    sp_measure_options mopt = sp_measure_options_default();
    mopt.min_seconds = o.min_time;
    if (!sp_transfer_bench(o.device, bytes, &mopt, &tt))
      printf("# host<->device transfer of the input (%zu B): upload %.4f ms, download %.4f ms\n",
             bytes, 1e3 * tt.upload.median, 1e3 * tt.download.median);
    sp_cl_stats st = sp_cl_get_stats();
    printf("# OpenCL programs: %d compiled (%.2f s), %d loaded from the cache (%.2f s), %d reused "
           "in this run\n", st.builds, st.build_seconds, st.cache_hits, st.load_seconds,
           st.memory_hits);
  }
  if (!only) rc = bench_end_to_end(g, cand, chosen, &o);
  free(chosen);
  free(cand);
  sp_graph_free(g);
  return rc;
}
