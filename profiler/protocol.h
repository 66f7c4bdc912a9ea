/* The profiler's timing protocol (docs/profiling.md), built on measure.h.
 *
 * A set of tasks (the variants of one layer case) is timed together: after
 * their warm-up runs, each task runs in batches of about `batch_seconds`,
 * the tasks taking turns (round-robin), so that a slow period of a shared
 * machine hits every variant alike instead of whichever ran during it. A
 * task stops when the distribution-free 95% confidence interval of its
 * median lies within median +- rel_ci * median (and min_runs, min_seconds
 * are met), or at a cap (max_runs, max_seconds); it is then "converged" or
 * not. After every batch, a batch whose median is off the median of the
 * task's batch medians by more than `outlier_ratio` (either way) is thrown
 * away and measured again — the machine's speed drifts by up to 2x for tens
 * of seconds — up to max_remeasure batches per task.
 *
 * The clock is a parameter, so that the tests drive the protocol with a fake
 * clock and synthetic noise and drift. */
#ifndef SP_PROTOCOL_H
#define SP_PROTOCOL_H

#include <signal.h>

#include "engine/core/status.h"
#include "profiler/measure.h"

typedef struct sp_protocol_options {
  int warmup;            /* untimed runs of each task before any timed one */
  int min_runs;          /* timed runs kept before a task may stop (>= 6 for a CI) */
  int max_runs;          /* cap on kept runs per task */
  double min_seconds;    /* kept timed seconds before a task may stop */
  double max_seconds;    /* cap on seconds per task, timed runs plus the untimed `before`
                            (cache eviction) of each, discarded batches included
                            (applied once a task has 3 kept runs, or min_runs if fewer) */
  double rel_ci;         /* target half-width of the CI, relative to the median (0.03) */
  double batch_seconds;  /* length of one round-robin batch of one task */
  double outlier_ratio;  /* a batch median off by more than this factor is re-measured */
  int max_remeasure;     /* outlier batches thrown away per task, at most */
  double race_ratio;     /* > 1: after each round, a task with min_runs runs whose CI
                            lies entirely above race_ratio x the best task's CI stops
                            ("dominated": more precision would not change a choice by
                            latency); 0: off */
  int cold_caches;       /* 1: before every run of a host variant, stream the bytes the
                            rest of the network touches (sp_protocol_evict_bytes) through
                            the caches, then read the inputs: the state a layer meets
                            inside a network (sp_protocol_evict_bytes) */
  size_t evict_bytes;    /* set per layer by the profiler from cold_caches; not saved */
  double (*clock)(void *clock_ctx); /* seconds; NULL: sp_time_now */
  void *clock_ctx;
  volatile sig_atomic_t *stop; /* optional: when it becomes non-zero (SIGINT), every task
                                  stops after its current batch, unconverged */
} sp_protocol_options;

/* The full protocol: 2 warm-up runs, 10..2000 runs, 0.02..0.25 s a task,
 * CI within 3%, batches of 5 ms, outliers beyond 1.5x, 4 re-measurements,
 * tasks 2x slower than the best of their round stop early. */
sp_protocol_options sp_protocol_options_default(void);

/* The quick one (`profile --quick`): 1 warm-up run, 6..200 runs,
 * 0.002..0.03 s a task, CI within 5%, batches of 2 ms, 2 re-measurements,
 * the same racing. */
sp_protocol_options sp_protocol_options_quick(void);

/* The bytes to stream through the caches before each run of a layer when
 * cold_caches is on: min(twice the last-level cache, other_bytes),
 * other_bytes being what the rest of the network reads and writes in one
 * run (0 when the whole network fits in L2: then nothing leaves it). */
size_t sp_protocol_evict_bytes(const sp_protocol_options *o, double other_bytes);

/* Whether `bytes` fit in this core's L2 cache. */
int sp_protocol_fits_l2(double bytes);

/* SP_ERR_INPUT naming the field when an option is out of range. */
sp_status sp_protocol_options_check(const sp_protocol_options *opt);

typedef struct sp_protocol_task {
  void (*work)(void *ctx);   /* one run of the timed work */
  void (*before)(void *ctx); /* optional: untimed, before every run */
  void *ctx;
  /* results, filled by sp_protocol_run */
  sp_timing timing;          /* over the kept runs: median, p10, p90, n (seconds) */
  double ci_lo, ci_hi;       /* 95% CI of the median; both 0 when n < 6 */
  double noise;              /* (ci_hi - ci_lo) / median; 1 when there is no CI */
  int converged;             /* 1: the CI met rel_ci when the task stopped */
  int dominated;             /* 1: stopped early by race_ratio */
  int remeasured;            /* outlier batches thrown away and measured again */
  double seconds;            /* seconds spent (timed runs and their `before`), thrown-away batches included */
} sp_protocol_task;

/* Runs the protocol over n tasks (results in each task). SP_ERR_INPUT for
 * bad options, SP_ERR_RUNTIME when memory runs out. */
sp_status sp_protocol_run(sp_protocol_task *tasks, int n, const sp_protocol_options *opt);

/* Ranks (0-based, into n sorted values) of the distribution-free 95%
 * confidence interval of the median: the largest lo with
 * P(Binomial(n, 1/2) < lo + 1) <= 0.025 and hi = n - 1 - lo, so that
 * P(x[lo] <= true median <= x[hi]) >= 0.95 whatever the distribution.
 * Returns 0 (no interval) when n < 6. */
int sp_median_ci_ranks(int n, int *lo, int *hi);

/* A driver for sp_measure_options.driver: times one work with the protocol
 * options at `protocol` (an sp_protocol_options *). Returns 0, or -1 when
 * out of memory, as sp_measure does. */
int sp_protocol_measure_driver(void *protocol, void (*work)(void *ctx), void (*before)(void *ctx), void *ctx,
                               sp_timing *out);

/* sp_measure options that hand the timing to the protocol `p` (which must
 * outlive them): for calls that take sp_measure_options (layer_bench,
 * transfer). */
sp_measure_options sp_protocol_measure_options(const sp_protocol_options *p);

#endif
