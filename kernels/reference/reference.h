/* Helpers shared by the naive reference kernels (the oracle of every test). */
#ifndef SP_REFERENCE_H
#define SP_REFERENCE_H

#include <stddef.h>

#include "kernels/activation.h"
#include "kernels/kernel.h"

/* Offset of element (b, c, y, x) in an NCHW buffer of per-image shape d. */
static inline size_t sp_ref_at(sp_dims d, int b, int c, int y, int x) {
  return (((size_t)b * (size_t)d.c + (size_t)c) * (size_t)d.h + (size_t)y) * (size_t)d.w +
         (size_t)x;
}

#endif
