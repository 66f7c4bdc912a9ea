#include "engine/graph/fingerprint.h"

#include <stdio.h>
#include <string.h>

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static uint64_t mix(uint64_t h, const void *data, size_t len) {
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * FNV_PRIME;
  return h;
}

static uint64_t mix_int(uint64_t h, int64_t v) { return mix(h, &v, sizeof v); }

static uint64_t mix_floats(uint64_t h, const float *x, size_t n) {
  return x ? mix(h, x, n * sizeof *x) : mix_int(h, -1);
}

uint64_t sp_graph_structure_fingerprint(const sp_graph *g) {
  uint64_t h = FNV_OFFSET;
  h = mix_int(h, g->input.c), h = mix_int(h, g->input.h), h = mix_int(h, g->input.w);
  h = mix_int(h, g->n_nodes), h = mix_int(h, g->output);
  for (int i = 1; i < g->n_nodes; i++) {
    const sp_node *n = &g->nodes[i];
    h = mix(h, n->name, strlen(n->name) + 1);
    const int64_t fields[] = {n->op,        n->n_inputs,  n->inputs[0], n->inputs[1], n->out.c,
                              n->out.h,     n->out.w,     n->win.kh,    n->win.kw,    n->win.sh,
                              n->win.sw,    n->win.pt,    n->win.pl,    n->win.pb,    n->win.pr,
                              n->groups,    n->units,     n->act,       n->count_include_pad};
    for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++) h = mix_int(h, fields[k]);
    if (n->op == SP_OP_CLIP) h = mix_floats(mix_floats(h, &n->clip_lo, 1), &n->clip_hi, 1);
  }
  return h;
}

uint64_t sp_graph_weights_fingerprint(const sp_graph *g) {
  uint64_t h = sp_graph_structure_fingerprint(g);
  for (int i = 1; i < g->n_nodes; i++) {
    const sp_node *n = &g->nodes[i];
    size_t count = sp_node_weight_count(g, n);
    h = mix_floats(h, n->weight, count);
    h = mix_floats(h, n->bias, n->bias ? (size_t)n->units : 0);
    size_t c = n->op == SP_OP_BATCHNORM ? (size_t)n->out.c : 0;
    h = mix_floats(h, n->bn_gamma, c), h = mix_floats(h, n->bn_beta, c);
    h = mix_floats(h, n->bn_mean, c), h = mix_floats(h, n->bn_var, c);
  }
  return h;
}

void sp_fingerprint_hex(uint64_t fp, char hex[SP_FINGERPRINT_HEX]) {
  snprintf(hex, SP_FINGERPRINT_HEX, "%016llx", (unsigned long long)fp);
}
