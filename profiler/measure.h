/* Repeated timing of one piece of work: warm-up runs, then timed runs until
 * both a minimum count and a minimum total time are reached (or a cap), and
 * order statistics of the per-run times. Used by `infer`, `bench` and the
 * profiler. */
#ifndef SP_MEASURE_H
#define SP_MEASURE_H

#include <stddef.h>

typedef struct sp_timing {
  double median, p10, p90; /* seconds per run */
  int n;                   /* timed runs */
} sp_timing;

typedef struct sp_measure_options {
  int warmup;              /* untimed runs first (caches, thread pools, page faults) */
  int min_runs, max_runs;  /* bounds on timed runs */
  double min_seconds;      /* keep running until this much time was timed */
  /* Optional: when set, sp_measure hands the work to driver() instead of
   * timing it itself (the profiler's protocol, profiler/protocol.h); its
   * return value is sp_measure's. The work is fully prepared while the
   * driver runs, which lets it interleave several works. */
  int (*driver)(void *driver_ctx, void (*work)(void *ctx), void (*before)(void *ctx), void *ctx,
                sp_timing *out);
  void *driver_ctx;
  /* Optional: called with the work's ctx before every run, untimed (the
   * profiler puts the caches in the state a run meets inside a network). */
  void (*before)(void *ctx);
  /* Bytes of other data layer benchmarks stream through the caches before
   * each run (profiler/layer_bench.h); 0: none, the caches stay warm. */
  size_t evict_bytes;
} sp_measure_options;

/* 2 warm-up runs, 5..1000 timed runs, at least 0.2 s timed. */
sp_measure_options sp_measure_options_default(void);

/* Times `work(ctx)`; returns SP_OK-like 0, or -1 when out of memory (then
 * `out` is all zero). */
int sp_measure(void (*work)(void *ctx), void *ctx, const sp_measure_options *opt,
               sp_timing *out);

#endif
