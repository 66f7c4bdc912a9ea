/* Loading a model by the name a user types: a zoo spec (later also an ONNX
 * file), returned with batch norms folded and activations fused. */
#ifndef SP_MODEL_H
#define SP_MODEL_H

#include "graph.h"

sp_status sp_model_load(const char *model, sp_graph **out);

#endif
