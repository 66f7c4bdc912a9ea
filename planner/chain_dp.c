/* Exact dynamic programme for chain networks. The state after layer l is
 * (keep level of its output group, its residency). Latency and accuracy are
 * additive along the chain, but peak memory is total weights + the largest
 * step-local term, and the bounds couple everything; so each state keeps the
 * Pareto set of labels (latency, drop, weights, local peak) over the metrics
 * the objective and bounds use. Dominated labels can never complete into a
 * better feasible plan, so the answer is exact; only the label count limits
 * what it accepts. */
#include "planner/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct label {
  double lat, drop;
  double w;    /* held for the whole run: weights and device tensors */
  double dws;  /* the device workspace: the largest device option's */
  double mloc; /* the largest step-local memory: live activations + host workspace */
  int parent, option;
} label;

typedef struct vec {
  int *v;
  int n, cap;
} vec;

typedef struct dp {
  const sp_plan_problem *p;
  sp_plan_relevance rel;
  label *arena;
  long n, cap, max_labels;
  double budget;
  /* Lower bounds of what layers l.. add (index l), and the greedy plan's
   * objective: a label that cannot finish within the bounds, or only worse
   * than that plan, is dropped early. Keeps the Pareto sets small. */
  double *suf_lat, *suf_drop, *suf_w, *suf_m;
  double incumbent;
} dp;

static int dominates(const dp *d, const label *a, const label *b) {
  return (!d->rel.latency || a->lat <= b->lat) && (!d->rel.accuracy || a->drop <= b->drop) &&
         (!d->rel.memory || (a->w <= b->w && a->dws <= b->dws && a->mloc <= b->mloc));
}

/* Adds c to state s unless a label there dominates it; evicts what it dominates.
 * Returns 0 when out of memory or over the label limit. */
static int insert(dp *d, vec *s, const label *c) {
  for (int i = 0; i < s->n; i++)
    if (dominates(d, &d->arena[s->v[i]], c)) return 1;
  for (int i = 0; i < s->n;)
    if (dominates(d, c, &d->arena[s->v[i]]))
      s->v[i] = s->v[--s->n];
    else
      i++;
  if (d->n == d->max_labels) return 0;
  if (d->n == d->cap) {
    long cap = d->cap ? 2 * d->cap : 1024;
    label *a = realloc(d->arena, (size_t)cap * sizeof *a);
    if (!a) return 0;
    d->arena = a, d->cap = cap;
  }
  if (s->n == s->cap) {
    int cap = s->cap ? 2 * s->cap : 4;
    int *v = realloc(s->v, (size_t)cap * sizeof *v);
    if (!v) return 0;
    s->v = v, s->cap = cap;
  }
  d->arena[d->n] = *c;
  s->v[s->n++] = (int)d->n++;
  return 1;
}

/* Why p is not a chain the DP accepts, or NULL. */
static const char *not_chain(const sp_plan_problem *p) {
  if (p->layers[0].n_pred != 0) return "layer 0 has predecessors";
  for (int l = 1; l < p->n_layers; l++)
    if (p->layers[l].n_pred != 1 || p->layers[l].pred[0] != l - 1)
      return "a layer does not read exactly the layer before it";
  /* Group g at boundary i (output of layer i-1) must not reappear after a run. */
  for (int l = 1; l < p->n_layers; l++) {
    int g = p->layers[l].g_out;
    if (g == p->layers[l].g_in) continue;
    for (int j = 0; j <= l; j++)
      if (p->layers[j].g_in == g) return "a channel group spans non-consecutive layers";
  }
  return NULL;
}

/* Suffix lower bounds and the greedy incumbent (INFINITY if none). */
static sp_status bounds_init(dp *d) {
  const sp_plan_problem *p = d->p;
  int L = p->n_layers;
  double *buf = calloc(4 * ((size_t)L + 1), sizeof *buf);
  if (!buf) return sp_fail(SP_ERR_RUNTIME, "plan: out of memory");
  d->suf_lat = buf, d->suf_drop = buf + L + 1, d->suf_w = buf + 2 * (L + 1),
  d->suf_m = buf + 3 * (L + 1);
  for (int l = L - 1; l >= 0; l--) {
    const sp_plan_layer *ly = &p->layers[l];
    double lat = INFINITY, drop = INFINITY, w = INFINITY, m = INFINITY, gdrop = INFINITY;
    for (int o = 0; o < ly->n_opt; o++) {
      const sp_plan_option *op = &ly->opt[o];
      double in = l == 0 ? p->input_bytes : p->layers[l - 1].act_bytes[op->keep_in];
      lat = fmin(lat, op->latency_ms), drop = fmin(drop, op->drop), w = fmin(w, op->weight_bytes);
      m = fmin(m, in + ly->act_bytes[op->keep_out] + (op->residency ? 0 : op->workspace_bytes));
    }
    for (int k = 0; k < p->groups[ly->g_out].n_keep; k++)
      gdrop = fmin(gdrop, p->groups[ly->g_out].drop[k]);
    d->suf_lat[l] = d->suf_lat[l + 1] + lat;
    d->suf_drop[l] = d->suf_drop[l + 1] + drop + (ly->g_out != ly->g_in ? gdrop : 0);
    d->suf_w[l] = d->suf_w[l + 1] + w;
    d->suf_m[l] = fmax(d->suf_m[l + 1], m);
  }
  sp_plan g = {0};
  sp_status st = sp_plan_greedy(p, &g);
  d->incumbent = INFINITY;
  if (!st && g.result == SP_PLAN_FEASIBLE)
    d->incumbent = p->objective == SP_PLAN_MIN_LATENCY  ? g.metrics.latency_ms
                   : p->objective == SP_PLAN_MIN_MEMORY ? g.metrics.peak_bytes
                                                        : p->base_accuracy - g.metrics.accuracy;
  sp_plan_free(&g);
  return st;
}

static int state_of(const sp_plan_problem *p, int k, int r) { return k * (p->n_res + 1) + r; }

/* In a chain each tensor has one reader: the copy of layer l's input (at
 * keep level k, from residency r; r == n_res: the network input, on the
 * host) to op's residency, and for the last layer its output's to the host. */
static double copy_in(const sp_plan_problem *p, int l, int k, int r, const sp_plan_option *op) {
  int R = p->n_res, b = op->residency;
  double ms = 0;
  if (r == R && b != 0 && p->input_copy) ms += p->input_copy[b];
  const double *c = l > 0 ? p->layers[l - 1].copy : NULL;
  if (r < R && r != b && c) ms += c[(k * R + r) * R + b];
  c = p->layers[l].copy;
  if (l == p->n_layers - 1 && b != 0 && c) ms += c[(op->keep_out * R + b) * R + 0];
  return ms;
}

/* Extends every label of `cur` (states at layer l's input) by layer l's
 * options into `next`. */
static int extend(dp *d, int l, vec *cur, vec *next) {
  const sp_plan_problem *p = d->p;
  const sp_plan_layer *ly = &p->layers[l];
  const sp_plan_bounds *b = &p->bounds;
  int R = p->n_res;
  for (int k = 0; k < p->groups[ly->g_in].n_keep; k++)
    for (int r = 0; r <= R; r++) {
      vec *s = &cur[state_of(p, k, r)];
      double act_in = l == 0 ? p->input_bytes : p->layers[l - 1].act_bytes[k];
      for (int i = 0; i < s->n; i++)
        for (int o = 0; o < ly->n_opt; o++) {
          const sp_plan_option *op = &ly->opt[o];
          if (op->keep_in != k) continue;
          label c = d->arena[s->v[i]];
          c.parent = s->v[i];
          c.option = o;
          c.lat += op->latency_ms + copy_in(p, l, k, r, op);
          c.drop += op->drop + (ly->g_out != ly->g_in ? p->groups[ly->g_out].drop[op->keep_out] : 0);
          c.w += op->weight_bytes;
          /* device memory (the whole run): the input tensor if a device
           * writes (r) or reads it, the network output if a device writes it */
          int dev = op->residency != 0;
          if (dev || (r != 0 && r < R)) c.w += act_in;
          if (dev && l == p->n_layers - 1) c.w += ly->act_bytes[op->keep_out];
          if (dev) c.dws = fmax(c.dws, op->workspace_bytes);
          c.mloc = fmax(c.mloc, act_in + ly->act_bytes[op->keep_out] + (dev ? 0 : op->workspace_bytes));
          double lat = c.lat + d->suf_lat[l + 1], drop = c.drop + d->suf_drop[l + 1];
          double peak = c.w + d->suf_w[l + 1] + c.dws + fmax(c.mloc, d->suf_m[l + 1]);
          double obj = p->objective == SP_PLAN_MIN_LATENCY  ? lat
                       : p->objective == SP_PLAN_MIN_MEMORY ? peak
                                                            : drop;
          if (lat > b->max_latency + sp_plan_tol(b->max_latency) ||
              drop > d->budget + sp_plan_tol(d->budget) ||
              peak > b->max_memory + sp_plan_tol(b->max_memory) ||
              obj > d->incumbent + sp_plan_tol(d->incumbent))
            continue;
          if (!insert(d, &next[state_of(p, op->keep_out, op->residency)], &c)) return 0;
        }
    }
  return 1;
}

sp_status sp_plan_chain_dp(const sp_plan_problem *p, long max_labels, sp_plan *plan) {
  sp_status st = sp_plan_problem_validate(p);
  if (st || (st = sp_plan_prepare(plan, p))) return st;
  const char *why = not_chain(p);
  if (why) {
    snprintf(plan->message, sizeof plan->message, "chain DP: not a chain: %s", why);
    return SP_OK;
  }
  double t0 = sp_plan_now();
  dp d = {.p = p, .rel = sp_plan_relevant(p), .max_labels = max_labels > 0 ? max_labels : 2000000};
  d.budget = isfinite(p->bounds.min_accuracy) ? p->base_accuracy - p->bounds.min_accuracy : INFINITY;
  int maxk = 1, L = p->n_layers, R = p->n_res;
  for (int g = 0; g < p->n_groups; g++) maxk = p->groups[g].n_keep > maxk ? p->groups[g].n_keep : maxk;
  int nstates = maxk * (R + 1);
  if ((st = bounds_init(&d))) {
    free(d.suf_lat);
    return st;
  }
  vec *cur = calloc((size_t)nstates, sizeof *cur), *next = calloc((size_t)nstates, sizeof *next);
  int *choice = malloc((size_t)L * sizeof *choice);
  int ok = cur && next && choice;
  label start = {.drop = p->groups[p->layers[0].g_in].drop[0], .parent = -1, .option = -1};
  ok = ok && insert(&d, &cur[state_of(p, 0, R)], &start);
  for (int l = 0; l < L && ok; l++) {
    for (int s = 0; s < nstates; s++) next[s].n = 0;
    ok = extend(&d, l, cur, next);
    vec *t = cur;
    cur = next, next = t;
  }
  if (!ok && (!cur || !next || !choice || d.n < d.max_labels)) {
    st = sp_fail(SP_ERR_RUNTIME, "plan: out of memory");
  } else if (!ok) {
    snprintf(plan->message, sizeof plan->message, "chain DP: more than %ld Pareto labels", d.max_labels);
  } else {
    int best = -1;
    double best_obj = 0;
    for (int s = 0; s < nstates; s++)
      for (int i = 0; i < cur[s].n; i++) {
        const label *c = &d.arena[cur[s].v[i]];
        sp_plan_metrics m = {
            .latency_ms = c->lat, .peak_bytes = c->w + c->dws + c->mloc, .accuracy = p->base_accuracy - c->drop};
        double obj = sp_plan_objective_value(p->objective, &m);
        if (best < 0 || sp_plan_better(p->objective, obj, best_obj)) best = cur[s].v[i], best_obj = obj;
      }
    if (best < 0) {
      plan->result = SP_PLAN_INFEASIBLE;
      snprintf(plan->message, sizeof plan->message, "infeasible: no chain plan meets the bounds");
    } else {
      for (int l = L - 1, i = best; l >= 0; l--, i = d.arena[i].parent) choice[l] = d.arena[i].option;
      st = sp_plan_store(plan, p, choice);
      plan->result = SP_PLAN_OPTIMAL;
      plan->bound = plan->objective;
    }
  }
  for (int s = 0; s < nstates && cur && next; s++) free(cur[s].v), free(next[s].v);
  free(cur);
  free(next);
  free(choice);
  free(d.arena);
  free(d.suf_lat);
  plan->solve_s = sp_plan_now() - t0;
  return st;
}
