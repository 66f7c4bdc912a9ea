/* Measuring on the quieter core (quiet_core.h). */
#define _GNU_SOURCE /* sched_setaffinity, CPU_SET */
#include "profiler/quiet_core.h"

#include <omp.h>
#include <sched.h>

#include "engine/core/timer.h"

static cpu_set_t saved;   /* the mask before the first pin */
static int saved_valid;

/* Starts OpenMP's worker threads while this thread still has its whole
 * mask: workers inherit the mask of the thread that creates them, and
 * libgomp keeps them for later teams of up to that many threads. */
static void start_workers(int threads) {
#pragma omp parallel num_threads(threads)
  { (void)omp_get_thread_num(); }
}

static int pin(int cpu) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  return sched_setaffinity(0, sizeof one, &one) == 0;
}

/* The median time of `runs` calls after 2 untimed ones (caches warm). */
static double median_time(void (*fn)(void *), void *ctx, int runs) {
  double t[64];
  fn(ctx), fn(ctx);
  for (int r = 0; r < runs; r++) {
    double t0 = sp_time_now();
    fn(ctx);
    t[r] = sp_time_now() - t0;
  }
  return sp_quantile(t, runs, 0.5);
}

sp_quiet_core sp_quiet_core_pin(void (*fn)(void *), void *ctx, int runs) {
  sp_quiet_core q = {.cpu = -1};
  if (runs < 1) return q;
  if (runs > 64) runs = 64;
  if (!saved_valid) {
    if (sched_getaffinity(0, sizeof saved, &saved)) return q;
    saved_valid = 1;
    start_workers(CPU_COUNT(&saved));
  }
  for (int c = 0; c < CPU_SETSIZE && q.n < SP_QUIET_MAX_CPUS; c++)
    if (CPU_ISSET(c, &saved)) q.cpus[q.n++] = c;
  if (q.n < 2) { /* nothing to choose */
    q.n = 1;
    q.fastest = q.median[0] = median_time(fn, ctx, runs);
    return q;
  }
  int best = -1;
  for (int k = 0; k < q.n; k++) {
    if (!pin(q.cpus[k])) {
      sp_quiet_core_release();
      return (sp_quiet_core){.cpu = -1};
    }
    q.median[k] = median_time(fn, ctx, runs);
    if (best < 0 || q.median[k] < q.median[best]) best = k;
  }
  if (!pin(q.cpus[best])) {
    sp_quiet_core_release();
    return (sp_quiet_core){.cpu = -1};
  }
  fn(ctx); /* warm again where it stays */
  q.cpu = q.cpus[best];
  q.fastest = q.median[best];
  return q;
}

void sp_quiet_core_release(void) {
  if (saved_valid) sched_setaffinity(0, sizeof saved, &saved);
}
