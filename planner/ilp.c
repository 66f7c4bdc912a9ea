/* The planner's ILP on GLPK, as DESIGN.md "Planner formulation" lays out:
 *   y[g,k] binary   group g keeps level k;              sum_k y[g,k] = 1
 *   x[l,o] binary   layer l runs option o; for each k:   sum_{o: keep_in=k} x[l,o] = y[g_in,k]
 *                                                        (and keep_out with g_out)
 *   w[e,k,a,b] >= 0 edge e's tensor, at keep level k, is on residency a and its reader on b:
 *                   sum_b w = sum_{o of producer: res=a, keep_out=k} x,
 *                   sum_a w = sum_{o of reader: res=b, keep_in=k} x
 *                   (a transportation polytope per keep level)
 *   z[t,k,a,b] >= w[e,k,a,b] for every reader edge e of a tensor t with several readers:
 *                   the executor copies a tensor once per residency and reuses the copy,
 *                   so the copy is paid once (z, or w itself for one reader); the
 *                   network input's copies (z[b] >= its readers' x on b) and the
 *                   output's download (on the last layer's x) likewise
 *   memory          per step s: weights + live activations (linear in y) + workspace_s <= M
 *   accuracy        sum of group and option drops <= base - A_min
 *   objective       latency (sum lat x + sum trans w), or peak P >= every step's
 *                   memory, or drop (max accuracy).
 * One change: the total weight bytes appear in every step's memory row, so
 * they get their own continuous column (one row defines it); otherwise every
 * step row repeats every option's weight and the matrix grows with layers^2 x
 * options. Sizes are in units of 10^6 bytes inside the model (UNIT) to keep
 * coefficients near 1. */
#include "planner/ilp_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GLPK refuses a column twice in a row, so terms are summed here first. */
static void row_add(model *m, int col, double v) {
  if (!col || v == 0) return;
  if (!m->mark[col]) m->mark[col] = 1, m->ind[++m->n] = col;
  m->acc[col] += v;
}

static void row_end(model *m, int type, double lb, double ub) {
  int r = glp_add_rows(m->lp, 1), n = 0;
  for (int i = 1; i <= m->n; i++) {
    int c = m->ind[i];
    if (m->acc[c] != 0) m->ind[++n] = c, m->val[n] = m->acc[c];
    m->acc[c] = 0;
    m->mark[c] = 0;
  }
  glp_set_mat_row(m->lp, r, n, m->ind, m->val);
  glp_set_row_bnds(m->lp, r, type, lb, ub);
  m->n = 0;
}

static int add_cols(model *m, int n, int kind, double lb, double ub) {
  int first = glp_add_cols(m->lp, n);
  for (int j = first; j < first + n; j++) {
    glp_set_col_kind(m->lp, j, kind);
    glp_set_col_bnds(m->lp, j, ub > lb ? GLP_DB : GLP_FX, lb, ub);
  }
  return first;
}

/* Whether tensor t (-1: the network input) has a copy that costs anything. */
static int tensor_costed(const model *m, int t) {
  const sp_plan_problem *p = m->p;
  int R = p->n_res, n = t < 0 ? R : p->groups[p->layers[t].g_out].n_keep * R * R;
  const double *c = t < 0 ? p->input_copy : p->layers[t].copy;
  if (!m->rel.latency || !c) return 0;
  for (int a = 0; a < n; a++)
    if (c[a] != 0) return 1;
  return 0;
}

/* Edges whose copies matter get a transportation block. */
static int edge_costed(const model *m, const sp_plan_layer *ly, int i) { return tensor_costed(m, ly->pred[i]); }

/* Whether a layer on a device may write or read tensor t (-1: the input). */
static int touched(const model *m, int t) {
  const sp_plan_problem *p = m->p;
  int on = 0;
  for (int o = 0; t >= 0 && o < p->layers[t].n_opt; o++) on |= p->layers[t].opt[o].residency != 0;
  for (int j = m->ev->cons_first[t + 1]; j < m->ev->cons_first[t + 2]; j++)
    for (int o = 0, l = m->ev->cons[j]; o < p->layers[l].n_opt; o++) on |= p->layers[l].opt[o].residency != 0;
  return on;
}

static int readers(const model *m, int t) { return m->ev->cons_first[t + 2] - m->ev->cons_first[t + 1]; }

static int n_copy(const sp_plan_problem *p, int t) {
  return t < 0 ? p->n_res : p->groups[p->layers[t].g_out].n_keep * p->n_res * p->n_res;
}

static void build_columns(model *m) {
  const sp_plan_problem *p = m->p;
  for (int g = 0; g < p->n_groups; g++) {
    m->ycol[g] = add_cols(m, p->groups[g].n_keep, GLP_BV, 0, 1);
    for (int k = 0; k < p->groups[g].n_keep; k++)
      if (!m->f->keep_ok[g][k]) glp_set_col_bnds(m->lp, m->ycol[g] + k, GLP_FX, 0, 0);
  }
  for (int l = 0; l < p->n_layers; l++)
    for (int o = 0; o < p->layers[l].n_opt; o++)
      if (m->f->alive[m->f->first[l] + o]) m->xcol[m->f->first[l] + o] = add_cols(m, 1, GLP_BV, 0, 1);
  for (int l = 0; l < p->n_layers; l++)
    for (int i = 0; i < p->layers[l].n_pred; i++)
      if (edge_costed(m, &p->layers[l], i))
        m->wcol[l * SP_PLAN_MAX_PRED + i] = add_cols(m, n_copy(p, p->layers[l].pred[i]), GLP_CV, 0, 1);
  for (int t = -1; t < p->n_layers; t++)
    if (readers(m, t) > 1 && tensor_costed(m, t)) m->zcol[t + 1] = add_cols(m, n_copy(p, t), GLP_CV, 0, 1);

  if (m->rel.memory) m->wtot = add_cols(m, 1, GLP_CV, 0, 1e30);
  for (int t = -1; m->rel.memory && t < p->n_layers; t++)
    if (touched(m, t)) m->vcol[t + 1] = add_cols(m, t < 0 ? 1 : p->groups[p->layers[t].g_out].n_keep, GLP_CV, 0, 1);
  for (int l = 0; m->rel.memory && l < p->n_layers && !m->dws; l++)
    for (int o = 0; o < p->layers[l].n_opt && !m->dws; o++)
      if (p->layers[l].opt[o].residency && p->layers[l].opt[o].workspace_bytes > 0)
        m->dws = add_cols(m, 1, GLP_CV, 0, 1e30);
  if (p->objective == SP_PLAN_MIN_MEMORY) {
    m->pcol = add_cols(m, 1, GLP_CV, 0, 1e30);
    if (isfinite(p->bounds.max_memory))
      glp_set_col_bnds(m->lp, m->pcol, GLP_DB, 0, p->bounds.max_memory * UNIT);
  }
  m->ncols = glp_get_num_cols(m->lp);
}

/* Keep levels tie layers together: a layer's options select its groups' levels. */
static void build_links(model *m) {
  const sp_plan_problem *p = m->p;
  for (int g = 0; g < p->n_groups; g++) {
    for (int k = 0; k < p->groups[g].n_keep; k++) row_add(m, m->ycol[g] + k, 1);
    row_end(m, GLP_FX, 1, 1);
  }
  for (int l = 0; l < p->n_layers; l++) {
    const sp_plan_layer *ly = &p->layers[l];
    for (int side = 0; side < (ly->g_in == ly->g_out ? 1 : 2); side++) {
      int g = side ? ly->g_out : ly->g_in;
      for (int k = 0; k < p->groups[g].n_keep; k++) {
        for (int o = 0; o < ly->n_opt; o++)
          if ((side ? ly->opt[o].keep_out : ly->opt[o].keep_in) == k) row_add(m, opt_col(m, l, o), 1);
        row_add(m, m->ycol[g] + k, -1);
        row_end(m, GLP_FX, 0, 0);
      }
    }
  }
}

/* The transportation polytope of each costed edge, per keep level, and
 * z >= w for the tensors read on several edges. */
static void build_transitions(model *m) {
  const sp_plan_problem *p = m->p;
  int R = p->n_res;
  for (int l = 0; l < p->n_layers; l++) {
    const sp_plan_layer *ly = &p->layers[l];
    for (int i = 0; i < ly->n_pred; i++) {
      int w = m->wcol[l * SP_PLAN_MAX_PRED + i], q = ly->pred[i], z = m->zcol[q + 1];
      if (!w) continue;
      int K = p->groups[p->layers[q].g_out].n_keep;
      for (int k = 0; k < K; k++)
        for (int side = 0; side < 2; side++)
          for (int a = 0; a < R; a++) {
            int layer = side ? l : q;
            for (int b = 0; b < R; b++) row_add(m, w + (k * R + (side ? b : a)) * R + (side ? a : b), 1);
            for (int o = 0; o < p->layers[layer].n_opt; o++) {
              const sp_plan_option *op = &p->layers[layer].opt[o];
              if (op->residency == a && (side ? op->keep_in : op->keep_out) == k)
                row_add(m, opt_col(m, layer, o), -1);
            }
            row_end(m, GLP_FX, 0, 0);
          }
      for (int j = 0; z && j < K * R * R; j++)
        if (j / R % R != j % R) { /* a != b */
          row_add(m, z + j, 1);
          row_add(m, w + j, -1);
          row_end(m, GLP_LO, 0, 0);
        }
    }
  }
  int z = m->zcol[0]; /* the network input, from the host */
  for (int j = m->ev->cons_first[0]; z && j < m->ev->cons_first[1]; j++) {
    int l = m->ev->cons[j];
    for (int b = 1; b < R; b++) {
      row_add(m, z + b, 1);
      for (int o = 0; o < p->layers[l].n_opt; o++)
        if (p->layers[l].opt[o].residency == b) row_add(m, opt_col(m, l, o), -1);
      row_end(m, GLP_LO, 0, 0);
    }
  }
}

static void build_memory(model *m, const sp_plan_eval *ev) {
  const sp_plan_problem *p = m->p;
  if (!m->rel.memory) return;
  /* what the whole run holds: weights, device tensors, device workspace */
  row_add(m, m->wtot, 1);
  for (int l = 0; l < p->n_layers; l++)
    for (int o = 0; o < p->layers[l].n_opt; o++)
      row_add(m, opt_col(m, l, o), -p->layers[l].opt[o].weight_bytes * UNIT);
  for (int t = -1; t < p->n_layers; t++)
    for (int k = 0, v = m->vcol[t + 1]; v && k < (t < 0 ? 1 : p->groups[p->layers[t].g_out].n_keep); k++)
      row_add(m, v + k, -(t < 0 ? p->input_bytes : p->layers[t].act_bytes[k]) * UNIT);
  row_add(m, m->dws, -1);
  row_end(m, GLP_FX, 0, 0);
  /* v[t,k] >= t's producer on a device at level k, and >= each reader's */
  for (int t = -1; t < p->n_layers; t++) {
    int v = m->vcol[t + 1];
    for (int j = m->ev->cons_first[t + 1] - 1; v && j < m->ev->cons_first[t + 2]; j++) {
      int l = j < m->ev->cons_first[t + 1] ? t : m->ev->cons[j];
      if (l < 0) continue; /* the network input has no producer */
      for (int k = 0; k < (t < 0 ? 1 : p->groups[p->layers[t].g_out].n_keep); k++) {
        row_add(m, v + k, 1);
        for (int o = 0; o < p->layers[l].n_opt; o++) {
          const sp_plan_option *op = &p->layers[l].opt[o];
          if (op->residency && (t < 0 || (l == t ? op->keep_out : op->keep_in) == k)) row_add(m, opt_col(m, l, o), -1);
        }
        row_end(m, GLP_LO, 0, 0);
      }
    }
  }
  for (int l = 0; m->dws && l < p->n_layers; l++) {
    row_add(m, m->dws, 1);
    for (int o = 0; o < p->layers[l].n_opt; o++)
      if (p->layers[l].opt[o].residency) row_add(m, opt_col(m, l, o), -p->layers[l].opt[o].workspace_bytes * UNIT);
    row_end(m, GLP_LO, 0, 0);
  }
  for (int s = 0; s < p->n_layers; s++) {
    const sp_plan_layer *ly = &p->layers[s];
    row_add(m, m->wtot, 1);
    for (int o = 0; o < ly->n_opt; o++)
      if (!ly->opt[o].residency) row_add(m, opt_col(m, s, o), ly->opt[o].workspace_bytes * UNIT);
    for (int t = 0; t <= s; t++) {
      if (ev->last[t] < s) continue;
      int g = p->layers[t].g_out;
      for (int k = 0; k < p->groups[g].n_keep; k++)
        row_add(m, m->ycol[g] + k, p->layers[t].act_bytes[k] * UNIT);
    }
    double fixed = ev->input_last >= s ? p->input_bytes * UNIT : 0;
    if (m->pcol) {
      row_add(m, m->pcol, -1);
      row_end(m, GLP_UP, 0, -fixed);
    } else {
      row_end(m, GLP_UP, 0, p->bounds.max_memory * UNIT - fixed);
    }
  }
}

/* Adds the latency or drop expression to the row being built. Copies: on z
 * where a tensor has one, else on its one reader's w; the network input's
 * with one reader and the output's download on the x of that layer. */
static void add_latency(model *m) {
  const sp_plan_problem *p = m->p;
  int R = p->n_res, last = p->n_layers - 1;
  for (int l = 0; l < p->n_layers; l++) {
    const sp_plan_layer *ly = &p->layers[l];
    for (int o = 0; o < ly->n_opt; o++) {
      const sp_plan_option *op = &ly->opt[o];
      double ms = op->latency_ms;
      if (!ly->n_pred && !m->zcol[0] && tensor_costed(m, -1)) ms += p->input_copy[op->residency];
      if (l == last && op->residency && tensor_costed(m, l)) ms += ly->copy[(op->keep_out * R + op->residency) * R];
      row_add(m, opt_col(m, l, o), ms);
    }
    for (int i = 0; i < ly->n_pred; i++) {
      int w = m->wcol[l * SP_PLAN_MAX_PRED + i], q = ly->pred[i];
      for (int j = 0; w && !m->zcol[q + 1] && j < n_copy(p, q); j++)
        if (j / R % R != j % R) row_add(m, w + j, p->layers[q].copy[j]);
    }
  }
  for (int t = -1; t < p->n_layers; t++)
    for (int j = 0, z = m->zcol[t + 1]; z && j < n_copy(p, t); j++)
      if (t < 0 ? j != 0 : j / R % R != j % R) row_add(m, z + j, t < 0 ? p->input_copy[j] : p->layers[t].copy[j]);
}

static void add_drop(model *m) {
  const sp_plan_problem *p = m->p;
  for (int g = 0; g < p->n_groups; g++)
    for (int k = 0; k < p->groups[g].n_keep; k++) row_add(m, m->ycol[g] + k, p->groups[g].drop[k]);
  for (int l = 0; l < p->n_layers; l++)
    for (int o = 0; o < p->layers[l].n_opt; o++) row_add(m, opt_col(m, l, o), p->layers[l].opt[o].drop);
}

static void build_bounds_and_objective(model *m) {
  const sp_plan_problem *p = m->p;
  const sp_plan_bounds *b = &p->bounds;
  if (isfinite(b->min_accuracy)) {
    add_drop(m);
    row_end(m, GLP_UP, 0, p->base_accuracy - b->min_accuracy);
  }
  if (isfinite(b->max_latency)) {
    add_latency(m);
    row_end(m, GLP_UP, 0, b->max_latency);
  }
  if (p->objective == SP_PLAN_MIN_LATENCY)
    add_latency(m);
  else if (p->objective == SP_PLAN_MAX_ACCURACY)
    add_drop(m);
  else
    row_add(m, m->pcol, 1);
  for (int i = 1; i <= m->n; i++) {
    glp_set_obj_coef(m->lp, m->ind[i], m->acc[m->ind[i]]);
    m->acc[m->ind[i]] = 0;
    m->mark[m->ind[i]] = 0;
  }
  m->n = 0;
  glp_set_obj_dir(m->lp, GLP_MIN);
}

void sp_ilp_params_init(sp_ilp_params *params) {
  params->time_limit_s = 60;
  params->verbose = 0;
  params->prune = 1;
  params->warm_start = 1;
  params->nearest = 1;
  params->tie_break = 1;
  params->tie_epsilon = 1e-7;
}

/* Runs GLPK on the built model and reads the plan back. */
static sp_status solve(model *m, const sp_ilp_params *params, sp_plan *plan, double t0) {
  const sp_plan_problem *p = m->p;
  glp_smcp smcp;
  glp_init_smcp(&smcp);
  smcp.msg_lev = params->verbose ? GLP_MSG_ON : GLP_MSG_OFF;
  smcp.tm_lim = (int)fmin(params->time_limit_s * 1000, 2e9);
  glp_scale_prob(m->lp, GLP_SF_AUTO);
  glp_adv_basis(m->lp, 0);
  int ret = glp_simplex(m->lp, &smcp);
  if (ret == 0 && glp_get_status(m->lp) == GLP_NOFEAS) {
    plan->result = SP_PLAN_INFEASIBLE;
    return SP_OK;
  }
  if (ret != 0 || glp_get_status(m->lp) != GLP_OPT)
    return ret == GLP_ETMLIM
               ? (plan->result = SP_PLAN_TIME_LIMIT, SP_OK)
               : sp_fail(SP_ERR_RUNTIME, "plan: GLPK's LP relaxation failed (code %d)", ret);
  glp_iocp iocp;
  glp_init_iocp(&iocp);
  iocp.msg_lev = smcp.msg_lev;
  iocp.mip_gap = 0;
  iocp.presolve = GLP_OFF; /* the warm start must see the model's own columns */
  iocp.tm_lim = (int)fmax(1, fmin((params->time_limit_s - (sp_plan_now() - t0)) * 1000, 2e9));
  iocp.cb_func = sp_ilp_callback;
  iocp.cb_info = m;
  /* Measured on the benchmark's tight instances: GLPK's cuts cost more node
   * time than they save, and preprocessing pays off at the root only. */
  iocp.pp_tech = GLP_PP_ROOT;
  m->bound = NAN;
  m->t_start = sp_plan_now();
  ret = glp_intopt(m->lp, &iocp);
  int status = glp_mip_status(m->lp);
  if (ret != 0 && ret != GLP_ETMLIM)
    return sp_fail(SP_ERR_RUNTIME, "plan: GLPK's branch and bound failed (code %d)", ret);
  if (status == GLP_NOFEAS) {
    plan->result = SP_PLAN_INFEASIBLE;
    return SP_OK;
  }
  plan->result = ret == 0 && status == GLP_OPT ? SP_PLAN_OPTIMAL : SP_PLAN_TIME_LIMIT;
  if (status != GLP_OPT && status != GLP_FEAS) return SP_OK;
  int *choice = plan->option;
  for (int l = 0; l < p->n_layers; l++) {
    choice[l] = -1;
    for (int o = 0; o < p->layers[l].n_opt; o++)
      if (opt_col(m, l, o) && glp_mip_col_val(m->lp, opt_col(m, l, o)) > 0.5) choice[l] = o;
    if (choice[l] < 0)
      return sp_fail(SP_ERR_RUNTIME, "plan: GLPK's solution selects no option for layer %d", l);
  }
  sp_status st = sp_plan_store(plan, p, choice);
  if (st) return st;
  double bound = m->bound;
  if (p->objective == SP_PLAN_MIN_MEMORY) bound /= UNIT;
  if (p->objective == SP_PLAN_MAX_ACCURACY) bound = p->base_accuracy - bound;
  plan->bound = plan->result == SP_PLAN_OPTIMAL || isnan(bound) ? plan->objective : bound;
  plan->gap = fabs(plan->objective - plan->bound) / fmax(fabs(plan->objective), 1e-9);
  return SP_OK;
}

static sp_status solve_once(const sp_plan_problem *p, const sp_ilp_params *params, sp_plan *plan) {
  sp_status st = sp_plan_problem_validate(p);
  if (st || (st = sp_plan_prepare(plan, p))) return st;
  double t0 = sp_plan_now();
  sp_plan_filter f;
  sp_plan_eval ev;
  if ((st = sp_plan_filter_build(&f, p, params->prune))) return st;
  if ((st = sp_plan_eval_init(&ev, p))) {
    sp_plan_filter_free(&f);
    return st;
  }
  plan->options_used = f.n_alive;
  model m = {.p = p, .f = &f, .rel = sp_plan_relevant(p)};
  if (f.empty_layer >= 0) {
    plan->result = SP_PLAN_INFEASIBLE;
    snprintf(plan->message, sizeof plan->message,
             "infeasible: no option of layer %d (%s) can meet the bounds", f.empty_layer,
             p->layers[f.empty_layer].name);
    goto done;
  }
  int total = f.first[p->n_layers];
  m.ycol = calloc((size_t)p->n_groups, sizeof *m.ycol);
  m.xcol = calloc((size_t)total, sizeof *m.xcol);
  m.wcol = calloc((size_t)p->n_layers * SP_PLAN_MAX_PRED, sizeof *m.wcol);
  m.zcol = calloc((size_t)p->n_layers + 1, sizeof *m.zcol);
  m.vcol = calloc((size_t)p->n_layers + 1, sizeof *m.vcol);
  m.ev = &ev;
  m.lp = glp_create_prob();
  if (!m.ycol || !m.xcol || !m.wcol || !m.zcol || !m.vcol) {
    st = sp_fail(SP_ERR_RUNTIME, "plan: out of memory");
    goto done;
  }
  build_columns(&m);
  m.acc = calloc((size_t)m.ncols + 1, sizeof *m.acc);
  m.mark = calloc((size_t)m.ncols + 1, 1);
  m.ind = malloc(((size_t)m.ncols + 1) * sizeof *m.ind);
  m.val = malloc(((size_t)m.ncols + 1) * sizeof *m.val);
  if (!m.acc || !m.mark || !m.ind || !m.val) {
    st = sp_fail(SP_ERR_RUNTIME, "plan: out of memory");
    goto done;
  }
  build_links(&m);
  build_transitions(&m);
  build_memory(&m, &ev);
  build_bounds_and_objective(&m);
  if ((st = sp_ilp_heuristic_init(&m, params->warm_start))) goto done;
  int term = glp_term_out(params->verbose ? GLP_ON : GLP_OFF);
  st = solve(&m, params, plan, t0);
  glp_term_out(term);
  if (!st && plan->result == SP_PLAN_INFEASIBLE)
    snprintf(plan->message, sizeof plan->message, "infeasible: no plan meets the bounds");
  if (!st && plan->result == SP_PLAN_TIME_LIMIT)
    snprintf(plan->message, sizeof plan->message, "time limit of %.1f s reached%s", params->time_limit_s,
             plan->has_plan ? "; the plan is the best found, not proven optimal"
                            : " before any plan was found");
done:
  if (m.lp) glp_delete_prob(m.lp);
  sp_ilp_heuristic_free(&m);
  free(m.ycol), free(m.xcol), free(m.wcol), free(m.zcol), free(m.vcol), free(m.acc), free(m.mark), free(m.ind), free(m.val);
  sp_plan_eval_free(&ev);
  sp_plan_filter_free(&f);
  plan->solve_s = sp_plan_now() - t0;
  return st;
}

/* Turns metric `which` of the plan into a bound of q: no worse than v, within the slack. */
static void fix_metric(sp_plan_bounds *b, sp_plan_objective which, double v, double eps) {
  double slack = eps * fmax(1.0, fabs(v));
  if (which == SP_PLAN_MIN_LATENCY) b->max_latency = fmin(b->max_latency, v + slack);
  else if (which == SP_PLAN_MIN_MEMORY) b->max_memory = fmin(b->max_memory, v + slack);
  else b->min_accuracy = fmax(b->min_accuracy, v - slack);
}

sp_status sp_plan_ilp_solve(const sp_plan_problem *p, const sp_ilp_params *params, sp_plan *plan) {
  sp_ilp_params defaults;
  if (!params) sp_ilp_params_init(&defaults), params = &defaults;
  double t0 = sp_plan_now();
  sp_status st = solve_once(p, params, plan);
  if (st || !params->tie_break || plan->result != SP_PLAN_OPTIMAL || !plan->has_plan) return st;
  /* Lexicographic: each later stage keeps the earlier metrics at their
   * optimum, so its plan is never worse in them; a stage that does not end
   * optimal (time limit) leaves the plan of the stage before. */
  sp_plan_objective order[3];
  sp_plan_lex_order(p->objective, order);
  sp_plan_problem q = *p; /* shares the arrays; only bounds and objective differ */
  sp_ilp_params sub = *params;
  sub.tie_break = 0;
  sub.nearest = 0;
  for (int stage = 1; stage < 3 && !st; stage++) {
    fix_metric(&q.bounds, order[stage - 1], sp_plan_objective_value(order[stage - 1], &plan->metrics),
               params->tie_epsilon);
    q.objective = order[stage];
    sub.time_limit_s = params->time_limit_s - (sp_plan_now() - t0);
    if (sub.time_limit_s <= 0) break;
    sp_plan next = {0};
    st = solve_once(&q, &sub, &next);
    int better = !st && next.result == SP_PLAN_OPTIMAL && next.has_plan;
    if (better) st = sp_plan_store(plan, p, next.option);
    sp_plan_free(&next);
    if (!better) break;
  }
  plan->solve_s = sp_plan_now() - t0;
  return st;
}

sp_status sp_plan_ilp(const sp_plan_problem *p, const sp_ilp_params *params, sp_plan *plan) {
  sp_ilp_params defaults;
  if (!params) sp_ilp_params_init(&defaults), params = &defaults;
  sp_status st = sp_plan_ilp_solve(p, params, plan);
  if (st || plan->result != SP_PLAN_INFEASIBLE || !params->nearest) return st;
  double t0 = sp_plan_now();
  st = sp_plan_nearest_bounds(p, params, &plan->nearest, plan->message, (int)sizeof plan->message);
  plan->solve_s += sp_plan_now() - t0;
  return st;
}
