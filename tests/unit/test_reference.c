/* The reference kernels are the oracle of every other test, so they are
 * checked here against small cases computed by hand. Inputs are small
 * integers, so most results are exact in float. */
#include <math.h>
#include <string.h>

#include "kernels/registry.h"
#include "tests/unit/testing.h"

/* Hand values are exact or rounded to 1e-6 relative. */
#define ATOL 1e-5f
#define RTOL 1e-6f

/* Runs the reference kernel of node `index` on `batch` images. */
static void run_ref(const sp_graph *g, int index, int batch, const float *in0, const float *in1,
                    float *out) {
  const sp_node *n = &g->nodes[index];
  sp_kernel_args a = {.graph = g, .node = n, .batch = batch, .threads = 1, .in = {in0, in1},
                      .out = out, .out_dims = n->out};
  for (int j = 0; j < n->n_inputs; j++) a.in_dims[j] = sp_node_in(g, n, j);
  sp_registry_reference(n->op)->run(&a);
}

static void expect(const char *what, const float *got, const float *want, size_t n) {
  CHECK_MSG(sp_test_close(what, got, want, n, ATOL, RTOL), "%s", what);
}

static sp_graph *graph_of(sp_dims input) {
  sp_graph *g = NULL;
  CHECK(sp_graph_create("hand", input, &g) == SP_OK);
  return g;
}

/* 1 channel, 4x4 input x = 1..16 row-major, 3x3 filter w = 1..9, bias 0.5,
 * padding 1, stride 2 -> 2x2. E.g. out(0,0) sees x(0..1, 0..1) = 1 2 / 5 6
 * under w(1..2, 1..2) = 5 6 / 8 9: 5 + 12 + 40 + 54 + 0.5 = 111.5. */
static void test_conv_pad_stride(void) {
  sp_graph *g = graph_of((sp_dims){1, 4, 4});
  int i = -1;
  CHECK(sp_graph_add_conv(g, "conv", 0, 1, 3, 2, 1, 1, 1, &i) == SP_OK);
  CHECK(g->nodes[i].out.c == 1 && g->nodes[i].out.h == 2 && g->nodes[i].out.w == 2);
  float x[16], out[4];
  for (int k = 0; k < 16; k++) x[k] = (float)(k + 1);
  for (int k = 0; k < 9; k++) g->nodes[i].weight[k] = (float)(k + 1);
  g->nodes[i].bias[0] = 0.5f;
  run_ref(g, i, 1, x, NULL, out);
  expect("conv 3x3 pad 1 stride 2", out, (const float[]){111.5f, 217.5f, 363.5f, 573.5f}, 4);
  sp_graph_free(g);
}

/* 4 input channels (1x2 each), 4 output channels, 2 groups, 1x1 filter:
 * outputs 0-1 read channels 0-1, outputs 2-3 read channels 2-3. Two images,
 * the second one the first plus 1, so per-image offsets are checked too. */
static void test_conv_groups(void) {
  sp_graph *g = graph_of((sp_dims){4, 1, 2});
  int i = -1;
  CHECK(sp_graph_add_conv(g, "grouped", 0, 4, 1, 1, 0, 2, 0, &i) == SP_OK);
  const float w[8] = {1, 10, 2, 20, 100, 1000, 200, 2000};
  memcpy(g->nodes[i].weight, w, sizeof w);
  float x[16], out[16];
  for (int k = 0; k < 16; k++) x[k] = (float)(k % 8 + 1 + k / 8);
  run_ref(g, i, 2, x, NULL, out);
  const float want[16] = {31, 42, 62, 84, 7500, 8600, 15000, 17200,
                          42, 53, 84, 106, 8600, 9700, 17200, 19400};
  expect("grouped conv", out, want, 16);
  sp_graph_free(g);
}

/* Padding must not act as a zero: all inputs are negative. 3x3 window,
 * stride 2, padding 1 on a 3x3 input: each window covers a 2x2 corner. */
static void test_maxpool_padding(void) {
  sp_graph *g = graph_of((sp_dims){1, 3, 3});
  int i = -1;
  CHECK(sp_graph_add_pool(g, "max", SP_OP_MAXPOOL, 0, 3, 2, 1, &i) == SP_OK);
  const float x[9] = {-5, -1, -7, -3, -9, -2, -8, -4, -6};
  float out[4];
  run_ref(g, i, 1, x, NULL, out);
  expect("maxpool with padding", out, (const float[]){-1, -1, -3, -2}, 4);
  sp_graph_free(g);
}

/* Same geometry, x = 1..9: corner sums 12, 16, 24, 28 divided by 9 (padded
 * zeros counted) or by 4 (real elements only). */
static void test_avgpool_count_include_pad(void) {
  sp_graph *g = graph_of((sp_dims){1, 3, 3});
  int i = -1;
  CHECK(sp_graph_add_pool(g, "avg", SP_OP_AVGPOOL, 0, 3, 2, 1, &i) == SP_OK);
  float x[9], out[4];
  for (int k = 0; k < 9; k++) x[k] = (float)(k + 1);
  g->nodes[i].count_include_pad = 1;
  run_ref(g, i, 1, x, NULL, out);
  expect("avgpool count_include_pad", out,
         (const float[]){12.0f / 9, 16.0f / 9, 24.0f / 9, 28.0f / 9}, 4);
  g->nodes[i].count_include_pad = 0;
  run_ref(g, i, 1, x, NULL, out);
  expect("avgpool exclude pad", out, (const float[]){3, 4, 6, 7}, 4);
  sp_graph_free(g);
}

static void test_global_avgpool(void) {
  sp_graph *g = graph_of((sp_dims){2, 2, 2});
  int i = -1;
  CHECK(sp_graph_add_simple(g, "gap", SP_OP_GLOBAL_AVGPOOL, 0, &i) == SP_OK);
  const float x[8] = {1, 2, 3, 4, -1, 1, 5, 7};
  float out[2];
  run_ref(g, i, 1, x, NULL, out);
  expect("global avgpool", out, (const float[]){2.5f, 3.0f}, 2);
  sp_graph_free(g);
}

/* softmax(1, 2, 3) = e^(k-3) / (e^-2 + e^-1 + 1); logits 1000.. give the
 * same values only when the maximum is subtracted before exp(). */
static void test_softmax(void) {
  sp_graph *g = graph_of((sp_dims){3, 1, 1});
  int i = -1;
  CHECK(sp_graph_add_simple(g, "softmax", SP_OP_SOFTMAX, 0, &i) == SP_OK);
  const float x[6] = {1, 2, 3, 1000, 1001, 1002};
  float out[6];
  run_ref(g, i, 2, x, NULL, out);
  const float p[3] = {0.09003057f, 0.24472847f, 0.66524096f};
  expect("softmax", out, p, 3);
  expect("softmax of large logits", out + 3, p, 3);
  for (int b = 0; b < 2; b++)
    CHECK(fabsf(out[3 * b] + out[3 * b + 1] + out[3 * b + 2] - 1.0f) < 1e-6f);
  sp_graph_free(g);
}

/* y = (x - mean) / sqrt(var) * gamma + beta with eps 0: channel 0 has
 * mean 1, var 4, gamma 2, beta 0.5; channel 1 mean 2, var 0.25, gamma -1,
 * beta 1. The fused ReLU then clamps the one negative result. */
static void test_batchnorm(void) {
  sp_graph *g = graph_of((sp_dims){2, 1, 2});
  int i = -1;
  CHECK(sp_graph_add_batchnorm(g, "bn", 0, &i) == SP_OK);
  sp_node *n = &g->nodes[i];
  n->bn_eps = 0.0f;
  memcpy(n->bn_gamma, (const float[]){2, -1}, 2 * sizeof(float));
  memcpy(n->bn_beta, (const float[]){0.5f, 1}, 2 * sizeof(float));
  memcpy(n->bn_mean, (const float[]){1, 2}, 2 * sizeof(float));
  memcpy(n->bn_var, (const float[]){4, 0.25f}, 2 * sizeof(float));
  const float x[4] = {3, -1, 0, 2};
  float out[4];
  run_ref(g, i, 1, x, NULL, out);
  expect("batchnorm", out, (const float[]){2.5f, -1.5f, 5, 1}, 4);
  n->act = SP_ACT_RELU;
  run_ref(g, i, 1, x, NULL, out);
  expect("batchnorm + relu", out, (const float[]){2.5f, 0, 5, 1}, 4);
  sp_graph_free(g);
}

/* 4 features (a 1x2x2 input), 2 units; two images. */
static void test_fc(void) {
  sp_graph *g = graph_of((sp_dims){1, 2, 2});
  int i = -1;
  CHECK(sp_graph_add_fc(g, "fc", 0, 2, &i) == SP_OK);
  sp_node *n = &g->nodes[i];
  memcpy(n->weight, (const float[]){1, 0, -1, 2, 0.5f, 0.5f, 0.5f, 0.5f}, 8 * sizeof(float));
  memcpy(n->bias, (const float[]){1, -10}, 2 * sizeof(float));
  const float x[8] = {1, 2, 3, 4, -1, -2, -3, -4};
  float out[4];
  run_ref(g, i, 2, x, NULL, out);
  expect("fc with bias", out, (const float[]){7, -5, -5, -15}, 4);
  n->act = SP_ACT_RELU;
  run_ref(g, i, 2, x, NULL, out);
  expect("fc + relu", out, (const float[]){7, 0, 0, 0}, 4);
  sp_graph_free(g);
}

/* Fused and standalone activations on values below 0, inside (0, 6) and
 * above 6: ReLU keeps 8, ReLU6 clamps it to 6. */
static void test_activations(void) {
  sp_graph *g = graph_of((sp_dims){1, 1, 4});
  int conv = -1, add = -1, relu = -1, relu6 = -1;
  CHECK(sp_graph_add_conv(g, "conv", 0, 1, 1, 1, 0, 1, 0, &conv) == SP_OK);
  CHECK(sp_graph_add_add(g, "add", 0, 0, &add) == SP_OK);
  CHECK(sp_graph_add_simple(g, "relu", SP_OP_RELU, 0, &relu) == SP_OK);
  CHECK(sp_graph_add_simple(g, "relu6", SP_OP_RELU6, 0, &relu6) == SP_OK);
  g->nodes[conv].weight[0] = 1.0f;
  const float x[4] = {-2, 3, 8, 6.5f}, ones[4] = {1, 1, 1, 1};
  float out[4];
  run_ref(g, conv, 1, x, NULL, out);
  expect("conv, no activation", out, x, 4);
  g->nodes[conv].act = SP_ACT_RELU;
  run_ref(g, conv, 1, x, NULL, out);
  expect("conv + relu", out, (const float[]){0, 3, 8, 6.5f}, 4);
  g->nodes[conv].act = SP_ACT_RELU6;
  run_ref(g, conv, 1, x, NULL, out);
  expect("conv + relu6", out, (const float[]){0, 3, 6, 6}, 4);
  g->nodes[add].act = SP_ACT_RELU6;
  run_ref(g, add, 1, x, ones, out);
  expect("add + relu6", out, (const float[]){0, 4, 6, 6}, 4);
  g->nodes[add].act = SP_ACT_NONE;
  run_ref(g, add, 1, x, ones, out);
  expect("add", out, (const float[]){-1, 4, 9, 7.5f}, 4);
  run_ref(g, relu, 1, x, NULL, out);
  expect("relu", out, (const float[]){0, 3, 8, 6.5f}, 4);
  run_ref(g, relu6, 1, x, NULL, out);
  expect("relu6", out, (const float[]){0, 3, 6, 6}, 4);
  sp_graph_free(g);
}

static void test_clip(void) {
  sp_graph *g = graph_of((sp_dims){1, 1, 4});
  int i = -1;
  CHECK(sp_graph_add_simple(g, "clip", SP_OP_CLIP, 0, &i) == SP_OK);
  g->nodes[i].clip_lo = -1.0f;
  g->nodes[i].clip_hi = 0.5f;
  const float x[4] = {-2, 0.25f, 5, -0.75f};
  float out[4];
  run_ref(g, i, 1, x, NULL, out);
  expect("clip", out, (const float[]){-1, 0.25f, 0.5f, -0.75f}, 4);
  sp_graph_free(g);
}

static void test_flatten(void) {
  sp_graph *g = graph_of((sp_dims){2, 2, 1});
  int i = -1;
  CHECK(sp_graph_add_simple(g, "flatten", SP_OP_FLATTEN, 0, &i) == SP_OK);
  CHECK(g->nodes[i].out.c == 4 && g->nodes[i].out.h == 1 && g->nodes[i].out.w == 1);
  const float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  float out[8];
  run_ref(g, i, 2, x, NULL, out);
  expect("flatten", out, x, 8);
  sp_graph_free(g);
}

int main(void) {
  test_conv_pad_stride();
  test_conv_groups();
  test_maxpool_padding();
  test_avgpool_count_include_pad();
  test_global_avgpool();
  test_softmax();
  test_batchnorm();
  test_fc();
  test_activations();
  test_flatten();
  test_clip();
  return sp_test_finish("test_reference");
}
