/* A plan file made executable (plan_exec.h). */
#include "results/plan_exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/compress/compress.h"
#include "engine/graph/fingerprint.h"
#include "engine/onnx/model.h"
#include "kernels/registry.h"
#include "profiler/device_info.h"

/* The plan's compression as items: every group's keep below 1, then every
 * layer's weight compression (applied after the keeps, on the final shapes). */
static sp_status compression_of(const sp_plan_file *f, sp_compression *c) {
  c->n_items = 0;
  c->items = calloc((size_t)(f->n_groups + f->n_layers) + 1, sizeof *c->items);
  if (!c->items) return sp_fail(SP_ERR_RUNTIME, "out of memory");
  for (int i = 0; i < f->n_groups; i++) {
    const sp_plan_file_group *gr = &f->groups[i];
    if (gr->keep >= 1) continue;
    c->items[c->n_items++] = sp_compression_keep_item(gr->name, gr->keep);
  }
  for (int i = 0; i < f->n_layers; i++) {
    const sp_plan_file_layer *l = &f->layers[i];
    if (l->compression.kind == SP_WEIGHTS_DENSE) continue;
    c->items[c->n_items++] = sp_weight_compression_item(l->name, l->compression);
  }
  return SP_OK;
}

/* The plan's parameter values by the variant's parameter names; a parameter
 * the plan leaves out keeps its default. */
static sp_status resolve_params(const char *path, const sp_plan_file_layer *l, const sp_variant *v,
                                int *point, const int **out) {
  *out = NULL;
  if (!l->n_params) return SP_OK;
  if (!v->params)
    return sp_fail(SP_ERR_INPUT, "%s: layer %s: variant %s has no parameters, the plan gives %d", path, l->name,
                   v->name, l->n_params);
  sp_variant_default_params(v, point);
  for (int j = 0; j < l->n_params; j++) {
    int k = 0;
    while (k < v->params->count && strcmp(v->params->params[k].name, l->param_names[j])) k++;
    if (k == v->params->count)
      return sp_fail(SP_ERR_INPUT, "%s: layer %s: variant %s has no parameter '%s'", path, l->name, v->name,
                     l->param_names[j]);
    point[k] = l->params[j];
  }
  if (v->params->valid && !v->params->valid(NULL, NULL, point, NULL))
    return sp_fail(SP_ERR_INPUT, "%s: layer %s: the parameter point is not valid for %s", path, l->name, v->name);
  *out = point;
  return SP_OK;
}

static sp_status resolve_layer(const char *path, const sp_plan_file_layer *l, sp_plan_exec *x) {
  const sp_graph *g = x->graph;
  int node = sp_graph_find(g, l->name);
  if (node <= 0) return sp_fail(SP_ERR_INPUT, "%s: layer %s: the model has no such layer", path, l->name);
  const sp_variant *v = sp_registry_find(l->variant);
  if (!v)
    return sp_fail(SP_ERR_INPUT, "%s: layer %s: variant %s is not in this build%s", path, l->name, l->variant,
                   l->device >= 0 ? " (built without OpenCL?)" : "");
  if ((l->device >= 0) != sp_variant_on_device(v))
    return sp_fail(SP_ERR_INPUT, "%s: layer %s: variant %s runs on the %s, the plan says %s", path, l->name,
                   v->name, sp_variant_on_device(v) ? "device" : "host", l->device >= 0 ? "device" : "host");
  if (!sp_variant_supports(v, g, &g->nodes[node]))
    return sp_fail(SP_ERR_INPUT, "%s: layer %s: variant %s cannot run it (%s)", path, l->name, v->name,
                   sp_op_name(g->nodes[node].op));
  if (l->device >= 0) {
    if (x->device >= 0 && x->device != l->device)
      return sp_fail(SP_ERR_INPUT, "%s: layer %s: device %d, another layer uses device %d", path, l->name,
                     l->device, x->device);
    x->device = l->device;
  }
  x->variants[node] = v;
  x->threads[node] = l->threads;
  return resolve_params(path, l, v, x->param_store + (size_t)node * SP_MAX_PARAMS, &x->params[node]);
}

sp_status sp_plan_exec_build(const sp_plan_file *f, const char *plan_path, const char *model, int force,
                             sp_plan_exec *out) {
  memset(out, 0, sizeof *out);
  out->device = -1;
  if (!model) model = f->prov.model;
  snprintf(out->model, sizeof out->model, "%s", model);
  sp_status s = sp_model_load(model, &out->graph);
  if (s) return s;
  char structure[SP_FINGERPRINT_HEX], weights[SP_FINGERPRINT_HEX];
  sp_fingerprint_hex(sp_graph_structure_fingerprint(out->graph), structure);
  sp_fingerprint_hex(sp_graph_weights_fingerprint(out->graph), weights);
  out->weights_match = !strcmp(weights, f->prov.weights_fingerprint);
  if (!force && strcmp(structure, f->prov.structure_fingerprint)) {
    sp_plan_exec_free(out);
    return sp_fail(SP_ERR_INPUT,
                   "%s: model.structure_fingerprint %s is not %s's (%s): the plan is for another model "
                   "(--force runs it anyway)",
                   plan_path, f->prov.structure_fingerprint, model, structure);
  }
  sp_compression c = {0};
  s = compression_of(f, &c);
  if (!s && (s = sp_compression_apply_items(out->graph, &c)))
    s = sp_fail(s, "%s: %s", plan_path, sp_last_error());
  free(c.items);
  size_t n = (size_t)(s ? 0 : out->graph->n_nodes);
  if (!s) {
    out->variants = calloc(n, sizeof *out->variants);
    out->params = calloc(n, sizeof *out->params);
    out->threads = calloc(n, sizeof *out->threads);
    out->param_store = calloc(n * SP_MAX_PARAMS, sizeof *out->param_store);
    if (!out->variants || !out->params || !out->threads || !out->param_store)
      s = sp_fail(SP_ERR_RUNTIME, "out of memory");
  }
  for (int i = 0; !s && i < f->n_layers; i++) s = resolve_layer(plan_path, &f->layers[i], out);
  for (size_t i = 1; !s && i < n; i++)
    if (!out->variants[i])
      s = sp_fail(SP_ERR_INPUT, "%s: the plan has no layer %s of the model", plan_path,
                  out->graph->nodes[i].name);
  if (s) sp_plan_exec_free(out);
  return s;
}

int sp_plan_file_device(const sp_plan_file *f) {
  for (int i = 0; i < f->n_layers; i++)
    if (f->layers[i].device >= 0) return f->layers[i].device;
  return -1;
}

sp_status sp_plan_check_machine(const sp_plan_file *f, const char *plan_path, int device, int force) {
  if (force) return SP_OK;
  sp_device_info here;
  sp_status s = sp_device_info_collect(device, &here);
  if (s) return s;
  if (device < 0 && strcmp(here.fingerprint, f->prov.device_fingerprint)) {
    sp_device_info with0; /* a profile made with --device 0 whose plan stayed on the host */
    if (!sp_device_info_collect(0, &with0)) here = with0;
  }
  if (!strcmp(here.fingerprint, f->prov.device_fingerprint)) return SP_OK;
  sp_device_info host; /* a plan of this machine measured without the device a layer names */
  if (device >= 0 && !sp_device_info_collect(-1, &host) &&
      !strcmp(host.fingerprint, f->prov.device_fingerprint))
    return SP_OK;
  return sp_fail(SP_ERR_INPUT,
                 "%s: device.fingerprint %s is not this machine's (%s): the plan was measured on another "
                 "machine or build (--force runs it anyway)",
                 plan_path, f->prov.device_fingerprint, here.fingerprint);
}

sp_exec_options sp_plan_exec_options(const sp_plan_exec *x, int batch) {
  sp_exec_options o = sp_exec_options_default();
  o.batch = batch;
  o.variants = x->variants;
  o.params = x->params;
  o.node_threads = x->threads;
  o.device = x->device >= 0 ? x->device : 0;
  o.release_dense_weights = 1;
  return o;
}

void sp_plan_exec_free(sp_plan_exec *x) {
  sp_graph_free(x->graph);
  free(x->variants);
  free(x->params);
  free(x->threads);
  free(x->param_store);
  memset(x, 0, sizeof *x);
  x->device = -1;
}
