/* The memory guard: a large allocation is compared with the memory this
 * machine has available before it is made, so that a model or batch too
 * big for the machine is refused at once, with the estimate, instead of
 * swapping or failing half-way (docs/memory.md). */
#ifndef SP_MEMORY_GUARD_H
#define SP_MEMORY_GUARD_H

#include "engine/core/status.h"

/* Bytes available for a new allocation: MemAvailable of /proc/meminfo, or
 * the environment's SP_MEMORY_LIMIT (bytes, with an optional K, M or G
 * suffix) when that is smaller; -1 when neither is known (the guard then
 * lets everything through). */
double sp_memory_available(void);

/* SP_OK when `bytes` fit in sp_memory_available(), else SP_ERR_RUNTIME:
 * "<what>: about N MiB needed, more than the M MiB available
 * (MemAvailable in /proc/meminfo)" (or "(SP_MEMORY_LIMIT)"). */
sp_status sp_memory_check(const char *what, double bytes);

#endif
