/* Checked JSON field reads and atomic writes (profile_json.h). */
#define _POSIX_C_SOURCE 200809L /* fileno, fsync */
#include "engine/core/json_file.h"

#include "engine/core/file_io.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

sp_status sp_json_parse(const void *data, size_t len, const char *name, cJSON **out) {
  *out = NULL;
  const char *text = data, *end = NULL;
  cJSON *root = len ? cJSON_ParseWithLengthOpts(text, len, &end, 0) : NULL;
  /* after the value only white space, to the last byte (a NUL included) */
  size_t at = root && end ? (size_t)(end - text) : 0;
  while (root && at < len && strchr(" \t\r\n", text[at]) && text[at]) at++;
  if (!root || at < len) {
    if (!root) at = end ? (size_t)(end - text) : len;
    cJSON_Delete(root);
    return sp_fail(SP_ERR_INPUT, "%s: not valid JSON (at byte %zu)", name, at);
  }
  *out = root;
  return SP_OK;
}

sp_status sp_json_read_file(const char *path, cJSON **out) {
  *out = NULL;
  char *text;
  size_t len;
  sp_status s = sp_file_read_all(path, SP_FILE_CAP_JSON, "a JSON file", &text, &len);
  if (s) return s;
  s = sp_json_parse(text, len, path, out);
  free(text);
  return s;
}

sp_status sp_json_bad(const char *file, const char *where, const char *key, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  where = where ? where : "";
  key = key ? key : "";
  if (!*where && !*key) return sp_fail(SP_ERR_INPUT, "%s: %s", file, msg);
  return sp_fail(SP_ERR_INPUT, "%s: %s%s%s: %s", file, where, *where && *key ? "." : "", key, msg);
}

static const cJSON *field(const cJSON *obj, const char *key) {
  return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

sp_status sp_json_number(const char *file, const cJSON *obj, const char *where, const char *key,
                         double lo, double hi, double *out) {
  const cJSON *v = field(obj, key);
  if (!v) return sp_json_bad(file, where, key, "missing");
  if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < lo ||
      v->valuedouble > hi)
    return sp_json_bad(file, where, key, "expected a number in [%g, %g]", lo, hi);
  *out = v->valuedouble;
  return SP_OK;
}

sp_status sp_json_int(const char *file, const cJSON *obj, const char *where, const char *key,
                      int lo, int hi, int *out) {
  const cJSON *v = field(obj, key);
  if (!v) return sp_json_bad(file, where, key, "missing");
  double d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
  if (!(d >= lo && d <= hi) || d != floor(d))
    return sp_json_bad(file, where, key, "expected an integer in [%d, %d]", lo, hi);
  *out = (int)d;
  return SP_OK;
}

sp_status sp_json_bool(const char *file, const cJSON *obj, const char *where, const char *key,
                       int *out) {
  const cJSON *v = field(obj, key);
  if (!v) return sp_json_bad(file, where, key, "missing");
  if (!cJSON_IsBool(v)) return sp_json_bad(file, where, key, "expected true or false");
  *out = cJSON_IsTrue(v);
  return SP_OK;
}

sp_status sp_json_string(const char *file, const cJSON *obj, const char *where, const char *key,
                         char *out, size_t cap) {
  const cJSON *v = field(obj, key);
  if (!v) return sp_json_bad(file, where, key, "missing");
  if (!cJSON_IsString(v) || !v->valuestring) return sp_json_bad(file, where, key, "expected a string");
  if (strlen(v->valuestring) >= cap)
    return sp_json_bad(file, where, key, "longer than %zu characters", cap - 1);
  memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
  return SP_OK;
}

sp_status sp_json_array(const char *file, const cJSON *obj, const char *where, const char *key,
                        int min_items, const cJSON **out) {
  const cJSON *v = field(obj, key);
  if (!v) return sp_json_bad(file, where, key, "missing");
  if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < min_items)
    return sp_json_bad(file, where, key, "expected an array of at least %d items", min_items);
  *out = v;
  return SP_OK;
}

sp_status sp_json_object(const char *file, const cJSON *obj, const char *where, const char *key,
                         const cJSON **out) {
  const cJSON *v = field(obj, key);
  if (!v) return sp_json_bad(file, where, key, "missing");
  if (!cJSON_IsObject(v)) return sp_json_bad(file, where, key, "expected an object");
  *out = v;
  return SP_OK;
}

sp_status sp_json_check_format(const char *file, const cJSON *root, const char *format,
                               int version) {
  if (!cJSON_IsObject(root)) return sp_json_bad(file, "", "", "expected a JSON object");
  char name[64];
  sp_status s = sp_json_string(file, root, "", "format", name, sizeof name);
  if (s) return s;
  if (strcmp(name, format))
    return sp_json_bad(file, "", "format", "'%s' is not %s", name, format);
  int v;
  s = sp_json_int(file, root, "", "version", 0, 1 << 30, &v);
  if (s) return s;
  if (v != version)
    return sp_json_bad(file, "", "version", "%d is not a version this build reads (%d)", v,
                       version);
  return SP_OK;
}
