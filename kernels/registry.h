/* The one registry of kernel variants (generated from variants.inc). */
#ifndef SP_REGISTRY_H
#define SP_REGISTRY_H

#include "kernels/kernel.h"

/* All registered variants, in variants.inc order. */
const sp_variant *sp_registry_variants(int *count);

/* The variant of that name, or NULL. */
const sp_variant *sp_registry_find(const char *name);

/* The naive reference variant of `op` (every op has exactly one). */
const sp_variant *sp_registry_reference(sp_op op);

/* Whether `v` can run `node`: same op and its supports() agrees. */
int sp_variant_supports(const sp_variant *v, const sp_graph *g, const sp_node *node);

/* The variant used when nothing was measured: the first non-reference host
 * variant that supports `node` on a backend suited to `threads` (OpenMP when
 * threads > 1, serial otherwise), else any non-reference host one, else the
 * reference. Device variants are never a default. */
const sp_variant *sp_registry_default(const sp_graph *g, const sp_node *node, int threads);

/* The dense host variant expected fastest on `node` without a measurement,
 * for code that runs whole networks many times without a profile (the
 * accuracy module): depthwise, then 1x1 GEMM, then Winograd (F(4x4) on
 * outputs of 4x4 or more, F(2x2) below; not under 8 input channels, where
 * im2col wins), then im2col + GEMM, on the backend suited to `threads`; for
 * any other node sp_registry_default. Its preference list lives beside
 * variants.inc, and test_registry checks every name on it is registered. */
const sp_variant *sp_registry_fastest_guess(const sp_graph *g, const sp_node *node, int threads);

/* Entry i of sp_registry_fastest_guess's preference list, for the tests: its
 * serial (omp 0) or OpenMP (omp 1) variant's name; NULL past the end. */
const char *sp_registry_fastest_guess_name(int i, int omp);

/* Whether `v` runs on an OpenCL device (backend OPENCL or CLBLAST): its
 * buffers live there and it prepares with prepare_device(). */
int sp_variant_on_device(const sp_variant *v);

/* Prepares `v` for `node` whichever kind it is: prepare_device() on `device`
 * (an sp_cl_device; SP_ERR_INPUT when NULL) with parameter point `params`
 * (NULL = defaults) for device variants, prepare() for host variants that
 * have one; *prepared stays NULL when there is nothing to prepare. */
sp_status sp_variant_prepare(const sp_variant *v, const sp_graph *g, const sp_node *node,
                             void *device, const int *params, void **prepared, size_t *bytes);

/* Writes v's default parameter point to `point` (room for SP_MAX_PARAMS)
 * and returns its length (0 when v has no parameters). */
int sp_variant_default_params(const sp_variant *v, int *point);

/* Advances `point` to the next point of `space` in odometer order (last
 * parameter fastest); returns 0, with the first point back in `point`, after
 * the last one. Validity (space->valid) is the caller's to check. */
int sp_param_point_next(const sp_param_space *space, int *point);

#endif
