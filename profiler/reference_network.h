/* The reference network: the model uncompressed, each node on the
 * registry's default variant, batch 1, one thread. The profile times it on
 * every CPU before each layer and `run` before its timed runs
 * (quiet_core.h): the CPU where it is fastest is where they measure, and
 * its time there says how busy the machine was. Both must time the same
 * workload for the comparison to mean anything, hence this one definition. */
#ifndef SP_PROFILER_REFERENCE_NETWORK_H
#define SP_PROFILER_REFERENCE_NETWORK_H

#include "engine/executor/executor.h"
#include "profiler/quiet_core.h"

/* How many timed runs on each CPU (after 2 untimed ones). */
#define SP_REFERENCE_RUNS 5

/* The reference network slower than this times the speed a measurement is
 * compared with means the host is busy: the profile measures the layer
 * again later (profile_run.c) and `run --settle` waits (plan_measure.c). */
#define SP_SETTLE_RATIO 1.10

typedef struct sp_reference_network {
  sp_executor *e; /* NULL: not built */
  float *in, *out;
} sp_reference_network;

/* Builds it on g (which must outlive it). With release_dense, each node
 * that prepares its own weight format drops g's dense arrays (for a graph
 * loaded only for this). SP_ERR_RUNTIME when out of memory. */
sp_status sp_reference_network_open(const sp_graph *g, int release_dense, sp_reference_network *r);

/* Times it on each CPU and pins the calling thread to the fastest
 * (sp_quiet_core_pin); .fastest is its time there, in seconds. */
sp_quiet_core sp_reference_network_pin(sp_reference_network *r);

void sp_reference_network_close(sp_reference_network *r);

#endif
