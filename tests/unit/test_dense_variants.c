/* The dense CPU variants (im2col/1x1 GEMM on the own sgemm and on OpenBLAS,
 * depthwise, direct, fc GEMV, the vectorised pools and element-wise ops)
 * against their op's reference on the layer shapes the zoo nets really have
 * (VGG, ResNet and MobileNet layers at small widths) and on sizes around the
 * GEMM's tiles (14-row panels, 16/32-column micro-panels, the narrow-N path
 * below 9 columns, the 256-deep K block) and the parallel thresholds of the
 * cheap ops. test_ops covers random geometry; this covers realistic sizes
 * and reductions up to K = 4608. Each case runs at batch 1 and 2, threads 1
 * and 2; the activation and bias cycle with the case. Workspaces are
 * allocated to the exact size the variant asked for, so AddressSanitizer
 * builds catch any write past them. Winograd (its own error bound), the
 * CSR and OpenCL are tested elsewhere; the ternary variants run on a
 * ternarised copy of every conv and fc layer here (and on random geometry in
 * test_ops). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/compress/compress.h"
#include "kernels/registry.h"
#include "tests/unit/testing.h"
#include "tests/unit/variant_tester.h"

typedef struct layer {
  const char *what;
  sp_op op;
  int c, h, w;                 /* input per image */
  int cout, k, stride, pad, groups; /* conv (cout: fc units); pools: k, stride, pad */
} layer;

static const layer LAYERS[] = {
    /* VGG-16 (width 1/4 .. 1/2): 3x3 pad 1 at each stage's resolution */
    {"vgg conv1", SP_OP_CONV2D, 3, 32, 32, 16, 3, 1, 1, 1},
    {"vgg stage2", SP_OP_CONV2D, 16, 16, 16, 32, 3, 1, 1, 1},
    {"vgg stage3", SP_OP_CONV2D, 64, 8, 8, 64, 3, 1, 1, 1},
    {"vgg stage4", SP_OP_CONV2D, 64, 4, 4, 128, 3, 1, 1, 1},
    {"vgg stage5", SP_OP_CONV2D, 512, 2, 2, 29, 3, 1, 1, 1}, /* K = 4608, N = 4 */
    {"vgg pool", SP_OP_MAXPOOL, 16, 32, 32, 0, 2, 2, 0, 0},
    {"vgg fc1", SP_OP_FC, 512, 1, 1, 512, 0, 0, 0, 0},
    {"vgg fc2", SP_OP_FC, 512, 1, 1, 10, 0, 0, 0, 0},
    /* ResNet-18: strided 3x3, 1x1 stride-2 projection, residual add, head */
    {"resnet down", SP_OP_CONV2D, 16, 16, 16, 32, 3, 2, 1, 1},
    {"resnet proj", SP_OP_CONV2D, 16, 16, 16, 32, 1, 2, 0, 1},
    {"resnet add", SP_OP_ADD, 64, 32, 32, 0, 0, 0, 0, 0},
    {"resnet gap", SP_OP_GLOBAL_AVGPOOL, 64, 4, 4, 0, 0, 0, 0, 0},
    {"resnet fc", SP_OP_FC, 64, 1, 1, 10, 0, 0, 0, 0},
    /* MobileNet: depthwise 3x3 s1/s2 down to 1x1 planes, pointwise 1x1 */
    {"mobilenet dw s1", SP_OP_CONV2D, 32, 32, 32, 32, 3, 1, 1, 32},
    {"mobilenet dw s2", SP_OP_CONV2D, 32, 16, 16, 32, 3, 2, 1, 32},
    {"mobilenet dw odd", SP_OP_CONV2D, 24, 17, 15, 24, 3, 2, 1, 24},
    {"mobilenet dw 2x2", SP_OP_CONV2D, 64, 2, 2, 64, 3, 1, 1, 64},
    {"mobilenet dw 1x1", SP_OP_CONV2D, 64, 1, 1, 64, 3, 1, 1, 64},
    {"dw 5x5 x2", SP_OP_CONV2D, 8, 19, 21, 16, 5, 1, 2, 8}, /* multiplier 2 */
    /* small planes: the 16-channel blocked kernel, with channel tails (40,
     * 7), plane sizes that are no multiple of 16, its largest tile (16x16),
     * strides 1 and 2, and a 4x4 window (another tap count) */
    {"dw blocked 4x4", SP_OP_CONV2D, 40, 4, 4, 40, 3, 1, 1, 40},
    {"dw blocked 8x8 s2", SP_OP_CONV2D, 7, 8, 8, 7, 3, 2, 1, 7},
    {"dw blocked 5x3", SP_OP_CONV2D, 33, 5, 3, 33, 3, 1, 1, 33},
    {"dw blocked 16x16", SP_OP_CONV2D, 16, 16, 16, 16, 3, 1, 1, 16},
    {"dw blocked 4x4 win", SP_OP_CONV2D, 17, 9, 7, 17, 4, 2, 1, 17},
    {"dw blocked no pad", SP_OP_CONV2D, 20, 6, 6, 20, 3, 1, 0, 20},
    /* few rows, wide rows, channels not a multiple of 16 */
    {"dw blocked 12x12 s2", SP_OP_CONV2D, 20, 12, 12, 20, 3, 2, 1, 20},
    {"dw 3 rows", SP_OP_CONV2D, 5, 3, 40, 5, 3, 1, 1, 5},
    {"dw wide", SP_OP_CONV2D, 3, 5, 100, 3, 3, 1, 1, 3},
    {"dw wide s2 x2", SP_OP_CONV2D, 3, 7, 100, 6, 3, 2, 1, 3},
    /* planes too big for the padded copy: the in-place border path */
    {"dw big s1", SP_OP_CONV2D, 4, 70, 66, 4, 3, 1, 1, 4},
    {"dw big s2", SP_OP_CONV2D, 3, 67, 71, 3, 3, 2, 1, 3},
    {"dw big 5x5 x2", SP_OP_CONV2D, 2, 65, 65, 4, 5, 1, 2, 2},
    {"dw big 7x7/3", SP_OP_CONV2D, 2, 64, 70, 2, 7, 3, 3, 2},
    {"mobilenet pw", SP_OP_CONV2D, 32, 16, 16, 64, 1, 1, 0, 1},
    {"mobilenet pw 2x2", SP_OP_CONV2D, 128, 2, 2, 128, 1, 1, 0, 1},
    {"mobilenet relu6", SP_OP_RELU6, 3, 101, 113, 0, 0, 0, 0, 0}, /* odd length, split */
    {"relu", SP_OP_RELU, 64, 32, 32, 0, 0, 0, 0, 0},
    {"softmax 1000", SP_OP_SOFTMAX, 1000, 1, 1, 0, 0, 0, 0, 0},
    /* GEMM tile edges: M around 14 and 28, N around 8/9, 16 and 32, K
     * around 256 */
    {"tile 1x1", SP_OP_CONV2D, 255, 3, 3, 13, 1, 1, 0, 1},
    {"tile 1x1", SP_OP_CONV2D, 256, 4, 4, 14, 1, 1, 0, 1},
    {"tile 1x1", SP_OP_CONV2D, 257, 1, 17, 15, 1, 1, 0, 1},
    {"tile 1x1", SP_OP_CONV2D, 7, 33, 1, 29, 1, 1, 0, 1},
    {"tile 1x1", SP_OP_CONV2D, 1, 2, 4, 28, 1, 1, 0, 1},
    {"tile 1x1", SP_OP_CONV2D, 9, 1, 1, 1, 1, 1, 0, 1},
    {"tile 3x3", SP_OP_CONV2D, 28, 6, 6, 14, 3, 1, 1, 1},
    {"tile 3x3", SP_OP_CONV2D, 29, 5, 7, 15, 3, 1, 1, 1},
    {"grouped 3x3", SP_OP_CONV2D, 16, 8, 8, 32, 3, 1, 1, 4},
    {"grouped 1x1", SP_OP_CONV2D, 16, 8, 8, 16, 1, 1, 0, 2},
    /* pools other than VGG's */
    {"maxpool odd", SP_OP_MAXPOOL, 8, 7, 9, 0, 2, 2, 0, 0},
    {"maxpool 3x3/2", SP_OP_MAXPOOL, 8, 16, 16, 0, 3, 2, 1, 0},
    {"avgpool 3x3/1", SP_OP_AVGPOOL, 8, 16, 16, 0, 3, 1, 1, 0},
    {"gap big", SP_OP_GLOBAL_AVGPOOL, 512, 8, 8, 0, 0, 0, 0, 0},
    {"fc odd", SP_OP_FC, 37, 1, 1, 13, 0, 0, 0, 0},
    {"fc flat", SP_OP_FC, 32, 8, 8, 10, 0, 0, 0, 0},
};

/* The variants under test: every dense or weightless CPU one but the
 * references, Winograd (tested with its own error bound), CSR and the OpenCL
 * ones (device buffers, own tests); the ternary ones on a ternarised copy of
 * each conv and fc layer (`ternary` set), the others on the float weights. */
static int under_test(const sp_variant *v, int ternary) {
  int format_ok = ternary ? v->format == SP_FORMAT_TERNARY
                          : v->format == SP_FORMAT_DENSE || v->format == SP_FORMAT_NONE;
  return format_ok && v->algo != SP_ALGO_REFERENCE && v->algo != SP_ALGO_WINOGRAD &&
         v->backend != SP_BACKEND_OPENCL && v->backend != SP_BACKEND_CLBLAST;
}

static float *random_floats(size_t n, uint64_t seed, float lo, float hi) {
  float *x = malloc((n ? n : 1) * sizeof *x);
  sp_test_fill(x, n, seed, lo, hi);
  return x;
}

/* A graph of the input and the one node of layer `l` (weights random in
 * [-1, 1], bias and activation as the case says); NULL on failure. */
static sp_graph *build(const layer *l, int index) {
  sp_graph *g = NULL;
  int node = -1;
  sp_status s = sp_graph_create(l->what, (sp_dims){l->c, l->h, l->w}, &g);
  if (!s) switch (l->op) {
      case SP_OP_CONV2D:
        s = sp_graph_add_conv(g, "conv", 0, l->cout, l->k, l->stride, l->pad, l->groups,
                              index % 2, &node);
        break;
      case SP_OP_FC: s = sp_graph_add_fc(g, "fc", 0, l->cout, &node); break;
      case SP_OP_MAXPOOL:
      case SP_OP_AVGPOOL: s = sp_graph_add_pool(g, "pool", l->op, 0, l->k, l->stride, l->pad, &node); break;
      case SP_OP_ADD: s = sp_graph_add_add(g, "add", 0, 0, &node); break;
      default: s = sp_graph_add_simple(g, "op", l->op, 0, &node); break;
    }
  CHECK_MSG(s == SP_OK, "%s: %s", l->what, sp_last_error());
  if (s) {
    sp_graph_free(g);
    return NULL;
  }
  sp_node *n = &g->nodes[node];
  size_t wc = sp_node_weight_count(g, n);
  if (wc) sp_test_fill(n->weight, wc, 0xfeed + (uint64_t)index, -1.0f, 1.0f);
  if (n->bias) sp_test_fill(n->bias, (size_t)n->units, 0xb1a5 + (uint64_t)index, -1.0f, 1.0f);
  if (l->op == SP_OP_CONV2D || l->op == SP_OP_FC || l->op == SP_OP_ADD)
    n->act = (sp_act)(index % 3);
  if (l->op == SP_OP_AVGPOOL) n->count_include_pad = index % 2;
  return g;
}

/* Runs `v` on node 1 (variant_tester.h); an add's second operand is the
 * input shifted by 7 floats. */
static void run(const sp_variant *v, const sp_graph *g, int batch, int threads,
                const float *in, float *out) {
  const float *inputs[SP_MAX_INPUTS] = {in, in + 7};
  sp_vt_run_host(v, g, batch, threads, inputs, out);
}

/* Every variant of the set (`ternary` or not) that supports node 1 of g,
 * at batch 1 and 2 and threads 1 and 2, against the reference on the same
 * weights. */
static void check_layer(const layer *l, int li, const sp_graph *g, int ternary,
                        const sp_variant *variants, int count, int *ran) {
  const sp_node *n = &g->nodes[1];
  for (int batch = 1; batch <= 2; batch++) {
    size_t in_count = (size_t)batch * sp_dims_count(g->input) + 7; /* + the add shift */
    size_t out_count = (size_t)batch * sp_dims_count(n->out);
    float lo = l->op == SP_OP_SOFTMAX ? -8.0f : -1.0f;
    float *in = random_floats(in_count, 0x1234 + (uint64_t)(li * 2 + batch), lo, -lo);
    float *in_copy = malloc(in_count * sizeof *in_copy);
    memcpy(in_copy, in, in_count * sizeof *in);
    float *want = malloc(out_count * sizeof *want), *got = malloc(out_count * sizeof *got);
    for (size_t i = 0; i < out_count; i++) want[i] = NAN;
    run(sp_registry_reference(n->op), g, batch, 1, in, want);
    /* Sums of K products of values in [-1, 1], reordered (blocked GEMM,
     * 16 partial sums a vector, FMA; the ternary kernels sum the +1 and -1
     * inputs apart, then scale): differences grow like 1e-7 * K at worst
     * (test_ops measures this bound with a 10x margin); rtol covers the
     * large outputs of deep reductions (|y| ~ sqrt(K)). A missing or
     * misplaced term (~0.3 or more) still fails. */
    float atol = sp_vt_atol(&variants[0], g, n), rtol = SP_VT_RTOL; /* no Winograd here */
    for (int vi = 0; vi < count; vi++) {
      const sp_variant *v = &variants[vi];
      if (!under_test(v, ternary) || !sp_variant_supports(v, g, n)) continue;
      for (int threads = 1; threads <= 2; threads++) {
        for (size_t i = 0; i < out_count; i++) got[i] = NAN;
        run(v, g, batch, threads, in, got);
        char what[160];
        snprintf(what, sizeof what, "%s on %s (in %dx%dx%d, out %dx%dx%d, batch %d, threads %d)",
                 v->name, l->what, l->c, l->h, l->w, n->out.c, n->out.h, n->out.w, batch,
                 threads);
        CHECK_MSG(sp_test_close(what, got, want, out_count, atol, rtol), "%s", what);
        CHECK_MSG(memcmp(in, in_copy, in_count * sizeof *in) == 0, "%s wrote its input", what);
        ran[vi]++;
      }
    }
    free(in), free(in_copy), free(want), free(got);
  }
}

int main(void) {
  int count = 0;
  const sp_variant *variants = sp_registry_variants(&count);
  int *ran = calloc((size_t)count, sizeof *ran);
  const int nlayers = (int)(sizeof LAYERS / sizeof LAYERS[0]);
  for (int li = 0; li < nlayers; li++) {
    const layer *l = &LAYERS[li];
    sp_graph *g = build(l, li);
    if (!g) continue;
    check_layer(l, li, g, 0, variants, count, ran);
    if (l->op == SP_OP_CONV2D || l->op == SP_OP_FC) {
      /* TWN threshold varied with the layer: 0.5 .. 0.9 of mean |w| */
      sp_status s = sp_compress_ternary(g, 1, 0.5 + 0.1 * (li % 5));
      CHECK_MSG(s == SP_OK, "%s: ternarising: %s", l->what, sp_last_error());
      if (!s) check_layer(l, li, g, 1, variants, count, ran);
    }
    sp_graph_free(g);
  }
  for (int vi = 0; vi < count; vi++) {
    if (!under_test(&variants[vi], 0) && !under_test(&variants[vi], 1)) continue;
    printf("%-28s %3d runs\n", variants[vi].name, ran[vi]);
    CHECK_MSG(ran[vi] > 0, "%s never ran on a realistic layer", variants[vi].name);
  }
  free(ran);
  return sp_test_finish("test_dense_variants");
}
