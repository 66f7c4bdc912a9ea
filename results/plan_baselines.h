/* The configurations a plan is compared with in the demo report, as plan
 * files that `run` machinery executes: no compression, and per layer either
 * its fastest dense record or one variant for every conv layer. */
#ifndef SP_RESULTS_PLAN_BASELINES_H
#define SP_RESULTS_PLAN_BASELINES_H

#include "planner/plan_io.h"
#include "profiler/profile.h"

/* A copy of `plan` with every channel kept and no weight compression, each
 * layer on the fastest successful record of the profile at keep 1/1 and no
 * compression, on the host; with `variant` set, conv layers use that
 * variant at `threads` wherever the profile has such a record (*fallbacks
 * counts the conv layers it has none for, which keep their fastest).
 * predicted.latency_ms is the sum of the chosen records. SP_ERR_INPUT when
 * a layer has no dense record at all. Free with sp_plan_file_free. */
sp_status sp_plan_dense_baseline(const sp_plan_file *plan, const sp_profile *prof, const char *variant, int threads,
                                 sp_plan_file *out, int *fallbacks);

/* The single conv variant and thread count whose dense baseline the
 * profile predicts fastest (fewest fallbacks first). SP_ERR_INPUT when
 * no conv variant has a record. */
sp_status sp_plan_best_single(const sp_plan_file *plan, const sp_profile *prof, char *variant, size_t size,
                              int *threads);

#endif
