/* stackplan's own SGEMM (API in sgemm.h): GotoBLAS/BLIS-style blocking
 * around the register-blocked micro-kernels of sgemm_microkernel.h.
 *
 *   for jc in N by SGEMM_NC          B block columns
 *     for pc in K by kc              K block (see k_block)
 *       for ir in M by MR            A micro-panel (kc x MR): L1 resident
 *         for jr in block by NR      B micro-panel (kc x NR): from L2
 *           micro-kernel             (ir = 0: packs the B micro-panel too)
 *
 * A is packed once for the whole K (sp_sgemm_pack_a), so there is no A
 * packing in the loop and no MC loop: a panel slice is kc x MR floats and is
 * reused from L1 by every B micro-panel of the block, which waits in L2.
 * B is packed by the micro-kernel during the first A panel, so its reads
 * (usually from L3: the im2col buffer is bigger than L2) overlap arithmetic.
 * Threads split the B micro-panels; when there are too few of them (N = 16,
 * 64) they pack B together and split the M panels instead. Narrow N (below
 * SGEMM_NARROW_N) takes another path, see sgemm_narrow. */
#include "kernels/common/sgemm.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "kernels/common/sgemm_microkernel.h"

#define SGEMM_NR (2 * SGEMM_VLEN)

/* Block sizes for a core with 48 KiB L1d and 2 MiB L2 (Sapphire Rapids; see
 * lscpu). NC: at most NC columns of B are packed at a time. KC: the packed
 * B block (kc x nc floats) gets SGEMM_L2_BLOCK bytes, half of L2, leaving
 * room for the A panels and C tiles passing through; but kc is at least
 * SGEMM_KC_MIN so that C (read and written once per K block) stays cheap.
 * For N = 1024 that is kc = 256: the A panel slice (256 x 14 floats =
 * 14 KiB) stays in L1 while the 32 B micro-panels stream past it. For
 * N <= 64 it puts the whole K in one block: an A panel slice is used by at
 * most two micro-panels there, so L1 residency matters less than writing C
 * once and reading each A panel as one sequential stream. kc is evened out
 * over the K blocks (K = 288 runs as one block of 288, not 256 + 32). NC
 * 256 / 512, L2 block 512 KiB / 1.5 MiB and KC_MIN 128 measured the same or
 * up to 8 % slower on the bench shapes. */
#define SGEMM_NC 1024
#define SGEMM_KC_MIN 256
#define SGEMM_L2_BLOCK (1 << 20)

static size_t round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }
static int min_int(int a, int b) { return a < b ? a : b; }

/* A is cut into panels of SGEMM_MR rows; the last one is only as high as
 * its rows, rounded up to even, so M = 64 costs 64 rows of work, not 70. */
static int panel_count(int M) { return (M + SGEMM_MR - 1) / SGEMM_MR; }
static int panel_height(int M, int p) {
  int rows = M - p * SGEMM_MR;
  return rows >= SGEMM_MR ? SGEMM_MR : (rows + 1) & ~1;
}

size_t sp_sgemm_packed_a_floats(int M, int K) {
  int last = panel_count(M) - 1;
  return ((size_t)last * SGEMM_MR + (size_t)panel_height(M, last)) * (size_t)K;
}

void sp_sgemm_pack_a(int M, int K, const float *A, int lda, float *packed) {
  for (int p = 0; p < panel_count(M); p++) {
    const int m0 = p * SGEMM_MR, h = panel_height(M, p), rows = min_int(h, M - m0);
    const float *src = A + (size_t)m0 * (size_t)lda;
    float *dst = packed + (size_t)m0 * (size_t)K;
    /* Column by column: `rows` sequential read streams, one write stream. */
    for (int k = 0; k < K; k++, dst += h) {
      for (int r = 0; r < rows; r++) dst[r] = src[(size_t)r * (size_t)lda + (size_t)k];
      for (int r = rows; r < h; r++) dst[r] = 0.0f;
    }
  }
}

/* The K block length for N columns: see SGEMM_L2_BLOCK. */
static int k_block(int N, int K) {
  size_t nc = round_up((size_t)min_int(N, SGEMM_NC), SGEMM_VLEN);
  size_t most = SGEMM_L2_BLOCK / sizeof(float) / nc;
  if (most < SGEMM_KC_MIN) most = SGEMM_KC_MIN;
  size_t blocks = ((size_t)K + most - 1) / most;
  return (int)(((size_t)K + blocks - 1) / blocks);
}

size_t sp_sgemm_workspace_floats(int M, int N, int K, int threads) {
  (void)M;
  (void)threads; /* the threads share one packed B block */
  size_t nc = round_up((size_t)min_int(N, SGEMM_NC), SGEMM_NR);
  return (size_t)k_block(N, K) * nc + 64 / sizeof(float); /* + room to align to a line */
}

/* Copies B[0..kc) x [0..nc) (row stride ldb) into NR-wide micro-panels, each
 * stored k-major; the last panel is only as many vectors wide as it needs
 * and zero-padded to that. Only panels [p0, p1), so threads can share the
 * work. Row by row, so B is read in long sequential runs. */
static void pack_b(int kc, int nc, const float *B, int ldb, float *dst, int p0, int p1) {
  for (int k = 0; k < kc; k++) {
    const float *s = B + (size_t)k * (size_t)ldb;
    for (int p = p0; p < p1; p++) {
      const int col = p * SGEMM_NR, w = min_int(SGEMM_NR, nc - col);
      if (w == SGEMM_NR) {
        memcpy(dst + ((size_t)p * (size_t)kc + (size_t)k) * SGEMM_NR, s + col,
               SGEMM_NR * sizeof(float));
      } else {
        const int width = (int)round_up((size_t)w, SGEMM_VLEN);
        float *d = dst + (size_t)p * SGEMM_NR * (size_t)kc + (size_t)k * (size_t)width;
        for (int j = 0; j < w; j++) d[j] = s[col + j];
        for (int j = w; j < width; j++) d[j] = 0.0f;
      }
    }
  }
}

typedef struct sgemm_args {
  int M, N, K;
  const float *packed_a;
  const float *B;
  int ldb;
  float *C;
  int ldc;
  const float *bias;
  sp_act act;
  float *bpack;
} sgemm_args;

/* One block of the jc/pc loops. */
typedef struct sgemm_block {
  int jc, nc, np;    /* columns [jc, jc + nc) of B and C; np micro-panels */
  int pc, kc;        /* rows [pc, pc + kc) of B */
  int first, last;   /* first / last K block */
  const float *bsrc; /* &B[pc][jc] */
  const float *bp;   /* its packed micro-panels (or bsrc, when B is one) */
} sgemm_block;

/* Tile (ir, jr) of block `k`; when `pack`, B micro-panel jr is packed on the
 * way (inside the micro-kernel where the ISA allows, else just before). */
static void sgemm_tile(const sgemm_args *g, const sgemm_block *k, int ir, int jr, int pack) {
  const int m0 = ir * SGEMM_MR, h = panel_height(g->M, ir), mr = min_int(h, g->M - m0);
  const int n0 = jr * SGEMM_NR, nr = min_int(SGEMM_NR, k->nc - n0);
  const int nv = (nr + SGEMM_VLEN - 1) / SGEMM_VLEN;
  const float *a = g->packed_a + (size_t)m0 * (size_t)g->K + (size_t)k->pc * (size_t)h;
  const float *bias = g->bias ? g->bias + m0 : NULL;
  float *c = g->C + (size_t)m0 * (size_t)g->ldc + (size_t)(k->jc + n0);
  if (pack) {
#if SGEMM_HAVE_FUSED_PACK
    sgemm_tiles[h / 2 - 1].pack[nv - 1](k->kc, a, k->bsrc + n0, g->ldb,
                                        g->bpack + (size_t)n0 * (size_t)k->kc, c, g->ldc, mr,
                                        nr, k->first, k->last, bias, g->act);
    return;
#else
    pack_b(k->kc, k->nc, k->bsrc, g->ldb, g->bpack, jr, jr + 1);
#endif
  }
  sgemm_tiles[h / 2 - 1].run[nv - 1](k->kc, a, k->bp + (size_t)n0 * (size_t)k->kc, c, g->ldc,
                                     mr, nr, k->first, k->last, bias, g->act);
}

/* Thread `tid` of `nth`'s share of the blocked loops. */
static void sgemm_blocked(const sgemm_args *g, int tid, int nth) {
  const int mp = panel_count(g->M);
  const int kb = k_block(g->N, g->K);
  /* B with N = 16 or 32 and ldb = N is already one packed micro-panel. */
  const int direct = g->N <= SGEMM_NR && g->N % SGEMM_VLEN == 0 && g->ldb == g->N;
  sgemm_block k;
  for (k.jc = 0; k.jc < g->N; k.jc += SGEMM_NC) {
    if (nth > 1 && k.jc > 0) { /* the owners of the packed panels change */
#pragma omp barrier
    }
    k.nc = min_int(SGEMM_NC, g->N - k.jc);
    k.np = (k.nc + SGEMM_NR - 1) / SGEMM_NR;
    /* With enough micro-panels for every thread, each thread owns a range
     * of them and packs them itself while it computes the first A panel
     * with them: the B traffic (often from L3) overlaps arithmetic, and the
     * threads never wait for each other. Otherwise (N <= 32 * 2 threads)
     * the threads pack together and split the M panels. */
    const int own = !direct && k.np >= 2 * nth;
    for (k.pc = 0; k.pc < g->K; k.pc += kb) {
      k.kc = min_int(kb, g->K - k.pc);
      k.first = k.pc == 0, k.last = k.pc + k.kc == g->K;
      k.bsrc = g->B + (size_t)k.pc * (size_t)g->ldb + k.jc;
      k.bp = direct ? k.bsrc : g->bpack;
      if (own) {
        const int j0 = k.np * tid / nth, j1 = k.np * (tid + 1) / nth;
        for (int ir = 0; ir < mp; ir++)
          for (int jr = j0; jr < j1; jr++) sgemm_tile(g, &k, ir, jr, ir == 0);
        continue;
      }
      if (!direct) {
        if (nth > 1 && !k.first) { /* all are done with the last block */
#pragma omp barrier
        }
        pack_b(k.kc, k.nc, k.bsrc, g->ldb, g->bpack, k.np * tid / nth, k.np * (tid + 1) / nth);
        if (nth > 1) {
#pragma omp barrier
        }
      }
      const long tiles = (long)mp * k.np;
      for (long t = tiles * tid / nth; t < tiles * (tid + 1) / nth; t++)
        sgemm_tile(g, &k, (int)(t / k.np), (int)(t % k.np), 0);
    }
  }
}

#if SGEMM_HAVE_NARROW
/* Narrow kernels for each column count: SGEMM_NARROW_NP_<ncol> full panels
 * at once (as many accumulators as the ISA's registers allow), and one panel
 * of any height for the rest. */
#define SGEMM_NARROW_ARGS                                                                  \
  int K, const float *a, size_t ps, int h, const float *B, int ldb, float *c, int ldc, \
      int mr, const float *bias, sp_act act
typedef void (*sgemm_narrow_fn)(SGEMM_NARROW_ARGS);
#define SGEMM_NARROW_FNS(ncol, np)                                                          \
  static void sgemm_narrow_##ncol##_group(SGEMM_NARROW_ARGS) {                              \
    (void)h;                                                                                \
    SGEMM_NARROW_IMPL(ncol, np, SGEMM_MR, K, a, ps, B, ldb, c, ldc, mr, bias, act);       \
  }                                                                                         \
  static void sgemm_narrow_##ncol##_single(SGEMM_NARROW_ARGS) {                             \
    SGEMM_NARROW_IMPL(ncol, 1, h, K, a, ps, B, ldb, c, ldc, mr, bias, act);               \
  }
SGEMM_NARROW_FNS(1, SGEMM_NARROW_NP_1)
SGEMM_NARROW_FNS(2, SGEMM_NARROW_NP_2)
SGEMM_NARROW_FNS(3, SGEMM_NARROW_NP_3)
SGEMM_NARROW_FNS(4, SGEMM_NARROW_NP_4)
SGEMM_NARROW_FNS(5, SGEMM_NARROW_NP_5)
SGEMM_NARROW_FNS(6, SGEMM_NARROW_NP_6)
SGEMM_NARROW_FNS(7, SGEMM_NARROW_NP_7)
SGEMM_NARROW_FNS(8, SGEMM_NARROW_NP_8)
#define SGEMM_NARROW_ROW(ncol, np) {np, sgemm_narrow_##ncol##_group, sgemm_narrow_##ncol##_single}
static const struct {
  int np;
  sgemm_narrow_fn group, single;
} sgemm_narrows[8] = {
    SGEMM_NARROW_ROW(1, SGEMM_NARROW_NP_1), SGEMM_NARROW_ROW(2, SGEMM_NARROW_NP_2),
    SGEMM_NARROW_ROW(3, SGEMM_NARROW_NP_3), SGEMM_NARROW_ROW(4, SGEMM_NARROW_NP_4),
    SGEMM_NARROW_ROW(5, SGEMM_NARROW_NP_5), SGEMM_NARROW_ROW(6, SGEMM_NARROW_NP_6),
    SGEMM_NARROW_ROW(7, SGEMM_NARROW_NP_7), SGEMM_NARROW_ROW(8, SGEMM_NARROW_NP_8),
};

/* Narrow N: thread `tid` takes an even share of the A panels and runs the
 * whole K and all N columns (in groups of up to 8) over each. */
static void sgemm_narrow(const sgemm_args *g, int tid, int nth) {
  const int mp = panel_count(g->M), full = g->M / SGEMM_MR;
  const size_t ps = (size_t)SGEMM_MR * (size_t)g->K;
  const int p1 = mp * (tid + 1) / nth;
  for (int n0 = 0; n0 < g->N; n0 += 8) {
    const int ncol = min_int(8, g->N - n0);
    const int np = sgemm_narrows[ncol - 1].np;
    for (int p = mp * tid / nth; p < p1;) {
      const int group = p + np <= min_int(p1, full);
      const int m0 = p * SGEMM_MR;
      (group ? sgemm_narrows[ncol - 1].group : sgemm_narrows[ncol - 1].single)(
          g->K, g->packed_a + (size_t)p * ps, ps, panel_height(g->M, p), g->B + n0, g->ldb,
          g->C + (size_t)m0 * (size_t)g->ldc + n0, g->ldc, g->M - m0,
          g->bias ? g->bias + m0 : NULL, g->act);
      p += group ? np : 1;
    }
  }
}
#endif

static void sgemm_worker(const sgemm_args *g, int tid, int nth) {
#if SGEMM_HAVE_NARROW
  /* The AVX-512 scatter's row offsets are 32-bit. */
  if (g->N < SGEMM_NARROW_N && g->ldc <= INT_MAX / 16) {
    sgemm_narrow(g, tid, nth);
    return;
  }
#endif
  sgemm_blocked(g, tid, nth);
}

/* Fewer threads than asked when each would get less than this many flops
 * (about 5 us of work): waking a thread and the barriers cost more. */
#define SGEMM_FLOPS_PER_THREAD 1e6

void sp_sgemm_run(int M, int N, int K, const float *packed_a, const float *B, int ldb,
                  float *C, int ldc, const float *row_bias, sp_act act, int threads,
                  float *workspace) {
  sgemm_args g = {M, N, K, packed_a, B, ldb, C, ldc, row_bias, act, NULL};
  /* Packed B micro-panels start on a cache line. */
  g.bpack = (float *)(((uintptr_t)workspace + 63) & ~(uintptr_t)63);
  const double flops = 2.0 * M * N * K;
  if (threads > 1 && flops < SGEMM_FLOPS_PER_THREAD * threads)
    threads = flops < 2 * SGEMM_FLOPS_PER_THREAD ? 1 : (int)(flops / SGEMM_FLOPS_PER_THREAD);
  if (threads <= 1) {
    sgemm_worker(&g, 0, 1);
    return;
  }
#pragma omp parallel num_threads(threads) if (threads > 1)
  sgemm_worker(&g, omp_get_thread_num(), omp_get_num_threads());
}

sp_status sp_sgemm(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                   float *C, int ldc, const float *row_bias, sp_act act, int threads) {
  size_t na = sp_sgemm_packed_a_floats(M, K);
  size_t nw = sp_sgemm_workspace_floats(M, N, K, threads);
  float *packed = malloc((na + nw) * sizeof *packed);
  if (!packed)
    return sp_fail(SP_ERR_RUNTIME, "sgemm: out of memory for %d x %d x %d", M, N, K);
  sp_sgemm_pack_a(M, K, A, lda, packed);
  sp_sgemm_run(M, N, K, packed, B, ldb, C, ldc, row_bias, act, threads, packed + na);
  free(packed);
  return SP_OK;
}
