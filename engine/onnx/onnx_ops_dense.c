/* ONNX ops on whole activations: Relu, Clip, Gemm, MatMul, Add (two
 * activations, or a constant bias), Flatten, Reshape (to N x features),
 * Softmax, and the renaming ops Identity, Dropout and Constant. */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "engine/onnx/onnx_internal.h"

#define RANKS_ANY ((1u << 4) | (1u << 2))

static sp_status add_simple(onnx_ctx *c, sp_node *n, int rank, int nonneg) {
  int index;
  sp_status s = onnx_add_node(c, n, &index);
  return s ? s : onnx_define_act(c, 0, index, rank, nonneg);
}

sp_status onnx_op_relu(onnx_ctx *c) {
  static const char *const known[] = {NULL};
  onnx_value *x;
  sp_status s;
  if ((s = onnx_check_arity(c, 1, 1, 1)) || (s = onnx_check_attrs(c, known)) ||
      (s = onnx_input_act(c, 0, RANKS_ANY, &x)))
    return s;
  char name[SP_NAME_MAX];
  onnx_layer_name(c, NULL, name);
  sp_node n = onnx_node_init(name, SP_OP_RELU, x->node);
  return add_simple(c, &n, x->rank, 1);
}

/* Clip bound i (1: min, 2: max) from opset 11 on: an optional constant scalar. */
static sp_status clip_bound(onnx_ctx *c, int i, float *out) {
  onnx_value *v;
  sp_status s = onnx_input(c, i, 0, &v);
  if (s || !v) return s;
  if (v->kind != ONNX_FLOAT || v->count != 1 || v->ndims > 1)
    return onnx_err(c, "bound '%s' must be a constant float scalar", v->name);
  if (v->f[0] != v->f[0]) return onnx_err(c, "bound '%s' is NaN", v->name);
  *out = v->f[0];
  return SP_OK;
}

/* Clip(0, 6) is ReLU6, Clip(0, +inf) ReLU, anything else a general clip. */
sp_status onnx_op_clip(onnx_ctx *c) {
  static const char *const known_old[] = {"max", "min", NULL}, *const known[] = {NULL};
  onnx_value *x;
  float lo = -FLT_MAX, hi = FLT_MAX;
  sp_status s;
  int old = c->opset < 11; /* bounds are attributes before opset 11, inputs after */
  if ((s = onnx_check_arity(c, 1, old ? 1 : 3, 1)) ||
      (s = onnx_check_attrs(c, old ? known_old : known)) ||
      (s = onnx_input_act(c, 0, RANKS_ANY, &x)))
    return s;
  if (old) s = onnx_attr_float(c, "min", lo, &lo);
  else s = clip_bound(c, 1, &lo);
  if (s) return s;
  if (old) s = onnx_attr_float(c, "max", hi, &hi);
  else s = clip_bound(c, 2, &hi);
  if (s) return s;
  if (lo > hi) return onnx_err(c, "min %g > max %g is not supported", (double)lo, (double)hi);
  if (lo <= -FLT_MAX && hi >= FLT_MAX) return onnx_define_alias(c, x);
  char name[SP_NAME_MAX];
  onnx_layer_name(c, NULL, name);
  sp_op op = lo == 0 && hi == 6 ? SP_OP_RELU6 : lo == 0 && hi >= FLT_MAX ? SP_OP_RELU : SP_OP_CLIP;
  sp_node n = onnx_node_init(name, op, x->node);
  n.clip_lo = lo;
  n.clip_hi = hi;
  return add_simple(c, &n, x->rank, lo >= 0 || x->nonneg);
}

/* An fc node from x (rank 2) and weight w: [units][features] when
 * `transposed`, else [features][units] (MatMul, Gemm transB 0). */
static sp_status add_fc(onnx_ctx *c, onnx_value *x, onnx_value *w, int transposed,
                        onnx_value *bias) {
  size_t features = sp_dims_count(c->g->nodes[x->node].out);
  if (w->ndims != 2 || w->count == 0 ||
      (size_t)w->dims[transposed ? 1 : 0] != features)
    return onnx_err(c, "weight '%s' must be a 2-D matrix with %zu %s", w->name, features,
                    transposed ? "columns" : "rows");
  size_t units = (size_t)w->dims[transposed ? 0 : 1];
  if (bias && (bias->kind != ONNX_FLOAT || (bias->count != units && bias->count != 1) ||
               bias->ndims > 2 || (bias->ndims == 2 && bias->dims[0] != 1)))
    return onnx_err(c, "bias '%s' must be a float constant of %zu values", bias->name, units);
  char name[SP_NAME_MAX];
  onnx_layer_name(c, w, name);
  sp_node n = onnx_node_init(name, SP_OP_FC, x->node);
  n.units = (int)units;
  n.weight = malloc(w->count * sizeof *n.weight);
  n.bias = bias ? malloc(units * sizeof *n.bias) : NULL;
  if (!n.weight || (bias && !n.bias)) return onnx_node_oom(c, &n);
  for (size_t u = 0; u < units; u++)
    for (size_t f = 0; f < features; f++)
      n.weight[u * features + f] = transposed ? w->f[u * features + f] : w->f[f * units + u];
  for (size_t u = 0; bias && u < units; u++) n.bias[u] = bias->f[bias->count == 1 ? 0 : u];
  n.params = (int64_t)w->count + (bias ? (int64_t)units : 0);
  return add_simple(c, &n, 2, 0);
}

sp_status onnx_op_gemm(onnx_ctx *c) {
  static const char *const known[] = {"alpha", "beta", "transA", "transB", NULL};
  onnx_value *x, *w, *b;
  float alpha, beta;
  int64_t ta, tb;
  sp_status s;
  if ((s = onnx_check_arity(c, 2, 3, 1)) || (s = onnx_check_attrs(c, known)) ||
      (s = onnx_input_act(c, 0, 1u << 2, &x)) || (s = onnx_input_floats(c, 1, 0, &w)) ||
      (s = onnx_input(c, 2, 0, &b)) || (s = onnx_attr_float(c, "alpha", 1, &alpha)) ||
      (s = onnx_attr_float(c, "beta", 1, &beta)) || (s = onnx_attr_int(c, "transA", 0, &ta)) ||
      (s = onnx_attr_int(c, "transB", 0, &tb)))
    return s;
  if (alpha != 1 || (b && beta != 1))
    return onnx_err(c, "alpha %g and beta %g are not supported (1 only)", (double)alpha,
                    (double)beta);
  if (ta != 0 || (tb != 0 && tb != 1))
    return onnx_err(c, "transA %lld / transB %lld are not supported (transA 0, transB 0 or 1)",
                    (long long)ta, (long long)tb);
  return add_fc(c, x, w, tb == 1, b);
}

sp_status onnx_op_matmul(onnx_ctx *c) {
  static const char *const known[] = {NULL};
  onnx_value *x, *w;
  sp_status s;
  if ((s = onnx_check_arity(c, 2, 2, 1)) || (s = onnx_check_attrs(c, known)) ||
      (s = onnx_input_act(c, 0, 1u << 2, &x)) || (s = onnx_input_floats(c, 1, 0, &w)))
    return s;
  return add_fc(c, x, w, 0, NULL);
}

/* Whether constant k broadcasts over x as one value per channel (or one value). */
static int per_channel(const onnx_value *k, const onnx_value *x, int channels) {
  if (k->count == 1 && k->ndims <= x->rank) return 1;
  if (k->count != (size_t)channels) return 0;
  if (x->rank == 2) return k->ndims == 1 || (k->ndims == 2 && k->dims[0] == 1);
  /* rank 4: [C, 1, 1] or [1, C, 1, 1] */
  return (k->ndims == 3 || (k->ndims == 4 && k->dims[0] == 1)) &&
         k->dims[k->ndims - 1] == 1 && k->dims[k->ndims - 2] == 1;
}

/* activation + constant: the bias of the conv or fc that produced the
 * activation, when nothing else reads the activation. */
static sp_status add_bias(onnx_ctx *c, onnx_value *x, onnx_value *k) {
  sp_node *p = &c->g->nodes[x->node];
  if ((p->op != SP_OP_CONV2D && p->op != SP_OP_FC) || x->alias || x->uses != 1 ||
      k->kind != ONNX_FLOAT || !per_channel(k, x, p->units))
    return onnx_err(c, "adding constant '%s' is only supported as the per-channel bias of the "
                    "Conv, Gemm or MatMul whose output '%s' nothing else reads", k->name,
                    x->name);
  if (!p->bias) {
    p->bias = calloc((size_t)p->units, sizeof *p->bias);
    if (!p->bias) return sp_fail(SP_ERR_RUNTIME, "%s: out of memory", c->file);
    p->params += p->units;
  }
  for (int u = 0; u < p->units; u++) p->bias[u] += k->f[k->count == 1 ? 0 : u];
  return onnx_define_act(c, 0, x->node, x->rank, 0);
}

static int is_const(const onnx_value *v) { return v->kind == ONNX_FLOAT || v->kind == ONNX_INT; }

sp_status onnx_op_add(onnx_ctx *c) {
  static const char *const known[] = {NULL};
  onnx_value *a, *b;
  sp_status s;
  if ((s = onnx_check_arity(c, 2, 2, 1)) || (s = onnx_check_attrs(c, known)) ||
      (s = onnx_input(c, 0, 1, &a)) || (s = onnx_input(c, 1, 1, &b)))
    return s;
  if (is_const(a) && is_const(b)) return onnx_err(c, "adding two constants is not supported");
  if (is_const(a) || is_const(b)) {
    onnx_value *k = is_const(a) ? a : b, *x;
    if ((s = onnx_input_act(c, is_const(a) ? 1 : 0, RANKS_ANY, &x))) return s;
    return add_bias(c, x, k);
  }
  if ((s = onnx_input_act(c, 0, RANKS_ANY, &a)) || (s = onnx_input_act(c, 1, RANKS_ANY, &b)))
    return s;
  if (a->rank != b->rank)
    return onnx_err(c, "cannot add '%s' (rank %d) and '%s' (rank %d)", a->name, a->rank,
                    b->name, b->rank);
  char name[SP_NAME_MAX];
  onnx_layer_name(c, NULL, name);
  sp_node n = onnx_node_init(name, SP_OP_ADD, a->node);
  n.n_inputs = 2;
  n.inputs[1] = b->node;
  return add_simple(c, &n, a->rank, a->nonneg && b->nonneg);
}

/* Rank 4 -> 2 as a flatten node; rank 2 stays as it is. */
static sp_status flatten(onnx_ctx *c, onnx_value *x) {
  if (x->rank == 2) return onnx_define_alias(c, x);
  char name[SP_NAME_MAX];
  onnx_layer_name(c, NULL, name);
  sp_node n = onnx_node_init(name, SP_OP_FLATTEN, x->node);
  return add_simple(c, &n, 2, x->nonneg);
}

sp_status onnx_op_flatten(onnx_ctx *c) {
  static const char *const known[] = {"axis", NULL};
  onnx_value *x;
  int64_t axis;
  sp_status s;
  if ((s = onnx_check_arity(c, 1, 1, 1)) || (s = onnx_check_attrs(c, known)) ||
      (s = onnx_input_act(c, 0, RANKS_ANY, &x)) || (s = onnx_attr_int(c, "axis", 1, &axis)))
    return s;
  if (axis < 0) axis += x->rank;
  if (axis != 1) return onnx_err(c, "only axis 1 is supported (N x features)");
  return flatten(c, x);
}

/* Reshape to [N, -1], [0, -1], [-1, features] or [N, features]: a flatten. */
sp_status onnx_op_reshape(onnx_ctx *c) {
  static const char *const known[] = {"allowzero", NULL};
  onnx_value *x, *shape;
  int64_t allowzero;
  sp_status s;
  if ((s = onnx_check_arity(c, 2, 2, 1)) || (s = onnx_check_attrs(c, known)) ||
      (s = onnx_input_act(c, 0, RANKS_ANY, &x)) || (s = onnx_input(c, 1, 1, &shape)) ||
      (s = onnx_attr_int(c, "allowzero", 0, &allowzero)))
    return s;
  if (shape->kind != ONNX_INT || shape->count != 2)
    return onnx_err(c, "shape '%s' must be a constant int64 tensor of 2 values (N x features)",
                    shape->name);
  sp_dims d = c->g->nodes[x->node].out;
  int64_t features = (int64_t)sp_dims_count(d), n = shape->i[0], f = shape->i[1];
  if (f == 0 && !allowzero) f = x->rank == 2 ? features : d.c; /* 0 copies the input dim */
  int ok = (n == -1 && f == features) ||
           ((n > 0 || (n == 0 && !allowzero)) && (f == features || f == -1));
  if (!ok)
    return onnx_err(c, "reshape to [%lld, %lld] is not supported (only to N x %lld)",
                    (long long)shape->i[0], (long long)shape->i[1], (long long)features);
  return flatten(c, x);
}

/* The engine's softmax runs over all C*H*W values of an image: ONNX's
 * softmax matches it when every axis it leaves out has extent 1. */
sp_status onnx_op_softmax(onnx_ctx *c) {
  static const char *const known[] = {"axis", NULL};
  onnx_value *x;
  int64_t axis;
  sp_status s;
  if ((s = onnx_check_arity(c, 1, 1, 1)) || (s = onnx_check_attrs(c, known)) ||
      (s = onnx_input_act(c, 0, RANKS_ANY, &x)) ||
      (s = onnx_attr_int(c, "axis", c->opset < 13 ? 1 : -1, &axis)))
    return s;
  if (axis < 0) axis += x->rank;
  if (axis < 1 || axis >= x->rank)
    return onnx_err(c, "axis %lld is not supported (the batch axis or out of range)",
                    (long long)axis);
  sp_dims d = c->g->nodes[x->node].out;
  int extent[4] = {0, d.c, d.h, d.w};
  if (x->rank == 2) extent[1] = (int)sp_dims_count(d);
  for (int a = 1; a < x->rank; a++) {
    int reduced = c->opset < 13 ? a >= axis : a == axis;
    if (!reduced && extent[a] != 1)
      return onnx_err(c, "softmax over axis %lld of '%s' leaves out axis %d: only a softmax "
                      "over all of an image's values is supported", (long long)axis, x->name, a);
  }
  char name[SP_NAME_MAX];
  onnx_layer_name(c, NULL, name);
  sp_node n = onnx_node_init(name, SP_OP_SOFTMAX, x->node);
  return add_simple(c, &n, x->rank, 1);
}

sp_status onnx_op_identity(onnx_ctx *c) {
  static const char *const known[] = {NULL};
  onnx_value *x;
  sp_status s;
  if ((s = onnx_check_arity(c, 1, 1, 1)) || (s = onnx_check_attrs(c, known)) ||
      (s = onnx_input(c, 0, 1, &x)))
    return s;
  return onnx_define_alias(c, x);
}

/* Inference: Dropout passes its input through (its mask output is unused). */
sp_status onnx_op_dropout(onnx_ctx *c) {
  static const char *const known[] = {"is_test", "ratio", "seed", NULL};
  onnx_value *x, *mode;
  sp_status s;
  if ((s = onnx_check_arity(c, 1, 3, 1)) || (s = onnx_check_attrs(c, known)) ||
      (s = onnx_input_act(c, 0, RANKS_ANY, &x)) || (s = onnx_input(c, 2, 0, &mode)))
    return s;
  if (mode) return onnx_err(c, "the training_mode input is not supported");
  return onnx_define_alias(c, x);
}

/* value_float(s) / value_int(s) as a constant value. */
static sp_status constant_list(onnx_ctx *c, const Onnx__AttributeProto *a, onnx_value *v) {
  int is_int = !strncmp(a->name, "value_int", 9), is_list = a->name[strlen(a->name) - 1] == 's';
  size_t n = is_list ? (is_int ? a->n_ints : a->n_floats) : 1;
  if ((is_int && !is_list && !a->has_i) || (!is_int && !is_list && !a->has_f))
    return onnx_err(c, "attribute '%s' has no value", a->name);
  v->kind = is_int ? ONNX_INT : ONNX_FLOAT;
  v->ndims = is_list;
  v->dims[0] = (int64_t)n;
  v->count = n;
  v->owned = 1;
  if (is_int) v->i = malloc((n ? n : 1) * sizeof *v->i);
  else v->f = malloc((n ? n : 1) * sizeof *v->f);
  if (!v->i && !v->f) return sp_fail(SP_ERR_RUNTIME, "%s: out of memory", c->file);
  for (size_t k = 0; k < n; k++) {
    if (is_int) v->i[k] = is_list ? a->ints[k] : a->i;
    else v->f[k] = is_list ? a->floats[k] : a->f;
  }
  return SP_OK;
}

sp_status onnx_op_constant(onnx_ctx *c) {
  static const char *const known[] = {"value", "value_float", "value_floats", "value_int",
                                      "value_ints", NULL};
  sp_status s;
  if ((s = onnx_check_arity(c, 0, 0, 1)) || (s = onnx_check_attrs(c, known))) return s;
  if (c->node->n_attribute != 1) return onnx_err(c, "needs exactly one value attribute");
  const Onnx__AttributeProto *a = c->node->attribute[0];
  onnx_value v;
  memset(&v, 0, sizeof v);
  if (!strcmp(a->name, "value")) {
    if (!a->t) return onnx_err(c, "attribute 'value' holds no tensor");
    s = onnx_tensor_decode(c, a->t, "attribute 'value'", &v);
  } else {
    s = constant_list(c, a, &v);
  }
  if (s) {
    free(v.f);
    free(v.i);
    return s;
  }
  v.name = c->node->output[0];
  return onnx_define(c, &v);
}
