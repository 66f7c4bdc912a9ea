/* The executor on a DAG with branches, joins and a residual from far back:
 * default, reference and forced variants, batch 1 and 4, threads 1 and 2,
 * against a naive run that gives every node its own buffer (so a buffer
 * reused while still live shows up as a difference). */
#include <stdlib.h>
#include <string.h>

#include "engine/executor/executor.h"
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
  g->nodes[A].act = SP_ACT_RELU6; /* a fused activation on the long-lived tensor */
  for (int n = 1; n < g->n_nodes; n++) {
    sp_node *node = &g->nodes[n];
    size_t weights = sp_node_weight_count(g, node);
    if (node->weight) sp_test_fill(node->weight, weights, 100 + (uint64_t)n, -0.5f, 0.5f);
    if (node->bias) sp_test_fill(node->bias, (size_t)node->units, 200 + (uint64_t)n, -0.5f, 0.5f);
  }
  return g;
}

/* Every node's reference kernel into a buffer of its own: the oracle. */
static float *run_naive(const sp_graph *g, int batch, const float *input) {
  float **outs = calloc((size_t)g->n_nodes, sizeof *outs);
  for (int i = 1; i < g->n_nodes; i++) {
    const sp_node *n = &g->nodes[i];
    outs[i] = malloc((size_t)batch * sp_dims_count(n->out) * sizeof(float));
    sp_kernel_args a = {.graph = g, .node = n, .batch = batch, .threads = 1, .out = outs[i],
                        .out_dims = n->out};
    for (int j = 0; j < n->n_inputs; j++) {
      a.in[j] = n->inputs[j] ? outs[n->inputs[j]] : input;
      a.in_dims[j] = sp_node_in(g, n, j);
    }
    sp_registry_reference(n->op)->run(&a);
  }
  float *result = outs[g->output];
  for (int i = 1; i < g->n_nodes; i++)
    if (i != g->output) free(outs[i]);
  free(outs);
  return result;
}

/* Runs g with `opt` on `input`; NULL (and a failed check) on error. */
static float *run_executor(const sp_graph *g, const sp_exec_options *opt, const float *input) {
  sp_executor *e = NULL;
  sp_status s = sp_executor_create(g, opt, &e);
  CHECK_MSG(s == SP_OK, "%s", sp_last_error());
  if (s) return NULL;
  /* the residual check means something only if buffers are actually shared:
   * fewer bytes than every output and every workspace (they are buffer
   * tenants too) side by side */
  size_t unshared = 0;
  for (int i = 1; i < g->n_nodes; i++) {
    const sp_variant *v = sp_executor_variant(e, i);
    unshared += (size_t)opt->batch * sp_dims_count(g->nodes[i].out) * sizeof(float);
    if (v->workspace_bytes) unshared += v->workspace_bytes(g, &g->nodes[i], opt->batch);
  }
  CHECK_MSG(sp_executor_activation_bytes(e) < unshared, "%zu bytes: no buffer reused",
            sp_executor_activation_bytes(e));
  float *out = malloc((size_t)opt->batch * sp_dims_count(g->nodes[g->output].out) * sizeof *out);
  CHECK(sp_executor_run(e, input, out) == SP_OK);
  sp_executor_free(e);
  return out;
}

/* reference: bit-identical to the oracle (same kernels, same order) unless a
 * live buffer was overwritten. Other variants sum in their own order: a few
 * ulps on the O(1) logits, less after softmax. */
static void check_mode(const sp_graph *g, const char *mode, const sp_exec_options *opt) {
  size_t in_count = (size_t)opt->batch * sp_dims_count(g->input);
  size_t out_count = (size_t)opt->batch * sp_dims_count(g->nodes[g->output].out);
  float *input = malloc(in_count * sizeof *input);
  sp_test_fill(input, in_count, 7 + (uint64_t)opt->batch, -1.0f, 1.0f);
  float *want = run_naive(g, opt->batch, input);
  float *got = run_executor(g, opt, input);
  if (got) {
    char what[96];
    snprintf(what, sizeof what, "%s, batch %d, threads %d", mode, opt->batch, opt->threads);
    float tol = opt->reference && !opt->variants ? 0.0f : 1e-5f;
    CHECK_MSG(sp_test_close(what, got, want, out_count, tol, tol), "%s", what);
  }
  /* a flat softmax would hide differences in the logits */
  float lo = 1, hi = 0;
  for (size_t i = 0; i < out_count; i++) {
    if (want[i] < lo) lo = want[i];
    if (want[i] > hi) hi = want[i];
  }
  CHECK_MSG(hi - lo > 0.05f, "softmax output nearly flat: %g .. %g", lo, hi);
  free(input);
  free(want);
  free(got);
}

static void test_modes(const sp_graph *g) {
  const sp_variant *omp = sp_registry_find("conv2d__direct_omp");
  CHECK(omp != NULL);
  const sp_variant *all_omp[N_NODES] = {0};
  for (int i = 1; i < N_NODES; i++)
    if (g->nodes[i].op == SP_OP_CONV2D) all_omp[i] = omp;
  for (int batch = 1; batch <= 4; batch += 3)
    for (int threads = 1; threads <= 2; threads++) {
      sp_exec_options opt = sp_exec_options_default();
      opt.batch = batch;
      opt.threads = threads;
      check_mode(g, "default variants", &opt);
      opt.reference = 1;
      check_mode(g, "reference variants", &opt);
      opt.reference = 0;
      if (omp) {
        opt.variants = all_omp;
        check_mode(g, "conv2d__direct_omp everywhere", &opt);
      }
    }
}

/* A per-node override wins over reference mode; one of the wrong op is
 * refused naming the node. */
static void test_overrides(const sp_graph *g) {
  const sp_variant *serial = sp_registry_find("conv2d__direct_serial");
  const sp_variant *add = sp_registry_find("add__reference");
  CHECK(serial != NULL && add != NULL);
  if (!serial || !add) return;
  const sp_variant *chosen[N_NODES] = {0};
  chosen[B] = serial;
  sp_exec_options opt = sp_exec_options_default();
  opt.reference = 1;
  opt.variants = chosen;
  sp_executor *e = NULL;
  CHECK(sp_executor_create(g, &opt, &e) == SP_OK);
  if (e) {
    CHECK(sp_executor_variant(e, B) == serial);
    CHECK(sp_executor_variant(e, C) == sp_registry_reference(SP_OP_CONV2D));
    CHECK(sp_executor_variant(e, RESIDUAL) == sp_registry_reference(SP_OP_ADD));
    sp_executor_free(e);
  }
  check_mode(g, "conv2d__direct_serial on branch_b", &opt);

  chosen[B] = add;
  sp_clear_error();
  e = NULL;
  CHECK(sp_executor_create(g, &opt, &e) == SP_ERR_INPUT && e == NULL);
  CHECK_MSG(strstr(sp_last_error(), "branch_b") != NULL, "message \"%s\"", sp_last_error());
  sp_executor_free(e);
}

static void test_bad_options(const sp_graph *g) {
  sp_exec_options opt = sp_exec_options_default();
  sp_executor *e = NULL;
  opt.batch = 0;
  CHECK(sp_executor_create(g, &opt, &e) == SP_ERR_INPUT && e == NULL);
  opt.batch = 1;
  opt.threads = 0;
  CHECK(sp_executor_create(g, &opt, &e) == SP_ERR_INPUT && e == NULL);
  opt.threads = 1;
  CHECK(sp_executor_create(g, &opt, &e) == SP_OK && e != NULL);
  sp_executor_free(e);
}

int main(void) {
  sp_graph *g = build_dag();
  if (g) {
    test_modes(g);
    test_overrides(g);
    test_bad_options(g);
  }
  sp_graph_free(g);
  return sp_test_finish("test_executor");
}
