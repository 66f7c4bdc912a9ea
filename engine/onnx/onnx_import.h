/* Importing a CNN from an ONNX file (the subset in docs/formats.md): opsets
 * 9-17, float32 weights, one image input N x C x H x W (N may be dynamic),
 * one output. Layers are named after their weight initializers. Anything
 * outside the subset fails with SP_ERR_INPUT and a one-line message naming
 * the file and the node or field at fault -- never a silently wrong graph. */
#ifndef SP_ONNX_IMPORT_H
#define SP_ONNX_IMPORT_H

#include <stddef.h>

#include "engine/graph/graph.h"

/* Reads and imports the file at `path`. Returns the raw graph (batch norms
 * and activations still separate; sp_model_load optimises it). SP_ERR_IO
 * when the file cannot be read, SP_ERR_INPUT when it is not a supported
 * ONNX model. */
sp_status sp_onnx_import_file(const char *path, sp_graph **out);

/* The same from `len` bytes in memory; `name` stands for the file in
 * messages and becomes the graph's name. Never reads outside the buffer. */
sp_status sp_onnx_import_buffer(const void *data, size_t len, const char *name, sp_graph **out);

#endif
