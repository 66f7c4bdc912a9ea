/* The closed loop of `plan --verify` (plan_verify.h). */
#include "cli/plan_verify.h"

#include <math.h>
#include <stdio.h>

#include "cli/cli.h"
#include "results/plan_measure.h"

#define MAX_ROUNDS 10
#define RAISE_FROM 5 /* the round from which a miss also raises the bound */

/* Top-1 accuracy of the plan in f on a split; the exit code. */
static int measure_accuracy(const sp_plan_file *f, const char *model, const sp_fmnist *d, double *accuracy) {
  sp_plan_exec x;
  sp_plan_measurement m;
  sp_plan_measure_options o = {.repeat = 1, .warmup = 0, .data = d};
  sp_status s = sp_plan_exec_build(f, "the plan", model, 0, &x);
  if (!s) {
    s = sp_plan_measure(f, &x, &o, &m);
    sp_plan_exec_free(&x);
  }
  if (s) return sp_cli_fail("plan", s);
  *accuracy = m.accuracy;
  sp_plan_measurement_free(&m);
  return 0;
}

/* Cuts off the plan the additive model over-rated: spreads its error (its
 * predicted minus its measured accuracy, pp) evenly over its compression
 * choices — each pruned group's keep level, each compressed layer's
 * compression (on every option of that layer with the same compression and
 * keeps: the variant does not change the accuracy) — so that the model
 * predicts this plan at what it measured. Returns how many choices took a
 * share: 0 for an uncompressed plan, which nothing can correct. */
static int correct_model(sp_plan_inputs *in, const sp_plan *plan, double error) {
  sp_plan_problem *p = &in->source.problem;
  const sp_profile_record *rec = in->profile.records;
  int n = 0;
  for (int g = 0; g < p->n_groups; g++) n += plan->keep[g] > 0;
  for (int l = 0; l < p->n_layers; l++)
    n += rec[in->source.record[l][plan->option[l]]].compression.kind != SP_WEIGHTS_DENSE;
  if (!n || !(error > 0)) return 0;
  const double share = error / n;
  for (int g = 0; g < p->n_groups; g++)
    if (plan->keep[g] > 0) p->groups[g].drop[plan->keep[g]] += share;
  for (int l = 0; l < p->n_layers; l++) {
    const sp_plan_layer *y = &p->layers[l];
    const sp_plan_option *chosen = &y->opt[plan->option[l]];
    const sp_compress_choice c = rec[in->source.record[l][plan->option[l]]].compression;
    if (c.kind == SP_WEIGHTS_DENSE) continue;
    for (int j = 0; j < y->n_opt; j++) {
      const sp_compress_choice cj = rec[in->source.record[l][j]].compression;
      if (cj.kind == c.kind && cj.rate == c.rate && y->opt[j].keep_in == chosen->keep_in &&
          y->opt[j].keep_out == chosen->keep_out)
        y->opt[j].drop += share;
    }
  }
  return n;
}

/* The highest predicted accuracy any plan within the other bounds has. */
static double best_predicted(const sp_plan_args *a, sp_plan_problem *p) {
  sp_plan_problem q = *p;
  q.objective = SP_PLAN_MAX_ACCURACY;
  q.bounds.min_accuracy = -INFINITY;
  sp_plan plan = {0};
  double best = NAN;
  if (!sp_plan_args_solve(a, &q, &plan) && plan.has_plan) best = plan.metrics.accuracy;
  sp_plan_free(&plan);
  return best;
}

int sp_plan_verify(const sp_plan_args *a, sp_plan_inputs *in, const char *model, int limit, sp_plan *plan,
                   sp_plan_file *f, sp_plan_solve_fn solve) {
  sp_fmnist calib = {0}, test = {0};
  sp_status s = sp_fmnist_load(sp_fmnist_dir(), SP_FMNIST_CALIB, limit, &calib);
  if (!s) s = sp_fmnist_load(sp_fmnist_dir(), SP_FMNIST_TEST, limit, &test);
  if (s) {
    sp_fmnist_free(&calib);
    return sp_cli_fail("plan", s);
  }
  double target = a->bounds.min_accuracy, measured = NAN;
  sp_plan_problem *p = &in->source.problem;
  double best = best_predicted(a, p);
  int rc = 0, round;
  for (round = 1; round <= MAX_ROUNDS; round++) {
    if ((rc = solve(a, in, plan, f)) || (rc = measure_accuracy(f, model, &calib, &measured))) break;
    double miss = target - measured;
    printf("verify round %d: bound %.2f%%, predicted %.2f%%, measured %.2f%% on calib (%d images)%s\n", round,
           p->bounds.min_accuracy, f->predicted.accuracy, measured, calib.count,
           miss > 0 ? ", missed" : ", holds");
    if (miss <= 0) break;
    /* Cut the plan off (correct_model: the model then predicts it at what
     * it measured) and solve again at the same bound; from round
     * RAISE_FROM on, also raise the bound by the miss (at least 0.01 pp, so
     * that the loop always moves; at most the best the other bounds allow,
     * the dense plan's baseline). An uncompressed plan cannot be cut off:
     * nothing is more accurate. */
    const double error = f->predicted.accuracy - measured;
    int n = correct_model(in, plan, error);
    if (!n) {
      rc = sp_cli_error("plan", SP_EXIT_INFEASIBLE,
                        "--verify: no plan reaches %.2f%% on the calibration split (the uncompressed one "
                        "measured %.2f%%)",
                        target, measured);
      break;
    }
    if (round >= RAISE_FROM && isfinite(best)) {
      double bound = p->bounds.min_accuracy + (miss > 0.01 ? miss : 0.01);
      p->bounds.min_accuracy = bound < best ? bound : best;
    }
    printf("verify: the additive model rated that plan %.2f pp too high: its %d compression choices take "
           "%.2f pp more drop each; bound %.2f%%\n",
           error, n, error / n, p->bounds.min_accuracy);
  }
  if (!rc && round > MAX_ROUNDS)
    rc = sp_cli_error("plan", SP_EXIT_INFEASIBLE, "--verify: the bound still missed after %d rounds (%.2f%%)",
                      MAX_ROUNDS, measured);
  double on_test = NAN;
  if (!rc && !(rc = measure_accuracy(f, model, &test, &on_test)))
    printf("verified in %d round%s: %.2f%% on calib, %.2f%% on test (%d images), bound %.2f%%: %s on test\n",
           round, round > 1 ? "s" : "", measured, on_test, test.count, target,
           on_test >= target ? "met" : "missed");
  p->bounds.min_accuracy = a->bounds.min_accuracy;
  f->bounds.min_accuracy = a->bounds.min_accuracy; /* the file keeps the user's bound */
  sp_fmnist_free(&calib);
  sp_fmnist_free(&test);
  return rc;
}
