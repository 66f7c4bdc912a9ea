/* Accuracy files: a file round-trips through save and load; every field is
 * checked on load with a one-line error naming the file and the field
 * (corrupt, truncated, wrong format or version, missing or mistyped fields);
 * the fingerprint check accepts the model the file was made for only; drops
 * are clamped; saving never leaves a partial file. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accuracy/accuracy_io.h"
#include "engine/onnx/model.h"
#include "tests/unit/testing.h"

static char dir[] = "/tmp/sp_test_accuracy_XXXXXX";
static char path[512];

/* A small file for model g: two layer entries and one group entry. */
static void make(sp_accuracy *a, const sp_graph *g) {
  memset(a, 0, sizeof *a);
  snprintf(a->created, sizeof a->created, "2024-01-02T03:04:05Z");
  sp_accuracy_set_model(a, "vgg16:w=0.125,c=1", g);
  snprintf(a->data, sizeof a->data, "fashion-mnist");
  snprintf(a->split, sizeof a->split, "calib");
  snprintf(a->source, sizeof a->source, "measured");
  a->images = 5000;
  a->accuracy = 91.25;
  a->loss = 0.25;
  a->n_layers = 2;
  a->layers = calloc(2, sizeof *a->layers);
  a->layers[0] = (sp_accuracy_layer){"conv1", SP_COMPRESS_PRUNE, 0.5, 91.0, 0.26,
                                     sp_accuracy_uncertainty_of(91.0, 5000, 91.25)};
  /* measured again on fewer images (sense --budget does it on more) */
  a->layers[1] = (sp_accuracy_layer){"conv2", SP_COMPRESS_TERNARY, 0.7, 92.5, INFINITY,
                                     sp_accuracy_uncertainty_of(92.5, 1000, 92.0)};
  a->n_groups = 1;
  a->groups = calloc(1, sizeof *a->groups);
  sp_accuracy_group *gr = &a->groups[0];
  snprintf(gr->group, sizeof gr->group, "conv3");
  gr->n_layers = 2;
  gr->layers = calloc(2, sizeof *gr->layers);
  snprintf(gr->layers[0], SP_NAME_MAX, "conv3");
  snprintf(gr->layers[1], SP_NAME_MAX, "conv4");
  gr->keep = 0.5;
  gr->channels_kept = 8;
  gr->accuracy = 80.125;
  gr->loss = 0.75;
}

static char *read_all(const char *p) {
  FILE *f = fopen(p, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  rewind(f);
  char *text = calloc((size_t)n + 1, 1);
  if (fread(text, 1, (size_t)n, f) != (size_t)n) text[0] = 0;
  fclose(f);
  return text;
}

static void write_all(const char *p, const char *text) {
  FILE *f = fopen(p, "wb");
  fputs(text, f);
  fclose(f);
}

static void check_round_trip(const sp_graph *g) {
  sp_accuracy a, b;
  make(&a, g);
  CHECK(sp_accuracy_save(path, &a) == SP_OK);
  CHECK_MSG(sp_accuracy_load(path, &b) == SP_OK, "%s", sp_last_error());
  CHECK(!strcmp(b.model, a.model) && !strcmp(b.created, a.created) && !strcmp(b.source, "measured"));
  CHECK(!strcmp(b.structure_fingerprint, a.structure_fingerprint) &&
        !strcmp(b.weights_fingerprint, a.weights_fingerprint));
  CHECK(b.input[0] == 1 && b.input[1] == 32 && b.input[2] == 32 && b.classes == 10);
  CHECK(!strcmp(b.data, "fashion-mnist") && !strcmp(b.split, "calib") && b.images == 5000);
  CHECK(b.accuracy == 91.25 && b.loss == 0.25);
  CHECK(b.n_layers == 2 && b.n_groups == 1);
  if (b.n_layers == 2 && b.n_groups == 1) {
    CHECK(!strcmp(b.layers[0].layer, "conv1") && b.layers[0].kind == SP_COMPRESS_PRUNE &&
          b.layers[0].rate == 0.5 && b.layers[0].accuracy == 91.0 && b.layers[0].loss == 0.26);
    CHECK(b.layers[1].kind == SP_COMPRESS_TERNARY && isinf(b.layers[1].loss)); /* null */
    CHECK(!strcmp(b.groups[0].group, "conv3") && b.groups[0].n_layers == 2 &&
          !strcmp(b.groups[0].layers[1], "conv4") && b.groups[0].keep == 0.5 &&
          b.groups[0].channels_kept == 8 && b.groups[0].accuracy == 80.125);
    /* look-ups and drops: clamped at 0 above the baseline */
    CHECK(sp_accuracy_find_layer(&b, "conv1", SP_COMPRESS_PRUNE, 0.5) == &b.layers[0]);
    CHECK(sp_accuracy_find_layer(&b, "conv1", SP_COMPRESS_PRUNE, 0.7) == NULL);
    CHECK(sp_accuracy_find_layer(&b, "conv1", SP_COMPRESS_TERNARY, 0.5) == NULL);
    CHECK(sp_accuracy_find_group(&b, "conv3", 0.5) == &b.groups[0]);
    CHECK(fabs(sp_accuracy_drop(&b, b.layers[0].accuracy) - 0.25) < 1e-12);
    CHECK(sp_accuracy_drop(&b, b.layers[1].accuracy) == 0.0);
    /* uncertainty (issue #21): intervals written and read back (to 1e-4
     * pp), an entry's own images and baseline kept, and an entry without
     * them (the group) read with the file's and an interval computed */
    const sp_accuracy_uncertainty *u0 = &b.layers[0].u, *u1 = &b.layers[1].u, *ug = &b.groups[0].u;
    CHECK(u0->images == 5000 && u0->baseline == 91.25 && fabs(u0->drop_lo - a.layers[0].u.drop_lo) < 1e-4 &&
          fabs(u0->drop_hi - a.layers[0].u.drop_hi) < 1e-4);
    CHECK(u0->drop_lo < 0.25 && 0.25 < u0->drop_hi && u0->drop_hi - u0->drop_lo < 1.7);
    CHECK(u1->images == 1000 && u1->baseline == 92.0 && u1->drop_lo < -0.5 && -0.5 < u1->drop_hi);
    CHECK(ug->images == 5000 && ug->baseline == 91.25 && ug->drop_lo < 11.125 && 11.125 < ug->drop_hi);
  }
  /* the model it was made for matches; other weights or architectures do not */
  CHECK(sp_accuracy_check(&b, path, g) == SP_OK);
  sp_graph *other = NULL;
  CHECK(sp_model_load("vgg16:w=0.125,c=1,seed=7", &other) == SP_OK);
  CHECK(sp_accuracy_check(&b, path, other) == SP_ERR_INPUT);
  CHECK(strstr(sp_last_error(), "weights_fingerprint") && strstr(sp_last_error(), path));
  sp_graph_free(other);
  CHECK(sp_model_load("resnet18:w=0.125,c=1", &other) == SP_OK);
  CHECK(sp_accuracy_check(&b, path, other) == SP_ERR_INPUT);
  CHECK(strstr(sp_last_error(), "structure_fingerprint") != NULL);
  sp_graph_free(other);
  sp_accuracy_free(&a);
  sp_accuracy_free(&b);
}

/* Replaces the first `from` in the saved file by `to` and expects the load
 * to fail with SP_ERR_INPUT and a message containing `want`. */
static void expect_bad(const char *good, const char *from, const char *to, const char *want) {
  const char *at = strstr(good, from);
  CHECK_MSG(at != NULL, "'%s' not in the file", from);
  if (!at) return;
  size_t n = strlen(good) + strlen(to) + 1;
  char *text = malloc(n);
  snprintf(text, n, "%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
  write_all(path, text);
  free(text);
  sp_accuracy a;
  sp_status s = sp_accuracy_load(path, &a);
  const char *msg = sp_last_error();
  CHECK_MSG(s == SP_ERR_INPUT && strstr(msg, path) && strstr(msg, want) && !strchr(msg, '\n'),
            "'%s' -> '%s': status %d, '%s' (want '%s')", from, to, s, msg, want);
  CHECK(a.layers == NULL && a.groups == NULL);
}

static void check_bad_files(const sp_graph *g) {
  sp_accuracy a;
  make(&a, g);
  CHECK(sp_accuracy_save(path, &a) == SP_OK);
  sp_accuracy_free(&a);
  char *good = read_all(path);
  CHECK(good != NULL);
  if (!good) return;
  expect_bad(good, "stackplan-accuracy", "stackplan-profile", "format: 'stackplan-profile'");
  expect_bad(good, "\"version\": 1", "\"version\": 2", "version: 2 is not supported");
  expect_bad(good, "\"version\": 1", "\"version\": \"1\"", "version: expected");
  expect_bad(good, "\"source\": \"measured\"", "\"source\": \"guess\"", "source: 'guess'");
  expect_bad(good, "\"weights_fingerprint\":\"", "\"weights_fingerprint\":\"X", "model.weights_fingerprint");
  expect_bad(good, "\"classes\":10", "\"classes\":0", "model.classes");
  expect_bad(good, "\"input\":[1,32,32]", "\"input\":[1,32]", "model.input");
  expect_bad(good, "\"images\":5000", "\"imgs\":5000", "data.images: missing");
  expect_bad(good, "\"accuracy\":91.25", "\"accuracy\":191.25", "baseline.accuracy");
  expect_bad(good, "\"compression\":\"prune\"", "\"compression\":\"quantise\"",
             "layers[0].compression: 'quantise'");
  expect_bad(good, "\"rate\":0.5", "\"rate\":1.5", "layers[0].rate");
  expect_bad(good, "\"rate\":0.5", "\"rate\":null", "layers[0].rate");
  expect_bad(good, "\"rate\":0.5", "\"rate\":1", "layers[0].rate: 1 is not a pruning rate in [0, 1)");
  /* a string read from the file with a newline and an escape in it: the
   * message stays one line (expect_bad checks) */
  expect_bad(good, "\"source\": \"measured\"", "\"source\": \"x\\nok\\u001b[1m\"",
             "source: 'x?ok?[1m'");
  expect_bad(good, "\"loss\":0.26", "\"loss\":-1", "layers[0].loss");
  expect_bad(good, "\"layer\":\"conv1\"", "\"layer\":\"\"", "layers[0].layer");
  expect_bad(good, "\"keep\":0.5", "\"keep\":0", "groups[0].keep");
  expect_bad(good, "\"channels_kept\":8", "\"channels_kept\":8.5", "groups[0].channels_kept");
  expect_bad(good, "\"layers\":[\"conv3\"", "\"layers\":[3", "groups[0].layers");
  expect_bad(good, "\"groups\": [", "\"groups\": {\"a\":[", "not valid JSON");
  expect_bad(good, "\"drop_interval\":[", "\"drop_interval\":[5,", "layers[0].drop_interval");
  expect_bad(good, "\"images\":1000", "\"images\":0", "layers[1].images");
  expect_bad(good, "{", "[", "not valid JSON");
  expect_bad(good, "\n}\n", "\n}\n}", "not valid JSON");
  /* truncated anywhere: refused, never half read */
  size_t len = strlen(good);
  for (size_t cut = 1; cut < len; cut += len / 23 + 1) {
    char *part = strndup(good, cut);
    write_all(path, part);
    free(part);
    sp_accuracy b;
    CHECK_MSG(sp_accuracy_load(path, &b) == SP_ERR_INPUT, "cut at %zu of %zu", cut, len);
  }
  free(good);
  sp_accuracy b;
  CHECK(sp_accuracy_load("/nonexistent/acc.json", &b) == SP_ERR_IO);
  CHECK(strstr(sp_last_error(), "/nonexistent/acc.json") != NULL);
}

/* The 95% Wilson interval against values worked out by hand: 90 of 100 is
 * [82.56, 94.48]; 0 of 10 starts at 0; 100% ends at 100; no images: all. */
static void check_wilson(void) {
  double lo, hi;
  sp_accuracy_wilson(90, 100, &lo, &hi);
  CHECK_MSG(fabs(lo - 82.56) < 0.01 && fabs(hi - 94.48) < 0.01, "[%g, %g]", lo, hi);
  sp_accuracy_wilson(0, 10, &lo, &hi);
  CHECK(lo == 0 && fabs(hi - 27.75) < 0.01);
  sp_accuracy_wilson(100, 500, &lo, &hi);
  CHECK(hi == 100 && lo > 99 && lo < 100);
  sp_accuracy_wilson(50, 0, &lo, &hi);
  CHECK(lo == 0 && hi == 100);
  sp_accuracy_uncertainty u = sp_accuracy_uncertainty_of(90, 100, 91);
  CHECK(u.images == 100 && fabs(u.drop_lo - (91 - 94.48)) < 0.01 && fabs(u.drop_hi - (91 - 82.56)) < 0.01);
}

/* A failed save leaves the old file as it was and no temp file. */
static void check_atomic_save(const sp_graph *g) {
  sp_accuracy a;
  make(&a, g);
  write_all(path, "old");
  char bad[600];
  snprintf(bad, sizeof bad, "%s/missing/acc.json", dir);
  CHECK(sp_accuracy_save(bad, &a) == SP_ERR_IO && strstr(sp_last_error(), bad));
  struct stat st;
  CHECK(stat(bad, &st) != 0);
  char *text = read_all(path);
  CHECK(text && !strcmp(text, "old"));
  free(text);
  sp_accuracy_free(&a);
}

int main(void) {
  CHECK(mkdtemp(dir) != NULL);
  snprintf(path, sizeof path, "%s/acc.json", dir);
  sp_graph *g = NULL;
  CHECK(sp_model_load("vgg16:w=0.125,c=1", &g) == SP_OK);
  if (g) {
    check_wilson();
    check_round_trip(g);
    check_bad_files(g);
    check_atomic_save(g);
  }
  sp_graph_free(g);
  unlink(path);
  CHECK(rmdir(dir) == 0); /* nothing else left behind */
  return sp_test_finish("test_accuracy_io");
}
