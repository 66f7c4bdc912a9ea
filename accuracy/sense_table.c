/* sp_sense_measure (sense_table.h): the option grid of a model as
 * compression specs, evaluated together, gathered into an accuracy file. */
#define _POSIX_C_SOURCE 200809L /* gmtime_r */
#include "accuracy/sense_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/graph/channel_groups.h"

#define SPEC_MAX (SP_NAME_MAX + 40)

static int has_weights(const sp_node *n) { return n->op == SP_OP_CONV2D || n->op == SP_OP_FC; }

/* The keep levels of a group worth measuring, as the profiler keeps them
 * (profiler/layer_instance.h): a level that keeps every channel or as many
 * as an earlier level is left out. Returns their number. */
static int group_levels(const sp_channel_group *gr, const sp_sense_grid *grid, double *keep) {
  int n = 0, counts[SP_SENSE_MAX_GRID];
  for (int k = 0; k < grid->n_keep; k++) {
    int kept = sp_channel_keep_count(gr->channels, grid->keep[k]), dup = kept == gr->channels;
    for (int j = 0; j < n; j++) dup |= counts[j] == kept;
    if (dup) continue;
    counts[n] = kept;
    keep[n++] = grid->keep[k];
  }
  return n;
}

/* The names a keep of gr cuts: members with weights or statistics, then
 * consumers. */
static sp_status group_layers(const sp_graph *g, const sp_channel_group *gr,
                              sp_accuracy_group *out) {
  out->layers = calloc((size_t)(gr->n_members + gr->n_consumers) + 1, sizeof *out->layers);
  if (!out->layers) return sp_fail(SP_ERR_RUNTIME, "out of memory listing group %s", gr->name);
  for (int i = 0; i < gr->n_members; i++) {
    const sp_node *n = &g->nodes[gr->members[i]];
    if (has_weights(n) || n->op == SP_OP_BATCHNORM)
      snprintf(out->layers[out->n_layers++], SP_NAME_MAX, "%s", n->name);
  }
  for (int i = 0; i < gr->n_consumers; i++)
    snprintf(out->layers[out->n_layers++], SP_NAME_MAX, "%s", g->nodes[gr->consumers[i]].name);
  return SP_OK;
}

/* Fills a->layers and a->groups (rates, names) and the spec of each, in
 * the same order: layers first, then groups. */
static sp_status enumerate(const sp_graph *g, const sp_channel_groups *cg,
                           const sp_sense_grid *grid, sp_accuracy *a, char (*specs)[SPEC_MAX]) {
  int s = 0;
  for (int i = 1; i < g->n_nodes; i++) {
    const sp_node *n = &g->nodes[i];
    if (!has_weights(n)) continue;
    for (int k = 0; k < grid->n_prune + grid->n_ternary; k++) {
      sp_accuracy_layer *l = &a->layers[a->n_layers++];
      int prune = k < grid->n_prune;
      snprintf(l->layer, sizeof l->layer, "%s", n->name);
      l->kind = prune ? SP_COMPRESS_PRUNE : SP_COMPRESS_TERNARY;
      l->rate = prune ? grid->prune[k] : grid->ternary[k - grid->n_prune];
      snprintf(specs[s++], SPEC_MAX, "%s:%s=%.15g", prune ? "prune" : "ternary", n->name, l->rate);
    }
  }
  for (int k = 0; k < cg->n_groups; k++) {
    const sp_channel_group *gr = &cg->groups[k];
    double keep[SP_SENSE_MAX_GRID];
    int levels = gr->prunable ? group_levels(gr, grid, keep) : 0;
    for (int j = 0; j < levels; j++) {
      sp_accuracy_group *e = &a->groups[a->n_groups++];
      snprintf(e->group, sizeof e->group, "%s", gr->name);
      e->keep = keep[j];
      e->channels_kept = sp_channel_keep_count(gr->channels, keep[j]);
      sp_status st = group_layers(g, gr, e);
      if (st) return st;
      snprintf(specs[s++], SPEC_MAX, "keep:%s=%.15g", gr->name, keep[j]);
    }
  }
  return SP_OK;
}

void sp_sense_now(char out[32]) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

sp_status sp_sense_measure(const sp_graph *g, const char *model, const sp_sense_data *data,
                           const sp_sense_grid *grid, const sp_sense_options *opt,
                           sp_accuracy *out) {
  memset(out, 0, sizeof *out);
  sp_channel_groups cg;
  sp_status s = sp_channel_groups_compute(g, &cg);
  if (s) return s;
  int per_layer = grid->n_prune + grid->n_ternary, max_specs = cg.n_groups * grid->n_keep;
  for (int i = 1; i < g->n_nodes; i++) max_specs += has_weights(&g->nodes[i]) ? per_layer : 0;
  char(*specs)[SPEC_MAX] = calloc((size_t)max_specs + 1, sizeof *specs);
  const char **spec_ptr = calloc((size_t)max_specs + 1, sizeof *spec_ptr);
  sp_sense_score *scores = calloc((size_t)max_specs + 1, sizeof *scores);
  out->layers = calloc((size_t)max_specs + 1, sizeof *out->layers);
  out->groups = calloc((size_t)max_specs + 1, sizeof *out->groups);
  if (!specs || !spec_ptr || !scores || !out->layers || !out->groups)
    s = sp_fail(SP_ERR_RUNTIME, "out of memory for the options of %s", g->name);
  if (!s) s = enumerate(g, &cg, grid, out, specs);
  int n_specs = out->n_layers + out->n_groups;
  for (int i = 0; i < n_specs; i++) spec_ptr[i] = specs[i];
  sp_sense_score base = {0};
  if (!s)
    s = sp_sense_evaluate(g, data->inputs, data->labels, data->count, spec_ptr, n_specs, opt, &base,
                          scores);
  if (!s) {
    sp_sense_now(out->created);
    sp_accuracy_set_model(out, model, g);
    snprintf(out->data, sizeof out->data, "%s", data->name);
    snprintf(out->split, sizeof out->split, "%s", data->split);
    snprintf(out->source, sizeof out->source, "measured");
    out->images = data->count;
    out->accuracy = sp_sense_accuracy(&base);
    out->loss = sp_sense_loss(&base);
    for (int i = 0; i < out->n_layers; i++) {
      out->layers[i].accuracy = sp_sense_accuracy(&scores[i]);
      out->layers[i].loss = sp_sense_loss(&scores[i]);
      out->layers[i].u = sp_accuracy_uncertainty_of(out->layers[i].accuracy, data->count, out->accuracy);
    }
    for (int i = 0; i < out->n_groups; i++) {
      out->groups[i].accuracy = sp_sense_accuracy(&scores[out->n_layers + i]);
      out->groups[i].loss = sp_sense_loss(&scores[out->n_layers + i]);
      out->groups[i].u = sp_accuracy_uncertainty_of(out->groups[i].accuracy, data->count, out->accuracy);
    }
  }
  free(specs);
  free(spec_ptr);
  free(scores);
  sp_channel_groups_free(&cg);
  if (s) sp_accuracy_free(out);
  return s;
}

/* Entry i of a (layers first, then groups): its uncertainty and its spec. */
static sp_accuracy_uncertainty *entry(sp_accuracy *a, int i, char *spec, size_t size) {
  if (i < a->n_layers) {
    sp_accuracy_layer *l = &a->layers[i];
    snprintf(spec, size, "%s:%s=%.15g", l->kind == SP_COMPRESS_PRUNE ? "prune" : "ternary", l->layer, l->rate);
    return &l->u;
  }
  sp_accuracy_group *gr = &a->groups[i - a->n_layers];
  snprintf(spec, size, "keep:%s=%.15g", gr->group, gr->keep);
  return &gr->u;
}

sp_status sp_sense_refine(const sp_graph *g, const sp_sense_data *data, double budget,
                          const sp_sense_options *opt, sp_accuracy *a, int *refined) {
  int n = a->n_layers + a->n_groups;
  char(*specs)[SPEC_MAX] = calloc((size_t)n + 1, sizeof *specs);
  const char **spec_ptr = calloc((size_t)n + 1, sizeof *spec_ptr);
  int *which = calloc((size_t)n + 1, sizeof *which);
  sp_sense_score *scores = calloc((size_t)n + 1, sizeof *scores);
  sp_status s = specs && spec_ptr && which && scores ? SP_OK : sp_fail(SP_ERR_RUNTIME, "out of memory");
  if (refined) *refined = 0;
  for (int round = 0; !s; round++) {
    /* the straddling entries, re-measured on twice the images of the
     * fewest among them (at most the whole split) */
    int m = 0, images = data->count;
    for (int i = 0; i < n; i++) {
      char spec[SPEC_MAX];
      sp_accuracy_uncertainty *u = entry(a, i, spec, sizeof spec);
      if (u->drop_lo < budget && budget < u->drop_hi && u->images < data->count) {
        which[m++] = i;
        if (2 * u->images < images) images = 2 * u->images;
      }
    }
    if (!m) break;
    for (int j = 0; j < m; j++) {
      entry(a, which[j], specs[j], SPEC_MAX);
      spec_ptr[j] = specs[j];
    }
    sp_sense_score base = {0};
    s = sp_sense_evaluate(g, data->inputs, data->labels, images, spec_ptr, m, opt, &base, scores);
    for (int j = 0; j < m && !s; j++) {
      char spec[SPEC_MAX];
      int i = which[j];
      sp_accuracy_uncertainty *u = entry(a, i, spec, sizeof spec);
      if (u->images >= images) continue; /* measured on as many already */
      double acc = sp_sense_accuracy(&scores[j]), loss = sp_sense_loss(&scores[j]);
      if (i < a->n_layers) a->layers[i].accuracy = acc, a->layers[i].loss = loss;
      else a->groups[i - a->n_layers].accuracy = acc, a->groups[i - a->n_layers].loss = loss;
      *u = sp_accuracy_uncertainty_of(acc, images, sp_sense_accuracy(&base));
      if (refined) ++*refined;
    }
  }
  free(specs);
  free(spec_ptr);
  free(which);
  free(scores);
  return s;
}
