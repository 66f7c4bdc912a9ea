/* Sensitivity analysis: every option of the grid scored by sense (cached
 * prefix, re-run suffix) equals a brute-force run — copy, compress, whole
 * graph through the executor with the same kernels — on small zoo models and
 * a few dozen images of a synthetic Fashion-MNIST; threads, chunking and
 * batch sizes do not change the result; bad specs and labels fail cleanly. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/compress/compress.h"
#include "engine/data/dataset.h"
#include "engine/executor/executor.h"
#include "engine/graph/fingerprint.h"
#include "engine/graph/graph_clone.h"
#include "engine/onnx/model.h"
#include "accuracy/sense.h"
#include "accuracy/sense_additivity.h"
#include "accuracy/sense_curves.h"
#include "accuracy/sense_table.h"
#include "tests/unit/fmnist_fixture.h"
#include "profiler/profile.h"
#include "tests/unit/testing.h"

#define IMAGES 40
#define BATCH 16 /* 40 = 16 + 16 + 8: a short last batch too */

/* Top-1 and cross-entropy of one batch of logits, as sense defines them. */
static void score(const float *z, const uint8_t *labels, int n, int classes, sp_sense_score *s) {
  for (int r = 0; r < n; r++, z += classes) {
    int best = 0;
    for (int c = 1; c < classes; c++)
      if (z[c] > z[best]) best = c;
    double top = z[best], sum = 0;
    for (int c = 0; c < classes; c++) sum += exp((double)z[c] - top);
    s->images++;
    s->correct += best == labels[r];
    s->loss_sum += log(sum) + top - (double)z[labels[r]];
  }
}

/* The brute force: a compressed copy run whole by the executor, batch by
 * batch, with sense's kernel for every node. */
static sp_sense_score brute_force(const sp_graph *base, const char *spec, const sp_fmnist *d) {
  sp_sense_score s = {0};
  sp_graph *g = NULL;
  CHECK(sp_graph_clone(base, &g) == SP_OK);
  CHECK_MSG(sp_compression_apply(g, spec) == SP_OK, "%s: %s", spec, sp_last_error());
  const sp_variant **variants = calloc((size_t)g->n_nodes, sizeof *variants);
  for (int i = 1; i < g->n_nodes; i++) variants[i] = sp_sense_variant(g, &g->nodes[i], 1);
  int classes = (int)sp_dims_count(g->nodes[g->output].out);
  float *out = malloc((size_t)BATCH * (size_t)classes * sizeof *out);
  size_t per = sp_dims_count(g->input);
  for (int first = 0; first < d->count; first += BATCH) {
    int n = d->count - first < BATCH ? d->count - first : BATCH;
    sp_exec_options opt = sp_exec_options_default();
    opt.batch = n;
    opt.variants = variants;
    sp_executor *e = NULL;
    CHECK(sp_executor_create(g, &opt, &e) == SP_OK);
    if (!e) break;
    CHECK(sp_executor_run(e, d->inputs + (size_t)first * per, out) == SP_OK);
    score(out, d->labels + first, n, classes, &s);
    sp_executor_free(e);
  }
  free(out);
  free(variants);
  sp_graph_free(g);
  return s;
}

/* Bit for bit: the same kernels on the same arrays. */
static int same_score(const sp_sense_score *a, const sp_sense_score *b) {
  return a->images == b->images && a->correct == b->correct && a->loss_sum == b->loss_sum;
}

/* Against the brute force, float tolerance: its copies' arrays start at other
 * addresses than the original's that sense shares, and fc_gemv's summation
 * order depends on that alignment (logits differ by ~1e-7 relative); a
 * logit tie that close could move one image. */
static int close_score(double acc, double loss, const sp_sense_score *b) {
  return fabs(acc - sp_sense_accuracy(b)) <= 100.0 / b->images + 1e-9 &&
         fabs(loss - sp_sense_loss(b)) <= 1e-5 * fabs(sp_sense_loss(b)) + 1e-9;
}

static void spec_of_layer(const sp_accuracy_layer *l, char *spec, size_t cap) {
  snprintf(spec, cap, "%s:%s=%.15g", l->kind == SP_COMPRESS_PRUNE ? "prune" : "ternary", l->layer,
           l->rate);
}

/* Every entry of the table equals its brute-force run. */
static void check_table(const sp_graph *g, const sp_fmnist *d, const sp_accuracy *a) {
  sp_sense_score base = brute_force(g, "", d);
  CHECK_MSG(close_score(a->accuracy, a->loss, &base),
            "%s baseline %.4f/%.6f vs %.4f/%.6f", g->name, a->accuracy, a->loss,
            sp_sense_accuracy(&base), sp_sense_loss(&base));
  char spec[256];
  for (int i = 0; i < a->n_layers; i++) {
    spec_of_layer(&a->layers[i], spec, sizeof spec);
    sp_sense_score b = brute_force(g, spec, d);
    CHECK_MSG(close_score(a->layers[i].accuracy, a->layers[i].loss, &b),
              "%s %s: %.4f/%.9f vs brute force %.4f/%.9f", g->name, spec, a->layers[i].accuracy,
              a->layers[i].loss, sp_sense_accuracy(&b), sp_sense_loss(&b));
  }
  for (int i = 0; i < a->n_groups; i++) {
    snprintf(spec, sizeof spec, "keep:%s=%.15g", a->groups[i].group, a->groups[i].keep);
    sp_sense_score b = brute_force(g, spec, d);
    CHECK_MSG(close_score(a->groups[i].accuracy, a->groups[i].loss, &b),
              "%s %s: %.4f/%.9f vs brute force %.4f/%.9f", g->name, spec, a->groups[i].accuracy,
              a->groups[i].loss, sp_sense_accuracy(&b), sp_sense_loss(&b));
  }
}

/* Multi-layer specs (additivity combinations, curves) through
 * sp_sense_evaluate, under several option settings that must not change the
 * result. */
static void check_combinations(const sp_graph *g, const sp_fmnist *d, const sp_accuracy *a) {
  char specs[4][1024];
  const sp_accuracy_group *gr = a->n_groups ? &a->groups[a->n_groups - 1] : NULL;
  snprintf(specs[0], sizeof specs[0], "prune:%s=0.8,ternary:%s=0.7%s%s%s", a->layers[0].layer,
           a->layers[a->n_layers - 1].layer, gr ? ",keep:" : "", gr ? gr->group : "",
           gr ? "=0.5" : "");
  /* every layer pruned (a curve point: the first layer is dirty, no prefix) */
  size_t len = 0;
  specs[1][0] = 0;
  for (int i = 0; i < a->n_layers; i += 6)
    len += (size_t)snprintf(specs[1] + len, sizeof specs[1] - len, "%sprune:%s=0.5",
                            len ? "," : "", a->layers[i].layer);
  snprintf(specs[2], sizeof specs[2], "%s", ""); /* nothing: the baseline again */
  snprintf(specs[3], sizeof specs[3], "ternary:%s=1.2", a->layers[a->n_layers / 2].layer);
  const char *ptr[4] = {specs[0], specs[1], specs[2], specs[3]};
  sp_sense_score want[4], base_want;
  sp_sense_options opt = sp_sense_options_default();
  opt.batch = BATCH;
  opt.threads = 1;
  CHECK(sp_sense_evaluate(g, d->inputs, d->labels, d->count, ptr, 4, &opt, &base_want, want) ==
        SP_OK);
  for (int k = 0; k < 4; k++) {
    sp_sense_score b = brute_force(g, specs[k], d);
    CHECK_MSG(close_score(sp_sense_accuracy(&want[k]), sp_sense_loss(&want[k]), &b),
              "%s '%s': %d/%.9f vs brute force %d/%.9f", g->name,
              specs[k], want[k].correct, want[k].loss_sum, b.correct, b.loss_sum);
  }
  CHECK(same_score(&want[2], &base_want));
  /* 3 workers; one copy per pass; both at once: bit for bit the same */
  for (int mode = 0; mode < 3; mode++) {
    sp_sense_options o = opt;
    if (mode != 1) o.threads = 3;
    if (mode != 0) o.max_copy_bytes = 1;
    sp_sense_score got[4], base_got;
    CHECK(sp_sense_evaluate(g, d->inputs, d->labels, d->count, ptr, 4, &o, &base_got, got) ==
          SP_OK);
    CHECK(same_score(&base_got, &base_want));
    for (int k = 0; k < 4; k++)
      CHECK_MSG(same_score(&got[k], &want[k]) && got[k].zeros == want[k].zeros, "%s mode %d '%s'",
                g->name, mode, specs[k]);
  }
  /* OpenMP kernels sum in their own order: the same up to rounding */
  sp_sense_options o = opt;
  o.threads = 2;
  o.parallel_kernels = 1;
  sp_sense_score got[4];
  CHECK(sp_sense_evaluate(g, d->inputs, d->labels, d->count, ptr, 4, &o, NULL, got) == SP_OK);
  for (int k = 0; k < 4; k++)
    CHECK_MSG(got[k].images == want[k].images &&
                  fabs(got[k].loss_sum - want[k].loss_sum) <= 1e-4 * fabs(want[k].loss_sum),
              "%s parallel kernels '%s': %.9f vs %.9f", g->name, specs[k], got[k].loss_sum,
              want[k].loss_sum);
}

/* Additivity: seeded, valid combinations whose prediction is the baseline
 * minus the clamped drops of their entries, measured as the brute force. */
static void check_additivity(const sp_graph *g, const sp_fmnist *d, const sp_accuracy *a) {
  sp_sense_data data = {"fashion-mnist", "calib", d->inputs, d->labels, d->count};
  sp_sense_options opt = sp_sense_options_default();
  opt.batch = BATCH;
  sp_sense_combo *c = NULL, *again = NULL;
  sp_sense_score base;
  CHECK(sp_sense_additivity(g, a, &data, 6, 5, INFINITY, &opt, &c, &base) == SP_OK);
  CHECK(sp_sense_additivity(g, a, &data, 6, 5, INFINITY, &opt, &again, &base) == SP_OK);
  for (int i = 0; c && again && i < 6; i++) {
    CHECK(!strcmp(c[i].spec, again[i].spec) && c[i].measured == again[i].measured);
    sp_compression comp;
    CHECK(sp_compression_parse(c[i].spec, &comp) == SP_OK);
    CHECK_MSG(sp_compression_check(g, &comp) == SP_OK, "%s: %s", c[i].spec, sp_last_error());
    CHECK(comp.n_items == c[i].n_items && comp.n_items >= 2 && comp.n_items <= 6);
    double drops = 0;
    for (int k = 0; k < comp.n_items; k++) {
      const sp_compression_item *it = &comp.items[k];
      double acc = it->kind == SP_COMPRESS_KEEP
                       ? sp_accuracy_find_group(a, it->layer, it->rate)->accuracy
                       : sp_accuracy_find_layer(a, it->layer, it->kind, it->rate)->accuracy;
      drops += sp_accuracy_drop(a, acc);
    }
    CHECK(fabs(c[i].predicted - (a->accuracy - drops)) < 1e-9);
    sp_sense_score b = brute_force(g, c[i].spec, d);
    CHECK_MSG(close_score(c[i].measured, c[i].loss, &b), "%s", c[i].spec);
    sp_compression_free(&comp);
  }
  sp_sense_error_summary e = sp_sense_additivity_summary(c, 6);
  CHECK(e.n == 6 && e.optimistic + e.pessimistic <= 6 && e.max_abs >= e.median_abs &&
        e.median_abs >= 0 && e.mean_abs >= fabs(e.mean) - 1e-12);
  sp_sense_combos_free(c, 6);
  sp_sense_combos_free(again, 6);
  /* a drop limit draws only entries within it */
  CHECK(sp_sense_additivity(g, a, &data, 4, 5, 0.0, &opt, &c, &base) == SP_OK);
  for (int i = 0; c && i < 4; i++) CHECK(fabs(c[i].predicted - a->accuracy) < 1e-9);
  sp_sense_combos_free(c, 4);
  CHECK(sp_sense_additivity(g, a, &data, 4, 5, -1.0, &opt, &c, &base) == SP_ERR_INPUT);
}

/* Curves: the rate that compresses nothing scores the baseline; pruning
 * zeroes its share of the weights; keeping fewer channels leaves fewer. */
static void check_curves(const sp_graph *g, const sp_fmnist *d) {
  sp_sense_data data = {"fashion-mnist", "calib", d->inputs, d->labels, d->count};
  sp_sense_options opt = sp_sense_options_default();
  opt.batch = BATCH;
  sp_sense_point p[SP_SENSE_CURVE_POINTS];
  sp_sense_score base;
  CHECK(sp_sense_curves(g, &data, &opt, p, &base) == SP_OK);
  CHECK(p[0].kind == SP_COMPRESS_PRUNE && p[0].rate == 0 && same_score(&p[0].score, &base));
  CHECK(p[11].kind == SP_COMPRESS_KEEP && p[11].rate == 1 && same_score(&p[11].score, &base));
  CHECK(p[12].kind == SP_COMPRESS_TERNARY && p[16].rate == 1.2);
  CHECK(fabs((double)p[5].score.zeros / (double)p[5].score.weights - 0.9) < 0.01);
  CHECK(p[7].score.weights < p[9].score.weights && p[9].score.weights < base.weights);
  sp_sense_score b = brute_force(g, "prune:conv3=0.5,prune:fc1=0.5", d);
  CHECK(b.images == IMAGES);
}

/* sense --budget (issue #21): measured on a quarter of the images, the
 * entries whose drop interval straddles the budget are measured again on
 * more, with the baseline on the same images, until none straddles short
 * of the whole set; what they record is what a plain evaluation on that
 * many images gives. The budget is the first entry's drop, which its own
 * interval straddles. */
static void check_refine(const sp_graph *g, const sp_fmnist *d, const sp_sense_grid *grid,
                         const sp_sense_options *opt) {
  sp_sense_data all = {"fashion-mnist", "calib", d->inputs, d->labels, d->count}, quarter = all;
  quarter.count = d->count / 4;
  sp_accuracy a;
  CHECK(sp_sense_measure(g, "m", &quarter, grid, opt, &a) == SP_OK);
  if (a.n_layers < 1) return;
  /* four layer entries are enough (the whole table is the test's slowest
   * part under the sanitizers) */
  int n_layers = a.n_layers, n_groups = a.n_groups;
  a.n_layers = n_layers < 4 ? n_layers : 4;
  a.n_groups = 0;
  const sp_accuracy_uncertainty *u0 = &a.layers[0].u;
  double budget = u0->baseline - a.layers[0].accuracy;
  CHECK(u0->images == quarter.count && u0->drop_lo < budget && budget < u0->drop_hi);
  int refined = 0;
  CHECK(sp_sense_refine(g, &all, budget, opt, &a, &refined) == SP_OK);
  CHECK_MSG(refined > 0 && a.layers[0].u.images > quarter.count, "refined %d, entry 0 on %d images", refined,
            a.layers[0].u.images);
  for (int i = 0; i < a.n_layers + a.n_groups; i++) {
    const sp_accuracy_uncertainty *u = i < a.n_layers ? &a.layers[i].u : &a.groups[i - a.n_layers].u;
    CHECK_MSG(!(u->drop_lo < budget && budget < u->drop_hi) || u->images == all.count,
              "entry %d still straddles on %d images", i, u->images);
  }
  /* entry 0 as a plain evaluation on its images says */
  char spec[SP_NAME_MAX + 40];
  snprintf(spec, sizeof spec, "%s:%s=%.15g", a.layers[0].kind == SP_COMPRESS_PRUNE ? "prune" : "ternary",
           a.layers[0].layer, a.layers[0].rate);
  const char *specs[1] = {spec};
  sp_sense_score base, s;
  CHECK(sp_sense_evaluate(g, d->inputs, d->labels, a.layers[0].u.images, specs, 1, opt, &base, &s) == SP_OK);
  CHECK(sp_sense_accuracy(&s) == a.layers[0].accuracy && sp_sense_accuracy(&base) == a.layers[0].u.baseline);
  a.n_layers = n_layers, a.n_groups = n_groups;
  sp_accuracy_free(&a);
}

/* quick: the smaller grid (the brute force dominates the test's time). */
static void check_model(const char *spec, const sp_fmnist *d, int quick) {
  sp_graph *g = NULL;
  CHECK(sp_model_load(spec, &g) == SP_OK);
  if (!g) return;
  sp_sense_grid grid = sp_sense_grid_default(quick);
  sp_sense_options opt = sp_sense_options_default();
  opt.batch = BATCH;
  opt.threads = 2;
  sp_sense_data data = {"fashion-mnist", "calib", d->inputs, d->labels, d->count};
  sp_accuracy a;
  uint64_t before = sp_graph_weights_fingerprint(g);
  CHECK_MSG(sp_sense_measure(g, spec, &data, &grid, &opt, &a) == SP_OK, "%s", sp_last_error());
  CHECK(sp_graph_weights_fingerprint(g) == before); /* the model itself is untouched */
  CHECK(a.n_layers > 0 && a.n_groups > 0 && a.images == IMAGES);
  printf("test_sense: %s: %d layer and %d group options, baseline %.2f%% loss %.4f\n", spec,
         a.n_layers, a.n_groups, a.accuracy, a.loss);
  if (a.n_layers > 0) {
    check_table(g, d, &a);
    check_combinations(g, d, &a);
    if (quick && strstr(spec, "mobilenet")) check_refine(g, d, &grid, &opt);
    if (!quick) {
      check_additivity(g, d, &a);
      check_curves(g, d);
    }
  }
  sp_accuracy_free(&a);
  sp_graph_free(g);
}

static void check_errors(const sp_fmnist *d) {
  sp_graph *g = NULL;
  CHECK(sp_model_load("vgg16:w=0.125,c=1", &g) == SP_OK);
  sp_sense_options opt = sp_sense_options_default();
  const char *bad[] = {"prune:nosuchlayer=0.5"};
  sp_sense_score s;
  CHECK(sp_sense_evaluate(g, d->inputs, d->labels, d->count, bad, 1, &opt, NULL, &s) ==
        SP_ERR_INPUT);
  CHECK(strstr(sp_last_error(), "nosuchlayer") != NULL);
  uint8_t labels[IMAGES];
  memcpy(labels, d->labels, sizeof labels);
  labels[7] = 10;
  CHECK(sp_sense_evaluate(g, d->inputs, labels, IMAGES, NULL, 0, &opt, &s, NULL) == SP_ERR_INPUT);
  CHECK(strstr(sp_last_error(), "label 10 of image 7") != NULL);
  opt.batch = 0;
  CHECK(sp_sense_evaluate(g, d->inputs, d->labels, d->count, NULL, 0, &opt, &s, NULL) ==
        SP_ERR_INPUT);
  sp_graph_free(g);
}

/* The sense grid is the profile grid: every profiled option gets an accuracy. */
static void check_grid(void) {
  for (int quick = 0; quick < 2; quick++) {
    sp_sense_grid g = sp_sense_grid_default(quick);
    sp_profile_config p = sp_profile_config_default(quick);
    CHECK(g.n_prune == p.n_prune && g.n_ternary == p.n_ternary && g.n_keep == p.n_keep);
    for (int i = 0; i < g.n_prune && i < p.n_prune; i++) CHECK(g.prune[i] == p.prune[i]);
    for (int i = 0; i < g.n_ternary && i < p.n_ternary; i++) CHECK(g.ternary[i] == p.ternary[i]);
    for (int i = 0; i < g.n_keep && i < p.n_keep; i++) CHECK(g.keep[i] == p.keep[i]);
  }
}

int main(void) {
  check_grid();
  char dir[] = "/tmp/sp_test_sense_XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  fixture_write_fmnist(dir);
  sp_fmnist d;
  CHECK_MSG(sp_fmnist_load(dir, SP_FMNIST_CALIB, IMAGES, &d) == SP_OK, "%s", sp_last_error());
  fixture_remove_fmnist(dir);
  rmdir(dir);
  if (d.count == IMAGES) {
    check_model("vgg16:w=0.125,c=1", &d, 0); /* every option of the full grid */
    check_model("resnet18:w=0.125,c=1", &d, 1); /* residual adds */
    check_model("mobilenet:w=0.125,c=1", &d, 1); /* depthwise groups */
    check_errors(&d);
  }
  sp_fmnist_free(&d);
  return sp_test_finish("test_sense");
}
