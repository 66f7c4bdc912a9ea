/* Search strategies evaluated on recorded exhaustive tables (docs/search.md).
 *
 *   bench_search record DIR [--device ID] [--only STEM]
 *       measures every valid point of 4 OpenCL kernels x 4 layer shapes of
 *       the shipped width-0.5 models with the tuner's evaluator (checked
 *       against the reference, then timed) and writes DIR/<stem>.csv;
 *   bench_search refine DIR [--device ID] [--only STEM]
 *       times the 24 best points of each recorded table 5 more times, taking
 *       turns, and keeps their median: the optimum must not be a lucky
 *       timing of a loaded machine;
 *   bench_search replay DIR [SEEDS]
 *       replays random, anneal and bayes (SEEDS seeds each, default 20) on
 *       every table with a budget of 10% of its points, at least 30, and
 *       prints one markdown row per table and strategy: how many points
 *       lie within 5% of the table's optimum (and the chance that the
 *       budget's random points hit one), the median and worst gap to the
 *       optimum, the seeds within 5%, and the median evaluations needed
 *       to get within 5%.
 * A benchmark, not a test: recording takes a device and a while. */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/opencl/cl_runtime.h"
#include "engine/compress/compress.h"
#include "engine/onnx/model.h"
#include "kernels/registry.h"
#include "search/table.h"
#include "search/tune.h"

typedef struct recording {
  const char *stem, *variant, *model, *layer;
} recording;

static const recording recordings[] = {
    {"direct_r18_l1", "conv2d__direct_opencl", "resnet18:w=0.5,c=1", "layer1.0.conv1"},
    {"direct_r18_l2s2", "conv2d__direct_opencl", "resnet18:w=0.5,c=1", "layer2.0.conv1"},
    {"direct_r18_l3", "conv2d__direct_opencl", "resnet18:w=0.5,c=1", "layer3.1.conv1"},
    {"direct_mb_pw", "conv2d__direct_opencl", "mobilenet:w=0.5,c=1", "blocks.5.pw"},
    {"depthwise_mb_0", "conv2d__depthwise_opencl", "mobilenet:w=0.5,c=1", "blocks.0.dw"},
    {"depthwise_mb_1s2", "conv2d__depthwise_opencl", "mobilenet:w=0.5,c=1", "blocks.1.dw"},
    {"depthwise_mb_4", "conv2d__depthwise_opencl", "mobilenet:w=0.5,c=1", "blocks.4.dw"},
    {"depthwise_mb_8", "conv2d__depthwise_opencl", "mobilenet:w=0.5,c=1", "blocks.8.dw"},
    {"csr_r18_l1", "conv2d__csr_opencl", "resnet18:w=0.5,c=1", "layer1.0.conv1"},
    {"csr_r18_l2s2", "conv2d__csr_opencl", "resnet18:w=0.5,c=1", "layer2.0.conv1"},
    {"csr_r18_l3", "conv2d__csr_opencl", "resnet18:w=0.5,c=1", "layer3.1.conv1"},
    {"csr_mb_pw", "conv2d__csr_opencl", "mobilenet:w=0.5,c=1", "blocks.5.pw"},
    {"ternary_r18_l1", "conv2d__ternary_opencl", "resnet18:w=0.5,c=1", "layer1.0.conv1"},
    {"ternary_r18_l2s2", "conv2d__ternary_opencl", "resnet18:w=0.5,c=1", "layer2.0.conv1"},
    {"ternary_r18_l3", "conv2d__ternary_opencl", "resnet18:w=0.5,c=1", "layer3.1.conv1"},
    {"ternary_mb_pw", "conv2d__ternary_opencl", "mobilenet:w=0.5,c=1", "blocks.5.pw"},
};

/* The layer instance, space and evaluator of a recording. */
typedef struct setup {
  sp_graph *g, *inst;
  sp_search_space space;
  sp_tune_eval ev;
  sp_protocol_options proto;
} setup;

static sp_status open_setup(const recording *r, int device_index, sp_cl_device *device, setup *su) {
  memset(su, 0, sizeof *su);
  su->proto = sp_protocol_options_quick();
  const sp_variant *v = sp_registry_find(r->variant);
  sp_status s = sp_model_load(r->model, &su->g);
  int node = s ? -1 : sp_graph_find(su->g, r->layer);
  if (!s && (node < 0 || !v)) s = sp_fail(SP_ERR_INPUT, "%s: no layer %s or variant %s", r->model, r->layer, r->variant);
  if (!s) s = sp_tune_instance(su->g, node, v, &su->inst);
  if (!s) s = sp_search_space_of_variant(v, su->inst, &su->inst->nodes[1], &sp_cl_info(device)->limits, &su->space);
  if (!s) s = sp_tune_eval_init(&su->ev, su->inst, v, 1, device_index, device, &su->proto);
  return s;
}

static void close_setup(setup *su) {
  sp_tune_eval_free(&su->ev);
  sp_search_space_free(&su->space);
  sp_graph_free(su->inst);
  sp_graph_free(su->g);
}

static int record_one(const recording *r, const char *dir, int device_index, sp_cl_device *device) {
  setup su;
  sp_search_result res = {0};
  sp_status s = open_setup(r, device_index, device, &su);
  sp_search_options o = sp_search_options_default();
  o.start_default = 0;
  if (!s) s = sp_search_run(&su.space, sp_tune_evaluate, &su.ev, &o, &res);
  if (!s) {
    char comment[512], shape[SP_TUNE_SHAPE_MAX], path[1024];
    sp_tune_shape_key(su.inst, &su.inst->nodes[1], 1, shape, sizeof shape);
    snprintf(comment, sizeof comment, "variant=%s model=%s layer=%s shape=[%s] device=[%s] points=%d failed=%d seconds=%.0f",
             r->variant, r->model, r->layer, shape, sp_cl_info(device)->name, su.space.n_points,
             res.n_failed, res.seconds);
    snprintf(path, sizeof path, "%s/%s.csv", dir, r->stem);
    s = sp_search_table_save(path, comment, &su.space, &res);
    printf("%s: %d points (%d failed) in %.0f s\n", path, su.space.n_points, res.n_failed, res.seconds);
    fflush(stdout);
  }
  if (s) fprintf(stderr, "bench_search: %s: %s\n", r->stem, sp_last_error());
  sp_search_result_free(&res);
  close_setup(&su);
  return s ? 1 : 0;
}

static int by_cost(const void *a, const void *b) {
  double x = ((const sp_search_trace *)a)->cost, y = ((const sp_search_trace *)b)->cost;
  return (x > y) - (x < y);
}

static int by_double(const void *a, const void *b);

/* Times the TOP best points of a recorded table REPEAT more times, taking
 * turns, and keeps the median of those timings: a single quick timing on a
 * loaded machine can be 10-40% lucky, and the optimum must not be a fluke. */
static int refine_one(const recording *r, const char *dir, int device_index, sp_cl_device *device) {
  enum { TOP = 24, REPEAT = 5 };
  char path[1024], comment[600];
  snprintf(path, sizeof path, "%s/%s.csv", dir, r->stem);
  sp_search_table t;
  setup su;
  sp_status s = sp_search_table_load(path, &t);
  if (s) {
    fprintf(stderr, "bench_search: %s\n", sp_last_error());
    return 1;
  }
  s = open_setup(r, device_index, device, &su);
  int n = t.space.n_points, top = n < TOP ? n : TOP;
  sp_search_result all = {.n_evals = n, .trace = malloc((size_t)n * sizeof *all.trace)};
  double again[TOP][REPEAT];
  if (!s && !all.trace) s = SP_ERR_RUNTIME;
  for (int p = 0; !s && p < n; p++) all.trace[p] = (sp_search_trace){p, t.cost[p]};
  if (!s) qsort(all.trace, (size_t)n, sizeof *all.trace, by_cost);
  for (int k = 0; !s && k < REPEAT; k++)
    for (int i = 0; i < top; i++) {
      int values[SP_MAX_PARAMS];
      char msg[256];
      sp_search_space_values(&t.space, all.trace[i].point, values);
      if (sp_tune_evaluate(&su.ev, values, &again[i][k], msg, sizeof msg)) again[i][k] = INFINITY;
    }
  for (int i = 0; !s && i < top; i++) {
    qsort(again[i], REPEAT, sizeof again[i][0], by_double);
    all.trace[i].cost = again[i][REPEAT / 2];
  }
  if (!s) {
    snprintf(comment, sizeof comment, "%s; best %d re-timed %d times (median)", t.comment, top, REPEAT);
    s = sp_search_table_save(path, comment, &t.space, &all);
    printf("%s: best %d points re-timed\n", path, top);
  }
  if (s) fprintf(stderr, "bench_search: %s: %s\n", r->stem, sp_last_error());
  free(all.trace);
  close_setup(&su);
  sp_search_table_free(&t);
  return s ? 1 : 0;
}

static int record(int argc, char **argv) {
  int refine = !strcmp(argv[1], "refine");
  const char *dir = argv[2], *only = NULL;
  int device_index = 0;
  for (int i = 3; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--device") && sp_cl_parse_device(argv[i + 1], &device_index)) return 2;
    if (!strcmp(argv[i], "--only")) only = argv[i + 1];
  }
  sp_cl_device *device = NULL;
  if (sp_cl_device_get(device_index, &device)) {
    fprintf(stderr, "bench_search: %s\n", sp_last_error());
    return 2;
  }
  int rc = 0;
  for (size_t i = 0; i < sizeof recordings / sizeof recordings[0]; i++)
    if (!only || !strcmp(only, recordings[i].stem))
      rc |= (refine ? refine_one : record_one)(&recordings[i], dir, device_index, device);
  return rc;
}

static int by_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, by_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void replay_table(const char *path, const char *name, int seeds) {
  sp_search_table t;
  if (sp_search_table_load(path, &t)) {
    fprintf(stderr, "bench_search: %s\n", sp_last_error());
    return;
  }
  double opt = t.cost[t.best];
  int budget = (int)ceil(0.1 * t.space.n_points);
  if (budget < 30) budget = 30;
  if (budget > t.space.n_points) budget = t.space.n_points;
  int failed = 0, near = 0;
  for (int p = 0; p < t.space.n_points; p++) {
    failed += isinf(t.cost[p]);
    near += t.cost[p] <= 1.05 * opt;
  }
  /* chance that `budget` random points hit one of the `near` ones */
  double miss = 1;
  for (int k = 0; k < budget; k++) miss *= (double)(t.space.n_points - near - k) / (t.space.n_points - k);
  for (int st = SP_SEARCH_RANDOM; st < SP_SEARCH_STRATEGY_COUNT; st++) {
    double gap[256], evals[256];
    int within = 0, reached = 0;
    for (int seed = 1; seed <= seeds; seed++) {
      sp_search_options o = sp_search_options_default();
      o.strategy = st;
      o.seed = (uint64_t)seed;
      o.max_evals = budget;
      sp_search_result r;
      if (sp_search_run(&t.space, sp_search_table_eval, &t, &o, &r)) continue;
      gap[seed - 1] = r.best >= 0 ? 100 * (r.best_cost / opt - 1) : INFINITY;
      within += gap[seed - 1] <= 5;
      double best = INFINITY;
      for (int k = 0; k < r.n_evals; k++) {
        best = fmin(best, r.trace[k].cost);
        if (best <= 1.05 * opt) {
          evals[reached++] = k + 1;
          break;
        }
      }
      sp_search_result_free(&r);
    }
    double worst = 0;
    for (int i = 0; i < seeds; i++) worst = fmax(worst, gap[i]);
    char to5[32] = "-";
    if (reached * 2 > seeds) snprintf(to5, sizeof to5, "%.0f", median(evals, reached));
    printf("| %-18s | %5d | %4d | %3d (%2.0f%%) | %4d | %-8s | %6.1f%% | %6.1f%% | %5d/%d | %5s |\n",
           name, t.space.n_points, failed, near, 100 * (1 - miss), budget,
           sp_search_strategy_name(st), median(gap, seeds), worst, within, seeds, to5);
  }
  sp_search_table_free(&t);
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay(int argc, char **argv) {
  const char *dir = argv[2];
  int seeds = argc > 3 ? atoi(argv[3]) : 20;
  if (seeds < 1 || seeds > 256) seeds = 20;
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "bench_search: cannot open %s\n", dir);
    return 2;
  }
  char *names[256];
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) && n < 256;) {
    size_t len = strlen(e->d_name);
    if (len > 4 && !strcmp(e->d_name + len - 4, ".csv")) names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, (size_t)n, sizeof *names, by_name);
  printf("| table              | points | failed | within 5%% of opt. (random hit chance) | budget | strategy | median gap | worst gap | seeds within 5%% | evals to 5%% |\n");
  printf("|--------------------|-------:|-------:|---------------------:|-------:|----------|-----------:|----------:|-----------:|------------:|\n");
  for (int i = 0; i < n; i++) {
    char path[1024], stem[256];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    snprintf(stem, sizeof stem, "%.*s", (int)strlen(names[i]) - 4, names[i]);
    replay_table(path, stem, seeds);
    free(names[i]);
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && (!strcmp(argv[1], "record") || !strcmp(argv[1], "refine"))) return record(argc, argv);
  if (argc >= 3 && !strcmp(argv[1], "replay")) return replay(argc, argv);
  fprintf(stderr, "usage: bench_search record DIR [--device ID] [--only STEM]\n"
                  "       bench_search refine DIR [--device ID] [--only STEM]\n"
                  "       bench_search replay DIR [SEEDS]\n");
  return 2;
}
