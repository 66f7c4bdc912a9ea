/* Malformed and unsupported ONNX files: each must fail with SP_ERR_INPUT and
 * one line naming the file and the node or field -- and never crash (this
 * test also runs under ASan/UBSan). Covers the bad fixtures of
 * tests/data/onnx/bad (expected.tsv gives a substring of each message),
 * every prefix of a small valid file, random bytes and random mutations. */
#include <stdlib.h>
#include <string.h>

#include "engine/onnx/onnx_import.h"
#include "tests/unit/testing.h"

static void data_path(char *out, size_t size, const char *rel) {
  const char *slash = strrchr(__FILE__, '/');
  int dir = slash ? (int)(slash - __FILE__) : 0;
  snprintf(out, size, "%.*s/../data/onnx/%s", dir, __FILE__, rel);
}

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

/* One line, starting with the file's name. */
static int one_line_about(const char *msg, const char *file) {
  return !strncmp(msg, file, strlen(file)) && !strchr(msg, '\n');
}

static void check_bad_fixtures(void) {
  char list[512], line[512];
  data_path(list, sizeof list, "bad/expected.tsv");
  FILE *f = fopen(list, "r");
  CHECK_MSG(f != NULL, "%s", list);
  if (!f) return;
  int files = 0;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#') continue;
    line[strcspn(line, "\n")] = 0;
    char *tab = strchr(line, '\t');
    if (!tab) continue;
    *tab = 0;
    char path[1024], rel[600];
    snprintf(rel, sizeof rel, "bad/%s", line);
    data_path(path, sizeof path, rel);
    sp_graph *g = NULL;
    sp_status s = sp_onnx_import_file(path, &g);
    const char *msg = sp_last_error();
    CHECK_MSG(s == SP_ERR_INPUT && !g, "%s: status %d", line, s);
    CHECK_MSG(strstr(msg, tab + 1) != NULL, "%s: message '%s' lacks '%s'", line, msg, tab + 1);
    CHECK_MSG(one_line_about(msg, path), "%s: '%s'", line, msg);
    files++;
  }
  fclose(f);
  CHECK(files >= 14);
}

/* status must be OK (the file happens to import) or SP_ERR_INPUT with a
 * message naming the buffer. */
static void check_survives(const unsigned char *buf, size_t len, const char *what) {
  sp_graph *g = NULL;
  sp_status s = sp_onnx_import_buffer(buf, len, "mem.onnx", &g);
  CHECK_MSG(s == SP_OK || (s == SP_ERR_INPUT && one_line_about(sp_last_error(), "mem.onnx")),
            "%s: status %d: %s", what, s, sp_last_error());
  CHECK(s == SP_OK ? g != NULL : g == NULL);
  sp_graph_free(g);
}

static void check_truncations(void) {
  char path[512];
  data_path(path, sizeof path, "stem_o9.onnx");
  size_t len = 0;
  unsigned char *buf = read_all(path, &len);
  CHECK(buf && len > 1000);
  if (!buf) return;
  int imported = 0;
  for (size_t n = 0; n < len; n++) {
    sp_graph *g = NULL;
    sp_status s = sp_onnx_import_buffer(buf, n, "mem.onnx", &g);
    imported += s == SP_OK;
    sp_graph_free(g);
    if (s != SP_OK) CHECK_MSG(s == SP_ERR_INPUT, "prefix %zu: status %d", n, s);
  }
  CHECK_MSG(imported == 0, "%d truncated files imported", imported);
  check_survives(buf, len, "whole file");

  /* random mutations: flip, set or insert bytes of the valid file */
  uint64_t state = 42;
  unsigned char *copy = malloc(len + 8);
  for (int iter = 0; iter < 3000; iter++) {
    memcpy(copy, buf, len);
    int edits = sp_test_rand_int(&state, 1, 4);
    for (int k = 0; k < edits; k++) {
      size_t at = (size_t)sp_test_rand_int(&state, 0, (int)len - 1);
      copy[at] = (unsigned char)sp_test_rand_int(&state, 0, 255);
    }
    check_survives(copy, len, "mutation");
  }
  free(copy);
  free(buf);
}

static void check_random_bytes(void) {
  uint64_t state = 7;
  unsigned char buf[2048];
  for (int iter = 0; iter < 2000; iter++) {
    size_t len = (size_t)sp_test_rand_int(&state, 0, sizeof buf);
    for (size_t i = 0; i < len; i++) buf[i] = (unsigned char)sp_test_rand_int(&state, 0, 255);
    sp_graph *g = NULL;
    sp_status s = sp_onnx_import_buffer(buf, len, "mem.onnx", &g);
    CHECK_MSG(s == SP_ERR_INPUT, "random bytes %d: status %d", iter, s);
    sp_graph_free(g);
  }
}

/* Prepends key + length of everything after `*pos` (wire type 2). */
static void wrap(unsigned char *end, unsigned char **pos, unsigned char key) {
  size_t len = (size_t)(end - *pos);
  unsigned char v[10];
  int n = 0;
  do {
    v[n++] = (unsigned char)((len & 0x7f) | (len > 0x7f ? 0x80 : 0));
    len >>= 7;
  } while (len);
  *pos -= n;
  memcpy(*pos, v, (size_t)n);
  *--*pos = key;
}

/* Graphs in attributes in nodes in graphs ..., 5,000 deep: protobuf-c would
 * recurse once per level; the importer must refuse before that. */
static void check_deep_nesting(void) {
  size_t size = 5000 * 3 * 6 + 16;
  unsigned char *buf = malloc(size), *end = buf + size, *pos = end;
  for (int level = 0; level < 5000; level++) {
    wrap(end, &pos, 0x32); /* AttributeProto.g */
    wrap(end, &pos, 0x2a); /* NodeProto.attribute */
    wrap(end, &pos, 0x0a); /* GraphProto.node */
  }
  wrap(end, &pos, 0x3a);   /* ModelProto.graph */
  sp_graph *g = NULL;
  CHECK(sp_onnx_import_buffer(pos, (size_t)(end - pos), "deep.onnx", &g) == SP_ERR_INPUT);
  CHECK(strstr(sp_last_error(), "nested too deeply") != NULL);
  free(buf);
}

static void check_missing_file(void) {
  sp_graph *g = NULL;
  CHECK(sp_onnx_import_file("/nonexistent/model.onnx", &g) == SP_ERR_IO);
  CHECK(strstr(sp_last_error(), "/nonexistent/model.onnx") != NULL);
  CHECK(sp_onnx_import_buffer("", 0, "empty.onnx", &g) == SP_ERR_INPUT);
}

/* Reads a protobuf varint at *p (below end); -1 past the end. */
static long long varint(const unsigned char **p, const unsigned char *end) {
  long long v = 0;
  for (int shift = 0; *p < end && shift < 63; shift += 7) {
    unsigned char b = *(*p)++;
    v |= (long long)(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  return -1;
}

/* The first length-delimited field along `path` (field numbers, outermost
 * first) in the message [p, end): its bytes and length, or NULL. */
static unsigned char *find_field(unsigned char *p, unsigned char *end, const int *path, int depth,
                                 size_t *len) {
  while (p < end) {
    long long key = varint((const unsigned char **)&p, end);
    if (key < 0) return NULL;
    int wire = (int)(key & 7), field = (int)(key >> 3);
    if (wire == 0) {
      if (varint((const unsigned char **)&p, end) < 0) return NULL;
    } else if (wire == 1 || wire == 5) {
      p += wire == 1 ? 8 : 4;
    } else if (wire == 2) {
      long long n = varint((const unsigned char **)&p, end);
      if (n < 0 || n > end - p) return NULL;
      if (field == path[0]) {
        if (depth == 1) {
          *len = (size_t)n;
          return p;
        }
        unsigned char *hit = find_field(p, p + n, path + 1, depth - 1, len);
        if (hit) return hit;
      }
      p += n;
    } else {
      return NULL;
    }
  }
  return NULL;
}

/* A NaN in a weight is refused (it would pass silently through the
 * network: a fused ReLU maps it to 0), naming the tensor. */
static void check_nan_weight(void) {
  char path[1024];
  data_path(path, sizeof path, "stem_o9.onnx");
  size_t len = 0;
  unsigned char *buf = read_all(path, &len);
  CHECK(buf != NULL);
  if (!buf) return;
  static const int raw_data[] = {7, 5, 9}; /* ModelProto.graph.initializer.raw_data */
  size_t n = 0;
  unsigned char *raw = find_field(buf, buf + len, raw_data, 3, &n);
  CHECK_MSG(raw && n >= 4, "no initializer raw_data in %s", path);
  sp_graph *g = NULL;
  CHECK(sp_onnx_import_buffer(buf, len, "nan.onnx", &g) == SP_OK); /* unpatched: imports */
  sp_graph_free(g);
  g = NULL;
  if (raw && n >= 4) {
    static const unsigned char nan_le[4] = {0x00, 0x00, 0xc0, 0x7f};
    memcpy(raw + 4 * (n / 8), nan_le, 4);
    sp_status s = sp_onnx_import_buffer(buf, len, "nan.onnx", &g);
    CHECK_MSG(s == SP_ERR_INPUT && !g && strstr(sp_last_error(), "is NaN") &&
                  one_line_about(sp_last_error(), "nan.onnx"),
              "status %d: %s", s, sp_last_error());
  }
  sp_graph_free(g);
  free(buf);
}

int main(void) {
  check_bad_fixtures();
  check_nan_weight();
  check_truncations();
  check_random_bytes();
  check_deep_nesting();
  check_missing_file();
  return sp_test_finish("test_onnx_bad");
}
