/* Model arguments shared by the commands that run a model: the MODEL itself
 * with an optional compression spec, and per-layer variant choices. */
#ifndef SP_CLI_MODEL_ARGS_H
#define SP_CLI_MODEL_ARGS_H

#include "engine/graph/graph.h"
#include "kernels/kernel.h"

/* Loads MODEL (zoo spec or .onnx) and applies `compress` (engine/compress.h
 * syntax, e.g. "keep:conv3=0.5,prune:conv5=0.8,ternary:fc1"; NULL or "" for
 * none). SP_ERR_INPUT names the model, or the item, layer and option. */
sp_status sp_cli_load_model(const char *model, const char *compress, sp_graph **out);

/* Parses "LAYER=VARIANT[,LAYER=VARIANT...]" into *out, a calloc'd array of
 * g->n_nodes entries (NULL where no choice was given; free() it). NULL or ""
 * gives NULL. SP_ERR_INPUT naming the layer and the variant when the layer
 * or the variant does not exist, a layer is given twice, or the variant
 * cannot run that layer (say, a packed-ternary variant on weights that are
 * not ternary, or a 1x1 variant on a 3x3 conv). */
sp_status sp_cli_parse_variants(const sp_graph *g, const char *spec, const sp_variant ***out);

#endif
