/* The Winograd convolutions (kernels/cpu/conv2d_winograd.c) against
 * conv2d__reference on targeted shapes: outputs smaller than a tile, sizes
 * that are not multiples of it, odd sides, every padding 0..2 (asymmetric
 * too), channel counts across the GEMM's tile edges, tile rows longer than
 * one transform segment, chunks that span images, batch 1 and 3, 1 and 2
 * threads (and more than the GEMM slots), each activation, with and without
 * bias, and the 9 distinct shapes among VGG-16's 3x3 layers.
 *
 *   test_winograd             the checks
 *   test_winograd --measure   the error table the tolerances come from
 *
 * Outputs start as NaN so an element never written fails; the input must
 * come back intact; run() must not read the dense weights once prepared
 * (the executor may free them), so they are NaN while it runs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/registry.h"
#include "tests/unit/testing.h"

static const char *const VARIANTS[] = {"conv2d__winograd2x2_serial", "conv2d__winograd2x2_omp",
                                       "conv2d__winograd4x4_serial", "conv2d__winograd4x4_omp"};
enum { N_VARIANTS = 4 };

static uint64_t rng_state = 0x3a7e0001;
static int rnd(int lo, int hi) { return sp_test_rand_int(&rng_state, lo, hi); }

/* Tolerance against conv2d__reference, |error| <= atol(m, K) with
 * K = 9 * Cin terms per output. From `test_winograd --measure` (inputs and
 * weights in [-1, 1], 40 layers of 8..32 output channels per Cin, largest
 * |error| over all outputs):
 *
 *            Cin  1        4        16       64       256      512
 *   m = 2    vs ref   7.2e-7   1.9e-6   7.6e-6   3.1e-5   1.2e-4   2.3e-4
 *            vs exact 7.1e-7   1.0e-6   3.1e-6   1.1e-5   4.2e-5   9.4e-5
 *   m = 4    vs ref   1.6e-5   2.4e-5   6.0e-5   1.8e-4   6.5e-4   1.7e-3
 *            vs exact 1.6e-5   2.4e-5   5.8e-5   1.8e-4   6.5e-4   1.7e-3
 *   reference vs exact    4.7e-7   2.1e-6   7.7e-6   2.9e-5   1.2e-4   2.3e-4
 *
 * F(2x2) is closer to the exact (double) result than the reference loop
 * is, so what it is checked against is mostly the reference's own rounding,
 * ~5e-8 * K. F(4x4)'s transforms (entries up to 8 in Aᵀ, 5 in Bᵀ) make it
 * 7-35x less accurate than the reference: ~1.6e-5 on a single channel and
 * ~3.5e-7 * K beyond. Both bounds sit ~10x above the measured maximum at
 * every Cin (the table's "margin" column) yet far below one missing or
 * misplaced product (~0.3). */
static double tolerance(int m, int cin) {
  const double k = 9.0 * cin;
  return m == 2 ? 1e-6 + 6e-7 * k : 1.5e-4 + 4e-6 * k;
}

typedef struct conv_case {
  int cin, cout, h, w, pt, pb, pl, pr, batch, threads, bias;
  sp_act act;
} conv_case;

/* A graph with one conv node of the case's geometry; weights, bias in [-1, 1]. */
static sp_graph *make_graph(const conv_case *c, uint64_t seed) {
  sp_graph *g = NULL;
  CHECK(sp_graph_create("winograd", (sp_dims){c->cin, c->h, c->w}, &g) == SP_OK);
  sp_node n;
  memset(&n, 0, sizeof n);
  snprintf(n.name, sizeof n.name, "conv%dx%dx%d", c->cin, c->h, c->w);
  n.op = SP_OP_CONV2D;
  n.n_inputs = 1;
  n.win = (sp_window){3, 3, 1, 1, c->pt, c->pl, c->pb, c->pr};
  n.groups = 1;
  n.units = c->cout;
  n.act = c->act;
  size_t wn = (size_t)c->cout * (size_t)c->cin * 9;
  n.weight = malloc(wn * sizeof *n.weight);
  sp_test_fill(n.weight, wn, seed, -1, 1);
  if (c->bias) {
    n.bias = malloc((size_t)c->cout * sizeof *n.bias);
    sp_test_fill(n.bias, (size_t)c->cout, seed + 1, -1, 1);
  }
  sp_status s = sp_graph_add(g, &n, NULL);
  CHECK_MSG(s == SP_OK, "%s", sp_last_error());
  return g;
}

/* Runs variant v on the graph's conv; NaN weights while it runs. */
static void run_variant(const sp_variant *v, sp_graph *g, const conv_case *c, const float *in,
                        float *out) {
  sp_node *n = &g->nodes[1];
  size_t ws = v->workspace_bytes ? v->workspace_bytes(g, n, c->batch) : 0;
  void *prepared = NULL;
  size_t bytes = 0;
  if (v->prepare) {
    sp_status s = v->prepare(g, n, &prepared, &bytes);
    CHECK_MSG(s == SP_OK && bytes > 0, "%s: prepare failed: %s", v->name, sp_last_error());
    if (s) return;
  }
  size_t wn = (size_t)c->cout * (size_t)c->cin * 9;
  float *saved = NULL;
  if (prepared) {
    saved = malloc(wn * sizeof *saved);
    memcpy(saved, n->weight, wn * sizeof *saved);
    for (size_t i = 0; i < wn; i++) n->weight[i] = NAN;
  }
  sp_kernel_args a = {.graph = g, .node = n, .batch = c->batch, .threads = c->threads,
                      .out = out, .out_dims = n->out, .workspace = ws ? malloc(ws) : NULL,
                      .prepared = prepared};
  a.in[0] = in;
  a.in_dims[0] = sp_node_in(g, n, 0);
  v->run(&a);
  free(a.workspace);
  if (prepared) {
    memcpy(n->weight, saved, wn * sizeof *saved);
    free(saved);
    v->release(prepared);
  }
}

/* All four variants against the reference on one case. */
static void check_case(const conv_case *c) {
  static uint64_t seed = 1000;
  seed += 10;
  sp_graph *g = make_graph(c, seed);
  if (!g || g->n_nodes < 2) {
    sp_graph_free(g);
    return;
  }
  const sp_node *n = &g->nodes[1];
  size_t in_count = (size_t)c->batch * sp_dims_count(sp_node_in(g, n, 0));
  size_t out_count = (size_t)c->batch * sp_dims_count(n->out);
  float *in = malloc(in_count * sizeof *in), *copy = malloc(in_count * sizeof *copy);
  float *want = malloc(out_count * sizeof *want), *got = malloc(out_count * sizeof *got);
  sp_test_fill(in, in_count, seed + 2, -1, 1);
  memcpy(copy, in, in_count * sizeof *in);
  for (size_t i = 0; i < out_count; i++) want[i] = NAN;
  run_variant(sp_registry_reference(SP_OP_CONV2D), g, c, in, want);
  for (int k = 0; k < N_VARIANTS; k++) {
    const sp_variant *v = sp_registry_find(VARIANTS[k]);
    CHECK_MSG(v && sp_variant_supports(v, g, n), "%s missing or refuses %s", VARIANTS[k],
              n->name);
    if (!v || !sp_variant_supports(v, g, n)) continue;
    for (size_t i = 0; i < out_count; i++) got[i] = NAN;
    run_variant(v, g, c, in, got);
    char what[200];
    snprintf(what, sizeof what,
             "%s: %d->%d %dx%d pad t%d b%d l%d r%d -> %dx%d, batch %d, threads %d, act %s%s",
             v->name, c->cin, c->cout, c->h, c->w, c->pt, c->pb, c->pl, c->pr, n->out.h,
             n->out.w, c->batch, c->threads, sp_act_name(c->act), c->bias ? ", bias" : "");
    float atol = (float)tolerance(k < 2 ? 2 : 4, c->cin);
    CHECK_MSG(sp_test_close(what, got, want, out_count, atol, 0.0f), "%s", what);
    CHECK_MSG(memcmp(in, copy, in_count * sizeof *in) == 0, "%s wrote its input", what);
  }
  free(in), free(copy), free(want), free(got);
  sp_graph_free(g);
}

/* Features cycle with the case index so that every combination of batch,
 * threads, activation and bias appears in any 12 consecutive cases. */
static void with_features(conv_case *c, int index) {
  c->batch = index % 2 ? 3 : 1;
  c->threads = (index / 2) % 2 + 1;
  c->act = (sp_act)(index % 3);
  c->bias = (index / 3) % 2;
}

static int cases_run = 0;

static void geometry_case(int cin, int cout, int h, int w, int pt, int pb, int pl, int pr) {
  conv_case c = {cin, cout, h, w, pt, pb, pl, pr, 1, 1, 0, SP_ACT_NONE};
  with_features(&c, cases_run++);
  check_case(&c);
}

static void test_geometry(void) {
  /* every padding combination on small odd and even sides */
  static const int sides[][2] = {{1, 1}, {1, 2}, {2, 3}, {3, 3}, {5, 7}, {7, 5}, {4, 4}, {6, 9}};
  for (size_t s = 0; s < sizeof sides / sizeof *sides; s++)
    for (int p = 0; p < 81; p++) {
      int pt = p % 3, pb = p / 3 % 3, pl = p / 9 % 3, pr = p / 27;
      if (sides[s][0] + pt + pb < 3 || sides[s][1] + pl + pr < 3) continue;
      if (p % 7 != (int)s % 7 && sides[s][0] > 3) continue; /* a seventh of them on bigger sides */
      geometry_case(rnd(1, 5), rnd(1, 5), sides[s][0], sides[s][1], pt, pb, pl, pr);
    }
  /* one-pixel outputs */
  geometry_case(3, 4, 3, 3, 0, 0, 0, 0);
  geometry_case(2, 5, 1, 1, 1, 1, 1, 1);
  geometry_case(4, 3, 1, 3, 1, 1, 0, 0);
  /* sides that are not multiples of 2 or 4, and tile rows longer than one
   * transform segment (32 tiles: 64 pixels for m = 2, 128 for m = 4) */
  geometry_case(3, 3, 13, 11, 1, 1, 1, 1);
  geometry_case(2, 3, 17, 3, 2, 0, 0, 2);
  geometry_case(2, 2, 3, 70, 1, 1, 1, 1);
  geometry_case(2, 2, 5, 131, 0, 1, 2, 0);
  geometry_case(1, 2, 2, 300, 1, 1, 1, 2);
}

/* Channel counts across the sgemm tile edges (14 rows of A, 16/32 columns). */
static void test_channels(void) {
  static const int ch[] = {1, 2, 7, 13, 14, 15, 16, 17, 28, 31, 32, 33, 47, 64, 70};
  int n = (int)(sizeof ch / sizeof *ch);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j += 3) {
      int side = rnd(3, 12);
      geometry_case(ch[i], ch[(i + j) % n], side, side + rnd(-2, 2), 1, 1, 1, 1);
    }
}

/* The VGG-16 (CIFAR) 3x3 layer shapes; pad 1, bias, ReLU as in the model.
 * 64->64 at 32x32 and batch 3 takes several GEMM chunks (for m = 4 they
 * span two images); 30x30 at batch 3 makes the last chunk shorter. */
static void test_vgg(void) {
  static const int L[][3] = {{3, 64, 32},   {64, 64, 32},   {64, 128, 16},  {128, 128, 16},
                             {128, 256, 8}, {256, 256, 8},  {256, 512, 4},  {512, 512, 4},
                             {512, 512, 2}, {64, 64, 30}};
  for (size_t l = 0; l < sizeof L / sizeof *L; l++) {
    conv_case c = {L[l][0], L[l][1], L[l][2], L[l][2], 1, 1, 1, 1, 1 + 2 * (l % 2 == 1 || l == 9),
                   1 + (int)(l % 3 == 0), 1, SP_ACT_RELU};
    check_case(&c);
  }
  /* more threads than the OpenMP variants' GEMM slots: sgemm splits each GEMM */
  conv_case many = {64, 70, 20, 19, 1, 1, 1, 1, 3, 5, 1, SP_ACT_RELU6};
  check_case(&many);
}

static void test_supports(void) {
  sp_graph *g = NULL;
  int idx = 0;
  CHECK(sp_graph_create("supports", (sp_dims){4, 8, 8}, &g) == SP_OK);
  const sp_variant *v = sp_registry_find("conv2d__winograd2x2_serial");
  CHECK(v != NULL);
  /* k, stride, pad, groups -> supported? */
  static const int cases[][5] = {{3, 1, 1, 1, 1}, {3, 1, 0, 1, 1}, {3, 1, 2, 1, 1},
                                 {3, 2, 1, 1, 0}, {3, 1, 1, 2, 0}, {3, 1, 1, 4, 0},
                                 {5, 1, 2, 1, 0}, {1, 1, 0, 1, 0}, {3, 1, 3, 1, 0}};
  for (size_t i = 0; v && i < sizeof cases / sizeof *cases; i++) {
    CHECK(sp_graph_add_conv(g, "c", 0, 4, cases[i][0], cases[i][1], cases[i][2], cases[i][3], 1,
                            &idx) == SP_OK);
    CHECK_MSG(sp_variant_supports(v, g, &g->nodes[idx]) == cases[i][4],
              "supports(k %d, stride %d, pad %d, groups %d) != %d", cases[i][0], cases[i][1],
              cases[i][2], cases[i][3], cases[i][4]);
  }
  sp_graph_free(g);
}

/* ---- --measure: the error table behind tolerance() ---- */

/* The same convolution in double (pad 1, no bias, no activation). */
static void conv_double(const sp_graph *g, const float *in, double *out) {
  const sp_node *n = &g->nodes[1];
  sp_dims id = sp_node_in(g, n, 0), od = n->out;
  for (int o = 0; o < od.c; o++)
    for (int y = 0; y < od.h; y++)
      for (int x = 0; x < od.w; x++) {
        double acc = 0;
        for (int c = 0; c < id.c; c++)
          for (int k = 0; k < 9; k++) {
            int iy = y + k / 3 - 1, ix = x + k % 3 - 1;
            if (iy >= 0 && iy < id.h && ix >= 0 && ix < id.w)
              acc += (double)in[((size_t)c * id.h + iy) * id.w + ix] *
                     n->weight[((size_t)o * id.c + c) * 9 + k];
          }
        out[((size_t)o * od.h + y) * od.w + x] = acc;
      }
}

/* Over `reps` random layers with cin channels: the largest error of the
 * variant against the float reference (what the tests check), and of the
 * variant and of the reference against exact (double) results. */
static void measure_error(const char *name, int cin, int reps, double err[3]) {
  err[0] = err[1] = err[2] = 0;
  for (int r = 0; r < reps; r++) {
    int side = rnd(4, 12);
    conv_case c = {cin, rnd(8, 32), side, side, 1, 1, 1, 1, 1, 1, 0, SP_ACT_NONE};
    sp_graph *g = make_graph(&c, (uint64_t)(cin * 1000 + r));
    const sp_node *n = &g->nodes[1];
    size_t in_count = sp_dims_count(sp_node_in(g, n, 0)), out_count = sp_dims_count(n->out);
    float *in = malloc(in_count * sizeof *in), *want = malloc(out_count * sizeof *want);
    float *got = malloc(out_count * sizeof *got);
    double *exact = malloc(out_count * sizeof *exact);
    sp_test_fill(in, in_count, (uint64_t)r, -1, 1);
    run_variant(sp_registry_reference(SP_OP_CONV2D), g, &c, in, want);
    run_variant(sp_registry_find(name), g, &c, in, got);
    conv_double(g, in, exact);
    for (size_t i = 0; i < out_count; i++) {
      err[0] = fmax(err[0], fabs((double)got[i] - want[i]));
      err[1] = fmax(err[1], fabs(got[i] - exact[i]));
      err[2] = fmax(err[2], fabs(want[i] - exact[i]));
    }
    free(in), free(want), free(got), free(exact);
    sp_graph_free(g);
  }
}

static int measure(void) {
  static const int cins[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
  printf("inputs and weights in [-1, 1], pad 1, 40 layers of 8..32 output channels per Cin\n");
  printf("%-10s %4s %5s | %-9s %-9s %-9s | %-9s %-9s %s\n", "variant", "Cin", "K", "vs ref",
         "vs exact", "ref exact", "per term", "tolerance", "margin");
  for (int k = 0; k < N_VARIANTS; k += 2)
    for (size_t i = 0; i < sizeof cins / sizeof *cins; i++) {
      double e[3];
      measure_error(VARIANTS[k], cins[i], 40, e);
      int m = k < 2 ? 2 : 4, K = 9 * cins[i];
      double tol = tolerance(m, cins[i]);
      printf("%-10s %4d %5d | %9.2e %9.2e %9.2e | %9.2e %9.2e %5.1fx\n",
             m == 2 ? "F(2x2,3x3)" : "F(4x4,3x3)", cins[i], K, e[0], e[1], e[2], e[0] / K, tol,
             tol / e[0]);
    }
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "--measure")) return measure();
  test_supports();
  test_geometry();
  test_channels();
  test_vgg();
  printf("test_winograd: %d geometry cases + 11 VGG-like layers, each on %d variants\n", cases_run,
         N_VARIANTS);
  return sp_test_finish("test_winograd");
}
