/* The timing protocol: round-robin batches, the order-statistic CI stopping
 * rule and re-measurement of outlier batches (protocol.h). */
#define _GNU_SOURCE
#include "profiler/protocol.h"

#include <unistd.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/timer.h"

#define MIN_RUNS_BEFORE_CAP 3

sp_protocol_options sp_protocol_options_default(void) {
  return (sp_protocol_options){.warmup = 2, .min_runs = 10, .max_runs = 2000,
                               .min_seconds = 0.02, .max_seconds = 0.25, .rel_ci = 0.03,
                               .batch_seconds = 0.005, .outlier_ratio = 1.5,
                               .max_remeasure = 4, .race_ratio = 2.0, .cold_caches = 1};
}

sp_protocol_options sp_protocol_options_quick(void) {
  return (sp_protocol_options){.warmup = 1, .min_runs = 6, .max_runs = 200,
                               .min_seconds = 0.002, .max_seconds = 0.03, .rel_ci = 0.05,
                               .batch_seconds = 0.002, .outlier_ratio = 1.5,
                               .max_remeasure = 2, .race_ratio = 2.0, .cold_caches = 1};
}

static double l2_bytes(void) {
  long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
  return l2 > 0 ? (double)l2 : 1048576.0; /* unknown: 1 MiB */
}

int sp_protocol_fits_l2(double bytes) { return bytes <= l2_bytes(); }

/* The last-level cache a core can hold a network's bytes in. A VM may
 * report the whole host's L3 (532 MB on the Zen 5 machine, whose cores see
 * a 32 MiB slice); beyond 32 MiB it is taken as 32 MiB. */
static double llc_bytes(void) {
  long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
  double cap = 32.0 * 1048576.0;
  return l3 > 0 && (double)l3 < cap ? (double)l3 : cap;
}

size_t sp_protocol_evict_bytes(const sp_protocol_options *o, double other_bytes) {
  if (!o->cold_caches || !(other_bytes > 0)) return 0;
  /* Up to twice the LLC: inside the network the other layers' bytes pass
   * through every level between two runs of a layer, so whether its weights
   * survive in the LLC depends on how much passes, not on L2. Twice, since
   * one LLC-sized pass leaves part of a layer behind (replacement is not
   * exact LRU). */
  double cap = 2.0 * llc_bytes();
  return (size_t)(other_bytes < cap ? other_bytes : cap);
}

sp_status sp_protocol_options_check(const sp_protocol_options *o) {
  const char *bad = o->warmup < 0 ? "warmup"
                    : o->min_runs < 1 ? "min_runs"
                    : o->max_runs < o->min_runs ? "max_runs"
                    : !(o->min_seconds >= 0) ? "min_seconds"
                    : !(o->max_seconds > 0 && o->max_seconds >= o->min_seconds) ? "max_seconds"
                    : !(o->rel_ci > 0 && o->rel_ci < 1) ? "rel_ci"
                    : !(o->batch_seconds > 0) ? "batch_seconds"
                    : !(o->outlier_ratio > 1) ? "outlier_ratio"
                    : o->max_remeasure < 0 ? "max_remeasure"
                    : !(o->race_ratio == 0 || o->race_ratio > 1) ? "race_ratio" : NULL;
  return bad ? sp_fail(SP_ERR_INPUT, "timing protocol: %s out of range", bad) : SP_OK;
}

int sp_median_ci_ranks(int n, int *lo, int *hi) {
  *lo = *hi = 0;
  if (n < 6) return 0;
  /* cumulative Binomial(n, 1/2) in logs: pmf(i) = C(n, i) / 2^n */
  double cdf = 0, log_half_n = n * log(0.5);
  int best = -1;
  for (int i = 0; i < n / 2; i++) {
    cdf += exp(lgamma(n + 1.0) - lgamma(i + 1.0) - lgamma(n - i + 1.0) + log_half_n);
    if (cdf > 0.025) break;
    best = i;
  }
  if (best < 0) return 0;
  *lo = best;
  *hi = n - 1 - best;
  return 1;
}

/* Per-task bookkeeping: kept samples in run order and the batches they
 * came in (so that a whole batch can be thrown away). */
typedef struct task_state {
  double *t;
  int n, cap;
  int *batch_start, *batch_len;
  int n_batches, cap_batches;
  int per_batch;
  int done;
} task_state;

static double now(const sp_protocol_options *o) {
  return o->clock ? o->clock(o->clock_ctx) : sp_time_now();
}

static double median_of(const double *x, int n, double *scratch) {
  memcpy(scratch, x, (size_t)n * sizeof *x);
  return sp_quantile(scratch, n, 0.5);
}

static int per_batch_for(const sp_protocol_options *o, double run_seconds) {
  double k = run_seconds > 0 ? o->batch_seconds / run_seconds : o->max_runs;
  if (k > o->max_runs) k = o->max_runs;
  return k < 1 ? 1 : (int)k;
}

static int grow(task_state *s, int runs) {
  if (s->n + runs > s->cap) {
    int cap = 2 * (s->n + runs);
    double *t = realloc(s->t, (size_t)cap * sizeof *t);
    if (!t) return -1;
    s->t = t;
    s->cap = cap;
  }
  if (s->n_batches == s->cap_batches) {
    int cap = s->cap_batches ? 2 * s->cap_batches : 16;
    int *a = realloc(s->batch_start, (size_t)cap * sizeof *a);
    if (!a) return -1;
    s->batch_start = a;
    int *b = realloc(s->batch_len, (size_t)cap * sizeof *b);
    if (!b) return -1;
    s->batch_len = b;
    s->cap_batches = cap;
  }
  return 0;
}

/* Throws away every kept batch whose median is off the median of the batch
 * medians by more than outlier_ratio, while re-measurements are left. */
static void drop_outliers(task_state *s, sp_protocol_task *task, const sp_protocol_options *o,
                          double *scratch) {
  if (s->n_batches < 3) return;
  double *med = scratch + s->n; /* room for n samples + n batches */
  for (int b = 0; b < s->n_batches; b++)
    med[b] = median_of(s->t + s->batch_start[b], s->batch_len[b], scratch);
  double m = median_of(med, s->n_batches, scratch);
  int b = 0;
  for (int k = 0; k < s->n_batches; k++) {
    int off = m > 0 && (med[k] > m * o->outlier_ratio || med[k] * o->outlier_ratio < m);
    if (off && task->remeasured < o->max_remeasure) {
      task->remeasured++;
      continue;
    }
    if (b != k) { /* compact: move batch k down to slot b */
      int start = b ? s->batch_start[b - 1] + s->batch_len[b - 1] : 0;
      memmove(s->t + start, s->t + s->batch_start[k], (size_t)s->batch_len[k] * sizeof *s->t);
      s->batch_start[b] = start;
      s->batch_len[b] = s->batch_len[k];
    }
    b++;
  }
  s->n_batches = b;
  s->n = b ? s->batch_start[b - 1] + s->batch_len[b - 1] : 0;
}

/* Fills the task's results from its kept samples; returns whether the CI
 * meets rel_ci. */
static int summarise(task_state *s, sp_protocol_task *task, const sp_protocol_options *o,
                     double *scratch) {
  memcpy(scratch, s->t, (size_t)s->n * sizeof *s->t);
  double med = sp_quantile(scratch, s->n, 0.5); /* sorts scratch */
  task->timing = (sp_timing){.median = med, .p10 = sp_quantile(scratch, s->n, 0.1),
                             .p90 = sp_quantile(scratch, s->n, 0.9), .n = s->n};
  int lo, hi;
  if (!sp_median_ci_ranks(s->n, &lo, &hi)) {
    task->ci_lo = task->ci_hi = 0;
    task->noise = 1;
    return 0;
  }
  task->ci_lo = scratch[lo];
  task->ci_hi = scratch[hi];
  task->noise = med > 0 ? (task->ci_hi - task->ci_lo) / med : 0;
  if (med <= 0) return task->ci_hi <= task->ci_lo;
  return med - task->ci_lo <= o->rel_ci * med && task->ci_hi - med <= o->rel_ci * med;
}

/* Runs one batch of task i and decides whether it is done. */
static int step(task_state *s, sp_protocol_task *task, const sp_protocol_options *o,
                double **scratch, int *scratch_cap) {
  int runs = s->per_batch;
  if (runs > o->max_runs - s->n) runs = o->max_runs - s->n;
  if (runs < 1) runs = 1;
  if (grow(s, runs)) return -1;
  if (2 * (s->n + runs) + 1 > *scratch_cap) {
    int cap = 4 * (s->n + runs) + 16;
    double *sc = realloc(*scratch, (size_t)cap * sizeof *sc);
    if (!sc) return -1;
    *scratch = sc;
    *scratch_cap = cap;
  }
  s->batch_start[s->n_batches] = s->n;
  s->batch_len[s->n_batches++] = runs;
  /* the untimed `before` (cache eviction) counts against the cap and the
   * batch length: streaming up to twice the LLC can cost 100x a µs-scale
   * layer's run */
  double before_seconds = 0;
  for (int r = 0; r < runs; r++) {
    double tb = now(o);
    if (task->before) task->before(task->ctx);
    double t0 = now(o);
    task->work(task->ctx);
    double dt = now(o) - t0;
    s->t[s->n++] = dt;
    before_seconds += t0 - tb;
    task->seconds += dt + (t0 - tb);
  }
  double batch_median = median_of(s->t + s->n - runs, runs, *scratch);
  s->per_batch = per_batch_for(o, batch_median + before_seconds / runs);
  drop_outliers(s, task, o, *scratch);
  double kept = 0;
  for (int k = 0; k < s->n; k++) kept += s->t[k];
  int ok = s->n > 0 && summarise(s, task, o, *scratch);
  /* converged: the CI met the target when the task stopped, whatever stopped it */
  task->converged = ok;
  /* the time cap waits for a few runs: one slow first run (a lazy device
   * start, page faults) must not become the median */
  int few = s->n < (o->min_runs < MIN_RUNS_BEFORE_CAP ? o->min_runs : MIN_RUNS_BEFORE_CAP);
  if ((s->n >= o->min_runs && kept >= o->min_seconds && ok) || s->n >= o->max_runs ||
      (task->seconds >= o->max_seconds && !few) || (o->stop && *o->stop))
    s->done = 1;
  return 0;
}

/* Racing: stops the running tasks whose CI lies above race_ratio x the
 * lowest CI high end of any task; returns how many it stopped. */
static int race(task_state *s, sp_protocol_task *tasks, int n, const sp_protocol_options *o) {
  if (!(o->race_ratio > 1) || n < 2) return 0;
  double best = INFINITY;
  for (int i = 0; i < n; i++)
    if (tasks[i].ci_hi > 0 && tasks[i].ci_hi < best) best = tasks[i].ci_hi;
  int stopped = 0;
  for (int i = 0; i < n; i++)
    if (!s[i].done && s[i].n >= o->min_runs && tasks[i].ci_lo > o->race_ratio * best) {
      s[i].done = tasks[i].dominated = 1;
      stopped++;
    }
  return stopped;
}

sp_status sp_protocol_run(sp_protocol_task *tasks, int n, const sp_protocol_options *opt) {
  sp_status st = sp_protocol_options_check(opt);
  if (st) return st;
  task_state *s = calloc(n > 0 ? (size_t)n : 1, sizeof *s);
  double *scratch = NULL;
  int scratch_cap = 0, failed = !s;
  for (int i = 0; i < n && !failed; i++) {
    sp_protocol_task *t = &tasks[i];
    t->timing = (sp_timing){0};
    t->ci_lo = t->ci_hi = t->seconds = 0;
    t->noise = 1;
    t->converged = t->remeasured = t->dominated = 0;
    double last = 0; /* the last warm-up's run and `before`, as a batch counts them */
    for (int w = 0; w < opt->warmup; w++) {
      double tb = now(opt);
      if (t->before) t->before(t->ctx);
      t->work(t->ctx);
      last = now(opt) - tb;
    }
    s[i].per_batch = opt->warmup ? per_batch_for(opt, last) : 1;
  }
  for (int active = n; active > 0 && !failed;) {
    for (int i = 0; i < n && !failed; i++) {
      if (s[i].done) continue;
      if (step(&s[i], &tasks[i], opt, &scratch, &scratch_cap)) failed = 1;
      else if (s[i].done) active--;
    }
    if (!failed) active -= race(s, tasks, n, opt);
  }
  for (int i = 0; s && i < n; i++) {
    free(s[i].t);
    free(s[i].batch_start);
    free(s[i].batch_len);
  }
  free(s);
  free(scratch);
  return failed ? sp_fail(SP_ERR_RUNTIME, "timing protocol: out of memory") : SP_OK;
}

int sp_protocol_measure_driver(void *protocol, void (*work)(void *ctx), void (*before)(void *ctx), void *ctx,
                               sp_timing *out) {
  sp_protocol_task task = {.work = work, .before = before, .ctx = ctx};
  sp_status s = sp_protocol_run(&task, 1, protocol);
  *out = task.timing;
  return s ? -1 : 0;
}

sp_measure_options sp_protocol_measure_options(const sp_protocol_options *p) {
  sp_measure_options m = sp_measure_options_default();
  m.driver = sp_protocol_measure_driver;
  m.driver_ctx = (void *)p;
  return m;
}
