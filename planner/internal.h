/* What the planner's solvers share and nobody else needs: a reusable
 * evaluator, plan bookkeeping, the option filter and the clock. */
#ifndef SP_PLAN_INTERNAL_H
#define SP_PLAN_INTERNAL_H

#include "planner/planner.h"

/* Liveness and scratch for scoring many choices without allocating. */
typedef struct sp_plan_eval {
  const sp_plan_problem *p;
  int *last;      /* [L] last step at which layer l's output is live */
  int input_last; /* last step at which the network input is live */
  int *setter;    /* [G] layer that fixed the group's keep (conflict messages) */
  int *keep;      /* [G] scratch */
  double *diff;   /* [L+1] activation bytes entering/leaving the live set */
  double *step;   /* [L] memory at each step of the last plan run */
  int *cons_first, *cons; /* readers of tensor t (t = -1: the network input, else a
                           * layer's output): cons[cons_first[t+1]..cons_first[t+2]) */
} sp_plan_eval;

sp_status sp_plan_eval_init(sp_plan_eval *e, const sp_plan_problem *p);
void sp_plan_eval_free(sp_plan_eval *e);
/* As sp_plan_evaluate; `keep` may be NULL. */
sp_status sp_plan_eval_run(sp_plan_eval *e, const int *option, int *keep, sp_plan_metrics *m);

/* The copy time of tensor t (-1: the network input, else layer t's output)
 * when each layer l runs option[l]: once per residency other than the
 * tensor's own that a reader runs on (and the host, for the last layer's
 * output), as the executor copies. */
double sp_plan_copy_ms(const sp_plan_eval *e, int t, const int *option);

/* Device memory, held for the whole run as the executor holds it: every
 * tensor (at its kept size) that a layer on a device writes or reads, and
 * one device workspace of the largest chosen device option's workspace
 * (returned in *workspace when not NULL). 0 for a host-only plan. */
double sp_plan_device_bytes(const sp_plan_eval *e, const int *option, double *workspace);

/* Frees and reallocates plan's arrays for p and resets every field. */
sp_status sp_plan_prepare(sp_plan *plan, const sp_plan_problem *p);

/* Stores a choice of options in plan (keep levels, metrics, objective,
 * has_plan = 1). Fails when the choice is inconsistent. */
sp_status sp_plan_store(sp_plan *plan, const sp_plan_problem *p, const int *option);

/* Plans are ranked lexicographically (issue #21): the objective first, then
 * accuracy (highest), then the remaining one of latency and memory (least);
 * the objective accuracy is followed by latency, then memory. order[0] is
 * the objective. */
void sp_plan_lex_order(sp_plan_objective objective, sp_plan_objective order[3]);

/* Whether metrics a rank before b in that order: better in the first metric
 * that differs by more than the tolerance of sp_plan_better. */
int sp_plan_lex_better(sp_plan_objective objective, const sp_plan_metrics *a, const sp_plan_metrics *b);

/* An option's own share of a metric, for ranking options that tie: its drop
 * (accuracy), latency, or weight + workspace bytes (memory). Smaller is better. */
double sp_plan_option_cost(sp_plan_objective metric, const sp_plan_option *op);

/* Additive tolerance for comparing against a bound of this value. */
double sp_plan_tol(double bound);

/* Monotonic seconds. */
double sp_plan_now(void);

/* Which metrics can change the answer: the objective's and every bound's.
 * Options that differ only in irrelevant metrics are interchangeable. */
typedef struct sp_plan_relevance {
  int latency, memory, accuracy;
} sp_plan_relevance;
sp_plan_relevance sp_plan_relevant(const sp_plan_problem *p);

/* Options that can appear in an optimal plan: alive[flat] is 1 for kept
 * options; repr[flat] is the kept option that dominates a dropped one (same
 * keep_in, keep_out, residency; no worse in any relevant metric), or -1 when
 * the option cannot meet the bounds in any plan. flat = first[l] + o. */
typedef struct sp_plan_filter {
  int *first;     /* [L+1] */
  char *alive;    /* [total] */
  int *repr;      /* [total] option index within its layer, or -1 */
  char **keep_ok; /* [G][n_keep] keep levels whose group drop fits the budget */
  int n_alive;
  int empty_layer; /* a layer with no option left, or -1 */
} sp_plan_filter;

sp_status sp_plan_filter_build(sp_plan_filter *f, const sp_plan_problem *p, int prune);
void sp_plan_filter_free(sp_plan_filter *f);

/* Local search on a consistent plan (local_search.c). `alive`, when set
 * (from a filter), restricts the options moves may pick. */
typedef struct sp_plan_ls {
  const sp_plan_problem *p;
  const char *alive;
  const int *first;
  sp_plan_eval ev;
  int *option, *keep;      /* the current plan */
  int *trial, *trial_keep; /* scratch */
  sp_plan_metrics m;       /* the current plan's metrics */
  double *step;            /* [L] the current plan's memory per step */
  int top, top2;           /* the steps with the largest and second largest memory */
} sp_plan_ls;

sp_status sp_plan_ls_init(sp_plan_ls *ls, const sp_plan_problem *p, const sp_plan_filter *f);
void sp_plan_ls_free(sp_plan_ls *ls);
/* Makes option the current plan; fails when it is inconsistent. */
sp_status sp_plan_ls_set(sp_plan_ls *ls, const int *option);
/* Moves towards the bounds (most violation removed per objective lost)
 * until they hold; returns whether they do. */
int sp_plan_ls_repair(sp_plan_ls *ls, int max_steps);
/* Best-improvement moves that keep the bounds; returns the moves made. */
int sp_plan_ls_improve(sp_plan_ls *ls, int max_steps);
/* NetAdapt's moves (greedy.c): while a memory or latency bound is missed,
 * the move that removes the most violation per accuracy lost, then the one
 * that gains the most objective per accuracy lost while every bound holds;
 * no move may break the accuracy bound. Returns the moves made. */
int sp_plan_ls_netadapt(sp_plan_ls *ls, int max_steps);
/* Layer l's best option with the given keep levels, by its own score plus
 * (for latency) the transitions from its predecessors' options; -1 if none. */
int sp_plan_ls_best_compatible(const sp_plan_ls *ls, int l, const int *keep, const int *option);
/* Layer l's most accurate option with the given keep levels (least drop,
 * then latency, then memory: sp_plan_more_accurate), -1 if none. */
int sp_plan_ls_most_accurate(const sp_plan_ls *ls, int l, const int *keep);
int sp_plan_more_accurate(const sp_plan_option *a, const sp_plan_option *b);
/* A layer's own cost under the objective (transitions and coupling ignored),
 * and the order it induces (ties by latency). */
double sp_plan_own_score(const sp_plan_problem *p, const sp_plan_option *op);
int sp_plan_own_better(const sp_plan_problem *p, const sp_plan_option *a, const sp_plan_option *b);

/* The ILP without the nearest-bounds diagnosis (infeasible.c calls it on
 * relaxed copies of the problem). */
sp_status sp_plan_ilp_solve(const sp_plan_problem *p, const sp_ilp_params *params, sp_plan *plan);

#endif
