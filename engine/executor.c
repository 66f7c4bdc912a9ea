#include "executor.h"

#include <stdlib.h>
#include <string.h>

#include "../kernels/registry.h"
#include "model_info.h"

struct sp_executor {
  const sp_graph *graph;
  sp_exec_options opt;
  const sp_variant **variant; /* per node */
  void **prepared;            /* per node: the variant's converted weights, or NULL */
  size_t *weight_bytes;       /* per node: bytes of the weights it runs from */
  int *buffer_of;             /* per node: index into buffers (-1 for the input) */
  int n_buffers;
  float **buffers;
  size_t *buffer_floats;
  float *workspace;
  size_t workspace_bytes;
  size_t peak_live_bytes;     /* largest sum of live activations over the steps */
  float **node_out;           /* per node, valid during a run */
};

sp_exec_options sp_exec_options_default(void) {
  return (sp_exec_options){.batch = 1, .threads = 1, .reference = 0, .variants = NULL};
}

static sp_status choose_variants(sp_executor *e) {
  const sp_graph *g = e->graph;
  for (int i = 1; i < g->n_nodes; i++) {
    const sp_node *n = &g->nodes[i];
    const sp_variant *v = e->opt.variants ? e->opt.variants[i] : NULL;
    if (!v) v = e->opt.reference ? sp_registry_reference(n->op) : sp_registry_default(g, n, e->opt.threads);
    if (!v) return sp_fail(SP_ERR_RUNTIME, "node %s: no kernel for op %s", n->name, sp_op_name(n->op));
    if (!sp_variant_supports(v, g, n))
      return sp_fail(SP_ERR_INPUT, "node %s: variant %s cannot run this %s", n->name, v->name,
                     sp_op_name(n->op));
    e->variant[i] = v;
    if (v->workspace_bytes) {
      size_t ws = v->workspace_bytes(g, n, e->opt.batch);
      if (ws > e->workspace_bytes) e->workspace_bytes = ws;
    }
  }
  return SP_OK;
}

/* Lets each chosen variant convert its node's weights once. A node's weight
 * bytes are what its variant prepared (or the dense arrays it reads), plus the
 * float bias, which every variant reads from the node. */
static sp_status prepare_weights(sp_executor *e) {
  const sp_graph *g = e->graph;
  for (int i = 1; i < g->n_nodes; i++) {
    const sp_node *n = &g->nodes[i];
    const sp_variant *v = e->variant[i];
    size_t bytes = (size_t)sp_node_weight_bytes(g, n);
    if (v->prepare) {
      size_t prepared_bytes = 0;
      sp_status s = v->prepare(g, n, &e->prepared[i], &prepared_bytes);
      if (s) return s;
      bytes = prepared_bytes + (n->bias ? (size_t)n->units * sizeof(float) : 0);
      if (e->opt.release_dense_weights && e->prepared[i]) {
        /* the nodes are the caller's heap objects, const only in this interface */
        sp_node *owned = (sp_node *)n;
        free(owned->weight);
        owned->weight = NULL;
      }
    }
    e->weight_bytes[i] = bytes;
  }
  return SP_OK;
}

/* Assigns every node output a buffer, reusing a buffer once the last reader
 * of its previous tenant has run. Sizes only; allocation follows. */
static sp_status plan_buffers(sp_executor *e) {
  const sp_graph *g = e->graph;
  int n = g->n_nodes;
  int *last_use = malloc((size_t)n * sizeof *last_use);
  int *busy = calloc((size_t)n, sizeof *busy);
  e->buffer_floats = calloc((size_t)n, sizeof *e->buffer_floats);
  if (!last_use || !busy || !e->buffer_floats) {
    free(last_use);
    free(busy);
    return sp_fail(SP_ERR_RUNTIME, "out of memory planning buffers of %s", g->name);
  }
  for (int i = 0; i < n; i++) last_use[i] = i;
  for (int i = 1; i < n; i++)
    for (int j = 0; j < g->nodes[i].n_inputs; j++) last_use[g->nodes[i].inputs[j]] = i;
  last_use[g->output] = n; /* the result survives the run */
  e->buffer_of[0] = -1;
  size_t live = 0; /* floats of the outputs alive at this step (the input is the caller's) */
  for (int i = 1; i < n; i++) {
    size_t need = (size_t)e->opt.batch * sp_dims_count(g->nodes[i].out);
    /* smallest free buffer that fits, else the largest free one (grown) */
    int fit = -1, largest = -1;
    for (int b = 0; b < e->n_buffers; b++) {
      if (busy[b]) continue;
      if (e->buffer_floats[b] >= need && (fit < 0 || e->buffer_floats[b] < e->buffer_floats[fit]))
        fit = b;
      if (largest < 0 || e->buffer_floats[b] > e->buffer_floats[largest]) largest = b;
    }
    int best = fit >= 0 ? fit : largest;
    if (best < 0) best = e->n_buffers++;
    if (e->buffer_floats[best] < need) e->buffer_floats[best] = need;
    busy[best] = 1;
    e->buffer_of[i] = best;
    live += need;
    if (live * sizeof(float) > e->peak_live_bytes) e->peak_live_bytes = live * sizeof(float);
    for (int j = 0; j < g->nodes[i].n_inputs; j++) {
      int p = g->nodes[i].inputs[j];
      if (p > 0 && last_use[p] == i && busy[e->buffer_of[p]]) {
        busy[e->buffer_of[p]] = 0;
        live -= (size_t)e->opt.batch * sp_dims_count(g->nodes[p].out);
      }
    }
  }
  free(last_use);
  free(busy);
  return SP_OK;
}

sp_status sp_executor_create(const sp_graph *g, const sp_exec_options *opt, sp_executor **out) {
  *out = NULL;
  if (opt->batch < 1 || opt->threads < 1)
    return sp_fail(SP_ERR_INPUT, "batch (%d) and threads (%d) must be >= 1", opt->batch, opt->threads);
  sp_executor *e = calloc(1, sizeof *e);
  if (!e) return sp_fail(SP_ERR_RUNTIME, "out of memory creating executor for %s", g->name);
  e->graph = g;
  e->opt = *opt;
  size_t n = (size_t)g->n_nodes;
  e->variant = calloc(n, sizeof *e->variant);
  e->buffer_of = calloc(n, sizeof *e->buffer_of);
  e->node_out = calloc(n, sizeof *e->node_out);
  e->prepared = calloc(n, sizeof *e->prepared);
  e->weight_bytes = calloc(n, sizeof *e->weight_bytes);
  sp_status s = (!e->variant || !e->buffer_of || !e->node_out || !e->prepared || !e->weight_bytes)
                    ? sp_fail(SP_ERR_RUNTIME, "out of memory creating executor for %s", g->name)
                    : SP_OK;
  if (!s) s = choose_variants(e);
  if (!s) s = prepare_weights(e);
  if (!s) s = plan_buffers(e);
  if (!s) {
    e->buffers = calloc((size_t)e->n_buffers + 1, sizeof *e->buffers);
    if (!e->buffers) s = sp_fail(SP_ERR_RUNTIME, "out of memory for activations of %s", g->name);
    for (int b = 0; !s && b < e->n_buffers; b++) {
      e->buffers[b] = malloc(e->buffer_floats[b] * sizeof(float));
      if (!e->buffers[b]) s = sp_fail(SP_ERR_RUNTIME, "out of memory for activations of %s", g->name);
    }
  }
  if (!s && e->workspace_bytes) {
    e->workspace = malloc(e->workspace_bytes);
    if (!e->workspace) s = sp_fail(SP_ERR_RUNTIME, "out of memory for workspace of %s", g->name);
  }
  if (s) {
    sp_executor_free(e);
    return s;
  }
  *out = e;
  return SP_OK;
}

sp_status sp_executor_run(sp_executor *e, const float *input, float *output) {
  const sp_graph *g = e->graph;
  e->node_out[0] = (float *)input; /* read only: no kernel writes its inputs */
  for (int i = 1; i < g->n_nodes; i++) {
    const sp_node *n = &g->nodes[i];
    sp_kernel_args a = {.graph = g, .node = n, .batch = e->opt.batch, .threads = e->opt.threads,
                        .out = e->buffers[e->buffer_of[i]], .out_dims = n->out,
                        .workspace = e->workspace, .prepared = e->prepared[i]};
    for (int j = 0; j < n->n_inputs; j++) {
      a.in[j] = e->node_out[n->inputs[j]];
      a.in_dims[j] = g->nodes[n->inputs[j]].out;
    }
    e->variant[i]->run(&a);
    e->node_out[i] = a.out;
  }
  memcpy(output, e->node_out[g->output],
         (size_t)e->opt.batch * sp_dims_count(g->nodes[g->output].out) * sizeof(float));
  return SP_OK;
}

const sp_variant *sp_executor_variant(const sp_executor *e, int index) { return e->variant[index]; }

size_t sp_executor_activation_bytes(const sp_executor *e) {
  size_t total = 0;
  for (int b = 0; b < e->n_buffers; b++) total += e->buffer_floats[b] * sizeof(float);
  return total;
}

size_t sp_executor_workspace_bytes(const sp_executor *e) { return e->workspace_bytes; }

size_t sp_executor_peak_live_bytes(const sp_executor *e) { return e->peak_live_bytes; }

size_t sp_executor_node_weight_bytes(const sp_executor *e, int index) {
  return index > 0 ? e->weight_bytes[index] : 0;
}

size_t sp_executor_weight_bytes(const sp_executor *e) {
  size_t total = 0;
  for (int i = 1; i < e->graph->n_nodes; i++) total += e->weight_bytes[i];
  return total;
}

int sp_executor_prepared(const sp_executor *e, int index) {
  return index > 0 && e->prepared[index] != NULL;
}

void sp_executor_free(sp_executor *e) {
  if (!e) return;
  for (int i = 1; e->prepared && i < e->graph->n_nodes; i++)
    if (e->prepared[i]) e->variant[i]->release(e->prepared[i]);
  free(e->prepared);
  free(e->weight_bytes);
  for (int b = 0; e->buffers && b < e->n_buffers; b++) free(e->buffers[b]);
  free(e->buffers);
  free(e->buffer_floats);
  free(e->workspace);
  free(e->variant);
  free(e->buffer_of);
  free(e->node_out);
  free(e);
}
