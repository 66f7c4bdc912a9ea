/* The shared part of the kernel tests (variant_tester.h). */
#include "tests/unit/variant_tester.h"

#include <stdlib.h>

#include "tests/unit/testing.h"

size_t sp_vt_reduction_length(const sp_graph *g, const sp_node *n) {
  sp_dims in = sp_node_in(g, n, 0);
  switch (n->op) {
    case SP_OP_CONV2D: return (size_t)(in.c / n->groups) * (size_t)n->win.kh * (size_t)n->win.kw;
    case SP_OP_FC:
    case SP_OP_SOFTMAX: return sp_dims_count(in);
    case SP_OP_AVGPOOL: return (size_t)n->win.kh * (size_t)n->win.kw;
    case SP_OP_GLOBAL_AVGPOOL: return (size_t)in.h * (size_t)in.w;
    default: return 1;
  }
}

float sp_vt_atol(const sp_variant *v, const sp_graph *g, const sp_node *n) {
  const float algo = v->algo == SP_ALGO_WINOGRAD ? 5.0f : 1.0f;
  return algo * (1e-5f + 1e-6f * (float)sp_vt_reduction_length(g, n));
}

void sp_vt_run_host(const sp_variant *v, const sp_graph *g, int batch, int threads,
                    const float *const *in, float *out) {
  const sp_node *n = &g->nodes[1];
  void *prepared = NULL;
  size_t bytes = 0;
  if (v->prepare) {
    sp_status s = v->prepare(g, n, &prepared, &bytes);
    CHECK_MSG(s == SP_OK, "%s: prepare failed: %s", v->name, sp_last_error());
    if (s) return;
  }
  size_t ws = v->workspace_bytes ? v->workspace_bytes(g, n, batch) : 0;
  sp_kernel_args a = {.graph = g, .node = n, .batch = batch, .threads = threads, .out = out,
                      .out_dims = n->out, .workspace = ws ? malloc(ws) : NULL,
                      .prepared = prepared};
  for (int j = 0; j < n->n_inputs; j++) {
    a.in[j] = in[j];
    a.in_dims[j] = sp_node_in(g, n, j);
  }
  v->run(&a);
  free(a.workspace);
  if (prepared) v->release(prepared);
}
