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

/* The same FMA chains now, as a probe of how much of the core this process
 * gets: the median of 15 runs of ~50 us (~1 ms in all), not the best, so a
 * host busy with other tenants shows. On the shared VMs stackplan was built
 * on, the core's FMA throughput varies by up to 25% over seconds with other
 * tenants' load (docs/profiling.md), and every layer's time with it; the
 * profile records the probe per layer and `run` compares its own with
 * it. 0 without FMA instructions. */
double sp_core_probe_gflops(void);

#endif
