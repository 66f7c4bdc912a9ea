/* ONNX ops over images: Conv, MaxPool, AveragePool, Pad (folded into the
 * next Conv or pool), GlobalAveragePool, ReduceMean, BatchNormalization. */
#include <limits.h>
#include <string.h>

#include "engine/onnx/onnx_internal.h"

#define MAX_WINDOW (1 << 16)

/* Input 0 of a windowed op: an activation of rank 4, or a pending zero Pad
 * whose amounts are returned in pad[] (else zeros). */
static sp_status spatial_input(onnx_ctx *c, onnx_value **x, int pad[4]) {
  memset(pad, 0, 4 * sizeof *pad);
  sp_status s = onnx_input(c, 0, 1, x);
  if (s) return s;
  if ((*x)->kind == ONNX_PAD) {
    memcpy(pad, (*x)->pad, 4 * sizeof *pad);
    return SP_OK;
  }
  return onnx_input_act(c, 0, 1u << 4, x);
}

static int has_pad(const int pad[4]) { return pad[0] || pad[1] || pad[2] || pad[3]; }

/* A 2-D ints attribute of `n` values in [lo, hi], or `def` when absent. */
static sp_status ints_attr(onnx_ctx *c, const char *name, int n, int64_t lo, int64_t hi,
                           int64_t def, int *out) {
  int64_t v[8];
  int got;
  sp_status s = onnx_attr_ints(c, name, v, 8, &got);
  if (s) return s;
  if (got < 0) {
    for (int i = 0; i < n; i++) out[i] = (int)def;
    return SP_OK;
  }
  if (got != n) return onnx_err(c, "attribute '%s' needs %d values (2-D only), has %d", name, n, got);
  for (int i = 0; i < n; i++) {
    if (v[i] < lo || v[i] > hi)
      return onnx_err(c, "attribute '%s' value %lld is not supported (%lld to %lld)", name,
                      (long long)v[i], (long long)lo, (long long)hi);
    out[i] = (int)v[i];
  }
  return SP_OK;
}

/* kernel_shape, strides, pads, dilations (1 only), auto_pad (NOTSET, VALID).
 * kernel_shape stays 0x0 when absent (Conv takes it from the weight). */
static sp_status read_window(onnx_ctx *c, sp_window *w) {
  int k[2] = {0, 0}, st[2] = {1, 1}, p[4] = {0, 0, 0, 0}, dil[2] = {1, 1};
  char auto_pad[16];
  sp_status s;
  if ((s = ints_attr(c, "kernel_shape", 2, 1, MAX_WINDOW, 0, k)) ||
      (s = ints_attr(c, "strides", 2, 1, MAX_WINDOW, 1, st)) ||
      (s = ints_attr(c, "pads", 4, 0, MAX_WINDOW, 0, p)) ||
      (s = ints_attr(c, "dilations", 2, 1, MAX_WINDOW, 1, dil)) ||
      (s = onnx_attr_string(c, "auto_pad", "NOTSET", auto_pad, sizeof auto_pad)))
    return s;
  if (dil[0] != 1 || dil[1] != 1)
    return onnx_err(c, "dilation %dx%d is not supported (1 only)", dil[0], dil[1]);
  if (strcmp(auto_pad, "NOTSET") && strcmp(auto_pad, "VALID"))
    return onnx_err(c, "auto_pad '%s' is not supported (NOTSET or VALID; give explicit pads)",
                    auto_pad);
  if (!strcmp(auto_pad, "VALID") && (p[0] || p[1] || p[2] || p[3]))
    return onnx_err(c, "auto_pad VALID with non-zero pads");
  /* ONNX pads are [top, left, bottom, right] */
  *w = (sp_window){k[0], k[1], st[0], st[1], p[0], p[1], p[2], p[3]};
  return SP_OK;
}

static void add_pad(sp_window *w, const int pad[4]) {
  w->pt += pad[0];
  w->pl += pad[1];
  w->pb += pad[2];
  w->pr += pad[3];
}

sp_status onnx_op_conv(onnx_ctx *c) {
  static const char *const known[] = {"auto_pad", "dilations", "group", "kernel_shape", "pads",
                                      "strides", NULL};
  onnx_value *x, *w, *b = NULL;
  int pad[4];
  sp_window win;
  int64_t group;
  sp_status s;
  if ((s = onnx_check_arity(c, 2, 3, 1)) || (s = onnx_check_attrs(c, known)) ||
      (s = spatial_input(c, &x, pad)) || (s = onnx_input_floats(c, 1, 0, &w)) ||
      (s = onnx_input(c, 2, 0, &b)) || (s = read_window(c, &win)) ||
      (s = onnx_attr_int(c, "group", 1, &group)))
    return s;
  sp_dims in = c->g->nodes[x->node].out;
  if (w->ndims != 4 || w->count == 0)
    return onnx_err(c, "weight '%s' must have rank 4 (2-D convolution only)", w->name);
  int64_t cout = w->dims[0], cin_g = w->dims[1];
  if (group < 1 || group > in.c || in.c % group || cin_g != in.c / group || cout % group)
    return onnx_err(c, "weight '%s' %lldx%lldx%lldx%lld does not fit %d input channels in %lld "
                    "groups", w->name, (long long)cout, (long long)cin_g,
                    (long long)w->dims[2], (long long)w->dims[3], in.c, (long long)group);
  if (win.kh && (win.kh != w->dims[2] || win.kw != w->dims[3]))
    return onnx_err(c, "kernel_shape %dx%d differs from weight '%s'", win.kh, win.kw, w->name);
  win.kh = (int)w->dims[2];
  win.kw = (int)w->dims[3];
  if (b && (b->kind != ONNX_FLOAT || b->count != (size_t)cout))
    return onnx_err(c, "bias '%s' must be a float constant of %lld values", b->name,
                    (long long)cout);
  add_pad(&win, pad);
  char name[SP_NAME_MAX];
  onnx_layer_name(c, w, name);
  sp_node n = onnx_node_init(name, SP_OP_CONV2D, x->node);
  n.win = win;
  n.groups = (int)group;
  n.units = (int)cout;
  n.weight = onnx_copy_floats(w->f, w->count);
  n.bias = b ? onnx_copy_floats(b->f, b->count) : NULL;
  n.params = (int64_t)w->count + (b ? (int64_t)b->count : 0);
  if (!n.weight || (b && !n.bias)) return onnx_node_oom(c, &n);
  int index;
  if ((s = onnx_add_node(c, &n, &index))) return s;
  return onnx_define_act(c, 0, index, 4, 0);
}

/* ceil_mode 1 is accepted only where it yields the floor shape (the last
 * window then starts in the padded input, as ONNX and PyTorch require). */
static sp_status check_ceil(onnx_ctx *c, const sp_window *w, sp_dims in) {
  int64_t ceil_mode;
  sp_status s = onnx_attr_int(c, "ceil_mode", 0, &ceil_mode);
  if (s || !ceil_mode) return s;
  int size[2] = {in.h, in.w}, k[2] = {w->kh, w->kw}, st[2] = {w->sh, w->sw};
  int lo[2] = {w->pt, w->pl}, hi[2] = {w->pb, w->pr};
  for (int a = 0; a < 2; a++) {
    int64_t span = (int64_t)size[a] + lo[a] + hi[a] - k[a];
    if (span < 0) continue; /* shape inference reports it */
    int64_t floor_out = span / st[a] + 1, ceil_out = (span + st[a] - 1) / st[a] + 1;
    if ((ceil_out - 1) * st[a] >= (int64_t)size[a] + lo[a]) ceil_out--;
    if (ceil_out != floor_out)
      return onnx_err(c, "ceil_mode 1 changes the output shape here, which is not supported");
  }
  return SP_OK;
}

static sp_status add_pool(onnx_ctx *c, sp_op op, onnx_value *x, const sp_window *win,
                          int count_include_pad) {
  char name[SP_NAME_MAX];
  onnx_layer_name(c, NULL, name);
  sp_node n = onnx_node_init(name, op, x->node);
  n.win = *win;
  n.count_include_pad = count_include_pad;
  int index;
  sp_status s = onnx_add_node(c, &n, &index);
  return s ? s : onnx_define_act(c, 0, index, 4, x->nonneg);
}

static sp_status pool_window(onnx_ctx *c, onnx_value *x, sp_window *win) {
  sp_status s = read_window(c, win);
  if (s) return s;
  if (!win->kh) return onnx_err(c, "attribute 'kernel_shape' is missing");
  return check_ceil(c, win, c->g->nodes[x->node].out);
}

sp_status onnx_op_maxpool(onnx_ctx *c) {
  static const char *const known[] = {"auto_pad", "ceil_mode", "dilations", "kernel_shape",
                                      "pads", "storage_order", "strides", NULL};
  onnx_value *x;
  int pad[4];
  sp_window win;
  int64_t order;
  sp_status s;
  if ((s = onnx_check_arity(c, 1, 1, 1)) || (s = onnx_check_attrs(c, known)) ||
      (s = spatial_input(c, &x, pad)) || (s = pool_window(c, x, &win)) ||
      (s = onnx_attr_int(c, "storage_order", 0, &order)))
    return s;
  if (order) return onnx_err(c, "storage_order %lld is not supported", (long long)order);
  /* Zeros from a Pad only act like max pooling's -inf padding when no input
   * value is negative. */
  if (has_pad(pad) && !x->nonneg)
    return onnx_err(c, "a zero Pad before MaxPool is only supported when the input is known "
                    "non-negative (after ReLU): zero and -inf padding differ");
  add_pad(&win, pad);
  return add_pool(c, SP_OP_MAXPOOL, x, &win, 0);
}

sp_status onnx_op_avgpool(onnx_ctx *c) {
  static const char *const known[] = {"auto_pad", "ceil_mode", "count_include_pad",
                                      "kernel_shape", "pads", "strides", NULL};
  onnx_value *x;
  int pad[4];
  sp_window win;
  int64_t include;
  sp_status s;
  if ((s = onnx_check_arity(c, 1, 1, 1)) || (s = onnx_check_attrs(c, known)) ||
      (s = spatial_input(c, &x, pad)) || (s = pool_window(c, x, &win)) ||
      (s = onnx_attr_int(c, "count_include_pad", 0, &include)))
    return s;
  int own_pad = win.pt || win.pl || win.pb || win.pr;
  /* A folded Pad's zeros were real input to the pool: they count in the
   * divisor, which one flag can express only if the pool's own padding
   * counts too (or there is none). */
  if (has_pad(pad)) {
    if (own_pad && !include)
      return onnx_err(c, "a zero Pad before an AveragePool with its own padding and "
                      "count_include_pad 0 is not supported");
    include = 1;
  }
  add_pad(&win, pad);
  return add_pool(c, SP_OP_AVGPOOL, x, &win, include != 0);
}

sp_status onnx_op_pad(onnx_ctx *c) {
  static const char *const known[] = {"mode", "pads", "value", NULL};
  onnx_value *x, *pv = NULL, *cv = NULL;
  char mode[16];
  int64_t p[8];
  int np = -1;
  float value = 0;
  sp_status s;
  if ((s = onnx_check_arity(c, 1, c->opset < 11 ? 1 : 3, 1)) || (s = onnx_check_attrs(c, known)) ||
      (s = onnx_attr_string(c, "mode", "constant", mode, sizeof mode)) ||
      (s = onnx_input(c, 0, 1, &x)))
    return s;
  if (c->opset < 11) {
    if ((s = onnx_attr_ints(c, "pads", p, 8, &np)) || (s = onnx_attr_float(c, "value", 0, &value)))
      return s;
  } else {
    if (onnx_attr(c, "pads") || onnx_attr(c, "value"))
      return onnx_err(c, "pads and value are inputs from opset 11 on, not attributes");
    if ((s = onnx_input(c, 1, 1, &pv)) || (s = onnx_input(c, 2, 0, &cv))) return s;
    if (pv->kind != ONNX_INT || pv->count > 8)
      return onnx_err(c, "pads '%s' must be a constant int64 tensor of 8 values", pv->name);
    np = (int)pv->count;
    memcpy(p, pv->i, pv->count * sizeof *p);
    if (cv && (cv->kind != ONNX_FLOAT || cv->count != 1))
      return onnx_err(c, "constant_value '%s' must be a constant float scalar", cv->name);
    if (cv) value = cv->f[0];
  }
  if (strcmp(mode, "constant")) return onnx_err(c, "mode '%s' is not supported (constant only)", mode);
  if (value != 0) return onnx_err(c, "padding value %g is not supported (0 only)", (double)value);
  if (np != 8) return onnx_err(c, "pads must have 8 values (rank 4 input), has %d", np);
  /* [N, C, H, W begins, N, C, H, W ends]: only H and W may be padded */
  if (p[0] || p[1] || p[4] || p[5])
    return onnx_err(c, "padding the batch or channel axis is not supported");
  for (int i = 0; i < 8; i++)
    if (p[i] < 0 || p[i] > MAX_WINDOW)
      return onnx_err(c, "pad %lld is not supported (0 to %d)", (long long)p[i], MAX_WINDOW);
  onnx_value v;
  if (x->kind == ONNX_PAD) v = *x; /* Pad of a Pad: the amounts add up */
  else {
    if ((s = onnx_input_act(c, 0, 1u << 4, &x))) return s;
    v = *x;
    memset(v.pad, 0, sizeof v.pad);
  }
  v.kind = ONNX_PAD;
  v.pad[0] += (int)p[2];
  v.pad[1] += (int)p[3];
  v.pad[2] += (int)p[6];
  v.pad[3] += (int)p[7];
  return onnx_define_alias(c, &v);
}

static sp_status add_gap(onnx_ctx *c, onnx_value *x, int rank) {
  char name[SP_NAME_MAX];
  onnx_layer_name(c, NULL, name);
  sp_node n = onnx_node_init(name, SP_OP_GLOBAL_AVGPOOL, x->node);
  int index;
  sp_status s = onnx_add_node(c, &n, &index);
  return s ? s : onnx_define_act(c, 0, index, rank, x->nonneg);
}

sp_status onnx_op_global_avgpool(onnx_ctx *c) {
  static const char *const known[] = {NULL};
  onnx_value *x;
  sp_status s;
  if ((s = onnx_check_arity(c, 1, 1, 1)) || (s = onnx_check_attrs(c, known)) ||
      (s = onnx_input_act(c, 0, 1u << 4, &x)))
    return s;
  return add_gap(c, x, 4);
}

/* ReduceMean over the spatial axes {2, 3} is a global average pool. */
sp_status onnx_op_reduce_mean(onnx_ctx *c) {
  static const char *const known[] = {"axes", "keepdims", NULL};
  onnx_value *x;
  int64_t axes[4], keep;
  int n;
  sp_status s;
  if ((s = onnx_check_arity(c, 1, 1, 1)) || (s = onnx_check_attrs(c, known)) ||
      (s = onnx_input_act(c, 0, 1u << 4, &x)) || (s = onnx_attr_ints(c, "axes", axes, 4, &n)) ||
      (s = onnx_attr_int(c, "keepdims", 1, &keep)))
    return s;
  int mask = 0;
  for (int i = 0; i < n; i++) {
    int64_t a = axes[i] < 0 ? axes[i] + 4 : axes[i];
    if (a < 0 || a > 3) return onnx_err(c, "axis %lld is out of range", (long long)axes[i]);
    mask |= 1 << a;
  }
  if (n != 2 || mask != 0xc)
    return onnx_err(c, "only the mean over axes {2, 3} (spatial) is supported");
  return add_gap(c, x, keep ? 4 : 2);
}

sp_status onnx_op_batchnorm(onnx_ctx *c) {
  static const char *const known[] = {"epsilon", "momentum", "spatial", "training_mode", NULL};
  onnx_value *x, *p[4];
  float eps, momentum;
  int64_t spatial, training;
  sp_status s;
  if ((s = onnx_check_arity(c, 5, 5, 1)) || (s = onnx_check_attrs(c, known)) ||
      (s = onnx_input_act(c, 0, (1u << 4) | (1u << 2), &x)) ||
      (s = onnx_attr_float(c, "epsilon", 1e-5f, &eps)) ||
      (s = onnx_attr_float(c, "momentum", 0.9f, &momentum)) ||
      (s = onnx_attr_int(c, "spatial", 1, &spatial)) ||
      (s = onnx_attr_int(c, "training_mode", 0, &training)))
    return s;
  if (spatial != 1 || training != 0)
    return onnx_err(c, "only inference-mode, spatial batch normalization is supported");
  if (!(eps >= 0)) return onnx_err(c, "epsilon %g must be >= 0", (double)eps);
  size_t channels = (size_t)c->g->nodes[x->node].out.c;
  for (int i = 0; i < 4; i++)
    if ((s = onnx_input_floats(c, i + 1, channels, &p[i]))) return s;
  char name[SP_NAME_MAX];
  onnx_layer_name(c, p[0], name);
  sp_node n = onnx_node_init(name, SP_OP_BATCHNORM, x->node);
  n.bn_gamma = onnx_copy_floats(p[0]->f, channels);
  n.bn_beta = onnx_copy_floats(p[1]->f, channels);
  n.bn_mean = onnx_copy_floats(p[2]->f, channels);
  n.bn_var = onnx_copy_floats(p[3]->f, channels);
  n.bn_eps = eps;
  n.params = 2 * (int64_t)channels; /* gamma and beta; statistics are not trained */
  if (!n.bn_gamma || !n.bn_beta || !n.bn_mean || !n.bn_var) return onnx_node_oom(c, &n);
  int index;
  if ((s = onnx_add_node(c, &n, &index))) return s;
  return onnx_define_act(c, 0, index, x->rank, 0);
}
