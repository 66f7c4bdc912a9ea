/* Options shared by `plan` and `query`, and running their solver. */
#include "cli/plan_args.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "planner/plan_io.h"

#define MIB 1048576.0

static const char *solver_names[] = {"ilp", "greedy", "exhaustive", "dp"};

const char *sp_plan_solver_name(sp_plan_solver s) { return solver_names[s]; }

void sp_plan_args_init(sp_plan_args *a) {
  *a = (sp_plan_args){.bounds = {.min_accuracy = -INFINITY, .max_memory = INFINITY, .max_latency = INFINITY},
                      .objective = SP_PLAN_MIN_LATENCY, .solver = SP_SOLVER_ILP, .nearest = 1};
}

/* A number in (0, hi] (NaN and inf refused); 0 after printing the error. */
static int positive(const char *cmd, const char *option, const char *text, double hi, const char *unit,
                    double *out) {
  char *end = NULL;
  double v = strtod(text, &end);
  if (end == text || *end || !(v > 0 && v <= hi)) {
    sp_cli_error(cmd, 2, "%s expects %s in (0, %g], got '%s'", option, unit, hi, text);
    return 0;
  }
  *out = v;
  return 1;
}

int sp_plan_args_parse(const char *cmd, int argc, char **argv, int *i, sp_plan_args *a) {
  const char *arg = argv[*i], *value = *i + 1 < argc ? argv[*i + 1] : NULL;
  static const char *with_value[] = {"--profile", "--accuracy", "--min-accuracy", "--max-memory",
                                     "--max-latency", "--objective", "--solver"};
  int known = 0;
  for (size_t k = 0; k < sizeof with_value / sizeof *with_value; k++) known |= !strcmp(arg, with_value[k]);
  if (!known) return 0;
  if (!value) return sp_cli_error(cmd, 2, "%s needs a value (see --help)", arg);
  ++*i;
  double v;
  if (!strcmp(arg, "--profile")) {
    a->profile = value;
  } else if (!strcmp(arg, "--accuracy")) {
    a->accuracy = value;
  } else if (!strcmp(arg, "--min-accuracy")) {
    if (!positive(cmd, arg, value, 100, "a percentage", &v)) return 2;
    a->bounds.min_accuracy = v;
  } else if (!strcmp(arg, "--max-memory")) {
    if (!positive(cmd, arg, value, 1e9, "MB (2^20 bytes)", &v)) return 2;
    a->bounds.max_memory = v * MIB;
  } else if (!strcmp(arg, "--max-latency")) {
    if (!positive(cmd, arg, value, 1e9, "milliseconds", &v)) return 2;
    a->bounds.max_latency = v;
  } else if (!strcmp(arg, "--objective")) {
    if (!sp_plan_objective_parse(value, &a->objective))
      return sp_cli_error(cmd, 2, "--objective expects latency, memory or accuracy, got '%s'", value);
    a->objective_set = 1;
  } else {
    int s;
    for (s = 0; s < 4 && strcmp(value, solver_names[s]); s++) {}
    if (s == 4) return sp_cli_error(cmd, 2, "--solver expects ilp, greedy, exhaustive or dp, got '%s'", value);
    a->solver = (sp_plan_solver)s;
  }
  return 1;
}

int sp_plan_args_check(const char *cmd, const sp_plan_args *a) {
  if (!a->profile) return sp_cli_error(cmd, 2, "missing --profile FILE (see --help)");
  if (!a->accuracy) return sp_cli_error(cmd, 2, "missing --accuracy FILE (see --help)");
  return 0;
}

sp_status sp_plan_args_solve(const sp_plan_args *a, const sp_plan_problem *p, sp_plan *plan) {
  switch (a->solver) {
    case SP_SOLVER_GREEDY:
      return sp_plan_greedy(p, plan);
    case SP_SOLVER_EXHAUSTIVE:
      return sp_plan_exhaustive(p, 1e8, plan);
    case SP_SOLVER_DP:
      return sp_plan_chain_dp(p, 0, plan);
    case SP_SOLVER_ILP:
      break;
  }
  sp_ilp_params params;
  sp_ilp_params_init(&params);
  params.nearest = a->nearest;
  return sp_plan_ilp(p, &params, plan);
}

__attribute__((format(printf, 3, 4))) static void append(char *out, int size, const char *fmt, ...) {
  size_t n = strlen(out);
  if (n + 1 >= (size_t)size) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(out + n, (size_t)size - n, fmt, ap);
  va_end(ap);
}

/* The bounds kept while one is relaxed: " for 92.00% within 10.00 MB". */
static void append_kept(char *out, int size, const sp_plan_bounds *b, int which) {
  if (which != 0 && isfinite(b->min_accuracy)) append(out, size, " for %.2f%%", b->min_accuracy);
  if (which != 1 && isfinite(b->max_memory)) append(out, size, " within %.2f MB", b->max_memory / MIB);
  if (which != 2 && isfinite(b->max_latency)) append(out, size, " within %.3f ms", b->max_latency);
}

void sp_plan_args_infeasible(const sp_plan_problem *p, const sp_plan_nearest *n, char *out, int size) {
  const sp_plan_bounds *b = &p->bounds;
  int set[3] = {isfinite(b->min_accuracy), isfinite(b->max_memory), isfinite(b->max_latency)};
  int have[3] = {n->have_accuracy, n->have_memory, n->have_latency};
  /* rounded towards feasibility: accuracy down, memory and latency up */
  double shown[3] = {floor(n->max_accuracy * 100 + 1e-7) / 100, ceil(n->min_memory / MIB * 100 - 1e-7) / 100,
                     ceil(n->min_latency * 1000 - 1e-7) / 1000};
  static const char *fmt[] = {" at most %.2f%% accuracy", " at least %.2f MB", " at least %.3f ms"};
  static const char *metric[] = {"accuracy", "memory", "latency"};
  snprintf(out, (size_t)size, "no plan meets the bounds:");
  const char *sep = "";
  for (int w = 0; w < 3; w++) {
    if (!set[w]) continue;
    append(out, size, "%s", sep);
    sep = ";";
    if (!have[w]) append(out, size, " even without the %s bound no plan fits the others", metric[w]);
    else {
      append(out, size, fmt[w], shown[w]);
      append_kept(out, size, b, w);
    }
  }
  if (!set[0] && !set[1] && !set[2]) append(out, size, " the profile's options admit no consistent keep levels");
}
