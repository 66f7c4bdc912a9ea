/* The closed loop of `plan --verify` (plan_verify.h). */
#include "results/plan_verify.h"

#include <math.h>
#include <stdio.h>

#include "accuracy/accuracy_io.h"
#include "results/plan_measure.h"

#define MAX_ROUNDS 10
#define RAISE_FROM 5 /* the round from which a miss also raises the bound */

/* Top-1 accuracy of the plan in f on a split. */
static sp_status measure_accuracy(const sp_plan_file *f, const char *model, const sp_fmnist *d,
                                  double *accuracy) {
  if (d->count < 1) return sp_fail(SP_ERR_INPUT, "--verify: no images to measure on");
  sp_plan_exec x;
  sp_plan_measurement m;
  sp_plan_measure_options o = {.repeat = 1, .warmup = 0, .data = d};
  sp_status s = sp_plan_exec_build(f, "the plan", model, 0, &x);
  if (!s) {
    s = sp_plan_measure(f, &x, &o, &m);
    sp_plan_exec_free(&x);
  }
  if (s) return s;
  *accuracy = m.accuracy;
  sp_plan_measurement_free(&m);
  return SP_OK;
}

/* Compression choices of a plan: pruned groups and compressed layers. */
static int compressed_choices(const sp_plan_inputs *in, const sp_plan *plan) {
  const sp_plan_problem *p = &in->source.problem;
  int n = 0;
  for (int g = 0; g < p->n_groups; g++) n += plan->keep[g] > 0;
  for (int l = 0; l < p->n_layers; l++)
    n += in->profile.records[in->source.record[l][plan->option[l]]].compression.kind != SP_WEIGHTS_DENSE;
  return n;
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
  int n = compressed_choices(in, plan);
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

/* What the calibration split says about a plan against the bound: its
 * accuracy on the first `images` images and the 95% Wilson interval. */
typedef struct verdict {
  double measured, lo, hi;
  int images;
} verdict;

/* Measures the plan on the first `from` images of calib (all when 0 or
 * more), then, while the interval straddles the bound, on twice as many,
 * up to the whole split: a plan holds when the lower end clears the bound.
 * Each wider measurement is logged. */
static sp_status judge(const sp_plan_file *f, const char *model, const sp_fmnist *calib, int from,
                       double bound, verdict *v, FILE *log) {
  int n = from > 0 && from < calib->count ? from : calib->count;
  for (;;) {
    sp_fmnist head = *calib;
    head.count = n;
    sp_status s = measure_accuracy(f, model, &head, &v->measured);
    if (s) return s;
    v->images = n;
    sp_accuracy_wilson(v->measured, n, &v->lo, &v->hi);
    int straddles = v->lo < bound && bound <= v->hi;
    if (!straddles || n == calib->count) return SP_OK;
    fprintf(log, "verify: %.2f%% on %d calib images, 95%% interval [%.2f, %.2f] straddles the bound %.2f%%: "
           "measuring on more\n",
           v->measured, n, v->lo, v->hi, bound);
    n = 2 * n < calib->count ? 2 * n : calib->count;
  }
}

/* The highest predicted accuracy any plan within the other bounds has. */
static double best_predicted(const sp_plan_verify_solver *solver, sp_plan_problem *p) {
  sp_plan_problem q = *p;
  q.objective = SP_PLAN_MAX_ACCURACY;
  q.bounds.min_accuracy = -INFINITY;
  sp_plan plan = {0};
  double best = NAN;
  if (!solver->solve_problem(solver->ctx, &q, &plan) && plan.has_plan) best = plan.metrics.accuracy;
  sp_plan_free(&plan);
  return best;
}

sp_status sp_plan_verify(sp_plan_inputs *in, double min_accuracy, const char *model, int limit,
                         const sp_plan_verify_solver *solver, sp_plan *plan, sp_plan_file *f,
                         FILE *log) {
  sp_fmnist calib = {0}, test = {0};
  /* the whole calibration split: --limit images first, more where needed */
  sp_status s = sp_fmnist_load(sp_fmnist_dir(), SP_FMNIST_CALIB, 0, &calib);
  if (!s) s = sp_fmnist_load(sp_fmnist_dir(), SP_FMNIST_TEST, limit, &test);
  if (s) {
    sp_fmnist_free(&calib);
    return s;
  }
  double target = min_accuracy;
  verdict v = {.measured = NAN};
  sp_plan_problem *p = &in->source.problem;
  double best = best_predicted(solver, p);
  sp_status rc = SP_OK;
  int round;
  for (round = 1; round <= MAX_ROUNDS; round++) {
    if ((rc = solver->solve(solver->ctx, in, plan, f)) ||
        (rc = judge(f, model, &calib, limit, target, &v, log)))
      break;
    /* a plan holds when the lower end of its interval clears the bound */
    double miss = target - v.lo;
    fprintf(log, "verify round %d: bound %.2f%%, predicted %.2f%%, measured %.2f%% on calib (%d images, 95%% interval "
           "[%.2f, %.2f])%s\n",
           round, p->bounds.min_accuracy, f->predicted.accuracy, v.measured, v.images, v.lo, v.hi,
           miss > 0 ? ", missed" : ", holds");
    if (miss <= 0) break;
    /* An uncompressed plan cannot be cut off: nothing is more accurate. */
    if (!compressed_choices(in, plan)) {
      rc = sp_fail(SP_ERR_INFEASIBLE,
                   "--verify: no plan reaches %.2f%% on the calibration split (the uncompressed one "
                        "measured %.2f%%, 95%% interval [%.2f, %.2f] on %d images)",
                        target, v.measured, v.lo, v.hi, v.images);
      break;
    }
    /* Where the additive model rated the plan too high, cut it off
     * (correct_model: the model then predicts it at what it measured) and
     * solve again at the same bound; from round RAISE_FROM on, or at once
     * when the model was right but the plan too close to the bound for its
     * interval, also raise the bound by the miss (at least 0.01 pp, so that
     * the loop always moves; at most the best the other bounds allow). */
    const double error = f->predicted.accuracy - v.measured;
    int n = correct_model(in, plan, error);
    if ((!n || round >= RAISE_FROM) && isfinite(best)) {
      double bound = p->bounds.min_accuracy + (miss > 0.01 ? miss : 0.01);
      p->bounds.min_accuracy = bound < best ? bound : best;
    }
    if (n)
      fprintf(log, "verify: the additive model rated that plan %.2f pp too high: its %d compression choices take "
             "%.2f pp more drop each; bound %.2f%%\n",
             error, n, error / n, p->bounds.min_accuracy);
    else
      fprintf(log, "verify: the plan measured as predicted, but its interval reaches below the bound: bound %.2f%%\n",
             p->bounds.min_accuracy);
  }
  if (!rc && round > MAX_ROUNDS)
    rc = sp_fail(SP_ERR_INFEASIBLE,
                 "--verify: the bound still missed after %d rounds (%.2f%%, 95%% interval [%.2f, %.2f])",
                      MAX_ROUNDS, v.measured, v.lo, v.hi);
  double on_test = NAN;
  if (!rc && !(rc = measure_accuracy(f, model, &test, &on_test)))
    fprintf(log, "verified in %d round%s: %.2f%% on calib (lower end %.2f), %.2f%% on test (%d images), bound %.2f%%: "
           "%s on test\n",
           round, round > 1 ? "s" : "", v.measured, v.lo, on_test, test.count, target,
           on_test >= target ? "met" : "missed");
  p->bounds.min_accuracy = min_accuracy;
  f->bounds.min_accuracy = min_accuracy; /* the file keeps the user's bound */
  sp_fmnist_free(&calib);
  sp_fmnist_free(&test);
  return rc;
}
