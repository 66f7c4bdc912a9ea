/* The planner's view of an accuracy file: engine/accuracy_io.h reads and
 * checks it; this keeps what the planner uses (baseline, per layer and
 * compression, per group and keep) in the profile's terms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accuracy/accuracy_io.h"
#include "planner/plan_inputs.h"

static sp_status convert(const sp_accuracy *in, sp_plan_accuracy *out) {
  snprintf(out->model, sizeof out->model, "%s", in->model);
  memcpy(out->structure_fingerprint, in->structure_fingerprint, sizeof out->structure_fingerprint);
  memcpy(out->weights_fingerprint, in->weights_fingerprint, sizeof out->weights_fingerprint);
  out->baseline = in->accuracy;
  out->layers = calloc((size_t)in->n_layers + 1, sizeof *out->layers);
  out->groups = calloc((size_t)in->n_groups + 1, sizeof *out->groups);
  if (!out->layers || !out->groups) return sp_fail(SP_ERR_RUNTIME, "accuracy: out of memory");
  for (int i = 0; i < in->n_layers; i++) {
    const sp_accuracy_layer *a = &in->layers[i];
    if (a->kind != SP_COMPRESS_PRUNE && a->kind != SP_COMPRESS_TERNARY) continue;
    sp_plan_layer_accuracy *l = &out->layers[out->n_layers++];
    snprintf(l->layer, sizeof l->layer, "%s", a->layer);
    l->kind = a->kind == SP_COMPRESS_PRUNE ? SP_WEIGHTS_PRUNE : SP_WEIGHTS_TERNARY;
    l->rate = a->rate;
    l->accuracy = a->accuracy;
    l->m = (sp_plan_measured){a->u.images, a->u.baseline, a->u.drop_lo, a->u.drop_hi};
  }
  for (int i = 0; i < in->n_groups; i++) {
    const sp_accuracy_group *a = &in->groups[i];
    sp_plan_group_accuracy *g = &out->groups[out->n_groups++];
    snprintf(g->group, sizeof g->group, "%s", a->group);
    g->keep = a->keep;
    g->channels_kept = a->channels_kept;
    g->accuracy = a->accuracy;
    g->m = (sp_plan_measured){a->u.images, a->u.baseline, a->u.drop_lo, a->u.drop_hi};
  }
  return SP_OK;
}

sp_status sp_plan_accuracy_load(const char *path, sp_plan_accuracy *out) {
  memset(out, 0, sizeof *out);
  sp_accuracy a;
  sp_status st = sp_accuracy_load(path, &a);
  if (st) return st;
  st = convert(&a, out);
  sp_accuracy_free(&a);
  if (st) sp_plan_accuracy_free(out);
  return st;
}
