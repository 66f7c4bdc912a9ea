/* The tuning cache: round trip through its file, exact and nearest-shape
 * lookups, the point handed to the profiler, and damaged files (refused by
 * the strict reader naming file and field; ignored with a warning, then
 * replaced, by the tolerant one). */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, setenv */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/graph/channel_groups.h"
#include "engine/onnx/model.h"
#include "kernels/registry.h"
#include "profiler/layer_instance.h"
#include "search/tune.h"
#include "tests/unit/testing.h"

static char dir[64] = "/tmp/sp_tune_cache_XXXXXX";

/* The instance of `layer` of mobilenet:w=0.25 at keep level `level` of its
 * input and output groups (both 0 or both 1 for a depthwise layer). */
static sp_graph *instance(const char *layer, int level_in, int level_out) {
  sp_graph *g = NULL, *inst = NULL;
  if (sp_model_load("mobilenet:w=0.25", &g)) return NULL;
  sp_channel_groups cg;
  sp_keep_table kt;
  const double grid[] = {0.5};
  sp_channel_groups_compute(g, &cg);
  sp_keep_table_build(g, &cg, grid, 1, &kt);
  int node = 1;
  while (strcmp(g->nodes[node].name, layer)) node++;
  sp_compress_choice none = {SP_WEIGHTS_DENSE, 0};
  CHECK(sp_layer_instance_build(g, &cg, &kt, node, level_in, level_out, none, &inst) == SP_OK);
  sp_keep_table_free(&kt);
  sp_channel_groups_free(&cg);
  sp_graph_free(g);
  return inst;
}

static sp_tune_entry entry_for(const sp_variant *v, const sp_graph *inst, int wg) {
  sp_tune_entry e = {.best_ms = 0.1, .default_ms = 0.2, .evaluations = 30, .failures = 2,
                     .space = 245, .seed = 7};
  snprintf(e.variant, sizeof e.variant, "%s", v->name);
  sp_tune_source_hash(v, e.source);
  sp_tune_shape_key(inst, &inst->nodes[1], 1, e.shape, sizeof e.shape);
  e.n_params = sp_variant_default_params(v, e.values);
  for (int i = 0; i < e.n_params; i++) snprintf(e.names[i], sizeof e.names[i], "%s", v->params->params[i].name);
  e.values[0] = wg;
  snprintf(e.strategy, sizeof e.strategy, "anneal");
  snprintf(e.created, sizeof e.created, "2026-01-01T00:00:00Z");
  return e;
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (f) {
    fputs(text, f);
    fclose(f);
  }
}

int main(void) {
  if (!mkdtemp(dir)) return 1;
  setenv("SP_CACHE_DIR", dir, 1);
  sp_device_info dev;
  CHECK(sp_device_info_collect(-1, &dev) == SP_OK);
  CHECK(strlen(dev.fingerprint) == 16 && dev.cores >= 1 && dev.openblas[0] && dev.glpk[0]);
  sp_tune_cache c;
  CHECK(sp_tune_cache_open(&dev, &c) == SP_OK && c.n == 0 && strstr(c.path, dir) && strstr(c.path, dev.fingerprint));

  const sp_variant *dw = sp_registry_find("conv2d__depthwise_opencl");
  sp_graph *full = instance("blocks.2.dw", 0, 0), *half = instance("blocks.2.dw", 1, 1),
           *other = instance("blocks.3.dw", 0, 0);
  if (!full || !half || !other || !dw) return sp_test_finish("test_tune_cache");
  sp_tune_entry e = entry_for(dw, full, 16);
  CHECK(strstr(e.shape, "conv2d k3x3 s1x1") && strstr(e.shape, " dw ") && strstr(e.shape, "c=32->32 w=dense"));
  CHECK(sp_tune_cache_put(&c, &e) == SP_OK);
  e.best_ms = 0.05;
  CHECK(sp_tune_cache_put(&c, &e) == SP_OK && c.n == 1 && c.entries[0].best_ms == 0.05); /* replaced */
  CHECK(sp_tune_cache_save(&c) == SP_OK);
  sp_tune_cache_close(&c);

  /* round trip */
  CHECK(sp_tune_cache_open(&dev, &c) == SP_OK && c.n == 1);
  const sp_tune_entry *got = sp_tune_cache_find(&c, e.variant, e.source, e.shape);
  CHECK(got && got->values[0] == 16 && got->n_params == e.n_params && got->best_ms == 0.05 &&
        got->seed == 7 && !strcmp(got->strategy, "anneal") && got->failures == 2);
  /* exact, nearest (other channel counts), none (other geometry) */
  int point[SP_MAX_PARAMS];
  CHECK(sp_tune_cache_point(&c, dw, full, 1, point) && point[0] == 16);
  CHECK(sp_tune_cache_lookup(&c, dw, half, 1) == got);
  CHECK(sp_tune_cache_point(&c, dw, half, 1, point) && point[0] == 16);
  CHECK(!sp_tune_cache_lookup(&c, dw, other, 1)); /* stride 2 */
  CHECK(!sp_tune_cache_lookup(&c, dw, full, 4));  /* another batch */
  char source[17];
  sp_tune_source_hash(sp_registry_find("conv2d__direct_opencl"), source);
  CHECK(strcmp(source, e.source) != 0);
  sp_tune_cache_close(&c);

  /* damaged files: refused naming file and field, or ignored when opening */
  char path[1100];
  sp_tune_cache_path(&dev, path, sizeof path);
  const char *cases[][2] = {
      {"{\"format\": \"stackplan-tuning\", \"version\": 1, \"device\": {\"fingerprint\": \"0000000000000000\"}, \"entries\": []}", "device.fingerprint"},
      {"{\"format\": \"stackplan-tuning\", \"version\": 9, \"device\": {}, \"entries\": []}", "version"},
      {"{\"format\": \"stackplan-profile\", \"version\": 1}", "format"},
      {"{\"format\": \"stackplan-tuning\", \"vers", "not valid JSON"},
      {"[1, 2, 3]", "expected a JSON object"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    write_file(path, cases[i][0]);
    sp_status s = sp_tune_cache_load(path, &dev, &c);
    CHECK_MSG(s == SP_ERR_INPUT && strstr(sp_last_error(), path) && strstr(sp_last_error(), cases[i][1]),
              "case %zu: %d %s", i, s, sp_last_error());
    CHECK(sp_tune_cache_open(&dev, &c) == SP_OK && c.n == 0); /* warns, starts empty */
    sp_tune_cache_close(&c);
  }
  char text[2048];
  snprintf(text, sizeof text,
           "{\"format\": \"stackplan-tuning\", \"version\": 1, \"device\": {\"fingerprint\": \"%s\"},"
           " \"entries\": [{\"variant\": \"x\", \"source\": \"y\", \"shape\": \"z\", \"params\": {\"wg\": 1.5}}]}",
           dev.fingerprint);
  write_file(path, text);
  CHECK(sp_tune_cache_load(path, &dev, &c) == SP_ERR_INPUT && strstr(sp_last_error(), "entries[0].params"));
  /* the next save replaces the damaged file */
  CHECK(sp_tune_cache_open(&dev, &c) == SP_OK);
  e.values[0] = 8;
  CHECK(sp_tune_cache_put(&c, &e) == SP_OK && sp_tune_cache_save(&c) == SP_OK);
  sp_tune_cache_close(&c);
  CHECK(sp_tune_cache_load(path, &dev, &c) == SP_OK && c.n == 1 && c.entries[0].values[0] == 8);
  sp_tune_cache_close(&c);

  sp_graph_free(full);
  sp_graph_free(half);
  sp_graph_free(other);
  remove(path);
  char sub[1100];
  snprintf(sub, sizeof sub, "%s/tuning", dir);
  rmdir(sub);
  rmdir(dir);
  return sp_test_finish("test_tune_cache");
}
