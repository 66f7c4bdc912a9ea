/* JSON plumbing of the profiler's and the tuner's files: checked reads of
 * fields, whose errors are one line naming the file and the field
 * ("p.json: records[3].median_ms: expected a number >= 0"). Files are
 * read and written through engine/core/file_io.h. */
#ifndef SP_PROFILE_JSON_H
#define SP_PROFILE_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "engine/core/status.h"

/* Reads and parses `path` (engine/core/file_io.h: a regular file of at most
 * SP_FILE_CAP_JSON bytes). SP_ERR_IO when it cannot be read (a directory,
 * FIFO or device included), SP_ERR_INPUT (naming the file and the byte) when
 * it is no JSON or larger than the cap. */
sp_status sp_json_read_file(const char *path, cJSON **out);

/* Parses `len` bytes of `data` named `name` in messages: what
 * sp_json_read_file does after reading (the loaders' buffer entry points,
 * which the fuzz targets call). SP_ERR_INPUT naming name and the byte. */
sp_status sp_json_parse(const void *data, size_t len, const char *name, cJSON **out);

/* SP_ERR_INPUT "file: where.key: <message>" (where or key may be ""). */
sp_status sp_json_bad(const char *file, const char *where, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Field `key` of object `obj` at `where`: present, of the type, in range. */
sp_status sp_json_number(const char *file, const cJSON *obj, const char *where, const char *key,
                         double lo, double hi, double *out);
sp_status sp_json_int(const char *file, const cJSON *obj, const char *where, const char *key,
                      int lo, int hi, int *out);
sp_status sp_json_bool(const char *file, const cJSON *obj, const char *where, const char *key,
                       int *out);
/* A string shorter than cap (longer ones are errors, never cut). */
sp_status sp_json_string(const char *file, const cJSON *obj, const char *where, const char *key,
                         char *out, size_t cap);
/* An array (min_items or more) or an object. */
sp_status sp_json_array(const char *file, const cJSON *obj, const char *where, const char *key,
                        int min_items, const cJSON **out);
sp_status sp_json_object(const char *file, const cJSON *obj, const char *where, const char *key,
                         const cJSON **out);

/* Checks "format" and "version" of a file's top-level object. */
sp_status sp_json_check_format(const char *file, const cJSON *root, const char *format,
                               int version);

#endif
