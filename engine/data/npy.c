/* NumPy .npy reader and writer (format: numpy/lib/format.py). The header is
 * a Python dict literal; we accept exactly the keys descr, fortran_order and
 * shape, and only little-endian float32 in C order. */
#define _POSIX_C_SOURCE 200809L
#include "engine/data/npy.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/file_io.h"

static const char magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};
#define MAX_HEADER (1u << 20)

void sp_npy_free(sp_npy *a) {
  if (!a) return;
  free(a->data);
  memset(a, 0, sizeof *a);
}

/* A cursor over the header text [p, end). */
typedef struct cursor {
  const char *p, *end;
} cursor;

static void skip_space(cursor *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t')) c->p++;
}

static int eat(cursor *c, char ch) {
  skip_space(c);
  if (c->p < c->end && *c->p == ch) {
    c->p++;
    return 1;
  }
  return 0;
}

/* A quoted string ('...' or "...") into out (size > 0). */
static int read_string(cursor *c, char *out, size_t size) {
  skip_space(c);
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return 0;
  char q = *c->p++;
  size_t n = 0;
  while (c->p < c->end && *c->p != q) {
    if (n + 1 >= size) return 0;
    out[n++] = *c->p++;
  }
  out[n] = 0;
  return c->p < c->end && *c->p++ == q;
}

static int read_word(cursor *c, const char *word) {
  skip_space(c);
  size_t n = strlen(word);
  if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n)) return 0;
  c->p += n;
  return 1;
}

/* "(d0, d1, ...)" with an optional trailing comma. Dims are bounded so the
 * element count cannot overflow; the caller checks it against the data. */
static sp_status read_shape(cursor *c, const char *name, sp_npy *out) {
  if (!eat(c, '(')) return sp_fail(SP_ERR_INPUT, "%s: header field 'shape' is not a tuple", name);
  out->rank = 0;
  out->count = 1;
  uint64_t nonzero = 1; /* product of the non-zero dims, <= 2^62 */
  while (!eat(c, ')')) {
    skip_space(c);
    uint64_t v = 0;
    int digits = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && digits < 19) {
      v = v * 10 + (uint64_t)(*c->p++ - '0');
      digits++;
    }
    if (!digits) return sp_fail(SP_ERR_INPUT, "%s: header field 'shape' is malformed", name);
    if (out->rank == SP_NPY_MAX_RANK)
      return sp_fail(SP_ERR_INPUT, "%s: rank above %d is not supported", name, SP_NPY_MAX_RANK);
    if (v > INT32_MAX || (v && nonzero > ((uint64_t)1 << 62) / v))
      return sp_fail(SP_ERR_INPUT, "%s: shape is too large", name);
    if (v) nonzero *= v;
    out->shape[out->rank++] = (int64_t)v;
    out->count = v ? out->count * (size_t)v : 0;
    if (!eat(c, ',')) {
      if (!eat(c, ')')) return sp_fail(SP_ERR_INPUT, "%s: header field 'shape' is malformed", name);
      break;
    }
  }
  if (out->rank == 0) return sp_fail(SP_ERR_INPUT, "%s: scalar arrays are not supported", name);
  return SP_OK;
}

/* The dict: descr '<f4', fortran_order False, shape; each once, nothing else. */
static sp_status parse_header(const char *text, size_t len, const char *name, sp_npy *out) {
  cursor c = {text, text + len};
  int seen_descr = 0, seen_order = 0, seen_shape = 0;
  if (!eat(&c, '{')) return sp_fail(SP_ERR_INPUT, "%s: header is not a dict", name);
  while (!eat(&c, '}')) {
    char key[32], value[32];
    if (!read_string(&c, key, sizeof key) || !eat(&c, ':'))
      return sp_fail(SP_ERR_INPUT, "%s: header is malformed", name);
    if (!strcmp(key, "descr") && !seen_descr++) {
      if (!read_string(&c, value, sizeof value))
        return sp_fail(SP_ERR_INPUT, "%s: header field 'descr' is malformed", name);
      sp_printable(value);
      if (strcmp(value, "<f4"))
        return sp_fail(SP_ERR_INPUT, "%s: dtype '%s' is not supported (little-endian float32 "
                       "'<f4' only)", name, value);
    } else if (!strcmp(key, "fortran_order") && !seen_order++) {
      if (read_word(&c, "True"))
        return sp_fail(SP_ERR_INPUT, "%s: fortran_order True is not supported (C order only)",
                       name);
      if (!read_word(&c, "False"))
        return sp_fail(SP_ERR_INPUT, "%s: header field 'fortran_order' is malformed", name);
    } else if (!strcmp(key, "shape") && !seen_shape++) {
      sp_status s = read_shape(&c, name, out);
      if (s) return s;
    } else {
      sp_printable(key);
      return sp_fail(SP_ERR_INPUT, "%s: unexpected or repeated header key '%s'", name, key);
    }
    if (!eat(&c, ',')) {
      if (!eat(&c, '}')) return sp_fail(SP_ERR_INPUT, "%s: header is malformed", name);
      break;
    }
  }
  while (c.p < c.end && (*c.p == ' ' || *c.p == '\n')) c.p++;
  if (c.p != c.end) return sp_fail(SP_ERR_INPUT, "%s: text after the header dict", name);
  if (!seen_descr || !seen_order || !seen_shape)
    return sp_fail(SP_ERR_INPUT, "%s: header lacks '%s'", name,
                   !seen_descr ? "descr" : !seen_order ? "fortran_order" : "shape");
  return SP_OK;
}

sp_status sp_npy_read_buffer(const void *data, size_t len, const char *name, sp_npy *out) {
  memset(out, 0, sizeof *out);
  const unsigned char *b = data;
  if (len < 10 || memcmp(b, magic, sizeof magic))
    return sp_fail(SP_ERR_INPUT, "%s: not a .npy file (bad magic)", name);
  if ((b[6] != 1 && b[6] != 2) || b[7] != 0)
    return sp_fail(SP_ERR_INPUT, "%s: .npy version %d.%d is not supported (1.0 or 2.0)", name,
                   b[6], b[7]);
  size_t prefix = b[6] == 1 ? 10 : 12;
  if (len < prefix) return sp_fail(SP_ERR_INPUT, "%s: truncated header", name);
  size_t hlen = b[6] == 1 ? (size_t)b[8] | (size_t)b[9] << 8
                          : (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 |
                                (size_t)b[11] << 24;
  if (hlen > MAX_HEADER || hlen > len - prefix)
    return sp_fail(SP_ERR_INPUT, "%s: header length %zu runs past the end of the file", name,
                   hlen);
  size_t data_bytes = len - prefix - hlen;
  sp_npy a = {0};
  sp_status s = parse_header((const char *)b + prefix, hlen, name, &a);
  if (s) return s;
  if (a.count != data_bytes / sizeof(float) || data_bytes % sizeof(float))
    return sp_fail(SP_ERR_INPUT, "%s: data holds %zu bytes, the shape needs %llu", name,
                   data_bytes, (unsigned long long)a.count * sizeof(float));
  a.data = malloc(a.count ? a.count * sizeof(float) : 1);
  if (!a.data) return sp_fail(SP_ERR_RUNTIME, "%s: out of memory", name);
  if (a.count) memcpy(a.data, b + prefix + hlen, a.count * sizeof(float)); /* host is LE */
  *out = a;
  return SP_OK;
}

sp_status sp_npy_check_finite(const sp_npy *a, const char *name) {
  for (size_t i = 0; i < a->count; i++)
    if (!isfinite(a->data[i]))
      return sp_fail(SP_ERR_INPUT, "%s: element %zu is %s: inputs must be finite", name, i,
                     isnan(a->data[i]) ? "NaN" : "inf");
  return SP_OK;
}

sp_status sp_npy_read_file(const char *path, sp_npy *out) {
  memset(out, 0, sizeof *out);
  char *buf;
  size_t len;
  sp_status s = sp_file_read_all(path, SP_FILE_CAP_NPY, "an .npy file", &buf, &len);
  if (s) return s;
  s = sp_npy_read_buffer(buf, len, path, out);
  free(buf);
  return s;
}

/* Version 1.0 header, padded with spaces so the data starts 64-aligned. */
static size_t format_header(char *h, size_t size, int rank, const int64_t *shape) {
  int n = snprintf(h + 10, size - 10, "{'descr': '<f4', 'fortran_order': False, 'shape': (");
  for (int i = 0; i < rank; i++)
    n += snprintf(h + 10 + n, size - 10 - (size_t)n, "%lld,%s", (long long)shape[i],
                  i + 1 < rank ? " " : "");
  if (rank > 1) n--; /* "(3, 10)" but "(3,)" */
  n += snprintf(h + 10 + n, size - 10 - (size_t)n, "), }");
  size_t total = (10 + (size_t)n + 1 + 63) / 64 * 64;
  memset(h + 10 + n, ' ', total - 10 - (size_t)n - 1);
  h[total - 1] = '\n';
  memcpy(h, magic, sizeof magic);
  h[6] = 1;
  h[7] = 0;
  h[8] = (char)((total - 10) & 0xff);
  h[9] = (char)((total - 10) >> 8);
  return total;
}

sp_status sp_npy_write_file(const char *path, const float *data, int rank,
                            const int64_t *shape) {
  if (rank < 1 || rank > SP_NPY_MAX_RANK)
    return sp_fail(SP_ERR_INPUT, "%s: cannot write rank %d", path, rank);
  char header[512];
  size_t hlen = format_header(header, sizeof header, rank, shape), count = 1;
  for (int i = 0; i < rank; i++) count *= (size_t)shape[i];

  sp_atomic_file af;
  sp_status s = sp_atomic_open(path, &af);
  if (s) return s;
  if (fwrite(header, 1, hlen, af.f) != hlen || fwrite(data, sizeof(float), count, af.f) != count) {
    s = sp_fail(SP_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    sp_atomic_abort(&af);
    return s;
  }
  return sp_atomic_commit(&af);
}
