/* engine/core/file_io: the one reader and the one atomic writer, and every
 * loader through them. A FIFO with no writer, /dev/zero, /dev/urandom and a
 * directory are refused at once with one line naming the file (an alarm
 * turns a hang into a failure); a file over its kind's cap is refused
 * before it is read; two writers of one destination both succeed and leave
 * one whole file and no temporary; sp_fail may quote sp_last_error(). */
#define _GNU_SOURCE
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accuracy/accuracy_io.h"
#include "engine/core/file_io.h"
#include "engine/data/npy.h"
#include "engine/onnx/onnx_import.h"
#include "planner/plan_io.h"
#include "profiler/profile_io.h"
#include "results/demo_manifest.h"
#include "search/tune_cache.h"
#include "tests/unit/testing.h"

static char dir[] = "/tmp/sp_test_file_io_XXXXXX";

static void on_alarm(int sig) {
  (void)sig;
  static const char msg[] = "test_file_io: a loader blocked (alarm)\n";
  (void)!write(2, msg, sizeof msg - 1);
  _exit(1);
}

static void in_dir(char *out, size_t size, const char *name) { snprintf(out, size, "%s/%s", dir, name); }

/* Every path loader, by name: its status on `path`. */
static sp_status load_as(const char *kind, const char *path) {
  sp_status s = SP_ERR_RUNTIME;
  if (!strcmp(kind, "profile")) {
    sp_profile p;
    if (!(s = sp_profile_load(path, &p))) sp_profile_free(&p);
  } else if (!strcmp(kind, "accuracy")) {
    sp_accuracy a;
    if (!(s = sp_accuracy_load(path, &a))) sp_accuracy_free(&a);
  } else if (!strcmp(kind, "plan")) {
    sp_plan_file f;
    if (!(s = sp_plan_file_load(path, &f))) sp_plan_file_free(&f);
  } else if (!strcmp(kind, "tune_cache")) {
    sp_device_info d;
    memset(&d, 0, sizeof d);
    sp_tune_cache c;
    if (!(s = sp_tune_cache_load(path, &d, &c))) sp_tune_cache_close(&c);
  } else if (!strcmp(kind, "manifest")) {
    sp_manifest m;
    s = sp_manifest_load(path, &m);
  } else if (!strcmp(kind, "onnx")) {
    sp_graph *g = NULL;
    s = sp_onnx_import_file(path, &g);
    sp_graph_free(g);
  } else if (!strcmp(kind, "npy")) {
    sp_npy a;
    if (!(s = sp_npy_read_file(path, &a))) sp_npy_free(&a);
  }
  return s;
}

static const char *const kinds[] = {"profile", "accuracy", "plan", "tune_cache", "manifest", "onnx", "npy"};

/* Special files: refused by every loader with SP_ERR_IO, at once. */
static void check_special_files(void) {
  char fifo[600], sub[600];
  in_dir(fifo, sizeof fifo, "f.onnx");
  in_dir(sub, sizeof sub, "sub");
  CHECK(mkfifo(fifo, 0600) == 0);
  CHECK(mkdir(sub, 0700) == 0);
  const char *const paths[] = {fifo, "/dev/zero", "/dev/urandom", sub};
  const char *const why[] = {"is a FIFO", "is a device", "is a device", "is a directory"};
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
    for (int p = 0; p < 4; p++) {
      alarm(20);
      sp_status s = load_as(kinds[k], paths[p]);
      alarm(0);
      const char *msg = sp_last_error();
      CHECK_MSG(s == SP_ERR_IO && strstr(msg, paths[p]) && strstr(msg, why[p]) && !strchr(msg, '\n'),
                "%s %s: status %d, '%s'", kinds[k], paths[p], s, msg);
    }
  unlink(fifo);
  rmdir(sub);
}

/* A file over its kind's cap is refused from its size, before a byte is
 * read (a sparse file: nothing is written to the disk either). */
static void check_size_cap(void) {
  char big[600];
  in_dir(big, sizeof big, "big.json");
  FILE *f = fopen(big, "w");
  CHECK(f && ftruncate(fileno(f), (off_t)SP_FILE_CAP_JSON + 1) == 0);
  if (f) fclose(f);
  for (size_t k = 0; k < 5; k++) { /* the JSON kinds */
    sp_status s = load_as(kinds[k], big);
    const char *msg = sp_last_error();
    CHECK_MSG(s == SP_ERR_INPUT && strstr(msg, big) && strstr(msg, "more than the cap"),
              "%s: status %d, '%s'", kinds[k], s, msg);
  }
  /* at the cap: read (and refused as JSON, which it is not) */
  f = fopen(big, "r+");
  CHECK(f && ftruncate(fileno(f), 64) == 0);
  if (f) fclose(f);
  char *data = NULL;
  size_t len = 0;
  CHECK(sp_file_read_all(big, 64, "a test file", &data, &len) == SP_OK && len == 64 && data[64] == 0);
  free(data);
  CHECK(sp_file_read_all(big, 63, "a test file", &data, &len) == SP_ERR_INPUT && !data);
  CHECK(strstr(sp_last_error(), "64 bytes, more than the cap of 63 for a test file") != NULL);
  unlink(big);
}

/* sp_fail(s, "%s: %s", path, sp_last_error()): the message quoted whole. */
static void check_fail_quotes_itself(void) {
  sp_fail(SP_ERR_INPUT, "layer conv1: variant x cannot run it");
  CHECK(sp_fail(SP_ERR_INPUT, "%s: %s", "plan.json", sp_last_error()) == SP_ERR_INPUT);
  CHECK_MSG(!strcmp(sp_last_error(), "plan.json: layer conv1: variant x cannot run it"), "'%s'",
            sp_last_error());
  /* twice over, with the message in the middle */
  sp_fail(SP_ERR_IO, "[%s|%s]", sp_last_error(), sp_last_error());
  CHECK(!strncmp(sp_last_error(), "[plan.json: layer conv1", 23) && strstr(sp_last_error(), "|plan.json"));
  /* control characters of any argument become '?': one line */
  sp_fail(SP_ERR_INPUT, "%s: '%s'", "a.json", "evil\nstackplan plan: ok\x1b[2J\r");
  CHECK_MSG(!strcmp(sp_last_error(), "a.json: 'evil?stackplan plan: ok?[2J?'"), "'%s'", sp_last_error());
}

/* The temporaries left in dir (names containing ".tmp."). */
static int temporaries(void) {
  DIR *d = opendir(dir);
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)))
    if (strstr(e->d_name, ".tmp.")) n++;
  if (d) closedir(d);
  return n;
}

/* Concurrent writers of one destination: 6 processes x 40 writes of a
 * distinct whole text each; every write succeeds, the file in the end is one
 * of the texts whole, and no temporary is left. */
static void check_concurrent_writers(void) {
  char out[600];
  in_dir(out, sizeof out, "same.json");
  enum { WRITERS = 6, WRITES = 40, SIZE = 20000 };
  pid_t pids[WRITERS];
  for (int w = 0; w < WRITERS; w++) {
    pids[w] = fork();
    if (pids[w] == 0) {
      static char text[SIZE];
      memset(text, 'a' + w, sizeof text);
      int failures = 0;
      for (int i = 0; i < WRITES; i++) failures += sp_file_write_atomic(out, text, sizeof text) != SP_OK;
      _exit(failures ? 1 : 0);
    }
  }
  for (int w = 0; w < WRITERS; w++) {
    int status = 0;
    CHECK(pids[w] > 0 && waitpid(pids[w], &status, 0) == pids[w]);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer %d failed", w);
  }
  char *data = NULL;
  size_t len = 0;
  CHECK(sp_file_read_all(out, SP_FILE_CAP_JSON, "a test file", &data, &len) == SP_OK);
  CHECK(len == SIZE && data && data[0] >= 'a' && data[0] < 'a' + WRITERS);
  int whole = len == SIZE && data;
  for (size_t i = 1; whole && i < len; i++) whole = data[i] == data[0];
  CHECK_MSG(whole, "the file mixes two writers' texts");
  free(data);
  CHECK(temporaries() == 0);
  struct stat st;
  mode_t mask = umask(0); /* the mode a plain fopen gives, not mkstemp's 0600 */
  umask(mask);
  CHECK(stat(out, &st) == 0 && (st.st_mode & 0777) == (0666 & ~mask));
  unlink(out);
}

/* A failed write (the folder is missing) leaves nothing behind. */
static void check_failed_write(void) {
  char out[600];
  in_dir(out, sizeof out, "missing/x.json");
  CHECK(sp_file_write_atomic(out, "x", 1) == SP_ERR_IO && strstr(sp_last_error(), out));
  sp_atomic_file af;
  in_dir(out, sizeof out, "aborted.json");
  CHECK(sp_atomic_open(out, &af) == SP_OK && af.f && temporaries() == 1);
  fputs("half", af.f);
  sp_atomic_abort(&af);
  struct stat st;
  CHECK(stat(out, &st) != 0 && temporaries() == 0);
}

/* A tuning cache parameter value out of int range: refused before the cast
 * (found by fuzz_tune_cache: (int)inf is undefined). */
static void check_tune_cache_param_range(void) {
  static const char *const values[] = {"1e300", "-1e300", "1e309", "2147483648"};
  for (int i = 0; i < 4; i++) {
    char text[1024];
    snprintf(text, sizeof text,
             "{\"format\": \"stackplan-tuning\", \"version\": 1, \"device\": {\"fingerprint\": "
             "\"00112233aabbccdd\"}, \"entries\": [{\"variant\": \"v\", \"source\": \"s\", \"shape\": "
             "\"x\", \"params\": {\"wg\": %s}, \"best_ms\": 1, \"default_ms\": 1, \"evaluations\": 1, "
             "\"failures\": 0, \"space\": 1, \"strategy\": \"grid\", \"seed\": 1, \"created\": \"t\"}]}",
             values[i]);
    sp_device_info d;
    memset(&d, 0, sizeof d);
    strcpy(d.fingerprint, "00112233aabbccdd");
    sp_tune_cache c;
    sp_status s = sp_tune_cache_load_buffer(text, strlen(text), "t.json", &d, &c);
    CHECK_MSG(s == SP_ERR_INPUT && strstr(sp_last_error(), "entries[0].params"), "%s: status %d, %s",
              values[i], s, sp_last_error());
    if (!s) sp_tune_cache_close(&c);
  }
}

/* .npy inputs must be finite (infer --input). */
static void check_npy_finite(void) {
  char path[600];
  in_dir(path, sizeof path, "x.npy");
  float x[6] = {0, 1, 2, 3, 4, 5};
  int64_t shape[1] = {6};
  sp_npy a;
  CHECK(sp_npy_write_file(path, x, 1, shape) == SP_OK && sp_npy_read_file(path, &a) == SP_OK);
  CHECK(sp_npy_check_finite(&a, path) == SP_OK);
  sp_npy_free(&a);
  x[4] = NAN;
  CHECK(sp_npy_write_file(path, x, 1, shape) == SP_OK && sp_npy_read_file(path, &a) == SP_OK);
  CHECK(sp_npy_check_finite(&a, path) == SP_ERR_INPUT && strstr(sp_last_error(), "element 4 is NaN"));
  sp_npy_free(&a);
  x[4] = 0;
  x[1] = -INFINITY;
  CHECK(sp_npy_write_file(path, x, 1, shape) == SP_OK && sp_npy_read_file(path, &a) == SP_OK);
  CHECK(sp_npy_check_finite(&a, path) == SP_ERR_INPUT && strstr(sp_last_error(), "element 1 is inf"));
  sp_npy_free(&a);
  unlink(path);
}

/* sp_make_dirs: nested folders at once, an existing one, a file in the way. */
static void check_make_dirs(void) {
  char path[600], file[600];
  snprintf(path, sizeof path, "%s/a/b/c", dir);
  CHECK_MSG(sp_make_dirs(path) == SP_OK, "%s", sp_last_error());
  struct stat st;
  CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
  CHECK_MSG(sp_make_dirs(path) == SP_OK, "again: %s", sp_last_error());
  snprintf(file, sizeof file, "%s/a/f", dir);
  FILE *f = fopen(file, "w");
  CHECK(f != NULL);
  if (f) fclose(f);
  snprintf(path, sizeof path, "%s/a/f/g", dir);
  CHECK(sp_make_dirs(path) == SP_ERR_IO && strstr(sp_last_error(), "a/f") != NULL);
  unlink(file);
  static const char *const made[] = {"a/b/c", "a/b", "a"};
  for (size_t i = 0; i < sizeof made / sizeof made[0]; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, made[i]);
    CHECK(rmdir(path) == 0);
  }
}

int main(void) {
  signal(SIGALRM, on_alarm);
  CHECK(mkdtemp(dir) != NULL);
  check_special_files();
  check_size_cap();
  check_fail_quotes_itself();
  check_concurrent_writers();
  check_failed_write();
  check_tune_cache_param_range();
  check_npy_finite();
  check_make_dirs();
  CHECK(temporaries() == 0);
  rmdir(dir);
  return sp_test_finish("test_file_io");
}
