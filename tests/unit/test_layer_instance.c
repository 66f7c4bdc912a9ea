/* Layer instances hold exactly the layer of the channel-pruned model: for
 * every layer of three zoo models and (half of) the pairs of keep levels,
 * the instance's input shape, output shape, weights and bias equal those of
 * the model pruned with sp_compress_keep on the same groups (real L1
 * channel selection, output group first), and weight compression applies
 * to the instance alone. */
#include <math.h>
#include <string.h>

#include "engine/compress/compress.h"
#include "engine/onnx/model.h"
#include "profiler/layer_instance.h"
#include "tests/unit/testing.h"

static int same_dims(sp_dims a, sp_dims b) { return a.c == b.c && a.h == b.h && a.w == b.w; }

static int same_floats(const float *a, const float *b, size_t n) {
  if (!a || !b) return a == b;
  return !memcmp(a, b, n * sizeof *a);
}

/* Prunes a fresh copy of `model` at group gin level li and gout level lo and
 * compares node `node` with its instance. */
static void compare(const char *model, const sp_graph *g, const sp_channel_groups *cg,
                    const sp_keep_table *kt, int node, int li, int lo) {
  int gin = sp_channel_group_of_input(cg, g, node), gout = cg->group_of[node];
  sp_graph *pruned = NULL, *inst = NULL;
  if (sp_model_load(model, &pruned)) return;
  /* the output group first: its producer's filters are then ranked whole,
   * as the keep table ranks every group on the unpruned model */
  int ok = 1;
  if (lo && gout != gin)
    ok &= sp_compress_keep(pruned, cg->groups[gout].members[0], kt->groups[gout].keep[lo]) == SP_OK;
  if (li) ok &= sp_compress_keep(pruned, cg->groups[gin].members[0], kt->groups[gin].keep[li]) == SP_OK;
  CHECK(ok);
  sp_compress_choice none = {SP_WEIGHTS_DENSE, 0};
  CHECK(sp_layer_instance_build(g, cg, kt, node, li, lo, none, &inst) == SP_OK);
  if (inst && ok) {
    const sp_node *a = &pruned->nodes[node], *b = &inst->nodes[1];
    CHECK_MSG(same_dims(sp_node_in(pruned, a, 0), inst->input), "%s %s %d/%d input", model, a->name, li, lo);
    CHECK_MSG(same_dims(a->out, b->out), "%s %s %d/%d output", model, a->name, li, lo);
    CHECK_MSG(same_dims(a->out, sp_kept_dims(g, cg, kt, node, lo)), "%s %s kept dims", model, a->name);
    size_t wc = sp_node_weight_count(pruned, a);
    CHECK(wc == sp_node_weight_count(inst, b));
    CHECK_MSG(same_floats(a->weight, b->weight, wc), "%s %s %d/%d weights", model, a->name, li, lo);
    CHECK(same_floats(a->bias, b->bias, a->bias ? (size_t)a->units : 0));
    CHECK(a->groups == b->groups && a->units == b->units && a->act == b->act);
    CHECK(!strcmp(b->name, a->name) && b->inputs[0] == 0);
  }
  sp_graph_free(inst);
  sp_graph_free(pruned);
}

static void check_model(const char *model) {
  sp_graph *g = NULL;
  CHECK(sp_model_load(model, &g) == SP_OK);
  if (!g) return;
  sp_channel_groups cg;
  sp_keep_table kt;
  const double grid[] = {0.75, 0.5, 0.25};
  CHECK(sp_channel_groups_compute(g, &cg) == SP_OK);
  CHECK(sp_keep_table_build(g, &cg, grid, 3, &kt) == SP_OK);
  for (int gi = 0; gi < cg.n_groups; gi++) {
    const sp_keep_levels *lv = &kt.groups[gi];
    CHECK(lv->keep[0] == 1.0 && lv->count[0] == cg.groups[gi].channels);
    CHECK(cg.groups[gi].prunable || lv->n_levels == 1);
    for (int l = 1; l < lv->n_levels; l++) CHECK(lv->count[l] < lv->count[l - 1]);
  }
  for (int node = 1; node < g->n_nodes; node++) {
    int gin = sp_channel_group_of_input(&cg, g, node), gout = cg.group_of[node];
    for (int li = 0; li < kt.groups[gin].n_levels; li++)
      for (int lo = 0; lo < kt.groups[gout].n_levels; lo++) {
        if (gin == gout && li != lo) continue;
        if ((li || lo) && (li + lo) % 2) continue; /* half the pairs: enough, and quicker */
        compare(model, g, &cg, &kt, node, li, lo);
      }
  }
  sp_keep_table_free(&kt);
  sp_channel_groups_free(&cg);
  sp_graph_free(g);
}

static void test_compression_and_errors(void) {
  sp_graph *g = NULL, *inst = NULL;
  CHECK(sp_model_load("mobilenet:w=0.25", &g) == SP_OK);
  if (!g) return;
  sp_channel_groups cg;
  sp_keep_table kt;
  const double grid[] = {0.5};
  CHECK(sp_channel_groups_compute(g, &cg) == SP_OK);
  CHECK(sp_keep_table_build(g, &cg, grid, 1, &kt) == SP_OK);
  int pw = sp_graph_find(g, "blocks.1.pw"), dw = sp_graph_find(g, "blocks.1.dw"),
      pool = sp_graph_find(g, "avgpool");
  sp_compress_choice prune = {SP_WEIGHTS_PRUNE, 0.9}, tern = {SP_WEIGHTS_TERNARY, 0.7};
  CHECK(sp_layer_instance_build(g, &cg, &kt, pw, 1, 1, prune, &inst) == SP_OK);
  if (inst) {
    size_t n = sp_node_weight_count(inst, &inst->nodes[1]), zeros = 0;
    for (size_t i = 0; i < n; i++) zeros += inst->nodes[1].weight[i] == 0;
    CHECK(fabs((double)zeros / n - 0.9) < 0.01 && inst->nodes[1].sparsity > 0.89f);
    CHECK(g->nodes[pw].sparsity == 0); /* the model is untouched */
  }
  sp_graph_free(inst);
  CHECK(sp_layer_instance_build(g, &cg, &kt, pw, 0, 0, tern, &inst) == SP_OK && inst->nodes[1].ternary);
  sp_graph_free(inst);
  CHECK(sp_layer_instance_build(g, &cg, &kt, dw, 0, 1, prune, &inst) == SP_ERR_INPUT);
  CHECK(strstr(sp_last_error(), "blocks.1.dw") != NULL);
  CHECK(sp_layer_instance_build(g, &cg, &kt, pool, 0, 0, prune, &inst) == SP_ERR_INPUT);
  CHECK(sp_layer_instance_build(g, &cg, &kt, pw, 5, 0, prune, &inst) == SP_ERR_INPUT);
  CHECK(!strcmp(sp_weight_compression_name(SP_WEIGHTS_TERNARY), "ternary"));
  const double bad[] = {1.5};
  sp_keep_table kt2;
  CHECK(sp_keep_table_build(g, &cg, bad, 1, &kt2) == SP_ERR_INPUT);
  sp_keep_table_free(&kt);
  sp_channel_groups_free(&cg);
  sp_graph_free(g);
}

int main(void) {
  check_model("mobilenet:w=0.25");
  check_model("resnet18:w=0.25,c=1");
  check_model("vgg16:w=0.125");
  test_compression_and_errors();
  return sp_test_finish("test_layer_instance");
}
