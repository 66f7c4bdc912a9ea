/* Profile files: a profile set up from a zoo model, with synthetic records
 * of every kind, survives save -> load field by field; the reader refuses
 * damaged and inconsistent files with one line naming the file and the
 * field; a resume is refused for another device, model or config. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/onnx/model.h"
#include "kernels/registry.h"
#include "profiler/profile_io.h"
#include "profiler/profile_run.h"
#include "tests/unit/testing.h"

static char dir[64] = "/tmp/sp_profile_io_XXXXXX", path[128], bad[128];

static sp_profile_record record(const sp_profile *p, const char *layer, const char *variant) {
  sp_profile_record r = {.layer = sp_profile_find_layer(p, layer), .threads = 1, .device = -1,
                         .median_ms = 0.25, .p10_ms = 0.2, .p90_ms = 0.5, .n = 40, .noise = 0.02,
                         .converged = 1, .weight_bytes = 2176, .workspace_bytes = 64,
                         .prepare_ms = 0.01};
  const sp_variant *v = sp_registry_find(variant);
  snprintf(r.variant, sizeof r.variant, "%s", variant);
  r.backend = v->backend;
  return r;
}

static void build(sp_profile *p, sp_graph **g) {
  CHECK(sp_model_load("mobilenet:w=0.25", g) == SP_OK);
  sp_device_info dev;
  CHECK(sp_device_info_collect(-1, &dev) == SP_OK);
  sp_profile_config c = sp_profile_config_default(1);
  CHECK(sp_profile_init(*g, "mobilenet:w=0.25", &dev, &c, p) == SP_OK);
  CHECK(p->n_layers == (*g)->n_nodes - 1 && p->n_groups > 5);
  int pw = sp_profile_find_layer(p, "blocks.1.pw");
  CHECK(pw > 0 && p->groups[p->layers[pw].group_out].n_keep == 2);
  p->layers[pw].measured = p->layers[0].measured = 1;
  p->layers[0].network_ms = 0.5, p->layers[pw].network_ms = 0.25; /* layer 1: unknown */
  p->layers[pw].noise_median = 0.02, p->layers[pw].noise_max = 0.3, p->layers[pw].unconverged = 1;
  snprintf(p->layers[pw].skipped, sizeof p->layers[pw].skipped, "conv2d__direct_serial@1");
  sp_profile_record r = record(p, "blocks.1.pw", "conv2d__1x1_gemm_omp");
  r.threads = 2, r.keep_in = 1, r.keep_out = 1;
  r.evict_bytes = 4096; /* timed after an eviction, unlike the calibrated record */
  sp_profile_add_record(p, &r);
  r = record(p, "blocks.1.pw", "conv2d__csr_direct_serial");
  r.compression = (sp_compress_choice){SP_WEIGHTS_PRUNE, 0.9};
  r.converged = 0;
  sp_profile_add_record(p, &r);
  r = record(p, "blocks.1.pw", "conv2d__1x1_gemm_serial");
  r.compression = (sp_compress_choice){SP_WEIGHTS_TERNARY, 0.7};
  r.reused = 1;
  sp_profile_add_record(p, &r);
  r = record(p, "blocks.1.pw", "conv2d__direct_opencl");
  r.device = 0;
  r.n_params = sp_variant_default_params(sp_registry_find(r.variant), r.params);
  for (int i = 0; i < r.n_params; i++)
    snprintf(r.param_names[i], sizeof r.param_names[i], "%s",
             sp_registry_find(r.variant)->params->params[i].name);
  r.tuned = 1;
  sp_profile_add_record(p, &r);
  r = record(p, "conv1", "conv2d__winograd4x4_serial");
  r.failed = 1;
  snprintf(r.error, sizeof r.error, "layer conv1: out of memory");
  sp_profile_add_record(p, &r);
  r = record(p, "blocks.1.pw", "conv2d__1x1_gemm_serial"); /* dense, keep 1, host: the fastest */
  r.median_ms = 0.2, r.p10_ms = 0.15;
  sp_profile_add_record(p, &r);
  sp_profile_sequence *q = &p->layers[pw].sequence[0];
  snprintf(q->variant, sizeof q->variant, "%s", r.variant);
  q->threads = 1, q->alone_ms = 0.2, q->in_sequence_ms = 0.1;
  q = &p->layers[pw].sequence[1]; /* level 1: keep 0.5 out */
  snprintf(q->variant, sizeof q->variant, "conv2d__im2col_gemm_omp");
  q->keep_in = 0, q->keep_out = 1, q->threads = 2, q->alone_ms = 0.4, q->in_sequence_ms = 0.1;
  q->evict_bytes = 8192;
  q = &p->layers[pw].sequence_compressed[0]; /* the compressed network's: a ternary record */
  snprintf(q->variant, sizeof q->variant, "conv2d__ternary_1x1_serial");
  q->threads = 1, q->alone_ms = 0.3, q->in_sequence_ms = 0.36, q->evict_bytes = 6144;
  q->compression = (sp_compress_choice){SP_WEIGHTS_TERNARY, 0.7};
  sp_profile_transition t = {.layer = -1, .bytes = 12288, .h2d_ms = 0.04, .d2h_ms = 0.03};
  snprintf(t.tensor, sizeof t.tensor, "input");
  sp_profile_add_transition(p, &t);
  t = (sp_profile_transition){.layer = pw, .keep = 1, .bytes = 4096, .failed = 1};
  snprintf(t.tensor, sizeof t.tensor, "blocks.1.pw");
  snprintf(t.error, sizeof t.error, "CL_OUT_OF_RESOURCES");
  sp_profile_add_transition(p, &t);
}

static void test_round_trip(void) {
  sp_profile p, q;
  sp_graph *g = NULL;
  build(&p, &g);
  CHECK(sp_profile_save(path, &p) == SP_OK);
  char tmp[160];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  CHECK(access(tmp, F_OK) != 0); /* renamed away */
  CHECK_MSG(sp_profile_load(path, &q) == SP_OK, "%s", sp_last_error());
  CHECK(!strcmp(q.device.fingerprint, p.device.fingerprint) && !sp_device_info_diff(&q.device, &p.device));
  CHECK(!strcmp(q.model_fingerprint, p.model_fingerprint) && !strcmp(q.model, p.model));
  CHECK(!sp_profile_config_diff(&q.config, &p.config));
  CHECK(q.n_groups == p.n_groups && q.n_layers == p.n_layers);
  for (int i = 0; i < p.n_groups && q.n_groups == p.n_groups; i++) {
    CHECK(q.groups[i].n_keep == p.groups[i].n_keep && q.groups[i].channels == p.groups[i].channels);
    CHECK(!memcmp(q.groups[i].kept, p.groups[i].kept, sizeof q.groups[i].kept));
  }
  for (int i = 0; i < p.n_layers && q.n_layers == p.n_layers; i++) {
    const sp_profile_layer *a = &p.layers[i], *b = &q.layers[i];
    CHECK(!strcmp(a->name, b->name) && !strcmp(a->op, b->op) && a->group_in == b->group_in);
    CHECK(a->input_layer[0] == b->input_layer[0] && a->measured == b->measured);
    CHECK(a->act_bytes[0] == b->act_bytes[0] && !strcmp(a->skipped, b->skipped));
    CHECK(a->network_ms == b->network_ms);
    for (int k = 0; k < SP_MAX_KEEP; k++) {
      const sp_profile_sequence *x = &a->sequence[k], *y = &b->sequence[k];
      CHECK(!strcmp(x->variant, y->variant) && x->threads == y->threads && x->keep_in == y->keep_in);
      CHECK(x->keep_out == y->keep_out && x->evict_bytes == y->evict_bytes);
      CHECK(x->alone_ms == y->alone_ms && x->in_sequence_ms == y->in_sequence_ms);
      x = &a->sequence_compressed[k], y = &b->sequence_compressed[k];
      CHECK(!strcmp(x->variant, y->variant) && x->threads == y->threads && x->alone_ms == y->alone_ms);
      CHECK(x->in_sequence_ms == y->in_sequence_ms && x->evict_bytes == y->evict_bytes);
      CHECK(x->compression.kind == y->compression.kind && x->compression.rate == y->compression.rate);
    }
  }
  /* the reference network's time: over measured layers that have one only */
  sp_profile_speed sp = sp_profile_network_speed(&q);
  CHECK(sp.layers == 2 && sp.median == 0.375 && sp.min == 0.25 && sp.max == 0.5);
  CHECK(sp.lower_quartile >= sp.min && sp.lower_quartile <= sp.median);
  q.layers[0].measured = 0;
  sp = sp_profile_network_speed(&q);
  CHECK(sp.layers == 1 && sp.median == 0.25);
  q.layers[0].measured = 1;
  CHECK(q.n_records == p.n_records && q.n_transitions == p.n_transitions);
  for (int i = 0; i < p.n_records && q.n_records == p.n_records; i++) {
    const sp_profile_record *a = &p.records[i], *b = &q.records[i];
    CHECK(a->layer == b->layer && a->keep_in == b->keep_in && a->keep_out == b->keep_out);
    CHECK(a->compression.kind == b->compression.kind && a->compression.rate == b->compression.rate);
    CHECK(!strcmp(a->variant, b->variant) && a->backend == b->backend && a->device == b->device);
    CHECK(a->threads == b->threads && a->n_params == b->n_params && a->tuned == b->tuned);
    CHECK(!memcmp(a->params, b->params, sizeof a->params) && a->failed == b->failed);
    CHECK(!strcmp(a->error, b->error));
    if (a->failed) continue; /* a failed record has no times */
    CHECK(a->median_ms == b->median_ms && a->p90_ms == b->p90_ms && a->n == b->n);
    CHECK(a->converged == b->converged && a->reused == b->reused && a->weight_bytes == b->weight_bytes);
    CHECK(a->evict_bytes == b->evict_bytes);
  }
  /* the calibration in sequence scales the layer's host records only, each
   * by its level's ratio, when timed in the same cache state */
  int seq = sp_profile_find_layer(&q, "blocks.1.pw");
  const sp_profile_record *fast = sp_profile_fastest_dense(&q, seq, 0, 0, NULL, 0, 0);
  CHECK(fast && !strcmp(fast->variant, "conv2d__1x1_gemm_serial") && fast->median_ms == 0.2);
  CHECK(!sp_profile_fastest_dense(&q, seq, 0, 0, "conv2d__1x1_gemm_omp", 2, 0)); /* keep 0.5 only */
  CHECK(sp_profile_fastest_dense(&q, seq, 1, 1, "conv2d__1x1_gemm_omp", 2, 0) == &q.records[0]);
  CHECK(sp_profile_sequence_factor(&q, seq, 0) == 0.5 && sp_profile_sequence_factor(&q, 0, 0) == 1);
  CHECK(sp_profile_sequence_factor(&q, seq, 1) == 0.25 && sp_profile_record_level(&q.records[0]) == 1);
  CHECK(fast && sp_profile_record_ms(&q, fast) == 0.1);
  CHECK(sp_profile_record_ms(&q, &q.records[0]) == 0.0625); /* level 1, evicted like its calibration */
  q.layers[seq].sequence[1].evict_bytes = 0; /* ... timed warm: keeps its time */
  CHECK(sp_profile_record_ms(&q, &q.records[0]) == 0.25);
  q.records[0].evict_bytes = -1; /* unknown (files before the field): scaled */
  CHECK(sp_profile_record_ms(&q, &q.records[0]) == 0.0625);
  CHECK(q.records[3].device == 0 && sp_profile_record_ms(&q, &q.records[3]) == 0.25);
  sp = sp_profile_sequence_summary(&q); /* 0.5 and 0.25 dense, 1.2 compressed */
  CHECK(sp.layers == 3 && sp.median == 0.5 && sp.min == 0.25 && sp.max == 1.2);
  CHECK(q.transitions[0].layer == -1 && q.transitions[0].h2d_ms == 0.04 && q.transitions[1].failed);
  int pw = sp_profile_find_layer(&q, "blocks.1.pw");
  CHECK(q.layers[pw].noise_max == 0.3 && q.layers[pw].unconverged == 1);
  CHECK(sp_profile_find_transition(&q, pw, 1) && !sp_profile_find_transition(&q, pw, 0));
  /* what --resume keeps of a run cut short */
  q.layers[0].measured = 0;
  sp_profile_drop_unmeasured(&q);
  CHECK(q.n_records == p.n_records - 1);
  sp_profile_free(&q);
  sp_profile_free(&p);
  sp_graph_free(g);
}

/* Replaces the first `from` in the saved file by `to` and expects the
 * reader to refuse it naming the file and `field`. */
static void expect_refused(const char *text, const char *from, const char *to, const char *field) {
  const char *at = strstr(text, from);
  CHECK_MSG(at != NULL, "'%s' not in the file", from);
  if (!at) return;
  FILE *f = fopen(bad, "w");
  fwrite(text, 1, (size_t)(at - text), f);
  fputs(to, f);
  fputs(at + strlen(from), f);
  fclose(f);
  sp_profile q;
  sp_status s = sp_profile_load(bad, &q);
  const char *msg = sp_last_error();
  CHECK_MSG(s == SP_ERR_INPUT && strstr(msg, bad) && strstr(msg, field) && !strchr(msg, '\n'),
            "%s -> %s: status %d, '%s' (want field %s)", from, to, s, msg, field);
  CHECK(q.n_records == 0 && q.records == NULL);
}

static void test_refused(void) {
  FILE *f = fopen(path, "r");
  static char text[1 << 20];
  size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
  if (f) fclose(f);
  text[n] = 0;
  CHECK(n > 1000);
  expect_refused(text, "\"stackplan-profile\"", "\"stackplan-plan\"", "format");
  expect_refused(text, "\"version\": 1", "\"version\": 2", "version");
  expect_refused(text, "\"fingerprint\":\"", "\"fingerprint\":\"x", "device.fingerprint");
  expect_refused(text, "\"threads\":[1]", "\"threads\":[0]", "config.threads");
  expect_refused(text, "\"rel_ci\":0.05", "\"rel_ci\":2", "config.protocol.rel_ci");
  expect_refused(text, "\"cold_caches\":true", "\"cold_caches\":3", "config.protocol.cold_caches");
  expect_refused(text, "\"variants\":null", "\"variants\":[\"conv2d__magic\"]", "config.variants");
  expect_refused(text, "\"keep\":[1,0.5],\"kept\":[8,4]", "\"keep\":[1,0.5],\"kept\":[8]", "groups[1].kept");
  expect_refused(text, "\"inputs\":[\"input\"]", "\"inputs\":[\"fc\"]", "layers[0].inputs");
  expect_refused(text, "\"act_bytes\":[32768,16384]", "\"act_bytes\":[32768]", "layers[0].act_bytes");
  expect_refused(text, "\"keep_in\":0.5", "\"keep_in\":0.6", "records[0].keep_in");
  expect_refused(text, "\"variant\":\"conv2d__1x1_gemm_omp\"", "\"variant\":\"conv2d__magic\"",
                 "records[0].variant");
  expect_refused(text, "\"variant\":\"conv2d__1x1_gemm_omp\"", "\"variant\":\"relu__vec_omp\"",
                 "records[0].variant");
  expect_refused(text, "\"backend\":\"openmp\"", "\"backend\":\"serial\"", "records[0].backend");
  expect_refused(text, "\"residency\":\"host\"", "\"residency\":\"device:0\"", "records[0].residency");
  expect_refused(text, "\"residency\":\"host\"", "\"residency\":\"gpu\"", "records[0].residency");
  expect_refused(text, "\"median_ms\":0.25", "\"median_ms\":-1", "records[0].median_ms");
  expect_refused(text, "\"p90_ms\":0.5", "\"p90_ms\":0.1", "records[0].p90_ms");
  expect_refused(text, "\"kind\":\"prune\",\"rate\":0.9", "\"kind\":\"prune\",\"rate\":1.5",
                 "records[1].compression.rate");
  expect_refused(text, "\"kind\":\"prune\"", "\"kind\":\"quantise\"", "records[1].compression.kind");
  expect_refused(text, "\"wg_x\":4", "\"wg_x\":3", "records[3].params");
  expect_refused(text, "\"tensor\":\"input\"", "\"tensor\":\"nowhere\"", "transitions[0].tensor");
  expect_refused(text, "\"layer\":\"conv1\",\"median\"", "\"layer\":\"blocks.0.dw\",\"median\"", "noise[0].layer");
  expect_refused(text, "\"noise\": [", "\"noise\": 3, \"x\": [", "noise");
  expect_refused(text, "\"network_ms\":0.5", "\"network_ms\":-3", "layers[0].network_ms");
  expect_refused(text, "\"network_ms\":0.5", "\"network_ms\":\"fast\"", "layers[0].network_ms");
  expect_refused(text, "\"evict_bytes\":4096", "\"evict_bytes\":-5", "records[0].evict_bytes");
  expect_refused(text, "\"alone_ms\":0.2", "\"alone_ms\":0", "sequence[0].alone_ms");
  expect_refused(text, "\"in_sequence_ms\":0.1", "\"in_sequence_ms\":\"x\"", "sequence[0].in_sequence_ms");
  expect_refused(text, "\"sequence\":[", "\"sequence\":3,\"x\":[", "sequence");
  expect_refused(text, "\"sequence_compressed\":[", "\"sequence_compressed\":\"x\",\"y\":[",
                 "sequence_compressed");
  expect_refused(text, "\"compression\":{\"kind\":\"ternary\",\"rate\":0.7},\"threads\":1,\"alone_ms\":0.3",
                 "\"compression\":{\"kind\":\"none\",\"rate\":0},\"threads\":1,\"alone_ms\":0.3",
                 "sequence_compressed[0]");
  expect_refused(text, "\"compression\":{\"kind\":\"ternary\",\"rate\":0.7},\"threads\":1,\"alone_ms\":0.3",
                 "\"threads\":1,\"alone_ms\":0.3", "sequence_compressed[0]");
  expect_refused(text, "\"alone_ms\":0.3", "\"alone_ms\":-0.3", "sequence_compressed[0].alone_ms");
  expect_refused(text, "\"sequence\":[", "\"sequence\":[null,null,", "sequence");
  expect_refused(text, "\"sequence\":[", "\"sequence\":[7,", "sequence");
  expect_refused(text, "\"keep_in\":1,\"keep_out\":1,\"variant\":\"conv2d__1x1_gemm_serial\"",
                 "\"keep_in\":1,\"keep_out\":0.5,\"variant\":\"conv2d__1x1_gemm_serial\"", "sequence[0].keep_out");
  expect_refused(text, "\"keep_in\":1,\"keep_out\":1,\"variant\":\"conv2d__1x1_gemm_serial\"",
                 "\"keep_in\":1,\"keep_out\":0.3,\"variant\":\"conv2d__1x1_gemm_serial\"", "sequence[0].keep_out");
  expect_refused(text, "\"variant\":\"conv2d__1x1_gemm_serial\",\"threads\":1,\"alone_ms\"",
                 "\"variant\":\"conv2d__magic\",\"threads\":1,\"alone_ms\"", "sequence[0].variant");
  expect_refused(text, "\"variant\":\"conv2d__1x1_gemm_serial\",\"threads\":1,\"alone_ms\"",
                 "\"variant\":\"conv2d__1x1_gemm_serial\",\"threads\":0,\"alone_ms\"", "sequence[0].threads");
  expect_refused(text, "\"evict_bytes\":8192", "\"evict_bytes\":-1", "sequence[1].evict_bytes");
  expect_refused(text, "\"variant\":\"conv2d__im2col_gemm_omp\"", "\"variant\":\"relu__vec_omp\"",
                 "sequence[1].variant");
  expect_refused(text, "\"variant\":\"conv2d__im2col_gemm_omp\"", "\"variant\":\"conv2d__direct_opencl\"",
                 "sequence[1].variant");
  expect_refused(text, "\"keep_in\":1,\"keep_out\":0.5,\"variant\":\"conv2d__im2col_gemm_omp\"",
                 "\"keep_in\":1,\"keep_out\":1,\"variant\":\"conv2d__im2col_gemm_omp\"", "sequence[1].keep_out");
  /* truncated: a crash mid-write of a non-atomic writer */
  FILE *t = fopen(bad, "w");
  fwrite(text, 1, n / 2, t);
  fclose(t);
  sp_profile q;
  CHECK(sp_profile_load(bad, &q) == SP_ERR_INPUT && strstr(sp_last_error(), "not valid JSON"));
  CHECK(sp_profile_load("/nonexistent/p.json", &q) == SP_ERR_IO);
}

static void test_resume_checks(void) {
  sp_profile p, other;
  sp_graph *g = NULL, *g2 = NULL;
  build(&p, &g);
  sp_device_info dev = p.device;
  sp_profile_config c = p.config;
  CHECK(sp_profile_init(g, p.model, &dev, &c, &other) == SP_OK);
  CHECK(sp_profile_check_resume("f.json", &p, &other) == SP_OK);
  snprintf(other.device.cpu, sizeof other.device.cpu, "another CPU");
  sp_device_info_seal(&other.device);
  CHECK(sp_profile_check_resume("f.json", &p, &other) == SP_ERR_INPUT && strstr(sp_last_error(), "device.cpu"));
  sp_profile_free(&other);
  c.threads[0] = 2;
  CHECK(sp_profile_init(g, p.model, &dev, &c, &other) == SP_OK);
  CHECK(sp_profile_check_resume("f.json", &p, &other) == SP_ERR_INPUT && strstr(sp_last_error(), "config.threads"));
  sp_profile_free(&other);
  CHECK(sp_model_load("mobilenet:w=0.5", &g2) == SP_OK);
  CHECK(sp_profile_init(g2, "mobilenet:w=0.5", &dev, &p.config, &other) == SP_OK);
  CHECK(sp_profile_check_resume("f.json", &p, &other) == SP_ERR_INPUT && strstr(sp_last_error(), "model.fingerprint"));
  sp_profile_free(&other);
  /* a config whose --variants leaves a layer nothing to run */
  c = p.config;
  snprintf(c.variants, sizeof c.variants, "conv2d__1x1_gemm_serial");
  CHECK(sp_profile_init(g, p.model, &dev, &c, &other) == SP_ERR_INPUT && strstr(sp_last_error(), "conv1"));
  snprintf(c.variants, sizeof c.variants, "conv2d__nope");
  CHECK(sp_profile_init(g, p.model, &dev, &c, &other) == SP_ERR_INPUT && strstr(sp_last_error(), "conv2d__nope"));
  snprintf(c.variants, sizeof c.variants, "conv2d__reference");
  CHECK(sp_profile_init(g, p.model, &dev, &c, &other) == SP_ERR_INPUT);
  sp_profile_free(&p);
  sp_graph_free(g);
  sp_graph_free(g2);
}

int main(void) {
  if (!mkdtemp(dir)) return 1;
  snprintf(path, sizeof path, "%s/p.json", dir);
  snprintf(bad, sizeof bad, "%s/bad.json", dir);
  test_round_trip();
  test_refused();
  test_resume_checks();
  remove(path);
  remove(bad);
  rmdir(dir);
  return sp_test_finish("test_profile_io");
}
