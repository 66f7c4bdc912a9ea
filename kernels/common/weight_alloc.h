/* Memory for prepared (packed, transformed) weights. Large weight buffers
 * are streamed once per inference, from DRAM when the network does not fit
 * the last-level cache; on 4 KiB pages that walks a TLB miss every 4 KiB.
 * So buffers of 2 MiB and more start on a 2 MiB boundary and are offered to
 * the kernel as transparent huge pages (madvise; a no-op where THP is off).
 * Freed with free(). */
#ifndef SP_KERNELS_CPU_WEIGHT_ALLOC_H
#define SP_KERNELS_CPU_WEIGHT_ALLOC_H

#include <stddef.h>

/* `bytes` (> 0) of storage aligned to at least 64 bytes, or NULL. */
void *sp_weights_alloc(size_t bytes);

#endif
