/* Every registered variant against its op's reference kernel on many
 * seeded random shapes. Each case is a tiny graph (input + one node) so the
 * shapes come from the real shape inference; the variant is called directly
 * with a filled sp_kernel_args. Outputs start as NaN, so an element a
 * kernel forgets to write fails the comparison; inputs are checked intact. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/compress/compress.h"
#include "kernels/registry.h"
#include "tests/unit/testing.h"
#include "tests/unit/variant_tester.h"

#define CONV_CASES 150 /* per conv variant: the op with the most geometry */
#define OTHER_CASES 40 /* per variant of every other op */
#define MAX_SIDE 13

static uint64_t rng_state = 0x5eed0001;

static int rnd(int lo, int hi) { return sp_test_rand_int(&rng_state, lo, hi); }

static float *random_floats(size_t n, float lo, float hi) {
  float *x = malloc((n ? n : 1) * sizeof *x);
  sp_test_fill(x, n, (uint64_t)rnd(0, 1 << 30), lo, hi);
  return x;
}

static sp_node blank_node(sp_op op, int index) {
  sp_node n;
  memset(&n, 0, sizeof n);
  snprintf(n.name, sizeof n.name, "%s_case%d", sp_op_name(op), index);
  n.op = op;
  n.n_inputs = 1;
  return n;
}

/* The case's features cycle with its index, so that every combination of
 * batch, threads, activation and bias appears in any 12 consecutive cases
 * whatever the seed; geometry kinds change every 12 cases. */
static int case_batch(int index) { return index % 2 ? 3 : 1; }
static int case_threads(int index) { return (index / 2) % 2 + 1; }
static sp_act case_act(int index) { return (sp_act)(index % 3); }
static int case_bias(int index) { return (index / 3) % 2; }
static int case_kind(int index, int kinds) { return (index / 12) % kinds; }

/* Seven conv geometry kinds: general, depthwise, grouped, 1x1 kernel,
 * 1x1 input, stride 2, 3x3 stride 1 (the common layer, which variants such
 * as Winograd are limited to and random draws rarely hit); everything else
 * (sizes, non-square kernels and inputs, asymmetric padding, strides) is
 * random. Returns the input shape. */
static sp_dims conv_case(int index, sp_node *n) {
  int kind = case_kind(index, 7), groups = 1, cin = rnd(1, 6), cout = rnd(1, 6);
  if (kind == 1) { /* depthwise, channel multiplier 1 or 2 */
    groups = cin = rnd(1, 8);
    cout = cin * rnd(1, 2);
  } else if (kind == 2) {
    groups = rnd(2, 3);
    cin = groups * rnd(1, 3);
    cout = groups * rnd(1, 3);
  }
  sp_window *w = &n->win;
  w->kh = kind == 3 ? 1 : rnd(1, 5);
  w->kw = kind == 3 ? 1 : rnd(1, 5);
  w->sh = kind == 5 ? 2 : rnd(1, 3);
  w->sw = kind == 5 ? 2 : rnd(1, 3);
  w->pt = rnd(0, w->kh);
  w->pb = rnd(0, w->kh);
  w->pl = rnd(0, w->kw);
  w->pr = rnd(0, w->kw);
  if (kind == 6) {
    w->kh = w->kw = 3;
    w->sh = w->sw = 1;
    w->pt = rnd(0, 2), w->pb = rnd(0, 2), w->pl = rnd(0, 2), w->pr = rnd(0, 2);
  }
  if (kind == 3 && (index / 4) % 2 == 0) { /* pointwise (the 1x1 GEMM variants' only shape) */
    w->sh = w->sw = 1;
    w->pt = w->pb = w->pl = w->pr = 0;
  }
  int h = rnd(1, MAX_SIDE), wd = rnd(1, MAX_SIDE);
  if (kind == 4) h = wd = 1;
  /* make the window fit by growing the trailing padding */
  if (h + w->pt + w->pb < w->kh) w->pb = w->kh - h - w->pt;
  if (wd + w->pl + w->pr < w->kw) w->pr = w->kw - wd - w->pl;
  n->groups = groups;
  n->units = cout;
  n->act = case_act(index);
  size_t count = (size_t)cout * (size_t)(cin / groups) * (size_t)w->kh * (size_t)w->kw;
  n->weight = random_floats(count, -1, 1);
  n->bias = case_bias(index) ? random_floats((size_t)cout, -1, 1) : NULL;
  return (sp_dims){cin, h, wd};
}

/* Pooling windows: padding below the kernel size, as shape inference asks. */
static sp_dims pool_case(int index, sp_node *n) {
  sp_window *w = &n->win;
  w->kh = rnd(1, 4);
  w->kw = rnd(1, 4);
  w->sh = rnd(1, 3);
  w->sw = rnd(1, 3);
  w->pt = rnd(0, w->kh - 1);
  w->pb = rnd(0, w->kh - 1);
  w->pl = rnd(0, w->kw - 1);
  w->pr = rnd(0, w->kw - 1);
  n->count_include_pad = case_kind(index, 2);
  int h = index % 5 == 4 ? 1 : rnd(1, MAX_SIDE), wd = index % 5 == 4 ? 1 : rnd(1, MAX_SIDE);
  if (h + w->pt + w->pb < w->kh) w->pb = w->kh - h - w->pt;
  if (wd + w->pl + w->pr < w->kw) w->pr = w->kw - wd - w->pl;
  return (sp_dims){rnd(1, 6), h, wd};
}

/* Fills node `n` for a random case of its op; returns the input shape. */
static sp_dims node_case(int index, sp_node *n) {
  sp_dims in = {rnd(1, 6), rnd(1, 9), rnd(1, 9)};
  switch (n->op) {
    case SP_OP_CONV2D: return conv_case(index, n);
    case SP_OP_MAXPOOL:
    case SP_OP_AVGPOOL: return pool_case(index, n);
    case SP_OP_FC:
      in.h = rnd(1, 4);
      in.w = rnd(1, 4);
      n->units = rnd(1, 16);
      n->act = case_act(index);
      n->weight = random_floats((size_t)n->units * sp_dims_count(in), -1, 1);
      n->bias = case_bias(index) ? random_floats((size_t)n->units, -1, 1) : NULL;
      return in;
    case SP_OP_BATCHNORM:
      n->act = case_act(index);
      n->bn_gamma = random_floats((size_t)in.c, 0.5f, 1.5f);
      n->bn_beta = random_floats((size_t)in.c, -0.5f, 0.5f);
      n->bn_mean = random_floats((size_t)in.c, -0.5f, 0.5f);
      n->bn_var = random_floats((size_t)in.c, 0.1f, 2.0f);
      n->bn_eps = 1e-5f;
      return in;
    case SP_OP_CLIP: /* bounds inside the input range [-1, 1], so both clamp */
      n->clip_lo = -0.5f * (float)rnd(0, 2);
      n->clip_hi = n->clip_lo + 0.25f * (float)rnd(1, 4);
      return in;
    case SP_OP_ADD:
      n->act = case_act(index);
      n->n_inputs = 2; /* both read the graph input; the test feeds two buffers */
      return in;
    default: return in;
  }
}

/* Variants of a compressed format compute from compressed weights, so their
 * case is compressed in the graph first and the reference then runs on the
 * very same weights: CSR cases are pruned to a random sparsity in
 * [0.3, 0.95] (every 7th case left dense, every 5th with one all-zero row on
 * top, an empty CSR row); ternary cases are ternarised (t in [0.3, 1.2]).
 * A stream of its own, so that every other variant's cases stay unchanged. */
static void compress_case(const sp_variant *v, sp_graph *g, int index) {
  if (v->format != SP_FORMAT_CSR && v->format != SP_FORMAT_TERNARY) return;
  uint64_t state = 0xc0de0000u + (uint64_t)index;
  sp_node *n = &g->nodes[1];
  sp_status s;
  if (v->format == SP_FORMAT_TERNARY) {
    s = sp_compress_ternary(g, 1, 0.3 + 0.1 * sp_test_rand_int(&state, 0, 9));
  } else {
    double sparsity = index % 7 ? 0.3 + 0.65e-3 * sp_test_rand_int(&state, 0, 1000) : 0.0;
    s = sp_compress_prune(g, 1, sparsity);
    if (!s && index % 5 == 0) {
      size_t row = sp_node_weight_count(g, n) / (size_t)n->units;
      int r = sp_test_rand_int(&state, 0, n->units - 1);
      memset(n->weight + (size_t)r * row, 0, row * sizeof *n->weight);
    }
  }
  CHECK_MSG(s == SP_OK, "%s: compressing %s: %s", v->name, n->name, sp_last_error());
}

/* One random case of `v`: returns 1 when it ran, 0 when v does not
 * support the generated node. */
static int check_case(const sp_variant *v, int index) {
  sp_node n = blank_node(v->op, index);
  sp_dims in_dims = node_case(index, &n);
  sp_graph *g = NULL;
  CHECK(sp_graph_create("case", in_dims, &g) == SP_OK);
  sp_status s = sp_graph_add(g, &n, NULL);
  CHECK_MSG(s == SP_OK, "%s: %s", n.name, sp_last_error());
  if (s) {
    sp_node_free_data(&n); /* the weights stay with us on failure */
    sp_graph_free(g);
    return 0;
  }
  compress_case(v, g, index);
  const sp_node *node = &g->nodes[1];
  int ran = sp_variant_supports(v, g, node);
  if (ran) {
    int batch = case_batch(index), threads = case_threads(index);
    size_t in_count = (size_t)batch * sp_dims_count(in_dims);
    size_t out_count = (size_t)batch * sp_dims_count(node->out);
    float lo = v->op == SP_OP_SOFTMAX ? -8.0f : -1.0f; /* spread logits so softmax is not flat */
    float *in[SP_MAX_INPUTS] = {random_floats(in_count, lo, -lo), random_floats(in_count, lo, -lo)};
    float *in_copy = malloc(2 * in_count * sizeof *in_copy);
    memcpy(in_copy, in[0], in_count * sizeof *in_copy);
    memcpy(in_copy + in_count, in[1], in_count * sizeof *in_copy);
    float *got = malloc(out_count * sizeof *got), *want = malloc(out_count * sizeof *want);
    for (size_t i = 0; i < out_count; i++) got[i] = want[i] = NAN;

    sp_vt_run_host(v, g, batch, threads, (const float *const *)in, got);
    sp_vt_run_host(sp_registry_reference(v->op), g, batch, 1, (const float *const *)in, want);
    /* the reordered-sum bound (variant_tester.h); rtol covers the larger outputs */
    float atol = sp_vt_atol(v, g, node), rtol = SP_VT_RTOL;
    char what[160];
    snprintf(what, sizeof what, "%s on %s (in %dx%dx%d, out %dx%dx%d, batch %d, threads %d)",
             v->name, node->name, in_dims.c, in_dims.h, in_dims.w, node->out.c, node->out.h,
             node->out.w, batch, threads);
    CHECK_MSG(sp_test_close(what, got, want, out_count, atol, rtol), "%s", what);
    CHECK_MSG(memcmp(in_copy, in[0], in_count * sizeof *in_copy) == 0 &&
                  memcmp(in_copy + in_count, in[1], in_count * sizeof *in_copy) == 0,
              "%s wrote its input", what);
    free(in[0]);
    free(in[1]);
    free(in_copy);
    free(got);
    free(want);
  }
  sp_graph_free(g);
  return ran;
}

int main(void) {
  int count = 0;
  const sp_variant *variants = sp_registry_variants(&count);
  CHECK(count > 0);
  for (int i = 0; i < count; i++) {
    const sp_variant *v = &variants[i];
    CHECK_MSG(sp_registry_reference(v->op) != NULL, "%s: op has no reference", v->name);
    if (!sp_registry_reference(v->op)) continue;
    /* Device variants read and write OpenCL buffers, not host pointers:
     * tests/unit/test_opencl.c runs them against the same references. */
    if (sp_variant_on_device(v)) continue;
    int cases = v->op == SP_OP_CONV2D ? CONV_CASES : OTHER_CASES, ran = 0;
    for (int c = 0; c < cases; c++) ran += check_case(v, c);
    printf("%-28s %3d of %3d cases ran%s\n", v->name, ran, cases,
           v->algo == SP_ALGO_REFERENCE ? " (reference: determinism and bounds only)" : "");
    CHECK_MSG(ran > 0, "%s was exercised zero times", v->name);
  }
  return sp_test_finish("test_ops");
}
