/* A solved plan as a plan file in memory (plan_io.h), and the small helpers
 * the file format shares. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/file_io.h"
#include "kernels/registry.h"
#include "planner/plan_io.h"

void sp_plan_file_free(sp_plan_file *f) {
  free(f->groups);
  free(f->layers);
  memset(f, 0, sizeof *f);
}

static const char *objective_keys[] = {"latency", "memory", "accuracy"};

const char *sp_plan_objective_key(sp_plan_objective o) {
  return (unsigned)o <= SP_PLAN_MAX_ACCURACY ? objective_keys[o] : "?";
}

int sp_plan_objective_parse(const char *key, sp_plan_objective *out) {
  for (int i = 0; i <= SP_PLAN_MAX_ACCURACY; i++)
    if (!strcmp(key, objective_keys[i])) {
      *out = (sp_plan_objective)i;
      return 1;
    }
  return 0;
}

sp_status sp_plan_hash_file(const char *path, char hex[17]) {
  FILE *f;
  sp_status s = sp_file_open_read(path, SP_FILE_CAP_JSON, "a JSON file", &f, NULL);
  if (s) return s;
  uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a 64, as engine/fingerprint.c */
  unsigned char buf[1 << 14];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0)
    for (size_t i = 0; i < n; i++) h = (h ^ buf[i]) * 0x100000001b3ull;
  int bad = ferror(f);
  fclose(f);
  if (bad) return sp_fail(SP_ERR_IO, "%s: read error", path);
  snprintf(hex, 17, "%016llx", (unsigned long long)h);
  return SP_OK;
}

static void fill_layer(const sp_profile *prof, const sp_plan_source *src, const sp_plan *plan, int l,
                       sp_plan_file_layer *out) {
  const sp_plan_layer *ly = &src->problem.layers[l];
  const sp_plan_option *o = &ly->opt[plan->option[l]];
  const sp_profile_record *r = &prof->records[src->record[l][plan->option[l]]];
  const sp_profile_layer *pl = &prof->layers[l];
  const sp_variant *v = sp_registry_find(r->variant);
  snprintf(out->name, sizeof out->name, "%s", pl->name);
  snprintf(out->op, sizeof out->op, "%s", pl->kind);
  out->compression = r->compression;
  out->keep_in = src->problem.groups[ly->g_in].keep[o->keep_in];
  out->keep_out = src->problem.groups[ly->g_out].keep[o->keep_out];
  snprintf(out->variant, sizeof out->variant, "%s", r->variant);
  snprintf(out->format, sizeof out->format, "%s", v ? sp_format_name(v->format) : "?");
  snprintf(out->algorithm, sizeof out->algorithm, "%s", v ? sp_algo_name(v->algo) : "?");
  snprintf(out->backend, sizeof out->backend, "%s", sp_backend_name(r->backend));
  out->device = r->device;
  out->threads = r->threads;
  out->n_params = r->n_params;
  for (int i = 0; i < r->n_params; i++) {
    snprintf(out->param_names[i], sizeof out->param_names[i], "%s", r->param_names[i]);
    out->params[i] = r->params[i];
  }
  out->latency_ms = o->latency_ms;
  out->weight_bytes = o->weight_bytes;
  out->workspace_bytes = o->workspace_bytes;
  out->act_bytes = ly->act_bytes[o->keep_out];
}

sp_status sp_plan_file_build(const sp_profile *prof, const sp_plan_source *src, const sp_plan *plan,
                             const char *solver, const sp_plan_provenance *prov, sp_plan_file *out) {
  memset(out, 0, sizeof *out);
  const sp_plan_problem *p = &src->problem;
  if (!plan->has_plan) return sp_fail(SP_ERR_INPUT, "plan: no plan to write");
  out->groups = calloc((size_t)p->n_groups, sizeof *out->groups);
  out->layers = calloc((size_t)p->n_layers, sizeof *out->layers);
  if (!out->groups || !out->layers) {
    sp_plan_file_free(out);
    return sp_fail(SP_ERR_RUNTIME, "plan: out of memory");
  }
  sp_profile_now(out->created);
  out->prov = *prov;
  out->objective = p->objective;
  out->bounds = p->bounds;
  snprintf(out->solver, sizeof out->solver, "%s", solver);
  out->result = plan->result;
  out->solve_s = plan->solve_s;
  out->gap = plan->gap;
  out->options_used = plan->options_used;
  out->options_total = plan->options_total;
  out->predicted = plan->metrics;
  out->batch = prof->config.batch > 0 ? prof->config.batch : 1;
  out->n_groups = p->n_groups;
  for (int g = 0; g < p->n_groups; g++) {
    const sp_profile_group *pg = &prof->groups[g];
    int level = src->level[g][plan->keep[g]];
    snprintf(out->groups[g].name, sizeof out->groups[g].name, "%s", pg->name);
    out->groups[g].keep = pg->keep[level];
    out->groups[g].channels = pg->channels;
    out->groups[g].channels_kept = pg->kept[level];
  }
  out->n_layers = p->n_layers;
  for (int l = 0; l < p->n_layers; l++) fill_layer(prof, src, plan, l, &out->layers[l]);
  return SP_OK;
}
