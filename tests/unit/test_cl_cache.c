/* The OpenCL program cache and runtime: the entry format on its own (store,
 * load, every kind of damage rejected), then on a device: the first build
 * compiles and writes an entry, a second "run" (devices shut down and
 * reopened) loads it without compiling, a corrupt or truncated entry is
 * rejected and rebuilt, other options get their own entry; device ids parse
 * or fail naming the valid ones. The cache lives in a fresh temp folder
 * (SP_CACHE_DIR). The device part skips without OpenCL. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/opencl/cl_cache.h"
#include "engine/opencl/cl_runtime.h"
#include "tests/unit/testing.h"

static char cache_dir[256];

static const char source[] =
    "__kernel void triple(__global float *x, int n) {\n"
    "  int i = get_global_id(0);\n"
    "  if (i < n) x[i] = 3.0f * x[i];\n"
    "}\n";

/* The one entry file in <cache>/opencl with the given index (sorted order). */
static int entry_path(int which, char *out, size_t cap) {
  char dir[300];
  snprintf(dir, sizeof dir, "%s/opencl", cache_dir);
  struct dirent **list = NULL;
  int n = scandir(dir, &list, NULL, alphasort), found = 0, seen = 0;
  for (int i = 0; i < n; i++) {
    if (strstr(list[i]->d_name, ".bin") && !strstr(list[i]->d_name, ".tmp") && seen++ == which) {
      snprintf(out, cap, "%s/%s", dir, list[i]->d_name);
      found = 1;
    }
    free(list[i]);
  }
  free(list);
  return found;
}

static int count_entries(void) {
  char path[600];
  int n = 0;
  while (entry_path(n, path, sizeof path)) n++;
  return n;
}

static long file_size(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fclose(f);
  return n;
}

/* Overwrites one byte at `offset` (negative: from the end) with its complement. */
static void flip_byte(const char *path, long offset) {
  FILE *f = fopen(path, "r+b");
  CHECK(f != NULL);
  if (!f) return;
  fseek(f, offset, offset < 0 ? SEEK_END : SEEK_SET);
  int c = fgetc(f);
  fseek(f, offset, offset < 0 ? SEEK_END : SEEK_SET);
  fputc(~c & 0xff, f);
  fclose(f);
}

static void truncate_to(const char *path, long size) { CHECK(truncate(path, size) == 0); }

/* The format alone: round trip, then every kind of damage rejected. */
static void test_format(void) {
  sp_cl_cache_key k = {.device = "dev", .driver = "1.0", .options = "-DX=1", .prelude = "p",
                       .source = "s"};
  char path[600];
  CHECK(sp_cl_cache_path(&k, path, sizeof path));
  CHECK(strstr(path, cache_dir) == path && strstr(path, "/opencl/"));
  const char payload[] = "binary payload";
  CHECK(sp_cl_cache_store(path, &k, payload, sizeof payload) == 0);
  void *got = NULL;
  size_t size = 0;
  const char *why = "";
  CHECK(sp_cl_cache_load(path, &k, &got, &size, &why) == 1);
  CHECK(got && size == sizeof payload && memcmp(got, payload, size) == 0);
  free(got);

  sp_cl_cache_key other = k;
  other.driver = "1.1"; /* a driver update invalidates */
  CHECK(sp_cl_cache_load(path, &other, &got, &size, &why) == -1 && !got);
  other = k;
  other.source = "t"; /* an edited kernel too, even if the file name collided */
  CHECK(sp_cl_cache_load(path, &other, &got, &size, &why) == -1 && !got);

  flip_byte(path, -1); /* payload damage */
  CHECK(sp_cl_cache_load(path, &k, &got, &size, &why) == -1 && strstr(why, "hash"));
  CHECK(sp_cl_cache_store(path, &k, payload, sizeof payload) == 0);
  truncate_to(path, file_size(path) - 3);
  CHECK(sp_cl_cache_load(path, &k, &got, &size, &why) == -1 && strstr(why, "sizes"));
  truncate_to(path, 10);
  CHECK(sp_cl_cache_load(path, &k, &got, &size, &why) == -1 && strstr(why, "shorter"));
  CHECK(sp_cl_cache_store(path, &k, payload, sizeof payload) == 0);
  flip_byte(path, 9); /* the version field */
  CHECK(sp_cl_cache_load(path, &k, &got, &size, &why) == -1 && strstr(why, "version"));
  flip_byte(path, 0); /* and the magic */
  CHECK(sp_cl_cache_load(path, &k, &got, &size, &why) == -1 && strstr(why, "not a stackplan"));
  remove(path);
  CHECK(sp_cl_cache_load(path, &k, &got, &size, &why) == 0);
}

/* Builds the test kernel, runs it on 5 floats and checks the result. */
static void build_and_run(const char *options, const char *what) {
  sp_cl_device *d = NULL;
  CHECK(sp_cl_device_get(0, &d) == SP_OK);
  void *k = NULL, *mem = NULL;
  sp_status s = sp_cl_kernel_create_from(d, "triple", source, options, "triple", &k);
  CHECK_MSG(s == SP_OK, "%s: %s", what, sp_last_error());
  float x[5] = {1, 2, 3, 4, 5};
  int n = 5;
  if (!s) s = sp_cl_buffer_upload(d, x, sizeof x, &mem);
  size_t global = 5;
  sp_cl_arg args[2] = {SP_CL_ARG(mem), SP_CL_ARG(n)};
  if (!s) s = sp_cl_launch(d, k, "triple", 1, &global, NULL, 2, args);
  if (!s) s = sp_cl_buffer_read(d, mem, 0, x, sizeof x);
  CHECK_MSG(s == SP_OK && x[0] == 3 && x[4] == 15, "%s: %s", what, sp_last_error());
  sp_cl_buffer_free(mem);
  sp_cl_kernel_free(k);
}

/* Builds, cache hits, rejection and rebuild, counted by the runtime. */
static void test_device_cache(void) {
  sp_cl_stats s0 = sp_cl_get_stats();
  build_and_run("", "first build");
  sp_cl_stats s1 = sp_cl_get_stats();
  CHECK(s1.builds == s0.builds + 1 && s1.cache_hits == s0.cache_hits);
  CHECK(count_entries() == 1);

  build_and_run("", "same process"); /* the program is reused from memory */
  sp_cl_stats s2 = sp_cl_get_stats();
  CHECK(s2.builds == s1.builds && s2.memory_hits == s1.memory_hits + 1);

  sp_cl_shutdown(); /* a second run: nothing in memory, the entry on disk */
  build_and_run("", "second run");
  sp_cl_stats s3 = sp_cl_get_stats();
  CHECK_MSG(s3.builds == s2.builds && s3.cache_hits == s2.cache_hits + 1,
            "second run compiled again (%d builds, %d hits)", s3.builds, s3.cache_hits);

  char path[600];
  CHECK(entry_path(0, path, sizeof path));
  long size = file_size(path);
  flip_byte(path, size / 2 > 200 ? size / 2 : -1); /* inside the binary */
  sp_cl_shutdown();
  build_and_run("", "corrupt entry");
  sp_cl_stats s4 = sp_cl_get_stats();
  CHECK(s4.cache_rejects == s3.cache_rejects + 1 && s4.builds == s3.builds + 1);
  sp_cl_shutdown(); /* the rewritten entry is whole again */
  build_and_run("", "rewritten entry");
  CHECK(sp_cl_get_stats().cache_hits == s4.cache_hits + 1);
  size = file_size(path);

  truncate_to(path, size - 100);
  sp_cl_shutdown();
  build_and_run("", "truncated entry");
  sp_cl_stats s5 = sp_cl_get_stats();
  CHECK(s5.cache_rejects == s4.cache_rejects + 1 && s5.builds == s4.builds + 1);

  FILE *f = fopen(path, "wb"); /* garbage in place of the entry */
  if (f) {
    fputs("not a cache entry at all, just text", f);
    fclose(f);
  }
  sp_cl_shutdown();
  build_and_run("", "garbage entry");
  sp_cl_stats s6 = sp_cl_get_stats();
  CHECK(s6.cache_rejects == s5.cache_rejects + 1 && s6.builds == s5.builds + 1);

  sp_cl_shutdown();
  build_and_run("", "after the rebuild");
  CHECK(sp_cl_get_stats().cache_hits == s6.cache_hits + 1);

  build_and_run("-DUNUSED=1", "other options"); /* its own entry */
  CHECK(sp_cl_get_stats().builds == s6.builds + 1);
  CHECK(count_entries() == 2);

  /* a kernel that does not compile: a failure with the log's line, no entry */
  sp_cl_device *d = NULL;
  CHECK(sp_cl_device_get(0, &d) == SP_OK);
  void *k = NULL;
  sp_status s = sp_cl_kernel_create_from(d, "broken", "__kernel void f( {", "", "f", &k);
  CHECK_MSG(s == SP_ERR_RUNTIME && strstr(sp_last_error(), "build of broken failed") && !k, "%s",
            sp_last_error());
  CHECK(count_entries() == 2);
  sp_cl_shutdown();
}

static void test_device_ids(void) {
  int n = sp_cl_device_count(), index = -1;
  CHECK(n >= 1);
  sp_cl_device_info info;
  CHECK(sp_cl_device_describe(0, &info) == SP_OK && info.index == 0 && info.name[0]);
  CHECK(info.limits.max_work_group_size >= 1 && info.compute_units >= 1);
  CHECK(sp_cl_parse_device("0", &index) == SP_OK && index == 0);
  char id[32];
  snprintf(id, sizeof id, "%d:%d", info.platform, info.device);
  CHECK(sp_cl_parse_device(id, &index) == SP_OK && index == 0);
  const char *bad[] = {"99", "-1", "0:99", "x", "", "0:", "1.5"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK_MSG(sp_cl_parse_device(bad[i], &index) == SP_ERR_INPUT, "'%s' accepted", bad[i]);
    char quoted[40];
    snprintf(quoted, sizeof quoted, "'%s'", bad[i]);
    CHECK_MSG(strstr(sp_last_error(), quoted) && strstr(sp_last_error(), "valid ids: 0"), "%s",
              sp_last_error());
  }
  sp_cl_device *d = NULL;
  CHECK(sp_cl_device_get(n, &d) == SP_ERR_INPUT && !d);
}

int main(void) {
  snprintf(cache_dir, sizeof cache_dir, "/tmp/sp_cl_cache_XXXXXX");
  CHECK(mkdtemp(cache_dir) != NULL);
  setenv("SP_CACHE_DIR", cache_dir, 1);
  test_format();
  if (sp_cl_enabled()) {
    test_device_ids();
    test_device_cache();
  } else {
    printf("test_cl_cache: no OpenCL device (%s): format checks only\n", sp_cl_disabled_reason());
  }
  char command[300];
  snprintf(command, sizeof command, "rm -rf '%s'", cache_dir);
  CHECK(system(command) == 0);
  return sp_test_finish("test_cl_cache");
}
