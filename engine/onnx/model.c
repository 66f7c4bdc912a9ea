#include "engine/onnx/model.h"

#include <string.h>
#include <sys/stat.h>

#include "engine/onnx/onnx_import.h"
#include "engine/graph/zoo.h"

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && !strcmp(s + n - k, suffix);
}

/* Anything at that path (a directory, FIFO or device too: the ONNX reader
 * refuses those as files that cannot be read, exit 3, without blocking). */
static int exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

sp_status sp_model_load(const char *model, sp_graph **out) {
  *out = NULL;
  sp_graph *g = NULL;
  sp_status s;
  sp_zoo_spec spec;
  if (ends_with(model, ".onnx")) {
    s = sp_onnx_import_file(model, &g);
  } else if (!(s = sp_zoo_parse(model, &spec))) {
    s = sp_zoo_build(&spec, &g);
  } else if (exists(model)) { /* not a spec: any existing file is tried as ONNX */
    sp_clear_error();
    s = sp_onnx_import_file(model, &g);
  }
  if (!s) s = sp_graph_optimize(g);
  if (s) {
    sp_graph_free(g);
    return s;
  }
  *out = g;
  return SP_OK;
}
