/* bench_sgemm: stackplan's own SGEMM (kernels/cpu/sgemm.h) against OpenBLAS
 * cblas_sgemm on the convolution GEMM shapes of the CIFAR nets, one line a
 * shape, plus this core's measured FMA peak.
 *
 *   bench_sgemm [--threads T] [--samples S] [--quantile Q]
 *
 * Own GEMM is timed as the engine runs it: A (the weights) packed once
 * beforehand, sp_sgemm_run per call. OpenBLAS gets the plain row-major
 * matrices and packs A inside every call, so the "+pack" column also gives
 * the ratio with sp_sgemm_pack_a's time added to ours. The two are timed in
 * alternating batches so that a noisy neighbour slows both alike: times are
 * the Q-quantile (default 0.5, the median) of S batches of about 0.5 ms, and
 * own/bl is the median of the S ratios of back-to-back batches. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "kernels/common/sgemm.h"
#include "profiler/peak.h"
#include "engine/core/timer.h"

void openblas_set_num_threads(int);


typedef struct shape {
  int m, n, k;
  const char *what;
} shape;

static const shape SHAPES[] = {
    /* VGG-16 CIFAR 3x3 convolutions, width 1: M = Cout, K = Cin*9, N = OH*OW */
    {64, 1024, 576, "vgg16 w1"},
    {128, 256, 576, "vgg16 w1"},
    {128, 256, 1152, "vgg16 w1"},
    {256, 64, 1152, "vgg16 w1"},
    {256, 64, 2304, "vgg16 w1"},
    {512, 16, 2304, "vgg16 w1"},
    {512, 16, 4608, "vgg16 w1"},
    {512, 4, 4608, "vgg16 w1"},
    /* width 0.5: M and Cin halved */
    {32, 1024, 288, "vgg16 w0.5"},
    {64, 256, 288, "vgg16 w0.5"},
    {64, 256, 576, "vgg16 w0.5"},
    {128, 64, 576, "vgg16 w0.5"},
    {128, 64, 1152, "vgg16 w0.5"},
    {256, 16, 1152, "vgg16 w0.5"},
    {256, 16, 2304, "vgg16 w0.5"},
    {256, 4, 2304, "vgg16 w0.5"},
    /* 1x1: ResNet-18 projections and MobileNet pointwise (K = Cin) */
    {128, 256, 64, "resnet18 1x1"},
    {256, 64, 128, "resnet18 1x1"},
    {512, 16, 256, "resnet18 1x1"},
    {64, 1024, 32, "mobilenet pw"},
    {128, 256, 128, "mobilenet pw"},
    {256, 64, 256, "mobilenet pw"},
    {512, 16, 512, "mobilenet pw"},
    {1024, 4, 1024, "mobilenet pw"},
};

/* Calls per timed batch so that a batch lasts about 0.5 ms: short enough
 * that most batches fall between a busy neighbour's time slices. */
static int batch_calls(double seconds_per_call) {
  int calls = (int)(0.5e-3 / (seconds_per_call > 1e-9 ? seconds_per_call : 1e-9));
  return calls < 1 ? 1 : calls;
}

int main(int argc, char **argv) {
  int threads = 1, samples = 41;
  double q = 0.5;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
      threads = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--samples") && i + 1 < argc) {
      samples = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--quantile") && i + 1 < argc) {
      q = atof(argv[++i]);
    } else {
      fprintf(stderr, "usage: %s [--threads T] [--samples S] [--quantile Q]\n", argv[0]);
      return 2;
    }
  }
  if (threads < 1 || samples < 1 || !(q >= 0 && q <= 1)) {
    fprintf(stderr, "bench_sgemm: need --threads >= 1, --samples >= 1, 0 <= --quantile <= 1\n");
    return 2;
  }
  openblas_set_num_threads(threads);

  double peak = sp_peak_gflops_per_core();
  if (peak > 0)
    printf("# single-core FMA peak %.1f GFLOP/s (x%d threads = %.1f);", peak, threads,
           peak * threads);
  else
    printf("# FMA peak not measured (built without FMA);");
  printf(" threads %d; times: %g-quantile of %d\n", threads, q, samples);
  printf("# own: sp_sgemm_run on pre-packed A; own/bl: median of OpenBLAS time / own time"
         " over back-to-back batch pairs; +pack: OpenBLAS / (own + sp_sgemm_pack_a)\n");
  printf("# %5s %5s %5s | %9s %8s %6s | %9s %8s %6s | %6s | %7s | %s\n", "M", "N", "K",
         "own ms", "GFLOP/s", "%peak", "blas ms", "GFLOP/s", "%peak", "own/bl", "+pack", "net");

  double *t_own = malloc((size_t)samples * sizeof *t_own);
  double *t_blas = malloc((size_t)samples * sizeof *t_blas);
  double *t_pack = malloc((size_t)samples * sizeof *t_pack);
  double *ratio = malloc((size_t)samples * sizeof *ratio);
  for (size_t s = 0; s < sizeof SHAPES / sizeof *SHAPES; s++) {
    const int M = SHAPES[s].m, N = SHAPES[s].n, K = SHAPES[s].k;
    float *A = malloc((size_t)M * K * sizeof *A), *B = malloc((size_t)K * N * sizeof *B);
    float *C = malloc((size_t)M * N * sizeof *C), *Cb = malloc((size_t)M * N * sizeof *Cb);
    float *pa = malloc(sp_sgemm_packed_a_floats(M, K) * sizeof *pa);
    float *ws = malloc((sp_sgemm_workspace_floats(M, N, K, threads) + 1) * sizeof *ws);
    if (!A || !B || !C || !Cb || !pa || !ws || !t_own || !t_blas || !t_pack || !ratio) {
      fprintf(stderr, "bench_sgemm: out of memory\n");
      return 1;
    }
    for (size_t i = 0; i < (size_t)M * K; i++) A[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
    for (size_t i = 0; i < (size_t)K * N; i++) B[i] = (float)((i * 104729) % 1000) / 1000.0f - 0.5f;
    sp_sgemm_pack_a(M, K, A, K, pa);

    /* Warm up both (OpenBLAS spawns its threads on first use) and calibrate. */
    double t0 = sp_time_now();
    sp_sgemm_run(M, N, K, pa, B, N, C, N, NULL, SP_ACT_NONE, threads, ws);
    sp_sgemm_run(M, N, K, pa, B, N, C, N, NULL, SP_ACT_NONE, threads, ws);
    int calls_own = batch_calls((sp_time_now() - t0) / 2);
    t0 = sp_time_now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N, 0.0f, Cb, N);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N, 0.0f, Cb, N);
    int calls_blas = batch_calls((sp_time_now() - t0) / 2);

    for (int r = 0; r < samples; r++) {
      double t = sp_time_now();
      for (int c = 0; c < calls_own; c++)
        sp_sgemm_run(M, N, K, pa, B, N, C, N, NULL, SP_ACT_NONE, threads, ws);
      t_own[r] = (sp_time_now() - t) / calls_own;
      t = sp_time_now();
      for (int c = 0; c < calls_blas; c++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N, 0.0f,
                    Cb, N);
      t_blas[r] = (sp_time_now() - t) / calls_blas;
      t = sp_time_now();
      for (int c = 0; c < calls_own; c++) sp_sgemm_pack_a(M, K, A, K, pa);
      t_pack[r] = (sp_time_now() - t) / calls_own;
      ratio[r] = t_blas[r] / t_own[r];
    }
    double own = sp_quantile(t_own, samples, q), blas = sp_quantile(t_blas, samples, q);
    double pack = sp_quantile(t_pack, samples, q);
    double own_vs_blas = sp_quantile(ratio, samples, 0.5);
    double flop = 2.0 * M * N * K;
    double worst = 0;
    for (size_t i = 0; i < (size_t)M * N; i++) worst = fmax(worst, fabs((double)C[i] - Cb[i]));
    char own_pct[16] = "   -", blas_pct[16] = "   -"; /* "-": no peak for this build */
    if (peak > 0) {
      snprintf(own_pct, sizeof own_pct, "%3.0f%%", 100 * flop / own / 1e9 / (peak * threads));
      snprintf(blas_pct, sizeof blas_pct, "%3.0f%%", 100 * flop / blas / 1e9 / (peak * threads));
    }
    printf("  %5d %5d %5d | %9.4f %8.1f %6s | %9.4f %8.1f %6s | %6.2f | %7.2f | %s%s\n", M, N,
           K, own * 1e3, flop / own / 1e9, own_pct, blas * 1e3, flop / blas / 1e9, blas_pct,
           own_vs_blas, blas / (own + pack), SHAPES[s].what,
           worst > 1e-3 * sqrt((double)K) ? "  MISMATCH" : "");
    free(A), free(B), free(C), free(Cb), free(pa), free(ws);
  }
  free(t_own), free(t_blas), free(t_pack), free(ratio);
  return 0;
}
