/* Scoring a choice of options: the one definition of latency, peak memory
 * and accuracy that every solver and test uses; plan bookkeeping. */
#define _POSIX_C_SOURCE 200809L
#include "planner/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double sp_plan_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double sp_plan_tol(double bound) { return isfinite(bound) ? 1e-9 * fmax(1.0, fabs(bound)) : 0.0; }

sp_status sp_plan_eval_init(sp_plan_eval *e, const sp_plan_problem *p) {
  memset(e, 0, sizeof *e);
  e->p = p;
  int L = p->n_layers, G = p->n_groups;
  e->last = malloc((size_t)L * sizeof *e->last);
  e->setter = malloc((size_t)G * sizeof *e->setter);
  e->keep = malloc((size_t)G * sizeof *e->keep);
  e->diff = malloc((size_t)(L + 1) * sizeof *e->diff);
  e->step = malloc((size_t)L * sizeof *e->step);
  e->cons_first = calloc((size_t)L + 2, sizeof *e->cons_first);
  int E = 0;
  for (int l = 0; l < L; l++) E += p->layers[l].n_pred ? p->layers[l].n_pred : 1;
  e->cons = malloc((size_t)E * sizeof *e->cons);
  if (!e->last || !e->setter || !e->keep || !e->diff || !e->step || !e->cons_first || !e->cons) {
    sp_plan_eval_free(e);
    return sp_fail(SP_ERR_RUNTIME, "plan: out of memory");
  }
  e->input_last = -1;
  for (int l = 0; l < L; l++) e->last[l] = l;
  for (int l = 0; l < L; l++) {
    const sp_plan_layer *ly = &p->layers[l];
    if (ly->n_pred == 0) e->input_last = l;
    for (int i = 0; i < ly->n_pred; i++)
      if (e->last[ly->pred[i]] < l) e->last[ly->pred[i]] = l;
  }
  /* readers per tensor, by counting then filling (diff as the cursor) */
  for (int l = 0; l < L; l++) {
    const sp_plan_layer *ly = &p->layers[l];
    if (!ly->n_pred) e->cons_first[1]++;
    for (int i = 0; i < ly->n_pred; i++) e->cons_first[ly->pred[i] + 2]++;
  }
  for (int t = 0; t <= L; t++) e->cons_first[t + 1] += e->cons_first[t];
  for (int t = 0; t <= L; t++) e->diff[t] = e->cons_first[t];
  for (int l = 0; l < L; l++) {
    const sp_plan_layer *ly = &p->layers[l];
    if (!ly->n_pred) e->cons[(int)e->diff[0]++] = l;
    for (int i = 0; i < ly->n_pred; i++) e->cons[(int)e->diff[ly->pred[i] + 1]++] = l;
  }
  return SP_OK;
}

void sp_plan_eval_free(sp_plan_eval *e) {
  free(e->last);
  free(e->setter);
  free(e->keep);
  free(e->diff);
  free(e->step);
  free(e->cons_first);
  free(e->cons);
  memset(e, 0, sizeof *e);
}

double sp_plan_copy_ms(const sp_plan_eval *e, int t, const int *option) {
  const sp_plan_problem *p = e->p;
  const double *c = t < 0 ? p->input_copy : p->layers[t].copy;
  if (!c) return 0;
  int R = p->n_res, a = 0, k = 0;
  if (t >= 0) {
    const sp_plan_option *op = &p->layers[t].opt[option[t]];
    a = op->residency, k = op->keep_out;
  }
  unsigned need = t == p->n_layers - 1 ? 1u : 0u; /* the network output ends on the host */
  for (int j = e->cons_first[t + 1]; j < e->cons_first[t + 2]; j++) {
    int l = e->cons[j];
    need |= 1u << p->layers[l].opt[option[l]].residency;
  }
  double ms = 0;
  for (int b = 0; b < R; b++)
    if (b != a && need >> b & 1u) ms += t < 0 ? c[b] : c[(k * R + a) * R + b];
  return ms;
}

double sp_plan_device_bytes(const sp_plan_eval *e, const int *option, double *workspace) {
  const sp_plan_problem *p = e->p;
  double bytes = 0, ws = 0;
  for (int t = -1; t < p->n_layers; t++) {
    int on = 0;
    if (t >= 0) {
      const sp_plan_option *op = &p->layers[t].opt[option[t]];
      on = op->residency != 0;
      if (on) ws = fmax(ws, op->workspace_bytes);
    }
    for (int j = e->cons_first[t + 1]; j < e->cons_first[t + 2] && !on; j++)
      on = p->layers[e->cons[j]].opt[option[e->cons[j]]].residency != 0;
    if (on) bytes += t < 0 ? p->input_bytes : p->layers[t].act_bytes[p->layers[t].opt[option[t]].keep_out];
  }
  if (workspace) *workspace = ws;
  return bytes + ws;
}

static sp_status set_keep(sp_plan_eval *e, int *keep, int g, int k, int l) {
  if (keep[g] < 0) {
    keep[g] = k;
    e->setter[g] = l;
  } else if (keep[g] != k) {
    const sp_plan_problem *p = e->p;
    return sp_fail(SP_ERR_INPUT,
                   "plan: layer %d (%s) wants keep level %d of group %d but layer %d (%s) chose %d", l,
                   p->layers[l].name, k, g, e->setter[g], p->layers[e->setter[g]].name, keep[g]);
  }
  return SP_OK;
}

sp_status sp_plan_eval_run(sp_plan_eval *e, const int *option, int *keep, sp_plan_metrics *m) {
  const sp_plan_problem *p = e->p;
  int L = p->n_layers;
  if (!keep) keep = e->keep;
  for (int g = 0; g < p->n_groups; g++) keep[g] = -1;
  double lat = 0, trans = 0, drop = 0, weights = 0;
  for (int l = 0; l < L; l++) {
    const sp_plan_layer *ly = &p->layers[l];
    if (option[l] < 0 || option[l] >= ly->n_opt)
      return sp_fail(SP_ERR_INPUT, "plan: layer %d (%s): option %d out of range (%d options)", l,
                     ly->name, option[l], ly->n_opt);
    const sp_plan_option *op = &ly->opt[option[l]];
    sp_status st = set_keep(e, keep, ly->g_in, op->keep_in, l);
    if (!st) st = set_keep(e, keep, ly->g_out, op->keep_out, l);
    if (st) return st;
    lat += op->latency_ms;
    drop += op->drop;
    weights += op->weight_bytes;
  }
  for (int t = -1; t < L; t++) trans += sp_plan_copy_ms(e, t, option);
  for (int g = 0; g < p->n_groups; g++)
    if (keep[g] >= 0) drop += p->groups[g].drop[keep[g]];
  /* Activations enter the live set at their producer's step and leave after
   * their last consumer's. */
  double *diff = e->diff;
  memset(diff, 0, (size_t)(L + 1) * sizeof *diff);
  if (e->input_last >= 0) {
    diff[0] += p->input_bytes;
    diff[e->input_last + 1] -= p->input_bytes;
  }
  for (int l = 0; l < L; l++) {
    double a = p->layers[l].act_bytes[keep[p->layers[l].g_out]];
    diff[l] += a;
    diff[e->last[l] + 1] -= a;
  }
  double fixed = weights + sp_plan_device_bytes(e, option, NULL), live = 0, peak = -1;
  int peak_step = 0;
  for (int s = 0; s < L; s++) {
    live += diff[s];
    const sp_plan_option *op = &p->layers[s].opt[option[s]];
    double mem = fixed + live + (op->residency ? 0 : op->workspace_bytes);
    e->step[s] = mem;
    if (mem > peak) {
      peak = mem;
      peak_step = s;
    }
  }
  m->latency_ms = lat + trans;
  m->transition_ms = trans;
  m->peak_bytes = peak;
  m->peak_step = peak_step;
  m->accuracy = p->base_accuracy - drop;
  return SP_OK;
}

sp_status sp_plan_evaluate(const sp_plan_problem *p, const int *option, int *keep, sp_plan_metrics *m) {
  sp_status st = sp_plan_problem_validate(p);
  if (st) return st;
  sp_plan_eval e;
  if ((st = sp_plan_eval_init(&e, p))) return st;
  st = sp_plan_eval_run(&e, option, keep, m);
  sp_plan_eval_free(&e);
  return st;
}

int sp_plan_fits(const sp_plan_bounds *b, const sp_plan_metrics *m) {
  return m->accuracy >= b->min_accuracy - sp_plan_tol(b->min_accuracy) &&
         m->peak_bytes <= b->max_memory + sp_plan_tol(b->max_memory) &&
         m->latency_ms <= b->max_latency + sp_plan_tol(b->max_latency);
}

double sp_plan_objective_value(sp_plan_objective obj, const sp_plan_metrics *m) {
  switch (obj) {
    case SP_PLAN_MIN_MEMORY:
      return m->peak_bytes;
    case SP_PLAN_MAX_ACCURACY:
      return m->accuracy;
    default:
      return m->latency_ms;
  }
}

int sp_plan_better(sp_plan_objective obj, double a, double b) {
  double tol = sp_plan_tol(b);
  return obj == SP_PLAN_MAX_ACCURACY ? a > b + tol : a < b - tol;
}

void sp_plan_lex_order(sp_plan_objective objective, sp_plan_objective order[3]) {
  order[0] = objective;
  switch (objective) {
    case SP_PLAN_MIN_MEMORY:
      order[1] = SP_PLAN_MAX_ACCURACY, order[2] = SP_PLAN_MIN_LATENCY;
      break;
    case SP_PLAN_MAX_ACCURACY:
      order[1] = SP_PLAN_MIN_LATENCY, order[2] = SP_PLAN_MIN_MEMORY;
      break;
    default:
      order[1] = SP_PLAN_MAX_ACCURACY, order[2] = SP_PLAN_MIN_MEMORY;
  }
}

int sp_plan_lex_better(sp_plan_objective objective, const sp_plan_metrics *a, const sp_plan_metrics *b) {
  sp_plan_objective order[3];
  sp_plan_lex_order(objective, order);
  for (int i = 0; i < 3; i++) {
    double va = sp_plan_objective_value(order[i], a), vb = sp_plan_objective_value(order[i], b);
    if (sp_plan_better(order[i], va, vb)) return 1;
    if (sp_plan_better(order[i], vb, va)) return 0;
  }
  return 0;
}

double sp_plan_option_cost(sp_plan_objective metric, const sp_plan_option *op) {
  switch (metric) {
    case SP_PLAN_MIN_MEMORY:
      return op->weight_bytes + op->workspace_bytes;
    case SP_PLAN_MAX_ACCURACY:
      return op->drop;
    default:
      return op->latency_ms;
  }
}

sp_plan_relevance sp_plan_relevant(const sp_plan_problem *p) {
  sp_plan_relevance r;
  r.latency = p->objective == SP_PLAN_MIN_LATENCY || isfinite(p->bounds.max_latency);
  r.memory = p->objective == SP_PLAN_MIN_MEMORY || isfinite(p->bounds.max_memory);
  r.accuracy = p->objective == SP_PLAN_MAX_ACCURACY || isfinite(p->bounds.min_accuracy);
  return r;
}

int sp_plan_accuracy_warning(const sp_plan_problem *p, const sp_plan_metrics *m, char *out, int size) {
  if (!(m->accuracy < 0)) return 0;
  snprintf(out, (size_t)size,
           "the predicted accuracy %.2f%% is meaningless: the additive model summed %.2f pp of drops from a "
           "baseline of %.2f%%; bound it with --min-accuracy",
           m->accuracy, p->base_accuracy - m->accuracy, p->base_accuracy);
  return 1;
}

void sp_plan_free(sp_plan *plan) {
  free(plan->option);
  free(plan->keep);
  memset(plan, 0, sizeof *plan);
}

sp_status sp_plan_prepare(sp_plan *plan, const sp_plan_problem *p) {
  sp_plan_free(plan);
  plan->option = malloc((size_t)p->n_layers * sizeof *plan->option);
  plan->keep = malloc((size_t)p->n_groups * sizeof *plan->keep);
  if (!plan->option || !plan->keep) {
    sp_plan_free(plan);
    return sp_fail(SP_ERR_RUNTIME, "plan: out of memory");
  }
  for (int l = 0; l < p->n_layers; l++) plan->option[l] = -1;
  for (int g = 0; g < p->n_groups; g++) plan->keep[g] = -1;
  plan->n_layers = p->n_layers;
  plan->n_groups = p->n_groups;
  plan->result = SP_PLAN_UNSUPPORTED;
  plan->bound = NAN;
  for (int l = 0; l < p->n_layers; l++) plan->options_total += p->layers[l].n_opt;
  plan->options_used = plan->options_total;
  return SP_OK;
}

sp_status sp_plan_store(sp_plan *plan, const sp_plan_problem *p, const int *option) {
  sp_plan_eval e;
  sp_status st = sp_plan_eval_init(&e, p);
  if (st) return st;
  st = sp_plan_eval_run(&e, option, plan->keep, &plan->metrics);
  sp_plan_eval_free(&e);
  if (st) return st;
  if (plan->option != option) memcpy(plan->option, option, (size_t)p->n_layers * sizeof *option);
  plan->objective = sp_plan_objective_value(p->objective, &plan->metrics);
  plan->has_plan = 1;
  return SP_OK;
}
