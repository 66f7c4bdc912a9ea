/* The node runner of sense: kernel choice, prepared weights, one node's
 * call, and scoring of logits (sense_internal.h). */
#include <math.h>
#include <stdlib.h>

#include "kernels/registry.h"
#include "accuracy/sense_internal.h"

/* The registry's guess of the fastest dense host kernel: sense runs whole
 * networks many times and has no profile to ask. */
const sp_variant *sp_sense_variant(const sp_graph *g, const sp_node *n, int threads) {
  return sp_registry_fastest_guess(g, n, threads);
}

sp_status sense_kernels_init(const sp_graph *g, int threads, const sense_kernels *share,
                             const unsigned char *share_mask, sense_kernels *out) {
  size_t n = (size_t)g->n_nodes;
  out->bytes = 0;
  out->variant = calloc(n, sizeof *out->variant);
  out->prepared = calloc(n, sizeof *out->prepared);
  out->owned = calloc(n, 1);
  if (!out->variant || !out->prepared || !out->owned) {
    sense_kernels_free(g, out);
    return sp_fail(SP_ERR_RUNTIME, "out of memory choosing the kernels of %s", g->name);
  }
  for (int i = 1; i < g->n_nodes; i++) {
    if (share && share_mask[i]) {
      out->variant[i] = share->variant[i];
      out->prepared[i] = share->prepared[i];
      continue;
    }
    const sp_node *node = &g->nodes[i];
    const sp_variant *v = sp_sense_variant(g, node, threads);
    size_t bytes = 0;
    sp_status s = v ? sp_variant_prepare(v, g, node, NULL, NULL, &out->prepared[i], &bytes)
                    : sp_fail(SP_ERR_RUNTIME, "node %s: no kernel for op %s", node->name,
                              sp_op_name(node->op));
    if (s) {
      sense_kernels_free(g, out);
      return s;
    }
    out->variant[i] = v;
    out->owned[i] = out->prepared[i] != NULL;
    out->bytes += bytes;
  }
  return SP_OK;
}

void sense_kernels_free(const sp_graph *g, sense_kernels *k) {
  for (int i = 1; k->owned && i < g->n_nodes; i++)
    if (k->owned[i]) k->variant[i]->release(k->prepared[i]);
  free(k->variant);
  free(k->prepared);
  free(k->owned);
  k->variant = NULL;
  k->prepared = NULL;
  k->owned = NULL;
}

sp_status sense_run_node(const sp_graph *g, int i, const sense_kernels *k, const float *const *in,
                         float *out, int batch, int threads, float *workspace) {
  const sp_node *n = &g->nodes[i];
  sp_status status = SP_OK;
  sp_kernel_args a = {.graph = g, .node = n, .batch = batch, .threads = threads, .out = out,
                      .out_dims = n->out, .workspace = workspace, .prepared = k->prepared[i],
                      .status = &status};
  for (int j = 0; j < n->n_inputs; j++) {
    a.in[j] = in[j];
    a.in_dims[j] = g->nodes[n->inputs[j]].out;
  }
  k->variant[i]->run(&a);
  return status ? sp_fail(status, "node %s (%s): %s", n->name, k->variant[i]->name,
                          sp_last_error())
                : SP_OK;
}

void sense_score_rows(const float *logits, const uint8_t *labels, int n, int classes,
                      sp_sense_score *s) {
  for (int r = 0; r < n; r++) {
    const float *z = logits + (size_t)r * (size_t)classes;
    int best = 0, finite = 1;
    double top = -INFINITY;
    for (int c = 0; c < classes; c++) {
      finite &= isfinite(z[c]);
      if (z[c] > z[best]) best = c;
      if (z[c] > top) top = z[c];
    }
    s->images++;
    s->correct += best == labels[r]; /* as `stackplan infer --data` counts */
    if (!finite) {
      s->loss_sum = INFINITY;
      continue;
    }
    /* log-sum-exp shifted by the largest logit, in double */
    double sum = 0.0;
    for (int c = 0; c < classes; c++) sum += exp((double)z[c] - top);
    s->loss_sum += log(sum) + top - (double)z[labels[r]];
  }
}
