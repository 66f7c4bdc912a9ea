#include "cli/model_args.h"

#include <stdlib.h>
#include <string.h>

#include "engine/compress/compress.h"
#include "engine/onnx/model.h"
#include "kernels/registry.h"

sp_status sp_cli_load_model(const char *model, const char *compress, sp_graph **out) {
  sp_status s = sp_model_load(model, out);
  if (s || !compress || !*compress) return s;
  if ((s = sp_compression_apply(*out, compress))) {
    sp_graph_free(*out);
    *out = NULL;
  }
  return s;
}

/* Why `v` cannot run node n, for the message: the format's requirement when
 * that is the reason, else the variant's own shape constraints. */
static const char *why_unsupported(const sp_variant *v, const sp_node *n) {
  if (v->op != n->op) return "it computes another op";
  if (v->format == SP_FORMAT_TERNARY && !n->ternary)
    return "the ternary format needs ternary weights (compress with ternary:LAYER)";
  if (sp_variant_on_device(v)) return "no OpenCL device, or the device cannot run this shape";
  return "the layer's shape is outside what the variant supports";
}

static sp_status parse_item(const sp_graph *g, const char *item, size_t len,
                            const sp_variant **chosen) {
  const char *eq = memchr(item, '=', len);
  if (!eq || eq == item || eq + 1 == item + len)
    return sp_fail(SP_ERR_INPUT, "--variant item '%.*s' is not LAYER=VARIANT", (int)len, item);
  char layer[SP_NAME_MAX], name[96];
  size_t llen = (size_t)(eq - item), vlen = len - llen - 1;
  if (llen >= sizeof layer || vlen >= sizeof name)
    return sp_fail(SP_ERR_INPUT, "--variant item '%.*s' is too long", (int)len, item);
  memcpy(layer, item, llen);
  layer[llen] = '\0';
  memcpy(name, eq + 1, vlen);
  name[vlen] = '\0';
  int node = sp_graph_find(g, layer);
  if (node <= 0) return sp_fail(SP_ERR_INPUT, "--variant: %s has no layer '%s'", g->name, layer);
  const sp_variant *v = sp_registry_find(name);
  if (!v) return sp_fail(SP_ERR_INPUT, "--variant: layer %s: no variant '%s'", layer, name);
  if (chosen[node])
    return sp_fail(SP_ERR_INPUT, "--variant: layer %s is given twice", layer);
  const sp_node *n = &g->nodes[node];
  if (!sp_variant_supports(v, g, n))
    return sp_fail(SP_ERR_INPUT, "--variant: layer %s (%s) cannot use %s: %s", layer,
                   sp_op_name(n->op), name, why_unsupported(v, n));
  chosen[node] = v;
  return SP_OK;
}

sp_status sp_cli_parse_variants(const sp_graph *g, const char *spec, const sp_variant ***out) {
  *out = NULL;
  if (!spec || !*spec) return SP_OK;
  const sp_variant **chosen = calloc((size_t)g->n_nodes, sizeof *chosen);
  if (!chosen) return sp_fail(SP_ERR_RUNTIME, "out of memory");
  for (const char *p = spec; *p;) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    sp_status s = parse_item(g, p, len, chosen);
    if (s) {
      free(chosen);
      return s;
    }
    p += len + (comma ? 1 : 0);
    if (comma && !*p) {
      free(chosen);
      return sp_fail(SP_ERR_INPUT, "--variant '%s' ends with a comma", spec);
    }
  }
  *out = chosen;
  return SP_OK;
}
