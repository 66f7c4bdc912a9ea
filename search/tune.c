/* Tuning one variant on one layer (tune.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/graph/channel_groups.h"
#include "kernels/registry.h"
#include "profiler/profile.h"
#include "search/tune.h"

sp_tune_options sp_tune_options_default(void) {
  sp_tune_options o = {.batch = 1, .device_index = -1};
  o.search = sp_search_options_default();
  o.search.strategy = SP_SEARCH_ANNEAL;
  o.search.max_evals = 30;
  o.protocol = sp_protocol_options_quick();
  return o;
}

sp_compress_choice sp_tune_compression(const sp_variant *v) {
  if (v->format == SP_FORMAT_CSR) return (sp_compress_choice){SP_WEIGHTS_PRUNE, 0.9};
  if (v->format == SP_FORMAT_TERNARY) return (sp_compress_choice){SP_WEIGHTS_TERNARY, 0.7};
  return (sp_compress_choice){SP_WEIGHTS_DENSE, 0};
}

sp_status sp_tune_instance(const sp_graph *g, int node, const sp_variant *v, sp_graph **out) {
  sp_channel_groups cg = {0};
  sp_keep_table kt = {0};
  sp_status s = sp_channel_groups_compute(g, &cg);
  if (!s) s = sp_keep_table_build(g, &cg, NULL, 0, &kt);
  if (!s) s = sp_layer_instance_build(g, &cg, &kt, node, 0, 0, sp_tune_compression(v), out);
  sp_keep_table_free(&kt);
  sp_channel_groups_free(&cg);
  return s;
}

static void fill_entry(const sp_search_space *space, const sp_search_result *r,
                       const sp_tune_options *o, sp_tune_entry *e) {
  int values[SP_MAX_PARAMS];
  sp_search_space_values(space, r->best, values);
  e->n_params = space->n_params;
  for (int i = 0; i < space->n_params; i++) {
    snprintf(e->names[i], sizeof e->names[i], "%s", space->names[i]);
    e->values[i] = values[i];
  }
  e->best_ms = 1e3 * r->best_cost;
  e->default_ms = isfinite(r->default_cost) ? 1e3 * r->default_cost : 0;
  e->evaluations = r->n_evals;
  e->failures = r->n_failed;
  e->space = space->n_points;
  snprintf(e->strategy, sizeof e->strategy, "%s", sp_search_strategy_name(o->search.strategy));
  e->seed = (unsigned long long)o->search.seed;
  sp_profile_now(e->created);
}

sp_status sp_tune_layer(const sp_graph *g, int node, const sp_variant *v, const sp_tune_options *o,
                        sp_tune_cache *cache, sp_tune_outcome *out) {
  memset(out, 0, sizeof *out);
  if (!v->params) return sp_fail(SP_ERR_INPUT, "%s has no parameters to tune", v->name);
  sp_graph *inst = NULL;
  sp_status s = sp_tune_instance(g, node, v, &inst);
  if (s) return s;
  const sp_node *n = &inst->nodes[1];
  if (!sp_variant_supports(v, inst, n)) {
    sp_graph_free(inst);
    return sp_fail(SP_ERR_INPUT, "layer %s: %s cannot run it", g->nodes[node].name, v->name);
  }
  sp_tune_entry *e = &out->entry;
  snprintf(e->variant, sizeof e->variant, "%s", v->name);
  sp_tune_source_hash(v, e->source);
  sp_tune_shape_key(inst, n, o->batch, e->shape, sizeof e->shape);
  const sp_tune_entry *known = sp_tune_cache_find(cache, e->variant, e->source, e->shape);
  if (known && !o->retune) {
    *e = *known;
    out->cached = out->found = 1;
    out->space = known->space;
    sp_graph_free(inst);
    return SP_OK;
  }
  sp_search_space space;
  sp_tune_eval ev;
  s = sp_search_space_of_variant(v, inst, n, &o->limits, &space);
  if (s) {
    sp_graph_free(inst);
    return s;
  }
  out->space = space.n_points;
  s = sp_tune_eval_init(&ev, inst, v, o->batch, o->device_index, o->device, &o->protocol);
  sp_search_result r = {0};
  if (!s) s = sp_search_run(&space, sp_tune_evaluate, &ev, &o->search, &r);
  if (!s) {
    snprintf(out->first_error, sizeof out->first_error, "%s", r.first_error);
    out->found = r.best >= 0;
    if (out->found) {
      fill_entry(&space, &r, o, e);
      s = sp_tune_cache_put(cache, e);
    } else {
      e->evaluations = r.n_evals;
      e->failures = r.n_failed;
    }
  }
  sp_search_result_free(&r);
  sp_tune_eval_free(&ev);
  sp_search_space_free(&space);
  sp_graph_free(inst);
  return s;
}
