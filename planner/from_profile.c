/* Profile + accuracies -> planning problem (from_profile.h). */
#include "planner/from_profile.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAME_RATE 1e-6 /* rates and keeps are written with %g-like precision */

void sp_plan_accuracy_free(sp_plan_accuracy *a) {
  free(a->layers);
  free(a->groups);
  memset(a, 0, sizeof *a);
}

void sp_plan_source_free(sp_plan_source *s) {
  for (int l = 0; s->record && l < s->problem.n_layers; l++) free(s->record[l]);
  for (int g = 0; s->level && g < s->problem.n_groups; g++) free(s->level[g]);
  free(s->record);
  free(s->level);
  sp_plan_problem_free(&s->problem);
  memset(s, 0, sizeof *s);
}

__attribute__((format(printf, 2, 3))) static void note(sp_plan_source *s, const char *fmt, ...) {
  size_t n = strlen(s->notes);
  if (n + 2 >= sizeof s->notes) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->notes + n, sizeof s->notes - n - 1, fmt, ap);
  va_end(ap);
  strcat(s->notes, "\n");
}

/* The drop of an entry that scored `accuracy`, as measured: its baseline
 * (on the images it was measured on) minus its accuracy. */
static double measured_drop(const sp_plan_accuracy *acc, const sp_plan_measured *m, double accuracy) {
  return (m->images > 0 ? m->baseline : acc->baseline) - accuracy;
}

/* The drop the planner uses: a negative one (the option scored above the
 * baseline) is taken as 0, as the additive model never gains, but never
 * silently: count_negative notes them. */
static double drop_of(const sp_plan_accuracy *acc, const sp_plan_measured *m, double accuracy) {
  double drop = measured_drop(acc, m, accuracy);
  return drop > 0 ? drop : 0.0;
}

static void count_negative(sp_plan_source *s, const sp_plan_accuracy *acc, const sp_plan_measured *m,
                           double accuracy) {
  double drop = measured_drop(acc, m, accuracy);
  if (drop >= 0) return;
  s->drops_negative++;
  s->drops_negative_beyond += m->images > 0 && m->drop_hi < 0;
  if (drop < s->drop_most_negative) s->drop_most_negative = drop;
}

/* Accuracy drop of group g at profile level k; -1 when nothing was measured. */
static double group_drop(const sp_profile_group *g, int k, const sp_plan_accuracy *acc) {
  if (k == 0) return 0.0; /* level 0 is keep 1.0: nothing pruned */
  for (int i = 0; i < acc->n_groups; i++) {
    const sp_plan_group_accuracy *a = &acc->groups[i];
    if (strcmp(a->group, g->name)) continue;
    if (fabs(a->keep - g->keep[k]) < SAME_RATE || (a->channels_kept > 0 && a->channels_kept == g->kept[k]))
      return drop_of(acc, &a->m, a->accuracy);
  }
  return -1.0;
}

/* Accuracy drop of a record's own weight compression; -1 when unmeasured. */
static double record_drop(const sp_profile *prof, const sp_profile_record *r, const sp_plan_accuracy *acc) {
  if (r->compression.kind == SP_WEIGHTS_DENSE) return 0.0;
  const char *name = prof->layers[r->layer].name;
  for (int i = 0; i < acc->n_layers; i++) {
    const sp_plan_layer_accuracy *a = &acc->layers[i];
    if (a->kind == r->compression.kind && fabs(a->rate - r->compression.rate) < SAME_RATE &&
        !strcmp(a->layer, name))
      return drop_of(acc, &a->m, a->accuracy);
  }
  return -1.0;
}

/* Groups: level 0 always, other levels only with an accuracy entry.
 * new_level[g][k] = problem level of profile level k, or -1. */
static sp_status build_groups(const sp_profile *prof, const sp_plan_accuracy *acc, sp_plan_source *s,
                              int (*new_level)[SP_MAX_KEEP]) {
  sp_plan_problem *p = &s->problem;
  for (int g = 0; g < prof->n_groups; g++) {
    const sp_profile_group *pg = &prof->groups[g];
    double drop[SP_MAX_KEEP];
    int n = 0;
    for (int k = 0; k < pg->n_keep; k++) {
      drop[k] = group_drop(pg, k, acc);
      new_level[g][k] = drop[k] >= 0 ? n++ : -1;
      if (drop[k] < 0) {
        s->levels_no_accuracy++;
        note(s, "group %s: keep %g has no accuracy entry, left out", pg->name, pg->keep[k]);
      }
    }
    sp_status st = sp_plan_group_init(p, g, n);
    if (st) return st;
    if (!(s->level[g] = malloc((size_t)n * sizeof **s->level)))
      return sp_fail(SP_ERR_RUNTIME, "plan: out of memory");
    for (int k = 0; k < pg->n_keep; k++) {
      int j = new_level[g][k];
      if (j < 0) continue;
      p->groups[g].keep[j] = pg->keep[k];
      p->groups[g].drop[j] = drop[k];
      s->level[g][j] = k;
    }
  }
  return SP_OK;
}

/* Residencies: 0 = host, then each device id met in a record, ascending. */
static sp_status map_residencies(const sp_profile *prof, sp_plan_source *s, int *n_res) {
  s->res_device[0] = -1;
  *n_res = 1;
  for (int i = 0; i < prof->n_records; i++) {
    const sp_profile_record *r = &prof->records[i];
    if (r->failed || r->device < 0) continue;
    int known = 0;
    for (int k = 1; k < *n_res; k++) known |= s->res_device[k] == r->device;
    if (known) continue;
    if (*n_res == SP_PLAN_MAX_RES)
      return sp_fail(SP_ERR_INPUT, "profile: more than %d devices (the planner's limit)", SP_PLAN_MAX_RES - 1);
    int k = (*n_res)++;
    while (k > 1 && s->res_device[k - 1] > r->device) s->res_device[k] = s->res_device[k - 1], k--;
    s->res_device[k] = r->device;
  }
  return SP_OK;
}

static int residency_of(const sp_plan_source *s, int device) {
  for (int k = 0; k < s->problem.n_res; k++)
    if (s->res_device[k] == device) return k;
  return -1;
}

/* Whether record r is an option: ran, compression and keep levels known.
 * Fills o (but not its label) and returns 1, else 0. */
static int record_option(const sp_profile *prof, const sp_plan_accuracy *acc, const sp_plan_source *s,
                         int (*new_level)[SP_MAX_KEEP], const sp_profile_record *r, sp_plan_option *o) {
  const sp_profile_layer *l = &prof->layers[r->layer];
  double drop = record_drop(prof, r, acc);
  if (r->failed || drop < 0) return 0;
  int ki = new_level[l->group_in][r->keep_in], ko = new_level[l->group_out][r->keep_out];
  if (ki < 0 || ko < 0) return 0;
  *o = (sp_plan_option){.keep_in = ki, .keep_out = ko, .residency = residency_of(s, r->device),
                        .latency_ms = sp_profile_record_ms(prof, r), .weight_bytes = r->weight_bytes,
                        .workspace_bytes = r->workspace_bytes, .drop = drop};
  snprintf(o->label, sizeof o->label, "%.40s t%d %s %g", r->variant, r->threads,
           sp_weight_compression_name(r->compression.kind), r->compression.rate);
  return 1;
}

/* Copy time per byte over all measured transitions: the estimate for a
 * tensor whose own copy was not measured (or failed). */
static void mean_rates(const sp_profile *prof, double *h2d, double *d2h) {
  double bytes = 0, th = 0, td = 0;
  for (int i = 0; i < prof->n_transitions; i++) {
    const sp_profile_transition *t = &prof->transitions[i];
    if (t->failed || !(t->bytes > 0)) continue;
    bytes += t->bytes, th += t->h2d_ms, td += t->d2h_ms;
  }
  *h2d = bytes > 0 ? th / bytes : 0;
  *d2h = bytes > 0 ? td / bytes : 0;
}

/* The measured copy times of tensor `tensor` (-1: the network input) at
 * profile keep level k, or estimates at the mean rate for `bytes`. */
static void copy_times(const sp_profile *prof, sp_plan_source *s, int tensor, int k, double bytes, double *h2d,
                       double *d2h) {
  const sp_profile_transition *t = sp_profile_find_transition(prof, tensor, k);
  if (t && !t->failed) {
    *h2d = t->h2d_ms, *d2h = t->d2h_ms;
    return;
  }
  double rh, rd;
  mean_rates(prof, &rh, &rd);
  *h2d = rh * bytes, *d2h = rd * bytes;
  s->transitions_estimated++;
}

/* Copy matrices of layer li's output, one per kept level of its group, at
 * that level's size (the profile measures each level): host->device is an
 * upload, device->host a download, device a -> device b both. */
static void fill_copies(const sp_profile *prof, sp_plan_source *s, int li, double *copy) {
  const sp_profile_layer *pl = &prof->layers[li];
  int n = s->problem.n_res, g = pl->group_out;
  for (int j = 0; j < s->problem.groups[g].n_keep; j++) {
    int k = s->level[g][j];
    double h2d, d2h;
    copy_times(prof, s, li, k, pl->act_bytes[k], &h2d, &d2h);
    for (int a = 0; a < n; a++)
      for (int b = 0; b < n; b++) copy[(j * n + a) * n + b] = a == b ? 0.0 : (a ? d2h : 0.0) + (b ? h2d : 0.0);
  }
}

static sp_status build_layer(const sp_profile *prof, const sp_plan_accuracy *acc, sp_plan_source *s,
                             int (*new_level)[SP_MAX_KEEP], int li) {
  sp_plan_problem *p = &s->problem;
  const sp_profile_layer *pl = &prof->layers[li];
  int pred[SP_PLAN_MAX_PRED], n_pred = 0;
  for (int i = 0; i < pl->n_inputs; i++) {
    if (pl->input_layer[i] < 0) continue; /* the network input: no predecessor */
    if (n_pred == SP_PLAN_MAX_PRED)
      return sp_fail(SP_ERR_INPUT, "profile: layer %s has more than %d inputs", pl->name, SP_PLAN_MAX_PRED);
    pred[n_pred++] = pl->input_layer[i];
  }
  if (n_pred && n_pred != pl->n_inputs)
    return sp_fail(SP_ERR_INPUT, "profile: layer %s reads both the network input and a layer", pl->name);
  int n_opt = 0;
  sp_plan_option o;
  for (int i = 0; i < prof->n_records; i++)
    if (prof->records[i].layer == li) n_opt += record_option(prof, acc, s, new_level, &prof->records[i], &o);
  if (!n_opt)
    return sp_fail(SP_ERR_INPUT, "profile: layer %s has no successful record with a known accuracy", pl->name);
  sp_status st = sp_plan_layer_init(p, li, pl->group_in, pl->group_out, n_pred, pred, n_opt, p->n_res > 1);
  if (st) return st;
  sp_plan_layer *ly = &p->layers[li];
  snprintf(ly->name, sizeof ly->name, "%s", pl->name);
  if (!(s->record[li] = malloc((size_t)n_opt * sizeof **s->record)))
    return sp_fail(SP_ERR_RUNTIME, "plan: out of memory");
  int k = 0;
  for (int i = 0; i < prof->n_records; i++)
    if (prof->records[i].layer == li && record_option(prof, acc, s, new_level, &prof->records[i], &ly->opt[k]))
      s->record[li][k++] = i;
  const sp_profile_group *g = &prof->groups[pl->group_out];
  for (int j = 0; j < g->n_keep; j++)
    if (new_level[pl->group_out][j] >= 0) ly->act_bytes[new_level[pl->group_out][j]] = pl->act_bytes[j];
  if (ly->copy) fill_copies(prof, s, li, ly->copy);
  return SP_OK;
}

sp_status sp_plan_from_profile(const sp_profile *prof, const sp_plan_accuracy *acc, sp_plan_source *out) {
  memset(out, 0, sizeof *out);
  if (prof->n_groups < 1 || prof->n_layers < 1)
    return sp_fail(SP_ERR_INPUT, "profile: no groups or no layers");
  int n_res;
  sp_status st = map_residencies(prof, out, &n_res);
  if (st) return st;
  if ((st = sp_plan_problem_init(&out->problem, prof->n_groups, prof->n_layers, n_res))) return st;
  sp_plan_problem *p = &out->problem;
  int (*new_level)[SP_MAX_KEEP] = calloc((size_t)prof->n_groups, sizeof *new_level);
  out->record = calloc((size_t)prof->n_layers, sizeof *out->record);
  out->level = calloc((size_t)prof->n_groups, sizeof *out->level);
  if (!new_level || !out->record || !out->level) st = sp_fail(SP_ERR_RUNTIME, "plan: out of memory");
  if (!st) st = build_groups(prof, acc, out, new_level);
  for (int l = 0; l < prof->n_layers && !st; l++) st = build_layer(prof, acc, out, new_level, l);
  if (!st) {
    for (int i = 0; i < prof->n_records; i++) {
      const sp_profile_record *r = &prof->records[i];
      out->records_total += !r->failed;
      out->records_no_accuracy += !r->failed && record_drop(prof, r, acc) < 0;
    }
    if (out->records_no_accuracy)
      note(out, "%d of %d records left out: their compression has no accuracy entry", out->records_no_accuracy,
           out->records_total);
    /* the network input: per image shape x batch, float32, on the host */
    p->input_bytes = 4.0 * prof->input.c * prof->input.h * prof->input.w * (prof->config.batch > 0 ? prof->config.batch : 1);
    if (p->input_copy) {
      double h2d, d2h;
      copy_times(prof, out, -1, 0, p->input_bytes, &h2d, &d2h);
      for (int b = 1; b < p->n_res; b++) p->input_copy[b] = h2d;
    }
    for (int i = 0; i < acc->n_layers; i++) count_negative(out, acc, &acc->layers[i].m, acc->layers[i].accuracy);
    for (int i = 0; i < acc->n_groups; i++) count_negative(out, acc, &acc->groups[i].m, acc->groups[i].accuracy);
    if (out->drops_negative)
      note(out,
           "%d accuracy entries scored above the baseline (by up to %.2f pp; %d of them beyond their 95%% "
           "interval): their drop is taken as 0",
           out->drops_negative, -out->drop_most_negative, out->drops_negative_beyond);
    if (out->transitions_estimated)
      note(out, "%d tensors (at a keep level) had no measured copy time: estimated from the mean rate",
           out->transitions_estimated);
    p->base_accuracy = acc->baseline;
    st = sp_plan_problem_validate(p);
  }
  free(new_level);
  if (st) sp_plan_source_free(out);
  return st;
}
