/* Trade-off queries: solve one planning problem at each value of a swept
 * bound and keep the Pareto front of latency, peak memory and accuracy.
 * Each point keeps the bounds it was solved with, so that `stackplan plan`
 * with those bounds reproduces its plan. */
#ifndef SP_PLAN_QUERY_H
#define SP_PLAN_QUERY_H

#include "planner/problem.h"

typedef enum sp_sweep_metric {
  SP_SWEEP_ACCURACY = 0, /* min_accuracy, percent */
  SP_SWEEP_MEMORY,       /* max_memory, bytes */
  SP_SWEEP_LATENCY,      /* max_latency, ms */
} sp_sweep_metric;

typedef struct sp_plan_sweep {
  sp_sweep_metric metric;
  double lo, hi, step; /* in the bound's unit: percent, bytes, ms */
  int count;           /* values lo, lo + step, ... <= hi (+ rounding slack) */
} sp_plan_sweep;

/* Parses "accuracy=LO:HI:STEP" (fractions when every value is <= 1, so
 * 0.80 = 80%; else percent), "memory=LO:HI:STEP" (MB = 2^20 bytes) or
 * "latency=LO:HI:STEP" (ms). Needs LO <= HI, STEP > 0, at most 10,000
 * values, accuracy in (0, 100], memory and latency > 0. SP_ERR_INPUT with a
 * message naming --sweep. */
sp_status sp_plan_sweep_parse(const char *text, sp_plan_sweep *out);

/* The i-th value of the sweep, in the bound's unit. */
double sp_plan_sweep_value(const sp_plan_sweep *s, int i);

typedef struct sp_plan_point {
  sp_plan_bounds bounds;   /* as solved: the swept one and the fixed ones */
  sp_plan_metrics metrics;
  sp_plan_result result;   /* OPTIMAL, or TIME_LIMIT with an incumbent */
  double solve_s;
} sp_plan_point;

/* Which solver a query uses: fills plan for p (a planner.h solver). */
typedef sp_status (*sp_plan_solve_fn)(const sp_plan_problem *p, void *ctx, sp_plan *plan);

/* Solves p at every value of the sweep (the swept bound replaced, the
 * others kept) and returns in *points the non-dominated plans, by
 * increasing latency (then memory), *n_points of them; sweep->count values
 * are solved, *n_feasible had a plan. Free *points with free(). SP_ERR_INPUT
 * when the solver refuses the instance (UNSUPPORTED: its message). */
sp_status sp_plan_query(const sp_plan_problem *p, const sp_plan_sweep *sweep, sp_plan_solve_fn solve,
                        void *ctx, sp_plan_point **points, int *n_points, int *n_feasible);

/* Keeps the non-dominated points of pts[0..n) (smaller latency and memory,
 * larger accuracy; equal metrics count once, the first kept), sorted by
 * latency then memory; returns how many are left (-1: out of memory). */
int sp_plan_pareto(sp_plan_point *pts, int n);

#endif
