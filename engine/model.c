#include "model.h"

#include "zoo.h"

sp_status sp_model_load(const char *model, sp_graph **out) {
  *out = NULL;
  sp_zoo_spec spec;
  sp_status s = sp_zoo_parse(model, &spec);
  if (s) return s;
  sp_graph *g = NULL;
  s = sp_zoo_build(&spec, &g);
  if (!s) s = sp_graph_optimize(g);
  if (s) {
    sp_graph_free(g);
    return s;
  }
  *out = g;
  return SP_OK;
}
