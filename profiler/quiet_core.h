/* Measuring on the quieter core.
 *
 * On the shared VMs stackplan is measured on, the host's other tenants slow
 * one virtual CPU or the other by up to 35% (docs/profiling.md): the same
 * plan, pinned with taskset, ran 0.107 ms on one and 0.140 ms on the other
 * in every one of 12 alternating processes, and minutes later on neither.
 * A register-only probe does not see it (it costs cache, not FMA issue), so
 * the workload itself is the detector: it runs a few times on every CPU the
 * thread may use, and the thread stays on the fastest for what follows.
 * The profile does this before every layer and `run` before its timed runs,
 * so that both measure an uncontended core when there is one. */
#ifndef SP_PROFILER_QUIET_CORE_H
#define SP_PROFILER_QUIET_CORE_H

#define SP_QUIET_MAX_CPUS 16

typedef struct sp_quiet_core {
  int cpu;                            /* the CPU the calling thread is now pinned to, -1: none */
  int n;                              /* CPUs tried */
  int cpus[SP_QUIET_MAX_CPUS];
  double median[SP_QUIET_MAX_CPUS];   /* seconds of one call of the workload on each */
  double fastest;                     /* the lowest median: the workload's time where it stays */
} sp_quiet_core;

/* Times fn(ctx) `runs` times (after 2 untimed runs) on each CPU the calling
 * thread may use (the first SP_QUIET_MAX_CPUS of its mask), then pins the
 * calling thread to the one with the lowest median. OpenMP's worker threads
 * are started first, with the whole mask, so that pinning this thread does
 * not pin them. With a single CPU the workload is timed there (n 1) and
 * nothing is pinned (cpu -1); when the affinity calls fail, nothing is
 * timed either (n 0, fastest 0). */
sp_quiet_core sp_quiet_core_pin(void (*fn)(void *), void *ctx, int runs);

/* Gives the calling thread back the mask it had before the first pin. */
void sp_quiet_core_release(void);

#endif
