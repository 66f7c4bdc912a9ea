/* stackplan query: the Pareto front of latency, memory and accuracy over a
 * sweep of one bound, as a table, CSV, JSON and a PNG plot. Every point is
 * a plan that `stackplan plan` gives with the point's bounds. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/core/file_io.h"
#include "cli/plan_args.h"
#include "planner/plan_inputs.h"
#include "planner/query.h"
#include "engine/core/json_file.h"
#include "results/plot.h"


static const char usage_text[] =
    "usage: stackplan query --profile P --accuracy A --sweep METRIC=LO:HI:STEP\n"
    "                       [--min-accuracy X] [--max-memory MB] [--max-latency MS]\n"
    "                       [--objective O] [--solver S] [--csv FILE] [--json] [--png FILE]\n"
    "\n"
    "Solves the plan at each value of one bound and prints the non-dominated plans\n"
    "(lower latency, lower peak memory, higher accuracy): the Pareto front. Each\n"
    "point lists the bounds it was solved with; `stackplan plan` with those bounds\n"
    "(and the same objective and solver) gives that plan.\n"
    "\n"
    "  --sweep accuracy=0.80:0.95:0.01   minimum accuracy; values <= 1 are fractions\n"
    "                                    (0.80 = 80%), otherwise percent (80:95:1)\n"
    "  --sweep memory=4:32:2             maximum peak memory in MB (2^20 bytes)\n"
    "  --sweep latency=1:10:0.5          maximum latency in ms\n"
    "  --objective O   latency (default; accuracy for a latency sweep), memory, accuracy\n"
    "  --csv FILE      the points as CSV (with a header line)\n"
    "  --json          print the points as JSON (stackplan-pareto) instead of the table\n"
    "  --png FILE      plot accuracy against latency, coloured by memory (gnuplot)\n"
    "  other options as `stackplan plan` (the swept bound replaces its flag)\n";

typedef struct query_options {
  sp_plan_args a;
  sp_plan_sweep sweep;
  int have_sweep, json;
  const char *csv, *png;
} query_options;

static int parse(int argc, char **argv, query_options *o) {
  memset(o, 0, sizeof *o);
  sp_plan_args_init(&o->a);
  o->a.nearest = 0; /* infeasible points are skipped, not explained */
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
    if (sp_cli_is_help(arg)) {
      fputs(usage_text, stdout);
      return -1;
    }
    int r = sp_plan_args_parse("query", argc, argv, &i, &o->a);
    if (r == 2) return 2;
    if (r) continue;
    if (!strcmp(arg, "--sweep") && value) {
      if (sp_plan_sweep_parse(value, &o->sweep)) return sp_cli_fail("query", SP_ERR_INPUT);
      o->have_sweep = 1, i++;
    } else if (!strcmp(arg, "--csv") && value) {
      o->csv = argv[++i];
    } else if (!strcmp(arg, "--png") && value) {
      o->png = argv[++i];
    } else if (!strcmp(arg, "--json")) {
      o->json = 1;
    } else {
      return sp_cli_error("query", 2, "unknown or incomplete option '%s' (see --help)", arg);
    }
  }
  if (sp_plan_args_check("query", &o->a)) return 2;
  if (!o->have_sweep) return sp_cli_error("query", 2, "missing --sweep METRIC=LO:HI:STEP (see --help)");
  if (!o->a.objective_set && o->sweep.metric == SP_SWEEP_LATENCY) o->a.objective = SP_PLAN_MAX_ACCURACY;
  return 0;
}

static sp_status solve(const sp_plan_problem *p, void *ctx, sp_plan *plan) {
  return sp_plan_args_solve(ctx, p, plan);
}

/* A bound as text: "" when absent, so that CSV cells stay empty. */
static void bound_text(double v, double scale, char *out, size_t size) {
  if (isfinite(v)) snprintf(out, size, "%.10g", v / scale);
  else out[0] = 0;
}

static void print_table(const sp_plan_point *pts, int n) {
  printf("%4s %12s %12s %12s | %12s %12s %10s %9s\n", "#", "min acc %", "max mem MB", "max lat ms", "latency ms",
         "peak MB", "acc %", "solve s");
  for (int i = 0; i < n; i++) {
    const sp_plan_point *q = &pts[i];
    char b[3][32];
    bound_text(q->bounds.min_accuracy, 1, b[0], 32);
    bound_text(q->bounds.max_memory, SP_PLAN_MB, b[1], 32);
    bound_text(q->bounds.max_latency, 1, b[2], 32);
    printf("%4d %12s %12s %12s | %12.4f %12.4f %10.3f %9.3f\n", i + 1, b[0][0] ? b[0] : "-", b[1][0] ? b[1] : "-",
           b[2][0] ? b[2] : "-", q->metrics.latency_ms, sp_plan_mb(q->metrics.peak_bytes), q->metrics.accuracy,
           q->solve_s);
  }
}

static sp_status write_csv(const char *path, const sp_plan_point *pts, int n, const char *objective) {
  size_t cap = 256 + (size_t)n * 256, len = 0;
  char *text = malloc(cap);
  if (!text) return sp_fail(SP_ERR_RUNTIME, "out of memory writing %s", path);
  len += (size_t)snprintf(text, cap,
                          "min_accuracy,max_memory_mb,max_latency_ms,objective,latency_ms,peak_mb,accuracy,solve_s\n");
  for (int i = 0; i < n; i++) {
    const sp_plan_point *q = &pts[i];
    char b[3][32];
    bound_text(q->bounds.min_accuracy, 1, b[0], 32);
    bound_text(q->bounds.max_memory, SP_PLAN_MB, b[1], 32);
    bound_text(q->bounds.max_latency, 1, b[2], 32);
    len += (size_t)snprintf(text + len, cap - len, "%s,%s,%s,%s,%.9g,%.9g,%.9g,%.6g\n", b[0], b[1], b[2], objective,
                            q->metrics.latency_ms, sp_plan_mb(q->metrics.peak_bytes), q->metrics.accuracy, q->solve_s);
  }
  sp_status st = sp_file_write_atomic(path, text, len);
  free(text);
  return st;
}

static cJSON *null_or(double v, double scale) { return isfinite(v) ? cJSON_CreateNumber(v / scale) : cJSON_CreateNull(); }

static int print_json(const query_options *o, const sp_plan_point *pts, int n, int feasible) {
  static const char *metric[] = {"accuracy", "memory", "latency"};
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "format", "stackplan-pareto");
  cJSON_AddNumberToObject(root, "version", 1);
  cJSON_AddStringToObject(root, "profile", o->a.profile);
  cJSON_AddStringToObject(root, "accuracy", o->a.accuracy);
  cJSON_AddStringToObject(root, "objective", sp_plan_objective_key(o->a.objective));
  cJSON_AddStringToObject(root, "solver", sp_plan_solver_name(o->a.solver));
  cJSON *sw = cJSON_AddObjectToObject(root, "sweep");
  double scale = o->sweep.metric == SP_SWEEP_MEMORY ? SP_PLAN_MB : 1;
  cJSON_AddStringToObject(sw, "metric", metric[o->sweep.metric]);
  cJSON_AddNumberToObject(sw, "lo", o->sweep.lo / scale);
  cJSON_AddNumberToObject(sw, "hi", o->sweep.hi / scale);
  cJSON_AddNumberToObject(sw, "step", o->sweep.step / scale);
  cJSON_AddNumberToObject(sw, "solved", o->sweep.count);
  cJSON_AddNumberToObject(sw, "feasible", feasible);
  cJSON *arr = cJSON_AddArrayToObject(root, "points");
  for (int i = 0; i < n; i++) {
    cJSON *p = cJSON_CreateObject(), *b = cJSON_AddObjectToObject(p, "bounds");
    cJSON_AddItemToObject(b, "min_accuracy", null_or(pts[i].bounds.min_accuracy, 1));
    cJSON_AddItemToObject(b, "max_memory_mb", null_or(pts[i].bounds.max_memory, SP_PLAN_MB));
    cJSON_AddItemToObject(b, "max_latency_ms", null_or(pts[i].bounds.max_latency, 1));
    cJSON_AddNumberToObject(p, "latency_ms", pts[i].metrics.latency_ms);
    cJSON_AddNumberToObject(p, "peak_bytes", pts[i].metrics.peak_bytes);
    cJSON_AddNumberToObject(p, "accuracy", pts[i].metrics.accuracy);
    cJSON_AddStringToObject(p, "result", sp_plan_result_name(pts[i].result));
    cJSON_AddNumberToObject(p, "solve_s", pts[i].solve_s);
    cJSON_AddItemToArray(arr, p);
  }
  char *text = cJSON_Print(root);
  cJSON_Delete(root);
  if (!text) return sp_cli_error("query", 1, "out of memory printing JSON");
  puts(text);
  free(text);
  return 0;
}

static int plot(const query_options *o, const sp_plan_point *pts, int n, const char *model) {
  if (!sp_plot_have_gnuplot()) {
    fprintf(stderr, "stackplan query: gnuplot not found (apt-get install gnuplot-nox): no %s\n", o->png);
    return 0;
  }
  sp_plot_point *pp = calloc((size_t)n + 1, sizeof *pp);
  if (!pp) return sp_cli_error("query", 1, "out of memory plotting");
  for (int i = 0; i < n; i++)
    pp[i] = (sp_plot_point){pts[i].metrics.latency_ms, pts[i].metrics.accuracy, sp_plan_mb(pts[i].metrics.peak_bytes)};
  char title[300];
  snprintf(title, sizeof title, "%s: Pareto front (%d plans)", model, n);
  for (char *c = title; *c; c++)
    if (strchr("\"\\'", *c)) *c = '_';
  sp_status st = sp_plot_pareto(o->png, title, pp, n);
  free(pp);
  return st ? sp_cli_fail("query", st) : 0;
}

int sp_cmd_query(int argc, char **argv) {
  query_options o;
  int rc = parse(argc, argv, &o);
  if (rc) return rc < 0 ? 0 : rc;
  sp_plan_inputs in;
  sp_status st = sp_plan_inputs_load(o.a.profile, o.a.accuracy, &in);
  if (st) return sp_cli_fail("query", st);
  sp_plan_problem *p = &in.source.problem;
  p->bounds = o.a.bounds;
  p->objective = o.a.objective;
  sp_plan_point *pts = NULL;
  int n = 0, feasible = 0;
  st = sp_plan_query(p, &o.sweep, solve, &o.a, &pts, &n, &feasible);
  if (st) rc = sp_cli_fail("query", st);
  else if (o.csv && (st = write_csv(o.csv, pts, n, sp_plan_objective_key(o.a.objective))))
    rc = sp_cli_fail("query", st);
  else if (o.json)
    rc = print_json(&o, pts, n, feasible);
  else {
    printf("%s: %d values solved, %d feasible, %d on the Pareto front (objective %s, solver %s)\n",
           in.prov.model, o.sweep.count, feasible, n, sp_plan_objective_key(o.a.objective),
           sp_plan_solver_name(o.a.solver));
    print_table(pts, n);
  }
  if (!rc && o.png && n > 0) rc = plot(&o, pts, n, in.prov.model);
  free(pts);
  sp_plan_inputs_free(&in);
  return rc;
}
