/* The cost of moving an activation between host memory and an OpenCL
 * device: what a change of residency between two layers costs (the
 * planner's transition costs). Timed as the executor transfers: a blocking
 * copy with the device's queue drained before it. */
#ifndef SP_TRANSFER_H
#define SP_TRANSFER_H

#include <stddef.h>

#include "engine/core/status.h"
#include "profiler/measure.h"

typedef struct sp_transfer_timing {
  sp_timing upload;   /* host -> device, seconds per copy */
  sp_timing download; /* device -> host */
} sp_transfer_timing;

/* Times copies of `bytes` (> 0) each way on `device` (an sp_cl_device of
 * engine/cl_runtime.h). SP_ERR_INPUT without a device or bytes,
 * SP_ERR_RUNTIME when memory runs out or the device refuses (the message
 * names the CL error). */
sp_status sp_transfer_bench(void *device, size_t bytes, const sp_measure_options *opt,
                            sp_transfer_timing *out);

#endif
