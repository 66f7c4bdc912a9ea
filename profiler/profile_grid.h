/* What the profiler measures for one layer (docs/profiling.md, "Grid"):
 * its cases — (keep_in, keep_out) level pairs x weight compressions — and,
 * for each case, the meaningful (variant, threads) tasks:
 *
 *   none      dense variants (and every variant of an op without weights);
 *             CSR and ternary variants are skipped: on uncompressed weights
 *             they only add index overhead
 *   prune s   CSR variants measured; dense variants reused (see below)
 *   ternary t CSR and packed-ternary variants measured; dense reused
 *
 * Dense variants compute the same with zeros or three values as with any
 * weights, so under compression their times are those of the uncompressed
 * case of the same shapes: the profile copies them (records say "reused").
 * Reference variants are never measured, except for an op that has no other
 * host variant (flatten, clip): its reference is the only way to run it.
 * Serial and device variants run once (threads 1), OpenMP and BLAS
 * variants at every thread count of the config. */
#ifndef SP_PROFILE_GRID_H
#define SP_PROFILE_GRID_H

#include "profiler/profile.h"

#define SP_PROFILE_MAX_TASKS 1024
#define SP_PROFILE_MAX_CASES 512

typedef struct sp_profile_task {
  const sp_variant *variant;
  int threads;
} sp_profile_task;

typedef struct sp_profile_case {
  int level_in, level_out;
  sp_compress_choice compression;
} sp_profile_case;

/* The cases of node `node` in order: keep levels (in, then out; equal for a
 * layer whose input and output share a group), then none, each prune rate,
 * each ternary threshold (only none for ops without weights). Returns the
 * count (at most cap). */
int sp_profile_cases(const sp_graph *g, const sp_channel_groups *cg, const sp_keep_table *kt,
                     const sp_profile_config *c, int node, sp_profile_case *out, int cap);

/* The tasks measured for node `node` under compression `kind`: variants
 * that support the node so compressed, of a format measured for that kind
 * (dense ones only for none), on the host, or on the device when
 * have_device, restricted by c->variants for the ops it names. Returns the
 * count (at most cap). */
int sp_profile_tasks(const sp_graph *g, int node, const sp_profile_config *c, int have_device,
                     sp_weight_compression kind, sp_profile_task *out, int cap);

/* Checks c->variants ("" or comma-separated names): SP_ERR_INPUT naming an
 * unknown variant or a reference one. */
sp_status sp_profile_check_variants(const sp_profile_config *c);

/* "variant@threads", the key of a task in a layer's skipped list. */
void sp_profile_task_key(const sp_profile_task *t, char *out, size_t cap);

#endif
