/* The ILP's model as ilp.c builds it and its primal heuristics
 * (ilp_heuristic.c) read it: which GLPK column stands for what. Internal. */
#ifndef SP_PLAN_ILP_MODEL_H
#define SP_PLAN_ILP_MODEL_H

#include <glpk.h>

#include "planner/internal.h"

/* Model units per byte: sizes enter the model in units of 10^6 bytes to keep
 * coefficients near 1 (an internal scale, not the MB of flags and messages,
 * which is SP_PLAN_MB). */
#define UNIT 1e-6

typedef struct model {
  const sp_plan_problem *p;
  const sp_plan_filter *f;
  sp_plan_relevance rel;
  glp_prob *lp;
  int *ycol;      /* [G] column of y[g,0]; y[g,k] = ycol[g] + k */
  int *xcol;      /* [options] column of x, 0 for pruned options */
  const sp_plan_eval *ev; /* liveness and each tensor's readers */
  int *wcol;      /* [L * MAX_PRED] column of w[e,0,0,0] (keep, from, to), 0 for free edges */
  int *zcol;      /* [L + 1] tensor t's z[t,0,0,0] at zcol[t + 1] (t = -1: the network
                   * input, z[b] only), 0 unless it has several costed readers */
  int wtot, pcol; /* memory held for the whole run (weights and device memory, model units) and
                   * peak memory columns, 0 if absent */
  int dws;        /* the device workspace (model units): >= each device option's chosen, 0 if absent */
  int *vcol;      /* [L + 1] tensor t on a device at keep level k: vcol[t + 1] + k (t = -1:
                   * the network input, one level), 0 where no device layer touches it */
  int ncols;
  double *acc; /* dense accumulator of the row being built */
  char *mark;  /* columns present in that row */
  int *ind, n;
  double *val;
  double bound; /* best bound seen in the branch and bound (model units) */
  /* primal heuristics (ilp_heuristic.c) */
  double *warm;  /* [ncols+1] the warm start as column values, or NULL */
  double *sol;   /* [ncols+1] scratch for a heuristic solution */
  sp_plan_ls ls; /* local search over the kept options */
  int have_ls;
  double t_start, t_heur; /* when the branch and bound started; time spent in heuristics */
} model;

static inline int opt_col(const model *m, int l, int o) { return m->xcol[m->f->first[l] + o]; }

/* Prepares the heuristics; with warm, the warm start: the greedy plan
 * improved by local search, when it meets the bounds. */
sp_status sp_ilp_heuristic_init(model *m, int warm);
void sp_ilp_heuristic_free(model *m);

/* GLPK's branch-and-bound callback: hands over the warm start, rounds node
 * LP solutions into plans (repaired and improved by local search), and
 * records the best bound. */
void sp_ilp_callback(glp_tree *tree, void *info);

#endif
