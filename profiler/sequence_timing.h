/* Layers timed inside whole-network runs: each node's time in sequence,
 * where the other layers' weights and activations pass through the caches
 * between two of its runs and its producer has just written its input.
 * Used by `bench` (choosing among variants in sequence) and by the profile
 * (calibrating its layers' times alone against their times in sequence). */
#ifndef SP_PROFILER_SEQUENCE_TIMING_H
#define SP_PROFILER_SEQUENCE_TIMING_H

#include "engine/executor/executor.h"
#include "engine/graph/graph.h"

/* One network to run: the graph and the executor options (variants are set
 * per configuration), an input batch and room for the output. */
typedef struct sp_sequence_network {
  const sp_graph *graph;
  sp_exec_options options;
  const float *input;
  float *output;
} sp_sequence_network;

/* Runs the network under `configs` choices of variants (variants[c]: n_nodes
 * entries each), every one 3 times to warm up, then `runs` times in turns,
 * timing every node; writes node c's medians (seconds) to node_median[c][i]
 * and the median over runs of the nodes' sum to total[c]. */
sp_status sp_time_in_sequence(const sp_sequence_network *net, int configs,
                              const sp_variant **const *variants, int runs,
                              double *const *node_median, double *total);

#endif
