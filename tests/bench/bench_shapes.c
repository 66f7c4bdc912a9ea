/* bench_shapes: the fastest dense CPU variant on the layer shapes channel
 * pruning leaves, against the nearest shape whose channel counts are
 * multiples of 16 (issue #19's "pruned shapes" target: no shape below 70% of
 * that shape's GFLOP/s). One line a shape:
 *
 *   bench_shapes [--threads T] [--seconds S] [--only KIND]
 *
 * Shapes: for each stage of the CIFAR nets (plane side and channel count:
 * 32/16, 32/32, 16/32, 16/64, 8/64, 8/128, 4/128, 4/256, 4/512, 2/256,
 * 2/512) each kept at 1, 0.75, 0.7 (odd counts: 11, 22, 45, 90, 179, 358),
 * 0.5 and 0.25 of its channels, as a 3x3
 * convolution (c -> c), a depthwise 3x3 (c) and a pointwise 1x1 (c -> c);
 * and the first layer's 1 input channel (1 -> c, 3x3). Columns: kind, shape,
 * best variant, median ms (sp_layer_bench: weights prepared first), GFLOP/s
 * (2 x MACs), % of the measured single-core FMA peak times T, and
 * GFLOP/s / GFLOP/s of the multiple-of-16 shape ("-" for that shape itself;
 * "LOW" marks a ratio under 0.70). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/rng.h"
#include "kernels/registry.h"
#include "profiler/layer_bench.h"
#include "profiler/peak.h"

typedef enum { CONV3, DEPTHWISE, POINTWISE, FIRST } shape_kind;
static const char *const kind_names[] = {"conv3x3", "dw3x3", "pw1x1", "first3x3"};

/* One conv node (index 1) of the kind on a c_in x side x side input. */
static sp_graph *build(shape_kind kind, int cin, int cout, int side) {
  sp_graph *g = NULL;
  int index = 0, k = kind == POINTWISE ? 1 : 3;
  int groups = kind == DEPTHWISE ? cin : 1;
  if (sp_graph_create("shape", (sp_dims){cin, side, side}, &g) ||
      sp_graph_add_conv(g, "layer", 0, cout, k, 1, k / 2, groups, 1, &index)) {
    fprintf(stderr, "bench_shapes: %s\n", sp_last_error());
    sp_graph_free(g);
    return NULL;
  }
  sp_node *n = &g->nodes[index];
  n->act = SP_ACT_RELU;
  sp_rng r;
  sp_rng_seed(&r, 0x5ba9e5u + (uint64_t)(cin * 7919 + side));
  size_t count = sp_node_weight_count(g, n);
  for (size_t i = 0; i < count; i++) n->weight[i] = sp_rng_uniform(&r) - 0.5f;
  for (int i = 0; i < cout; i++) n->bias[i] = sp_rng_uniform(&r) - 0.5f;
  return g;
}

/* The fastest dense host variant's median seconds on the shape (0 when none
 * ran); *name receives its name. */
static double fastest(shape_kind kind, int cin, int cout, int side, int threads,
                      const sp_measure_options *mo, const char **name, double *flop) {
  sp_graph *g = build(kind, cin, cout, side);
  if (!g) return 0;
  const sp_node *n = &g->nodes[1];
  *flop = 2.0 * (double)sp_node_macs(g, n);
  int count = 0;
  const sp_variant *all = sp_registry_variants(&count);
  double best = 0;
  for (int i = 0; i < count; i++) {
    const sp_variant *v = &all[i];
    if (v->algo == SP_ALGO_REFERENCE || v->format != SP_FORMAT_DENSE ||
        sp_variant_on_device(v) || !sp_variant_supports(v, g, n))
      continue;
    if ((threads > 1) != (v->backend != SP_BACKEND_SERIAL)) continue;
    sp_layer_timing t;
    if (sp_layer_bench(g, 1, v, 1, threads, mo, &t)) continue;
    if (best == 0 || t.time.median < best) best = t.time.median, *name = v->name;
  }
  sp_graph_free(g);
  return best;
}

static int round16(int c) { return c < 16 ? 16 : (c + 8) / 16 * 16; }

int main(int argc, char **argv) {
  int threads = 1;
  double seconds = 0.05;
  const char *only = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
    else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
    else {
      fprintf(stderr, "usage: %s [--threads T] [--seconds S] [--only KIND]\n", argv[0]);
      return 2;
    }
  }
  if (threads < 1 || !(seconds > 0)) {
    fprintf(stderr, "bench_shapes: need --threads >= 1 and --seconds > 0\n");
    return 2;
  }
  sp_measure_options mo = sp_measure_options_default();
  mo.min_seconds = seconds;
  const double peak = sp_peak_gflops_per_core() * threads;
  static const int stages[][2] = {{32, 16}, {32, 32}, {16, 32}, {16, 64}, {8, 64}, {8, 128},
                                  {4, 128}, {4, 256}, {4, 512}, {2, 256}, {2, 512}};
  static const double keeps[] = {1.0, 0.75, 0.7, 0.5, 0.25};
  printf("# bench_shapes, batch 1, %d thread%s, peak %.1f GFLOP/s (measured)\n", threads,
         threads > 1 ? "s" : "", peak);
  printf("# %-9s %-22s %-28s %9s %8s %6s %s\n", "kind", "shape", "variant", "ms", "GFLOP/s",
         "%peak", "vs x16");
  int low = 0, shapes = 0;
  for (int kind = CONV3; kind <= FIRST; kind++) {
    if (only && strcmp(only, kind_names[kind])) continue;
    for (size_t s = 0; s < sizeof stages / sizeof stages[0]; s++) {
      const int side = stages[s][0], base = stages[s][1];
      if (kind == FIRST && side != 32) continue;
      double base_gf = 0; /* the stage's own shape (keep 1), measured first */
      for (size_t k = 0; k < sizeof keeps / sizeof keeps[0]; k++) {
        const int c = (int)lround(base * keeps[k]);
        const int cin = kind == FIRST ? 1 : c;
        const char *name = "";
        double flop = 0;
        double t = fastest((shape_kind)kind, cin, c, side, threads, &mo, &name, &flop);
        if (t <= 0) continue;
        double gf = flop / t / 1e9;
        if (k == 0) base_gf = gf;
        char ratio[16] = "-";
        if (round16(c) != c) { /* compare with the nearest multiple-of-16 shape */
          const int r16 = round16(c);
          double ref_gf = r16 == base ? base_gf : 0;
          if (ref_gf == 0) {
            const char *rn = "";
            double rflop = 0, rt = fastest((shape_kind)kind, kind == FIRST ? 1 : r16, r16, side,
                                           threads, &mo, &rn, &rflop);
            ref_gf = rt > 0 ? rflop / rt / 1e9 : 0;
          }
          if (ref_gf > 0) {
            snprintf(ratio, sizeof ratio, "%.2f%s", gf / ref_gf, gf / ref_gf < 0.70 ? " LOW" : "");
            low += gf / ref_gf < 0.70;
          }
        }
        char shape[32];
        snprintf(shape, sizeof shape, "%dx%dx%d->%d", cin, side, side, c);
        printf("  %-9s %-22s %-28s %9.4f %8.1f %5.0f%% %s\n", kind_names[kind], shape, name,
               t * 1e3, gf, 100 * gf / peak, ratio);
        shapes++;
      }
    }
  }
  printf("# %d shapes, %d below 0.70 of their multiple-of-16 shape\n", shapes, low);
  return 0;
}
