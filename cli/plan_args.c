/* Options shared by `plan` and `query`, and running their solver. */
#include "cli/plan_args.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "planner/plan_io.h"

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
    a->bounds.max_memory = v * SP_PLAN_MB;
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
