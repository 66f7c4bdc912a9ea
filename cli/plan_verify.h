/* stackplan plan --verify: the closed loop on the accuracy bound. */
#ifndef SP_CLI_PLAN_VERIFY_H
#define SP_CLI_PLAN_VERIFY_H

#include "cli/plan_args.h"
#include "planner/plan_inputs.h"

/* Solves one problem into a plan and its file; returns the exit code. */
typedef int (*sp_plan_solve_fn)(const sp_plan_args *a, sp_plan_inputs *in, sp_plan *plan, sp_plan_file *f);

/* Solves, runs the plan on the Fashion-MNIST calibration split (limit:
 * first N images, 0 all; twice as many, up to the whole split, while the
 * 95% Wilson interval of its accuracy straddles a->bounds.min_accuracy).
 * The plan holds when the interval's lower end clears the bound. While it
 * misses, cuts that plan off (its error spread over its compression
 * choices' drops in the problem, so the additive model predicts it at what
 * it measured) and solves again, from round 5 on — at once when the model
 * was not too high — also raising the problem's accuracy bound by the miss
 * of the lower end (at most 10 rounds). Prints one line
 * per round, then the final plan's accuracy on the test split. Returns the
 * exit code: 0 with the verified plan in *plan / *f; 4 when an
 * uncompressed plan misses or 10 rounds did not do. */
int sp_plan_verify(const sp_plan_args *a, sp_plan_inputs *in, const char *model, int limit, sp_plan *plan,
                   sp_plan_file *f, sp_plan_solve_fn solve);

#endif
