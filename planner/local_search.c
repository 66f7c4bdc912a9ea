/* Moves on a consistent plan, shared by the greedy baseline and the ILP's
 * primal heuristics. A move changes one layer's option (same keep levels),
 * or one group's keep level with the layers touching it re-picked. Repair
 * takes the moves that buy the most bound violation per objective lost;
 * improve takes the feasible move that gains the most objective; NetAdapt
 * takes the move that buys the most (violation, then objective) per
 * accuracy lost. */
#include "planner/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double sp_plan_own_score(const sp_plan_problem *p, const sp_plan_option *op) {
  switch (p->objective) {
    case SP_PLAN_MIN_MEMORY:
      return op->weight_bytes + op->workspace_bytes;
    case SP_PLAN_MAX_ACCURACY:
      return op->drop;
    default:
      return op->latency_ms;
  }
}

int sp_plan_own_better(const sp_plan_problem *p, const sp_plan_option *a, const sp_plan_option *b) {
  double sa = sp_plan_own_score(p, a), sb = sp_plan_own_score(p, b);
  return sa < sb || (sa == sb && a->latency_ms < b->latency_ms);
}

static int usable(const sp_plan_ls *ls, int l, int o) {
  return !ls->alive || ls->alive[ls->first[l] + o];
}

int sp_plan_ls_best_compatible(const sp_plan_ls *ls, int l, const int *keep, const int *option) {
  const sp_plan_problem *p = ls->p;
  const sp_plan_layer *ly = &p->layers[l];
  int best = -1;
  double best_cost = INFINITY;
  for (int o = 0; o < ly->n_opt; o++) {
    const sp_plan_option *op = &ly->opt[o];
    if (op->keep_in != keep[ly->g_in] || op->keep_out != keep[ly->g_out] || !usable(ls, l, o)) continue;
    double cost = sp_plan_own_score(p, op);
    int R = p->n_res;
    for (int i = 0; i < ly->n_pred && p->objective == SP_PLAN_MIN_LATENCY; i++) {
      const sp_plan_layer *q = &p->layers[ly->pred[i]];
      if (!q->copy || option[ly->pred[i]] < 0) continue;
      const sp_plan_option *qo = &q->opt[option[ly->pred[i]]];
      if (qo->residency != op->residency) cost += q->copy[(qo->keep_out * R + qo->residency) * R + op->residency];
    }
    if (!ly->n_pred && p->input_copy && p->objective == SP_PLAN_MIN_LATENCY) cost += p->input_copy[op->residency];
    if (best < 0 || cost < best_cost || (cost == best_cost && sp_plan_own_better(p, op, &ly->opt[best])))
      best = o, best_cost = cost;
  }
  return best;
}

sp_status sp_plan_ls_init(sp_plan_ls *ls, const sp_plan_problem *p, const sp_plan_filter *f) {
  memset(ls, 0, sizeof *ls);
  ls->p = p;
  if (f) ls->alive = f->alive, ls->first = f->first;
  int L = p->n_layers, G = p->n_groups;
  ls->option = malloc((size_t)(2 * L + 2 * G) * sizeof *ls->option);
  ls->step = malloc((size_t)L * sizeof *ls->step);
  sp_status st =
      ls->option && ls->step ? sp_plan_eval_init(&ls->ev, p) : sp_fail(SP_ERR_RUNTIME, "plan: out of memory");
  if (st) {
    free(ls->option), free(ls->step);
    return st;
  }
  ls->trial = ls->option + L;
  ls->keep = ls->option + 2 * L;
  ls->trial_keep = ls->keep + G;
  return SP_OK;
}

void sp_plan_ls_free(sp_plan_ls *ls) {
  free(ls->option), free(ls->step);
  sp_plan_eval_free(&ls->ev);
  memset(ls, 0, sizeof *ls);
}

sp_status sp_plan_ls_set(sp_plan_ls *ls, const int *option) {
  int L = ls->p->n_layers;
  if (option != ls->option) memcpy(ls->option, option, (size_t)L * sizeof *option);
  sp_status st = sp_plan_eval_run(&ls->ev, ls->option, ls->keep, &ls->m);
  if (st) return st;
  memcpy(ls->step, ls->ev.step, (size_t)L * sizeof *ls->step);
  ls->top = 0, ls->top2 = -1;
  for (int s = 1; s < L; s++)
    if (ls->step[s] > ls->step[ls->top])
      ls->top2 = ls->top, ls->top = s;
    else if (ls->top2 < 0 || ls->step[s] > ls->step[ls->top2])
      ls->top2 = s;
  return SP_OK;
}

/* Metrics after layer l switches to option o with the same keep levels.
 * Between host options, in O(1): only its own terms, the weight total and
 * its step's workspace change (no copy changes: same residency, same keep).
 * A move to or from a device changes copies and the device memory of every
 * step: scored in full. */
static void option_move(sp_plan_ls *ls, int l, int o, sp_plan_metrics *m) {
  const sp_plan_problem *p = ls->p;
  const sp_plan_layer *ly = &p->layers[l];
  const sp_plan_option *a = &ly->opt[ls->option[l]], *b = &ly->opt[o];
  if (a->residency || b->residency) {
    memcpy(ls->trial, ls->option, (size_t)p->n_layers * sizeof *ls->trial);
    ls->trial[l] = o;
    if (sp_plan_eval_run(&ls->ev, ls->trial, NULL, m)) *m = ls->m; /* consistent: cannot fail */
    return;
  }
  double dw = b->weight_bytes - a->weight_bytes;
  double others = ls->top != l ? ls->step[ls->top] : ls->top2 >= 0 ? ls->step[ls->top2] : -INFINITY;
  *m = ls->m;
  m->latency_ms += b->latency_ms - a->latency_ms;
  m->accuracy -= b->drop - a->drop;
  m->peak_bytes = fmax(others + dw, ls->step[l] + dw + b->workspace_bytes - a->workspace_bytes);
}

/* How far metrics are from the bounds, each relative to its bound. */
static double violation(const sp_plan_problem *p, const sp_plan_metrics *m) {
  const sp_plan_bounds *b = &p->bounds;
  if (sp_plan_fits(b, m)) return 0;
  double v = 0;
  if (isfinite(b->min_accuracy))
    v += fmax(0, b->min_accuracy - m->accuracy) / fmax(p->base_accuracy - b->min_accuracy, 1e-3);
  if (isfinite(b->max_memory)) v += fmax(0, m->peak_bytes - b->max_memory) / fmax(b->max_memory, 1);
  if (isfinite(b->max_latency))
    v += fmax(0, m->latency_ms - b->max_latency) / fmax(b->max_latency, 1e-6);
  return fmax(v, 1e-12);
}

/* Objective lost by going from a to b (negative: gained). */
static double loss(const sp_plan_problem *p, const sp_plan_metrics *a, const sp_plan_metrics *b) {
  double d = sp_plan_objective_value(p->objective, b) - sp_plan_objective_value(p->objective, a);
  return p->objective == SP_PLAN_MAX_ACCURACY ? -d : d;
}

enum { REPAIR, IMPROVE, NETADAPT };

/* Accuracy a NetAdapt move may lose for free: below it, moves rank by gain. */
#define NETADAPT_FREE_PP 1e-3

/* NetAdapt's score of a move to m: while a memory or latency bound is
 * missed, the violation removed, else the objective gained, per accuracy
 * lost; a move must keep the accuracy bound (and, once they hold, every
 * bound). */
static double netadapt_score(const sp_plan_ls *ls, const sp_plan_metrics *m) {
  const sp_plan_problem *p = ls->p;
  const sp_plan_bounds *b = &p->bounds;
  if (m->accuracy < b->min_accuracy - sp_plan_tol(b->min_accuracy)) return 0;
  double lost = fmax(ls->m.accuracy - m->accuracy, 0) + NETADAPT_FREE_PP;
  double v = violation(p, &ls->m);
  if (v > 0) {
    double v2 = violation(p, m);
    return v2 < v - 1e-15 ? (v - v2) / lost : 0;
  }
  double gain = -loss(p, &ls->m, m), now = fabs(sp_plan_objective_value(p->objective, &ls->m));
  return sp_plan_fits(b, m) && gain > sp_plan_tol(now) ? gain / fmax(now, 1e-12) / lost : 0;
}

/* Scores a move to metrics m: > 0 when it is acceptable. */
static double score(const sp_plan_ls *ls, const sp_plan_metrics *m, int mode) {
  if (mode == NETADAPT) return netadapt_score(ls, m);
  double lost = loss(ls->p, &ls->m, m), now = fabs(sp_plan_objective_value(ls->p->objective, &ls->m));
  if (mode == IMPROVE) return sp_plan_fits(&ls->p->bounds, m) && lost < -sp_plan_tol(now) ? -lost : 0;
  double v = violation(ls->p, &ls->m), v2 = violation(ls->p, m);
  if (v2 >= v - 1e-15) return 0;
  return (v - v2) / (fmax(lost, 0) / fmax(now, 1e-9) + 1e-6);
}

int sp_plan_more_accurate(const sp_plan_option *a, const sp_plan_option *b) {
  if (a->drop != b->drop) return a->drop < b->drop;
  if (a->latency_ms != b->latency_ms) return a->latency_ms < b->latency_ms;
  return a->weight_bytes + a->workspace_bytes < b->weight_bytes + b->workspace_bytes;
}

int sp_plan_ls_most_accurate(const sp_plan_ls *ls, int l, const int *keep) {
  const sp_plan_layer *ly = &ls->p->layers[l];
  int best = -1;
  for (int o = 0; o < ly->n_opt; o++)
    if (ly->opt[o].keep_in == keep[ly->g_in] && ly->opt[o].keep_out == keep[ly->g_out] && usable(ls, l, o) &&
        (best < 0 || sp_plan_more_accurate(&ly->opt[o], &ly->opt[best])))
      best = o;
  return best;
}

/* A layer's option after a group move: its best compatible one; for
 * NetAdapt the most accurate compatible one, so that a group move prunes
 * channels and nothing else. */
static int repick(const sp_plan_ls *ls, int mode, int l, const int *keep, const int *option) {
  return mode == NETADAPT ? sp_plan_ls_most_accurate(ls, l, keep) : sp_plan_ls_best_compatible(ls, l, keep, option);
}

/* Applies the best move; 0 when none qualifies. */
static int step(sp_plan_ls *ls, int mode) {
  const sp_plan_problem *p = ls->p;
  size_t bytes = (size_t)p->n_layers * sizeof(int);
  double best = 0;
  int best_l = -1, best_o = -1, best_g = -1, best_k = -1;
  sp_plan_metrics m;
  for (int l = 0; l < p->n_layers; l++) {
    const sp_plan_layer *ly = &p->layers[l];
    for (int o = 0; o < ly->n_opt; o++) {
      if (o == ls->option[l] || ly->opt[o].keep_in != ls->keep[ly->g_in] ||
          ly->opt[o].keep_out != ls->keep[ly->g_out] || !usable(ls, l, o))
        continue;
      option_move(ls, l, o, &m);
      double s = score(ls, &m, mode);
      if (s > best) best = s, best_l = l, best_o = o, best_g = -1;
    }
  }
  for (int g = 0; g < p->n_groups; g++)
    for (int k = 0; k < p->groups[g].n_keep; k++) {
      if (k == ls->keep[g]) continue;
      memcpy(ls->trial_keep, ls->keep, (size_t)p->n_groups * sizeof(int));
      ls->trial_keep[g] = k;
      memcpy(ls->trial, ls->option, bytes);
      int ok = 1;
      for (int l = 0; l < p->n_layers && ok; l++)
        if (p->layers[l].g_in == g || p->layers[l].g_out == g)
          ok = (ls->trial[l] = repick(ls, mode, l, ls->trial_keep, ls->trial)) >= 0;
      double s = ok && !sp_plan_eval_run(&ls->ev, ls->trial, NULL, &m) ? score(ls, &m, mode) : 0;
      if (s > best) best = s, best_g = g, best_k = k, best_l = -1;
    }
  if (best_l >= 0) {
    ls->option[best_l] = best_o;
  } else if (best_g >= 0) {
    ls->keep[best_g] = best_k;
    for (int l = 0; l < p->n_layers; l++)
      if (p->layers[l].g_in == best_g || p->layers[l].g_out == best_g)
        ls->option[l] = repick(ls, mode, l, ls->keep, ls->option);
  } else {
    return 0;
  }
  return sp_plan_ls_set(ls, ls->option) == SP_OK;
}

int sp_plan_ls_repair(sp_plan_ls *ls, int max_steps) {
  for (int i = 0; i < max_steps && !sp_plan_fits(&ls->p->bounds, &ls->m); i++)
    if (!step(ls, REPAIR)) break;
  return sp_plan_fits(&ls->p->bounds, &ls->m);
}

int sp_plan_ls_improve(sp_plan_ls *ls, int max_steps) {
  int n = 0;
  while (n < max_steps && step(ls, IMPROVE)) n++;
  return n;
}

int sp_plan_ls_netadapt(sp_plan_ls *ls, int max_steps) {
  int n = 0;
  while (n < max_steps && step(ls, NETADAPT)) n++;
  return n;
}
