/* Accuracy files in memory: the model fields, the fingerprint check, drops
 * and look-ups (accuracy_io.h). Reading and writing JSON live in
 * accuracy_read.c and accuracy_write.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accuracy/accuracy_io.h"
#include "engine/graph/fingerprint.h"

void sp_accuracy_set_model(sp_accuracy *a, const char *name, const sp_graph *g) {
  snprintf(a->model, sizeof a->model, "%s", name);
  sp_fingerprint_hex(sp_graph_structure_fingerprint(g), a->structure_fingerprint);
  sp_fingerprint_hex(sp_graph_weights_fingerprint(g), a->weights_fingerprint);
  a->input[0] = g->input.c, a->input[1] = g->input.h, a->input[2] = g->input.w;
  a->classes = (int)sp_dims_count(g->nodes[g->output].out);
}

sp_status sp_accuracy_check(const sp_accuracy *a, const char *path, const sp_graph *g) {
  char structure[SP_FINGERPRINT_HEX], weights[SP_FINGERPRINT_HEX];
  sp_fingerprint_hex(sp_graph_structure_fingerprint(g), structure);
  sp_fingerprint_hex(sp_graph_weights_fingerprint(g), weights);
  if (strcmp(a->structure_fingerprint, structure))
    return sp_fail(SP_ERR_INPUT,
                   "%s: model.structure_fingerprint %s is not %s's %s (the file was made for "
                   "another architecture, %s)",
                   path, a->structure_fingerprint, g->name, structure, a->model);
  if (strcmp(a->weights_fingerprint, weights))
    return sp_fail(SP_ERR_INPUT,
                   "%s: model.weights_fingerprint %s is not %s's %s (same architecture, other "
                   "weights: the accuracies do not apply)",
                   path, a->weights_fingerprint, g->name, weights);
  return SP_OK;
}

double sp_accuracy_drop(const sp_accuracy *a, double accuracy) {
  double drop = a->accuracy - accuracy;
  return drop > 0 ? drop : 0;
}

void sp_accuracy_wilson(double accuracy, int n, double *lo, double *hi) {
  if (n < 1) {
    *lo = 0, *hi = 100;
    return;
  }
  const double z = 1.959963984540054, z2 = z * z;
  double p = fmin(fmax(accuracy / 100, 0), 1), d = 1 + z2 / n;
  double center = (p + z2 / (2.0 * n)) / d, half = z / d * sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
  *lo = 100 * fmax(center - half, 0);
  *hi = 100 * fmin(center + half, 1);
}

sp_accuracy_uncertainty sp_accuracy_uncertainty_of(double accuracy, int n, double baseline) {
  sp_accuracy_uncertainty u = {.images = n, .baseline = baseline};
  double lo, hi;
  sp_accuracy_wilson(accuracy, n, &lo, &hi);
  u.drop_lo = baseline - hi;
  u.drop_hi = baseline - lo;
  return u;
}

static int same_rate(double a, double b) { return fabs(a - b) <= 1e-9; }

const sp_accuracy_layer *sp_accuracy_find_layer(const sp_accuracy *a, const char *layer,
                                                sp_compress_kind kind, double rate) {
  for (int i = 0; i < a->n_layers; i++) {
    const sp_accuracy_layer *l = &a->layers[i];
    if (l->kind == kind && same_rate(l->rate, rate) && !strcmp(l->layer, layer)) return l;
  }
  return NULL;
}

const sp_accuracy_group *sp_accuracy_find_group(const sp_accuracy *a, const char *group,
                                                double keep) {
  for (int i = 0; i < a->n_groups; i++) {
    const sp_accuracy_group *gr = &a->groups[i];
    if (same_rate(gr->keep, keep) && !strcmp(gr->group, group)) return gr;
  }
  return NULL;
}

void sp_accuracy_free(sp_accuracy *a) {
  if (!a) return;
  for (int i = 0; a->groups && i < a->n_groups; i++) free(a->groups[i].layers);
  free(a->groups);
  free(a->layers);
  memset(a, 0, sizeof *a);
}
