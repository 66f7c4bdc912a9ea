/* sp_sgemm (kernels/cpu/sgemm.h) against a naive triple loop in double:
 * every edge of the micro-kernel tile (MR = 14, 6 or 4 rows and the short
 * last panel; NR = 32, 16 or 8 columns; the narrow path for N < 16 in
 * column groups of 8), the K/N block boundaries, padded leading dimensions,
 * bias or not, each activation, 1 and 2 threads, and the VGG-16 CIFAR
 * im2col shapes. Every ISA build (AVX-512, AVX2, portable) runs it. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/common/sgemm.h"
#include "tests/unit/testing.h"

typedef struct gemm_case {
  int M, N, K;
  int lda, ldb, ldc;
  int bias; /* row bias or NULL */
  sp_act act;
  int threads;
  int convenience; /* sp_sgemm instead of pack + run */
} gemm_case;

/* Value written around C's M x N corner; it must survive every call. */
static const float SENTINEL = -12345.0f;

static double activate(sp_act act, double y) {
  if (act == SP_ACT_NONE) return y;
  y = y > 0 ? y : 0;
  return act == SP_ACT_RELU6 && y > 6 ? 6 : y;
}

/* One GEMM; returns 1 when it matched. */
static int run_case(const gemm_case *c, uint64_t seed) {
  const int M = c->M, N = c->N, K = c->K;
  /* Exact sizes (no slack after the last row) so that ASan sees overruns;
   * the padding columns hold NaN so that reading one poisons the result. */
  size_t na = (size_t)(M - 1) * c->lda + K, nb = (size_t)(K - 1) * c->ldb + N;
  size_t nc = (size_t)(M - 1) * c->ldc + N;
  float *A = malloc(na * sizeof *A), *B = malloc(nb * sizeof *B), *C = malloc(nc * sizeof *C);
  float *bias = malloc((size_t)M * sizeof *bias);
  float *packed = malloc(sp_sgemm_packed_a_floats(M, K) * sizeof *packed);
  size_t nws = sp_sgemm_workspace_floats(M, N, K, c->threads);
  float *ws = malloc((nws ? nws : 1) * sizeof *ws);
  double *want = malloc((size_t)M * N * sizeof *want), *mag = malloc((size_t)M * N * sizeof *mag);
  if (!A || !B || !C || !bias || !packed || !ws || !want || !mag) {
    fprintf(stderr, "test_sgemm: out of memory\n");
    exit(1);
  }
  for (size_t i = 0; i < na; i++) A[i] = NAN;
  for (size_t i = 0; i < nb; i++) B[i] = NAN;
  for (size_t i = 0; i < nc; i++) C[i] = SENTINEL;
  for (int m = 0; m < M; m++) sp_test_fill(A + (size_t)m * c->lda, (size_t)K, seed + m, -1, 1);
  for (int k = 0; k < K; k++)
    sp_test_fill(B + (size_t)k * c->ldb, (size_t)N, seed + 100003 + k, -1, 1);
  sp_test_fill(bias, (size_t)M, seed + 7, -2, 2);

  for (int m = 0; m < M; m++) {
    for (int n = 0; n < N; n++) {
      double s = c->bias ? bias[m] : 0, t = c->bias ? fabs(bias[m]) : 0;
      for (int k = 0; k < K; k++) {
        double p = (double)A[(size_t)m * c->lda + k] * (double)B[(size_t)k * c->ldb + n];
        s += p;
        t += fabs(p);
      }
      want[(size_t)m * N + n] = activate(c->act, s);
      mag[(size_t)m * N + n] = t;
    }
  }

  const float *rb = c->bias ? bias : NULL;
  if (c->convenience) {
    CHECK(sp_sgemm(M, N, K, A, c->lda, B, c->ldb, C, c->ldc, rb, c->act, c->threads) == SP_OK);
  } else {
    sp_sgemm_pack_a(M, K, A, c->lda, packed);
    sp_sgemm_run(M, N, K, packed, B, c->ldb, C, c->ldc, rb, c->act, c->threads, ws);
  }

  /* Float accumulation of K products rounds each partial sum, so the error
   * is bounded by about K * 2^-24 * sum |a*b| (worst case) and is typically
   * sqrt(K) * 2^-24 * sum |a*b| with any summation order; rtol = 2e-5 is
   * above that for every K here yet below one dropped or doubled product
   * (~ sum / K on average). atol covers results that cancel to ~0. The
   * activation is 1-Lipschitz, so the bound carries through it. */
  const double atol = 1e-5, rtol = 2e-5;
  int ok = 1;
  size_t bad_m = 0, bad_n = 0;
  double bad_got = 0, bad_want = 0;
  for (int m = 0; m < M && ok; m++) {
    for (int n = 0; n < c->ldc && (m < M - 1 || n < N); n++) {
      double got = C[(size_t)m * c->ldc + n];
      int good = n < N ? fabs(got - want[(size_t)m * N + n]) <= atol + rtol * mag[(size_t)m * N + n]
                       : got == SENTINEL;
      if (!good) {
        ok = 0, bad_m = (size_t)m, bad_n = (size_t)n, bad_got = got;
        bad_want = n < N ? want[(size_t)m * N + n] : SENTINEL;
        break;
      }
    }
  }
  CHECK_MSG(ok,
            "M=%d N=%d K=%d lda=%d ldb=%d ldc=%d bias=%d act=%d threads=%d conv=%d: "
            "C[%zu][%zu] = %.8g, want %.8g",
            M, N, K, c->lda, c->ldb, c->ldc, c->bias, (int)c->act, c->threads, c->convenience,
            bad_m, bad_n, bad_got, bad_want);
  free(A), free(B), free(C), free(bias), free(packed), free(ws), free(want), free(mag);
  return ok;
}

int main(void) {
  uint64_t rng = 20240611;
  int cases = 0;

  /* Every combination of sizes around the tile edges of each ISA (MR 4, 6,
   * 14; vector 8, 16; NR 16, 32) and some larger ones; the rest of the case
   * is drawn at random. */
  static const int mn[] = {1, 2, 3, 5, 6, 7, 8, 9, 13, 14, 15, 16, 17, 29, 31, 32, 33, 100, 257};
  static const int ks[] = {1, 2, 3, 17, 100, 257};
  const int nmn = (int)(sizeof mn / sizeof *mn), nks = (int)(sizeof ks / sizeof *ks);
  for (int i = 0; i < nmn; i++) {
    for (int j = 0; j < nmn; j++) {
      for (int l = 0; l < nks; l++) {
        gemm_case c = {mn[i], mn[j], ks[l], 0, 0, 0, 0, SP_ACT_NONE, 1, 0};
        int pad = sp_test_rand_int(&rng, 0, 1);
        c.lda = c.K + pad * sp_test_rand_int(&rng, 1, 5);
        c.ldb = c.N + pad * sp_test_rand_int(&rng, 1, 5);
        c.ldc = c.N + pad * sp_test_rand_int(&rng, 1, 5);
        c.bias = sp_test_rand_int(&rng, 0, 1);
        c.act = (sp_act)sp_test_rand_int(&rng, 0, 2);
        c.threads = sp_test_rand_int(&rng, 0, 3) == 0 ? 2 : 1;
        c.convenience = sp_test_rand_int(&rng, 0, 7) == 0;
        run_case(&c, (uint64_t)(cases++) * 1000003);
      }
    }
  }

  /* Shapes that cross K blocks (kc >= 256, several K blocks when N is
   * large) and N blocks (NC = 1024), and that take each threaded path: own
   * B micro-panels (N >= 128), packing together (N = 33, 64), B used in
   * place (N = 16, ldb = N), narrow N with full panel groups and a short last
   * panel. Each has >= 2 MFLOP, so two threads really run. Each bias and
   * activation, alternating 1 and 2 threads. */
  static const int big[][3] = {{30, 1100, 300}, {20, 2100, 600}, {16, 1250, 100},
                               {100, 64, 2100}, {45, 33, 1100},  {100, 16, 1000},
                               {100, 5, 2100},  {257, 8, 600},   {60, 13, 1500}};
  for (size_t s = 0; s < sizeof big / sizeof *big; s++)
    for (int bias = 0; bias <= 1; bias++)
      for (int act = 0; act <= 2; act++) {
        const int M = big[s][0], N = big[s][1], K = big[s][2];
        gemm_case c = {M, N, K, K, N + 3 * bias, N, bias, (sp_act)act, 1 + (bias + act) % 2, 0};
        run_case(&c, (uint64_t)(cases++) * 1000003);
      }

  /* The VGG-16 CIFAR im2col shapes (M = Cout, N = OH*OW, K = Cin*9), with a
   * bias and ReLU as the engine runs them. */
  static const int vgg[][3] = {{64, 1024, 576}, {128, 256, 576}, {128, 256, 1152},
                               {256, 64, 1152}, {256, 64, 2304}, {512, 16, 2304},
                               {512, 16, 4608}, {512, 4, 4608}};
  for (size_t s = 0; s < sizeof vgg / sizeof *vgg; s++) {
    gemm_case c = {vgg[s][0], vgg[s][1], vgg[s][2], vgg[s][2], vgg[s][1], vgg[s][1],
                   1,         SP_ACT_RELU, (int)(s % 2) + 1, 0};
    run_case(&c, (uint64_t)(cases++) * 1000003);
  }

  printf("test_sgemm: %d GEMMs\n", cases);
  return sp_test_finish("test_sgemm");
}
