/* The reference for small instances: every combination of options, with
 * no pruning, scored by sp_plan_evaluate's rules and ranked lexicographically
 * (sp_plan_lex_better: ties in the objective go to accuracy, then the other
 * metric). Combinations whose layers
 * disagree on a group's keep level are cut as soon as the disagreement
 * appears. */
#include "planner/internal.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct search {
  const sp_plan_problem *p;
  sp_plan_eval ev;
  int *option, *best, *keep, *owners; /* owners[g]: layers currently fixing group g */
  sp_plan_metrics best_m;
  int found;
} search;

static int claim(search *s, int g, int k) {
  if (s->owners[g] > 0 && s->keep[g] != k) return 0;
  s->keep[g] = k;
  s->owners[g]++;
  return 1;
}

static void leaf(search *s) {
  sp_plan_metrics m;
  if (sp_plan_eval_run(&s->ev, s->option, NULL, &m) || !sp_plan_fits(&s->p->bounds, &m)) return;
  if (!s->found || sp_plan_lex_better(s->p->objective, &m, &s->best_m)) {
    s->found = 1;
    s->best_m = m;
    for (int l = 0; l < s->p->n_layers; l++) s->best[l] = s->option[l];
  }
}

static void visit(search *s, int l) {
  if (l == s->p->n_layers) {
    leaf(s);
    return;
  }
  const sp_plan_layer *ly = &s->p->layers[l];
  for (int o = 0; o < ly->n_opt; o++) {
    const sp_plan_option *op = &ly->opt[o];
    if (!claim(s, ly->g_in, op->keep_in)) continue;
    if (claim(s, ly->g_out, op->keep_out)) {
      s->option[l] = o;
      visit(s, l + 1);
      s->owners[ly->g_out]--;
    }
    s->owners[ly->g_in]--;
  }
}

sp_status sp_plan_exhaustive(const sp_plan_problem *p, double max_combinations, sp_plan *plan) {
  sp_status st = sp_plan_problem_validate(p);
  if (st || (st = sp_plan_prepare(plan, p))) return st;
  double t0 = sp_plan_now(), count = 1;
  for (int l = 0; l < p->n_layers; l++) count *= p->layers[l].n_opt;
  if (count > max_combinations) {
    snprintf(plan->message, sizeof plan->message,
             "exhaustive: %.3g combinations, more than the %.3g allowed", count, max_combinations);
    return SP_OK;
  }
  search s = {.p = p};
  int L = p->n_layers, G = p->n_groups;
  int *buf = calloc((size_t)(2 * L + 2 * G), sizeof *buf);
  if (!buf || (st = sp_plan_eval_init(&s.ev, p))) {
    free(buf);
    return st ? st : sp_fail(SP_ERR_RUNTIME, "plan: out of memory");
  }
  s.option = buf;
  s.best = buf + L;
  s.keep = buf + 2 * L;
  s.owners = buf + 2 * L + G;
  visit(&s, 0);
  if (s.found) {
    st = sp_plan_store(plan, p, s.best);
    plan->result = SP_PLAN_OPTIMAL;
    plan->bound = plan->objective;
  } else {
    plan->result = SP_PLAN_INFEASIBLE;
    snprintf(plan->message, sizeof plan->message,
             "infeasible: no combination of options meets the bounds");
  }
  free(buf);
  sp_plan_eval_free(&s.ev);
  plan->solve_s = sp_plan_now() - t0;
  return st;
}
