/* sp_sense_curves (sense_curves.h): one spec per point naming every layer
 * or group, all evaluated by sp_sense_evaluate (every layer changes, so
 * nothing is cached; the copies go in passes of max_copy_bytes). */
#include "accuracy/sense_curves.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/graph/channel_groups.h"

static const double prune_rates[] = {0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95};
static const double keep_rates[] = {0.25, 0.35, 0.5, 0.75, 1};
static const double ternary_rates[] = {0.3, 0.5, 0.7, 0.9, 1.2};

int sp_sense_curve_rates(sp_compress_kind kind, const double **rates) {
  switch (kind) {
    case SP_COMPRESS_PRUNE: *rates = prune_rates; return 7;
    case SP_COMPRESS_KEEP: *rates = keep_rates; return 5;
    default: *rates = ternary_rates; return 5;
  }
}

static int has_weights(const sp_node *n) { return n->op == SP_OP_CONV2D || n->op == SP_OP_FC; }

/* "kind:NAME=rate,..." over every weighted layer (prune, ternary) or every
 * prunable group (keep); "" when there is none. Returns NULL when out of
 * memory. */
static char *all_items(const sp_graph *g, const sp_channel_groups *cg, sp_compress_kind kind,
                       double rate) {
  static const char *const names[] = {"prune", "ternary", "keep"};
  size_t cap = 1, len = 0;
  for (int i = 0; i < g->n_nodes; i++) cap += SP_NAME_MAX + 40;
  char *spec = malloc(cap);
  if (!spec) return NULL;
  spec[0] = 0;
  int n = kind == SP_COMPRESS_KEEP ? cg->n_groups : g->n_nodes;
  for (int i = 0; i < n; i++) {
    const char *name = NULL;
    if (kind == SP_COMPRESS_KEEP && cg->groups[i].prunable) name = cg->groups[i].name;
    if (kind != SP_COMPRESS_KEEP && has_weights(&g->nodes[i])) name = g->nodes[i].name;
    if (name)
      len += (size_t)snprintf(spec + len, cap - len, "%s%s:%s=%.15g", len ? "," : "",
                              names[kind], name, rate);
  }
  return spec;
}

sp_status sp_sense_curves(const sp_graph *g, const sp_sense_data *data,
                          const sp_sense_options *opt, sp_sense_point *points,
                          sp_sense_score *baseline) {
  static const sp_compress_kind order[] = {SP_COMPRESS_PRUNE, SP_COMPRESS_KEEP,
                                           SP_COMPRESS_TERNARY};
  sp_channel_groups cg;
  sp_status s = sp_channel_groups_compute(g, &cg);
  if (s) return s;
  char *specs[SP_SENSE_CURVE_POINTS] = {0};
  sp_sense_score scores[SP_SENSE_CURVE_POINTS];
  int n = 0;
  for (int k = 0; k < 3; k++) {
    const double *rates;
    int count = sp_sense_curve_rates(order[k], &rates);
    for (int r = 0; r < count; r++, n++) {
      points[n] = (sp_sense_point){.kind = order[k], .rate = rates[r]};
      if (!(specs[n] = all_items(g, &cg, order[k], rates[r])))
        s = sp_fail(SP_ERR_RUNTIME, "out of memory for the curves of %s", g->name);
    }
  }
  if (!s)
    s = sp_sense_evaluate(g, data->inputs, data->labels, data->count, (const char *const *)specs, n,
                          opt, baseline, scores);
  for (int i = 0; i < n; i++) {
    if (!s) points[i].score = scores[i];
    free(specs[i]);
  }
  sp_channel_groups_free(&cg);
  return s;
}
