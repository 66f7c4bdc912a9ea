/* Calibrating a profile's layer times against the network run in sequence.
 *
 * A layer timed alone meets a synthetic cache state (layer_bench.c: the
 * other layers' bytes read through the caches, then its input). Inside the
 * network the state differs in ways no eviction reproduces: the kernels'
 * code, the executor's data and the activation arena stay warm (small
 * layers run faster), prepared weight formats stream more bytes than the
 * dense ones the eviction counts (Winograd layers run slower). Measured on
 * the Zen 5 VM: plans of MobileNet w=0.5 ran 8-15% below their prediction,
 * of ResNet-18 w=0.5 8-12% above, with the machine at the profile's speed.
 *
 * So, after its layers, the profile times each layer's fastest records
 * again, alone (the profile's own protocol) and inside a network of such
 * records (timed per node), in turns, in two networks: every layer on its
 * fastest dense record no bigger than plain dense size (not an expanded
 * format: a network of every layer's Winograd kernels, 1.8-4x the bytes,
 * made VGG-16's layers 15-45% slower in sequence than the plans, which mix
 * formats, ran them), and every layer on its fastest compressed (pruned or
 * ternary) record no bigger, on weights pruned or ternarised as it says
 * (its dense one where it has none). The ratio of a layer's two times in
 * the dense network scales its dense host records, in the compressed one
 * its compressed records, each only for records timed in the same cache
 * state (sp_profile_record_ms). Dense records only, as first, left
 * MobileNet w=0.5 plans, compressed in nearly every layer, 10-14% above
 * their prediction on the Intel machine; one network of every layer's
 * fastest record of any kind then left the demo's mostly dense VGG-16 plan
 * 10% below it. A layer's time in sequence is its share of the network's
 * median run (its median scaled by the median of the runs' sums over the
 * sum of the medians, 1.02-1.06): what a plan's latency is measured as.
 * It does so at each network level k:
 * the model with every prunable group at its k-th keep (loaded again and
 * channel-pruned as a plan would be), each layer on its fastest record at
 * those keeps; a record's ratio is its level's (the larger of its
 * keep levels), since a channel-pruned network streams fewer bytes between
 * two runs of a layer and its layers are smaller. Measured in one sitting,
 * the ratio does not depend on how busy the machine was when the layer was
 * first measured. */
#ifndef SP_PROFILER_PROFILE_SEQUENCE_H
#define SP_PROFILER_PROFILE_SEQUENCE_H

#include "engine/graph/graph.h"
#include "profiler/profile.h"

/* Rounds of (network in sequence, every layer alone); the medians over
 * rounds are kept. */
#define SP_SEQUENCE_ROUNDS 3

/* Times record r of layer `layer` alone, as the profile timed it, in ms. */
typedef sp_status (*sp_time_alone_fn)(void *ctx, int layer, const sp_profile_record *r, double *ms);

/* Fills every measured layer's `sequence` (profile.h) of p, a profile of g
 * (the model p->model loads, unpruned) with all its layers measured; a
 * layer without a dense (compressed) host record at a level has no dense
 * (compressed) calibration there. All or
 * nothing: when *stop becomes set or a run fails, p keeps the calibration it
 * had. SP_ERR_RUNTIME when out of memory or a run fails, naming the layer. */
sp_status sp_profile_calibrate_sequence(const sp_graph *g, sp_profile *p, sp_time_alone_fn alone,
                                        void *ctx, const volatile int *stop);

#endif
