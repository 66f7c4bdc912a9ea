/* Device residency in the executor: a DAG whose nodes alternate between
 * host and OpenCL variants gives the reference result with exactly the
 * transfers that the alternation needs; the same DAG all on the device
 * needs one upload and one download; zoo models run fully on OpenCL
 * (dense, and compressed through the CSR and ternary kernels) equal the
 * reference kernels. Skips (exit 77) when there is no OpenCL device. */
#include <stdlib.h>
#include <string.h>

#include "engine/opencl/cl_runtime.h"
#include "engine/compress/compress.h"
#include "engine/executor/executor.h"
#include "engine/onnx/model.h"
#include "kernels/registry.h"
#include "tests/unit/testing.h"

enum { A = 1, B, C, JOIN, RELU, D, RESIDUAL, GAP, FC, SOFTMAX, N_NODES };

/* input -> A -> {B, C} -> join -> relu -> D -> residual(D, A) -> gap -> fc -> softmax */
static sp_graph *build_dag(void) {
  sp_graph *g = NULL;
  int i = 0;
  sp_status s = sp_graph_create("dag", (sp_dims){3, 12, 11}, &g);
  if (!s) s = sp_graph_add_conv(g, "conv_a", 0, 8, 3, 1, 1, 1, 1, &i);
  if (!s) s = sp_graph_add_conv(g, "branch_b", A, 8, 3, 1, 1, 1, 1, &i);
  if (!s) s = sp_graph_add_conv(g, "branch_c", A, 8, 1, 1, 0, 1, 0, &i);
  if (!s) s = sp_graph_add_add(g, "join", B, C, &i);
  if (!s) s = sp_graph_add_simple(g, "relu", SP_OP_RELU, JOIN, &i);
  if (!s) s = sp_graph_add_conv(g, "conv_d", RELU, 8, 3, 1, 1, 2, 1, &i);
  if (!s) s = sp_graph_add_add(g, "residual", D, A, &i);
  if (!s) s = sp_graph_add_simple(g, "gap", SP_OP_GLOBAL_AVGPOOL, RESIDUAL, &i);
  if (!s) s = sp_graph_add_fc(g, "fc", GAP, 10, &i);
  if (!s) s = sp_graph_add_simple(g, "softmax", SP_OP_SOFTMAX, FC, &i);
  CHECK_MSG(s == SP_OK && g->n_nodes == N_NODES, "%s", sp_last_error());
  if (s) {
    sp_graph_free(g);
    return NULL;
  }
  g->nodes[A].act = SP_ACT_RELU6;
  for (int n = 1; n < g->n_nodes; n++) {
    sp_node *node = &g->nodes[n];
    if (node->weight)
      sp_test_fill(node->weight, sp_node_weight_count(g, node), 100 + (uint64_t)n, -0.5f, 0.5f);
    if (node->bias) sp_test_fill(node->bias, (size_t)node->units, 200 + (uint64_t)n, -0.5f, 0.5f);
  }
  return g;
}

/* Runs g with the given variants (NULL entries: defaults; reference: all
 * reference kernels) on a seeded input; returns the output, NULL on error. */
static float *run(const sp_graph *g, const sp_variant **variants, int reference, int batch,
                  sp_transfer_stats *transfers) {
  sp_exec_options opt = sp_exec_options_default();
  opt.batch = batch;
  opt.reference = reference;
  opt.variants = variants;
  sp_executor *e = NULL;
  sp_status s = sp_executor_create(g, &opt, &e);
  CHECK_MSG(s == SP_OK, "%s", sp_last_error());
  if (s) return NULL;
  size_t in_count = (size_t)batch * sp_dims_count(g->input);
  float *in = malloc(in_count * sizeof *in);
  sp_test_fill(in, in_count, 7, -1, 1);
  float *out = malloc((size_t)batch * sp_dims_count(g->nodes[g->output].out) * sizeof *out);
  for (int r = 0; r < 2 && !s; r++) s = sp_executor_run(e, in, out); /* runs are repeatable */
  CHECK_MSG(s == SP_OK, "%s", sp_last_error());
  if (transfers) *transfers = sp_executor_transfers(e);
  for (int i = 1; i < g->n_nodes; i++)
    CHECK(sp_executor_on_device(e, i) == sp_variant_on_device(sp_executor_variant(e, i)));
  sp_executor_free(e);
  free(in);
  if (s) {
    free(out);
    return NULL;
  }
  return out;
}

static const sp_variant *find(const char *name) {
  const sp_variant *v = sp_registry_find(name);
  CHECK_MSG(v != NULL, "no variant %s", name);
  return v;
}

static size_t bytes_of(const sp_graph *g, int node, int batch) {
  return (size_t)batch * sp_dims_count(g->nodes[node].out) * sizeof(float);
}

/* Host and device nodes alternate: every change of side is one transfer. */
static void test_mixed_dag(void) {
  sp_graph *g = build_dag();
  if (!g) return;
  const int batch = 2;
  float *want = run(g, NULL, 1, batch, NULL);
  const sp_variant *chosen[N_NODES] = {NULL};
  chosen[A] = find("conv2d__direct_opencl");        /* input uploaded */
  chosen[B] = find("conv2d__direct_serial");        /* A downloaded */
  chosen[C] = find("conv2d__im2col_clblast");       /* A still on the device */
  chosen[JOIN] = find("add__opencl");               /* B uploaded */
  chosen[RELU] = find("relu__reference");           /* join downloaded */
  chosen[D] = find("conv2d__direct_opencl");        /* relu uploaded */
  chosen[RESIDUAL] = find("add__reference");        /* D downloaded, A valid on the host */
  chosen[GAP] = find("global_avgpool__opencl");     /* residual uploaded */
  chosen[FC] = find("fc__reference");               /* gap downloaded */
  sp_transfer_stats t;
  float *got = run(g, chosen, 0, batch, &t);
  size_t out_count = (size_t)batch * 10;
  if (got && want) CHECK(sp_test_close("mixed dag", got, want, out_count, 1e-5f, 1e-4f));
  CHECK_MSG(t.uploads == 4 && t.downloads == 4, "%d uploads, %d downloads", t.uploads, t.downloads);
  CHECK(t.upload_bytes == bytes_of(g, 0, batch) + bytes_of(g, B, batch) +
                              bytes_of(g, RELU, batch) + bytes_of(g, RESIDUAL, batch));
  CHECK(t.download_bytes == bytes_of(g, A, batch) + bytes_of(g, JOIN, batch) +
                                bytes_of(g, D, batch) + bytes_of(g, GAP, batch));
  CHECK(t.upload_seconds > 0 && t.download_seconds > 0);
  free(got);

  /* all on the device but the softmax: the input goes up, the logits down */
  chosen[B] = find("conv2d__direct_opencl");
  chosen[RELU] = find("relu__opencl");
  chosen[RESIDUAL] = find("add__opencl");
  chosen[FC] = find("fc__opencl");
  got = run(g, chosen, 0, batch, &t);
  if (got && want) CHECK(sp_test_close("dag on the device", got, want, out_count, 1e-5f, 1e-4f));
  CHECK_MSG(t.uploads == 1 && t.downloads == 1 && t.download_bytes == bytes_of(g, FC, batch),
            "%d uploads, %d downloads", t.uploads, t.downloads);
  free(got);

  /* all on the host: no transfer at all */
  got = run(g, NULL, 0, batch, &t);
  CHECK(t.uploads == 0 && t.downloads == 0);
  free(got);
  free(want);
  sp_graph_free(g);
}

/* The first device variant of the preferred kind that runs node n. */
static const sp_variant *device_variant(const sp_graph *g, const sp_node *n, const char *prefer) {
  int count = 0;
  const sp_variant *all = sp_registry_variants(&count), *any = NULL;
  for (int i = 0; i < count; i++) {
    if (!sp_variant_on_device(&all[i]) || !sp_variant_supports(&all[i], g, n)) continue;
    if (prefer && strstr(all[i].name, prefer)) return &all[i];
    int plain = all[i].format == SP_FORMAT_DENSE || all[i].format == SP_FORMAT_NONE;
    if (!any && plain) any = &all[i];
  }
  return any;
}

/* A zoo model with every node on the device, output equal to the reference. */
static void test_zoo_on_device(const char *model, const char *compression, const char *prefer) {
  sp_graph *g = NULL;
  sp_status s = sp_model_load(model, &g);
  CHECK_MSG(s == SP_OK, "%s: %s", model, sp_last_error());
  if (s) return;
  if (compression) CHECK_MSG(sp_compression_apply(g, compression) == SP_OK, "%s", sp_last_error());
  const sp_variant **chosen = calloc((size_t)g->n_nodes, sizeof *chosen);
  int on_device = 0;
  for (int i = 1; i < g->n_nodes; i++) {
    const sp_node *n = &g->nodes[i];
    const char *kind = n->ternary ? "ternary_opencl" : n->sparsity > 0 ? "csr_opencl" : prefer;
    chosen[i] = device_variant(g, n, kind);
    on_device += chosen[i] != NULL;
  }
  CHECK_MSG(on_device == g->n_nodes - 1, "%s: %d of %d nodes have a device variant", model,
            on_device, g->n_nodes - 1);
  const int batch = 2;
  sp_transfer_stats t;
  float *want = run(g, NULL, 1, batch, NULL), *got = run(g, chosen, 0, batch, &t);
  char what[160];
  snprintf(what, sizeof what, "%s [%s] on the device (%s)", model, compression ? compression : "",
           prefer ? prefer : "first");
  if (got && want)
    CHECK(sp_test_close(what, got, want, (size_t)batch * sp_dims_count(g->nodes[g->output].out),
                        1e-4f, 1e-3f));
  CHECK_MSG(t.uploads == 1 && t.downloads == 1, "%s: %d uploads, %d downloads", what, t.uploads,
            t.downloads);
  printf("%-60s ok, %d transfers\n", what, t.uploads + t.downloads);
  free(got);
  free(want);
  free(chosen);
  sp_graph_free(g);
}

int main(void) {
  if (!sp_cl_enabled()) {
    printf("test_cl_residency: SKIP: no OpenCL device (%s)\n", sp_cl_disabled_reason());
    return 77;
  }
  test_mixed_dag();
  test_zoo_on_device("mobilenet:w=0.25", NULL, "direct_opencl");
  test_zoo_on_device("resnet18:w=0.125", NULL, "im2col_clblast");
  test_zoo_on_device("vgg16:w=0.125", NULL, "convgemm_clblast");
  test_zoo_on_device("vgg16:w=0.125", "prune:conv2=0.8,ternary:conv5,prune:conv9=0.5",
                     "direct_opencl");
  test_zoo_on_device("mobilenet:w=0.25", "prune:blocks.3.pw=0.8,ternary:blocks.6.pw", "depthwise");
  sp_cl_shutdown();
  return sp_test_finish("test_cl_residency");
}
