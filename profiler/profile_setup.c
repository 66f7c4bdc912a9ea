/* Setting up a profile and checking that a file can be resumed
 * (profile_run.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/graph/fingerprint.h"
#include "profiler/profile_grid.h"
#include "profiler/profile_run.h"

static sp_status check_config(const sp_profile_config *c) {
  if (c->n_threads < 1 || c->n_threads > SP_PROFILE_MAX_THREADS)
    return sp_fail(SP_ERR_INPUT, "1 to %d thread counts expected, got %d", SP_PROFILE_MAX_THREADS,
                   c->n_threads);
  for (int i = 0; i < c->n_threads; i++)
    if (c->threads[i] < 1 || c->threads[i] > 1024)
      return sp_fail(SP_ERR_INPUT, "thread count %d out of range [1, 1024]", c->threads[i]);
  if (c->batch < 1) return sp_fail(SP_ERR_INPUT, "batch %d must be >= 1", c->batch);
  for (int i = 0; i < c->n_prune; i++)
    if (!(c->prune[i] >= 0 && c->prune[i] < 1))
      return sp_fail(SP_ERR_INPUT, "pruning sparsity %g out of range [0, 1)", c->prune[i]);
  for (int i = 0; i < c->n_ternary; i++)
    if (!(c->ternary[i] > 0))
      return sp_fail(SP_ERR_INPUT, "ternary threshold %g must be > 0", c->ternary[i]);
  sp_status s = sp_protocol_options_check(&c->protocol);
  return s ? s : sp_profile_check_variants(c);
}

static void fill_groups(const sp_channel_groups *cg, const sp_keep_table *kt, sp_profile *p) {
  for (int i = 0; i < cg->n_groups; i++) {
    sp_profile_group *pg = &p->groups[i];
    const sp_keep_levels *lv = &kt->groups[i];
    snprintf(pg->name, sizeof pg->name, "%s", cg->groups[i].name);
    pg->channels = cg->groups[i].channels;
    pg->prunable = cg->groups[i].prunable;
    pg->n_keep = lv->n_levels;
    for (int k = 0; k < lv->n_levels; k++) {
      pg->keep[k] = lv->keep[k];
      pg->kept[k] = lv->count[k];
    }
  }
}

/* The layer of node i, and whether any of its cases has a task to run. */
static int fill_layer(const sp_graph *g, const sp_channel_groups *cg, const sp_keep_table *kt,
                      const sp_profile_config *c, int i, sp_profile_layer *l) {
  const sp_node *n = &g->nodes[i];
  snprintf(l->name, sizeof l->name, "%s", n->name);
  snprintf(l->kind, sizeof l->kind, "%s", sp_op_name(n->op));
  sp_node_describe(g, n, l->op, sizeof l->op);
  l->n_inputs = n->n_inputs;
  for (int j = 0; j < n->n_inputs; j++) {
    snprintf(l->inputs[j], sizeof l->inputs[j], "%s", g->nodes[n->inputs[j]].name);
    l->input_layer[j] = n->inputs[j] - 1; /* layers are the nodes after the input */
  }
  l->group_in = sp_channel_group_of_input(cg, g, i);
  l->group_out = cg->group_of[i];
  for (int k = 0; k < kt->groups[l->group_out].n_levels; k++)
    l->act_bytes[k] = (double)c->batch * (double)sp_dims_count(sp_kept_dims(g, cg, kt, i, k)) *
                      sizeof(float);
  sp_profile_task tasks[SP_PROFILE_MAX_TASKS];
  static const sp_weight_compression kinds[] = {SP_WEIGHTS_DENSE, SP_WEIGHTS_PRUNE,
                                                SP_WEIGHTS_TERNARY};
  int any = 0;
  for (int k = 0; k < 3 && !any; k++) {
    if (k && !n->weight) break;
    if ((kinds[k] == SP_WEIGHTS_PRUNE && !c->n_prune) || (kinds[k] == SP_WEIGHTS_TERNARY && !c->n_ternary))
      continue;
    any = sp_profile_tasks(g, i, c, c->device >= 0, kinds[k], tasks, SP_PROFILE_MAX_TASKS) > 0;
  }
  return any;
}

sp_status sp_profile_init(const sp_graph *g, const char *model, const sp_device_info *device,
                          const sp_profile_config *config, sp_profile *p) {
  memset(p, 0, sizeof *p);
  sp_status s = check_config(config);
  if (s) return s;
  sp_profile_now(p->created);
  memcpy(p->updated, p->created, sizeof p->updated);
  p->device = *device;
  snprintf(p->model, sizeof p->model, "%s", model);
  sp_fingerprint_hex(sp_graph_structure_fingerprint(g), p->model_fingerprint);
  p->input = g->input;
  p->config = *config;
  p->config.protocol.clock = NULL;
  p->config.protocol.clock_ctx = NULL;
  p->config.protocol.stop = NULL;

  sp_channel_groups cg = {0};
  sp_keep_table kt = {0};
  s = sp_channel_groups_compute(g, &cg);
  if (!s) s = sp_keep_table_build(g, &cg, config->keep, config->n_keep, &kt);
  if (!s) {
    p->n_groups = cg.n_groups;
    p->n_layers = g->n_nodes - 1;
    p->groups = calloc((size_t)p->n_groups, sizeof *p->groups);
    p->layers = calloc((size_t)(p->n_layers > 0 ? p->n_layers : 1), sizeof *p->layers);
    if (!p->groups || !p->layers) s = sp_fail(SP_ERR_RUNTIME, "out of memory for the profile");
  }
  if (!s) fill_groups(&cg, &kt, p);
  for (int i = 1; !s && i < g->n_nodes; i++)
    if (!fill_layer(g, &cg, &kt, config, i, &p->layers[i - 1]))
      s = sp_fail(SP_ERR_INPUT, "layer %s (%s): no runnable variant%s%s", g->nodes[i].name,
                  p->layers[i - 1].op, config->variants[0] ? " among --variants " : "",
                  config->variants);
  sp_keep_table_free(&kt);
  sp_channel_groups_free(&cg);
  if (s) sp_profile_free(p);
  return s;
}

sp_status sp_profile_check_resume(const char *path, const sp_profile *old, const sp_profile *fresh) {
  const char *field = sp_device_info_diff(&old->device, &fresh->device);
  if (field)
    return sp_fail(SP_ERR_INPUT, "%s: device.%s differs: the profile was measured on another "
                   "device or build (device fingerprint %s, this one %s)", path, field,
                   old->device.fingerprint, fresh->device.fingerprint);
  if (strcmp(old->model_fingerprint, fresh->model_fingerprint))
    return sp_fail(SP_ERR_INPUT, "%s: model.fingerprint differs: the profile is of another model "
                   "(%s, fingerprint %s; this one %s)", path, old->model,
                   old->model_fingerprint, fresh->model_fingerprint);
  field = sp_profile_config_diff(&old->config, &fresh->config);
  if (field)
    return sp_fail(SP_ERR_INPUT, "%s: config.%s differs from this run's options: resume with the "
                   "options it was started with", path, field);
  if (old->n_groups != fresh->n_groups || old->n_layers != fresh->n_layers)
    return sp_fail(SP_ERR_INPUT, "%s: groups or layers differ from the model's", path);
  for (int i = 0; i < old->n_groups; i++) {
    const sp_profile_group *a = &old->groups[i], *b = &fresh->groups[i];
    if (a->n_keep != b->n_keep || memcmp(a->kept, b->kept, (size_t)a->n_keep * sizeof a->kept[0]))
      return sp_fail(SP_ERR_INPUT, "%s: groups[%d].keep differs from the model's", path, i);
  }
  for (int i = 0; i < old->n_layers; i++)
    if (strcmp(old->layers[i].name, fresh->layers[i].name))
      return sp_fail(SP_ERR_INPUT, "%s: layers[%d].name differs from the model's", path, i);
  return SP_OK;
}
