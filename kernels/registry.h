/* The one registry of kernel variants (generated from variants.inc). */
#ifndef SP_REGISTRY_H
#define SP_REGISTRY_H

#include "kernel.h"

/* All registered variants, in variants.inc order. */
const sp_variant *sp_registry_variants(int *count);

/* The variant of that name, or NULL. */
const sp_variant *sp_registry_find(const char *name);

/* The naive reference variant of `op` (every op has exactly one). */
const sp_variant *sp_registry_reference(sp_op op);

/* Whether `v` can run `node`: same op and its supports() agrees. */
int sp_variant_supports(const sp_variant *v, const sp_graph *g, const sp_node *node);

/* The variant used when nothing was measured: the first non-reference
 * variant that supports `node` on a backend suited to `threads` (OpenMP when
 * threads > 1, serial otherwise), else any non-reference one, else the
 * reference. */
const sp_variant *sp_registry_default(const sp_graph *g, const sp_node *node, int threads);

#endif
