#define _DEFAULT_SOURCE /* madvise */
#include "kernels/common/weight_alloc.h"

#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)

void *sp_weights_alloc(size_t bytes) {
  void *p = NULL;
  if (bytes < HUGE_PAGE) return posix_memalign(&p, 64, bytes) ? NULL : p;
  if (posix_memalign(&p, HUGE_PAGE, bytes)) return NULL;
#ifdef MADV_HUGEPAGE
  madvise(p, bytes / HUGE_PAGE * HUGE_PAGE, MADV_HUGEPAGE); /* advice only: failure is harmless */
#endif
  return p;
}
