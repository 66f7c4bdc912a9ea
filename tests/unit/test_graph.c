/* Graph construction: shape inference, its errors (each naming the node),
 * and the load-time passes (batch-norm folding, activation fusion), which
 * must leave the network's results unchanged. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/executor/executor.h"
#include "tests/unit/testing.h"

static int dims_are(sp_dims d, int c, int h, int w) { return d.c == c && d.h == h && d.w == w; }

static void test_shapes(void) {
  sp_graph *g = NULL;
  CHECK(sp_graph_create("shapes", (sp_dims){3, 32, 32}, &g) == SP_OK);
  int conv = -1, pool = -1, pool3 = -1, odd = -1, gap = -1, flat = -1, fc = -1;
  CHECK(sp_graph_add_conv(g, "conv", 0, 16, 3, 2, 1, 1, 0, &conv) == SP_OK);
  CHECK(dims_are(g->nodes[conv].out, 16, 16, 16));
  CHECK(sp_graph_add_pool(g, "pool", SP_OP_MAXPOOL, conv, 2, 2, 0, &pool) == SP_OK);
  CHECK(dims_are(g->nodes[pool].out, 16, 8, 8));
  CHECK(sp_graph_add_pool(g, "pool3", SP_OP_AVGPOOL, pool, 3, 2, 1, &pool3) == SP_OK);
  CHECK(dims_are(g->nodes[pool3].out, 16, 4, 4));
  /* non-square kernel, stride and asymmetric padding: (4 + 0 + 2 - 3) / 1 + 1 = 4 rows,
   * (4 + 1 + 0 - 1) / 2 + 1 = 3 columns */
  sp_node n;
  memset(&n, 0, sizeof n);
  snprintf(n.name, sizeof n.name, "odd");
  n.op = SP_OP_CONV2D;
  n.n_inputs = 1;
  n.inputs[0] = pool3;
  n.win = (sp_window){.kh = 3, .kw = 1, .sh = 1, .sw = 2, .pt = 0, .pl = 1, .pb = 2, .pr = 0};
  n.groups = 4;
  n.units = 8;
  CHECK(sp_graph_add(g, &n, &odd) == SP_OK);
  CHECK(dims_are(g->nodes[odd].out, 8, 4, 3));
  CHECK(sp_graph_add_simple(g, "gap", SP_OP_GLOBAL_AVGPOOL, odd, &gap) == SP_OK);
  CHECK(dims_are(g->nodes[gap].out, 8, 1, 1));
  CHECK(sp_graph_add_simple(g, "flat", SP_OP_FLATTEN, odd, &flat) == SP_OK);
  CHECK(dims_are(g->nodes[flat].out, 96, 1, 1));
  CHECK(sp_graph_add_fc(g, "fc", flat, 10, &fc) == SP_OK);
  CHECK(dims_are(g->nodes[fc].out, 10, 1, 1));
  CHECK(g->output == fc && g->n_nodes == 8);
  CHECK(sp_node_macs(g, &g->nodes[fc]) == 960);
  sp_graph_free(g);
}

/* A failed add must return SP_ERR_INPUT, name the node in the message and
 * leave the graph's `nodes` nodes as they were. */
static void expect_rejected(const sp_graph *g, int nodes, sp_status s, const char *name) {
  CHECK_MSG(s == SP_ERR_INPUT, "%s: status %d", name, (int)s);
  CHECK_MSG(strstr(sp_last_error(), name) != NULL, "%s: message \"%s\"", name, sp_last_error());
  CHECK_MSG(g->n_nodes == nodes, "%s: graph changed", name);
  sp_clear_error();
}

static void test_shape_errors(void) {
  sp_graph *g = NULL;
  CHECK(sp_graph_create("errors", (sp_dims){3, 3, 3}, &g) == SP_OK);
  int conv = -1, i = -1;
  CHECK(sp_graph_add_conv(g, "conv4", 0, 4, 1, 1, 0, 1, 0, &conv) == SP_OK);
  int nodes = g->n_nodes, output = g->output;
  sp_clear_error();
  expect_rejected(g, nodes, sp_graph_add_add(g, "mismatched_add", 0, conv, &i),
                  "mismatched_add");
  expect_rejected(g, nodes, sp_graph_add_conv(g, "conv_too_big", 0, 2, 5, 1, 0, 1, 0, &i),
                  "conv_too_big");
  expect_rejected(g, nodes, sp_graph_add_pool(g, "pool_too_big", SP_OP_MAXPOOL, 0, 4, 1, 0, &i),
                  "pool_too_big");
  expect_rejected(g, nodes, sp_graph_add_conv(g, "groups_vs_cin", 0, 4, 1, 1, 0, 2, 0, &i),
                  "groups_vs_cin");
  expect_rejected(g, nodes, sp_graph_add_simple(g, "lost_input", SP_OP_RELU, 42, &i),
                  "lost_input");
  expect_rejected(g, nodes, sp_graph_add_simple(g, "negative_input", SP_OP_RELU, -1, &i),
                  "negative_input");
  /* output channels not divisible by groups: 4 inputs, 3 outputs, 2 groups */
  sp_node n;
  memset(&n, 0, sizeof n);
  snprintf(n.name, sizeof n.name, "groups_vs_cout");
  n.op = SP_OP_CONV2D;
  n.n_inputs = 1;
  n.inputs[0] = conv;
  n.win = (sp_window){1, 1, 1, 1, 0, 0, 0, 0};
  n.groups = 2;
  n.units = 3;
  expect_rejected(g, nodes, sp_graph_add(g, &n, &i), "groups_vs_cout");
  /* pooling padding must stay below the kernel size */
  snprintf(n.name, sizeof n.name, "pool_pad");
  n.op = SP_OP_MAXPOOL;
  n.win = (sp_window){2, 2, 1, 1, 2, 0, 0, 0};
  expect_rejected(g, nodes, sp_graph_add(g, &n, &i), "pool_pad");
  /* an add with one input */
  snprintf(n.name, sizeof n.name, "one_armed_add");
  n.op = SP_OP_ADD;
  expect_rejected(g, nodes, sp_graph_add(g, &n, &i), "one_armed_add");
  CHECK(g->n_nodes == nodes && g->output == output);
  sp_graph_free(g);
}

static void random_conv(sp_graph *g, int index, uint64_t seed) {
  sp_node *n = &g->nodes[index];
  sp_test_fill(n->weight, sp_node_weight_count(g, n), seed, -0.5f, 0.5f);
  if (n->bias) sp_test_fill(n->bias, (size_t)n->units, seed + 1, -0.2f, 0.2f);
}

/* Non-trivial statistics, so that a wrong fold changes the results. */
static void random_bn(sp_graph *g, int index, uint64_t seed) {
  sp_node *n = &g->nodes[index];
  size_t c = (size_t)n->out.c;
  sp_test_fill(n->bn_gamma, c, seed, 0.5f, 1.5f);
  sp_test_fill(n->bn_beta, c, seed + 1, -0.5f, 0.5f);
  sp_test_fill(n->bn_mean, c, seed + 2, -0.3f, 0.3f);
  sp_test_fill(n->bn_var, c, seed + 3, 0.2f, 2.0f);
}

/* input -> c1 -> b1 -> r1 -> c2 -> b2 -> r2(6) -> c3 (depthwise) -> b3 -> add(b3, c2) -> r3.
 * b1 and b3 fold into their convs, r1 fuses into c1; c2 has two readers (b2
 * and the add), so b2 stays a batch norm and takes r2 (ReLU6); r3 fuses
 * into the add: 11 nodes become 6. */
static sp_graph *build_folding_net(void) {
  sp_graph *g = NULL;
  int c1, b1, r1, c2, b2, r2, c3, b3, add, r3;
  sp_status s = sp_graph_create("folding", (sp_dims){3, 10, 9}, &g);
  if (!s) s = sp_graph_add_conv(g, "c1", 0, 8, 3, 1, 1, 1, 0, &c1);
  if (!s) s = sp_graph_add_batchnorm(g, "b1", c1, &b1);
  if (!s) s = sp_graph_add_simple(g, "r1", SP_OP_RELU, b1, &r1);
  if (!s) s = sp_graph_add_conv(g, "c2", r1, 8, 3, 2, 1, 1, 1, &c2);
  if (!s) s = sp_graph_add_batchnorm(g, "b2", c2, &b2);
  if (!s) s = sp_graph_add_simple(g, "r2", SP_OP_RELU6, b2, &r2);
  if (!s) s = sp_graph_add_conv(g, "c3", r2, 8, 3, 1, 1, 8, 0, &c3);
  if (!s) s = sp_graph_add_batchnorm(g, "b3", c3, &b3);
  if (!s) s = sp_graph_add_add(g, "add", b3, c2, &add);
  if (!s) s = sp_graph_add_simple(g, "r3", SP_OP_RELU, add, &r3);
  CHECK_MSG(s == SP_OK, "%s", sp_last_error());
  if (s) {
    sp_graph_free(g);
    return NULL;
  }
  random_conv(g, c1, 11);
  random_conv(g, c2, 12);
  random_conv(g, c3, 13);
  random_bn(g, b1, 21);
  random_bn(g, b2, 22);
  random_bn(g, b3, 23);
  return g;
}

/* Runs g on `batch` images of `input`; returns malloc'd output or NULL. */
static float *run_graph(const sp_graph *g, int batch, int reference, const float *input) {
  sp_exec_options opt = sp_exec_options_default();
  opt.batch = batch;
  opt.reference = reference;
  sp_executor *e = NULL;
  sp_status s = sp_executor_create(g, &opt, &e);
  CHECK_MSG(s == SP_OK, "%s", sp_last_error());
  if (s) return NULL;
  float *out = malloc((size_t)batch * sp_dims_count(g->nodes[g->output].out) * sizeof *out);
  CHECK(sp_executor_run(e, input, out) == SP_OK);
  sp_executor_free(e);
  return out;
}

static int find_node(const sp_graph *g, const char *name) {
  for (int i = 0; i < g->n_nodes; i++)
    if (strcmp(g->nodes[i].name, name) == 0) return i;
  return -1;
}

static void test_fold_and_fuse(void) {
  sp_graph *raw = build_folding_net(), *opt = build_folding_net();
  if (!raw || !opt) {
    sp_graph_free(raw);
    sp_graph_free(opt);
    return;
  }
  CHECK(raw->n_nodes == 11);
  CHECK(sp_graph_optimize(opt) == SP_OK);
  CHECK_MSG(opt->n_nodes == 6, "%d nodes after the passes", opt->n_nodes);
  int c1 = find_node(opt, "c1"), c2 = find_node(opt, "c2"), b2 = find_node(opt, "b2");
  int c3 = find_node(opt, "c3"), add = find_node(opt, "add");
  CHECK(c1 > 0 && c2 > 0 && b2 > 0 && c3 > 0 && add > 0);
  CHECK(find_node(opt, "b1") < 0 && find_node(opt, "b3") < 0 && find_node(opt, "r3") < 0);
  if (c1 > 0 && c2 > 0 && b2 > 0 && c3 > 0 && add > 0) {
    CHECK(opt->nodes[c1].bn_folded && opt->nodes[c1].act == SP_ACT_RELU);
    CHECK(!opt->nodes[c2].bn_folded && opt->nodes[c2].act == SP_ACT_NONE);
    CHECK(opt->nodes[b2].op == SP_OP_BATCHNORM && opt->nodes[b2].act == SP_ACT_RELU6);
    CHECK(opt->nodes[c3].bn_folded && opt->nodes[c3].act == SP_ACT_NONE);
    CHECK(opt->nodes[add].act == SP_ACT_RELU && opt->output == add);
    CHECK(opt->nodes[add].inputs[0] == c3 && opt->nodes[add].inputs[1] == c2);
  }
  int batch = 2;
  size_t in_count = (size_t)batch * sp_dims_count(raw->input);
  size_t out_count = (size_t)batch * sp_dims_count(raw->nodes[raw->output].out);
  CHECK(out_count == (size_t)batch * sp_dims_count(opt->nodes[opt->output].out));
  float *input = malloc(in_count * sizeof *input);
  sp_test_fill(input, in_count, 99, -1.0f, 1.0f);
  float *want = run_graph(raw, batch, 1, input);
  float *got_ref = run_graph(opt, batch, 1, input);
  float *got_default = run_graph(opt, batch, 0, input);
  if (want && got_ref && got_default) {
    /* folding rounds the scaled weights once: a few ulps on O(1) values */
    CHECK(sp_test_close("folded graph, reference kernels", got_ref, want, out_count, 1e-5f,
                        1e-4f));
    CHECK(sp_test_close("folded graph, default kernels", got_default, want, out_count, 1e-5f,
                        1e-4f));
    /* the comparison means something only if the output is not all clamped */
    int positive = 0;
    for (size_t i = 0; i < out_count; i++) positive += want[i] > 0.05f;
    CHECK_MSG(positive > (int)out_count / 4, "only %d of %zu outputs positive", positive,
              out_count);
  }
  free(input);
  free(want);
  free(got_ref);
  free(got_default);
  sp_graph_free(raw);
  sp_graph_free(opt);
}

/* What the passes must leave alone: a ReLU whose producer has a second
 * reader, and a ReLU after an op that cannot take an activation. */
static void test_fusion_guards(void) {
  sp_graph *g = NULL;
  int cx, rx, sum, pool, rp;
  sp_status s = sp_graph_create("guards", (sp_dims){2, 5, 5}, &g);
  if (!s) s = sp_graph_add_conv(g, "cx", 0, 2, 3, 1, 1, 1, 1, &cx);
  if (!s) s = sp_graph_add_simple(g, "rx", SP_OP_RELU, cx, &rx);
  if (!s) s = sp_graph_add_add(g, "sum", rx, cx, &sum);
  if (!s) s = sp_graph_add_pool(g, "pool", SP_OP_MAXPOOL, sum, 2, 1, 0, &pool);
  if (!s) s = sp_graph_add_simple(g, "rp", SP_OP_RELU, pool, &rp);
  CHECK(s == SP_OK);
  if (!s) {
    CHECK(sp_graph_optimize(g) == SP_OK);
    CHECK(g->n_nodes == 6);
    CHECK(g->nodes[cx].act == SP_ACT_NONE && g->nodes[rx].op == SP_OP_RELU);
    CHECK(g->nodes[rp].op == SP_OP_RELU && g->output == rp);
  }
  sp_graph_free(g);
}

int main(void) {
  test_shapes();
  test_shape_errors();
  test_fold_and_fuse();
  test_fusion_guards();
  return sp_test_finish("test_graph");
}
