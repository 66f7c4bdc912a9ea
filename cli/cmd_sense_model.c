/* stackplan sense --check FILE and --identify: an accuracy file checked
 * against a model, and the model's identity for tools that write such files
 * (tools/finetune_accuracy.py). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "accuracy/accuracy_io.h"
#include "engine/graph/channel_groups.h"
#include "engine/compress/compress.h"
#include "engine/graph/fingerprint.h"
#include "cli/cmd_sense.h"

static int has_weights(const sp_node *n) { return n->op == SP_OP_CONV2D || n->op == SP_OP_FC; }

static const sp_channel_group *group_named(const sp_channel_groups *cg, const char *name) {
  for (int k = 0; k < cg->n_groups; k++)
    if (cg->groups[k].prunable && !strcmp(cg->groups[k].name, name)) return &cg->groups[k];
  return NULL;
}

/* Every entry names a conv/fc layer, or a prunable group, of g. */
static sp_status check_names(const char *path, const sp_accuracy *a, const sp_graph *g,
                             const sp_channel_groups *cg) {
  for (int i = 0; i < a->n_layers; i++) {
    int node = sp_graph_find(g, a->layers[i].layer);
    if (node < 0 || !has_weights(&g->nodes[node]))
      return sp_fail(SP_ERR_INPUT, "%s: layers[%d].layer: %s has no conv/fc layer '%s'", path, i,
                     g->name, a->layers[i].layer);
  }
  for (int i = 0; i < a->n_groups; i++)
    if (!group_named(cg, a->groups[i].group))
      return sp_fail(SP_ERR_INPUT, "%s: groups[%d].group: %s has no prunable channel group '%s'",
                     path, i, g->name, a->groups[i].group);
  return SP_OK;
}

int sp_sense_run_check(const sense_args *args, const sp_graph *g) {
  sp_accuracy a;
  sp_status s = sp_accuracy_load(args->check, &a);
  if (s) return sp_cli_fail(SENSE_CMD, s);
  sp_channel_groups cg = {0};
  if (!(s = sp_accuracy_check(&a, args->check, g)) && !(s = sp_channel_groups_compute(g, &cg)))
    s = check_names(args->check, &a, g, &cg);
  if (!s)
    printf("%s: %s version %d, source %s, %s %s (%d images): baseline %.2f%%, %d layer and %d "
           "group entries; matches %s\n",
           args->check, SP_ACCURACY_FORMAT, SP_ACCURACY_VERSION, a.source, a.data, a.split,
           a.images, a.accuracy, a.n_layers, a.n_groups, args->model);
  sp_channel_groups_free(&cg);
  sp_accuracy_free(&a);
  return s ? sp_cli_fail(SENSE_CMD, s) : 0;
}

static cJSON *name_list(const sp_graph *g, const int *nodes, int n, int weighted_only) {
  cJSON *arr = cJSON_CreateArray();
  for (int i = 0; i < n; i++) {
    const sp_node *node = &g->nodes[nodes[i]];
    if (!weighted_only || has_weights(node) || node->op == SP_OP_BATCHNORM)
      cJSON_AddItemToArray(arr, cJSON_CreateString(node->name));
  }
  return arr;
}

/* {"name", fingerprints, "input", "classes", "layers": [conv/fc names],
 *  "groups": [{"group", "channels", "members", "consumers"}] (prunable). */
static cJSON *identity(const sense_args *args, const sp_graph *g, const sp_channel_groups *cg) {
  sp_accuracy id = {0};
  sp_accuracy_set_model(&id, args->model, g);
  cJSON *o = cJSON_CreateObject(), *layers = cJSON_CreateArray(), *groups = cJSON_CreateArray();
  cJSON_AddStringToObject(o, "name", id.model);
  cJSON_AddStringToObject(o, "structure_fingerprint", id.structure_fingerprint);
  cJSON_AddStringToObject(o, "weights_fingerprint", id.weights_fingerprint);
  cJSON_AddItemToObject(o, "input", cJSON_CreateIntArray(id.input, 3));
  cJSON_AddNumberToObject(o, "classes", id.classes);
  for (int i = 1; i < g->n_nodes; i++)
    if (has_weights(&g->nodes[i])) cJSON_AddItemToArray(layers, cJSON_CreateString(g->nodes[i].name));
  for (int k = 0; k < cg->n_groups; k++) {
    const sp_channel_group *gr = &cg->groups[k];
    if (!gr->prunable) continue;
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "group", gr->name);
    cJSON_AddNumberToObject(e, "channels", gr->channels);
    cJSON_AddItemToObject(e, "members", name_list(g, gr->members, gr->n_members, 1));
    cJSON_AddItemToObject(e, "consumers", name_list(g, gr->consumers, gr->n_consumers, 0));
    cJSON_AddItemToArray(groups, e);
  }
  cJSON_AddItemToObject(o, "layers", layers);
  cJSON_AddItemToObject(o, "groups", groups);
  return o;
}

int sp_sense_run_identify(const sense_args *args, const sp_graph *g) {
  sp_channel_groups cg;
  sp_status s = sp_channel_groups_compute(g, &cg);
  if (s) return sp_cli_fail(SENSE_CMD, s);
  cJSON *o = identity(args, g, &cg);
  char *text = o ? cJSON_Print(o) : NULL;
  cJSON_Delete(o);
  sp_channel_groups_free(&cg);
  if (!text) return sp_cli_error(SENSE_CMD, 1, "out of memory printing %s", args->model);
  printf("%s\n", text);
  free(text);
  return 0;
}
