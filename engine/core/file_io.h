/* The one file reader and the one file writer of stackplan.
 *
 * Reading: a file named on the command line or in another file may be
 * anything: a FIFO with no writer (open() would block forever), /dev/zero or
 * /dev/urandom (endless), a directory, or a huge file. sp_file_open_read opens
 * it without blocking, requires a regular file and refuses one larger than
 * the cap of its kind before reading a byte, so no loader hangs or reads
 * without bound. The caps are documented in docs/formats.md.
 *
 * Writing: sp_atomic_* write to a temporary file unique to the call (mkstemp
 * in the destination's folder), flush and fsync it, then rename it over the
 * destination: a reader, a crash or a kill -9 at any moment sees the old file
 * or the whole new one, and two writers of one destination both succeed (the
 * last rename wins). */
#ifndef SP_FILE_IO_H
#define SP_FILE_IO_H

#include <stddef.h>
#include <stdio.h>

#include "engine/core/status.h"

/* Size caps, in bytes, of each kind of file a loader reads whole. */
#define SP_FILE_CAP_JSON ((size_t)64 << 20)  /* profile, accuracy, plan, tuning cache, manifest */
#define SP_FILE_CAP_ONNX ((size_t)2 << 30)   /* an ONNX model */
#define SP_FILE_CAP_NPY (((size_t)1 << 30) + 65536) /* 2^28 floats and a header */
#define SP_FILE_CAP_TEXT ((size_t)16 << 20)  /* CSV tables, caches, logs */

/* Opens `path` for reading: a regular file of at most `cap` bytes, opened
 * without blocking (a FIFO or device is refused, never waited on). *size
 * gets its size (may be NULL). SP_ERR_IO "PATH: cannot read: <why>" when it
 * cannot be opened or is not a regular file ("is a directory", "is a FIFO",
 * "is a device"), SP_ERR_INPUT "PATH: N bytes, more than the cap of M for
 * <what>" when it is too large. */
sp_status sp_file_open_read(const char *path, size_t cap, const char *what, FILE **out,
                            size_t *size);

/* Reads `path` whole (as sp_file_open_read checks it) into a malloc'ed
 * buffer with one NUL byte after the data; *len excludes that byte. The
 * caller frees *data. SP_ERR_RUNTIME when out of memory. */
sp_status sp_file_read_all(const char *path, size_t cap, const char *what, char **data,
                           size_t *len);

/* A file being written atomically (below). */
typedef struct sp_atomic_file {
  FILE *f;    /* write to this */
  char *tmp;  /* the unique temporary beside the destination */
  char *path; /* the destination */
} sp_atomic_file;

/* Creates a unique temporary "<path>.tmp.XXXXXX" beside `path` with the mode
 * a plain fopen would give. SP_ERR_IO naming path when it cannot. */
sp_status sp_atomic_open(const char *path, sp_atomic_file *af);

/* Flushes, fsyncs and closes the temporary, renames it over the destination
 * and fsyncs the folder. On any failure (a write error included) the
 * temporary is removed and the destination left as it was: SP_ERR_IO
 * "PATH: cannot write: <why>". Releases af either way. */
sp_status sp_atomic_commit(sp_atomic_file *af);

/* Removes the temporary and releases af (an error path's cleanup). */
void sp_atomic_abort(sp_atomic_file *af);

/* Writes `len` bytes to `path` atomically (sp_atomic_open, then commit). */
sp_status sp_file_write_atomic(const char *path, const void *data, size_t len);

/* Creates folder `path` and any missing parents (mode 0755), as mkdir -p;
 * an existing folder is fine. SP_ERR_IO naming the first component that
 * could not be made or is no folder. */
sp_status sp_make_dirs(const char *path);

#endif
