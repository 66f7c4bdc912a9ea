/* stackplan run: executes a plan file as planned (compression, variants,
 * parameters, threads, device) and prints what it measures next to what the
 * plan predicted: latency, peak memory, accuracy, with the relative error. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/plan_report.h"
#include "profiler/device_info.h"
#include "results/plan_measure.h"

static const char usage_text[] =
    "usage: stackplan run PLAN.json [--model M] [--data fashion-mnist] [--split test|calib]\n"
    "                     [--limit N] [--repeat N] [--layers] [--force] [--no-reference]\n"
    "                     [--settle S]\n"
    "\n"
    "Loads the plan's model, applies each layer's compression, builds each layer's\n"
    "variant with its parameters and threads on its backend and device (with the\n"
    "host<->device copies the plan implies), runs it and prints measured against\n"
    "predicted: end-to-end latency (median of N runs, p10-p90), peak memory\n"
    "(resident weights + activation buffers + workspace) and, with --data, top-1\n"
    "accuracy, each with its error.\n"
    "\n"
    "  --model M        the model to run (default: the plan's model name)\n"
    "  --data D         fashion-mnist: also measure accuracy\n"
    "  --split S        test (default) or calib (the calibration split)\n"
    "  --limit N        only the first N images\n"
    "  --repeat N       timed end-to-end runs (default 100)\n"
    "  --layers         per layer: predicted and measured time\n"
    "  --force          run a plan made for another model structure or machine\n"
    "  --no-reference   do not time the reference network (the model uncompressed, default\n"
    "                   variants) to pick the quieter core and the machine's speed: for\n"
    "                   a process peak memory of the plan alone\n"
    "  --settle S       while the reference network runs more than 1.10x slower than when\n"
    "                   the plan's profile was made (the host's other tenants slow a CPU\n"
    "                   for tens of seconds), wait and time it again each second, up to S\n"
    "                   seconds (default 0: measure at once; the demo uses 30)\n"
    "\n"
    "Exit codes: 0 ok, 1 runtime failure, 2 bad input (another model or machine\n"
    "without --force, a variant this build lacks), 3 unreadable file.\n";

typedef struct run_options {
  const char *plan, *model, *data, *split;
  int limit, repeat, layers, force, no_reference, settle;
} run_options;

static int parse(int argc, char **argv, run_options *o) {
  *o = (run_options){.split = "test", .repeat = 100};
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
    if (sp_cli_is_help(arg)) {
      fputs(usage_text, stdout);
      return -1;
    } else if (!strcmp(arg, "--model") && value) o->model = argv[++i];
    else if (!strcmp(arg, "--data") && value) o->data = argv[++i];
    else if (!strcmp(arg, "--split") && value) o->split = argv[++i];
    else if (!strcmp(arg, "--limit") && value) {
      if (!sp_cli_parse_int("run", arg, argv[++i], 1, 1 << 24, &o->limit)) return 2;
    } else if (!strcmp(arg, "--repeat") && value) {
      if (!sp_cli_parse_int("run", arg, argv[++i], 1, 1 << 20, &o->repeat)) return 2;
    } else if (!strcmp(arg, "--settle") && value) {
      if (!sp_cli_parse_int("run", arg, argv[++i], 0, 3600, &o->settle)) return 2;
    } else if (!strcmp(arg, "--layers")) o->layers = 1;
    else if (!strcmp(arg, "--force")) o->force = 1;
    else if (!strcmp(arg, "--no-reference")) o->no_reference = 1;
    else if (arg[0] == '-' || o->plan) return sp_cli_error("run", 2, "unknown or incomplete argument '%s' (see --help)", arg);
    else o->plan = arg;
  }
  if (!o->plan) return sp_cli_error("run", 2, "missing PLAN.json (see --help)");
  if (o->data && strcmp(o->data, "fashion-mnist"))
    return sp_cli_error("run", 2, "unknown dataset '%s' (fashion-mnist)", o->data);
  if (strcmp(o->split, "test") && strcmp(o->split, "calib"))
    return sp_cli_error("run", 2, "--split expects test or calib, got '%s'", o->split);
  return 0;
}

int sp_cmd_run(int argc, char **argv) {
  run_options o;
  int rc = parse(argc, argv, &o);
  if (rc) return rc < 0 ? 0 : rc;
  sp_plan_file f = {0};
  sp_plan_exec x = {0};
  sp_fmnist d = {0};
  sp_plan_measurement m = {0};
  sp_status s = sp_plan_file_load(o.plan, &f);
  /* the machine first: on another one, a variant may be missing too, and
   * the fingerprint says why */
  if (!s) s = sp_plan_check_machine(&f, o.plan, sp_plan_file_device(&f), o.force);
  /* then the data: the measured memory is what the process gains from
   * loading the plan's model on (issue #21) */
  if (!s && o.data)
    s = sp_fmnist_load(sp_fmnist_dir(), strcmp(o.split, "calib") ? SP_FMNIST_TEST : SP_FMNIST_CALIB, o.limit, &d);
  long rss_baseline = sp_plan_memory_baseline();
  if (!s) s = sp_plan_exec_build(&f, o.plan, o.model, o.force, &x);
  sp_plan_measure_options mo = {.repeat = o.repeat, .warmup = 3, .data = o.data ? &d : NULL,
                                .reference = !o.no_reference, .rss_baseline = rss_baseline,
                                .settle_seconds = o.settle};
  if (!s) s = sp_plan_measure(&f, &x, &mo, &m);
  if (s) rc = sp_cli_fail("run", s);
  else {
    printf("plan: %s (model %s, %d layers, batch %d, %s)\n", o.plan, o.model ? o.model : f.prov.model, f.n_layers,
           f.batch, x.device >= 0 ? "host + OpenCL device" : "host");
    if (!x.weights_match)
      printf("note: the model's weights are not those the plan's accuracies were measured on\n");
    if (o.layers) sp_plan_report_layers(stdout, &f, &m);
    sp_plan_report_totals(stdout, &f, &m, o.data ? o.split : NULL);
  }
  sp_plan_measurement_free(&m);
  sp_fmnist_free(&d);
  sp_plan_exec_free(&x);
  sp_plan_file_free(&f);
  return rc;
}
