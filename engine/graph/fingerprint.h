/* Fingerprints of a graph, so that files made from a model (profiles,
 * accuracy files, plans) can be checked against the model they are used with.
 * 64-bit FNV-1a, printed as 16 hex digits. */
#ifndef SP_FINGERPRINT_H
#define SP_FINGERPRINT_H

#include <stdint.h>

#include "engine/graph/graph.h"

#define SP_FINGERPRINT_HEX 17 /* 16 hex digits and the terminator */

/* The structure: input shape, and per node its name, op, inputs, output
 * shape, window, groups, units and fused activation. Weights do not count:
 * two models of the same architecture (random or trained weights) share it,
 * and their latency profiles apply to each other. */
uint64_t sp_graph_structure_fingerprint(const sp_graph *g);

/* The structure and every weight, bias and batch-norm value (bit patterns):
 * accuracy depends on these. */
uint64_t sp_graph_weights_fingerprint(const sp_graph *g);

/* Writes 16 lower-case hex digits and a terminator into hex. */
void sp_fingerprint_hex(uint64_t fp, char hex[SP_FINGERPRINT_HEX]);

#endif
