/* The search driver (search.h): options, limits, the evaluation memo and
 * trace; the strategies live in strategy_*.c. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/timer.h"
#include "search/search_internal.h"

static const char *const names[SP_SEARCH_STRATEGY_COUNT] = {"exhaustive", "random", "anneal",
                                                            "bayes"};

const char *sp_search_strategy_name(sp_search_strategy s) {
  return s >= 0 && s < SP_SEARCH_STRATEGY_COUNT ? names[s] : "?";
}

sp_status sp_search_strategy_parse(const char *text, sp_search_strategy *out) {
  for (int i = 0; i < SP_SEARCH_STRATEGY_COUNT; i++)
    if (!strcmp(text, names[i])) {
      *out = (sp_search_strategy)i;
      return SP_OK;
    }
  return sp_fail(SP_ERR_INPUT, "unknown strategy '%s' (exhaustive, random, anneal, bayes)", text);
}

sp_search_options sp_search_options_default(void) {
  return (sp_search_options){.strategy = SP_SEARCH_EXHAUSTIVE, .seed = 1, .start_default = 1};
}

void sp_search_result_free(sp_search_result *r) {
  free(r->trace);
  memset(r, 0, sizeof *r);
  r->best = r->default_point = -1;
}

int sp_search_seen(const sp_search_ctx *c, int p) { return !isnan(c->cost[p]); }

int sp_search_rand_below(sp_search_ctx *c, int n) {
  return n <= 1 ? 0 : (int)(sp_rng_next(&c->rng) % (uint64_t)n);
}

int sp_search_random_unseen(sp_search_ctx *c) {
  int n = c->space->n_points;
  for (int k = 0; k < 64 && n; k++) {
    int p = sp_search_rand_below(c, n);
    if (!sp_search_seen(c, p)) return p;
  }
  int start = sp_search_rand_below(c, n);
  for (int k = 0; k < n; k++) {
    int p = (start + k) % n;
    if (!sp_search_seen(c, p)) return p;
  }
  return -1;
}

int sp_search_budget_left(const sp_search_ctx *c) {
  long left = INT_MAX;
  int used = c->result->n_evals;
  if (c->opt->max_evals > 0 && c->opt->max_evals - used < left) left = c->opt->max_evals - used;
  if (c->opt->max_fraction > 0) {
    long cap = (long)floor(c->opt->max_fraction * c->space->n_points);
    if (cap < 1) cap = 1;
    if (cap - used < left) left = cap - used;
  }
  return left < 0 ? 0 : (int)left;
}

/* Whether a limit forbids another evaluation (sets stop and the reason). */
static int limit_hit(sp_search_ctx *c) {
  const sp_search_options *o = c->opt;
  sp_search_result *r = c->result;
  if (sp_search_budget_left(c) <= 0) r->stop = SP_SEARCH_STOP_BUDGET;
  else if (o->max_seconds > 0 && sp_time_now() - c->t0 >= o->max_seconds) r->stop = SP_SEARCH_STOP_TIME;
  else if (o->patience > 0 && c->since_improvement >= o->patience) r->stop = SP_SEARCH_STOP_PATIENCE;
  else return 0;
  c->stop = 1;
  return 1;
}

int sp_search_try(sp_search_ctx *c, int p, double *cost) {
  if (sp_search_seen(c, p)) {
    *cost = c->cost[p];
    return isfinite(*cost);
  }
  if (c->stop || limit_hit(c)) return -1;
  sp_search_result *r = c->result;
  if (r->n_evals == c->trace_cap) {
    int cap = c->trace_cap ? 2 * c->trace_cap : 64;
    sp_search_trace *t = realloc(r->trace, (size_t)cap * sizeof *t);
    if (!t) {
      c->oom = c->stop = 1;
      return -1;
    }
    r->trace = t;
    c->trace_cap = cap;
  }
  int values[SP_MAX_PARAMS];
  sp_search_space_values(c->space, p, values);
  char msg[256] = "";
  double v = INFINITY;
  int failed = c->eval(c->eval_ctx, values, &v, msg, sizeof msg) != 0 || !(v >= 0) || isinf(v);
  if (failed) {
    v = INFINITY;
    r->n_failed++;
    if (!r->first_error[0]) snprintf(r->first_error, sizeof r->first_error, "%s", msg[0] ? msg : "failed");
  }
  c->cost[p] = v;
  r->trace[r->n_evals++] = (sp_search_trace){p, v};
  if (p == r->default_point) r->default_cost = v;
  if (!failed && (r->best < 0 || v < r->best_cost)) {
    r->best = p;
    r->best_cost = v;
    c->since_improvement = 0;
  } else {
    c->since_improvement++;
  }
  *cost = v;
  return !failed;
}

sp_status sp_search_run(const sp_search_space *space, sp_search_eval_fn eval, void *ctx,
                        const sp_search_options *opt, sp_search_result *out) {
  memset(out, 0, sizeof *out);
  out->best = -1;
  out->best_cost = out->default_cost = INFINITY;
  out->default_point = space->default_point;
  if (opt->max_evals < 0 || !(opt->max_fraction >= 0 && opt->max_fraction <= 1) ||
      !(opt->max_seconds >= 0) || opt->patience < 0 || opt->strategy < 0 ||
      opt->strategy >= SP_SEARCH_STRATEGY_COUNT)
    return sp_fail(SP_ERR_INPUT, "search: options out of range");
  double t0 = sp_time_now();
  sp_search_ctx c = {.space = space, .opt = opt, .eval = eval, .eval_ctx = ctx, .result = out,
                     .t0 = t0};
  sp_rng_seed(&c.rng, opt->seed * 0x9E3779B97F4A7C15ull + 0x5eed);
  c.cost = malloc((space->n_points ? (size_t)space->n_points : 1) * sizeof *c.cost);
  if (!c.cost) return sp_fail(SP_ERR_RUNTIME, "search: out of memory");
  for (int p = 0; p < space->n_points; p++) c.cost[p] = NAN;
  double ignored;
  if (opt->start_default && space->default_point >= 0) sp_search_try(&c, space->default_point, &ignored);
  if (space->n_points && !c.stop) {
    switch (opt->strategy) {
      case SP_SEARCH_EXHAUSTIVE: sp_search_exhaustive(&c); break;
      case SP_SEARCH_RANDOM: sp_search_random(&c); break;
      case SP_SEARCH_ANNEAL: sp_search_anneal(&c); break;
      default: sp_search_bayes(&c); break;
    }
  }
  if (!c.stop) out->stop = SP_SEARCH_STOP_DONE;
  free(c.cost);
  out->seconds = sp_time_now() - t0;
  if (c.oom) {
    sp_search_result_free(out);
    return sp_fail(SP_ERR_RUNTIME, "search: out of memory");
  }
  return SP_OK;
}
