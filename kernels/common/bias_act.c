/* Bias + activation passes (bias_act.h). The loops are written so that GCC
 * vectorises them: one add and two compare-selects (vmaxps/vminps) a value. */
#include "kernels/common/bias_act.h"

/* y[i] = clamp(y[i] + b[i * bstep], lo, hi): bstep 0 broadcasts one bias. */
static void bias_clamp(float *restrict y, size_t n, const float *restrict b, size_t bstep,
                       float lo, float hi) {
  for (size_t i = 0; i < n; i++) {
    float v = y[i] + b[i * bstep];
    v = v > lo ? v : lo;
    y[i] = v < hi ? v : hi;
  }
}

/* The same without the clamp (act none: keeps NaN and infinities as they are). */
static void bias_only(float *restrict y, size_t n, const float *restrict b, size_t bstep) {
  for (size_t i = 0; i < n; i++) y[i] += b[i * bstep];
}

static void bias_act_span(float *y, size_t n, const float *b, size_t bstep, sp_act act) {
  static const float zero = 0.0f;
  if (!b) {
    b = &zero;
    bstep = 0;
  }
  if (act == SP_ACT_NONE) {
    if (b != &zero) bias_only(y, n, b, bstep);
    return;
  }
  float lo, hi;
  sp_act_bounds(act, &lo, &hi);
  bias_clamp(y, n, b, bstep, lo, hi);
}

void sp_bias_act_rows(float *y, int rows, int cols, size_t ld, const float *bias, sp_act act,
                      int threads) {
  if (!bias && act == SP_ACT_NONE) return;
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
  for (int r = 0; r < rows; r++)
    bias_act_span(y + (size_t)r * ld, (size_t)cols, bias ? bias + r : NULL, 0, act);
}

void sp_bias_act_cols(float *y, int rows, int cols, const float *bias, sp_act act) {
  if (!bias && act == SP_ACT_NONE) return;
  for (int r = 0; r < rows; r++) bias_act_span(y + (size_t)r * (size_t)cols, (size_t)cols, bias, 1, act);
}
