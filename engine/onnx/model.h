/* Loading a model by the name a user types: a zoo spec or an ONNX file,
 * returned with batch norms folded and activations fused. */
#ifndef SP_MODEL_H
#define SP_MODEL_H

#include "engine/graph/graph.h"

/* `model` is an ONNX file when it ends in ".onnx", else a zoo spec
 * ("resnet18:w=0.5"), else (when it is no valid spec) any existing file,
 * read as ONNX. The graph goes through sp_graph_optimize. Errors: those of
 * sp_zoo_parse / sp_onnx_import_file (SP_ERR_INPUT, SP_ERR_IO). */
sp_status sp_model_load(const char *model, sp_graph **out);

#endif
