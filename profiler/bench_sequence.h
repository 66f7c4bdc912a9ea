/* stackplan bench, in sequence: layers timed inside whole-network runs.
 *
 * A layer timed alone in a loop keeps its weights in the caches; inside the
 * network every other layer's weights and activations pass through them
 * between two of its runs. Where the network's weights exceed the last-level
 * cache (ResNet-18 at w=1 in Winograd form: ~150 MB), the variant fastest
 * alone (Winograd F(4x4) with 4x the weight bytes) can be 2x slower in
 * sequence than one with fewer bytes. So bench chooses among the few fastest
 * alone by their time in sequence, and --sequence prints both. */
#ifndef SP_CLI_BENCH_SEQUENCE_H
#define SP_CLI_BENCH_SEQUENCE_H

#include "engine/graph/graph.h"
#include "kernels/registry.h"
#include "profiler/sequence_timing.h"

/* How many of a layer's fastest variants alone compete in sequence, and how
 * much slower alone than the fastest one may be to compete. */
#define SP_BENCH_RANKS 4
#define SP_BENCH_RANK_SLACK 2.0

typedef struct sp_bench_candidates {
  const sp_variant *v[SP_BENCH_RANKS]; /* fastest alone first */
  double alone[SP_BENCH_RANKS];        /* their medians alone, seconds */
  size_t bytes[SP_BENCH_RANKS];        /* their weight bytes */
  int n;
} sp_bench_candidates;

/* Inserts v with median `seconds` if it is among the SP_BENCH_RANKS fastest.
 * Candidates differ in what they stream: of two with the same algorithm and
 * weight bytes only the faster one is kept, and at `threads` 1 that includes
 * the serial and OpenMP twins. At more threads both twins stay: a layer split
 * like its producer reads its input from its own core's cache, so MobileNet's
 * small depthwise layers, faster serial alone, are faster split in sequence. */
void sp_bench_candidates_add(sp_bench_candidates *c, const sp_variant *v, double seconds,
                             size_t weight_bytes, int threads);

/* For every node with more than one candidate (within SP_BENCH_RANK_SLACK of
 * the fastest alone), chooses the one fastest in sequence: the network runs
 * under one choice per rank r, every node's r-th candidate (its fastest where
 * it has none), `runs` times each in turns. Writes chosen[] and, per node, its median in
 * sequence to in_sequence[]; prints one `# in sequence:` line per node whose
 * choice is not its fastest alone. */
sp_status sp_bench_choose_in_sequence(const sp_sequence_network *net, const sp_bench_candidates *c,
                                      int runs, const sp_variant **chosen, double *in_sequence);

#endif
