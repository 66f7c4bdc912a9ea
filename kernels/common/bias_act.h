/* Bias and fused activation as a separate pass over a finished output, for
 * the kernels that cannot apply them while computing (OpenBLAS calls), and
 * the clamp bounds every vectorised kernel uses for sp_act. */
#ifndef SP_BIAS_ACT_H
#define SP_BIAS_ACT_H

#include <math.h>
#include <stddef.h>

#include "engine/graph/graph.h"

/* The bounds of `act` as a clamp y = min(max(y, *lo), *hi): none is
 * (-inf, inf), ReLU (0, inf), ReLU6 (0, 6). Clamping with `y > lo ? y : lo`
 * then `y < hi ? y : hi` gives exactly sp_activate()'s results (activation.h). */
static inline void sp_act_bounds(sp_act act, float *lo, float *hi) {
  *lo = act == SP_ACT_NONE ? -INFINITY : 0.0f;
  *hi = act == SP_ACT_RELU6 ? 6.0f : INFINITY;
}

/* y[r][c] = act(y[r][c] + bias[r]) for r < rows, c < cols, row stride ld
 * (floats): a per-row bias, as for a GEMM's M = output channels. bias NULL
 * adds nothing; with neither bias nor activation it returns at once. Rows
 * are split over up to `threads` OpenMP threads (1: no parallel region). */
void sp_bias_act_rows(float *y, int rows, int cols, size_t ld, const float *bias, sp_act act,
                      int threads);

/* y[r][c] = act(y[r][c] + bias[c]) for r < rows, c < cols, contiguous rows:
 * a per-column bias, as for a batch of fully connected outputs. Serial: the
 * outputs it is used for are small. */
void sp_bias_act_cols(float *y, int rows, int cols, const float *bias, sp_act act);

#endif
