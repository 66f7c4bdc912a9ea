/* Search strategies on synthetic spaces: constraints respected, every
 * point evaluated at most once, exhaustive finds the true optimum, seeded
 * runs reproduce, limits stop, failures are recorded and never stop a
 * search; a real variant's space obeys its device limits. */
#include <math.h>
#include <string.h>

#include "kernels/registry.h"
#include "search/search.h"
#include "tests/unit/testing.h"

static const int a_values[] = {1, 2, 4, 8, 16, 32}, b_values[] = {1, 2, 4, 8},
                 c_values[] = {1, 2, 4, 8, 16};

/* a * b <= 64 and c divides 4 * a: what a work-group and tile rule looks like. */
static int synthetic_valid(void *ctx, const int *v) {
  (void)ctx;
  return v[0] * v[1] <= 64 && (4 * v[0]) % v[2] == 0;
}

typedef struct counter {
  int evals, invalid, failing, seen[6 * 4 * 5];
} counter;

static int cell(const int *v) {
  int a = 0, b = 0, c = 0;
  while (a_values[a] != v[0]) a++;
  while (b_values[b] != v[1]) b++;
  while (c_values[c] != v[2]) c++;
  return (a * 4 + b) * 5 + c;
}

/* A smooth bowl in log2 space, optimum at (8, 2, 4) = 1.0; a = 32 with
 * c = 16 fails (a kernel that does not build). */
static int synthetic_eval(void *ctx, const int *v, double *cost, char *msg, size_t cap) {
  counter *k = ctx;
  k->evals++;
  k->invalid += !synthetic_valid(NULL, v);
  k->seen[cell(v)]++;
  if (v[0] == 32 && v[2] == 16) {
    k->failing++;
    snprintf(msg, cap, "build failed at a=%d c=%d", v[0], v[2]);
    return 1;
  }
  double x = log2(v[0]) - 3, y = log2(v[1]) - 1, z = log2(v[2]) - 2;
  *cost = 1.0 + x * x + 0.5 * y * y + 0.3 * z * z;
  return 0;
}

static sp_search_space synthetic_space(void) {
  const char *names[] = {"a", "b", "c"};
  const int n_values[] = {6, 4, 5};
  const int *values[] = {a_values, b_values, c_values};
  const int defaults[] = {4, 4, 8};
  sp_search_space s;
  CHECK(sp_search_space_build(3, names, n_values, values, defaults, synthetic_valid, NULL, &s) == SP_OK);
  return s;
}

static int count_valid(void) {
  int n = 0, v[3];
  for (int a = 0; a < 6; a++)
    for (int b = 0; b < 4; b++)
      for (int c = 0; c < 5; c++) {
        v[0] = a_values[a], v[1] = b_values[b], v[2] = c_values[c];
        n += synthetic_valid(NULL, v);
      }
  return n;
}

static void test_space(void) {
  sp_search_space s = synthetic_space();
  CHECK(s.n_points == count_valid() && s.n_points > 40 && s.n_points < 120);
  int v[3] = {4, 4, 8}, got[3];
  CHECK(s.default_point >= 0 && s.default_point == sp_search_space_find_values(&s, v));
  sp_search_space_values(&s, s.default_point, got);
  CHECK(!memcmp(v, got, sizeof v));
  v[0] = 32, v[1] = 4; /* 128 > 64: invalid */
  CHECK(sp_search_space_find_values(&s, v) == -1);
  v[0] = 3;
  CHECK(sp_search_space_find_values(&s, v) == -1);
  for (int p = 0; p < s.n_points; p++) {
    sp_search_space_values(&s, p, got);
    CHECK(synthetic_valid(NULL, got));
  }
  sp_search_space_free(&s);
  const char *names[] = {"x"};
  const int n_values[] = {3}, bad[] = {1, 1, 2};
  const int *values[] = {bad};
  CHECK(sp_search_space_build(1, names, n_values, values, NULL, NULL, NULL, &s) == SP_ERR_INPUT);
}

static void test_exhaustive(void) {
  sp_search_space s = synthetic_space();
  counter k = {0};
  sp_search_options o = sp_search_options_default();
  sp_search_result r;
  CHECK(sp_search_run(&s, synthetic_eval, &k, &o, &r) == SP_OK);
  CHECK(r.n_evals == s.n_points && k.evals == s.n_points && k.invalid == 0);
  for (int i = 0; i < 120; i++) CHECK(k.seen[i] <= 1);
  int best[3];
  sp_search_space_values(&s, r.best, best);
  CHECK(best[0] == 8 && best[1] == 2 && best[2] == 4 && r.best_cost == 1.0);
  CHECK(r.n_failed == k.failing && k.failing > 0);
  CHECK(strstr(r.first_error, "build failed") != NULL);
  CHECK(r.trace[0].point == s.default_point && r.default_cost == r.trace[0].cost);
  CHECK(r.stop == SP_SEARCH_STOP_DONE);
  int inf = 0;
  for (int i = 0; i < r.n_evals; i++) inf += isinf(r.trace[i].cost);
  CHECK(inf == r.n_failed);
  sp_search_result_free(&r);
  sp_search_space_free(&s);
}

/* Runs a strategy; returns its trace's points as a fingerprint. */
static unsigned long long run_strategy(sp_search_strategy st, uint64_t seed, int budget,
                                       sp_search_result *r, counter *k) {
  sp_search_space s = synthetic_space();
  memset(k, 0, sizeof *k);
  sp_search_options o = sp_search_options_default();
  o.strategy = st;
  o.seed = seed;
  o.max_evals = budget;
  CHECK(sp_search_run(&s, synthetic_eval, k, &o, r) == SP_OK);
  unsigned long long h = 1469598103934665603ull;
  for (int i = 0; i < r->n_evals; i++) h = (h ^ (unsigned)r->trace[i].point) * 1099511628211ull;
  sp_search_space_free(&s);
  return h;
}

static void test_strategies(void) {
  for (int st = SP_SEARCH_RANDOM; st < SP_SEARCH_STRATEGY_COUNT; st++) {
    sp_search_result r1, r2, r3;
    counter k;
    unsigned long long h1 = run_strategy(st, 7, 25, &r1, &k);
    CHECK_MSG(k.invalid == 0, "%s evaluated an invalid point", sp_search_strategy_name(st));
    int repeats = 0;
    for (int i = 0; i < 120; i++) repeats += k.seen[i] > 1;
    CHECK_MSG(repeats == 0, "%s evaluated a point twice", sp_search_strategy_name(st));
    CHECK(r1.n_evals == 25 && r1.stop == SP_SEARCH_STOP_BUDGET);
    unsigned long long h2 = run_strategy(st, 7, 25, &r2, &k);
    unsigned long long h3 = run_strategy(st, 8, 25, &r3, &k);
    CHECK_MSG(h1 == h2, "%s is not reproducible", sp_search_strategy_name(st));
    CHECK_MSG(h1 != h3, "%s ignores its seed", sp_search_strategy_name(st));
    double lowest = INFINITY;
    for (int i = 0; i < r1.n_evals; i++) lowest = fmin(lowest, r1.trace[i].cost);
    CHECK(r1.best >= 0 && r1.best_cost == lowest);
    sp_search_result_free(&r1);
    sp_search_result_free(&r2);
    sp_search_result_free(&r3);
    /* an unlimited budget ends after every point, as exhaustive does */
    run_strategy(st, 3, 0, &r1, &k);
    sp_search_space s = synthetic_space();
    CHECK_MSG(r1.n_evals == s.n_points && r1.best_cost == 1.0, "%s unlimited: %d of %d",
              sp_search_strategy_name(st), r1.n_evals, s.n_points);
    sp_search_space_free(&s);
    sp_search_result_free(&r1);
  }
}

/* Model-guided and annealing searches beat the budget's random expectation
 * on a smooth bowl: over 10 seeds, the median best is within 10% of the
 * optimum with a third of the space. */
static void test_quality(void) {
  sp_search_space s = synthetic_space();
  int budget = s.n_points / 3;
  sp_search_space_free(&s);
  for (int st = SP_SEARCH_ANNEAL; st < SP_SEARCH_STRATEGY_COUNT; st++) {
    int good = 0;
    for (uint64_t seed = 1; seed <= 10; seed++) {
      sp_search_result r;
      counter k;
      run_strategy(st, seed, budget, &r, &k);
      good += r.best_cost <= 1.1;
      sp_search_result_free(&r);
    }
    CHECK_MSG(good >= 5, "%s: %d of 10 seeds within 10%%", sp_search_strategy_name(st), good);
  }
}

static void test_limits(void) {
  sp_search_space s = synthetic_space();
  counter k = {0};
  sp_search_result r;
  sp_search_options o = sp_search_options_default();
  o.strategy = SP_SEARCH_RANDOM;
  o.max_fraction = 0.25;
  CHECK(sp_search_run(&s, synthetic_eval, &k, &o, &r) == SP_OK);
  CHECK(r.n_evals == (int)floor(0.25 * s.n_points) && r.stop == SP_SEARCH_STOP_BUDGET);
  sp_search_result_free(&r);
  o.max_fraction = 0;
  o.patience = 5;
  o.strategy = SP_SEARCH_EXHAUSTIVE;
  CHECK(sp_search_run(&s, synthetic_eval, &k, &o, &r) == SP_OK);
  CHECK(r.stop == SP_SEARCH_STOP_PATIENCE && r.n_evals < s.n_points);
  sp_search_result_free(&r);
  o.patience = 0;
  o.max_seconds = 1e-12;
  CHECK(sp_search_run(&s, synthetic_eval, &k, &o, &r) == SP_OK);
  CHECK(r.stop == SP_SEARCH_STOP_TIME && r.n_evals <= 1);
  sp_search_result_free(&r);
  o.max_seconds = 0;
  o.max_fraction = 2;
  CHECK(sp_search_run(&s, synthetic_eval, &k, &o, &r) == SP_ERR_INPUT);
  sp_search_space_free(&s);
  sp_search_strategy st;
  CHECK(sp_search_strategy_parse("bayes", &st) == SP_OK && st == SP_SEARCH_BAYES);
  CHECK(sp_search_strategy_parse("genetic", &st) == SP_ERR_INPUT && strstr(sp_last_error(), "genetic"));
}

static int never_valid(void *ctx, const int *v) {
  (void)ctx, (void)v;
  return 0;
}

static int always_fails(void *ctx, const int *v, double *cost, char *msg, size_t cap) {
  (void)ctx, (void)v, (void)cost;
  snprintf(msg, cap, "launch refused");
  return 1;
}

static void test_empty_and_failing(void) {
  const char *names[] = {"a"};
  const int n_values[] = {6};
  const int *values[] = {a_values};
  sp_search_space s;
  CHECK(sp_search_space_build(1, names, n_values, values, NULL, never_valid, NULL, &s) == SP_OK);
  CHECK(s.n_points == 0 && s.default_point == -1);
  for (int st = 0; st < SP_SEARCH_STRATEGY_COUNT; st++) {
    sp_search_options o = sp_search_options_default();
    o.strategy = st;
    sp_search_result r;
    CHECK(sp_search_run(&s, always_fails, NULL, &o, &r) == SP_OK && r.best == -1 && r.n_evals == 0);
    sp_search_result_free(&r);
  }
  sp_search_space_free(&s);
  CHECK(sp_search_space_build(1, names, n_values, values, NULL, NULL, NULL, &s) == SP_OK);
  for (int st = 0; st < SP_SEARCH_STRATEGY_COUNT; st++) {
    sp_search_options o = sp_search_options_default();
    o.strategy = st;
    sp_search_result r;
    CHECK(sp_search_run(&s, always_fails, NULL, &o, &r) == SP_OK);
    CHECK(r.best == -1 && r.n_evals == 6 && r.n_failed == 6 && strstr(r.first_error, "refused"));
    sp_search_result_free(&r);
  }
  sp_search_space_free(&s);
}

/* The direct OpenCL convolution's space under a small device: every point
 * keeps its work-group within the limit and its own rules. */
static void test_variant_space(void) {
  const sp_variant *v = sp_registry_find("conv2d__direct_opencl");
  CHECK(v && v->params);
  if (!v || !v->params) return;
  sp_device_limits lim = {.max_work_group_size = 16, .max_work_item_size = {16, 16, 16},
                          .local_mem_bytes = 32768};
  sp_search_space s, all;
  CHECK(sp_search_space_of_variant(v, NULL, NULL, &lim, &s) == SP_OK);
  CHECK(sp_search_space_of_variant(v, NULL, NULL, NULL, &all) == SP_OK);
  CHECK(s.n_points > 0 && s.n_points < all.n_points);
  int wg_x = -1, wg_y = -1, oc = -1, px = -1, vec = -1, val[SP_MAX_PARAMS];
  for (int i = 0; i < s.n_params; i++) {
    if (!strcmp(s.names[i], "wg_x")) wg_x = i;
    if (!strcmp(s.names[i], "wg_y")) wg_y = i;
    if (!strcmp(s.names[i], "oc")) oc = i;
    if (!strcmp(s.names[i], "px")) px = i;
    if (!strcmp(s.names[i], "vec")) vec = i;
  }
  CHECK(wg_x >= 0 && wg_y >= 0 && oc >= 0 && px >= 0 && vec >= 0);
  for (int p = 0; p < s.n_points && wg_x >= 0 && wg_y >= 0 && oc >= 0 && px >= 0 && vec >= 0; p++) {
    sp_search_space_values(&s, p, val);
    CHECK(val[wg_x] * val[wg_y] <= 16 && val[px] % val[vec] == 0 && val[oc] * val[px] <= 64);
  }
  sp_search_space_free(&s);
  sp_search_space_free(&all);
  CHECK(sp_search_space_of_variant(sp_registry_find("conv2d__direct_serial"), NULL, NULL, NULL, &s) ==
        SP_ERR_INPUT);
  sp_search_space_free(&s);
}

int main(void) {
  test_space();
  test_exhaustive();
  test_strategies();
  test_quality();
  test_limits();
  test_empty_and_failing();
  test_variant_space();
  return sp_test_finish("test_search");
}
