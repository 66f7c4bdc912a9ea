/* Bayesian optimisation with a small Gaussian process (search.h).
 *
 * Inputs are the value indices of a point scaled to [0, 1] per parameter
 * (candidate values are mostly powers of two, so index distance is log
 * distance); the target is log(cost), failures counting as the worst log
 * cost seen + 1 so that the model learns to avoid them. The kernel is
 * RBF with a length scale picked per step by marginal likelihood from a
 * short list; the GP uses at most MAX_OBS observations (the best half and
 * the most recent half), and expected improvement is maximised over up to
 * MAX_CAND random unevaluated points: a few ms a step for any space. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "search/search_internal.h"

#define MAX_OBS 96
#define MAX_CAND 512

typedef struct gp {
  int n, d;
  double x[MAX_OBS][SP_MAX_PARAMS];
  double y[MAX_OBS];         /* centred targets */
  double mean, var, ls;
  double L[MAX_OBS][MAX_OBS];  /* Cholesky factor of K + noise I */
  double alpha[MAX_OBS];     /* (K + noise I)^-1 y */
} gp;

static void features(const sp_search_space *s, int p, double *x) {
  for (int i = 0; i < s->n_params; i++) {
    int k = s->coords[(size_t)p * s->n_params + i], n = s->n_values[i];
    x[i] = n > 1 ? (double)k / (n - 1) : 0;
  }
}

static double kernel(const gp *g, const double *a, const double *b) {
  double d2 = 0;
  for (int i = 0; i < g->d; i++) d2 += (a[i] - b[i]) * (a[i] - b[i]);
  return g->var * exp(-0.5 * d2 / (g->ls * g->ls));
}

/* Factors K + noise I for length scale ls; returns the log marginal
 * likelihood (-inf when not positive definite). */
static double factor(gp *g, double ls) {
  g->ls = ls;
  int n = g->n;
  for (int i = 0; i < n; i++)
    for (int j = 0; j <= i; j++) {
      double k = kernel(g, g->x[i], g->x[j]) + (i == j ? 1e-3 * g->var + 1e-9 : 0);
      for (int m = 0; m < j; m++) k -= g->L[i][m] * g->L[j][m];
      if (i == j) {
        if (k <= 0) return -INFINITY;
        g->L[i][i] = sqrt(k);
      } else {
        g->L[i][j] = k / g->L[j][j];
      }
    }
  double z[MAX_OBS], logdet = 0, fit = 0;
  for (int i = 0; i < n; i++) { /* L z = y, then L^T alpha = z */
    double v = g->y[i];
    for (int m = 0; m < i; m++) v -= g->L[i][m] * z[m];
    z[i] = v / g->L[i][i];
    fit += z[i] * z[i];
    logdet += log(g->L[i][i]);
  }
  for (int i = n - 1; i >= 0; i--) {
    double v = z[i];
    for (int m = i + 1; m < n; m++) v -= g->L[m][i] * g->alpha[m];
    g->alpha[i] = v / g->L[i][i];
  }
  return -0.5 * fit - logdet;
}

static void fit(gp *g) {
  static const double scales[] = {0.08, 0.15, 0.25, 0.4, 0.7, 1.2};
  double best = -INFINITY, best_ls = 0.25;
  for (size_t k = 0; k < sizeof scales / sizeof scales[0]; k++) {
    double ll = factor(g, scales[k]);
    if (ll > best) best = ll, best_ls = scales[k];
  }
  factor(g, best_ls);
}

static void predict(const gp *g, const double *x, double *mu, double *sd) {
  double k[MAX_OBS], v[MAX_OBS], m = 0, var = g->var;
  for (int i = 0; i < g->n; i++) {
    k[i] = kernel(g, x, g->x[i]);
    m += k[i] * g->alpha[i];
  }
  for (int i = 0; i < g->n; i++) {
    double s = k[i];
    for (int j = 0; j < i; j++) s -= g->L[i][j] * v[j];
    v[i] = s / g->L[i][i];
    var -= v[i] * v[i];
  }
  *mu = m + g->mean;
  *sd = var > 1e-12 ? sqrt(var) : 1e-6;
}

/* Expected improvement below `best` (minimisation). */
static double expected_improvement(double mu, double sd, double best) {
  double z = (best - mu) / sd;
  double pdf = exp(-0.5 * z * z) / 2.5066282746310002, cdf = 0.5 * erfc(-z / sqrt(2));
  return (best - mu) * cdf + sd * pdf;
}

static int by_cost(const void *a, const void *b) {
  double x = ((const sp_search_trace *)a)->cost, y = ((const sp_search_trace *)b)->cost;
  return (x > y) - (x < y);
}

/* Loads the observations: all when they fit, else the best and the latest.
 * Returns -1 when out of memory. */
static int observe(sp_search_ctx *c, gp *g) {
  const sp_search_result *r = c->result;
  int n = r->n_evals;
  sp_search_trace *pick = malloc((size_t)n * sizeof *pick);
  if (!pick) return -1;
  memcpy(pick, r->trace, (size_t)n * sizeof *pick);
  if (n > MAX_OBS) { /* best MAX_OBS/2 of the older ones + the MAX_OBS/2 latest */
    int old = n - MAX_OBS / 2;
    qsort(pick, (size_t)old, sizeof *pick, by_cost);
    memmove(pick + MAX_OBS / 2, pick + old, (size_t)(MAX_OBS / 2) * sizeof *pick);
    n = MAX_OBS;
  }
  double worst = -INFINITY, sum = 0, sum2 = 0;
  for (int i = 0; i < n; i++)
    if (isfinite(pick[i].cost) && log(pick[i].cost + 1e-30) > worst) worst = log(pick[i].cost + 1e-30);
  g->n = n;
  g->d = c->space->n_params;
  for (int i = 0; i < n; i++) {
    features(c->space, pick[i].point, g->x[i]);
    g->y[i] = isfinite(pick[i].cost) ? log(pick[i].cost + 1e-30) : worst + 1;
    sum += g->y[i];
  }
  g->mean = sum / n;
  for (int i = 0; i < n; i++) {
    g->y[i] -= g->mean;
    sum2 += g->y[i] * g->y[i];
  }
  g->var = n > 1 && sum2 > 0 ? sum2 / n : 1;
  free(pick);
  return 0;
}

void sp_search_bayes(sp_search_ctx *c) {
  const sp_search_space *s = c->space;
  gp *g = malloc(sizeof *g);
  if (!g) {
    c->oom = c->stop = 1;
    return;
  }
  int budget = sp_search_budget_left(c);
  int init = 2 * s->n_params + 2;
  if (budget < 1 << 30 && init > budget / 3) init = budget / 3 > 2 ? budget / 3 : 2;
  double cost;
  for (int i = 0; i < init && !c->stop; i++) {
    int p = sp_search_random_unseen(c);
    if (p < 0 || sp_search_try(c, p, &cost) < 0) break;
  }
  while (!c->stop) {
    if (c->result->best < 0) {
      int p = sp_search_random_unseen(c); /* nothing succeeded yet: no model to follow */
      if (p < 0 || sp_search_try(c, p, &cost) < 0) break;
      continue;
    }
    if (observe(c, g)) {
      c->oom = c->stop = 1;
      break;
    }
    fit(g);
    double best = log(c->result->best_cost + 1e-30), top = -1;
    int pick = -1, unseen = s->n_points - c->result->n_evals;
    /* candidates: every unseen point when few are left, else MAX_CAND random ones */
    for (int k = 0, p = -1; k < (unseen <= MAX_CAND ? s->n_points : MAX_CAND); k++) {
      p = unseen <= MAX_CAND ? k : sp_search_random_unseen(c);
      if (p < 0) break;
      if (sp_search_seen(c, p)) continue;
      double x[SP_MAX_PARAMS], mu, sd;
      features(s, p, x);
      predict(g, x, &mu, &sd);
      double ei = expected_improvement(mu, sd, best);
      if (ei > top) top = ei, pick = p;
    }
    if (pick < 0 || sp_search_try(c, pick, &cost) < 0) break;
  }
  free(g);
}
