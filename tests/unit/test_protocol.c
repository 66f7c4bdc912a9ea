/* The timing protocol on synthetic timers: a fake clock that each "run"
 * advances by a base time times injected noise and drift, so that the
 * stopping rule, the caps, outlier re-measurement and the round-robin
 * order are checked exactly, with no real timing. */
#include <math.h>
#include <string.h>

#include "engine/core/rng.h"
#include "profiler/protocol.h"
#include "tests/unit/testing.h"

typedef struct fake_clock {
  double now;
  double slow_from, slow_to, slow_factor; /* a period when the machine is slower */
  int order[4096], n_order;               /* which work ran, in order */
} fake_clock;

typedef struct fake_work {
  fake_clock *clock;
  int id;
  double base;      /* seconds per run */
  double noise;     /* relative uniform noise, +- */
  sp_rng rng;
  int runs;
} fake_work;

static double clock_now(void *ctx) { return ((fake_clock *)ctx)->now; }

static void work(void *ctx) {
  fake_work *w = ctx;
  fake_clock *c = w->clock;
  double t = w->base * (1 + w->noise * (2 * sp_rng_uniform(&w->rng) - 1));
  if (c->now >= c->slow_from && c->now < c->slow_to) t *= c->slow_factor;
  c->now += t;
  w->runs++;
  if (c->n_order < 4096) c->order[c->n_order++] = w->id;
}

static sp_protocol_options options(fake_clock *c) {
  sp_protocol_options o = sp_protocol_options_default();
  o.clock = clock_now;
  o.clock_ctx = c;
  return o;
}

static void test_ci_ranks(void) {
  int lo, hi;
  CHECK(!sp_median_ci_ranks(5, &lo, &hi));
  CHECK(sp_median_ci_ranks(6, &lo, &hi) && lo == 0 && hi == 5); /* 1 - 2/64 = 96.9% */
  CHECK(sp_median_ci_ranks(10, &lo, &hi) && lo == 1 && hi == 8); /* table value: x(2), x(9) */
  CHECK(sp_median_ci_ranks(100, &lo, &hi) && lo == 39 && hi == 60); /* x(40), x(61) */
  /* the interval narrows like 1/sqrt(n) */
  CHECK(sp_median_ci_ranks(10000, &lo, &hi) && hi - lo < 220 && hi - lo > 180);
}

/* Quiet work converges quickly and within the target. */
static void test_converges(void) {
  fake_clock c = {0};
  fake_work w = {.clock = &c, .base = 1e-3, .noise = 0.01};
  sp_rng_seed(&w.rng, 1);
  sp_protocol_options o = options(&c);
  sp_protocol_task t = {.work = work, .ctx = &w};
  CHECK(sp_protocol_run(&t, 1, &o) == SP_OK);
  CHECK(t.converged);
  CHECK(t.timing.n >= o.min_runs && t.timing.n < 200);
  CHECK(fabs(t.timing.median - 1e-3) < 2e-5);
  CHECK(t.ci_lo <= t.timing.median && t.timing.median <= t.ci_hi);
  CHECK(t.timing.median - t.ci_lo <= 0.03 * t.timing.median);
  CHECK(t.ci_hi - t.timing.median <= 0.03 * t.timing.median);
  CHECK(t.timing.n * 1e-3 >= o.min_seconds * 0.99);
  CHECK(w.runs == t.timing.n + o.warmup); /* nothing thrown away */
}

/* Very noisy work hits the time cap and says so. */
static void test_cap(void) {
  fake_clock c = {0};
  fake_work w = {.clock = &c, .base = 1e-3, .noise = 0.9};
  sp_rng_seed(&w.rng, 2);
  sp_protocol_options o = options(&c);
  o.rel_ci = 0.001;
  o.outlier_ratio = 100; /* noise, not outliers */
  sp_protocol_task t = {.work = work, .ctx = &w};
  CHECK(sp_protocol_run(&t, 1, &o) == SP_OK);
  CHECK(!t.converged);
  CHECK(t.seconds >= o.max_seconds && t.seconds < o.max_seconds + 0.05);
  CHECK(t.noise > 0.001);
  /* the run cap too */
  o.max_runs = 50;
  CHECK(sp_protocol_run(&t, 1, &o) == SP_OK);
  CHECK(t.timing.n == 50 && !t.converged);
}

/* A slow untimed `before` (the cache eviction) stays out of the timings but
 * counts against the time cap: a 10 us run after 1 ms of eviction stops
 * near 0.25 s of wall time, not after max_runs (2 s of eviction). */
static void evict_1ms(void *ctx) { ((fake_work *)ctx)->clock->now += 1e-3; }

static void test_before_counts_against_cap(void) {
  fake_clock c = {0};
  fake_work w = {.clock = &c, .base = 1e-5, .noise = 0.01};
  sp_rng_seed(&w.rng, 5);
  sp_protocol_options o = options(&c);
  sp_protocol_task t = {.work = work, .before = evict_1ms, .ctx = &w};
  CHECK(sp_protocol_run(&t, 1, &o) == SP_OK);
  CHECK(fabs(t.timing.median / 1e-5 - 1) < 0.02);
  CHECK(t.seconds >= o.max_seconds && t.seconds < o.max_seconds + 0.05);
  CHECK(t.timing.n < 300 && t.timing.n >= o.min_runs);
}

/* A 2x slow period during some batches: those batches are thrown away and
 * measured again, and the median stays the quiet one. */
static void test_outliers(void) {
  fake_clock c = {.slow_from = 0.004, .slow_to = 0.012, .slow_factor = 2.0};
  fake_work w = {.clock = &c, .base = 1e-3, .noise = 0.005};
  sp_rng_seed(&w.rng, 3);
  sp_protocol_options o = options(&c);
  o.batch_seconds = 0.002; /* 2 runs a batch */
  o.min_seconds = 0.03;
  sp_protocol_task t = {.work = work, .ctx = &w};
  CHECK(sp_protocol_run(&t, 1, &o) == SP_OK);
  CHECK(t.remeasured >= 2);
  CHECK(fabs(t.timing.median - 1e-3) < 2e-5);
  CHECK(t.timing.p90 < 1.1e-3); /* the slow runs are not among the kept ones */
  /* without re-measurement the slow runs stay */
  c = (fake_clock){.slow_from = 0.004, .slow_to = 0.012, .slow_factor = 2.0};
  o.max_remeasure = 0;
  CHECK(sp_protocol_run(&t, 1, &o) == SP_OK);
  CHECK(t.remeasured == 0 && t.timing.p90 > 1.5e-3);
}

/* Two works take turns (round-robin batches), so a slow period hits both:
 * their ratio survives drift that lasts longer than the outlier budget. */
static void test_round_robin(void) {
  fake_clock c = {.slow_from = 0.0, .slow_to = 0.2, .slow_factor = 2.0};
  fake_work a = {.clock = &c, .id = 0, .base = 1e-3, .noise = 0.01};
  fake_work b = {.clock = &c, .id = 1, .base = 2e-3, .noise = 0.01};
  sp_rng_seed(&a.rng, 4);
  sp_rng_seed(&b.rng, 5);
  sp_protocol_options o = options(&c);
  o.max_remeasure = 0;
  o.min_seconds = 0.1;
  sp_protocol_task t[2] = {{.work = work, .ctx = &a}, {.work = work, .ctx = &b}};
  c.slow_to = 0.06; /* slow while the first batches of both run */
  CHECK(sp_protocol_run(t, 2, &o) == SP_OK);
  int switches = 0;
  for (int i = 1; i < c.n_order; i++) switches += c.order[i] != c.order[i - 1];
  CHECK(switches >= 10); /* interleaved, not one after the other */
  double ratio = t[1].timing.median / t[0].timing.median;
  CHECK(fabs(ratio - 2.0) < 0.1);
}

/* Racing: a task 5x slower than the best stops once its CI is clear of
 * twice the best's, long before the time cap; the fast one converges. */
static void test_race(void) {
  fake_clock c = {0};
  fake_work a = {.clock = &c, .id = 0, .base = 1e-3, .noise = 0.01};
  fake_work b = {.clock = &c, .id = 1, .base = 5e-3, .noise = 0.5};
  sp_rng_seed(&a.rng, 7);
  sp_rng_seed(&b.rng, 8);
  sp_protocol_options o = options(&c);
  sp_protocol_task t[2] = {{.work = work, .ctx = &a}, {.work = work, .ctx = &b}};
  CHECK(sp_protocol_run(t, 2, &o) == SP_OK);
  CHECK(t[0].converged && !t[0].dominated);
  CHECK(t[1].dominated && !t[1].converged && t[1].timing.n >= o.min_runs);
  CHECK(t[1].seconds < o.max_seconds / 2);
  CHECK(fabs(t[1].timing.median / 5e-3 - 1) < 0.3);
  o.race_ratio = 0; /* off: the slow, noisy one runs to its cap */
  CHECK(sp_protocol_run(t, 2, &o) == SP_OK);
  CHECK(!t[1].dominated && t[1].seconds >= o.max_seconds * 0.9);
  o.race_ratio = 0.5;
  CHECK(sp_protocol_options_check(&o) == SP_ERR_INPUT && strstr(sp_last_error(), "race_ratio"));
}

/* Bad options are refused naming the field; the stop flag ends a run. */
static void test_options_and_stop(void) {
  fake_clock c = {0};
  sp_protocol_options o = options(&c);
  o.rel_ci = 0;
  CHECK(sp_protocol_options_check(&o) == SP_ERR_INPUT && strstr(sp_last_error(), "rel_ci"));
  o = options(&c);
  o.max_runs = o.min_runs - 1;
  CHECK(sp_protocol_options_check(&o) == SP_ERR_INPUT && strstr(sp_last_error(), "max_runs"));
  o = options(&c);
  volatile sig_atomic_t stop = 1;
  o.stop = &stop;
  o.rel_ci = 1e-6;
  fake_work w = {.clock = &c, .base = 1e-3, .noise = 0.5};
  sp_rng_seed(&w.rng, 6);
  sp_protocol_task t = {.work = work, .ctx = &w};
  CHECK(sp_protocol_run(&t, 1, &o) == SP_OK);
  CHECK(t.timing.n < 20 && !t.converged);
}

int main(void) {
  test_ci_ranks();
  test_converges();
  test_cap();
  test_before_counts_against_cap();
  test_outliers();
  test_round_robin();
  test_race();
  test_options_and_stop();
  return sp_test_finish("test_protocol");
}
