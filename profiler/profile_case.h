/* Timing every task of one case of a layer together: each variant is
 * prepared by sp_layer_bench_at (the same buffers, weight preparation and
 * device handling as `bench`), and while all of them are prepared at once
 * the protocol runs them round-robin (protocol.h), so that the variants of
 * one case are compared under the same machine load. */
#ifndef SP_PROFILE_CASE_H
#define SP_PROFILE_CASE_H

#include "profiler/layer_bench.h"
#include "profiler/profile.h"
#include "profiler/profile_grid.h"

/* Where a device variant's parameter point comes from: writes the point
 * for `variant` on node 1 of `instance` to `point` and returns 1 when the
 * tuning cache has one, else returns 0 (the defaults are used). */
typedef int (*sp_tuned_point_fn)(void *ctx, const sp_variant *variant, const sp_graph *instance,
                                 int batch, int *point);

typedef struct sp_case_result {
  int unsupported;           /* the variant does not support this instance: no record */
  sp_status status;          /* SP_OK, or the failure (prepare, launch, timing) */
  char error[SP_PROFILE_ERROR_MAX];
  sp_layer_timing bench;     /* prepare seconds, weight and workspace bytes */
  sp_protocol_task timing;   /* median, spread, n, noise, converged */
  int n_params;              /* the point it ran at (0: the variant has no parameters) */
  int point[SP_MAX_PARAMS];
  int tuned;
} sp_case_result;

/* Times tasks[0..n) on node 1 of `instance` for `batch` images (device
 * variants on `device`, an sp_cl_device, or skipped as unsupported when it
 * is NULL) under protocol `proto`; `tuned` may be NULL. Results in out[i];
 * a failing task is recorded there, never fatal. */
void sp_profile_case_measure(const sp_graph *instance, const sp_profile_task *tasks, int n,
                             int batch, void *device, const sp_protocol_options *proto,
                             sp_tuned_point_fn tuned, void *tuned_ctx, sp_case_result *out);

#endif
