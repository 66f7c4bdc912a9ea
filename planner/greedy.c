/* The greedy baseline the ILP must beat (and its warm start), NetAdapt-style
 * (Yang et al., ECCV 2018): from the most accurate plan, repeatedly take the
 * single-layer or channel-group move that buys the most latency (or memory:
 * the objective) per accuracy lost while the bounds hold; while a memory or
 * latency bound is missed, the move that removes the most violation per
 * accuracy lost (local_search.c). */
#include "planner/internal.h"

#include <stdio.h>
#include <stdlib.h>

static int count_unmatched(const sp_plan_problem *p, const int *keep) {
  int bad = 0;
  for (int l = 0; l < p->n_layers; l++) {
    const sp_plan_layer *ly = &p->layers[l];
    int ok = 0;
    for (int o = 0; o < ly->n_opt && !ok; o++)
      ok = ly->opt[o].keep_in == keep[ly->g_in] && ly->opt[o].keep_out == keep[ly->g_out];
    bad += !ok;
  }
  return bad;
}

/* Keep levels by majority of the layers' own picks, then single-group changes
 * until every layer has an option with its groups' levels. */
static int choose_keeps(const sp_plan_problem *p, const int *pick, int *keep) {
  for (int g = 0; g < p->n_groups; g++) {
    int best = 0, best_votes = -1;
    for (int k = 0; k < p->groups[g].n_keep; k++) {
      int votes = 0;
      for (int l = 0; l < p->n_layers; l++) {
        const sp_plan_layer *ly = &p->layers[l];
        const sp_plan_option *op = &ly->opt[pick[l]];
        votes += (ly->g_in == g && op->keep_in == k) ||
                 (ly->g_out == g && ly->g_in != g && op->keep_out == k);
      }
      if (votes > best_votes) best = k, best_votes = votes;
    }
    keep[g] = best;
  }
  for (int bad = count_unmatched(p, keep); bad > 0;) {
    int bg = -1, bk = -1, bbad = bad;
    for (int g = 0; g < p->n_groups; g++) {
      int old = keep[g];
      for (int k = 0; k < p->groups[g].n_keep; k++) {
        keep[g] = k;
        int b = count_unmatched(p, keep);
        if (b < bbad) bg = g, bk = k, bbad = b;
      }
      keep[g] = old;
    }
    if (bg < 0) return 0;
    keep[bg] = bk;
    bad = bbad;
  }
  return 1;
}

static void give_up(sp_plan *plan, const sp_plan_problem *p, const sp_plan_metrics *m) {
  const sp_plan_bounds *b = &p->bounds;
  char *msg = plan->message;
  size_t size = sizeof plan->message;
  int n = snprintf(msg, size, "greedy: could not meet");
  if (m->accuracy < b->min_accuracy - sp_plan_tol(b->min_accuracy))
    n += snprintf(msg + n, size - (size_t)n, " accuracy >= %.2f%% (reached %.2f%%)", b->min_accuracy,
                  m->accuracy);
  if (m->peak_bytes > b->max_memory + sp_plan_tol(b->max_memory) && n < (int)size)
    n += snprintf(msg + n, size - (size_t)n, " memory <= %.2f MB (reached %.2f MB)", sp_plan_mb(b->max_memory),
                  sp_plan_mb(m->peak_bytes));
  if (m->latency_ms > b->max_latency + sp_plan_tol(b->max_latency) && n < (int)size)
    snprintf(msg + n, size - (size_t)n, " latency <= %.3f ms (reached %.3f ms)", b->max_latency,
             m->latency_ms);
}

sp_status sp_plan_greedy(const sp_plan_problem *p, sp_plan *plan) {
  sp_status st = sp_plan_problem_validate(p);
  if (st || (st = sp_plan_prepare(plan, p))) return st;
  double t0 = sp_plan_now();
  sp_plan_ls ls;
  if ((st = sp_plan_ls_init(&ls, p, NULL))) return st;
  int L = p->n_layers, G = p->n_groups;
  /* The start: every group at its least-drop keep level (the first of
   * equals: keep 1.0), every layer on its most accurate option there; where
   * a layer has none, keep levels by the layers' most accurate picks. */
  for (int g = 0; g < G; g++) {
    ls.keep[g] = 0;
    for (int k = 1; k < p->groups[g].n_keep; k++)
      if (p->groups[g].drop[k] < p->groups[g].drop[ls.keep[g]]) ls.keep[g] = k;
  }
  int ok = 1;
  for (int l = 0; l < L && ok; l++) ok = (ls.option[l] = sp_plan_ls_most_accurate(&ls, l, ls.keep)) >= 0;
  if (!ok) {
    for (int l = 0; l < L; l++) {
      const sp_plan_layer *ly = &p->layers[l];
      ls.option[l] = 0;
      for (int o = 1; o < ly->n_opt; o++)
        if (sp_plan_more_accurate(&ly->opt[o], &ly->opt[ls.option[l]])) ls.option[l] = o;
    }
    ok = choose_keeps(p, ls.option, ls.keep);
    for (int l = 0; l < L && ok; l++) ok = (ls.option[l] = sp_plan_ls_most_accurate(&ls, l, ls.keep)) >= 0;
  }
  plan->result = SP_PLAN_GAVE_UP;
  if (!ok) {
    snprintf(plan->message, sizeof plan->message,
             "greedy: found no keep levels that every layer has an option for");
  } else {
    st = sp_plan_ls_set(&ls, ls.option);
    /* each move changes one layer or one group; a plan has at most
     * L x options of them that pay, in practice far fewer */
    if (!st) sp_plan_ls_netadapt(&ls, 50 * (L + G) + 1000);
    if (!st && sp_plan_fits(&p->bounds, &ls.m)) plan->result = SP_PLAN_FEASIBLE;
    if (!st) st = sp_plan_store(plan, p, ls.option);
    if (!st && plan->result != SP_PLAN_FEASIBLE) give_up(plan, p, &plan->metrics);
  }
  sp_plan_ls_free(&ls);
  plan->solve_s = sp_plan_now() - t0;
  return st;
}
