/* Per-layer statistics of a (usually optimized) graph: shapes, parameters,
 * MACs and memory. Pure data, no printing: `stackplan info` prints it, the
 * profiler and the planner reuse it for memory accounting. */
#ifndef SP_MODEL_INFO_H
#define SP_MODEL_INFO_H

#include <stddef.h>
#include <stdint.h>

#include "engine/graph/graph.h"

#define SP_OP_DESC_MAX 48

typedef struct sp_layer_info {
  int node;                      /* index of the node in the graph */
  char name[SP_NAME_MAX];
  char op[SP_OP_DESC_MAX];       /* e.g. "conv2d 3x3/2 dw +bn+relu" (sp_node_describe) */
  int n_inputs;
  sp_dims in[SP_MAX_INPUTS];     /* per-image input shapes */
  sp_dims out;                   /* per-image output shape */
  int64_t params;                /* of the source model, folded batch norms included */
  int64_t macs;                  /* multiply-accumulates per image */
  int64_t weight_bytes;          /* float32 weights, biases (and unfolded BN statistics) */
  int64_t activation_bytes;      /* float32 output of `batch` images */
} sp_layer_info;

typedef struct sp_model_info {
  char name[SP_NAME_MAX];
  sp_dims input, output;         /* per image */
  int batch;                     /* images the activation bytes are counted for */
  int n_layers;                  /* every node except the input */
  sp_layer_info *layers;         /* in graph order */
  int64_t params, macs, weight_bytes;
  int64_t activation_bytes;      /* sum over layers of their outputs */
  int64_t largest_activation_bytes;
  int largest_activation_layer;  /* index into layers, -1 when there are none */
} sp_model_info;

/* Fills `out` for `g` with activation bytes counted for `batch` (>= 1)
 * images. Free with sp_model_info_free. Fails with SP_ERR_INPUT on a bad
 * batch, SP_ERR_RUNTIME when out of memory. */
sp_status sp_model_info_compute(const sp_graph *g, int batch, sp_model_info *out);

/* Frees the layer array (the struct itself belongs to the caller). */
void sp_model_info_free(sp_model_info *info);

/* One short description of what node `n` computes as executed: op, kernel
 * size/stride, depthwise or groups, fused batch norm and activation. */
void sp_node_describe(const sp_graph *g, const sp_node *n, char *buf, size_t size);

/* Bytes of the float32 weights the node holds as executed (0 without weights). */
int64_t sp_node_weight_bytes(const sp_graph *g, const sp_node *n);

#endif
