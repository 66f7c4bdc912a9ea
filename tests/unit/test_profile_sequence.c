/* The calibration in sequence (profile_sequence.h) on a small model with a
 * synthetic profile: every layer with a dense host record gets its fastest
 * one's variant and threads, its time alone as the given timer reports it
 * (median over the rounds) and a positive time in sequence; a layer without
 * such a record stays uncalibrated; a stop request changes nothing; a layer
 * that cannot be timed alone fails the calibration naming it. */
#include <stdio.h>
#include <string.h>

#include "engine/model.h"
#include "kernels/registry.h"
#include "profiler/profile_run.h"
#include "profiler/profile_sequence.h"
#include "testing.h"

typedef struct fake_alone {
  int calls;
  int per_layer[256]; /* calls for each layer: its round */
  int fail_layer;     /* -1: none */
} fake_alone;

/* "Times" layer l alone as (l + 1) ms in rounds 1 and 3, 1.5 (l + 1) in round 2. */
static sp_status alone_ms(void *ctx, int layer, const sp_profile_record *r, double *ms) {
  fake_alone *f = ctx;
  (void)r;
  f->calls++;
  if (layer == f->fail_layer) return sp_fail(SP_ERR_RUNTIME, "layer %d: refused", layer);
  *ms = (double)(layer + 1) * (++f->per_layer[layer] == 2 ? 1.5 : 1.0);
  return SP_OK;
}

static void add_dense(sp_profile *p, int l, const char *variant, double ms) {
  sp_profile_record r = {.layer = l, .threads = 1, .device = -1, .median_ms = ms, .p10_ms = ms,
                         .p90_ms = ms, .n = 10, .converged = 1};
  snprintf(r.variant, sizeof r.variant, "%s", variant);
  r.backend = sp_registry_find(variant)->backend;
  CHECK(sp_profile_add_record(p, &r) == SP_OK);
}

int main(void) {
  sp_graph *g = NULL;
  CHECK(sp_model_load("mobilenet:w=0.25", &g) == SP_OK);
  sp_device_info dev;
  CHECK(sp_device_info_collect(-1, &dev) == SP_OK);
  sp_profile_config c = sp_profile_config_default(1);
  sp_profile p;
  CHECK(sp_profile_init(g, "mobilenet:w=0.25", &dev, &c, &p) == SP_OK);
  int skip = sp_profile_find_layer(&p, "blocks.2.dw");
  for (int l = 0; l < p.n_layers; l++) {
    p.layers[l].measured = 1;
    if (l == skip) continue; /* no dense host record: the executor's default runs it */
    const sp_variant *v = sp_registry_default(g, &g->nodes[l + 1], 1);
    add_dense(&p, l, v->name, 0.5);
    if (!strcmp(p.layers[l].kind, "conv2d") && strstr(p.layers[l].op, "1x1"))
      add_dense(&p, l, "conv2d__1x1_gemm_serial", 0.1); /* faster: the one calibrated */
  }
  /* a stop request before the first round: nothing changes */
  volatile int stop = 1;
  fake_alone f = {.fail_layer = -1};
  CHECK(sp_profile_calibrate_sequence(g, &p, alone_ms, &f, &stop) == SP_OK);
  CHECK(f.calls == 0 && sp_profile_sequence_summary(&p).layers == 0);
  stop = 0;
  CHECK_MSG(sp_profile_calibrate_sequence(g, &p, alone_ms, &f, &stop) == SP_OK, "%s", sp_last_error());
  CHECK(f.calls == SP_SEQUENCE_ROUNDS * (p.n_layers - 1));
  for (int l = 0; l < p.n_layers; l++) {
    const sp_profile_layer *y = &p.layers[l];
    if (l == skip) {
      CHECK(y->sequence.alone_ms == 0 && sp_profile_sequence_factor(&p, l) == 1);
      continue;
    }
    const sp_profile_record *best = sp_profile_fastest_dense(&p, l, NULL, 0);
    CHECK_MSG(best && !strcmp(y->sequence.variant, best->variant) && y->sequence.threads == 1,
              "layer %s: %s", y->name, y->sequence.variant);
    /* rounds 1 and 3 report (l+1) ms, round 2 1.5 (l+1): the median */
    CHECK_MSG(y->sequence.alone_ms == (double)(l + 1), "layer %s alone %g", y->name, y->sequence.alone_ms);
    CHECK(y->sequence.in_sequence_ms > 0 && y->sequence.in_sequence_ms < 1000);
  }
  CHECK(sp_profile_sequence_summary(&p).layers == p.n_layers - 1);
  /* a layer that cannot be timed alone fails the calibration, naming it */
  fake_alone bad = {.fail_layer = 3};
  CHECK(sp_profile_calibrate_sequence(g, &p, alone_ms, &bad, NULL) == SP_ERR_RUNTIME &&
        strstr(sp_last_error(), "layer 3"));
  sp_profile_free(&p);
  sp_graph_free(g);
  return sp_test_finish("test_profile_sequence");
}
