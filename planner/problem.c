/* Building, freeing and validating a planning problem. */
#include "planner/problem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sp_status sp_plan_problem_init(sp_plan_problem *p, int n_groups, int n_layers, int n_res) {
  memset(p, 0, sizeof *p);
  if (n_groups < 1 || n_layers < 1 || n_res < 1 || n_res > SP_PLAN_MAX_RES)
    return sp_fail(SP_ERR_INPUT,
                   "plan problem: need >= 1 group, >= 1 layer and 1..%d residencies (got %d, %d, %d)",
                   SP_PLAN_MAX_RES, n_groups, n_layers, n_res);
  p->groups = calloc((size_t)n_groups, sizeof *p->groups);
  p->layers = calloc((size_t)n_layers, sizeof *p->layers);
  if (n_res > 1) p->input_copy = calloc((size_t)n_res, sizeof *p->input_copy);
  if (!p->groups || !p->layers || (n_res > 1 && !p->input_copy)) {
    free(p->groups);
    free(p->layers);
    free(p->input_copy);
    memset(p, 0, sizeof *p);
    return sp_fail(SP_ERR_RUNTIME, "plan problem: out of memory");
  }
  p->n_groups = n_groups;
  p->n_layers = n_layers;
  p->n_res = n_res;
  p->base_accuracy = 100.0;
  p->bounds.min_accuracy = -INFINITY;
  p->bounds.max_memory = INFINITY;
  p->bounds.max_latency = INFINITY;
  p->objective = SP_PLAN_MIN_LATENCY;
  return SP_OK;
}

sp_status sp_plan_group_init(sp_plan_problem *p, int g, int n_keep) {
  if (g < 0 || g >= p->n_groups || n_keep < 1)
    return sp_fail(SP_ERR_INPUT, "plan problem: bad group %d or keep count %d", g, n_keep);
  sp_plan_group *gr = &p->groups[g];
  free(gr->keep);
  free(gr->drop);
  gr->keep = malloc((size_t)n_keep * sizeof *gr->keep);
  gr->drop = calloc((size_t)n_keep, sizeof *gr->drop);
  if (!gr->keep || !gr->drop) return sp_fail(SP_ERR_RUNTIME, "plan problem: out of memory");
  for (int k = 0; k < n_keep; k++) gr->keep[k] = 1.0;
  gr->n_keep = n_keep;
  return SP_OK;
}

sp_status sp_plan_layer_init(sp_plan_problem *p, int l, int g_in, int g_out, int n_pred, const int *pred,
                             int n_opt, int with_trans) {
  if (l < 0 || l >= p->n_layers || n_pred < 0 || n_pred > SP_PLAN_MAX_PRED || n_opt < 1 || g_out < 0 ||
      g_out >= p->n_groups || p->groups[g_out].n_keep < 1)
    return sp_fail(SP_ERR_INPUT, "plan problem: bad layer %d (g_out %d, %d preds, %d options)", l, g_out,
                   n_pred, n_opt);
  sp_plan_layer *ly = &p->layers[l];
  ly->g_in = g_in;
  ly->g_out = g_out;
  ly->n_pred = n_pred;
  for (int i = 0; i < n_pred; i++) ly->pred[i] = pred[i];
  size_t rr = (size_t)p->n_res * (size_t)p->n_res * (size_t)p->groups[g_out].n_keep;
  free(ly->copy);
  ly->copy = NULL;
  if (with_trans && !(ly->copy = calloc(rr, sizeof(double))))
    return sp_fail(SP_ERR_RUNTIME, "plan problem: out of memory");
  free(ly->act_bytes);
  free(ly->opt);
  ly->act_bytes = calloc((size_t)p->groups[g_out].n_keep, sizeof *ly->act_bytes);
  ly->opt = calloc((size_t)n_opt, sizeof *ly->opt);
  if (!ly->act_bytes || !ly->opt) return sp_fail(SP_ERR_RUNTIME, "plan problem: out of memory");
  ly->n_opt = n_opt;
  if (!ly->name[0]) snprintf(ly->name, sizeof ly->name, "layer%d", l);
  return SP_OK;
}

void sp_plan_problem_free(sp_plan_problem *p) {
  for (int g = 0; g < p->n_groups && p->groups; g++) {
    free(p->groups[g].keep);
    free(p->groups[g].drop);
  }
  for (int l = 0; l < p->n_layers && p->layers; l++) {
    sp_plan_layer *ly = &p->layers[l];
    free(ly->copy);
    free(ly->act_bytes);
    free(ly->opt);
  }
  free(p->groups);
  free(p->layers);
  free(p->input_copy);
  memset(p, 0, sizeof *p);
}

static int bad_nonneg(double v) { return !isfinite(v) || v < 0; }

/* A bound may be absent (infinite the right way) but never NaN. */
static int bad_upper(double v) { return isnan(v) || v < 0 || v == -INFINITY; }

static sp_status validate_group(const sp_plan_problem *p, int g) {
  const sp_plan_group *gr = &p->groups[g];
  if (gr->n_keep < 1 || !gr->keep || !gr->drop)
    return sp_fail(SP_ERR_INPUT, "plan problem: group %d has no keep levels", g);
  for (int k = 0; k < gr->n_keep; k++) {
    if (!(gr->keep[k] > 0 && gr->keep[k] <= 1))
      return sp_fail(SP_ERR_INPUT, "plan problem: group %d keep level %d is %g, not in (0, 1]", g, k,
                     gr->keep[k]);
    if (bad_nonneg(gr->drop[k]))
      return sp_fail(SP_ERR_INPUT, "plan problem: group %d keep level %d has accuracy drop %g", g, k,
                     gr->drop[k]);
  }
  return SP_OK;
}

static sp_status validate_option(const sp_plan_problem *p, int l, int o) {
  const sp_plan_layer *ly = &p->layers[l];
  const sp_plan_option *op = &ly->opt[o];
  int nin = p->groups[ly->g_in].n_keep, nout = p->groups[ly->g_out].n_keep;
  const char *why = NULL;
  if (op->keep_in < 0 || op->keep_in >= nin)
    why = "keep_in out of range of its input group";
  else if (op->keep_out < 0 || op->keep_out >= nout)
    why = "keep_out out of range of its output group";
  else if (ly->g_in == ly->g_out && op->keep_in != op->keep_out)
    why = "keep_in != keep_out although input and output share a group";
  else if (op->residency < 0 || op->residency >= p->n_res)
    why = "residency out of range";
  else if (bad_nonneg(op->latency_ms))
    why = "latency negative or not finite";
  else if (bad_nonneg(op->weight_bytes))
    why = "weight bytes negative or not finite";
  else if (bad_nonneg(op->workspace_bytes))
    why = "workspace bytes negative or not finite";
  else if (bad_nonneg(op->drop))
    why = "accuracy drop negative or not finite";
  if (!why) return SP_OK;
  return sp_fail(SP_ERR_INPUT,
                 "plan problem: layer %d (%s) option %d (%s): %s (keep_in %d, keep_out %d, "
                 "residency %d, latency %g, weights %g, workspace %g, drop %g)",
                 l, ly->name, o, op->label, why, op->keep_in, op->keep_out, op->residency,
                 op->latency_ms, op->weight_bytes, op->workspace_bytes, op->drop);
}

static sp_status validate_layer(const sp_plan_problem *p, int l, char *used) {
  const sp_plan_layer *ly = &p->layers[l];
  if (ly->g_in < 0 || ly->g_in >= p->n_groups || ly->g_out < 0 || ly->g_out >= p->n_groups)
    return sp_fail(
        SP_ERR_INPUT,
        "plan problem: layer %d (%s): group index out of range (g_in %d, g_out %d, %d groups)", l,
        ly->name, ly->g_in, ly->g_out, p->n_groups);
  used[ly->g_in] = used[ly->g_out] = 1;
  if (ly->n_pred < 0 || ly->n_pred > SP_PLAN_MAX_PRED)
    return sp_fail(SP_ERR_INPUT, "plan problem: layer %d (%s): %d predecessors (0..%d)", l, ly->name,
                   ly->n_pred, SP_PLAN_MAX_PRED);
  const sp_plan_group *gin = &p->groups[ly->g_in];
  if (ly->n_pred == 0 && (gin->n_keep != 1 || gin->keep[0] != 1.0))
    return sp_fail(SP_ERR_INPUT,
                   "plan problem: layer %d (%s) reads the network input, so its group %d must have the "
                   "one keep level 1.0",
                   l, ly->name, ly->g_in);
  for (int i = 0; i < ly->n_pred; i++) {
    int q = ly->pred[i];
    if (q < 0 || q >= l)
      return sp_fail(SP_ERR_INPUT, "plan problem: layer %d (%s): predecessor %d is not an earlier layer",
                     l, ly->name, q);
    if (i == 1 && q == ly->pred[0])
      return sp_fail(SP_ERR_INPUT, "plan problem: layer %d (%s): predecessor %d given twice", l,
                     ly->name, q);
    if (p->layers[q].g_out != ly->g_in)
      return sp_fail(SP_ERR_INPUT,
                     "plan problem: layer %d (%s): input group %d differs from predecessor %d's (%s) "
                     "output group %d",
                     l, ly->name, ly->g_in, q, p->layers[q].name, p->layers[q].g_out);
  }
  int R = p->n_res;
  for (int a = 0; ly->copy && a < p->groups[ly->g_out].n_keep * R * R; a++)
    if (bad_nonneg(ly->copy[a]))
      return sp_fail(SP_ERR_INPUT,
                     "plan problem: layer %d (%s): copy of its output at keep level %d from %d to %d costs %g",
                     l, ly->name, a / (R * R), a / R % R, a % R, ly->copy[a]);
  if (!ly->act_bytes || ly->n_opt < 1 || !ly->opt)
    return sp_fail(SP_ERR_INPUT, "plan problem: layer %d (%s) has no options", l, ly->name);
  for (int k = 0; k < p->groups[ly->g_out].n_keep; k++)
    if (bad_nonneg(ly->act_bytes[k]))
      return sp_fail(SP_ERR_INPUT, "plan problem: layer %d (%s): output bytes at keep level %d are %g",
                     l, ly->name, k, ly->act_bytes[k]);
  for (int o = 0; o < ly->n_opt; o++) {
    sp_status st = validate_option(p, l, o);
    if (st) return st;
  }
  return SP_OK;
}

sp_status sp_plan_problem_validate(const sp_plan_problem *p) {
  if (!p || p->n_groups < 1 || p->n_layers < 1 || !p->groups || !p->layers)
    return sp_fail(SP_ERR_INPUT, "plan problem: no groups or no layers");
  if (p->n_res < 1 || p->n_res > SP_PLAN_MAX_RES)
    return sp_fail(SP_ERR_INPUT, "plan problem: %d residencies (1..%d)", p->n_res, SP_PLAN_MAX_RES);
  if (bad_nonneg(p->input_bytes) || !isfinite(p->base_accuracy))
    return sp_fail(SP_ERR_INPUT, "plan problem: input bytes %g or base accuracy %g invalid",
                   p->input_bytes, p->base_accuracy);
  for (int b = 0; p->input_copy && b < p->n_res; b++)
    if (bad_nonneg(p->input_copy[b]))
      return sp_fail(SP_ERR_INPUT, "plan problem: copy of the network input to %d costs %g", b, p->input_copy[b]);
  const sp_plan_bounds *b = &p->bounds;
  if (isnan(b->min_accuracy) || b->min_accuracy == INFINITY || bad_upper(b->max_memory) ||
      bad_upper(b->max_latency))
    return sp_fail(SP_ERR_INPUT,
                   "plan problem: bounds invalid (min accuracy %g, max memory %g, max latency %g)",
                   b->min_accuracy, b->max_memory, b->max_latency);
  if ((unsigned)p->objective > SP_PLAN_MAX_ACCURACY)
    return sp_fail(SP_ERR_INPUT, "plan problem: unknown objective %d", (int)p->objective);
  for (int g = 0; g < p->n_groups; g++) {
    sp_status st = validate_group(p, g);
    if (st) return st;
  }
  char *used = calloc((size_t)p->n_groups, 1);
  if (!used) return sp_fail(SP_ERR_RUNTIME, "plan problem: out of memory");
  sp_status st = SP_OK;
  for (int l = 0; l < p->n_layers && !st; l++) st = validate_layer(p, l, used);
  for (int g = 0; g < p->n_groups && !st; g++)
    if (!used[g]) st = sp_fail(SP_ERR_INPUT, "plan problem: group %d is used by no layer", g);
  free(used);
  return st;
}

const char *sp_plan_result_name(sp_plan_result r) {
  switch (r) {
    case SP_PLAN_OPTIMAL:
      return "optimal";
    case SP_PLAN_FEASIBLE:
      return "feasible";
    case SP_PLAN_INFEASIBLE:
      return "infeasible";
    case SP_PLAN_TIME_LIMIT:
      return "time limit";
    case SP_PLAN_GAVE_UP:
      return "gave up";
    case SP_PLAN_UNSUPPORTED:
      return "unsupported";
  }
  return "?";
}

const char *sp_plan_objective_name(sp_plan_objective o) {
  switch (o) {
    case SP_PLAN_MIN_LATENCY:
      return "min latency";
    case SP_PLAN_MIN_MEMORY:
      return "min memory";
    case SP_PLAN_MAX_ACCURACY:
      return "max accuracy";
  }
  return "?";
}
