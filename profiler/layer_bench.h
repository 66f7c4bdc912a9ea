/* Timing one kernel variant on one node of a graph, in isolation: seeded
 * random inputs of the node's input shapes, weights prepared once (not
 * timed), then sp_measure. The building block of `bench` and the profiler. */
#ifndef SP_LAYER_BENCH_H
#define SP_LAYER_BENCH_H

#include <stddef.h>

#include "kernels/kernel.h"
#include "profiler/measure.h"

typedef struct sp_layer_timing {
  sp_timing time;           /* seconds per call for `batch` images */
  double prepare_seconds;   /* one-time weight conversion, never counted as run time */
  size_t weight_bytes;      /* in the variant's format, bias included */
  size_t workspace_bytes;
} sp_layer_timing;

/* Times variant `v` on node `index` of `g` for `batch` images on `threads`
 * threads. Fails with SP_ERR_INPUT when v cannot run the node, SP_ERR_RUNTIME
 * when memory runs out or prepare() fails (message names node and variant). */
sp_status sp_layer_bench(const sp_graph *g, int index, const sp_variant *v, int batch,
                         int threads, const sp_measure_options *opt, sp_layer_timing *out);

/* The same for any variant, at a parameter point (`params`, NULL = the
 * variant's defaults) and, for a device variant, on OpenCL device `device`
 * (an sp_cl_device; SP_ERR_INPUT when NULL): its inputs, output and
 * workspace are device buffers, prepare_device (kernel build or cache load,
 * weight upload) is prepare time, and one timed call is the host wall time
 * of run() plus the wait for the queue (CLBlast's helper kernels included).
 * One untimed call runs first: a launch the device refuses fails here with
 * SP_ERR_RUNTIME naming the layer, the variant and the CL error. */
sp_status sp_layer_bench_at(const sp_graph *g, int index, const sp_variant *v, int batch,
                            int threads, void *device, const int *params,
                            const sp_measure_options *opt, sp_layer_timing *out);

#endif
