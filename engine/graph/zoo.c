/* The built-in model zoo: spec parsing and the three CIFAR builders. Node
 * names are the PyTorch module names of tools' training script, so that
 * exported ONNX weights map onto these graphs by name. */
#include "engine/graph/zoo.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/memory_guard.h"
#include "engine/core/rng.h"

#define SP_ZOO_CLASSES 10
#define SP_ZOO_SIZE 32

static const char *const zoo_names[] = {"vgg16", "resnet18", "mobilenet", NULL};

const char *const *sp_zoo_names(void) { return zoo_names; }

/* ---- spec parsing ---- */

#define VALID_MODELS "vgg16, resnet18, mobilenet"
#define VALID_KEYS "w, c, seed"

/* Parses a whole string of decimal digits (no sign, no spaces) into `out`. */
static int parse_unsigned(const char *text, unsigned long long max, unsigned long long *out) {
  if (*text < '0' || *text > '9') return 0;
  char *end = NULL;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  if (*end || errno == ERANGE || v > max) return 0;
  *out = v;
  return 1;
}

/* Parses one "key=value" item of length `len`; `seen` tracks duplicate keys. */
static sp_status parse_option(const char *spec, const char *item, size_t len, unsigned *seen,
                              sp_zoo_spec *out) {
  const char *eq = memchr(item, '=', len);
  if (!eq)
    return sp_fail(SP_ERR_INPUT,
                   "model '%s': option '%.*s' has no '=' (expected key=value, keys %s)", spec,
                   (int)len, item, VALID_KEYS);
  size_t klen = (size_t)(eq - item), vlen = len - klen - 1;
  static const char *const keys[] = {"w", "c", "seed"};
  int key = -1;
  for (int k = 0; k < 3; k++)
    if (strlen(keys[k]) == klen && !strncmp(item, keys[k], klen)) key = k;
  if (key < 0)
    return sp_fail(SP_ERR_INPUT, "model '%s': unknown key '%.*s' (valid keys: %s)", spec,
                   (int)klen, item, VALID_KEYS);
  if (*seen & (1u << key))
    return sp_fail(SP_ERR_INPUT, "model '%s': key '%s' given twice", spec, keys[key]);
  *seen |= 1u << key;
  if (vlen == 0)
    return sp_fail(SP_ERR_INPUT, "model '%s': key '%s' has an empty value", spec, keys[key]);
  char value[64];
  if (vlen >= sizeof value) vlen = sizeof value - 1; /* too long is invalid anyway */
  memcpy(value, eq + 1, vlen);
  value[vlen] = '\0';
  unsigned long long u = 0;
  if (key == 0) {
    char *end = NULL;
    double w = (value[0] == '.' || (value[0] >= '0' && value[0] <= '9')) ? strtod(value, &end) : 0;
    if (!end || *end || !isfinite(w) || w <= 0 || w > 4)
      return sp_fail(SP_ERR_INPUT, "model '%s': bad width 'w=%s' (expected a number in (0, 4])",
                     spec, value);
    out->width = w;
  } else if (key == 1) {
    if (!parse_unsigned(value, 64, &u) || u < 1)
      return sp_fail(SP_ERR_INPUT,
                     "model '%s': bad input channels 'c=%s' (expected an integer in [1, 64])",
                     spec, value);
    out->channels = (int)u;
  } else {
    if (!parse_unsigned(value, UINT64_MAX, &u))
      return sp_fail(SP_ERR_INPUT, "model '%s': bad seed 'seed=%s' (expected an unsigned integer)",
                     spec, value);
    out->seed = (uint64_t)u;
  }
  return SP_OK;
}

sp_status sp_zoo_parse(const char *text, sp_zoo_spec *out) {
  if (!text) text = "";
  sp_zoo_spec spec = {.width = 1.0, .channels = 3, .seed = 1};
  const char *colon = strchr(text, ':');
  size_t name_len = colon ? (size_t)(colon - text) : strlen(text);
  int found = 0;
  for (int i = 0; zoo_names[i]; i++)
    if (strlen(zoo_names[i]) == name_len && !strncmp(text, zoo_names[i], name_len)) found = 1;
  if (!found)
    return sp_fail(SP_ERR_INPUT, "unknown model '%.*s' (valid: %s, optionally :w=W,c=C,seed=S)",
                   (int)name_len, text, VALID_MODELS);
  memcpy(spec.name, text, name_len);
  spec.name[name_len] = '\0';
  if (colon) {
    const char *item = colon + 1;
    if (!*item)
      return sp_fail(SP_ERR_INPUT, "model '%s': empty option list after ':' (keys: %s)", text,
                     VALID_KEYS);
    unsigned seen = 0;
    for (;;) {
      const char *comma = strchr(item, ',');
      size_t len = comma ? (size_t)(comma - item) : strlen(item);
      if (len == 0)
        return sp_fail(SP_ERR_INPUT, "model '%s': %s", text,
                       *item ? "empty option between commas" : "trailing comma");
      sp_status s = parse_option(text, item, len, &seen, &spec);
      if (s) return s;
      if (!comma) break;
      item = comma + 1;
    }
  }
  *out = spec;
  return SP_OK;
}

/* ---- builders ---- */

/* Building state with a sticky status: once a step fails, the later steps do
 * nothing, so the builders read as plain layer lists. */
typedef struct builder {
  sp_graph *g;
  sp_rng rng;
  double width;
  sp_status status;
  int dry; /* count only: a graph of shapes (sp_graph.shapes_only), nothing initialised */
} builder;

static int width_of(const builder *b, int base) {
  int c = (int)(base * b->width + 0.5);
  return c < 1 ? 1 : c;
}

/* printf into a node-name buffer. */
static const char *name_of(char buf[SP_NAME_MAX], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static const char *name_of(char buf[SP_NAME_MAX], const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, SP_NAME_MAX, fmt, ap);
  va_end(ap);
  return buf;
}

/* He initialisation: normal with std sqrt(2 / fan_in), in storage order. */
static void he_init(builder *b, float *w, size_t count, size_t fan_in) {
  if (b->dry) return;
  float std = (float)sqrt(2.0 / (double)fan_in);
  for (size_t i = 0; i < count; i++) w[i] = std * sp_rng_normal(&b->rng);
}

/* conv (k x k, padding k/2, no bias) -> batch norm -> optional ReLU. */
static int conv_bn(builder *b, int in, const char *conv_name, const char *bn_name,
                   const char *relu_name, int cout, int k, int stride, int groups) {
  int conv = -1, out = -1;
  if (b->status) return -1;
  b->status = sp_graph_add_conv(b->g, conv_name, in, cout, k, stride, k / 2, groups, 0, &conv);
  if (b->status) return -1;
  const sp_node *n = &b->g->nodes[conv];
  size_t count = sp_node_weight_count(b->g, n);
  he_init(b, n->weight, count, count / (size_t)cout);
  b->status = sp_graph_add_batchnorm(b->g, bn_name, conv, &out);
  if (!b->status && relu_name)
    b->status = sp_graph_add_simple(b->g, relu_name, SP_OP_RELU, out, &out);
  return b->status ? -1 : out;
}

/* fc with He weights and zero bias, optionally followed by a ReLU. */
static int fc(builder *b, int in, const char *name, const char *relu_name, int units) {
  int out = -1;
  if (b->status) return -1;
  b->status = sp_graph_add_fc(b->g, name, in, units, &out);
  if (b->status) return -1;
  const sp_node *n = &b->g->nodes[out];
  size_t count = sp_node_weight_count(b->g, n);
  he_init(b, n->weight, count, count / (size_t)units);
  if (relu_name) b->status = sp_graph_add_simple(b->g, relu_name, SP_OP_RELU, out, &out);
  return b->status ? -1 : out;
}

static int simple(builder *b, int in, const char *name, sp_op op) {
  int out = -1;
  if (!b->status) b->status = sp_graph_add_simple(b->g, name, op, in, &out);
  return b->status ? -1 : out;
}

static int maxpool(builder *b, int in, const char *name) {
  int out = -1;
  if (!b->status) b->status = sp_graph_add_pool(b->g, name, SP_OP_MAXPOOL, in, 2, 2, 0, &out);
  return b->status ? -1 : out;
}

/* VGG-16: 13 3x3 convs in 5 stages with max pools, then a 2-layer classifier. */
static void build_vgg16(builder *b) {
  static const int cfg[] = {64, 64, 0, 128, 128, 0, 256, 256, 256, 0,
                            512, 512, 512, 0, 512, 512, 512, 0}; /* 0: max pool */
  char cn[SP_NAME_MAX], bn[SP_NAME_MAX], rn[SP_NAME_MAX];
  int x = 0, conv = 0, pool = 0;
  for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
    if (!cfg[i]) {
      x = maxpool(b, x, name_of(cn, "pool%d", ++pool));
      continue;
    }
    conv++;
    x = conv_bn(b, x, name_of(cn, "conv%d", conv), name_of(bn, "bn%d", conv),
                name_of(rn, "relu%d", conv), width_of(b, cfg[i]), 3, 1, 1);
  }
  x = simple(b, x, "flatten", SP_OP_FLATTEN);
  x = fc(b, x, "fc1", "relu_fc1", width_of(b, 512));
  fc(b, x, "fc2", NULL, SP_ZOO_CLASSES);
}

/* One BasicBlock layerS.B: two 3x3 convs and an identity or 1x1 projection. */
static int basic_block(builder *b, int in, int stage, int block, int cout, int stride) {
  char p[16], n1[SP_NAME_MAX], n2[SP_NAME_MAX], n3[SP_NAME_MAX];
  snprintf(p, sizeof p, "layer%d.%d", stage, block);
  int cin = b->status ? 0 : b->g->nodes[in].out.c;
  int x = conv_bn(b, in, name_of(n1, "%s.conv1", p), name_of(n2, "%s.bn1", p),
                  name_of(n3, "%s.relu1", p), cout, 3, stride, 1);
  x = conv_bn(b, x, name_of(n1, "%s.conv2", p), name_of(n2, "%s.bn2", p), NULL, cout, 3, 1, 1);
  int shortcut = in;
  if (stride != 1 || cin != cout)
    shortcut = conv_bn(b, in, name_of(n1, "%s.shortcut.conv", p),
                       name_of(n2, "%s.shortcut.bn", p), NULL, cout, 1, stride, 1);
  int sum = -1;
  if (!b->status) b->status = sp_graph_add_add(b->g, name_of(n1, "%s.add", p), x, shortcut, &sum);
  return simple(b, sum, name_of(n2, "%s.relu2", p), SP_OP_RELU);
}

/* ResNet-18: 3x3 stem, 4 stages of 2 BasicBlocks, global pool, fc. */
static void build_resnet18(builder *b) {
  static const int channels[] = {64, 128, 256, 512}, strides[] = {1, 2, 2, 2};
  int x = conv_bn(b, 0, "conv1", "bn1", "relu", width_of(b, 64), 3, 1, 1);
  for (int s = 0; s < 4; s++)
    for (int blk = 0; blk < 2; blk++)
      x = basic_block(b, x, s + 1, blk, width_of(b, channels[s]), blk ? 1 : strides[s]);
  x = simple(b, x, "avgpool", SP_OP_GLOBAL_AVGPOOL);
  x = simple(b, x, "flatten", SP_OP_FLATTEN);
  fc(b, x, "fc", NULL, SP_ZOO_CLASSES);
}

/* MobileNet v1: 3x3 stem, 13 depthwise-separable blocks, global pool, fc. */
static void build_mobilenet(builder *b) {
  static const int pw[13] = {64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024};
  static const int stride[13] = {1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1};
  char n1[SP_NAME_MAX], n2[SP_NAME_MAX], n3[SP_NAME_MAX];
  int c = width_of(b, 32);
  int x = conv_bn(b, 0, "conv1", "bn1", "relu1", c, 3, 1, 1);
  for (int i = 0; i < 13; i++) {
    x = conv_bn(b, x, name_of(n1, "blocks.%d.dw", i), name_of(n2, "blocks.%d.dw_bn", i),
                name_of(n3, "blocks.%d.dw_relu", i), c, 3, stride[i], c);
    c = width_of(b, pw[i]);
    x = conv_bn(b, x, name_of(n1, "blocks.%d.pw", i), name_of(n2, "blocks.%d.pw_bn", i),
                name_of(n3, "blocks.%d.pw_relu", i), c, 1, 1, 1);
  }
  x = simple(b, x, "avgpool", SP_OP_GLOBAL_AVGPOOL);
  x = simple(b, x, "flatten", SP_OP_FLATTEN);
  fc(b, x, "fc", NULL, SP_ZOO_CLASSES);
}

/* The graph's name: the model with its non-default options, e.g. "vgg16:w=0.5". */
static void spec_string(const sp_zoo_spec *s, char buf[SP_NAME_MAX]) {
  char w[32] = "", c[16] = "", seed[32] = "", opts[80];
  if (s->width != 1.0) snprintf(w, sizeof w, ",w=%g", s->width);
  if (s->channels != 3) snprintf(c, sizeof c, ",c=%d", s->channels);
  if (s->seed != 1) snprintf(seed, sizeof seed, ",seed=%llu", (unsigned long long)s->seed);
  snprintf(opts, sizeof opts, "%s%s%s", w, c, seed);
  char full[sizeof s->name + sizeof opts + 1];
  snprintf(full, sizeof full, "%s%s%s", s->name, *opts ? ":" : "", *opts ? opts + 1 : "");
  snprintf(buf, SP_NAME_MAX, "%.*s", SP_NAME_MAX - 1, full); /* at most 50 chars in practice */
}

sp_status sp_zoo_build(const sp_zoo_spec *spec, sp_graph **out) {
  *out = NULL;
  static void (*const builders[])(builder *) = {build_vgg16, build_resnet18, build_mobilenet};
  int model = -1;
  for (int i = 0; zoo_names[i]; i++)
    if (!strcmp(spec->name, zoo_names[i])) model = i;
  if (model < 0)
    return sp_fail(SP_ERR_INPUT, "unknown model '%s' (valid: %s)", spec->name, VALID_MODELS);
  if (!(spec->width > 0 && spec->width <= 4) || spec->channels < 1 || spec->channels > 64)
    return sp_fail(SP_ERR_INPUT, "model %s: width %g must be in (0, 4] and channels %d in [1, 64]",
                   spec->name, spec->width, spec->channels);
  char name[SP_NAME_MAX];
  spec_string(spec, name);
  /* the memory guard: a first build without touching the weights counts
   * their bytes, compared with the available memory before the real one */
  builder d = {.width = spec->width, .dry = 1};
  d.status = sp_graph_create(name, (sp_dims){spec->channels, SP_ZOO_SIZE, SP_ZOO_SIZE}, &d.g);
  if (!d.status) {
    d.g->shapes_only = 1; /* no weight allocated: nothing to touch, nothing to give back */
    builders[model](&d);
  }
  double bytes = 0;
  for (int i = 1; !d.status && i < d.g->n_nodes; i++)
    bytes += (double)d.g->nodes[i].params * sizeof(float);
  sp_graph_free(d.g);
  if (d.status) return d.status;
  char what[SP_NAME_MAX + 32];
  snprintf(what, sizeof what, "model %s (its weights)", name);
  sp_status guard = sp_memory_check(what, bytes);
  if (guard) return guard;
  builder b = {.width = spec->width};
  sp_rng_seed(&b.rng, spec->seed);
  b.status = sp_graph_create(name, (sp_dims){spec->channels, SP_ZOO_SIZE, SP_ZOO_SIZE}, &b.g);
  if (!b.status) builders[model](&b);
  if (b.status) {
    sp_graph_free(b.g);
    return b.status;
  }
  *out = b.g;
  return SP_OK;
}
