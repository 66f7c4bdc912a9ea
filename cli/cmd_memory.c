/* stackplan memory: the runtime memory estimate of a model (weights in each
 * layer's format + activation buffers + workspace + the I/O batch) next to the
 * peak resident memory the process really gains while loading and running it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/executor/executor.h"
#include "engine/onnx/model.h"
#include "engine/core/rng.h"
#include "profiler/rss.h"

static const char usage_text[] =
    "usage: stackplan memory MODEL [--threads T] [--batch N] [--reference]\n"
    "\n"
    "Loads MODEL, prepares each layer's kernel variant (the registry's default,\n"
    "or the naive reference with --reference), keeps only the weights in the\n"
    "format each variant runs from, runs one batch, and prints the estimate\n"
    "  max(weights + activation buffers + workspace + input/output batch,\n"
    "      weights while loading: a layer's dense and converted copies side by side)\n"
    "next to the measured growth of the process's peak resident memory (VmHWM)\n"
    "over its resident memory before loading, and their relative difference.\n";

static double mib(double bytes) { return bytes / (1024.0 * 1024.0); }

/* Touches the OpenMP thread pool before the baseline, so that its stacks
 * count as the runtime's own memory, not the model's. */
static void warm_thread_pool(int threads) {
  volatile int sink = 0;
#pragma omp parallel num_threads(threads)
  sink += 1;
  (void)sink;
}

int sp_cmd_memory(int argc, char **argv) {
  const char *model = NULL;
  int threads = 1, batch = 1, reference = 0;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
    if (sp_cli_is_help(arg)) {
      fputs(usage_text, stdout);
      return 0;
    } else if (!strcmp(arg, "--threads") && value) {
      if (!sp_cli_parse_int("memory", arg, argv[++i], 1, 256, &threads)) return 2;
    } else if (!strcmp(arg, "--batch") && value) {
      if (!sp_cli_parse_int("memory", arg, argv[++i], 1, 4096, &batch)) return 2;
    } else if (!strcmp(arg, "--reference")) {
      reference = 1;
    } else if (arg[0] == '-' || model) {
      return sp_cli_error("memory", 2, "unexpected argument '%s' (see --help)", arg);
    } else {
      model = arg;
    }
  }
  if (!model) return sp_cli_error("memory", 2, "missing MODEL (see --help)");

  warm_thread_pool(threads);
  long baseline = sp_rss_current_bytes();
  if (baseline < 0 || sp_rss_reset_peak() != 0)
    return sp_cli_error("memory", 1, "cannot read or reset resident memory (/proc/self)");

  sp_graph *g = NULL;
  sp_executor *e = NULL;
  float *in = NULL, *out = NULL;
  sp_status s = sp_model_load(model, &g);
  if (s) return sp_cli_fail("memory", s);
  sp_exec_options opt = sp_exec_options_default();
  opt.batch = batch;
  opt.threads = threads;
  opt.reference = reference;
  opt.release_dense_weights = 1;
  s = sp_executor_create(g, &opt, &e);
  int rc = s ? sp_cli_fail("memory", s) : 0;
  size_t in_count = (size_t)batch * sp_dims_count(g->input);
  size_t out_count = (size_t)batch * sp_dims_count(g->nodes[g->output].out);
  if (!rc) {
    in = malloc(in_count * sizeof *in);
    out = malloc(out_count * sizeof *out);
    if (!in || !out) rc = sp_cli_error("memory", 1, "out of memory for a batch of %d", batch);
  }
  if (!rc) {
    sp_rng rng;
    sp_rng_seed(&rng, 1);
    for (size_t i = 0; i < in_count; i++) in[i] = sp_rng_normal(&rng);
    sp_executor_run(e, in, out);
    double weights = (double)sp_executor_resident_weight_bytes(e);
    double acts = (double)sp_executor_activation_bytes(e);
    double ws = (double)sp_executor_workspace_bytes(e);
    double io = (double)(in_count + out_count) * sizeof(float);
    double load_peak = (double)sp_executor_load_peak_weight_bytes(e);
    double running = weights + acts + ws + io;
    /* activations are allocated after loading: the peak is the larger phase */
    double estimate = running > load_peak ? running : load_peak;
    double measured = (double)(sp_rss_peak_bytes() - baseline);
    printf("model: %s (batch %d, threads %d, %s variants)\n", g->name, batch, threads,
           reference ? "reference" : "default");
    printf("estimate: %.2f MiB = max(running %.2f = weights %.2f + activations %.2f (peak live "
           "%.2f) + workspace %.2f + input/output %.2f, loading %.2f)\n",
           mib(estimate), mib(running), mib(weights), mib(acts),
           mib((double)sp_executor_peak_live_bytes(e)), mib(ws), mib(io), mib(load_peak));
    printf("measured: %.2f MiB peak resident growth (baseline %.2f MiB)\n", mib(measured),
           mib((double)baseline));
    printf("difference: %+.1f%% of the measured\n", 100.0 * (estimate - measured) / measured);
  }
  free(in);
  free(out);
  sp_executor_free(e);
  sp_graph_free(g);
  return rc;
}
