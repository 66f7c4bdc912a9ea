/* Placing a run's host tensors in one arena by their lifetimes.
 *
 * Every node's output lives from the step that writes it to the last step
 * that reads it; a node's workspace for its own step only. Two tensors
 * whose lifetimes share a step must not share bytes; all others may. The
 * planner counts memory per step (weights + the tensors live at that step),
 * so the arena should come as close as it can to the largest such sum. A
 * buffer-per-slot scheme (each slot as large as its largest tenant) wastes
 * the difference between tenants; offsets in one arena do not.
 *
 * Greedy by size, as TensorFlow Lite's arena planner does it: the largest
 * tensor first, each put in the smallest gap (or at the end) among the
 * tensors already placed whose lifetimes overlap its own. */
#ifndef SP_ENGINE_ARENA_PLAN_H
#define SP_ENGINE_ARENA_PLAN_H

#include <stddef.h>

typedef struct sp_arena_tensor {
  size_t bytes;       /* 0: takes no room (offset 0) */
  int first, last;    /* steps, first <= last */
  size_t offset;      /* out: a multiple of the alignment */
} sp_arena_tensor;

/* Sets every tensor's offset and returns the arena's size in bytes (each
 * tensor's bytes rounded up to `align`, a power of two); (size_t)-1 when out
 * of memory. Deterministic: ties go to the earlier tensor. */
size_t sp_arena_place(sp_arena_tensor *t, int n, size_t align);

/* The lower bound any placement meets: the largest sum of (aligned) bytes of
 * the tensors live at one step. */
size_t sp_arena_lower_bound(const sp_arena_tensor *t, int n, size_t align);

#endif
