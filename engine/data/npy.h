/* NumPy .npy files, the subset stackplan reads and writes: little-endian
 * float32 ('<f4'), C order, rank 1 to 8, format versions 1.0 and 2.0 (read),
 * 1.0 (written). */
#ifndef SP_NPY_H
#define SP_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "engine/core/status.h"

#define SP_NPY_MAX_RANK 8

typedef struct sp_npy {
  int rank;
  int64_t shape[SP_NPY_MAX_RANK];
  size_t count;  /* product of shape */
  float *data;   /* count floats, owned */
} sp_npy;

/* Parses `len` bytes of a .npy file; `name` stands for the file in messages.
 * SP_ERR_INPUT naming the field at fault when the bytes are not a supported
 * .npy (bad magic, version, dtype, fortran_order, header, size). Never reads
 * outside the buffer. On failure *out is empty. */
sp_status sp_npy_read_buffer(const void *data, size_t len, const char *name, sp_npy *out);

/* Reads the file at `path` (SP_ERR_IO when it cannot be read). */
sp_status sp_npy_read_file(const char *path, sp_npy *out);

/* Writes a float32 array atomically: to a temporary file in the same
 * directory, renamed over `path` once complete; on failure the temporary is
 * removed and `path` is untouched. SP_ERR_IO on write errors. */
sp_status sp_npy_write_file(const char *path, const float *data, int rank,
                            const int64_t *shape);

void sp_npy_free(sp_npy *a);

/* SP_ERR_INPUT "NAME: element I is NaN|inf: inputs must be finite" for the
 * first non-finite value of a, else SP_OK (an input array: NaN would pass
 * through the network silently, a fused ReLU mapping it to 0). */
sp_status sp_npy_check_finite(const sp_npy *a, const char *name);

#endif
