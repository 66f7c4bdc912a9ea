/* Replays the fuzzers' inputs through the same buffer APIs they use: every
 * file of tests/fuzz/regressions/<target> (inputs that once crashed or
 * misbehaved, kept after the fix) and of the seed corpora, for every loader
 * (onnx, npy, profile, accuracy, plan, tuning cache, models manifest). Each
 * must give SP_OK or SP_ERR_INPUT with a one-line message, and no sanitizer
 * report (ASan/UBSan build); the JSON seeds are real files and must load. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "accuracy/accuracy_io.h"
#include "engine/data/npy.h"
#include "engine/onnx/onnx_import.h"
#include "planner/plan_io.h"
#include "profiler/profile_io.h"
#include "results/demo_manifest.h"
#include "search/tune_cache.h"
#include "tests/unit/testing.h"

static unsigned char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
  *len = buf ? fread(buf, 1, (size_t)n, f) : 0;
  fclose(f);
  return buf;
}

static sp_status replay_onnx(const unsigned char *buf, size_t len) {
  sp_graph *g = NULL;
  sp_status s = sp_onnx_import_buffer(buf, len, "replay.onnx", &g);
  if (!s) s = sp_graph_optimize(g);
  sp_graph_free(g);
  return s;
}

static sp_status replay_npy(const unsigned char *buf, size_t len) {
  sp_npy a;
  sp_status s = sp_npy_read_buffer(buf, len, "replay.npy", &a);
  sp_npy_free(&a);
  return s;
}

static sp_status replay_profile(const unsigned char *buf, size_t len) {
  sp_profile p;
  sp_status s = sp_profile_load_buffer(buf, len, "replay.profile.json", &p);
  if (!s) sp_profile_free(&p);
  return s;
}

static sp_status replay_accuracy(const unsigned char *buf, size_t len) {
  sp_accuracy a;
  sp_status s = sp_accuracy_load_buffer(buf, len, "replay.accuracy.json", &a);
  if (!s) sp_accuracy_free(&a);
  return s;
}

static sp_status replay_plan(const unsigned char *buf, size_t len) {
  sp_plan_file f;
  sp_status s = sp_plan_file_load_buffer(buf, len, "replay.plan.json", &f);
  if (!s) sp_plan_file_free(&f);
  return s;
}

/* as tests/fuzz/fuzz_tune_cache.c: the device of the seed corpus */
static sp_status replay_tune_cache(const unsigned char *buf, size_t len) {
  sp_device_info d;
  memset(&d, 0, sizeof d);
  strcpy(d.fingerprint, "00112233aabbccdd");
  sp_tune_cache c;
  sp_status s = sp_tune_cache_load_buffer(buf, len, "replay.tune.json", &d, &c);
  if (!s) sp_tune_cache_close(&c);
  return s;
}

static sp_status replay_manifest(const unsigned char *buf, size_t len) {
  sp_manifest m;
  return sp_manifest_load_buffer(buf, len, "replay.manifest.json", &m);
}

/* Replays every regular file of tests/fuzz/<sub>; returns how many. With
 * must_load, each must give SP_OK. */
static int replay_dir_expect(const char *sub, sp_status (*replay)(const unsigned char *, size_t),
                             int must_load) {
  const char *slash = strrchr(__FILE__, '/');
  int n = slash ? (int)(slash - __FILE__) : 0, files = 0;
  char dir[512];
  snprintf(dir, sizeof dir, "%.*s/../fuzz/%s", n, __FILE__, sub);
  DIR *d = opendir(dir);
  CHECK_MSG(d != NULL, "%s", dir);
  if (!d) return 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.' || !strcmp(e->d_name, "README.md")) continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    size_t len = 0;
    unsigned char *buf = read_all(path, &len);
    if (!buf) continue;
    sp_status s = replay(buf, len);
    CHECK_MSG(s == SP_OK || s == SP_ERR_INPUT, "%s: status %d: %s", path, s, sp_last_error());
    CHECK_MSG(s == SP_OK || !strchr(sp_last_error(), '\n'), "%s: message on two lines", path);
    CHECK_MSG(!must_load || s == SP_OK, "%s: a seed that does not load: %s", path, sp_last_error());
    free(buf);
    files++;
  }
  closedir(d);
  return files;
}

static int replay_dir(const char *sub, sp_status (*replay)(const unsigned char *, size_t)) {
  return replay_dir_expect(sub, replay, 0);
}

/* As replay_dir for a folder that exists only once a target found something. */
static int replay_dir_opt(const char *sub, sp_status (*replay)(const unsigned char *, size_t)) {
  const char *slash = strrchr(__FILE__, '/');
  int n = slash ? (int)(slash - __FILE__) : 0;
  char dir[512];
  snprintf(dir, sizeof dir, "%.*s/../fuzz/%s", n, __FILE__, sub);
  DIR *d = opendir(dir);
  if (!d) return 0;
  closedir(d);
  return replay_dir(sub, replay);
}

int main(void) {
  CHECK(replay_dir("regressions/onnx", replay_onnx) >= 2);
  CHECK(replay_dir("regressions/npy", replay_npy) >= 1);
  CHECK(replay_dir("corpus/onnx", replay_onnx) >= 3);
  CHECK(replay_dir("corpus/npy", replay_npy) >= 3);
  static const struct {
    const char *name;
    sp_status (*replay)(const unsigned char *, size_t);
  } json[] = {{"profile", replay_profile}, {"accuracy", replay_accuracy}, {"plan", replay_plan},
              {"tune_cache", replay_tune_cache}, {"manifest", replay_manifest}};
  for (size_t i = 0; i < sizeof json / sizeof json[0]; i++) {
    char sub[64];
    snprintf(sub, sizeof sub, "corpus/%s", json[i].name);
    CHECK_MSG(replay_dir_expect(sub, json[i].replay, 1) >= 1, "%s", sub);
    snprintf(sub, sizeof sub, "regressions/%s", json[i].name);
    if (i == 3) CHECK_MSG(replay_dir(sub, json[i].replay) >= 1, "%s", sub);
    else replay_dir_opt(sub, json[i].replay);
  }
  return sp_test_finish("test_fuzz_regressions");
}
