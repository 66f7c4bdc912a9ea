/* Shrinks the ILP before GLPK sees it: options that cannot meet a bound in
 * any plan are left out (instead of big-M rows), and of the options with the
 * same interface (keep_in, keep_out, residency) only those not dominated in
 * the metrics that matter are kept. Both preserve the optimum: a dominated
 * option can be swapped for its dominator in any plan without losing
 * feasibility or objective, since transitions, activations and group drops
 * depend only on the interface. */
#include "planner/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct cand {
  int kin, kout, res, idx;
  double m[4];   /* latency, weights, workspace, drop; 0 where irrelevant */
  double tie[3]; /* sp_plan_option_cost in the lexicographic order (sp_plan_lex_order) */
} cand;

static int cand_cmp(const void *pa, const void *pb) {
  const cand *a = pa, *b = pb;
  if (a->kin != b->kin) return a->kin < b->kin ? -1 : 1;
  if (a->kout != b->kout) return a->kout < b->kout ? -1 : 1;
  if (a->res != b->res) return a->res < b->res ? -1 : 1;
  for (int i = 0; i < 4; i++)
    if (a->m[i] != b->m[i]) return a->m[i] < b->m[i] ? -1 : 1;
  /* Equal in every relevant metric: the one kept (sorted first) is the best
   * for the user in the lexicographic order, not the first in record order. */
  for (int i = 0; i < 3; i++)
    if (a->tie[i] != b->tie[i]) return a->tie[i] < b->tie[i] ? -1 : 1;
  return a->idx < b->idx ? -1 : a->idx > b->idx;
}

void sp_plan_filter_free(sp_plan_filter *f) {
  free(f->first);
  free(f->alive);
  free(f->repr);
  if (f->keep_ok) free(f->keep_ok[0]);
  free(f->keep_ok);
  memset(f, 0, sizeof *f);
}

/* Lower bounds of each bound's metric over all plans that use option o of
 * layer l; the option is impossible when one exceeds its bound. */
typedef struct lower {
  double budget, drop_sum, *gmin, *lmin; /* accuracy */
  double lat_sum, *latmin;               /* latency */
  double w_sum, *wmin, *amin;            /* memory */
  sp_plan_eval ev;
} lower;

static int impossible(const sp_plan_problem *p, lower *lb, int l, const sp_plan_option *op) {
  const sp_plan_layer *ly = &p->layers[l];
  const sp_plan_bounds *b = &p->bounds;
  if (isfinite(lb->budget)) {
    double d = lb->drop_sum - lb->lmin[l] + op->drop - lb->gmin[ly->g_in] +
               p->groups[ly->g_in].drop[op->keep_in];
    if (ly->g_out != ly->g_in) d += p->groups[ly->g_out].drop[op->keep_out] - lb->gmin[ly->g_out];
    if (d > lb->budget + sp_plan_tol(lb->budget)) return 1;
  }
  if (isfinite(b->max_latency) &&
      lb->lat_sum - lb->latmin[l] + op->latency_ms > b->max_latency + sp_plan_tol(b->max_latency))
    return 1;
  if (isfinite(b->max_memory)) {
    double mem =
        lb->w_sum - lb->wmin[l] + op->weight_bytes + op->workspace_bytes + ly->act_bytes[op->keep_out];
    if (lb->ev.input_last >= l) mem += p->input_bytes;
    for (int q = 0; q < l; q++) {
      if (lb->ev.last[q] < l) continue;
      int is_pred = 0;
      for (int i = 0; i < ly->n_pred; i++) is_pred |= ly->pred[i] == q;
      mem += is_pred ? p->layers[q].act_bytes[op->keep_in] : lb->amin[q];
    }
    if (mem > b->max_memory + sp_plan_tol(b->max_memory)) return 1;
  }
  return 0;
}

static sp_status lower_init(lower *lb, const sp_plan_problem *p) {
  int L = p->n_layers, G = p->n_groups;
  memset(lb, 0, sizeof *lb);
  double *buf = calloc((size_t)(4 * L + G), sizeof *buf);
  if (!buf) return sp_fail(SP_ERR_RUNTIME, "plan: out of memory");
  lb->lmin = buf;
  lb->latmin = buf + L;
  lb->wmin = buf + 2 * L;
  lb->amin = buf + 3 * L;
  lb->gmin = buf + 4 * L;
  sp_status st = sp_plan_eval_init(&lb->ev, p);
  if (st) {
    free(buf);
    return st;
  }
  lb->budget = isfinite(p->bounds.min_accuracy) ? p->base_accuracy - p->bounds.min_accuracy : INFINITY;
  for (int g = 0; g < G; g++) {
    lb->gmin[g] = INFINITY;
    for (int k = 0; k < p->groups[g].n_keep; k++) lb->gmin[g] = fmin(lb->gmin[g], p->groups[g].drop[k]);
    lb->drop_sum += lb->gmin[g];
  }
  for (int l = 0; l < L; l++) {
    const sp_plan_layer *ly = &p->layers[l];
    lb->lmin[l] = lb->latmin[l] = lb->wmin[l] = lb->amin[l] = INFINITY;
    for (int o = 0; o < ly->n_opt; o++) {
      lb->lmin[l] = fmin(lb->lmin[l], ly->opt[o].drop);
      lb->latmin[l] = fmin(lb->latmin[l], ly->opt[o].latency_ms);
      lb->wmin[l] = fmin(lb->wmin[l], ly->opt[o].weight_bytes);
    }
    for (int k = 0; k < p->groups[ly->g_out].n_keep; k++)
      lb->amin[l] = fmin(lb->amin[l], ly->act_bytes[k]);
    lb->drop_sum += lb->lmin[l];
    lb->lat_sum += lb->latmin[l];
    lb->w_sum += lb->wmin[l];
  }
  return SP_OK;
}

static void lower_free(lower *lb) {
  free(lb->lmin);
  sp_plan_eval_free(&lb->ev);
}

/* Keeps, per interface, the options no other kept option dominates; of
 * options equal in the relevant metrics it keeps the best in the
 * lexicographic order (then the lowest index). Sorting makes every dominator
 * come first. */
static void prune_dominated(const sp_plan_problem *p, sp_plan_filter *f, int l, cand *c,
                            sp_plan_relevance rel) {
  const sp_plan_layer *ly = &p->layers[l];
  sp_plan_objective order[3];
  sp_plan_lex_order(p->objective, order);
  int n = 0;
  for (int o = 0; o < ly->n_opt; o++) {
    if (!f->alive[f->first[l] + o]) continue;
    const sp_plan_option *op = &ly->opt[o];
    cand *x = &c[n++];
    x->kin = op->keep_in;
    x->kout = op->keep_out;
    x->res = op->residency;
    x->idx = o;
    x->m[0] = rel.latency ? op->latency_ms : 0;
    x->m[1] = rel.memory ? op->weight_bytes : 0;
    x->m[2] = rel.memory ? op->workspace_bytes : 0;
    x->m[3] = rel.accuracy ? op->drop : 0;
    for (int i = 0; i < 3; i++) x->tie[i] = sp_plan_option_cost(order[i], op);
  }
  qsort(c, (size_t)n, sizeof *c, cand_cmp);
  int start = 0, kept = 0; /* kept options of the current bucket are moved to c[start..start+kept) */
  for (int i = 0; i < n; i++) {
    if (i > 0 && (c[i].kin != c[start].kin || c[i].kout != c[start].kout || c[i].res != c[start].res)) {
      start = i;
      kept = 0;
    }
    int dom = -1;
    for (int j = start; j < start + kept && dom < 0; j++)
      if (c[j].m[0] <= c[i].m[0] && c[j].m[1] <= c[i].m[1] && c[j].m[2] <= c[i].m[2] &&
          c[j].m[3] <= c[i].m[3])
        dom = c[j].idx;
    if (dom >= 0) {
      f->alive[f->first[l] + c[i].idx] = 0;
      f->repr[f->first[l] + c[i].idx] = dom;
    } else {
      c[start + kept++] = c[i];
    }
  }
}

sp_status sp_plan_filter_build(sp_plan_filter *f, const sp_plan_problem *p, int prune) {
  int L = p->n_layers, G = p->n_groups;
  memset(f, 0, sizeof *f);
  f->first = malloc((size_t)(L + 1) * sizeof *f->first);
  if (!f->first) return sp_fail(SP_ERR_RUNTIME, "plan: out of memory");
  f->first[0] = 0;
  int maxopt = 1, nkeep = 0;
  for (int l = 0; l < L; l++) {
    f->first[l + 1] = f->first[l] + p->layers[l].n_opt;
    if (p->layers[l].n_opt > maxopt) maxopt = p->layers[l].n_opt;
  }
  for (int g = 0; g < G; g++) nkeep += p->groups[g].n_keep;
  int total = f->first[L];
  f->alive = malloc((size_t)total);
  f->repr = malloc((size_t)total * sizeof *f->repr);
  f->keep_ok = malloc((size_t)G * sizeof *f->keep_ok);
  char *kbuf = f->keep_ok ? malloc((size_t)nkeep) : NULL;
  cand *c = malloc((size_t)maxopt * sizeof *c);
  lower lb;
  sp_status st =
      f->alive && f->repr && kbuf && c ? SP_OK : sp_fail(SP_ERR_RUNTIME, "plan: out of memory");
  if (!st && prune) st = lower_init(&lb, p);
  if (st) {
    if (f->keep_ok) f->keep_ok[0] = kbuf;
    free(c);
    sp_plan_filter_free(f);
    return st;
  }
  memset(kbuf, 1, (size_t)nkeep);
  for (int g = 0, off = 0; g < G; off += p->groups[g].n_keep, g++) f->keep_ok[g] = kbuf + off;
  for (int l = 0; l < L; l++)
    for (int o = 0; o < p->layers[l].n_opt; o++) {
      f->alive[f->first[l] + o] = 1;
      f->repr[f->first[l] + o] = o;
    }
  if (prune) {
    sp_plan_relevance rel = sp_plan_relevant(p);
    for (int g = 0; g < G && isfinite(lb.budget); g++)
      for (int k = 0; k < p->groups[g].n_keep; k++)
        f->keep_ok[g][k] =
            lb.drop_sum - lb.gmin[g] + p->groups[g].drop[k] <= lb.budget + sp_plan_tol(lb.budget);
    for (int l = 0; l < L; l++) {
      for (int o = 0; o < p->layers[l].n_opt; o++)
        if (impossible(p, &lb, l, &p->layers[l].opt[o])) {
          f->alive[f->first[l] + o] = 0;
          f->repr[f->first[l] + o] = -1;
        }
      prune_dominated(p, f, l, c, rel);
    }
    lower_free(&lb);
  }
  free(c);
  f->empty_layer = -1;
  for (int l = 0; l < L; l++) {
    int n = 0;
    for (int o = 0; o < p->layers[l].n_opt; o++) n += f->alive[f->first[l] + o];
    if (n == 0 && f->empty_layer < 0) f->empty_layer = l;
    f->n_alive += n;
  }
  return SP_OK;
}
