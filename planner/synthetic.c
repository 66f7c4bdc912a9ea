/* Random planning problems shaped like CNNs: see synthetic.h. */
#include "planner/synthetic.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/core/rng.h"
#include "planner/internal.h"

void sp_plan_synth_init(sp_plan_synth *s) {
  *s = (sp_plan_synth){.n_layers = 10,
                       .min_options = 1,
                       .max_options = 8,
                       .dag = 0,
                       .n_res = 2,
                       .transitions = 1,
                       .max_keep = 4,
                       .acc_frac = -1,
                       .mem_frac = -1,
                       .lat_frac = -1,
                       .objective = SP_PLAN_MIN_LATENCY,
                       .seed = 1};
}

static double unif(sp_rng *r, double lo, double hi) { return lo + (hi - lo) * sp_rng_uniform(r); }
static int pick(sp_rng *r, int n) { return (int)(sp_rng_next(r) % (uint64_t)n); }

/* The graph: groups and edges of plain layers, depthwise-like layers that
 * share their input's group, and residual blocks a -> b -> add(b, skip). */
typedef struct shape {
  int *g_in, *g_out, *n_pred, (*pred)[SP_PLAN_MAX_PRED];
  int n_groups;
  char *stage; /* [groups] residual-stage groups (pruned less often) */
} shape;

static void add_layer(shape *sh, int l, int g_in, int g_out, int p0, int p1) {
  sh->g_in[l] = g_in;
  sh->g_out[l] = g_out;
  sh->n_pred[l] = (p0 >= 0) + (p1 >= 0);
  sh->pred[l][0] = p0 >= 0 ? p0 : p1;
  sh->pred[l][1] = p1;
}

static void make_shape(const sp_plan_synth *s, sp_rng *r, shape *sh) {
  int L = s->n_layers, cur, g;
  sh->n_groups = 1; /* group 0: the network input */
  add_layer(sh, 0, 0, sh->n_groups++, -1, -1);
  cur = 0, g = sh->g_out[0];
  for (int l = 1; l < L;) {
    int left = L - l;
    if (s->dag && left >= 3 && sp_rng_uniform(r) < 0.5f) {
      int proj = left >= 4 && sp_rng_uniform(r) < 0.3f;
      int ga = sh->n_groups++, gs = proj ? sh->n_groups++ : g;
      sh->stage[gs] = 1;
      add_layer(sh, l, g, ga, cur, -1);
      add_layer(sh, l + 1, ga, gs, l, -1);
      if (proj) add_layer(sh, l + 2, g, gs, cur, -1);
      add_layer(sh, l + 2 + proj, gs, gs, l + 1, proj ? l + 2 : cur);
      cur = l + 2 + proj, g = gs, l += 3 + proj;
    } else {
      int shared = sp_rng_uniform(r) < 0.2f;
      int go = shared ? g : sh->n_groups++;
      add_layer(sh, l, g, go, cur, -1);
      cur = l++, g = go;
    }
  }
}

static sp_status make_groups(const sp_plan_synth *s, sp_rng *r, const shape *sh, sp_plan_problem *p) {
  static const double levels[] = {1.0, 0.75, 0.5, 0.25};
  for (int g = 0; g < p->n_groups; g++) {
    double prunable = sh->stage[g] ? 0.3 : 0.7;
    int n = g == 0 || sp_rng_uniform(r) >= prunable ? 1 : 1 + pick(r, s->max_keep);
    sp_status st = sp_plan_group_init(p, g, n);
    if (st) return st;
    double scale = unif(r, 0.5, 6);
    for (int k = 0; k < n; k++) {
      p->groups[g].keep[k] = levels[k];
      p->groups[g].drop[k] = scale * pow(1 - levels[k], 1.5) * unif(r, 0.7, 1.3);
    }
  }
  return SP_OK;
}

static const char *variant_name[] = {"direct", "im2col", "winograd", "sparse", "ternary"};

/* Option o of layer l: option 0 is the dense baseline at full keep on the
 * host, so that a plan always exists when the bounds allow. */
static void make_option(sp_rng *r, sp_plan_problem *p, int l, int o, double B, double W, double A) {
  sp_plan_layer *ly = &p->layers[l];
  sp_plan_option *op = &ly->opt[o];
  int join = ly->n_pred == 2;
  op->keep_in = o ? pick(r, p->groups[ly->g_in].n_keep) : 0;
  op->keep_out = ly->g_in == ly->g_out ? op->keep_in : o ? pick(r, p->groups[ly->g_out].n_keep) : 0;
  op->residency = o ? pick(r, p->n_res) : 0;
  double f = p->groups[ly->g_in].keep[op->keep_in] * p->groups[ly->g_out].keep[op->keep_out];
  int v = o == 0 || join ? 0 : pick(r, 5);
  double lat = B * f, wb = join ? 0 : W * f, ws = 0, drop = 0;
  switch (v) {
    case 0:
      lat *= o ? unif(r, 0.8, 1.3) : 1;
      break;
    case 1:
      lat *= unif(r, 0.5, 0.9), ws = A * unif(r, 1, 4) * p->groups[ly->g_in].keep[op->keep_in];
      break;
    case 2:
      lat *= unif(r, 0.35, 0.7), ws = W * unif(r, 0.5, 2), wb *= 1.8;
      break;
    case 3: {
      double sp = unif(r, 0.3, 0.9);
      lat *= unif(r, 0.5, 1.5) * (1 - 0.6 * sp), wb *= 1.5 * (1 - sp), drop = sp * sp * unif(r, 0.2, 2);
      break;
    }
    default:
      lat *= unif(r, 0.4, 1), wb *= 1.1 / 16, drop = unif(r, 0.5, 3);
      break;
  }
  if (op->residency > 0) lat *= unif(r, 0.3, 0.8);
  op->latency_ms = lat;
  op->weight_bytes = round(wb * 1e6);
  op->workspace_bytes = round(ws * 1e6);
  op->drop = drop;
  snprintf(op->label, sizeof op->label, "%s/r%d/k%d-%d", variant_name[v], op->residency, op->keep_in,
           op->keep_out);
}

static sp_status make_layer(const sp_plan_synth *s, sp_rng *r, const shape *sh, sp_plan_problem *p,
                            int l) {
  int n = s->min_options + pick(r, s->max_options - s->min_options + 1);
  sp_status st =
      sp_plan_layer_init(p, l, sh->g_in[l], sh->g_out[l], sh->n_pred[l], sh->pred[l], n, s->transitions);
  if (st) return st;
  sp_plan_layer *ly = &p->layers[l];
  snprintf(ly->name, sizeof ly->name, "%s%d", ly->n_pred == 2 ? "add" : "conv", l);
  double B = unif(r, 0.1, 2), W = unif(r, 0.01, 2), A = unif(r, 0.05, 1);
  for (int k = 0; k < p->groups[ly->g_out].n_keep; k++)
    ly->act_bytes[k] = round(A * 1e6 * p->groups[ly->g_out].keep[k]);
  for (int o = 0; o < n; o++) make_option(r, p, l, o, B, W, A);
  /* copies of its output: proportional to the kept size, per residency pair */
  int R = p->n_res;
  for (int a = 0; a < R && ly->copy; a++)
    for (int b = 0; b < R; b++) {
      double rate = a == b ? 0 : unif(r, 0.2, 1);
      for (int k = 0; k < p->groups[ly->g_out].n_keep; k++)
        ly->copy[(k * R + a) * R + b] = ly->act_bytes[k] * 1e-6 * rate;
    }
  return SP_OK;
}

/* Optimistic and pessimistic sums of per-layer extremes of each metric. */
static void place_bounds(const sp_plan_synth *s, sp_plan_problem *p) {
  double dlo = 0, dhi = 0, llo = 0, lhi = 0, wlo = 0, whi = 0, mlo = 0, mhi = 0;
  sp_plan_eval ev;
  if (sp_plan_eval_init(&ev, p)) return;
  for (int g = 0; g < p->n_groups; g++) {
    double mx = 0;
    for (int k = 0; k < p->groups[g].n_keep; k++) mx = fmax(mx, p->groups[g].drop[k]);
    dhi += mx;
  }
  for (int l = 0; l < p->n_layers; l++) {
    const sp_plan_layer *ly = &p->layers[l];
    double d0 = INFINITY, d1 = 0, l0 = INFINITY, l1 = 0, w0 = INFINITY, w1 = 0, s0 = INFINITY, s1 = 0;
    for (int o = 0; o < ly->n_opt; o++) {
      const sp_plan_option *op = &ly->opt[o];
      d0 = fmin(d0, op->drop), d1 = fmax(d1, op->drop);
      l0 = fmin(l0, op->latency_ms), l1 = fmax(l1, op->latency_ms);
      w0 = fmin(w0, op->weight_bytes), w1 = fmax(w1, op->weight_bytes);
      s0 = fmin(s0, op->workspace_bytes), s1 = fmax(s1, op->workspace_bytes);
    }
    double t = 0; /* at most one copy to each other residency */
    for (int a = 0; ly->copy && a < p->groups[ly->g_out].n_keep * p->n_res * p->n_res; a++)
      t = fmax(t, ly->copy[a]);
    lhi += t * (p->n_res - 1);
    double alo = ev.input_last >= l ? p->input_bytes : 0, ahi = alo;
    for (int t = 0; t <= l; t++) {
      if (ev.last[t] < l) continue;
      const double *a = p->layers[t].act_bytes;
      int n = p->groups[p->layers[t].g_out].n_keep;
      alo += a[n - 1], ahi += a[0];
    }
    dlo += d0, dhi += d1, llo += l0, lhi += l1, wlo += w0, whi += w1;
    mlo = fmax(mlo, alo + s0), mhi = fmax(mhi, ahi + s1);
  }
  sp_plan_eval_free(&ev);
  if (s->acc_frac >= 0) p->bounds.min_accuracy = p->base_accuracy - (dlo + s->acc_frac * (dhi - dlo));
  if (s->mem_frac >= 0) p->bounds.max_memory = wlo + mlo + s->mem_frac * (whi + mhi - wlo - mlo);
  if (s->lat_frac >= 0) p->bounds.max_latency = llo + s->lat_frac * (lhi - llo);
}

sp_status sp_plan_synthetic(const sp_plan_synth *s, sp_plan_problem *p) {
  int L = s->n_layers;
  if (L < 1 || s->min_options < 1 || s->max_options < s->min_options || s->n_res < 1 ||
      s->n_res > SP_PLAN_MAX_RES || s->max_keep < 1 || s->max_keep > 4)
    return sp_fail(SP_ERR_INPUT,
                   "synthetic plan problem: bad parameters (%d layers, %d..%d options, %d residencies, "
                   "%d keep levels)",
                   L, s->min_options, s->max_options, s->n_res, s->max_keep);
  sp_rng r;
  sp_rng_seed(&r, s->seed * 0x9E3779B97F4A7C15ull + 12345);
  shape sh = {0};
  sh.g_in = malloc((size_t)L * sizeof(int));
  sh.g_out = malloc((size_t)L * sizeof(int));
  sh.n_pred = malloc((size_t)L * sizeof(int));
  sh.pred = malloc((size_t)L * sizeof *sh.pred);
  sh.stage = calloc((size_t)L + 2, 1);
  sp_status st = SP_OK;
  if (!sh.g_in || !sh.g_out || !sh.n_pred || !sh.pred || !sh.stage) {
    st = sp_fail(SP_ERR_RUNTIME, "synthetic plan problem: out of memory");
  } else {
    make_shape(s, &r, &sh);
    st = sp_plan_problem_init(p, sh.n_groups, L, s->n_res);
  }
  if (!st) {
    p->base_accuracy = 92.0;
    p->input_bytes = round(unif(&r, 0.05, 0.5) * 1e6);
    p->objective = s->objective;
    st = make_groups(s, &r, &sh, p);
    for (int l = 0; l < L && !st; l++) st = make_layer(s, &r, &sh, p, l);
    for (int b = 1; !st && s->transitions && b < s->n_res; b++)
      p->input_copy[b] = p->input_bytes * 1e-6 * unif(&r, 0.2, 1);
    if (!st) place_bounds(s, p);
    if (!st) st = sp_plan_problem_validate(p);
    if (st) sp_plan_problem_free(p);
  }
  free(sh.g_in), free(sh.g_out), free(sh.n_pred), free(sh.pred), free(sh.stage);
  return st;
}
