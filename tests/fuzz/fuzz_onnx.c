/* libFuzzer entry point: arbitrary bytes through the ONNX importer; a graph
 * that imports is optimised and, when small, run once with the reference
 * kernels, so an importer that lets a bad shape through shows up as a
 * kernel reading out of bounds. Any crash, leak or sanitizer report is a
 * bug; SP_ERR_INPUT is the expected answer to garbage. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine/executor/executor.h"
#include "engine/onnx/onnx_import.h"

/* Whether running `g` is cheap enough for a fuzz iteration. */
static int small(const sp_graph *g) {
  int64_t work = 0;
  for (int i = 0; i < g->n_nodes; i++)
    work += (int64_t)sp_dims_count(g->nodes[i].out) + sp_node_macs(g, &g->nodes[i]);
  return work < 1000000;
}

static void run_once(const sp_graph *g) {
  sp_exec_options opt = sp_exec_options_default();
  opt.reference = 1;
  sp_executor *e = NULL;
  if (sp_executor_create(g, &opt, &e)) return;
  float *in = calloc(sp_dims_count(g->input), sizeof *in);
  float *out = malloc(sp_dims_count(g->nodes[g->output].out) * sizeof *out);
  if (in && out) sp_executor_run(e, in, out);
  free(in);
  free(out);
  sp_executor_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sp_graph *g = NULL;
  if (sp_onnx_import_buffer(data, size, "fuzz.onnx", &g) == SP_OK) {
    if (sp_graph_optimize(g) == SP_OK && small(g)) run_once(g);
    sp_graph_free(g);
  }
  return 0;
}
