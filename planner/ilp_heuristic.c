/* Primal heuristics for the ILP. GLPK's own are weak on this model: its
 * LP bound is within a fraction of a percent of the optimum from the root
 * on, but its incumbents come late, and branch and bound without a good
 * incumbent explores most of the tree. So: a warm start (the greedy plan,
 * improved by local search) and, at nodes, the node's LP solution rounded
 * to a plan (each group's largest y, each layer's largest compatible x),
 * repaired to the bounds and improved by the same local search. */
#include "planner/ilp_model.h"

#include <stdlib.h>
#include <string.h>

/* Share of the branch-and-bound time the node heuristic may take. */
#define HEUR_SHARE 0.1

/* The column values of a consistent plan. */
static void plan_vector(const model *m, const int *option, const int *keep, const sp_plan_metrics *met,
                        double *x) {
  const sp_plan_problem *p = m->p;
  double wsum = 0;
  memset(x, 0, ((size_t)m->ncols + 1) * sizeof *x);
  for (int g = 0; g < p->n_groups; g++) x[m->ycol[g] + keep[g]] = 1;
  for (int l = 0; l < p->n_layers; l++) {
    const sp_plan_layer *ly = &p->layers[l];
    const sp_plan_option *op = &ly->opt[option[l]];
    x[opt_col(m, l, option[l])] = 1;
    wsum += op->weight_bytes * UNIT;
    int R = p->n_res, z = ly->n_pred ? 0 : m->zcol[0];
    if (z && op->residency) x[z + op->residency] = 1;
    for (int i = 0, w; i < ly->n_pred; i++) {
      const sp_plan_option *q = &p->layers[ly->pred[i]].opt[option[ly->pred[i]]];
      int j = (q->keep_out * R + q->residency) * R + op->residency;
      if ((w = m->wcol[l * SP_PLAN_MAX_PRED + i])) x[w + j] = 1;
      if ((z = m->zcol[ly->pred[i] + 1]) && q->residency != op->residency) x[z + j] = 1;
    }
  }
  /* device memory held for the whole run (sp_plan_device_bytes) */
  for (int t = -1; t < p->n_layers; t++) {
    int v = m->vcol[t + 1], on = t >= 0 && p->layers[t].opt[option[t]].residency != 0;
    for (int j = m->ev->cons_first[t + 1]; v && j < m->ev->cons_first[t + 2]; j++)
      on |= p->layers[m->ev->cons[j]].opt[option[m->ev->cons[j]]].residency != 0;
    if (!v || !on) continue;
    int k = t < 0 ? 0 : p->layers[t].opt[option[t]].keep_out;
    x[v + k] = 1;
    wsum += (t < 0 ? p->input_bytes : p->layers[t].act_bytes[k]) * UNIT;
  }
  for (int l = 0; m->dws && l < p->n_layers; l++) {
    const sp_plan_option *op = &p->layers[l].opt[option[l]];
    if (op->residency && op->workspace_bytes * UNIT > x[m->dws]) x[m->dws] = op->workspace_bytes * UNIT;
  }
  if (m->dws) wsum += x[m->dws];
  if (m->wtot) x[m->wtot] = wsum;
  if (m->pcol) x[m->pcol] = met->peak_bytes * UNIT;
}

sp_status sp_ilp_heuristic_init(model *m, int warm) {
  const sp_plan_problem *p = m->p;
  m->sol = malloc(((size_t)m->ncols + 1) * sizeof *m->sol);
  if (!m->sol) return sp_fail(SP_ERR_RUNTIME, "plan: out of memory");
  sp_status st = sp_plan_ls_init(&m->ls, p, m->f);
  if (st) return st;
  m->have_ls = 1;
  if (!warm) return SP_OK;
  sp_plan g = {0};
  st = sp_plan_greedy(p, &g);
  int ok = !st && g.result == SP_PLAN_FEASIBLE;
  /* Dominated options are swapped for their dominators: still feasible. */
  for (int l = 0; l < p->n_layers && ok; l++)
    ok = (g.option[l] = m->f->repr[m->f->first[l] + g.option[l]]) >= 0;
  if (ok && !(st = sp_plan_ls_set(&m->ls, g.option)) && sp_plan_fits(&p->bounds, &m->ls.m)) {
    sp_plan_ls_improve(&m->ls, 4 * p->n_layers);
    if (sp_plan_fits(&p->bounds, &m->ls.m) && (m->warm = malloc(((size_t)m->ncols + 1) * sizeof *m->warm)))
      plan_vector(m, m->ls.option, m->ls.keep, &m->ls.m, m->warm);
  }
  sp_plan_free(&g);
  return st;
}

void sp_ilp_heuristic_free(model *m) {
  free(m->warm);
  free(m->sol);
  if (m->have_ls) sp_plan_ls_free(&m->ls);
  m->warm = m->sol = NULL;
  m->have_ls = 0;
}

/* Rounds the node's LP solution to a plan and offers it to GLPK. */
static void round_node(glp_tree *tree, model *m) {
  const sp_plan_problem *p = m->p;
  glp_prob *lp = glp_ios_get_prob(tree);
  sp_plan_ls *ls = &m->ls;
  for (int g = 0; g < p->n_groups; g++) {
    int best = 0;
    for (int k = 1; k < p->groups[g].n_keep; k++)
      if (glp_get_col_prim(lp, m->ycol[g] + k) > glp_get_col_prim(lp, m->ycol[g] + best)) best = k;
    ls->keep[g] = best;
  }
  for (int l = 0; l < p->n_layers; l++) {
    const sp_plan_layer *ly = &p->layers[l];
    int best = -1;
    double best_x = -1;
    for (int o = 0; o < ly->n_opt; o++) {
      int col = opt_col(m, l, o);
      if (!col || ly->opt[o].keep_in != ls->keep[ly->g_in] || ly->opt[o].keep_out != ls->keep[ly->g_out])
        continue;
      double x = glp_get_col_prim(lp, col);
      if (x > best_x) best = o, best_x = x;
    }
    if (best < 0) return;
    ls->option[l] = best;
  }
  if (sp_plan_ls_set(ls, ls->option) || !sp_plan_ls_repair(ls, 2 * p->n_layers)) return;
  sp_plan_ls_improve(ls, p->n_layers);
  if (!sp_plan_fits(&p->bounds, &ls->m)) return; /* GLPK trusts what it is given */
  plan_vector(m, ls->option, ls->keep, &ls->m, m->sol);
  glp_ios_heur_sol(tree, m->sol); /* GLPK ignores it unless it beats the incumbent */
}

void sp_ilp_callback(glp_tree *tree, void *info) {
  model *m = info;
  if (glp_ios_reason(tree) == GLP_IHEUR) {
    if (m->warm) {
      glp_ios_heur_sol(tree, m->warm);
      free(m->warm);
      m->warm = NULL;
    }
    double now = sp_plan_now();
    if (m->t_heur <= HEUR_SHARE * (now - m->t_start)) {
      round_node(tree, m);
      m->t_heur += sp_plan_now() - now;
    }
  }
  int best = glp_ios_best_node(tree);
  if (best) m->bound = glp_ios_node_bound(tree, best);
}
