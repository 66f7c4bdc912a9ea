/* Search strategies over a parameter space (space.h), generic over an
 * evaluation callback: the tuner's callback verifies and times a kernel
 * (tune_eval.h), the tests' and bench_search's read a recorded table.
 *
 *   exhaustive  every valid point, in order
 *   random      uniformly random points without replacement
 *   anneal      simulated annealing: a fifth of the budget on random points,
 *               then a walk from their best by moves of one parameter by
 *               one step (one move in five a jump), accepting a worse point
 *               with probability exp(-(relative loss) / T), T cooling
 *               geometrically over the budget; restarts when stuck
 *   bayes       Bayesian optimisation: a Gaussian process (RBF kernel over
 *               value indices scaled to [0, 1], on log cost) picks the
 *               point of largest expected improvement among up to 512
 *               random unevaluated points, after a random initial design
 *
 * Every strategy is reproducible from its seed, evaluates a point at most
 * once, and records failures (cost +inf) instead of stopping. */
#ifndef SP_SEARCH_H
#define SP_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "search/space.h"

typedef enum sp_search_strategy {
  SP_SEARCH_EXHAUSTIVE,
  SP_SEARCH_RANDOM,
  SP_SEARCH_ANNEAL,
  SP_SEARCH_BAYES,
  SP_SEARCH_STRATEGY_COUNT
} sp_search_strategy;

const char *sp_search_strategy_name(sp_search_strategy s);

/* SP_ERR_INPUT naming the text and the valid names when unknown. */
sp_status sp_search_strategy_parse(const char *text, sp_search_strategy *out);

/* The cost of a point given by its values (lower is better, >= 0): returns
 * 0, or non-zero with a one-line reason in msg when the point failed
 * (does not build, the device refuses it, wrong result). */
typedef int (*sp_search_eval_fn)(void *ctx, const int *values, double *cost, char *msg,
                                 size_t msg_cap);

typedef struct sp_search_options {
  sp_search_strategy strategy;
  uint64_t seed;
  int max_evals;          /* stop after this many evaluations; 0: no limit */
  double max_fraction;    /* ... or this fraction of the valid points; 0: no limit */
  double max_seconds;     /* ... or this much wall time; 0: no limit */
  int patience;           /* ... or this many evaluations without improvement; 0: never */
  int start_default;      /* evaluate the space's default point first */
} sp_search_options;

/* Exhaustive, seed 1, no limits, default first. */
sp_search_options sp_search_options_default(void);

typedef enum sp_search_stop {
  SP_SEARCH_STOP_DONE,      /* the strategy ran out of points */
  SP_SEARCH_STOP_BUDGET,    /* max_evals or max_fraction */
  SP_SEARCH_STOP_TIME,
  SP_SEARCH_STOP_PATIENCE,
} sp_search_stop;

typedef struct sp_search_trace {
  int point;                 /* index into the space */
  double cost;               /* +inf when failed */
} sp_search_trace;

typedef struct sp_search_result {
  int best;                  /* point index, -1 when no evaluation succeeded */
  double best_cost;
  int default_point;         /* the space's default, -1 when none */
  double default_cost;       /* its cost when evaluated (+inf when failed or not evaluated) */
  int n_evals, n_failed;
  sp_search_trace *trace;    /* n_evals entries in evaluation order */
  char first_error[256];     /* the first failure's message, "" when none */
  double seconds;
  sp_search_stop stop;
} sp_search_result;

/* Searches `space` with `eval`. SP_ERR_INPUT for bad options (a fraction
 * outside [0, 1], negative limits), SP_ERR_RUNTIME when out of memory; an
 * empty space or failing points are not errors (best stays -1). Free the
 * result with sp_search_result_free. */
sp_status sp_search_run(const sp_search_space *space, sp_search_eval_fn eval, void *ctx,
                        const sp_search_options *opt, sp_search_result *out);

void sp_search_result_free(sp_search_result *r);

#endif
