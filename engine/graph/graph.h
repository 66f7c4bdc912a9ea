/* The network as a graph of nodes in topological order (branches and joins
 * allowed). Activations are float32 NCHW; shapes here are per image (C, H, W),
 * the batch size N is chosen when the graph is executed. */
#ifndef SP_GRAPH_H
#define SP_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "engine/core/status.h"

#define SP_MAX_INPUTS 2
#define SP_NAME_MAX 64

typedef struct sp_dims {
  int c, h, w;
} sp_dims;

static inline size_t sp_dims_count(sp_dims d) { return (size_t)d.c * (size_t)d.h * (size_t)d.w; }

typedef enum sp_op {
  SP_OP_INPUT,
  SP_OP_CONV2D,        /* any kernel, stride, padding, groups; optional bias */
  SP_OP_BATCHNORM,     /* per-channel affine with running statistics */
  SP_OP_RELU,
  SP_OP_RELU6,
  SP_OP_MAXPOOL,
  SP_OP_AVGPOOL,
  SP_OP_GLOBAL_AVGPOOL,
  SP_OP_FC,            /* input flattened to C*H*W features, output (units, 1, 1) */
  SP_OP_ADD,           /* element-wise sum of two same-shaped inputs */
  SP_OP_FLATTEN,       /* (C, H, W) -> (C*H*W, 1, 1) */
  SP_OP_SOFTMAX,       /* over the C*H*W values of each image */
  SP_OP_CLIP,          /* y = min(max(x, clip_lo), clip_hi): ONNX Clip other than ReLU/ReLU6 */
  SP_OP_COUNT
} sp_op;

/* Activation applied by a node to its own output (ReLU/ReLU6 fused into the
 * producing conv, FC, add or batch norm): y = min(max(y, lo), hi). */
typedef enum sp_act { SP_ACT_NONE, SP_ACT_RELU, SP_ACT_RELU6 } sp_act;

typedef struct sp_window {
  int kh, kw;             /* kernel size */
  int sh, sw;             /* stride */
  int pt, pl, pb, pr;     /* padding: top, left, bottom, right */
} sp_window;

typedef struct sp_node {
  char name[SP_NAME_MAX];
  sp_op op;
  int n_inputs;
  int inputs[SP_MAX_INPUTS]; /* indices of earlier nodes */
  sp_dims out;               /* per-image output shape, set by shape inference */
  sp_act act;                /* fused activation (conv, fc, add, batchnorm) */

  /* conv2d, max/avg pool */
  sp_window win;
  int groups;                /* conv2d: depthwise when groups == in channels */
  int count_include_pad;     /* avgpool: padded zeros count in the divisor */

  /* conv2d: weight [cout][cin/groups][kh][kw]; fc: weight [units][features].
   * bias [cout] or NULL. Owned by the node. */
  float *weight;
  float *bias;
  int units;                 /* fc: output features; conv2d: output channels */

  /* batchnorm: per-channel statistics, owned by the node */
  float *bn_gamma, *bn_beta, *bn_mean, *bn_var;
  float bn_eps;

  /* clip: the bounds */
  float clip_lo, clip_hi;

  /* Trainable parameters of the source model represented by this node,
   * including those of a batch norm folded into it (reported by `info`). */
  int64_t params;
  int bn_folded;             /* 1 when a batch norm was folded into this conv */

  /* Compression applied to this conv2d/fc (engine/compress.h), 0 when none. */
  float sparsity;            /* weight pruning: the rate s it was pruned to */
  int ternary;               /* 1: every weight is +ternary_pos, 0 or -ternary_neg */
  float ternary_pos, ternary_neg; /* the two scales (>= 0) */
  float ternary_t;           /* the threshold factor t it was quantised with */
} sp_node;

typedef struct sp_graph {
  char name[SP_NAME_MAX];    /* model spec or file name */
  sp_dims input;             /* per-image input shape */
  int n_nodes, cap_nodes;
  sp_node *nodes;            /* nodes[0] is the input; topological order */
  int output;                /* index of the output node */
  int shapes_only;           /* conv and fc weights not allocated (NULL): a graph only
                                counted, e.g. by the zoo's memory guard; never run */
} sp_graph;

/* Creates an empty graph whose node 0 is the input of the given shape. */
sp_status sp_graph_create(const char *name, sp_dims input, sp_graph **out);

/* Frees the graph and every weight it owns. NULL is ignored. */
void sp_graph_free(sp_graph *g);

/* Frees a node's owned arrays (weights, bias, batch-norm parameters), for
 * nodes built outside a graph that never reached sp_graph_add. */
void sp_node_free_data(sp_node *n);

/* Appends a node (copied; weights are taken over by the graph), infers its
 * output shape from its inputs, and returns its index through `index`.
 * Fails with SP_ERR_INPUT naming the node when the shapes do not fit. */
sp_status sp_graph_add(sp_graph *g, const sp_node *node, int *index);

/* Convenience builders; `input` is the producing node's index. Weights are
 * allocated (zeroed) and owned by the graph; fill them through the node. */
sp_status sp_graph_add_conv(sp_graph *g, const char *name, int input, int cout, int k,
                            int stride, int pad, int groups, int with_bias, int *index);
sp_status sp_graph_add_batchnorm(sp_graph *g, const char *name, int input, int *index);
sp_status sp_graph_add_simple(sp_graph *g, const char *name, sp_op op, int input, int *index);
sp_status sp_graph_add_pool(sp_graph *g, const char *name, sp_op op, int input, int k,
                            int stride, int pad, int *index);
sp_status sp_graph_add_fc(sp_graph *g, const char *name, int input, int units, int *index);
sp_status sp_graph_add_add(sp_graph *g, const char *name, int a, int b, int *index);

/* Infers the output shape of `node` given its inputs' shapes. */
sp_status sp_node_infer_shape(const sp_graph *g, sp_node *node);

/* The input shape of `node`'s i-th input. */
static inline sp_dims sp_node_in(const sp_graph *g, const sp_node *node, int i) {
  return g->nodes[node->inputs[i]].out;
}

/* Number of nodes that read node `index`'s output (the graph output counts once). */
int sp_graph_consumers(const sp_graph *g, int index);

/* Multiply-accumulates per image of one node (conv2d and fc; 0 otherwise). */
int64_t sp_node_macs(const sp_graph *g, const sp_node *node);

/* Number of floats in a conv2d or fc weight tensor (0 otherwise). */
size_t sp_node_weight_count(const sp_graph *g, const sp_node *node);

const char *sp_op_name(sp_op op);
const char *sp_act_name(sp_act act);

/* Load-time rewrites: fold each batch norm that directly follows a conv with
 * no other consumer into that conv, then fuse ReLU/ReLU6 into a producing
 * conv, fc, add or batch norm that has no other consumer. Numerically the
 * graph is unchanged (up to float rounding of the folded weights). */
sp_status sp_graph_fold_batchnorm(sp_graph *g);
sp_status sp_graph_fuse_activations(sp_graph *g);

/* Both passes, in order. */
sp_status sp_graph_optimize(sp_graph *g);

#endif
