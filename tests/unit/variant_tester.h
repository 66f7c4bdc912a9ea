/* The shared part of the kernel tests (test_ops, test_dense_variants,
 * test_opencl): running a host variant as the executor does, and the
 * tolerance every variant is held to against its op's reference. */
#ifndef SP_VARIANT_TESTER_H
#define SP_VARIANT_TESTER_H

#include <stddef.h>

#include "kernels/registry.h"

/* Relative tolerance of every comparison with the reference. */
#define SP_VT_RTOL 1e-4f

/* Elements summed into one output of n: what float rounding error grows with. */
size_t sp_vt_reduction_length(const sp_graph *g, const sp_node *n);

/* Absolute tolerance of v on n. A variant may sum the K terms of a reduction
 * in another order; with inputs and weights in [-1, 1] orders differ by
 * ~1e-7 * K or less, so 1e-5 + 1e-6 * K keeps a 10x margin while one missing
 * or misplaced term (~0.3) still fails. Winograd F(4x4,3x3) amplifies the
 * rounding through its transforms (Aᵀ has 8s): over 3000 random 3x3 cases it
 * reached 0.46 of that bound, so it gets 5x (test_winograd has tighter
 * per-tile bounds). */
float sp_vt_atol(const sp_variant *v, const sp_graph *g, const sp_node *n);

/* Runs host variant v on node 1 of g as the executor would: prepare, a
 * workspace of exactly the size it asked for (so that AddressSanitizer sees
 * any write past it), run, release. in[j] is input j (batch images). A
 * failed prepare is a failed check, and out is left as it was. */
void sp_vt_run_host(const sp_variant *v, const sp_graph *g, int batch, int threads,
                    const float *const *in, float *out);

#endif
