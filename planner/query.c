/* Sweeps of a bound and the Pareto front of their plans (query.h). */
#include "planner/query.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner/internal.h"

#define SWEEP_MAX 10000

sp_status sp_plan_sweep_parse(const char *text, sp_plan_sweep *out) {
  static const char *names[] = {"accuracy", "memory", "latency"};
  memset(out, 0, sizeof *out);
  const char *eq = strchr(text, '=');
  int m = -1;
  for (int i = 0; i < 3 && eq; i++)
    if ((size_t)(eq - text) == strlen(names[i]) && !strncmp(text, names[i], strlen(names[i]))) m = i;
  double v[3];
  char *end = NULL;
  const char *s = eq ? eq + 1 : "";
  for (int i = 0; i < 3 && m >= 0; i++) {
    v[i] = strtod(s, &end);
    if (end == s || !isfinite(v[i]) || *end != (i < 2 ? ':' : '\0')) m = -2;
    s = end + 1;
  }
  if (m < 0)
    return sp_fail(SP_ERR_INPUT, "--sweep expects accuracy=LO:HI:STEP, memory=LO:HI:STEP (MB) or "
                                 "latency=LO:HI:STEP (ms), got '%s'", text);
  if (!(v[0] <= v[1]) || !(v[2] > 0))
    return sp_fail(SP_ERR_INPUT, "--sweep %s: needs LO <= HI and STEP > 0", text);
  double scale = 1.0;
  if (m == SP_SWEEP_ACCURACY && v[1] <= 1.0) scale = 100.0; /* fractions: 0.80 = 80% */
  if (m == SP_SWEEP_MEMORY) scale = SP_PLAN_MB;
  double count = floor((v[1] - v[0]) / v[2] + 1e-9) + 1;
  if (count > SWEEP_MAX) return sp_fail(SP_ERR_INPUT, "--sweep %s: more than %d values", text, SWEEP_MAX);
  if (!(v[0] > 0) || (m == SP_SWEEP_ACCURACY && v[1] * scale > 100.0))
    return sp_fail(SP_ERR_INPUT, "--sweep %s: %s", text,
                   m == SP_SWEEP_ACCURACY ? "accuracy must lie in (0, 100] (or fractions in (0, 1])"
                                          : "values must be > 0");
  *out = (sp_plan_sweep){.metric = (sp_sweep_metric)m, .lo = v[0] * scale, .hi = v[1] * scale,
                         .step = v[2] * scale, .count = (int)count};
  return SP_OK;
}

double sp_plan_sweep_value(const sp_plan_sweep *s, int i) {
  double v = s->lo + i * s->step; /* multiplied, not summed: no drift */
  return v > s->hi ? s->hi : v;
}

static int dominates(const sp_plan_metrics *a, const sp_plan_metrics *b) {
  int le = a->latency_ms <= b->latency_ms + sp_plan_tol(b->latency_ms) &&
           a->peak_bytes <= b->peak_bytes + sp_plan_tol(b->peak_bytes) &&
           a->accuracy >= b->accuracy - sp_plan_tol(b->accuracy);
  int lt = a->latency_ms < b->latency_ms - sp_plan_tol(b->latency_ms) ||
           a->peak_bytes < b->peak_bytes - sp_plan_tol(b->peak_bytes) ||
           a->accuracy > b->accuracy + sp_plan_tol(b->accuracy);
  return le && lt;
}

static int same(const sp_plan_metrics *a, const sp_plan_metrics *b) {
  return !dominates(a, b) && !dominates(b, a) && fabs(a->latency_ms - b->latency_ms) <= sp_plan_tol(b->latency_ms) &&
         fabs(a->peak_bytes - b->peak_bytes) <= sp_plan_tol(b->peak_bytes) &&
         fabs(a->accuracy - b->accuracy) <= sp_plan_tol(b->accuracy);
}

static int by_latency(const void *x, const void *y) {
  const sp_plan_point *a = x, *b = y;
  if (a->metrics.latency_ms != b->metrics.latency_ms) return a->metrics.latency_ms < b->metrics.latency_ms ? -1 : 1;
  if (a->metrics.peak_bytes != b->metrics.peak_bytes) return a->metrics.peak_bytes < b->metrics.peak_bytes ? -1 : 1;
  return (a->metrics.accuracy > b->metrics.accuracy) - (a->metrics.accuracy < b->metrics.accuracy);
}

int sp_plan_pareto(sp_plan_point *pts, int n) {
  char *out = calloc((size_t)n + 1, 1);
  if (!out) return -1;
  /* decide every point against the original set first, then compact */
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n && !out[i]; j++)
      out[i] = j != i && (dominates(&pts[j].metrics, &pts[i].metrics) || (j < i && same(&pts[j].metrics, &pts[i].metrics)));
  int kept = 0;
  for (int i = 0; i < n; i++)
    if (!out[i]) pts[kept++] = pts[i];
  free(out);
  qsort(pts, (size_t)kept, sizeof *pts, by_latency);
  return kept;
}

static void set_bound(sp_plan_bounds *b, sp_sweep_metric m, double v) {
  if (m == SP_SWEEP_ACCURACY) b->min_accuracy = v;
  else if (m == SP_SWEEP_MEMORY) b->max_memory = v;
  else b->max_latency = v;
}

sp_status sp_plan_query(const sp_plan_problem *p, const sp_plan_sweep *sweep, sp_plan_solve_fn solve,
                        void *ctx, sp_plan_point **points, int *n_points, int *n_feasible) {
  *points = NULL;
  *n_points = *n_feasible = 0;
  sp_plan_point *pts = calloc((size_t)sweep->count, sizeof *pts);
  if (!pts) return sp_fail(SP_ERR_RUNTIME, "query: out of memory");
  sp_plan_problem q = *p; /* shallow: only the bounds differ */
  sp_plan plan = {0};
  int n = 0;
  for (int i = 0; i < sweep->count; i++) {
    set_bound(&q.bounds, sweep->metric, sp_plan_sweep_value(sweep, i));
    sp_status st = solve(&q, ctx, &plan);
    if (!st && plan.result == SP_PLAN_UNSUPPORTED) st = sp_fail(SP_ERR_INPUT, "query: %s", plan.message);
    if (st) {
      sp_plan_free(&plan);
      free(pts);
      return st;
    }
    int fits = plan.has_plan && (plan.result == SP_PLAN_OPTIMAL || plan.result == SP_PLAN_FEASIBLE ||
                                 plan.result == SP_PLAN_TIME_LIMIT);
    if (!fits) continue;
    pts[n++] = (sp_plan_point){.bounds = q.bounds, .metrics = plan.metrics, .result = plan.result,
                               .solve_s = plan.solve_s};
  }
  sp_plan_free(&plan);
  *n_feasible = n;
  *n_points = sp_plan_pareto(pts, n);
  if (*n_points < 0) {
    free(pts);
    *n_points = 0;
    return sp_fail(SP_ERR_RUNTIME, "query: out of memory");
  }
  *points = pts;
  return SP_OK;
}
