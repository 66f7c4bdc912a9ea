/* The closed loop of `plan --verify`: solve, measure the plan on real data,
 * correct the accuracy model or raise the bound where it misses, solve again.
 * A library call, so that the tests reach it without the CLI. */
#ifndef SP_RESULTS_PLAN_VERIFY_H
#define SP_RESULTS_PLAN_VERIFY_H

#include <stdio.h>

#include "planner/plan_inputs.h"

/* How the loop solves: the caller's solver and its settings. */
typedef struct sp_plan_verify_solver {
  /* Solves in->source.problem into *plan and builds its file *f (both freed
   * and cleared first): SP_OK with a plan, SP_ERR_INFEASIBLE (message
   * recorded) when no plan meets the bounds, any other status on failure. */
  sp_status (*solve)(void *ctx, sp_plan_inputs *in, sp_plan *plan, sp_plan_file *f);
  /* Solves problem p as it is into *plan (has_plan says whether it found one). */
  sp_status (*solve_problem)(void *ctx, const sp_plan_problem *p, sp_plan *plan);
  void *ctx;
} sp_plan_verify_solver;

/* Solves, runs the plan on the Fashion-MNIST calibration split (limit:
 * first N images, 0 all; twice as many, up to the whole split, while the
 * 95% Wilson interval of its accuracy straddles min_accuracy). The plan
 * holds when the interval's lower end clears the bound. While it misses,
 * cuts that plan off (its error spread over its compression choices' drops
 * in the problem, so the additive model predicts it at what it measured)
 * and solves again, from round 5 on — at once when the model was not too
 * high — also raising the problem's accuracy bound by the miss of the lower
 * end (at most 10 rounds). Logs one line per round to `log`, then the final
 * plan's accuracy on the test split (first `limit` images). SP_OK with the
 * verified plan in *plan / *f (whose bound is min_accuracy again);
 * SP_ERR_INFEASIBLE when an uncompressed plan misses or 10 rounds did not
 * do; the solver's, the data's or the run's status otherwise. */
sp_status sp_plan_verify(sp_plan_inputs *in, double min_accuracy, const char *model, int limit,
                         const sp_plan_verify_solver *solver, sp_plan *plan, sp_plan_file *f,
                         FILE *log);

#endif
