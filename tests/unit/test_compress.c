/* Weight compression (engine/compress.h) and its formats: exact sparsity of
 * magnitude pruning, TWN ternary against a hand-computed case, the exact
 * byte sizes of CSR and packed ternary (hand counts), the compression spec
 * (what it applies and every error it reports), and the CSR and ternary
 * variants run by the executor on pruned/ternarised zoo layers against the
 * reference. Channel groups and channel pruning: test_channel_groups.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/compress/compress.h"
#include "engine/executor/executor.h"
#include "engine/onnx/model.h"
#include "engine/compress/weight_format.h"
#include "kernels/registry.h"
#include "tests/unit/testing.h"

static size_t count_zeros(const float *w, size_t n) {
  size_t z = 0;
  for (size_t i = 0; i < n; i++) z += w[i] == 0.0f;
  return z;
}

/* Distinct values of w (stops counting at 8). */
static int count_distinct(const float *w, size_t n) {
  float seen[8];
  int k = 0;
  for (size_t i = 0; i < n && k < 8; i++) {
    int found = 0;
    for (int j = 0; j < k; j++) found |= seen[j] == w[i];
    if (!found) seen[k++] = w[i];
  }
  return k;
}

/* input 3x6x5 -> conv (5 out, 3x3, pad 1, bias) -> fc (7 units); random weights. */
static sp_graph *tiny_graph(uint64_t seed) {
  sp_graph *g = NULL;
  int i;
  sp_status s = sp_graph_create("tiny", (sp_dims){3, 6, 5}, &g);
  if (!s) s = sp_graph_add_conv(g, "conv", 0, 5, 3, 1, 1, 1, 1, &i);
  if (!s) s = sp_graph_add_fc(g, "fc", 1, 7, &i);
  CHECK_MSG(s == SP_OK, "%s", sp_last_error());
  for (int n = 1; !s && n < g->n_nodes; n++) {
    sp_node *node = &g->nodes[n];
    sp_test_fill(node->weight, sp_node_weight_count(g, node), seed + (uint64_t)n, -1, 1);
    sp_test_fill(node->bias, (size_t)node->units, seed + 10 + (uint64_t)n, -1, 1);
  }
  return g;
}

static void test_prune_exact(void) {
  static const double rates[] = {0.0, 0.1, 0.5, 0.73, 0.9, 0.95, 0.999};
  for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++)
    for (int node = 1; node <= 2; node++) {
      sp_graph *g = tiny_graph(7);
      if (!g) return;
      sp_node *n = &g->nodes[node];
      size_t count = sp_node_weight_count(g, n);
      float *before = malloc(count * sizeof *before), bias0 = n->bias[0];
      memcpy(before, n->weight, count * sizeof *before);
      CHECK(sp_compress_prune(g, node, rates[r]) == SP_OK);
      size_t want = (size_t)floor(rates[r] * (double)count + 0.5);
      CHECK_MSG(count_zeros(n->weight, count) == want, "%s s=%g: %zu zeros, want %zu", n->name,
                rates[r], count_zeros(n->weight, count), want);
      /* the pruned are the smallest: none kept is smaller than any pruned */
      float max_pruned = 0.0f, min_kept = INFINITY;
      for (size_t i = 0; i < count; i++) {
        if (n->weight[i] == 0.0f) max_pruned = fmaxf(max_pruned, fabsf(before[i]));
        else min_kept = fminf(min_kept, fabsf(before[i]));
        if (n->weight[i] != 0.0f) CHECK(n->weight[i] == before[i]);
      }
      CHECK_MSG(max_pruned <= min_kept, "%s s=%g: pruned %g > kept %g", n->name, rates[r],
                (double)max_pruned, (double)min_kept);
      CHECK(n->bias[0] == bias0 && n->sparsity == (float)rates[r]);
      free(before);
      sp_graph_free(g);
    }
  /* ties go to the lower index */
  sp_graph *g = tiny_graph(7);
  if (!g) return;
  sp_node *fc = &g->nodes[2];
  size_t count = sp_node_weight_count(g, fc);
  for (size_t i = 0; i < count; i++) fc->weight[i] = i % 2 ? 0.5f : -0.5f;
  CHECK(sp_compress_prune(g, 2, 0.5) == SP_OK);
  size_t half = (size_t)floor(0.5 * (double)count + 0.5), wrong = 0;
  for (size_t i = 0; i < count; i++) wrong += (fc->weight[i] == 0.0f) != (i < half);
  CHECK_MSG(wrong == 0, "%zu weights pruned out of index order", wrong);
  sp_graph_free(g);
}

/* input (features, 1, 1) -> fc (units), weights zero: for hand-made cases. */
static sp_graph *fc_graph(int features, int units) {
  sp_graph *g = NULL;
  int i;
  sp_status s = sp_graph_create("fc", (sp_dims){features, 1, 1}, &g);
  if (!s) s = sp_graph_add_fc(g, "fc", 0, units, &i);
  CHECK_MSG(s == SP_OK, "%s", sp_last_error());
  return s ? NULL : g;
}

/* TWN on hand-computed layers. */
static void test_ternary(void) {
  sp_graph *g = fc_graph(8, 2);
  if (!g) return;
  sp_node *fc = &g->nodes[1];
  /* 16 weights, mean |w| = 3 / 16; t = 1.6 gives delta = 0.3 (up to
   * rounding: the float inputs are not exact), t = 1.61 delta 0.301875:
   * -0.3 and 0.1 become 0, 0.9 and 0.5 average to pos, -1.2 is neg */
  static const float w6[6] = {0.9f, -0.3f, 0.1f, -1.2f, 0.5f, 0.0f};
  memcpy(fc->weight, w6, sizeof w6);
  CHECK(sp_compress_ternary(g, 1, 1.61) == SP_OK);
  CHECK(fc->ternary == 1 && fc->ternary_t == 1.61f);
  CHECK_MSG(fc->ternary_pos == (float)(((double)0.9f + (double)0.5f) / 2.0) && fc->ternary_neg == 1.2f,
            "pos %g neg %g, want 0.7 and 1.2", (double)fc->ternary_pos, (double)fc->ternary_neg);
  float want[6] = {fc->ternary_pos, 0, 0, -fc->ternary_neg, fc->ternary_pos, 0};
  CHECK(memcmp(fc->weight, want, sizeof want) == 0 && count_zeros(fc->weight, 16) == 13);
  /* t = 1.5: delta 0.28125 < 0.3, so -0.3 joins neg: (1.2 + 0.3) / 2 */
  memset(fc->weight, 0, 16 * sizeof(float));
  memcpy(fc->weight, w6, sizeof w6);
  CHECK(sp_compress_ternary(g, 1, 1.5) == SP_OK);
  CHECK(fc->ternary_neg == (float)(((double)1.2f + (double)0.3f) / 2.0) && count_zeros(fc->weight, 16) == 12);

  /* |w| == delta is 0: {1, -1, 3, -3} x 4 has mean 2; t = 0.5 gives delta
   * = 1 exactly, t = 0.499 delta 0.998 */
  for (int i = 0; i < 16; i++) fc->weight[i] = (float)((i % 2 ? -1 : 1) * (i % 4 < 2 ? 1 : 3));
  CHECK(sp_compress_ternary(g, 1, 0.5) == SP_OK);
  CHECK(fc->ternary_pos == 3.0f && fc->ternary_neg == 3.0f && count_zeros(fc->weight, 16) == 8);
  for (int i = 0; i < 16; i++) fc->weight[i] = (float)((i % 2 ? -1 : 1) * (i % 4 < 2 ? 1 : 3));
  CHECK(sp_compress_ternary(g, 1, 0.499) == SP_OK);
  CHECK(fc->ternary_pos == 2.0f && fc->ternary_neg == 2.0f && count_zeros(fc->weight, 16) == 0);
  /* all zero: both scales 0 */
  memset(fc->weight, 0, 16 * sizeof(float));
  CHECK(sp_compress_ternary(g, 1, 0.7) == SP_OK);
  CHECK(fc->ternary_pos == 0.0f && fc->ternary_neg == 0.0f && count_zeros(fc->weight, 16) == 16);
  sp_graph_free(g);

  sp_node *conv;
  size_t cc = 5 * 27;
  /* random layers: at most three values, exactly {+pos, 0, -neg}; a larger t
   * zeroes more */
  size_t zeros_prev = 0;
  for (int k = 1; k <= 6; k++) {
    g = tiny_graph(11);
    if (!g) return;
    conv = &g->nodes[1];
    CHECK(sp_compress_ternary(g, 1, 0.25 * k) == SP_OK);
    CHECK(count_distinct(conv->weight, cc) <= 3);
    for (size_t i = 0; i < cc; i++)
      CHECK(conv->weight[i] == 0.0f || conv->weight[i] == conv->ternary_pos ||
            conv->weight[i] == -conv->ternary_neg);
    size_t zeros = count_zeros(conv->weight, cc);
    CHECK_MSG(zeros >= zeros_prev, "t=%g: %zu zeros, fewer than %zu", 0.25 * k, zeros, zeros_prev);
    zeros_prev = zeros;
    sp_graph_free(g);
  }
}

/* Exact byte sizes against hand counts; the executor reports the same
 * (plus the float bias) for a node run in that format. */
static void test_format_bytes(void) {
  sp_graph *g = tiny_graph(5);
  if (!g) return;
  sp_node *conv = &g->nodes[1], *fc = &g->nodes[2];
  /* conv: 5 rows x 27 columns; fc: 7 rows x 150 columns */
  CHECK(sp_csr_bytes(5, 0) == 24 && sp_csr_bytes(5, 10) == 104);
  CHECK(sp_ternary_bytes(5, 27) == 5 * 7 + 8 && sp_ternary_bytes(7, 150) == 7 * 38 + 8);
  memset(conv->weight, 0, 135 * sizeof(float));
  conv->weight[0] = 1.0f;   /* row 0 */
  conv->weight[28] = -2.0f; /* row 1 */
  conv->weight[134] = 3.0f; /* row 4 */
  conv->weight[50] = -0.0f; /* a negative zero is a zero */
  sp_format_bytes b = sp_compress_format_bytes(g, conv);
  CHECK_MSG(b.dense == 540 && b.csr == 6 * 4 + 3 * 8 && b.ternary == 5 * 7 + 8,
            "dense %lld csr %lld ternary %lld", (long long)b.dense, (long long)b.csr,
            (long long)b.ternary);
  sp_csr *m = NULL;
  CHECK(sp_csr_build(g, conv, &m) == SP_OK);
  if (m) {
    static const int32_t rp[6] = {0, 1, 2, 2, 2, 3}, col[3] = {0, 1, 26};
    CHECK(m->nnz == 3 && !memcmp(m->row_ptr, rp, sizeof rp) && !memcmp(m->col, col, sizeof col));
    CHECK(m->val[0] == 1.0f && m->val[1] == -2.0f && m->val[2] == 3.0f);
  }
  sp_csr_free(m);
  /* packed codes: row 0 = {+, -, 0, +} | {-} */
  CHECK(sp_compress_ternary(g, 2, 0.7) == SP_OK);
  float pos = fc->ternary_pos, neg = fc->ternary_neg;
  float row0[5] = {pos, -neg, 0, pos, -neg};
  memcpy(fc->weight, row0, sizeof row0);
  sp_ternary *t = NULL;
  CHECK(sp_ternary_build(g, fc, &t) == SP_OK);
  if (t) {
    CHECK(t->row_bytes == 38 && t->pos == pos && t->neg == neg);
    CHECK_MSG(t->codes[0] == (1 | 2 << 2 | 0 << 4 | 1 << 6) && (t->codes[1] & 3) == 2,
              "codes %02x %02x", t->codes[0], t->codes[1]);
  }
  sp_ternary_free(t);
  /* a weight changed after ternarisation is refused, naming the layer */
  fc->weight[3] = 0.123f;
  CHECK(sp_ternary_build(g, fc, &t) == SP_ERR_INPUT && strstr(sp_last_error(), "fc"));
  fc->weight[3] = pos;

  /* executor accounting: format bytes + 4 bytes of bias a unit */
  const sp_variant *vars[3] = {NULL, sp_registry_find("conv2d__csr_direct_serial"),
                               sp_registry_find("fc__ternary_serial")};
  CHECK(vars[1] && vars[2]);
  sp_exec_options opt = sp_exec_options_default();
  opt.variants = vars;
  sp_executor *e = NULL;
  CHECK_MSG(sp_executor_create(g, &opt, &e) == SP_OK, "%s", sp_last_error());
  if (e) {
    CHECK(sp_executor_node_weight_bytes(e, 1) == (size_t)(6 * 4 + 3 * 8 + 5 * 4));
    CHECK(sp_executor_node_weight_bytes(e, 2) == (size_t)(7 * 38 + 8 + 7 * 4));
    CHECK(sp_executor_weight_bytes(e) == (size_t)(6 * 4 + 3 * 8 + 5 * 4 + 7 * 38 + 8 + 7 * 4));
  }
  sp_executor_free(e);
  sp_graph_free(g);
}

/* Runs g once with `variants` (NULL: reference kernels) on a fixed input. */
static float *run_graph(const sp_graph *g, const sp_variant *const *variants, int threads) {
  sp_exec_options opt = sp_exec_options_default();
  opt.batch = 2;
  opt.threads = threads;
  opt.reference = variants == NULL;
  opt.variants = variants;
  sp_executor *e = NULL;
  sp_status s = sp_executor_create(g, &opt, &e);
  CHECK_MSG(s == SP_OK, "%s", sp_last_error());
  if (s) return NULL;
  size_t in_count = 2 * sp_dims_count(g->input);
  float *in = malloc(in_count * sizeof *in);
  float *out = malloc(2 * sp_dims_count(g->nodes[g->output].out) * sizeof *out);
  sp_test_fill(in, in_count, 42, -1, 1);
  CHECK(sp_executor_run(e, in, out) == SP_OK);
  sp_executor_free(e);
  free(in);
  return out;
}

/* Every CSR and ternary variant on compressed layers of a zoo model: the
 * variant on that one layer (default kernels elsewhere) against all
 * reference kernels. */
static void check_variants_on(const char *model, const char *spec, const char *const *layers) {
  sp_graph *g = NULL;
  CHECK_MSG(sp_model_load(model, &g) == SP_OK, "%s", sp_last_error());
  if (!g) return;
  CHECK_MSG(sp_compression_apply(g, spec) == SP_OK, "%s: %s", spec, sp_last_error());
  float *want = run_graph(g, NULL, 1);
  size_t out_count = 2 * sp_dims_count(g->nodes[g->output].out);
  int count = 0;
  const sp_variant *all = sp_registry_variants(&count);
  const sp_variant **chosen = calloc((size_t)g->n_nodes, sizeof *chosen);
  for (int l = 0; layers[l]; l++) {
    int node = sp_graph_find(g, layers[l]);
    CHECK_MSG(node > 0, "%s: no layer %s", model, layers[l]);
    if (node <= 0) continue;
    int ran = 0;
    for (int v = 0; v < count; v++) {
      if ((all[v].format != SP_FORMAT_CSR && all[v].format != SP_FORMAT_TERNARY) ||
          !sp_variant_supports(&all[v], g, &g->nodes[node]))
        continue;
      chosen[node] = &all[v];
      float *got = run_graph(g, chosen, all[v].backend == SP_BACKEND_OPENMP ? 2 : 1);
      char what[160];
      snprintf(what, sizeof what, "%s [%s] %s on %s", model, spec, all[v].name, layers[l]);
      if (got && want) CHECK(sp_test_close(what, got, want, out_count, 1e-4f, 1e-4f));
      free(got);
      ran++;
    }
    chosen[node] = NULL;
    CHECK_MSG(ran >= 2, "%s: only %d compressed variants ran on %s", model, ran, layers[l]);
  }
  free(chosen);
  free(want);
  sp_graph_free(g);
}

static void test_variants_on_zoo(void) {
  check_variants_on("vgg16:w=0.25", "prune:conv5=0.9,prune:conv1=0.5,prune:fc1=0.7,ternary:conv8,ternary:fc2=0.3",
                    (const char *const[]){"conv1", "conv5", "fc1", "conv8", "fc2", NULL});
  check_variants_on("mobilenet:w=0.25",
                    "prune:blocks.3.dw=0.5,prune:blocks.3.pw=0.8,ternary:blocks.6.dw,ternary:blocks.6.pw",
                    (const char *const[]){"blocks.3.dw", "blocks.3.pw", "blocks.6.dw",
                                          "blocks.6.pw", NULL});
  check_variants_on("resnet18:w=0.25",
                    "keep:layer2.0.conv1=0.5,prune:layer2.0.conv2=0.9,ternary:layer2.0.shortcut.conv,prune:fc=0.5",
                    (const char *const[]){"layer2.0.conv2", "layer2.0.shortcut.conv", "fc", NULL});
}

/* A successful spec: keep first, then prune and ternary on the final shapes. */
static void test_spec_applies(void) {
  sp_graph *g = NULL;
  CHECK(sp_model_load("vgg16:w=0.25", &g) == SP_OK);
  if (!g) return;
  int conv3 = sp_graph_find(g, "conv3"), conv4 = sp_graph_find(g, "conv4");
  int conv5 = sp_graph_find(g, "conv5"), fc1 = sp_graph_find(g, "fc1");
  CHECK(sp_compression_apply(g, "prune:conv3=0.5,keep:conv3=0.5,prune:conv5=0.8,ternary:fc1") ==
        SP_OK);
  const sp_node *n3 = &g->nodes[conv3], *n5 = &g->nodes[conv5], *f = &g->nodes[fc1];
  CHECK(n3->units == 16 && sp_node_in(g, &g->nodes[conv4], 0).c == 16);
  size_t c3 = sp_node_weight_count(g, n3), c5 = sp_node_weight_count(g, n5);
  CHECK_MSG(count_zeros(n3->weight, c3) == (size_t)floor(0.5 * (double)c3 + 0.5),
            "conv3 pruned before its channels were");
  CHECK(count_zeros(n5->weight, c5) == (size_t)floor(0.8 * (double)c5 + 0.5));
  CHECK(f->ternary && fabsf(f->ternary_t - 0.7f) < 1e-7f &&
        count_distinct(f->weight, sp_node_weight_count(g, f)) <= 3);
  CHECK(sp_compression_apply(g, "") == SP_OK);
  sp_graph_free(g);
}

/* Each bad spec fails with SP_ERR_INPUT, names the given words, and leaves
 * the graph as it was (conv3 keeps its 16 channels). */
static void expect_error(const char *model, const char *spec, const char *w1, const char *w2) {
  sp_graph *g = NULL;
  CHECK(sp_model_load(model, &g) == SP_OK);
  if (!g) return;
  int node = sp_graph_find(g, "conv1");
  int units = g->nodes[node].units;
  float w0 = g->nodes[node].weight[0];
  sp_clear_error();
  sp_status s = sp_compression_apply(g, spec);
  const char *msg = sp_last_error();
  CHECK_MSG(s == SP_ERR_INPUT, "'%s' gave %d (%s)", spec, s, msg);
  CHECK_MSG(strstr(msg, w1) && (!w2 || strstr(msg, w2)) && !strchr(msg, '\n'),
            "'%s': message '%s' should name '%s' and '%s'", spec, msg, w1, w2 ? w2 : "");
  CHECK_MSG(g->nodes[node].units == units && g->nodes[node].weight[0] == w0,
            "'%s' changed the graph before failing", spec);
  sp_graph_free(g);
}

static void test_spec_errors(void) {
  const char *vgg = "vgg16:w=0.25", *resnet = "resnet18:w=0.25";
  /* unknown layer, layer without weights */
  expect_error(vgg, "prune:conv99=0.5", "conv99", "unknown layer");
  expect_error(vgg, "keep:conv1=0.5,ternary:nosuch", "nosuch", "unknown layer");
  expect_error(vgg, "prune:pool1=0.5", "pool1", "no weights");
  expect_error(vgg, "ternary:flatten=0.5", "flatten", "no weights");
  /* rates out of range */
  expect_error(vgg, "prune:conv1=1", "conv1", "sparsity");
  expect_error(vgg, "prune:conv1=-0.1", "conv1", "sparsity");
  expect_error(vgg, "prune:conv1=nan", "conv1", "sparsity");
  expect_error(vgg, "keep:conv1=0", "conv1", "keep rate");
  expect_error(vgg, "keep:conv1=1.5", "conv1", "keep rate");
  expect_error(vgg, "ternary:conv1=0", "conv1", "threshold");
  expect_error(vgg, "ternary:conv1=-1", "conv1", "threshold");
  expect_error(vgg, "ternary:conv1=NaN", "conv1", "threshold");
  expect_error(vgg, "ternary:conv1=inf", "conv1", "threshold");
  /* malformed items */
  expect_error(vgg, "prune:conv1", "prune:conv1", "sparsity");
  expect_error(vgg, "keep:conv1", "keep:conv1", "keep rate");
  expect_error(vgg, "conv1=0.5", "conv1=0.5", "expected");
  expect_error(vgg, "shrink:conv1=0.5", "shrink", "unknown kind");
  expect_error(vgg, "prune:=0.5", "prune:=0.5", "no layer");
  expect_error(vgg, "prune:conv1=abc", "conv1", "not a number");
  expect_error(vgg, "prune:conv1=0.5x", "conv1", "not a number");
  expect_error(vgg, "prune:conv1=", "conv1", "not a number");
  expect_error(vgg, "prune:conv1=0.5,", "empty item", NULL);
  expect_error(vgg, ",prune:conv1=0.5", "empty item", NULL);
  /* groups that must not be pruned */
  expect_error(vgg, "keep:fc2=0.5", "fc2", "graph output");
  expect_error(vgg, "keep:input=0.5", "input", "cannot be pruned");
  expect_error(resnet, "keep:layer1.0.conv2=0.5", "layer1.0.conv2", "residual add");
  expect_error(resnet, "keep:conv1=0.5", "conv1", "residual add");
  expect_error(resnet, "keep:layer3.0.shortcut.conv=0.5", "layer3.0.shortcut.conv", "add");
  /* the same layer (group) twice */
  expect_error(vgg, "prune:conv5=0.5,ternary:conv5", "conv5", "already compressed");
  expect_error(vgg, "prune:conv5=0.5,prune:conv5=0.6", "conv5", "already compressed");
  expect_error(vgg, "keep:conv2=0.5,keep:pool1=0.75", "pool1", "already pruned");
  expect_error(vgg, "keep:conv1=0.5,keep:conv1=0.5", "conv1", "already pruned");
  /* the direct API names the layer and the option too */
  sp_graph *g = tiny_graph(1);
  if (!g) return;
  CHECK(sp_compress_prune(g, 1, 1.0) == SP_ERR_INPUT && strstr(sp_last_error(), "conv") &&
        strstr(sp_last_error(), "sparsity"));
  CHECK(sp_compress_ternary(g, 2, 0.0) == SP_ERR_INPUT && strstr(sp_last_error(), "fc") &&
        strstr(sp_last_error(), "threshold"));
  CHECK(sp_compress_prune(g, 0, 0.5) == SP_ERR_INPUT);
  CHECK(sp_compress_keep(g, 2, 0.5) == SP_ERR_INPUT && strstr(sp_last_error(), "graph output"));
  sp_graph_free(g);
}

int main(void) {
  test_prune_exact();
  test_ternary();
  test_format_bytes();
  test_spec_applies();
  test_spec_errors();
  test_variants_on_zoo();
  return sp_test_finish("test_compress");
}
