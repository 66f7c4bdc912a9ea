/* Keys of the tuning cache: layer shapes and kernel source hashes (tune_cache.h). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "engine/graph/channel_groups.h"
#include "engine/opencl/cl_runtime.h"
#include "search/tune_cache.h"

/* The embedded OpenCL sources (generated cl_sources.c, built in every
 * configuration). */
extern const sp_cl_source sp_cl_sources[];
extern const int sp_cl_source_count;

void sp_tune_shape_key(const sp_graph *g, const sp_node *n, int batch, char *out, size_t cap) {
  sp_dims in = n->n_inputs ? sp_node_in(g, n, 0) : n->out;
  const sp_window *w = &n->win;
  char groups[24] = "";
  if (n->op == SP_OP_CONV2D && n->groups > 1) {
    if (sp_channel_is_depthwise(g, n)) snprintf(groups, sizeof groups, " dw");
    else snprintf(groups, sizeof groups, " g%d", n->groups);
  }
  char weights[32] = "dense";
  size_t count = sp_node_weight_count(g, n), nnz = 0;
  for (size_t i = 0; n->sparsity > 0 && i < count; i++) nnz += n->weight[i] != 0;
  if (n->ternary) snprintf(weights, sizeof weights, "ternary");
  else if (n->sparsity > 0 && count) snprintf(weights, sizeof weights, "csr:%.2f", (double)nnz / (double)count);
  snprintf(out, cap, "%s k%dx%d s%dx%d p%d,%d,%d,%d%s act=%s bias=%d hw=%dx%d->%dx%d n=%d c=%d->%d w=%s",
           sp_op_name(n->op), w->kh, w->kw, w->sh, w->sw, w->pt, w->pl, w->pb, w->pr, groups,
           sp_act_name(n->act), n->bias != NULL, in.h, in.w, n->out.h, n->out.w, batch, in.c,
           n->out.c, weights);
}

/* Whether the space-separated list names `source`. */
static int names_source(const char *list, const char *source) {
  const size_t n = strlen(source);
  for (const char *p = list; *p;) {
    size_t len = strcspn(p, " ");
    if (len == n && !strncmp(p, source, n)) return 1;
    p += len;
    p += strspn(p, " ");
  }
  return 0;
}

static uint64_t fnv(uint64_t h, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
  return h;
}

void sp_tune_source_hash(const sp_variant *v, char out[17]) {
  uint64_t h = 0xcbf29ce484222325ull;
  h = fnv(h, v->name, strlen(v->name) + 1);
  h = fnv(h, SP_VERSION_STRING, sizeof SP_VERSION_STRING);
  for (int s = 0; s < sp_cl_source_count; s++) {
    const sp_cl_source *src = &sp_cl_sources[s];
    /* the variant's own sources (the registry's list) and the prelude; a
     * variant without a list hashes them all */
    int hashed = !v->cl_sources || !strcmp(src->name, "common") || names_source(v->cl_sources, src->name);
    if (hashed) h = fnv(fnv(h, src->name, strlen(src->name) + 1), src->text, src->length);
  }
  snprintf(out, 17, "%016llx", (unsigned long long)h);
}
