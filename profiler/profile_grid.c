/* Cases and tasks of a layer (profile_grid.h). */
#include "profiler/profile_grid.h"

#include <stdio.h>
#include <string.h>

#include "kernels/registry.h"

int sp_profile_cases(const sp_graph *g, const sp_channel_groups *cg, const sp_keep_table *kt,
                     const sp_profile_config *c, int node, sp_profile_case *out, int cap) {
  int gin = sp_channel_group_of_input(cg, g, node), gout = cg->group_of[node];
  int weights = g->nodes[node].weight != NULL, n = 0;
  sp_compress_choice comp[1 + 2 * SP_PROFILE_MAX_GRID] = {{SP_WEIGHTS_DENSE, 0}};
  int n_comp = 1;
  for (int i = 0; weights && i < c->n_prune; i++)
    comp[n_comp++] = (sp_compress_choice){SP_WEIGHTS_PRUNE, c->prune[i]};
  for (int i = 0; weights && i < c->n_ternary; i++)
    comp[n_comp++] = (sp_compress_choice){SP_WEIGHTS_TERNARY, c->ternary[i]};
  for (int li = 0; li < kt->groups[gin].n_levels; li++)
    for (int lo = 0; lo < kt->groups[gout].n_levels; lo++) {
      if (gin == gout && lo != li) continue;
      for (int k = 0; k < n_comp && n < cap; k++)
        out[n++] = (sp_profile_case){li, lo, comp[k]};
    }
  return n;
}

/* Whether `name` is in the comma-separated list. */
static int listed(const char *list, const char *name) {
  size_t len = strlen(name);
  for (const char *p = list; *p;) {
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n == len && !strncmp(p, name, n)) return 1;
    p += n + (end ? 1 : 0);
  }
  return 0;
}

/* Whether the config's restriction names any variant of `op`. */
static int restricts(const sp_profile_config *c, sp_op op) {
  int count;
  const sp_variant *all = sp_registry_variants(&count);
  for (int k = 0; c->variants[0] && k < count; k++)
    if (all[k].op == op && listed(c->variants, all[k].name)) return 1;
  return 0;
}

static int format_measured(sp_format f, sp_weight_compression kind) {
  switch (f) {
    case SP_FORMAT_NONE: return 1;
    case SP_FORMAT_DENSE: return kind == SP_WEIGHTS_DENSE;
    case SP_FORMAT_CSR: return kind != SP_WEIGHTS_DENSE;
    case SP_FORMAT_TERNARY: return kind == SP_WEIGHTS_TERNARY;
    default: return 0;
  }
}

/* Whether a non-reference host variant supports n. */
static int has_host_kernel(const sp_graph *g, const sp_node *n) {
  int count;
  const sp_variant *all = sp_registry_variants(&count);
  for (int k = 0; k < count; k++)
    if (all[k].algo != SP_ALGO_REFERENCE && !sp_variant_on_device(&all[k]) &&
        sp_variant_supports(&all[k], g, n))
      return 1;
  return 0;
}

int sp_profile_tasks(const sp_graph *g, int node, const sp_profile_config *c, int have_device,
                     sp_weight_compression kind, sp_profile_task *out, int cap) {
  /* a copy marked as compressed, for supports() that look at the marks */
  sp_node n = g->nodes[node];
  if (kind == SP_WEIGHTS_PRUNE) n.sparsity = 0.5f;
  if (kind == SP_WEIGHTS_TERNARY) n.ternary = 1, n.ternary_t = 0.7f, n.ternary_pos = n.ternary_neg = 1;
  int restricted = restricts(c, n.op), with_reference = !has_host_kernel(g, &n);
  int count, k_out = 0;
  const sp_variant *all = sp_registry_variants(&count);
  for (int k = 0; k < count; k++) {
    const sp_variant *v = &all[k];
    int dev = sp_variant_on_device(v);
    if ((dev && !have_device) || (v->algo == SP_ALGO_REFERENCE && !with_reference) ||
        (restricted && !listed(c->variants, v->name)) || !format_measured(v->format, kind) ||
        !sp_variant_supports(v, g, &n))
      continue;
    int parallel = v->backend == SP_BACKEND_OPENMP || v->backend == SP_BACKEND_BLAS;
    for (int t = 0; t < (parallel ? c->n_threads : 1) && k_out < cap; t++)
      out[k_out++] = (sp_profile_task){v, parallel ? c->threads[t] : 1};
  }
  return k_out;
}

sp_status sp_profile_check_variants(const sp_profile_config *c) {
  char list[sizeof c->variants];
  memcpy(list, c->variants, sizeof list);
  for (char *p = list; *p;) {
    char *end = strchr(p, ',');
    if (end) *end = 0;
    const sp_variant *v = sp_registry_find(p);
    if (!v) return sp_fail(SP_ERR_INPUT, "unknown variant '%s' (see stackplan bench)", p);
    if (v->algo == SP_ALGO_REFERENCE)
      return sp_fail(SP_ERR_INPUT, "variant '%s' is a reference kernel: it is never profiled", p);
    if (!end) break;
    p = end + 1;
  }
  return SP_OK;
}

void sp_profile_task_key(const sp_profile_task *t, char *out, size_t cap) {
  snprintf(out, cap, "%s@%d", t->variant->name, t->threads);
}
