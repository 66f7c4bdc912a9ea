/* This core's peak FP32 throughput, measured: the denominator of every
 * "fraction of peak" stackplan prints. */
#ifndef SP_PEAK_H
#define SP_PEAK_H

/* GFLOP/s of one core running independent FMA chains at the widest vector
 * width this build uses (AVX-512 or AVX2+FMA): the best of a few dozen short
 * runs, since a busy machine only ever makes a run slower. The first call
 * measures (~0.2 s); later calls return the cached value. 0 when the build
 * has no FMA instructions. */
double sp_peak_gflops_per_core(void);

#endif
