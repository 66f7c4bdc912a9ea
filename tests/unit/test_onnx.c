/* ONNX import against PyTorch: every fixture of tests/data/onnx (made by
 * tests/data/make_onnx_fixtures.py) is loaded, run with the default and with
 * the reference kernels, and compared with the output PyTorch computed for
 * the same batch of 3.
 *
 * Tolerance: max |engine - PyTorch| <= 1e-4. The fixtures' logits are O(1)
 * and their longest dot products have a few hundred terms; summing them in
 * another order (and folding batch norms into the conv weights first) moves
 * a float32 result by a few ulps per term, i.e. ~1e-6 here. 1e-4 leaves
 * room for that and still catches any real mistake (a wrong pad, a
 * transposed weight, a missed bias), which moves outputs by ~1e-2 or more. */
#include <stdlib.h>
#include <string.h>

#include "engine/executor/executor.h"
#include "engine/onnx/model.h"
#include "engine/data/npy.h"
#include "engine/onnx/onnx_import.h"
#include "tests/unit/testing.h"

static const char *const fixtures[] = {"stem_o9", "grouped_o11", "residual_o13",
                                       "residual_o17", "lenet_o17_static"};

/* tests/data/onnx/<name><suffix>, found from this source file's path. */
static void fixture_path(char *out, size_t size, const char *name, const char *suffix) {
  const char *slash = strrchr(__FILE__, '/');
  int dir = slash ? (int)(slash - __FILE__) : 0;
  snprintf(out, size, "%.*s/../data/onnx/%s%s", dir, __FILE__, name, suffix);
}

/* Runs g on `in` (batch images) and returns the outputs (malloc'd). */
static float *run(const sp_graph *g, const float *in, int batch, int reference) {
  sp_exec_options opt = sp_exec_options_default();
  opt.batch = batch;
  opt.reference = reference;
  sp_executor *e = NULL;
  sp_status s = sp_executor_create(g, &opt, &e);
  CHECK_MSG(s == SP_OK, "%s", sp_last_error());
  if (s) return NULL;
  float *out = malloc((size_t)batch * sp_dims_count(g->nodes[g->output].out) * sizeof *out);
  CHECK(sp_executor_run(e, in, out) == SP_OK);
  sp_executor_free(e);
  return out;
}

static void check_fixture(const char *name) {
  char model[512], input[512], output[512];
  fixture_path(model, sizeof model, name, ".onnx");
  fixture_path(input, sizeof input, name, ".input.npy");
  fixture_path(output, sizeof output, name, ".output.npy");
  sp_graph *g = NULL;
  sp_npy x, y;
  sp_status s = sp_model_load(model, &g);
  CHECK_MSG(s == SP_OK, "%s: %s", name, sp_last_error());
  CHECK(sp_npy_read_file(input, &x) == SP_OK);
  CHECK(sp_npy_read_file(output, &y) == SP_OK);
  if (s || !x.data || !y.data) goto done;
  int batch = (int)x.shape[0];
  CHECK(x.rank == 4 && x.shape[1] == g->input.c && x.shape[2] == g->input.h &&
        x.shape[3] == g->input.w);
  CHECK(y.count == (size_t)batch * sp_dims_count(g->nodes[g->output].out));
  for (int reference = 0; reference <= 1; reference++) {
    float *got = run(g, x.data, batch, reference);
    char what[128];
    snprintf(what, sizeof what, "%s (%s kernels)", name, reference ? "reference" : "default");
    CHECK_MSG(got && sp_test_close(what, got, y.data, y.count, 1e-4f, 0), "%s", what);
    free(got);
  }
  /* a batch of 1 (the batch axis is dynamic, or fixed at 3 but per image) */
  float *one = run(g, x.data, 1, 0);
  CHECK(one && sp_test_close(name, one, y.data, y.count / (size_t)batch, 1e-4f, 0));
  free(one);
done:
  sp_graph_free(g);
  sp_npy_free(&x);
  sp_npy_free(&y);
}

static const sp_node *find_node(const sp_graph *g, const char *name) {
  for (int i = 0; i < g->n_nodes; i++)
    if (!strcmp(g->nodes[i].name, name)) return &g->nodes[i];
  return NULL;
}

/* Layer names come from the weight initializers; batch norms fold into convs
 * except after an add; Clip becomes relu6 or a general clip. */
static void check_structure(void) {
  char path[512];
  sp_graph *g = NULL;
  fixture_path(path, sizeof path, "residual_o13", ".onnx");
  CHECK(sp_model_load(path, &g) == SP_OK);
  if (g) {
    const sp_node *conv1 = find_node(g, "conv1"), *bn6 = find_node(g, "bn6");
    CHECK(conv1 && conv1->op == SP_OP_CONV2D && conv1->bn_folded && conv1->act == SP_ACT_RELU);
    CHECK(bn6 && bn6->op == SP_OP_BATCHNORM && bn6->act == SP_ACT_RELU);
    CHECK(!find_node(g, "bn1")); /* folded away */
    const sp_node *fc = find_node(g, "fc");
    CHECK(fc && fc->op == SP_OP_FC && fc->units == 10 && fc->bias);
    CHECK(g->nodes[g->output].op == SP_OP_SOFTMAX);
    sp_graph_free(g);
  }
  fixture_path(path, sizeof path, "grouped_o11", ".onnx");
  CHECK(sp_model_load(path, &g) == SP_OK);
  if (g) {
    int clips = 0, relu6 = 0;
    for (int i = 0; i < g->n_nodes; i++) {
      const sp_node *n = &g->nodes[i];
      if (n->op == SP_OP_CLIP) clips += n->clip_lo == -1.0f && n->clip_hi == 2.0f;
      relu6 += n->op == SP_OP_RELU6 || n->act == SP_ACT_RELU6;
    }
    CHECK(clips == 1 && relu6 == 2);
    const sp_node *dw = find_node(g, "dw");
    CHECK(dw && dw->groups == 8 && dw->win.sh == 2);
    const sp_node *mm = find_node(g, "/MatMul"); /* named after the ONNX node */
    CHECK(mm && mm->op == SP_OP_FC && mm->bias && mm->params == 12 * 10 + 10);
    sp_graph_free(g);
  }
  fixture_path(path, sizeof path, "stem_o9", ".onnx");
  CHECK(sp_onnx_import_file(path, &g) == SP_OK); /* raw: nothing folded yet */
  if (g) {
    CHECK(g->input.c == 3 && g->input.h == 20 && g->input.w == 28);
    const sp_node *bn1 = find_node(g, "bn1");
    CHECK(bn1 && bn1->op == SP_OP_BATCHNORM);
    int folded_pads = 0;
    for (int i = 0; i < g->n_nodes; i++) {
      const sp_node *n = &g->nodes[i];
      folded_pads += n->op == SP_OP_AVGPOOL && n->count_include_pad && n->win.pt == 1;
      folded_pads += n->op == SP_OP_MAXPOOL && n->win.kh == 3 && n->win.sh == 2 && n->win.pt == 1;
    }
    CHECK(folded_pads == 2);
    sp_graph_free(g);
  }
}

/* The file API and the buffer API give the same graph. */
static void check_buffer_api(void) {
  char path[512];
  fixture_path(path, sizeof path, "stem_o9", ".onnx");
  FILE *f = fopen(path, "rb");
  CHECK(f != NULL);
  if (!f) return;
  static unsigned char buf[1 << 16];
  size_t len = fread(buf, 1, sizeof buf, f);
  fclose(f);
  sp_graph *a = NULL, *b = NULL;
  CHECK(sp_onnx_import_buffer(buf, len, "stem", &a) == SP_OK);
  CHECK(sp_onnx_import_file(path, &b) == SP_OK);
  CHECK(a && b && a->n_nodes == b->n_nodes && !strcmp(a->name, "stem") &&
        !strcmp(b->name, "stem_o9.onnx"));
  sp_graph_free(a);
  sp_graph_free(b);
}

int main(void) {
  for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) check_fixture(fixtures[i]);
  check_structure();
  check_buffer_api();
  return sp_test_finish("test_onnx");
}
