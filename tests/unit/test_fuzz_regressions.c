/* Replays the fuzzers' inputs through the same buffer APIs they use: every
 * file of tests/fuzz/regressions/{onnx,npy} (inputs that once crashed or
 * misbehaved, kept after the fix) and of the seed corpora. Each must give
 * SP_OK or SP_ERR_INPUT, and no sanitizer report (ASan/UBSan build). */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "engine/data/npy.h"
#include "engine/onnx/onnx_import.h"
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

/* Replays every regular file of tests/fuzz/<sub>; returns how many. */
static int replay_dir(const char *sub, sp_status (*replay)(const unsigned char *, size_t)) {
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
    free(buf);
    files++;
  }
  closedir(d);
  return files;
}

int main(void) {
  CHECK(replay_dir("regressions/onnx", replay_onnx) >= 2);
  CHECK(replay_dir("regressions/npy", replay_npy) >= 1);
  CHECK(replay_dir("corpus/onnx", replay_onnx) >= 3);
  CHECK(replay_dir("corpus/npy", replay_npy) >= 3);
  return sp_test_finish("test_fuzz_regressions");
}
