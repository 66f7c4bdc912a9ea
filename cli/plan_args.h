/* What `stackplan plan` and `stackplan query` share: their common options
 * (files, bounds, objective, solver) and one call that runs the chosen
 * solver. */
#ifndef SP_CLI_PLAN_ARGS_H
#define SP_CLI_PLAN_ARGS_H

#include "planner/planner.h"

typedef enum sp_plan_solver { SP_SOLVER_ILP, SP_SOLVER_GREEDY, SP_SOLVER_EXHAUSTIVE, SP_SOLVER_DP } sp_plan_solver;

typedef struct sp_plan_args {
  const char *profile, *accuracy;
  sp_plan_bounds bounds;     /* percent, bytes, ms; absent = +-INFINITY */
  int objective_set;
  sp_plan_objective objective;
  sp_plan_solver solver;
  int nearest;               /* ILP: find the nearest feasible bounds when infeasible */
} sp_plan_args;

void sp_plan_args_init(sp_plan_args *a);

/* Consumes argv[*i] (and its value) when it is one of the shared options
 * --profile, --accuracy, --min-accuracy, --max-memory, --max-latency,
 * --objective, --solver: returns 1, or 2 after printing the one-line error
 * for `cmd` (a missing or out-of-range value). Returns 0 for any other
 * argument. */
int sp_plan_args_parse(const char *cmd, int argc, char **argv, int *i, sp_plan_args *a);

/* Prints the error for a missing --profile or --accuracy; 0 when both set. */
int sp_plan_args_check(const char *cmd, const sp_plan_args *a);

const char *sp_plan_solver_name(sp_plan_solver s);

/* Runs the solver of `a` on p (a planner.h call). */
sp_status sp_plan_args_solve(const sp_plan_args *a, const sp_plan_problem *p, sp_plan *plan);

#endif
