/* The calibration in sequence (profile_sequence.h) on a small model with a
 * synthetic profile: at each network level (keep 1; keep 0.5 for every
 * prunable group) every layer with a host record there gets its fastest
 * one's (of any weight compression: a pruned and a ternary record are
 * the fastest of two layers, and the network runs them) keep levels, variant and threads, its time alone as the
 * given timer reports it (median over the rounds) and a positive time in
 * sequence; a layer whose groups have no level 1 is calibrated at level 0
 * only; a layer without a record stays uncalibrated; a stop request changes nothing; a layer
 * that cannot be timed alone fails the calibration naming it. */
#include <stdio.h>
#include <string.h>

#include "engine/onnx/model.h"
#include "kernels/registry.h"
#include "profiler/profile_run.h"
#include "profiler/profile_sequence.h"
#include "tests/unit/testing.h"

typedef struct fake_alone {
  int calls;
  int per_layer[256]; /* calls for each layer: its round */
  int fail_layer;     /* -1: none */
} fake_alone;

/* "Times" layer l alone as (l + 1) ms in rounds 1 and 3 of each level, 1.5 (l + 1)
 * in round 2. */
static sp_status alone_ms(void *ctx, int layer, const sp_profile_record *r, double *ms) {
  fake_alone *f = ctx;
  (void)r;
  f->calls++;
  if (layer == f->fail_layer) return sp_fail(SP_ERR_RUNTIME, "layer %d: refused", layer);
  *ms = (double)(layer + 1) * (++f->per_layer[layer] % SP_SEQUENCE_ROUNDS == 2 ? 1.5 : 1.0);
  return SP_OK;
}

static void add_record(sp_profile *p, int l, int keep_in, int keep_out, const char *variant, double ms,
                       sp_compress_choice compression) {
  sp_profile_record r = {.layer = l, .keep_in = keep_in, .keep_out = keep_out, .threads = 1, .device = -1,
                         .median_ms = ms, .p10_ms = ms, .p90_ms = ms, .n = 10, .converged = 1,
                         .compression = compression};
  snprintf(r.variant, sizeof r.variant, "%s", variant);
  r.backend = sp_registry_find(variant)->backend;
  CHECK(sp_profile_add_record(p, &r) == SP_OK);
}

static void add_dense(sp_profile *p, int l, int keep_in, int keep_out, const char *variant, double ms) {
  add_record(p, l, keep_in, keep_out, variant, ms, (sp_compress_choice){SP_WEIGHTS_DENSE, 0});
}

int main(void) {
  sp_graph *g = NULL;
  CHECK(sp_model_load("mobilenet:w=0.25", &g) == SP_OK);
  sp_device_info dev;
  CHECK(sp_device_info_collect(-1, &dev) == SP_OK);
  sp_profile_config c = sp_profile_config_default(1);
  sp_profile p;
  CHECK(sp_profile_init(g, "mobilenet:w=0.25", &dev, &c, &p) == SP_OK);
  int skip = sp_profile_find_layer(&p, "blocks.2.dw"), at_level1 = 0;
  for (int l = 0; l < p.n_layers; l++) {
    p.layers[l].measured = 1;
    if (l == skip) continue; /* no dense host record: the executor's default runs it */
    const sp_variant *v = sp_registry_default(g, &g->nodes[l + 1], 1);
    add_dense(&p, l, 0, 0, v->name, 0.5);
    if (!strcmp(p.layers[l].kind, "conv2d") && strstr(p.layers[l].op, "1x1"))
      add_dense(&p, l, 0, 0, "conv2d__1x1_gemm_serial", 0.1); /* faster: the one calibrated */
    /* at the network's level 1 (keep 0.5), where one of its groups has that level */
    int in = p.groups[p.layers[l].group_in].n_keep > 1, out = p.groups[p.layers[l].group_out].n_keep > 1;
    if (in || out) add_dense(&p, l, in, out, v->name, 0.2), at_level1++;
  }
  CHECK(at_level1 > 10);
  /* compressed records: the compressed network at level 0 runs them (on
   * weights pruned or ternarised as they say; every other layer on its
   * dense record) and calibrates those two layers only */
  int pruned = sp_profile_find_layer(&p, "blocks.3.pw"), tern = sp_profile_find_layer(&p, "blocks.5.pw");
  add_record(&p, pruned, 0, 0, "conv2d__csr_im2col_serial", 0.05, (sp_compress_choice){SP_WEIGHTS_PRUNE, 0.9});
  add_record(&p, tern, 0, 0, "conv2d__ternary_1x1_serial", 0.05, (sp_compress_choice){SP_WEIGHTS_TERNARY, 0.7});
  /* a stop request before the first round: nothing changes */
  volatile int stop = 1;
  fake_alone f = {.fail_layer = -1};
  CHECK(sp_profile_calibrate_sequence(g, &p, alone_ms, &f, &stop) == SP_OK);
  CHECK(f.calls == 0 && sp_profile_sequence_summary(&p).layers == 0);
  stop = 0;
  CHECK_MSG(sp_profile_calibrate_sequence(g, &p, alone_ms, &f, &stop) == SP_OK, "%s", sp_last_error());
  CHECK(f.calls == SP_SEQUENCE_ROUNDS * (p.n_layers - 1 + at_level1 + 2));
  for (int l = 0; l < p.n_layers; l++) {
    const sp_profile_layer *y = &p.layers[l];
    if (l == skip) {
      CHECK(y->sequence[0].alone_ms == 0 && y->sequence[1].alone_ms == 0 && sp_profile_sequence_factor(&p, l, 0) == 1);
      continue;
    }
    for (int k = 0; k < 2; k++) {
      const sp_profile_sequence *q = &y->sequence[k];
      int in = k && p.groups[y->group_in].n_keep > 1, out = k && p.groups[y->group_out].n_keep > 1;
      if (k && !in && !out) { /* the same record at both levels: calibrated at level 0 only */
        CHECK(q->alone_ms == 0);
        continue;
      }
      const sp_profile_record *best = sp_profile_fastest_dense(&p, l, in, out, NULL, 0, 0);
      CHECK_MSG(best && !strcmp(q->variant, best->variant) && q->threads == 1 && q->keep_in == in &&
                q->keep_out == out, "layer %s level %d: %s", y->name, k, q->variant);
      /* rounds 1 and 3 report (l+1) ms, round 2 1.5 (l+1): the median */
      CHECK_MSG(q->alone_ms == (double)(l + 1), "layer %s alone %g", y->name, q->alone_ms);
      CHECK(q->in_sequence_ms > 0 && q->in_sequence_ms < 1000);
    }
  }
  CHECK(sp_profile_sequence_summary(&p).layers == p.n_layers - 1 + at_level1 + 2);
  for (int l = 0; l < p.n_layers; l++)
    for (int k = 0; k < SP_MAX_KEEP; k++) {
      const sp_profile_sequence *q = &p.layers[l].sequence_compressed[k];
      CHECK_MSG((q->alone_ms > 0) == (k == 0 && (l == pruned || l == tern)), "layer %s level %d", p.layers[l].name, k);
      CHECK(p.layers[l].sequence[k].compression.kind == SP_WEIGHTS_DENSE);
    }
  const sp_profile_sequence *qp = &p.layers[pruned].sequence_compressed[0], *qt = &p.layers[tern].sequence_compressed[0];
  CHECK(!strcmp(qp->variant, "conv2d__csr_im2col_serial") && qp->compression.kind == SP_WEIGHTS_PRUNE &&
        qp->compression.rate == 0.9 && qp->alone_ms == (double)(pruned + 1) && qp->in_sequence_ms > 0);
  CHECK(!strcmp(qt->variant, "conv2d__ternary_1x1_serial") && qt->compression.kind == SP_WEIGHTS_TERNARY);
  /* the planner scales a compressed record by the compressed network's
   * ratio, a dense one by the dense network's */
  const sp_profile_record *rp = NULL, *rd = NULL;
  for (int i = 0; i < p.n_records; i++)
    if (p.records[i].layer == pruned && p.records[i].keep_in == 0 && p.records[i].keep_out == 0) {
      if (p.records[i].compression.kind == SP_WEIGHTS_PRUNE) rp = &p.records[i];
      else if (!rd) rd = &p.records[i];
    }
  CHECK(rp && rd);
  CHECK(sp_profile_record_ms(&p, rp) == rp->median_ms * (qp->in_sequence_ms / qp->alone_ms));
  CHECK(sp_profile_record_ms(&p, rd) == rd->median_ms * sp_profile_sequence_factor(&p, pruned, 0));
  /* a dense kernel under compression (a `reused` copy of the dense record)
   * is its dense twin: the dense network's factor, not the compressed one's
   * (issue #21: it looked faster than the same kernel dense) */
  sp_profile_sequence saved = *qp;
  p.layers[pruned].sequence_compressed[0].in_sequence_ms = 0.5 * qp->alone_ms * sp_profile_sequence_factor(&p, pruned, 0);
  sp_profile_record twin = *rd;
  twin.compression = (sp_compress_choice){SP_WEIGHTS_PRUNE, 0.9};
  twin.reused = 1;
  CHECK_MSG(sp_profile_record_ms(&p, &twin) == sp_profile_record_ms(&p, rd), "reused %g vs dense %g",
            sp_profile_record_ms(&p, &twin), sp_profile_record_ms(&p, rd));
  CHECK(sp_profile_record_ms(&p, rp) == rp->median_ms * 0.5 * sp_profile_sequence_factor(&p, pruned, 0));
  p.layers[pruned].sequence_compressed[0] = saved;
  /* a layer that cannot be timed alone fails the calibration, naming it, and
   * leaves the calibration as it was (all or nothing) */
  sp_profile_layer before = p.layers[3], before_pruned = p.layers[pruned];
  fake_alone bad = {.fail_layer = 3};
  CHECK(sp_profile_calibrate_sequence(g, &p, alone_ms, &bad, NULL) == SP_ERR_RUNTIME &&
        strstr(sp_last_error(), "layer 3"));
  CHECK(!memcmp(before.sequence, p.layers[3].sequence, sizeof before.sequence));
  CHECK(!memcmp(before_pruned.sequence_compressed, p.layers[pruned].sequence_compressed,
                sizeof before_pruned.sequence_compressed));
  sp_profile_free(&p);
  sp_graph_free(g);
  return sp_test_finish("test_profile_sequence");
}
