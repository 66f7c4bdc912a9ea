#include "profiler/peak.h"

#include "engine/core/timer.h"

/* 24 independent zmm (or 12 ymm) accumulator chains: enough to hide the
 * 4-cycle FMA latency on two FMA ports. */
static double measure_peak(void) {
#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
  enum { RUNS = 31, ITERS = 500000 };
  double best = 0;
  for (int rep = 0; rep < RUNS; rep++) {
    long n = ITERS;
    double t = sp_time_now();
#if defined(__AVX512F__)
#define F(i) "vfmadd231ps %%zmm30, %%zmm31, %%zmm" #i "\n\t"
#define Z(i) "vpxord %%zmm" #i ", %%zmm" #i ", %%zmm" #i "\n\t"
    /* Zeroed operands: garbage could hold denormals, which take slow assists. */
    __asm__ volatile("vpxord %%zmm30, %%zmm30, %%zmm30\n\tvpxord %%zmm31, %%zmm31, %%zmm31\n\t"
                     Z(0) Z(1) Z(2) Z(3) Z(4) Z(5) Z(6) Z(7) Z(8) Z(9) Z(10) Z(11) Z(12) Z(13)
                         Z(14) Z(15) Z(16) Z(17) Z(18) Z(19) Z(20) Z(21) Z(22) Z(23)
                     "1:\n\t" F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11)
                         F(12) F(13) F(14) F(15) F(16) F(17) F(18) F(19) F(20) F(21) F(22)
                             F(23) "dec %0\n\tjnz 1b\n\t"
                     : "+r"(n)
                     :
                     : "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
                       "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
                       "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23",
                       "xmm30", "xmm31");
    const double flops = (double)ITERS * 24 * 16 * 2;
#undef F
#undef Z
#else
#define F(i) "vfmadd231ps %%ymm14, %%ymm15, %%ymm" #i "\n\t"
#define Z(i) "vxorps %%ymm" #i ", %%ymm" #i ", %%ymm" #i "\n\t"
    __asm__ volatile(Z(0) Z(1) Z(2) Z(3) Z(4) Z(5) Z(6) Z(7) Z(8) Z(9) Z(10) Z(11) Z(14) Z(15)
                     "1:\n\t" F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11)
                         "dec %0\n\tjnz 1b\n\t"
                     : "+r"(n)
                     :
                     : "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
                       "xmm8", "xmm9", "xmm10", "xmm11", "xmm14", "xmm15");
    const double flops = (double)ITERS * 12 * 8 * 2;
#undef F
#undef Z
#endif
    double g = flops / (sp_time_now() - t) / 1e9;
    if (g > best) best = g;
  }
  return best;
#else
  return 0;
#endif
}

double sp_peak_gflops_per_core(void) {
  static double cached = -1;
  if (cached < 0) cached = measure_peak();
  return cached;
}
