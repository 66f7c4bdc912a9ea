/* bench_winograd: the Winograd F(2x2,3x3) and F(4x4,3x3) convolutions
 * against im2col + GEMM on the 13 3x3 layers of VGG-16 (CIFAR, width 1),
 * one line a layer and thread count.
 *
 *   bench_winograd [--threads T] [--batch N] [--samples S] [--quantile Q]
 *                  [--peak GFLOPS]
 *
 * Without --threads it runs 1 and then 2 threads. Each method is the
 * registered variant (serial for 1 thread, OpenMP otherwise), weights
 * prepared beforehand as the executor does: conv2d__winograd2x2_*,
 * conv2d__winograd4x4_*, conv2d__im2col_blas (im2col + OpenBLAS
 * cblas_sgemm, the baseline) and conv2d__im2col_gemm_* (im2col + the
 * project's sgemm). Each layer has a bias and a fused ReLU (a VGG conv with
 * its batch norm folded). GFLOP/s are "effective": the direct convolution's
 * 2 * Cout * Cin * 9 * OH * OW FLOPs per image over the time, whatever the
 * algorithm computes, so the columns compare directly and Winograd can pass
 * the machine's peak; %pk is of T x the single-core FMA peak
 * (profiler/peak.h) unless --peak gives it (on a busy machine the
 * measurement only finds the share of a core it got). The methods are timed in alternating
 * batches of about 2 ms, so that a noisy neighbour slows all alike, each
 * after one untimed call (the method before left the caches cold: the
 * times are of a layer whose weights and scratch are in cache); times are
 * the Q-quantile (default 0.5, the median) of S batches. "err" is the
 * largest |Winograd - im2col_blas| over the layer's outputs (inputs and
 * weights in [-1, 1]). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/registry.h"
#include "profiler/peak.h"
#include "engine/core/timer.h"

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

enum { WINO2, WINO4, BLAS, OWN, METHODS };
static const char *const METHOD_NAMES[METHODS] = {"winograd2x2", "winograd4x4", "im2col_blas",
                                                  "im2col_gemm"};

/* The registered variant of method `m` for `threads`. */
static const char *variant_name(int m, int threads, char *buf, size_t size) {
  if (m == BLAS) snprintf(buf, size, "conv2d__im2col_blas");
  else snprintf(buf, size, "conv2d__%s_%s", METHOD_NAMES[m], threads > 1 ? "omp" : "serial");
  return buf;
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
  bound w[METHODS];
  int calls[METHODS];
  double *t[METHODS], best[METHODS];
  for (int m = 0; m < METHODS; m++) {
    char name[64];
    out[m] = malloc(out_count * sizeof *out[m]);
    t[m] = malloc((size_t)samples * sizeof *t[m]);
    if (!bind(&w[m], variant_name(m, threads, name, sizeof name), g, batch, threads, in,
              out[m])) {
      fprintf(stderr, "bench_winograd: %s cannot run %s\n", name, L->name);
      return 1;
    }
    w[m].v->run(&w[m].args); /* warm up (OpenMP and OpenBLAS start their threads) */
    double t0 = sp_time_now();
    w[m].v->run(&w[m].args);
    calls[m] = batch_calls(sp_time_now() - t0);
  }
  for (int s = 0; s < samples; s++)
    for (int m = 0; m < METHODS; m++) {
      w[m].v->run(&w[m].args); /* untimed: the last method left the caches cold */
      double t0 = sp_time_now();
      for (int c = 0; c < calls[m]; c++) w[m].v->run(&w[m].args);
      t[m][s] = (sp_time_now() - t0) / calls[m];
    }
  const double flop = 2.0 * L->cout * L->cin * 9 * L->side * L->side * batch;
  int fastest = 0;
  printf("%-7s %3d->%-3d %2dx%-2d %d |", L->name, L->cin, L->cout, L->side, L->side, threads);
  for (int m = 0; m < METHODS; m++) {
    best[m] = sp_quantile(t[m], samples, q);
    if (best[m] < best[fastest]) fastest = m;
    double gf = flop / best[m] / 1e9;
    printf(" %7.4f %6.1f %4.0f%% |", best[m] * 1e3, gf,
           peak > 0 ? 100 * gf / (peak * threads) : NAN);
  }
  printf(" %.0e %.0e | %s\n", max_diff(out[WINO2], out[BLAS], out_count),
         max_diff(out[WINO4], out[BLAS], out_count), METHOD_NAMES[fastest]);
  for (int m = 0; m < METHODS; m++) {
    unbind(&w[m]);
    free(t[m]);
    free(out[m]);
  }
  free(in);
  sp_graph_free(g);
  return 0;
}

int main(int argc, char **argv) {
  int threads = 0, batch = 1, samples = 15;
  double q = 0.5, peak = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
      batch = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--samples") && i + 1 < argc)
      samples = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--quantile") && i + 1 < argc)
      q = atof(argv[++i]);
    else if (!strcmp(argv[i], "--peak") && i + 1 < argc)
      peak = atof(argv[++i]);
    else {
      fprintf(stderr,
              "usage: %s [--threads T] [--batch N] [--samples S] [--quantile Q] "
              "[--peak GFLOPS]\n",
              argv[0]);
      return 2;
    }
  }
  if (threads < 0 || batch < 1 || samples < 1 || !(q >= 0 && q <= 1) || !(peak >= 0)) {
    fprintf(stderr, "bench_winograd: need --threads >= 1, --batch >= 1, --samples >= 1, "
                    "0 <= --quantile <= 1, --peak >= 0\n");
    return 2;
  }
  const int measured = peak == 0;
  if (measured) peak = sp_peak_gflops_per_core();
  printf("# single-core FMA peak %.1f GFLOP/s (%s); batch %d; times: %g-quantile of %d; "
         "GFLOP/s effective (direct-conv FLOPs); %%peak of threads x single-core peak\n",
         peak, measured ? "measured" : "--peak", batch, q, samples);
  printf("%-7s %-8s %-5s %s |", "# layer", "cin>cout", "HxW", "T");
  for (int m = 0; m < METHODS; m++) printf(" %-20s |", METHOD_NAMES[m]);
  printf(" %-11s | %s\n", "err 2x2 4x4", "fastest");
  printf("%-7s %-8s %-5s %s |", "#", "", "", "");
  for (int m = 0; m < METHODS; m++) printf(" %7s %6s %5s |", "ms", "GF/s", "%pk");
  printf("\n");
  for (int th = threads ? threads : 1; th <= (threads ? threads : 2); th++) {
    for (size_t l = 0; l < sizeof LAYERS / sizeof *LAYERS; l++)
      if (bench_layer(&LAYERS[l], th, batch, samples, q, peak)) return 1;
  }
  return 0;
}
