/* Channel groups (engine/channel_groups.h) of the three zoo models and of a
 * small graph with a depthwise conv, a standalone batch norm and an fc after
 * a flatten of 4x4 planes; then channel pruning (sp_compress_keep):
 *   - shapes and params of the pruned model;
 *   - the layers upstream of the pruned groups give bit-identical outputs;
 *   - the real test of the surgery: the pruned model computes what the
 *     unpruned one computes once the dropped channels are zeroed (producer
 *     filter and bias, and those of the group's depthwise convs). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/graph/channel_groups.h"
#include "engine/compress/compress.h"
#include "engine/executor/executor.h"
#include "engine/onnx/model.h"
#include "tests/unit/testing.h"

static sp_graph *load(const char *model) {
  sp_graph *g = NULL;
  CHECK_MSG(sp_model_load(model, &g) == SP_OK, "%s: %s", model, sp_last_error());
  return g;
}

/* Group counts and the names of the prunable groups, in order. */
static void expect_groups(const char *model, int n_groups, const char *const *prunable) {
  sp_graph *g = load(model);
  if (!g) return;
  sp_channel_groups cg;
  CHECK(sp_channel_groups_compute(g, &cg) == SP_OK);
  CHECK_MSG(cg.n_groups == n_groups, "%s: %d groups, want %d", model, cg.n_groups, n_groups);
  int k = 0;
  for (int i = 0; i < cg.n_groups; i++) {
    const sp_channel_group *gr = &cg.groups[i];
    CHECK(gr->id == i && gr->n_members > 0);
    CHECK(gr->prunable == (gr->why_not[0] == '\0'));
    for (int m = 0; m < gr->n_members; m++) CHECK(cg.group_of[gr->members[m]] == i);
    if (!gr->prunable) continue;
    CHECK_MSG(prunable[k] && !strcmp(gr->name, prunable[k]), "%s: prunable group %d is %s, want %s",
              model, k, gr->name, prunable[k] ? prunable[k] : "none");
    CHECK_MSG(gr->n_producers == 1 && gr->n_consumers >= 1, "%s: group %s has %d producers",
              model, gr->name, gr->n_producers);
    if (prunable[k]) k++;
  }
  CHECK_MSG(!prunable[k], "%s: prunable group %s missing", model, prunable[k]);
  CHECK(cg.groups[0].members[0] == 0 && strstr(cg.groups[0].why_not, "input"));
  CHECK(strstr(cg.groups[cg.group_of[g->output]].why_not, "graph output"));
  sp_channel_groups_free(&cg);
  sp_graph_free(g);
}

static void test_zoo_groups(void) {
  /* VGG-16: the input, the 13 conv outputs (each with its pool), fc1, fc2 */
  expect_groups("vgg16:w=0.25", 16,
                (const char *const[]){"conv1", "conv2", "conv3", "conv4", "conv5", "conv6",
                                      "conv7", "conv8", "conv9", "conv10", "conv11", "conv12",
                                      "conv13", "fc1", NULL});
  /* ResNet-18: the input, 4 stage groups joined by the adds (stem, block
   * conv2s and shortcuts), the 8 inner block convs, fc */
  expect_groups("resnet18:w=0.25", 14,
                (const char *const[]){"layer1.0.conv1", "layer1.1.conv1", "layer2.0.conv1",
                                      "layer2.1.conv1", "layer3.0.conv1", "layer3.1.conv1",
                                      "layer4.0.conv1", "layer4.1.conv1", NULL});
  /* MobileNet: the input, conv1 and the 13 pointwise outputs (each with the
   * next depthwise conv inside), fc */
  expect_groups("mobilenet:w=0.25", 16,
                (const char *const[]){"conv1", "blocks.0.pw", "blocks.1.pw", "blocks.2.pw",
                                      "blocks.3.pw", "blocks.4.pw", "blocks.5.pw", "blocks.6.pw",
                                      "blocks.7.pw", "blocks.8.pw", "blocks.9.pw", "blocks.10.pw",
                                      "blocks.11.pw", "blocks.12.pw", NULL});

  /* details: a ResNet stage group has 3 producers; MobileNet's depthwise
   * convs sit inside their producer's group and keep_in == keep_out */
  sp_graph *g = load("resnet18:w=0.25");
  sp_channel_groups cg;
  if (g && sp_channel_groups_compute(g, &cg) == SP_OK) {
    const sp_channel_group *stage2 = &cg.groups[cg.group_of[sp_graph_find(g, "layer2.0.conv2")]];
    CHECK(stage2->n_producers == 3 && stage2->channels == 32 && !strcmp(stage2->name, "layer2.0.conv2"));
    CHECK(strstr(stage2->why_not, "layer2.0.add"));
    int inner = sp_graph_find(g, "layer2.0.conv1");
    CHECK(cg.groups[cg.group_of[inner]].n_consumers == 1 &&
          cg.groups[cg.group_of[inner]].consumers[0] == sp_graph_find(g, "layer2.0.conv2"));
    CHECK(sp_channel_group_of_input(&cg, g, inner) == cg.group_of[sp_graph_find(g, "layer1.1.add")]);
    sp_channel_groups_free(&cg);
  }
  sp_graph_free(g);
  g = load("mobilenet:w=0.25");
  if (g && sp_channel_groups_compute(g, &cg) == SP_OK) {
    int dw = sp_graph_find(g, "blocks.4.dw"), pw3 = sp_graph_find(g, "blocks.3.pw");
    CHECK(cg.group_of[dw] == cg.group_of[pw3] && sp_channel_group_of_input(&cg, g, dw) == cg.group_of[dw]);
    const sp_channel_group *gr = &cg.groups[cg.group_of[pw3]];
    CHECK(gr->n_members == 2 && gr->n_consumers == 1 &&
          gr->consumers[0] == sp_graph_find(g, "blocks.4.pw"));
    sp_channel_groups_free(&cg);
  }
  sp_graph_free(g);
}

static void test_keep_count(void) {
  CHECK(sp_channel_keep_count(64, 0.5) == 32);
  CHECK(sp_channel_keep_count(64, 0.3) == 20); /* 19.2 -> 19 -> 20 */
  CHECK(sp_channel_keep_count(64, 1.0) == 64);
  CHECK(sp_channel_keep_count(64, 0.01) == 4);
  CHECK(sp_channel_keep_count(10, 0.5) == 4);  /* 5 -> 4 */
  CHECK(sp_channel_keep_count(10, 0.6) == 8);  /* 6 -> 8 (halves up) */
  CHECK(sp_channel_keep_count(10, 0.9) == 8);  /* 9 -> 8 */
  CHECK(sp_channel_keep_count(10, 0.95) == 10); /* 10 -> 12 -> capped at 10 */
  CHECK(sp_channel_keep_count(3, 0.5) == 3);   /* fewer than 4: nothing to drop */
  CHECK(sp_channel_keep_count(16, 0.625) == 12); /* 10 -> 12 */
}

/* Runs g (batch 2, default kernels) with output node `out_node` (-1: the
 * graph's) on a fixed input; returns the output. */
static float *run(sp_graph *g, int out_node, size_t *count) {
  int saved = g->output;
  if (out_node >= 0) g->output = out_node;
  sp_exec_options opt = sp_exec_options_default();
  opt.batch = 2;
  sp_executor *e = NULL;
  float *in = NULL, *out = NULL;
  sp_status s = sp_executor_create(g, &opt, &e);
  CHECK_MSG(s == SP_OK, "%s", sp_last_error());
  if (!s) {
    size_t in_count = 2 * sp_dims_count(g->input);
    *count = 2 * sp_dims_count(g->nodes[g->output].out);
    in = malloc(in_count * sizeof *in);
    out = malloc(*count * sizeof *out);
    sp_test_fill(in, in_count, 99, -1, 1);
    CHECK(sp_executor_run(e, in, out) == SP_OK);
  }
  sp_executor_free(e);
  free(in);
  g->output = saved;
  return out;
}

/* Zeroes channel c of the group in the unpruned graph: the producers' filter
 * and bias c, and those of the group's depthwise convs. */
static void zero_channel(sp_graph *g, const sp_channel_group *gr, int c) {
  for (int m = 0; m < gr->n_members; m++) {
    sp_node *n = &g->nodes[gr->members[m]];
    if (n->op != SP_OP_CONV2D && n->op != SP_OP_FC) continue;
    size_t row = sp_node_weight_count(g, n) / (size_t)n->units;
    memset(n->weight + (size_t)c * row, 0, row * sizeof(float));
    if (n->bias) n->bias[c] = 0.0f;
  }
}

/* L1 norm of filter c of the group's producer(s) in g. */
static double filter_l1(const sp_graph *g, const sp_channel_group *gr, int c) {
  double l1 = 0.0;
  for (int p = 0; p < gr->n_producers; p++) {
    const sp_node *n = &g->nodes[gr->producers[p]];
    size_t row = sp_node_weight_count(g, n) / (size_t)n->units;
    for (size_t i = 0; i < row; i++) l1 += fabs((double)n->weight[(size_t)c * row + i]);
  }
  return l1;
}

/* The kept channels are those of largest L1 norm: no dropped filter
 * outweighs a kept one. */
static void check_ranking(const sp_graph *g, const sp_channel_group *gr, const int *kept,
                          int n_kept) {
  double min_kept = INFINITY, max_dropped = 0.0;
  for (int c = 0, k = 0; c < gr->channels; c++) {
    double l1 = filter_l1(g, gr, c);
    if (k < n_kept && kept[k] == c) k++, min_kept = fmin(min_kept, l1);
    else max_dropped = fmax(max_dropped, l1);
  }
  CHECK_MSG(max_dropped <= min_kept, "group %s: dropped L1 %g > kept %g", gr->name,
            max_dropped, min_kept);
}

/* Prunes the groups of `layers` to `keep` in `pruned` and checks it against
 * `zeroed` (the same model, dropped channels zeroed here) and, upstream of
 * the pruned groups, against `original` bit for bit. Returns the number of
 * upstream nodes compared. */
static int check_pruned(sp_graph *pruned, sp_graph *zeroed, sp_graph *original,
                         const char *const *layers, double keep) {
  const char *model = pruned->name;
  sp_channel_groups cg;
  if (sp_channel_groups_compute(original, &cg) != SP_OK) return 0;
  int n = original->n_nodes;
  char *touched = calloc((size_t)n, 1);
  for (int l = 0; layers[l]; l++) {
    int node = sp_graph_find(pruned, layers[l]);
    const sp_channel_group *gr = &cg.groups[cg.group_of[node]];
    int *kept = malloc((size_t)gr->channels * sizeof *kept), n_kept = 0;
    /* select on the pruned graph as it is now: an earlier cut may have
     * changed this group's filters (its producer consumed that group) */
    CHECK_MSG(sp_compress_keep_select(pruned, node, keep, kept, &n_kept) == SP_OK, "%s", sp_last_error());
    CHECK(n_kept == sp_channel_keep_count(gr->channels, keep) && n_kept < gr->channels);
    for (int k = 1; k < n_kept; k++) CHECK(kept[k - 1] < kept[k]);
    check_ranking(pruned, gr, kept, n_kept); /* before the cut */
    CHECK_MSG(sp_compress_keep(pruned, node, keep) == SP_OK, "%s", sp_last_error());
    /* shapes: producer and group members carry n_kept channels */
    for (int m = 0; m < gr->n_members; m++) {
      const sp_node *mem = &pruned->nodes[gr->members[m]];
      int width = original->nodes[gr->members[m]].out.c / gr->channels * n_kept;
      CHECK_MSG(mem->out.c == width, "%s: %s has %d channels, want %d", model, mem->name,
                mem->out.c, width);
      touched[gr->members[m]] = 1;
    }
    for (int c = 0, k = 0; c < gr->channels; c++) {
      if (k < n_kept && kept[k] == c) k++;
      else zero_channel(zeroed, gr, c);
    }
    for (int i = 0; i < gr->n_consumers; i++) touched[gr->consumers[i]] = 1;
    free(kept);
  }
  CHECK(pruned->nodes[pruned->output].out.c == original->nodes[original->output].out.c);
  /* params went down by what was cut */
  int64_t p_before = 0, p_after = 0;
  for (int i = 1; i < n; i++) p_before += original->nodes[i].params, p_after += pruned->nodes[i].params;
  CHECK_MSG(p_after < p_before, "%s: params %lld not below %lld", model, (long long)p_after,
            (long long)p_before);

  size_t count = 0, count_z = 0;
  float *got = run(pruned, -1, &count), *want = run(zeroed, -1, &count_z);
  char what[160];
  snprintf(what, sizeof what, "%s pruned vs zeroed", model);
  if (got && want) CHECK(count == count_z && sp_test_close(what, got, want, count, 1e-4f, 1e-4f));
  free(got);
  free(want);

  /* descendants of touched nodes are touched; untouched nodes that feed a
   * touched one must be bit-identical to the original model */
  for (int i = 1; i < n; i++)
    for (int j = 0; j < pruned->nodes[i].n_inputs; j++) touched[i] |= touched[pruned->nodes[i].inputs[j]];
  int frontier = 0;
  for (int i = 1; i < n; i++) {
    int feeds = 0;
    for (int k = i + 1; k < n; k++)
      for (int j = 0; j < pruned->nodes[k].n_inputs; j++)
        feeds |= touched[k] && pruned->nodes[k].inputs[j] == i;
    if (touched[i] || !feeds) continue;
    frontier++;
    size_t ca = 0, cb = 0;
    float *a = run(pruned, i, &ca), *b = run(original, i, &cb);
    CHECK_MSG(a && b && ca == cb && !memcmp(a, b, ca * sizeof *a), "%s: untouched %s differs",
              model, pruned->nodes[i].name);
    free(a);
    free(b);
  }
  free(touched);
  sp_channel_groups_free(&cg);
  return frontier;
}

/* upstream: whether some layer lies upstream of every pruned group */
static void check_model(const char *model, const char *const *layers, double keep, int upstream) {
  sp_graph *pruned = load(model), *zeroed = load(model), *original = load(model);
  if (pruned && zeroed && original)
    CHECK_MSG((check_pruned(pruned, zeroed, original, layers, keep) > 0) == upstream,
              "%s: upstream layers compared or not, unexpectedly", model);
  sp_graph_free(pruned);
  sp_graph_free(zeroed);
  sp_graph_free(original);
}

static void test_zoo_pruning(void) {
  check_model("resnet18:w=0.25",
              (const char *const[]){"layer1.0.conv1", "layer2.1.conv1", "layer4.0.conv1", NULL}, 0.5,
              1);
  /* consecutive groups: conv3's cut changes conv4's filters, then conv4's group */
  check_model("vgg16:w=0.25", (const char *const[]){"conv3", "conv4", "conv13", "fc1", NULL}, 0.5,
              1);
  check_model("vgg16:w=0.25", (const char *const[]){"conv2", "conv7", NULL}, 0.3, 1);
  /* depthwise convs inside the groups (blocks.6.dw names blocks.5.pw's group) */
  check_model("mobilenet:w=0.25",
              (const char *const[]){"blocks.3.pw", "blocks.6.dw", "blocks.12.pw", NULL}, 0.5, 1);
  check_model("mobilenet:w=0.25", (const char *const[]){"conv1", NULL}, 0.5, 0);
}

/* input 3x8x8 -> conv_a (8, relu) -> dw (depthwise 3x3, bias) -> bn -> pool 2
 * -> flatten -> fc1 (6, relu) -> fc2 (4): the group of conv_a holds dw, bn,
 * pool and flatten; fc1 reads 8 x 4 x 4 features, 16 per channel. */
static sp_graph *custom_graph(void) {
  sp_graph *g = NULL;
  int i;
  sp_status s = sp_graph_create("custom", (sp_dims){3, 8, 8}, &g);
  if (!s) s = sp_graph_add_conv(g, "conv_a", 0, 8, 3, 1, 1, 1, 1, &i);
  if (!s) s = sp_graph_add_conv(g, "dw", 1, 8, 3, 1, 1, 8, 1, &i);
  if (!s) s = sp_graph_add_batchnorm(g, "bn", 2, &i);
  if (!s) s = sp_graph_add_pool(g, "pool", SP_OP_MAXPOOL, 3, 2, 2, 0, &i);
  if (!s) s = sp_graph_add_simple(g, "flatten", SP_OP_FLATTEN, 4, &i);
  if (!s) s = sp_graph_add_fc(g, "fc1", 5, 6, &i);
  if (!s) s = sp_graph_add_fc(g, "fc2", 6, 4, &i);
  CHECK_MSG(s == SP_OK, "%s", sp_last_error());
  if (s) {
    sp_graph_free(g);
    return NULL;
  }
  for (int n = 1; n < g->n_nodes; n++) {
    sp_node *node = &g->nodes[n];
    if (node->weight) sp_test_fill(node->weight, sp_node_weight_count(g, node), 300 + (uint64_t)n, -1, 1);
    if (node->bias) sp_test_fill(node->bias, (size_t)node->units, 400 + (uint64_t)n, -1, 1);
  }
  g->nodes[1].act = g->nodes[6].act = SP_ACT_RELU;
  /* BN(0) = 0 (mean 0, beta 0), so that zeroing a channel is a removal */
  sp_node *bn = &g->nodes[3];
  sp_test_fill(bn->bn_gamma, 8, 500, 0.5f, 1.5f);
  sp_test_fill(bn->bn_var, 8, 501, 0.5f, 1.5f);
  return g;
}

static void test_custom_pruning(void) {
  sp_graph *g = custom_graph();
  if (!g) return;
  sp_channel_groups cg;
  CHECK(sp_channel_groups_compute(g, &cg) == SP_OK);
  CHECK(cg.n_groups == 4);
  const sp_channel_group *a = &cg.groups[1];
  CHECK(a->n_members == 5 && a->n_producers == 1 && a->n_consumers == 1 && a->prunable &&
        a->channels == 8 && a->consumers[0] == 6 && !strcmp(a->name, "conv_a"));
  CHECK(cg.group_of[5] == 1 && cg.groups[2].prunable && !strcmp(cg.groups[2].name, "fc1"));
  sp_channel_groups_free(&cg);
  sp_graph_free(g);

  sp_graph *pruned = custom_graph(), *zeroed = custom_graph(), *original = custom_graph();
  if (pruned && zeroed && original) {
    check_pruned(pruned, zeroed, original, (const char *const[]){"pool", NULL}, 0.5); /* all downstream */
    CHECK(pruned->nodes[2].groups == 4 && pruned->nodes[2].units == 4);
    CHECK(pruned->nodes[6].out.c == 6 && sp_node_in(pruned, &pruned->nodes[6], 0).c == 64);
    CHECK(pruned->nodes[3].params == 8 && original->nodes[3].params == 16);
    CHECK(pruned->nodes[6].params == 6 * 64 + 6);
  }
  sp_graph_free(pruned);
  sp_graph_free(zeroed);
  sp_graph_free(original);
  /* ... and the zeroed model, where a BN(0) != 0 would break the equivalence,
   * is only that: the surgery keeps gamma, beta, mean and var of the kept
   * channels, checked here directly */
  g = custom_graph();
  if (!g) return;
  float gamma[8];
  memcpy(gamma, g->nodes[3].bn_gamma, sizeof gamma);
  int kept[8], n_kept = 0;
  CHECK(sp_compress_keep_select(g, 3, 0.5, kept, &n_kept) == SP_OK && n_kept == 4);
  CHECK(sp_compress_keep(g, 3, 0.5) == SP_OK);
  for (int k = 0; k < n_kept; k++) CHECK(g->nodes[3].bn_gamma[k] == gamma[kept[k]]);
  sp_graph_free(g);
}

int main(void) {
  test_keep_count();
  test_zoo_groups();
  test_custom_pruning();
  test_zoo_pruning();
  return sp_test_finish("test_channel_groups");
}
