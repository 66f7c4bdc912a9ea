/* Measuring on the quieter core (profiler/quiet_core.h): the workload runs on
 * every CPU of the thread's mask, the thread ends pinned to the one with the
 * lowest median, OpenMP's workers keep the whole mask (a pinned master must
 * not put a parallel layer's threads on one CPU), and release gives the mask
 * back; with one CPU it is timed and nothing pinned (taskset -c 0 tests that
 * branch). Which CPU wins is the machine's business, not the test's. */
#define _GNU_SOURCE
#include <omp.h>
#include <sched.h>

#include "profiler/quiet_core.h"
#include "tests/unit/testing.h"

typedef struct seen {
  int calls;
  int on[SP_QUIET_MAX_CPUS * 4];
} seen;

static void work(void *ctx) {
  seen *s = ctx;
  volatile double x = 0;
  for (int i = 0; i < 20000; i++) x += i;
  if (s->calls < (int)(sizeof s->on / sizeof s->on[0])) s->on[s->calls] = sched_getcpu();
  s->calls++;
}

static int mask_count(void) {
  cpu_set_t m;
  return sched_getaffinity(0, sizeof m, &m) ? -1 : CPU_COUNT(&m);
}

int main(void) {
  const int cpus = mask_count();
  CHECK(cpus >= 1);
  seen s = {0};
  sp_quiet_core q = sp_quiet_core_pin(work, &s, 3);
  if (cpus < 2) {
    /* nothing to choose: timed where it is, nothing pinned */
    CHECK(q.cpu == -1 && q.n == 1 && s.calls == 5 && q.fastest == q.median[0] && q.fastest > 0);
    return sp_test_finish("test_quiet_core");
  }
  CHECK(q.n == (cpus < SP_QUIET_MAX_CPUS ? cpus : SP_QUIET_MAX_CPUS));
  CHECK_MSG(q.cpu >= 0, "not pinned with %d CPUs", cpus);
  /* 2 untimed + 3 timed runs on each CPU, on that CPU; one more where it stays */
  CHECK(s.calls == 5 * q.n + 1);
  for (int k = 0; k < q.n && 5 * k + 4 < (int)(sizeof s.on / sizeof s.on[0]); k++)
    for (int r = 0; r < 5; r++) CHECK_MSG(s.on[5 * k + r] == q.cpus[k], "run %d of cpu %d on %d", r, q.cpus[k], s.on[5 * k + r]);
  int best = 0;
  for (int k = 0; k < q.n; k++) {
    CHECK(q.median[k] > 0);
    if (q.median[k] < q.median[best]) best = k;
  }
  CHECK(q.cpu == q.cpus[best] && q.fastest == q.median[best]);
  CHECK(mask_count() == 1 && sched_getcpu() == q.cpu);
  /* the workers of a parallel region keep the whole mask */
  int worker_mask = -1;
#pragma omp parallel num_threads(2)
  {
    if (omp_get_thread_num() == 1) worker_mask = mask_count();
  }
  CHECK_MSG(worker_mask == cpus, "worker mask %d of %d CPUs", worker_mask, cpus);
  /* a second pin starts from the whole mask again */
  s.calls = 0;
  q = sp_quiet_core_pin(work, &s, 2);
  CHECK(q.cpu >= 0 && s.calls == 4 * q.n + 1);
  sp_quiet_core_release();
  CHECK(mask_count() == cpus);
  return sp_test_finish("test_quiet_core");
}
