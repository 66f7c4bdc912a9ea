/* bench_conv: every dense CPU variant on every distinct layer of the zoo
 * nets (width 1, batch 1, BN folded and ReLU fused as `infer` runs them),
 * at 1..T threads, one line a (layer, variant, threads):
 *
 *   bench_conv [--models vgg16,resnet18,mobilenet] [--threads T] [--seconds S]
 *              [--only SUBSTRING] [--p10] [--interference]
 *
 * Columns: median ms of a call (sp_layer_bench: weights prepared beforehand,
 * 2 warm-ups, then runs until S seconds; --p10: the 10th percentile
 * instead, the better estimate of an undisturbed call on a busy machine),
 * GFLOP/s (2 x MACs; none for
 * weightless ops), % of the measured single-core FMA peak times the
 * threads, and for the im2col and 1x1 OpenBLAS variants the ratio own
 * GEMM time / OpenBLAS time (> 1: OpenBLAS faster).
 *
 * --interference times an OpenBLAS and an own-GEMM convolution right after
 * an OpenMP parallel region (as in a network where an OpenMP kernel precedes
 * the BLAS layer) against the same calls back to back: libgomp's idle
 * threads spin for a while after a region (OMP_WAIT_POLICY, GOMP_SPINCOUNT)
 * and can take the cores OpenBLAS's own threads need. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/graph/zoo.h"
#include "kernels/registry.h"
#include "profiler/layer_bench.h"
#include "profiler/peak.h"
#include "engine/core/timer.h"

/* The variants compared: dense or weightless, no reference, no OpenCL. */
static int benched(const sp_variant *v) {
  return v->algo != SP_ALGO_REFERENCE &&
         (v->format == SP_FORMAT_DENSE || v->format == SP_FORMAT_NONE) &&
         v->backend != SP_BACKEND_OPENCL && v->backend != SP_BACKEND_CLBLAST;
}

static int benched_op(sp_op op) {
  return op == SP_OP_CONV2D || op == SP_OP_FC || op == SP_OP_MAXPOOL || op == SP_OP_AVGPOOL ||
         op == SP_OP_GLOBAL_AVGPOOL || op == SP_OP_ADD || op == SP_OP_RELU ||
         op == SP_OP_RELU6 || op == SP_OP_SOFTMAX;
}

/* Whether an earlier node of g has the same op and geometry as node i. */
static int seen_before(const sp_graph *g, int i) {
  const sp_node *n = &g->nodes[i];
  sp_dims in = sp_node_in(g, n, 0);
  for (int j = 1; j < i; j++) {
    const sp_node *m = &g->nodes[j];
    sp_dims mi = sp_node_in(g, m, 0);
    if (m->op == n->op && mi.c == in.c && mi.h == in.h && mi.w == in.w && m->out.c == n->out.c &&
        m->out.h == n->out.h && m->out.w == n->out.w && m->groups == n->groups &&
        !memcmp(&m->win, &n->win, sizeof n->win))
      return 1;
  }
  return 0;
}

static void describe(const sp_graph *g, const sp_node *n, char *buf, size_t size) {
  sp_dims in = sp_node_in(g, n, 0);
  if (n->op == SP_OP_CONV2D)
    snprintf(buf, size, "%s %dx%d/%d%s %d->%d @%dx%d", n->name, n->win.kh, n->win.kw, n->win.sh,
             n->groups > 1 ? " dw" : "", in.c, n->out.c, in.h, in.w);
  else
    snprintf(buf, size, "%s %s %dx%dx%d", n->name, sp_op_name(n->op), in.c, in.h, in.w);
}

static int use_p10; /* report the 10th percentile instead of the median */

static double stat(const sp_timing *t) { return use_p10 ? t->p10 : t->median; }

static double time_variant(const sp_graph *g, int i, const char *name, int threads,
                           const sp_measure_options *mo) {
  const sp_variant *v = sp_registry_find(name);
  sp_layer_timing t;
  if (!v || !sp_variant_supports(v, g, &g->nodes[i])) return 0;
  if (sp_layer_bench(g, i, v, 1, threads, mo, &t)) return 0;
  return stat(&t.time);
}

static void bench_model(const char *model, int max_threads, const sp_measure_options *mo,
                        const char *only, double peak) {
  sp_zoo_spec spec;
  sp_graph *g = NULL;
  if (sp_zoo_parse(model, &spec) || sp_zoo_build(&spec, &g) || sp_graph_optimize(g)) {
    fprintf(stderr, "bench_conv: %s: %s\n", model, sp_last_error());
    sp_graph_free(g);
    return;
  }
  int count = 0;
  const sp_variant *variants = sp_registry_variants(&count);
  printf("\n# %s, batch 1, %s\n# %-40s %-28s %2s %9s %8s %6s %s\n", g->name,
         use_p10 ? "p10" : "median", "layer", "variant", "T",
         "ms", "GFLOP/s", "%peak", "own/blas");
  for (int i = 1; i < g->n_nodes; i++) {
    const sp_node *n = &g->nodes[i];
    if (!benched_op(n->op) || seen_before(g, i)) continue;
    char what[96];
    describe(g, n, what, sizeof what);
    if (only && !strstr(what, only)) continue;
    double flop = 2.0 * (double)sp_node_macs(g, n);
    for (int threads = 1; threads <= max_threads; threads++) {
      double best = 0;
      const char *best_name = "";
      for (int vi = 0; vi < count; vi++) {
        const sp_variant *v = &variants[vi];
        if (!benched(v) || !sp_variant_supports(v, g, n)) continue;
        if (threads > 1 && v->backend == SP_BACKEND_SERIAL) continue;
        sp_layer_timing t;
        if (sp_layer_bench(g, i, v, 1, threads, mo, &t)) {
          printf("  %-40s %-28s %2d failed: %s\n", what, v->name, threads, sp_last_error());
          continue;
        }
        double s = stat(&t.time), gf = flop / s / 1e9;
        char ratio[16] = "";
        if (v->backend == SP_BACKEND_BLAS && n->op == SP_OP_CONV2D) {
          /* own GEMM of the same algorithm at the same thread count */
          const char *own = v->algo == SP_ALGO_IM2COL_GEMM
                                ? (threads > 1 ? "conv2d__im2col_gemm_omp" : "conv2d__im2col_gemm_serial")
                                : (threads > 1 ? "conv2d__1x1_gemm_omp" : "conv2d__1x1_gemm_serial");
          double o = time_variant(g, i, own, threads, mo);
          if (o > 0) snprintf(ratio, sizeof ratio, "%.2f", o / s);
        }
        if (flop > 0)
          printf("  %-40s %-28s %2d %9.4f %8.1f %5.0f%% %s\n", what, v->name, threads, s * 1e3, gf,
                 peak > 0 ? 100 * gf / (peak * threads) : 0.0, ratio);
        else
          printf("  %-40s %-28s %2d %9.4f %8s %6s\n", what, v->name, threads, s * 1e3, "-", "-");
        if (best == 0 || s < best) best = s, best_name = v->name;
      }
      if (best > 0)
        printf("  %-40s best at %d thread%s: %s %.4f ms%s\n", what, threads, threads > 1 ? "s" : "",
               best_name, best * 1e3, "");
    }
  }
  sp_graph_free(g);
}

/* --interference: conv call timed alone vs right after a parallel region. */
typedef struct chained {
  const sp_variant *v;
  sp_kernel_args a;
  int threads;
  int region; /* open an OpenMP region with `threads` threads first */
} chained;

static volatile int sink;

static void chained_run(void *ctx) {
  chained *c = ctx;
  if (c->region) {
#pragma omp parallel num_threads(c->threads)
    sink++; /* a racy counter is fine: only the region's cost matters */
  }
  if (c->v) c->v->run(&c->a);
}

static void interference(int threads, const sp_measure_options *mo) {
  sp_zoo_spec spec;
  sp_graph *g = NULL;
  if (sp_zoo_parse("vgg16", &spec) || sp_zoo_build(&spec, &g) || sp_graph_optimize(g)) {
    fprintf(stderr, "bench_conv: vgg16: %s\n", sp_last_error());
    sp_graph_free(g);
    return;
  }
  const char *env = getenv("OMP_WAIT_POLICY"), *spin = getenv("GOMP_SPINCOUNT");
  printf("\n# interference, %d threads, OMP_WAIT_POLICY=%s GOMP_SPINCOUNT=%s: %s ms of\n"
         "#   alone: the conv back to back; after: an empty %d-thread OpenMP region then the\n"
         "#   conv, minus the region alone\n# %-40s %-28s %9s %9s %7s\n",
         threads, env ? env : "(unset)", spin ? spin : "(unset)", use_p10 ? "p10" : "median",
         threads, "layer", "variant",
         "alone", "after", "ratio");
  static const char *const names[] = {"conv2d__im2col_blas", "conv2d__im2col_gemm_omp"};
  for (int i = 1; i < g->n_nodes; i++) {
    const sp_node *n = &g->nodes[i];
    if (n->op != SP_OP_CONV2D || seen_before(g, i)) continue;
    char what[96];
    describe(g, n, what, sizeof what);
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
      const sp_variant *v = sp_registry_find(names[k]);
      if (!v) continue;
      size_t in_count = sp_dims_count(sp_node_in(g, n, 0)), out_count = sp_dims_count(n->out);
      size_t ws = v->workspace_bytes ? v->workspace_bytes(g, n, 1) : 0;
      void *prep = NULL;
      size_t bytes = 0;
      if (v->prepare && v->prepare(g, n, &prep, &bytes)) continue;
      float *in = calloc(in_count, sizeof *in), *out = malloc(out_count * sizeof *out);
      chained c = {.v = v, .threads = threads,
                   .a = {.graph = g, .node = n, .batch = 1, .threads = threads, .out = out,
                         .out_dims = n->out, .workspace = ws ? malloc(ws) : NULL,
                         .prepared = prep}};
      c.a.in[0] = in;
      c.a.in_dims[0] = sp_node_in(g, n, 0);
      sp_timing alone, after, region;
      sp_measure(chained_run, &c, mo, &alone);
      c.region = 1;
      sp_measure(chained_run, &c, mo, &after);
      c.v = NULL;
      sp_measure(chained_run, &c, mo, &region);
      double a = stat(&alone), b = stat(&after) - stat(&region);
      printf("  %-40s %-28s %9.4f %9.4f %7.2f\n", what, v->name, a * 1e3, b * 1e3, b / a);
      free(in), free(out), free(c.a.workspace);
      if (prep) v->release(prep);
    }
  }
  sp_graph_free(g);
}

int main(int argc, char **argv) {
  const char *models = "vgg16,resnet18,mobilenet", *only = NULL;
  int threads = 2, inter = 0;
  double seconds = 0.1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--models") && i + 1 < argc) {
      models = argv[++i];
    } else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
      threads = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
      seconds = atof(argv[++i]);
    } else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
      only = argv[++i];
    } else if (!strcmp(argv[i], "--p10")) {
      use_p10 = 1;
    } else if (!strcmp(argv[i], "--interference")) {
      inter = 1;
    } else {
      fprintf(stderr,
              "usage: %s [--models a,b] [--threads T] [--seconds S] [--only SUBSTRING] [--p10] "
              "[--interference]\n",
              argv[0]);
      return 2;
    }
  }
  if (threads < 1 || !(seconds > 0)) {
    fprintf(stderr, "bench_conv: need --threads >= 1 and --seconds > 0\n");
    return 2;
  }
  sp_measure_options mo = sp_measure_options_default();
  mo.min_seconds = seconds;
  double peak = sp_peak_gflops_per_core();
  printf("# single-core FMA peak %.1f GFLOP/s (measured)\n", peak);
  if (inter) {
    interference(threads, &mo);
    return 0;
  }
  char list[256];
  snprintf(list, sizeof list, "%s", models);
  for (char *m = strtok(list, ","); m; m = strtok(NULL, ",")) bench_model(m, threads, &mo, only, peak);
  return 0;
}
