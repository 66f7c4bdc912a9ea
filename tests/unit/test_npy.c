/* The .npy reader and writer: round trips, versions 1.0 and 2.0, and every
 * malformed header or size failing with SP_ERR_INPUT (never a crash: this
 * test also runs under ASan/UBSan); an atomic write that leaves nothing
 * behind when it fails. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/data/npy.h"
#include "tests/unit/testing.h"

/* A .npy in buf: magic, version major.0, header text padded to 16, data. */
static size_t make_npy(unsigned char *buf, int major, const char *dict, const float *data,
                       size_t count) {
  size_t prefix = major == 1 ? 10 : 12, dlen = strlen(dict);
  size_t total = (prefix + dlen + 1 + 15) / 16 * 16, hlen = total - prefix;
  memcpy(buf, "\x93NUMPY", 6);
  buf[6] = (unsigned char)major;
  buf[7] = 0;
  buf[8] = (unsigned char)(hlen & 0xff);
  buf[9] = (unsigned char)(hlen >> 8);
  if (major != 1) buf[10] = buf[11] = 0;
  memcpy(buf + prefix, dict, dlen);
  memset(buf + prefix + dlen, ' ', hlen - dlen - 1);
  buf[total - 1] = '\n';
  if (count) memcpy(buf + total, data, count * sizeof *data);
  return total + count * sizeof *data;
}

static const float values[6] = {1, -2, 3.5f, 0, 1e-3f, -7};
#define GOOD "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"

static sp_status parse(const unsigned char *buf, size_t len) {
  sp_npy a;
  sp_status s = sp_npy_read_buffer(buf, len, "x.npy", &a);
  CHECK(s == SP_OK ? a.data != NULL : a.data == NULL);
  sp_npy_free(&a);
  return s;
}

static void check_good(void) {
  unsigned char buf[512];
  for (int major = 1; major <= 2; major++) {
    size_t len = make_npy(buf, major, GOOD, values, 6);
    sp_npy a;
    CHECK(sp_npy_read_buffer(buf, len, "x.npy", &a) == SP_OK);
    CHECK(a.rank == 2 && a.shape[0] == 2 && a.shape[1] == 3 && a.count == 6);
    CHECK(a.data && !memcmp(a.data, values, sizeof values));
    sp_npy_free(&a);
  }
  /* numpy's spellings: no trailing comma, rank 1 "(6,)", other key order */
  size_t len = make_npy(buf, 1, "{'shape': (6,), 'fortran_order': False, 'descr': '<f4'}",
                        values, 6);
  CHECK(parse(buf, len) == SP_OK);
  len = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }", NULL, 0);
  CHECK(parse(buf, len) == SP_OK);
}

static void check_bad(void) {
  static const struct {
    const char *dict;
    const char *message;
  } cases[] = {
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", "dtype '<f8'"},
      {"{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", "dtype '>f4'"},
      {"{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", "dtype '<i4'"},
      {"{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", "fortran_order True"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }", "the shape needs"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), }", "the shape needs"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (), }", "scalar"},
      {"{'descr': '<f4', 'fortran_order': False, }", "lacks 'shape'"},
      {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (6,)}", "repeated"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}", "key 'x'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} junk", "after the header"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", "malformed"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 1)}",
       "too large"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}",
       "too large"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (65536, 65536, 65536)}",
       "the shape needs"},
      {"{'descr': '<f\n4', 'fortran_order': False, 'shape': (6,)}", "dtype '<f?4'"},
      {"['descr']", "not a dict"},
  };
  unsigned char buf[512];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t len = make_npy(buf, 1, cases[i].dict, values, 6);
    CHECK_MSG(parse(buf, len) == SP_ERR_INPUT, "%s", cases[i].dict);
    CHECK_MSG(strstr(sp_last_error(), cases[i].message) && !strncmp(sp_last_error(), "x.npy: ", 7),
              "'%s' for %s", sp_last_error(), cases[i].dict);
  }
  size_t len = make_npy(buf, 1, GOOD, values, 6);
  buf[0] = 'X';
  CHECK(parse(buf, len) == SP_ERR_INPUT && strstr(sp_last_error(), "bad magic"));
  len = make_npy(buf, 3, GOOD, values, 6);
  CHECK(parse(buf, len) == SP_ERR_INPUT && strstr(sp_last_error(), "version 3.0"));
  len = make_npy(buf, 1, GOOD, values, 6);
  buf[8] = 0xff; /* header length past the end of the file */
  CHECK(parse(buf, len) == SP_ERR_INPUT && strstr(sp_last_error(), "past the end"));
  len = make_npy(buf, 1, GOOD, values, 6);
  CHECK(parse(buf, len + 4) == SP_ERR_INPUT); /* trailing bytes */
  for (size_t n = 0; n < len; n++) /* every truncation */
    CHECK_MSG(parse(buf, n) == SP_ERR_INPUT, "prefix %zu", n);
}

static void check_write(void) {
  char dir[] = "/tmp/sp_test_npy_XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  char path[128];
  snprintf(path, sizeof path, "%s/y.npy", dir);
  int64_t shape[2] = {2, 3};
  for (int round = 0; round < 2; round++) { /* the second overwrites */
    CHECK(sp_npy_write_file(path, values, 2, shape) == SP_OK);
    sp_npy a;
    CHECK(sp_npy_read_file(path, &a) == SP_OK);
    CHECK(a.rank == 2 && a.shape[0] == 2 && a.shape[1] == 3 && a.data &&
          !memcmp(a.data, values, sizeof values));
    sp_npy_free(&a);
  }
  struct stat st;
  CHECK(stat(path, &st) == 0 && st.st_size % 64 == 24 && (st.st_mode & 0444));
  unlink(path);
  /* a directory that does not exist: an I/O error, nothing created */
  char bad[160];
  snprintf(bad, sizeof bad, "%s/missing/y.npy", dir);
  CHECK(sp_npy_write_file(bad, values, 2, shape) == SP_ERR_IO);
  CHECK(stat(bad, &st) != 0);
  CHECK(rmdir(dir) == 0); /* empty: no temporary file left behind */
  sp_npy a;
  CHECK(sp_npy_read_file(bad, &a) == SP_ERR_IO && strstr(sp_last_error(), bad));
}

int main(void) {
  check_good();
  check_bad();
  check_write();
  return sp_test_finish("test_npy");
}
