/* ONNX import driver: unpack the protobuf, check the opset, the graph's one
 * input and one output, decode the initializers, then translate each node
 * (in file order: ONNX requires topological order, so an input not yet
 * defined is an unknown name or a cycle) with the translators of
 * onnx_ops_*.c. */
#define _POSIX_C_SOURCE 200809L /* fileno */
#include "engine/onnx/onnx_import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/file_io.h"
#include "engine/onnx/onnx_internal.h"

#define MIN_OPSET 9
#define MAX_OPSET 17
#define MAX_NESTING 32        /* protobuf messages inside messages */

typedef struct op_entry {
  const char *type;
  onnx_op_fn fn;
} op_entry;

static const op_entry ops[] = {
    {"Conv", onnx_op_conv},
    {"MaxPool", onnx_op_maxpool},
    {"AveragePool", onnx_op_avgpool},
    {"GlobalAveragePool", onnx_op_global_avgpool},
    {"ReduceMean", onnx_op_reduce_mean},
    {"Pad", onnx_op_pad},
    {"BatchNormalization", onnx_op_batchnorm},
    {"Relu", onnx_op_relu},
    {"Clip", onnx_op_clip},
    {"Gemm", onnx_op_gemm},
    {"MatMul", onnx_op_matmul},
    {"Add", onnx_op_add},
    {"Flatten", onnx_op_flatten},
    {"Reshape", onnx_op_reshape},
    {"Softmax", onnx_op_softmax},
    {"Identity", onnx_op_identity},
    {"Dropout", onnx_op_dropout},
    {"Constant", onnx_op_constant},
};

static const char *str(const char *s) { return s ? s : ""; }

static sp_status read_opset(onnx_ctx *c, const Onnx__ModelProto *m) {
  int found = 0;
  for (size_t i = 0; i < m->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto *o = m->opset_import[i];
    const char *d = str(o->domain);
    if (*d && strcmp(d, "ai.onnx")) continue;
    if (found) return onnx_err(c, "opset_import lists the default domain twice");
    if (!o->has_version || o->version < MIN_OPSET || o->version > MAX_OPSET)
      return onnx_err(c, "opset %lld is not supported (%d to %d)",
                      o->has_version ? (long long)o->version : -1LL, MIN_OPSET, MAX_OPSET);
    c->opset = (int)o->version;
    found = 1;
  }
  return found ? SP_OK : onnx_err(c, "opset_import has no entry for the default domain");
}

/* Sizes the value table and the use counts from the whole graph. */
static sp_status prepare_table(onnx_ctx *c, const Onnx__GraphProto *gp) {
  size_t cap = gp->n_initializer + gp->n_input + 1, uses = 1;
  for (size_t i = 0; i < gp->n_node; i++) {
    cap += gp->node[i]->n_output;
    uses += gp->node[i]->n_input;
  }
  if (cap > (size_t)1 << 24) return onnx_err(c, "too many values (%zu)", cap);
  c->cap_vals = (int)cap;
  c->n_slots = 16;
  while (c->n_slots < 2 * cap) c->n_slots *= 2;
  c->vals = calloc(cap, sizeof *c->vals);
  c->slots = malloc(c->n_slots * sizeof *c->slots);
  const char **names = malloc(uses * sizeof *names);
  if (!c->vals || !c->slots || !names) {
    free(names);
    return sp_fail(SP_ERR_RUNTIME, "%s: out of memory", c->file);
  }
  memset(c->slots, 0xff, c->n_slots * sizeof *c->slots); /* all -1 */
  size_t n = 0;
  for (size_t i = 0; i < gp->n_node; i++)
    for (size_t j = 0; j < gp->node[i]->n_input; j++)
      if (gp->node[i]->input[j] && *gp->node[i]->input[j]) names[n++] = gp->node[i]->input[j];
  names[n++] = str(gp->output[0]->name); /* the graph output is one more use */
  onnx_set_use_names(c, names, n);
  return SP_OK;
}

static sp_status define_initializers(onnx_ctx *c, const Onnx__GraphProto *gp) {
  if (gp->n_sparse_initializer) return onnx_err(c, "sparse initializers are not supported");
  for (size_t i = 0; i < gp->n_initializer; i++) {
    const Onnx__TensorProto *t = gp->initializer[i];
    char what[160];
    snprintf(what, sizeof what, "initializer '%.100s'", str(t->name));
    if (!t->name || !*t->name) return onnx_err(c, "initializer %zu has no name", i);
    onnx_value v;
    sp_status s = onnx_tensor_decode(c, t, what, &v);
    if (s) return s;
    v.name = t->name;
    v.init_name = t->name;
    if ((s = onnx_define(c, &v))) return s;
  }
  return SP_OK;
}

/* Checks one input dim: N may be dynamic (dim_param, 0, -1) or any size. */
static sp_status input_dim(onnx_ctx *c, const Onnx__ValueInfoProto *in, int i, int *out) {
  const Onnx__TensorShapeProto *shape = in->type->tensor_type->shape;
  const Onnx__TensorShapeProto__Dimension *d = shape->dim[i];
  int fixed = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
  if (i == 0) {
    if (fixed && d->dim_value < -1)
      return onnx_err(c, "graph input '%s': batch dimension %lld", in->name,
                      (long long)d->dim_value);
    return SP_OK;
  }
  if (!fixed || d->dim_value <= 0 || d->dim_value > (1 << 20))
    return onnx_err(c, "graph input '%s': dimension %d must be a fixed positive size", in->name,
                    i);
  *out = (int)d->dim_value;
  return SP_OK;
}

/* The one graph input that is not an initializer becomes node 0. */
static sp_status define_input(onnx_ctx *c, const Onnx__GraphProto *gp, const char *name) {
  const Onnx__ValueInfoProto *in = NULL;
  for (size_t i = 0; i < gp->n_input; i++) {
    const char *n = str(gp->input[i]->name);
    onnx_value *v = onnx_find(c, n);
    if (v && v->init_name) continue; /* old exporters list initializers as inputs */
    if (in) return onnx_err(c, "the graph has more than one input ('%s', '%s')", in->name, n);
    if (!*n) return onnx_err(c, "graph input %zu has no name", i);
    in = gp->input[i];
  }
  if (!in) return onnx_err(c, "the graph has no input");
  const Onnx__TypeProto *t = in->type;
  if (!t || t->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !t->tensor_type ||
      !t->tensor_type->has_elem_type ||
      t->tensor_type->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
    return onnx_err(c, "graph input '%s' must be a float32 tensor", in->name);
  const Onnx__TensorShapeProto *shape = t->tensor_type->shape;
  if (!shape || shape->n_dim != 4)
    return onnx_err(c, "graph input '%s' must have rank 4 (N x C x H x W), has %d", in->name,
                    shape ? (int)shape->n_dim : -1);
  int d[4] = {0, 0, 0, 0};
  for (int i = 0; i < 4; i++) {
    sp_status s = input_dim(c, in, i, &d[i]);
    if (s) return s;
  }
  if ((int64_t)d[1] * d[2] * d[3] > SP_ONNX_MAX_ELEMS)
    return onnx_err(c, "graph input '%s' %dx%dx%d is larger than supported", in->name, d[1],
                    d[2], d[3]);
  sp_status s = sp_graph_create(name, (sp_dims){d[1], d[2], d[3]}, &c->g);
  if (s) return s;
  onnx_value v = {.name = in->name, .kind = ONNX_ACT, .node = 0, .rank = 4};
  return onnx_define(c, &v);
}

static sp_status translate_nodes(onnx_ctx *c, const Onnx__GraphProto *gp) {
  for (size_t i = 0; i < gp->n_node; i++) {
    c->node = gp->node[i];
    c->node_index = (int)i;
    const char *type = str(c->node->op_type), *domain = str(c->node->domain);
    onnx_op_fn fn = NULL;
    if (!*domain || !strcmp(domain, "ai.onnx"))
      for (size_t k = 0; k < sizeof ops / sizeof ops[0] && !fn; k++)
        if (!strcmp(ops[k].type, type)) fn = ops[k].fn;
    if (!fn) {
      char label[128];
      onnx_node_label(c, label, sizeof label);
      c->node = NULL;
      return onnx_err(c, "unsupported op '%s%s%s' in node '%s'", domain, *domain ? "::" : "",
                      type, label);
    }
    sp_status s = fn(c);
    if (s) return s;
  }
  c->node = NULL;
  return SP_OK;
}

static sp_status set_output(onnx_ctx *c, const Onnx__GraphProto *gp) {
  const char *name = str(gp->output[0]->name);
  onnx_value *v = onnx_find(c, name);
  if (!v) return onnx_err(c, "graph output '%s' is not produced by any node", name);
  if (v->kind != ONNX_ACT || v->node == 0)
    return onnx_err(c, "graph output '%s' must be the result of an operation", name);
  c->g->output = v->node;
  return SP_OK;
}

static sp_status import_model(onnx_ctx *c, const Onnx__ModelProto *m, const char *name) {
  sp_status s = read_opset(c, m);
  if (s) return s;
  const Onnx__GraphProto *gp = m->graph;
  if (!gp) return onnx_err(c, "the model has no graph");
  if (gp->n_output != 1)
    return onnx_err(c, "the graph has %zu outputs, exactly one is supported", gp->n_output);
  if ((s = prepare_table(c, gp)) || (s = define_initializers(c, gp)) ||
      (s = define_input(c, gp, name)) || (s = translate_nodes(c, gp)))
    return s;
  return set_output(c, gp);
}

/* The last path component, for the graph's name. */
static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

sp_status sp_onnx_import_buffer(const void *data, size_t len, const char *name, sp_graph **out) {
  *out = NULL;
  onnx_ctx c = {.file = name};
  if (!len) return onnx_err(&c, "empty file, not an ONNX model");
  if (!onnx_wire_depth_ok(data, len, &onnx__model_proto__descriptor, MAX_NESTING))
    return onnx_err(&c, "not an ONNX model (malformed protobuf, or nested too deeply)");
  Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, data);
  if (!m) return onnx_err(&c, "not an ONNX model (malformed protobuf)");
  sp_status s = import_model(&c, m, base_name(name));
  onnx_values_free(&c);
  onnx__model_proto__free_unpacked(m, NULL);
  if (s) {
    sp_graph_free(c.g);
    return s;
  }
  *out = c.g;
  return SP_OK;
}

sp_status sp_onnx_import_file(const char *path, sp_graph **out) {
  *out = NULL;
  char *buf;
  size_t len;
  sp_status s = sp_file_read_all(path, SP_FILE_CAP_ONNX, "an ONNX model", &buf, &len);
  if (s) return s;
  s = sp_onnx_import_buffer(buf, len, path, out);
  free(buf);
  return s;
}
