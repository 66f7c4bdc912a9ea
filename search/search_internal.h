/* What the search strategies share (search.c runs them): the evaluation
 * memo, the budget, the random stream. */
#ifndef SP_SEARCH_INTERNAL_H
#define SP_SEARCH_INTERNAL_H

#include "engine/core/rng.h"
#include "search/search.h"

typedef struct sp_search_ctx {
  const sp_search_space *space;
  const sp_search_options *opt;
  sp_search_eval_fn eval;
  void *eval_ctx;
  sp_rng rng;
  double *cost;              /* [n_points] memo: NAN unevaluated, +inf failed */
  sp_search_result *result;
  int trace_cap;
  double t0;
  int since_improvement;
  int stop;                  /* set once a limit is hit: strategies return */
  int oom;
} sp_search_ctx;

/* Evaluates point p (or returns its memo, which costs no evaluation):
 * 1 with *cost when it succeeded, 0 when it failed (cost +inf), -1 when
 * the search must stop (c->stop set; nothing evaluated). */
int sp_search_try(sp_search_ctx *c, int p, double *cost);

/* Whether point p was evaluated. */
int sp_search_seen(const sp_search_ctx *c, int p);

/* A uniformly random unevaluated point, or -1 when none is left. */
int sp_search_random_unseen(sp_search_ctx *c);

/* Uniform integer in [0, n). */
int sp_search_rand_below(sp_search_ctx *c, int n);

/* Evaluations the strategy may still make (INT_MAX when unlimited). */
int sp_search_budget_left(const sp_search_ctx *c);

void sp_search_exhaustive(sp_search_ctx *c);
void sp_search_random(sp_search_ctx *c);
void sp_search_anneal(sp_search_ctx *c);
void sp_search_bayes(sp_search_ctx *c);

#endif
