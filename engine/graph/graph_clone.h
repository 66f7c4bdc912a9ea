/* Deep copies of a graph, so that compression (engine/compress.h), which
 * works in place, can be tried on a copy while the original stays intact. */
#ifndef SP_GRAPH_CLONE_H
#define SP_GRAPH_CLONE_H

#include "engine/graph/graph.h"

/* Copies g: every node and every array it owns (weights, bias, batch-norm
 * statistics; each copy starts on a 64-byte line), so the two graphs share
 * nothing. SP_ERR_RUNTIME when out of
 * memory (then *out is NULL). Free the copy with sp_graph_free. */
sp_status sp_graph_clone(const sp_graph *g, sp_graph **out);

#endif
