/* Internals of the ONNX importer, shared by engine/onnx_*.c only.
 *
 * The importer walks the ONNX nodes in file order and keeps a table of named
 * values: activations (a node of the sp_graph, rank 4 = N,C,H,W or rank 2 =
 * N,F), constants (initializers, Constant nodes), and "pending pads" (the
 * output of a zero Pad that the next Conv or pool absorbs into its padding). */
#ifndef SP_ONNX_INTERNAL_H
#define SP_ONNX_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/graph/graph.h"
#include "onnx.pb-c.h"

#define SP_ONNX_MAX_RANK 8
/* Largest tensor or per-image activation accepted (1 GiB of floats): bigger
 * ones are rejected before anything is allocated for them. */
#define SP_ONNX_MAX_ELEMS ((int64_t)1 << 28)

typedef enum onnx_kind {
  ONNX_ACT,   /* an activation: graph node `node` */
  ONNX_PAD,   /* node `node` zero-padded by pad[] (not yet materialised) */
  ONNX_FLOAT, /* constant float32 tensor */
  ONNX_INT,   /* constant int64 tensor */
} onnx_kind;

typedef struct onnx_value {
  const char *name;      /* borrowed from the model proto */
  onnx_kind kind;
  int uses;              /* consumers in the ONNX graph (+1 if a graph output) */

  /* ONNX_ACT / ONNX_PAD */
  int node;              /* sp_graph node index */
  int rank;              /* 4 or 2 */
  int nonneg;            /* every value known >= 0 (after ReLU, ...) */
  int alias;             /* a renamed copy (Identity, Dropout): not the node's own output */
  int pad[4];            /* ONNX_PAD: top, left, bottom, right */

  /* ONNX_FLOAT / ONNX_INT */
  int ndims;
  int64_t dims[SP_ONNX_MAX_RANK];
  size_t count;
  float *f;              /* ONNX_FLOAT data */
  int64_t *i;            /* ONNX_INT data */
  int owned;             /* f / i are freed with the table */
  const char *init_name; /* initializer it came from (names layers), or NULL */
} onnx_value;

typedef struct onnx_ctx {
  const char *file;            /* named in every message */
  sp_graph *g;
  int opset;                   /* default-domain opset, 9..17 */
  const Onnx__NodeProto *node; /* node being translated, for messages */
  int node_index;
  onnx_value *vals;
  int n_vals, cap_vals;
  int *slots;                  /* open-addressing hash: name -> index in vals, -1 empty */
  size_t n_slots;              /* power of two, > 2 * cap_vals */
  const char **use_names;      /* every node input name, sorted: counts uses */
  size_t n_use_names;
} onnx_ctx;

/* ---- onnx_values.c: the value table ---- */

/* The value of that name, or NULL. */
onnx_value *onnx_find(onnx_ctx *c, const char *name);

/* Adds a value (copied; takes over owned data even on failure). Fails on a
 * duplicate name. */
sp_status onnx_define(onnx_ctx *c, const onnx_value *v);

/* Defines output `i` of the current node as an activation of graph node `node`. */
sp_status onnx_define_act(onnx_ctx *c, int i, int node, int rank, int nonneg);

/* Defines output 0 of the current node as a renamed copy of `v`. */
sp_status onnx_define_alias(onnx_ctx *c, const onnx_value *v);

/* How many node inputs (and graph outputs) name `name`. */
int onnx_count_uses(const onnx_ctx *c, const char *name);

/* Sorts `names` (taken over, freed with the table) for onnx_count_uses. */
void onnx_set_use_names(onnx_ctx *c, const char **names, size_t n);

void onnx_values_free(onnx_ctx *c);

/* ---- onnx_node.c: what translating one node needs ---- */

/* Fails with SP_ERR_INPUT: "FILE: node 'NAME' (OP): message". */
sp_status onnx_err(onnx_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The current node's name for messages ("Op_index" when it has none). */
const char *onnx_node_label(const onnx_ctx *c, char *buf, size_t size);

/* Input i of the current node (NULL when absent or ""), error when it names
 * nothing defined so far. `required` makes absence an error too. */
sp_status onnx_input(onnx_ctx *c, int i, int required, onnx_value **out);

/* Input i as an activation (not a pending pad), with a rank in `ranks`
 * (bit r set = rank r allowed). */
sp_status onnx_input_act(onnx_ctx *c, int i, unsigned ranks, onnx_value **out);

/* Input i as a constant float tensor of exactly `count` elements (any
 * count when 0). */
sp_status onnx_input_floats(onnx_ctx *c, int i, size_t count, onnx_value **out);

/* Fails unless the node's inputs number in [lo, hi] and at most `outputs`
 * of its outputs are consumed. */
sp_status onnx_check_arity(onnx_ctx *c, int lo, int hi, int outputs);

/* Fails naming the first attribute not in the NULL-terminated `known`. */
sp_status onnx_check_attrs(onnx_ctx *c, const char *const *known);

/* Attributes with their defaults; type and range are checked. */
sp_status onnx_attr_int(onnx_ctx *c, const char *name, int64_t def, int64_t *out);
sp_status onnx_attr_float(onnx_ctx *c, const char *name, float def, float *out);
/* Reads up to `max` ints; *n = -1 when absent. */
sp_status onnx_attr_ints(onnx_ctx *c, const char *name, int64_t *out, int max, int *n);
/* String attribute, or `def` when absent. */
sp_status onnx_attr_string(onnx_ctx *c, const char *name, const char *def, char *out, size_t size);
const Onnx__AttributeProto *onnx_attr(const onnx_ctx *c, const char *name);

/* Name of a layer whose weight is `w`: the weight initializer's name minus
 * ".weight", else the ONNX node name, else "<op>_<index>". */
void onnx_layer_name(const onnx_ctx *c, const onnx_value *w, char name[SP_NAME_MAX]);

/* Appends `n` to the graph (taking its weights, freed on failure), prefixing
 * any shape error with the file and node. */
sp_status onnx_add_node(onnx_ctx *c, sp_node *n, int *index);

/* Frees `n`'s weights and fails with SP_ERR_RUNTIME (out of memory). */
sp_status onnx_node_oom(onnx_ctx *c, sp_node *n);

/* A node initialised with name, op and one input. */
sp_node onnx_node_init(const char *name, sp_op op, int input);

/* malloc'd copy of n floats (n > 0), or NULL. */
float *onnx_copy_floats(const float *src, size_t n);

/* ---- onnx_tensor.c ---- */

/* Decodes a TensorProto (float32 or int64; raw_data or typed fields) into a
 * constant value; `what` names it in messages ("initializer 'w'"). */
sp_status onnx_tensor_decode(onnx_ctx *c, const Onnx__TensorProto *t, const char *what,
                             onnx_value *out);

/* ---- onnx_wire.c ---- */

/* Whether the protobuf message in buf nests no deeper than max_depth
 * (protobuf-c recurses without a limit; a crafted file could exhaust the
 * stack). Also rejects malformed framing early. */
int onnx_wire_depth_ok(const uint8_t *buf, size_t len, const ProtobufCMessageDescriptor *d,
                       int max_depth);

/* ---- op translators (onnx_ops_conv.c, onnx_ops_dense.c) ---- */

typedef sp_status (*onnx_op_fn)(onnx_ctx *c);
sp_status onnx_op_conv(onnx_ctx *c);
sp_status onnx_op_maxpool(onnx_ctx *c);
sp_status onnx_op_avgpool(onnx_ctx *c);
sp_status onnx_op_global_avgpool(onnx_ctx *c);
sp_status onnx_op_reduce_mean(onnx_ctx *c);
sp_status onnx_op_pad(onnx_ctx *c);
sp_status onnx_op_batchnorm(onnx_ctx *c);
sp_status onnx_op_relu(onnx_ctx *c);
sp_status onnx_op_clip(onnx_ctx *c);
sp_status onnx_op_gemm(onnx_ctx *c);
sp_status onnx_op_matmul(onnx_ctx *c);
sp_status onnx_op_add(onnx_ctx *c);
sp_status onnx_op_flatten(onnx_ctx *c);
sp_status onnx_op_reshape(onnx_ctx *c);
sp_status onnx_op_softmax(onnx_ctx *c);
sp_status onnx_op_identity(onnx_ctx *c);
sp_status onnx_op_dropout(onnx_ctx *c);
sp_status onnx_op_constant(onnx_ctx *c);

#endif
