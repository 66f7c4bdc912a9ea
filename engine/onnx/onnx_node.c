/* What every op translator needs: messages naming the file and node, checked
 * access to inputs and attributes, layer names, appending graph nodes. */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/onnx/onnx_internal.h"

static const char *str(const char *s) { return s ? s : ""; }

const char *onnx_node_label(const onnx_ctx *c, char *buf, size_t size) {
  const Onnx__NodeProto *n = c->node;
  if (n->name && *n->name) snprintf(buf, size, "%s", n->name);
  else snprintf(buf, size, "%s_%d", str(n->op_type), c->node_index);
  return buf;
}

sp_status onnx_err(onnx_ctx *c, const char *fmt, ...) {
  char msg[384], label[128], op[64];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  sp_printable(msg);
  if (!c->node) return sp_fail(SP_ERR_INPUT, "%s: %s", c->file, msg);
  onnx_node_label(c, label, sizeof label);
  snprintf(op, sizeof op, "%s", str(c->node->op_type));
  sp_printable(label);
  sp_printable(op);
  return sp_fail(SP_ERR_INPUT, "%s: node '%s' (%s): %s", c->file, label, op, msg);
}

sp_status onnx_input(onnx_ctx *c, int i, int required, onnx_value **out) {
  *out = NULL;
  const Onnx__NodeProto *n = c->node;
  const char *name = (size_t)i < n->n_input ? n->input[i] : NULL;
  if (!name || !*name)
    return required ? onnx_err(c, "input %d is missing", i) : SP_OK;
  *out = onnx_find(c, name);
  if (!*out)
    return onnx_err(c, "input '%s' is not an initializer or the output of an earlier node",
                    name);
  return SP_OK;
}

sp_status onnx_input_act(onnx_ctx *c, int i, unsigned ranks, onnx_value **out) {
  sp_status s = onnx_input(c, i, 1, out);
  if (s) return s;
  onnx_value *v = *out;
  if (v->kind == ONNX_PAD)
    return onnx_err(c, "input '%s' comes from a Pad, which is only supported right before "
                    "Conv, AveragePool or MaxPool", v->name);
  if (v->kind != ONNX_ACT)
    return onnx_err(c, "input '%s' is a constant; only activations are supported here", v->name);
  if (!(ranks & (1u << v->rank)))
    return onnx_err(c, "input '%s' has rank %d, which this op does not support here", v->name,
                    v->rank);
  return SP_OK;
}

sp_status onnx_input_floats(onnx_ctx *c, int i, size_t count, onnx_value **out) {
  sp_status s = onnx_input(c, i, 1, out);
  if (s) return s;
  onnx_value *v = *out;
  if (v->kind != ONNX_FLOAT)
    return onnx_err(c, "input '%s' must be a constant float tensor", v->name);
  if (count && v->count != count)
    return onnx_err(c, "input '%s' has %zu elements, expected %zu", v->name, v->count, count);
  return SP_OK;
}

sp_status onnx_check_arity(onnx_ctx *c, int lo, int hi, int outputs) {
  const Onnx__NodeProto *n = c->node;
  if (n->n_input < (size_t)lo || n->n_input > (size_t)hi)
    return onnx_err(c, "has %zu inputs, expected %d to %d", n->n_input, lo, hi);
  if (n->n_output < 1 || !n->output[0] || !*n->output[0]) return onnx_err(c, "has no output");
  for (size_t i = (size_t)outputs; i < n->n_output; i++)
    if (n->output[i] && *n->output[i] && onnx_count_uses(c, n->output[i]))
      return onnx_err(c, "output %zu ('%s') is used, which is not supported", i, n->output[i]);
  return SP_OK;
}

const Onnx__AttributeProto *onnx_attr(const onnx_ctx *c, const char *name) {
  for (size_t i = 0; i < c->node->n_attribute; i++)
    if (!strcmp(str(c->node->attribute[i]->name), name)) return c->node->attribute[i];
  return NULL;
}

sp_status onnx_check_attrs(onnx_ctx *c, const char *const *known) {
  for (size_t i = 0; i < c->node->n_attribute; i++) {
    const char *name = str(c->node->attribute[i]->name);
    int ok = 0;
    for (const char *const *k = known; *k && !ok; k++) ok = !strcmp(*k, name);
    if (!ok) return onnx_err(c, "unsupported attribute '%s'", name);
  }
  return SP_OK;
}

/* Whether attribute `a` holds type `t` (old files may leave `type` unset). */
static int attr_is(const Onnx__AttributeProto *a, Onnx__AttributeProto__AttributeType t,
                   int present) {
  return a->has_type ? a->type == t : present;
}

sp_status onnx_attr_int(onnx_ctx *c, const char *name, int64_t def, int64_t *out) {
  const Onnx__AttributeProto *a = onnx_attr(c, name);
  *out = def;
  if (!a) return SP_OK;
  if (!attr_is(a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT, a->has_i))
    return onnx_err(c, "attribute '%s' must be an int", name);
  *out = a->i;
  return SP_OK;
}

sp_status onnx_attr_float(onnx_ctx *c, const char *name, float def, float *out) {
  const Onnx__AttributeProto *a = onnx_attr(c, name);
  *out = def;
  if (!a) return SP_OK;
  if (!attr_is(a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT, a->has_f))
    return onnx_err(c, "attribute '%s' must be a float", name);
  if (isnan(a->f)) return onnx_err(c, "attribute '%s' is NaN", name);
  *out = a->f;
  return SP_OK;
}

sp_status onnx_attr_ints(onnx_ctx *c, const char *name, int64_t *out, int max, int *n) {
  const Onnx__AttributeProto *a = onnx_attr(c, name);
  *n = -1;
  if (!a) return SP_OK;
  if (!attr_is(a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS, a->n_ints > 0))
    return onnx_err(c, "attribute '%s' must be a list of ints", name);
  if (a->n_ints > (size_t)max)
    return onnx_err(c, "attribute '%s' has %zu values, at most %d supported", name, a->n_ints,
                    max);
  if (a->n_ints) memcpy(out, a->ints, a->n_ints * sizeof *out);
  *n = (int)a->n_ints;
  return SP_OK;
}

sp_status onnx_attr_string(onnx_ctx *c, const char *name, const char *def, char *out,
                           size_t size) {
  const Onnx__AttributeProto *a = onnx_attr(c, name);
  snprintf(out, size, "%s", def);
  if (!a) return SP_OK;
  if (!attr_is(a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING, a->has_s))
    return onnx_err(c, "attribute '%s' must be a string", name);
  if (a->s.len >= size || (a->s.len && memchr(a->s.data, 0, a->s.len)))
    return onnx_err(c, "attribute '%s' has an unsupported value", name);
  if (a->s.len) memcpy(out, a->s.data, a->s.len);
  out[a->s.len] = 0;
  return SP_OK;
}

void onnx_layer_name(const onnx_ctx *c, const onnx_value *w, char name[SP_NAME_MAX]) {
  static const char suffix[] = ".weight";
  const char *init = w ? w->init_name : NULL;
  size_t len = init ? strlen(init) : 0, sl = sizeof suffix - 1;
  if (len > sl && !strcmp(init + len - sl, suffix)) {
    size_t keep = len - sl < SP_NAME_MAX - 1 ? len - sl : SP_NAME_MAX - 1;
    memcpy(name, init, keep);
    name[keep] = 0;
    return;
  }
  onnx_node_label(c, name, SP_NAME_MAX);
}

sp_node onnx_node_init(const char *name, sp_op op, int input) {
  sp_node n;
  memset(&n, 0, sizeof n);
  snprintf(n.name, sizeof n.name, "%s", name);
  n.op = op;
  n.n_inputs = 1;
  n.inputs[0] = input;
  return n;
}

sp_status onnx_node_oom(onnx_ctx *c, sp_node *n) {
  sp_node_free_data(n);
  char label[128];
  return sp_fail(SP_ERR_RUNTIME, "%s: node '%s': out of memory for its weights", c->file,
                 onnx_node_label(c, label, sizeof label));
}

sp_status onnx_add_node(onnx_ctx *c, sp_node *n, int *index) {
  sp_status s = sp_graph_add(c->g, n, index);
  if (s) {
    sp_node_free_data(n);
    char msg[256];
    snprintf(msg, sizeof msg, "%s", sp_last_error());
    return onnx_err(c, "%s", msg);
  }
  sp_dims d = c->g->nodes[*index].out;
  if ((int64_t)sp_dims_count(d) > SP_ONNX_MAX_ELEMS)
    return onnx_err(c, "output %dx%dx%d per image is larger than supported", d.c, d.h, d.w);
  return SP_OK;
}

float *onnx_copy_floats(const float *src, size_t n) {
  float *dst = malloc((n ? n : 1) * sizeof *dst);
  if (dst && n) memcpy(dst, src, n * sizeof *dst);
  return dst;
}
