/* bench_winograd: the Winograd F(2x2,3x3) and F(4x4,3x3) convolutions
 * against im2col + OpenBLAS cblas_sgemm on the 13 3x3 layers of VGG-16
 * (CIFAR, width 1), one line a layer and thread count.
 *
 *   bench_winograd [--threads T] [--batch N] [--samples S] [--quantile Q]
 *
 * Without --threads it runs 1 and then 2 threads. Each layer has a bias and
 * a fused ReLU (a VGG conv with its batch norm folded). GFLOP/s are
 * "effective": the direct convolution's 2 * Cout * Cin * 9 * OH * OW FLOPs
 * per image over the time, whatever the algorithm computes, so the columns
 * compare directly and Winograd can pass the machine's peak. The im2col
 * baseline lowers the input to a (Cin*9) x (OH*OW) matrix, calls
 * cblas_sgemm with the weights (as the dense im2col variant would), then adds
 * the bias and applies the ReLU. The methods are timed in alternating
 * batches of about 2 ms so a noisy neighbour slows all alike; times are the
 * Q-quantile (default 0.5, the median) of S batches. "err" is the largest
 * |Winograd - im2col| over the layer's outputs (inputs and weights in
 * [-1, 1]). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "kernels/registry.h"
#include "profiler/timer.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

void openblas_set_num_threads(int);

typedef struct layer {
  const char *name;
  int cin, cout, side;
} layer;

static const layer LAYERS[] = {
    {"conv1", 3, 64, 32},    {"conv2", 64, 64, 32},   {"conv3", 64, 128, 16},
    {"conv4", 128, 128, 16}, {"conv5", 128, 256, 8},  {"conv6", 256, 256, 8},
    {"conv7", 256, 256, 8},  {"conv8", 256, 512, 4},  {"conv9", 512, 512, 4},
    {"conv10", 512, 512, 4}, {"conv11", 512, 512, 2}, {"conv12", 512, 512, 2},
    {"conv13", 512, 512, 2},
};

/* One core's FMA peak in GFLOP/s: 24 independent vector FMA chains (enough
 * to hide the latency on two ports); best of 21 runs, since a busy machine
 * only ever slows a run down. 0 when the build has no AVX-512. */
static double measure_peak(void) {
#if defined(__AVX512F__)
  double best = 0;
  for (int rep = 0; rep < 21; rep++) {
    __m512 acc[24], x = _mm512_set1_ps(0.999f), y = _mm512_set1_ps(1e-3f);
    for (int i = 0; i < 24; i++) acc[i] = _mm512_set1_ps((float)i);
    const int iters = 200000;
    double t = sp_time_now();
    for (int k = 0; k < iters; k++)
      for (int i = 0; i < 24; i++) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
    t = sp_time_now() - t;
    __m512 s = acc[0];
    for (int i = 1; i < 24; i++) s = _mm512_add_ps(s, acc[i]);
    volatile float sink = _mm512_reduce_add_ps(s);
    (void)sink;
    double g = (double)iters * 24 * 16 * 2 / t / 1e9;
    if (g > best) best = g;
  }
  return best;
#else
  return 0;
#endif
}

/* im2col + cblas_sgemm + bias + ReLU, 3x3 stride 1 pad 1, one image at a time. */
typedef struct im2col_conv {
  const sp_node *node;
  int cin, cout, side, batch;
  float *cols;
} im2col_conv;

static void im2col_run(const im2col_conv *c, const float *in, float *out) {
  const int s = c->side, hw = s * s, k = c->cin * 9;
  for (int b = 0; b < c->batch; b++) {
    const float *x = in + (size_t)b * c->cin * hw;
    for (int ic = 0; ic < c->cin; ic++)
      for (int ky = 0; ky < 3; ky++)
        for (int kx = 0; kx < 3; kx++) {
          float *row = c->cols + ((size_t)(ic * 9 + ky * 3 + kx)) * hw;
          for (int oy = 0; oy < s; oy++) {
            int iy = oy + ky - 1;
            for (int ox = 0; ox < s; ox++) {
              int ix = ox + kx - 1;
              row[oy * s + ox] = iy >= 0 && iy < s && ix >= 0 && ix < s
                                     ? x[((size_t)ic * s + iy) * s + ix]
                                     : 0.0f;
            }
          }
        }
    float *y = out + (size_t)b * c->cout * hw;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, c->cout, hw, k, 1.0f, c->node->weight,
                k, c->cols, hw, 0.0f, y, hw);
    for (int o = 0; o < c->cout; o++)
      for (int i = 0; i < hw; i++) {
        float v = y[(size_t)o * hw + i] + c->node->bias[o];
        y[(size_t)o * hw + i] = v > 0 ? v : 0;
      }
  }
}

/* A registered variant bound to one node, with its weights prepared. */
typedef struct bound {
  const sp_variant *v;
  sp_kernel_args args;
  void *prepared;
} bound;

static int bind(bound *b, const char *name, const sp_graph *g, int batch, int threads,
                const float *in, float *out) {
  memset(b, 0, sizeof *b);
  b->v = sp_registry_find(name);
  const sp_node *n = &g->nodes[1];
  if (!b->v || !sp_variant_supports(b->v, g, n)) return 0;
  size_t bytes = 0, ws = b->v->workspace_bytes ? b->v->workspace_bytes(g, n, batch) : 0;
  if (b->v->prepare && b->v->prepare(g, n, &b->prepared, &bytes) != SP_OK) return 0;
  b->args = (sp_kernel_args){.graph = g, .node = n, .batch = batch, .threads = threads,
                             .out = out, .out_dims = n->out, .prepared = b->prepared};
  b->args.in[0] = in;
  b->args.in_dims[0] = sp_node_in(g, n, 0);
  b->args.workspace = ws ? malloc(ws) : NULL;
  return !ws || b->args.workspace;
}

static void unbind(bound *b) {
  free(b->args.workspace);
  if (b->prepared) b->v->release(b->prepared);
}

enum { WINO2, WINO4, BLAS, METHODS };

static void run_method(int method, bound *w, const im2col_conv *ic, const float *in, float *out) {
  if (method == BLAS)
    im2col_run(ic, in, out);
  else
    w[method].v->run(&w[method].args);
}

/* Calls per timed batch so that a batch lasts about 2 ms. */
static int batch_calls(double seconds_per_call) {
  int calls = (int)(2e-3 / (seconds_per_call > 1e-9 ? seconds_per_call : 1e-9));
  return calls < 1 ? 1 : calls;
}

static double max_diff(const float *a, const float *b, size_t n) {
  double worst = 0;
  for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs((double)a[i] - b[i]));
  return worst;
}

static int bench_layer(const layer *L, int threads, int batch, int samples, double q,
                       double peak) {
  sp_graph *g = NULL;
  int idx = 0;
  if (sp_graph_create(L->name, (sp_dims){L->cin, L->side, L->side}, &g) ||
      sp_graph_add_conv(g, L->name, 0, L->cout, 3, 1, 1, 1, 1, &idx)) {
    fprintf(stderr, "bench_winograd: %s\n", sp_last_error());
    return 1;
  }
  sp_node *n = &g->nodes[idx];
  n->act = SP_ACT_RELU;
  size_t wcount = (size_t)L->cout * L->cin * 9;
  for (size_t i = 0; i < wcount; i++) n->weight[i] = (float)((i * 7919) % 2001) / 1000.0f - 1.0f;
  for (int o = 0; o < L->cout; o++) n->bias[o] = (float)(o % 7) / 7.0f - 0.5f;
  const size_t in_count = (size_t)batch * L->cin * L->side * L->side;
  const size_t out_count = (size_t)batch * L->cout * L->side * L->side;
  float *in = malloc(in_count * sizeof *in), *out[METHODS];
  for (size_t i = 0; i < in_count; i++) in[i] = (float)((i * 104729) % 2001) / 1000.0f - 1.0f;
  for (int m = 0; m < METHODS; m++) out[m] = malloc(out_count * sizeof *out[m]);
  im2col_conv ic = {n, L->cin, L->cout, L->side, batch,
                    malloc((size_t)L->cin * 9 * L->side * L->side * sizeof(float))};
  bound w[2];
  const char *names[2] = {threads > 1 ? "conv2d__winograd2x2_omp" : "conv2d__winograd2x2_serial",
                          threads > 1 ? "conv2d__winograd4x4_omp" : "conv2d__winograd4x4_serial"};
  for (int m = 0; m < 2; m++)
    if (!bind(&w[m], names[m], g, batch, threads, in, out[m])) {
      fprintf(stderr, "bench_winograd: %s cannot run %s\n", names[m], L->name);
      return 1;
    }

  int calls[METHODS];
  double *t[METHODS], best[METHODS];
  for (int m = 0; m < METHODS; m++) {
    run_method(m, w, &ic, in, out[m]); /* warm up: OpenBLAS starts its threads */
    double t0 = sp_time_now();
    run_method(m, w, &ic, in, out[m]);
    calls[m] = batch_calls(sp_time_now() - t0);
    t[m] = malloc((size_t)samples * sizeof *t[m]);
  }
  for (int s = 0; s < samples; s++)
    for (int m = 0; m < METHODS; m++) {
      double t0 = sp_time_now();
      for (int c = 0; c < calls[m]; c++) run_method(m, w, &ic, in, out[m]);
      t[m][s] = (sp_time_now() - t0) / calls[m];
    }
  const double flop = 2.0 * L->cout * L->cin * 9 * L->side * L->side * batch;
  printf("%-7s %3d->%-3d %2dx%-2d %d |", L->name, L->cin, L->cout, L->side, L->side, threads);
  for (int m = 0; m < METHODS; m++) {
    best[m] = sp_quantile(t[m], samples, q);
    double gf = flop / best[m] / 1e9;
    printf(" %8.4f %6.1f %4.0f%% |", best[m] * 1e3, gf, peak > 0 ? 100 * gf / (peak * threads) : NAN);
  }
  printf(" %.1e %.1e | %s\n", max_diff(out[WINO2], out[BLAS], out_count),
         max_diff(out[WINO4], out[BLAS], out_count),
         best[WINO2] < best[BLAS] && best[WINO2] <= best[WINO4] ? "wino2x2"
         : best[WINO4] < best[BLAS]                            ? "wino4x4"
                                                               : "im2col+blas");
  for (int m = 0; m < METHODS; m++) free(t[m]), free(out[m]);
  for (int m = 0; m < 2; m++) unbind(&w[m]);
  free(ic.cols);
  free(in);
  sp_graph_free(g);
  return 0;
}

int main(int argc, char **argv) {
  int threads = 0, batch = 1, samples = 15;
  double q = 0.5;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
      batch = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--samples") && i + 1 < argc)
      samples = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--quantile") && i + 1 < argc)
      q = atof(argv[++i]);
    else {
      fprintf(stderr, "usage: %s [--threads T] [--batch N] [--samples S] [--quantile Q]\n",
              argv[0]);
      return 2;
    }
  }
  if (threads < 0 || batch < 1 || samples < 1 || !(q >= 0 && q <= 1)) {
    fprintf(stderr, "bench_winograd: need --threads >= 1, --batch >= 1, --samples >= 1, "
                    "0 <= --quantile <= 1\n");
    return 2;
  }
  double peak = measure_peak();
  printf("# single-core FMA peak %.1f GFLOP/s; batch %d; times: %g-quantile of %d; "
         "GFLOP/s effective (direct-conv FLOPs); %%peak of threads x single-core peak\n",
         peak, batch, q, samples);
  printf("# %-5s %-7s %-5s %s | %-20s | %-20s | %-20s | %-15s | %s\n", "layer", "cin->cout",
         "HxW", "T", "wino2x2 ms GF/s %pk", "wino4x4 ms GF/s %pk", "im2col+blas ms GF/s %pk",
         "err 2x2  4x4", "fastest");
  for (int th = threads ? threads : 1; th <= (threads ? threads : 2); th++) {
    openblas_set_num_threads(th);
    for (size_t l = 0; l < sizeof LAYERS / sizeof *LAYERS; l++)
      if (bench_layer(&LAYERS[l], th, batch, samples, q, peak)) return 1;
  }
  return 0;
}
