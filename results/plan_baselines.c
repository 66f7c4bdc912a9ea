/* Baseline configurations for the demo report (plan_baselines.h). */
#include "results/plan_baselines.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void use_record(sp_plan_file_layer *l, const sp_profile *prof, const sp_profile_record *r) {
  snprintf(l->variant, sizeof l->variant, "%s", r->variant);
  l->threads = r->threads;
  l->device = -1;
  l->n_params = r->n_params;
  memcpy(l->param_names, r->param_names, sizeof l->param_names);
  memcpy(l->params, r->params, sizeof l->params);
  l->latency_ms = sp_profile_record_ms(prof, r);
  l->weight_bytes = r->weight_bytes;
  l->workspace_bytes = r->workspace_bytes;
}

sp_status sp_plan_dense_baseline(const sp_plan_file *plan, const sp_profile *prof, const char *variant, int threads,
                                 sp_plan_file *out, int *fallbacks) {
  *out = *plan;
  out->groups = malloc((size_t)plan->n_groups * sizeof *out->groups + 1);
  out->layers = malloc((size_t)plan->n_layers * sizeof *out->layers + 1);
  if (!out->groups || !out->layers) {
    sp_plan_file_free(out);
    return sp_fail(SP_ERR_RUNTIME, "out of memory");
  }
  memcpy(out->groups, plan->groups, (size_t)plan->n_groups * sizeof *out->groups);
  memcpy(out->layers, plan->layers, (size_t)plan->n_layers * sizeof *out->layers);
  for (int g = 0; g < out->n_groups; g++) {
    out->groups[g].keep = 1;
    out->groups[g].channels_kept = out->groups[g].channels;
  }
  if (fallbacks) *fallbacks = 0;
  double total = 0;
  for (int i = 0; i < out->n_layers; i++) {
    sp_plan_file_layer *l = &out->layers[i];
    int layer = -1;
    for (int k = 0; k < prof->n_layers && layer < 0; k++)
      if (!strcmp(prof->layers[k].name, l->name)) layer = k;
    const sp_profile_record *r = NULL;
    int conv = layer >= 0 && !strcmp(prof->layers[layer].kind, "conv2d");
    if (variant && conv) {
      r = sp_profile_fastest_dense(prof, layer, 0, 0, variant, threads, 0);
      if (!r && fallbacks) ++*fallbacks;
    }
    if (!r && layer >= 0) r = sp_profile_fastest_dense(prof, layer, 0, 0, NULL, 0, 0);
    if (!r) {
      sp_plan_file_free(out);
      return sp_fail(SP_ERR_INPUT, "the profile has no dense host record of layer %s", l->name);
    }
    l->compression = (sp_compress_choice){SP_WEIGHTS_DENSE, 0};
    l->keep_in = l->keep_out = 1;
    use_record(l, prof, r);
    total += l->latency_ms;
  }
  out->predicted.latency_ms = total;
  out->predicted.transition_ms = 0;
  out->predicted.accuracy = NAN;
  return SP_OK;
}

sp_status sp_plan_best_single(const sp_plan_file *plan, const sp_profile *prof, char *variant, size_t size,
                              int *threads) {
  double best_ms = INFINITY;
  int best_fallbacks = 1 << 30;
  variant[0] = '\0';
  for (int i = 0; i < prof->n_records; i++) { /* every (conv variant, threads) seen */
    const sp_profile_record *r = &prof->records[i];
    if (r->failed || r->device >= 0 || strcmp(prof->layers[r->layer].kind, "conv2d") ||
        strstr(r->variant, "reference"))
      continue;
    int seen = 0;
    for (int j = 0; j < i && !seen; j++)
      seen = !strcmp(prof->records[j].variant, r->variant) && prof->records[j].threads == r->threads;
    if (seen) continue;
    sp_plan_file f;
    int fallbacks;
    if (sp_plan_dense_baseline(plan, prof, r->variant, r->threads, &f, &fallbacks)) continue;
    if (fallbacks < best_fallbacks || (fallbacks == best_fallbacks && f.predicted.latency_ms < best_ms)) {
      best_fallbacks = fallbacks;
      best_ms = f.predicted.latency_ms;
      snprintf(variant, size, "%s", r->variant);
      *threads = r->threads;
    }
    sp_plan_file_free(&f);
  }
  return variant[0] ? SP_OK : sp_fail(SP_ERR_INPUT, "the profile has no conv variant");
}
