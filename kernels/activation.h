/* The fused activation (sp_node.act) that conv2d, fc, add and batchnorm
 * apply to their own output. One definition, so every variant and the
 * standalone relu/relu6 kernels clamp exactly alike. */
#ifndef SP_ACTIVATION_H
#define SP_ACTIVATION_H

#include <stddef.h>

#include "engine/graph/graph.h"

/* y after `act`: ReLU max(y, 0), ReLU6 min(max(y, 0), 6), none y. */
static inline float sp_activate(sp_act act, float y) {
  if (act == SP_ACT_NONE) return y;
  y = y > 0.0f ? y : 0.0f;
  return (act == SP_ACT_RELU6 && y > 6.0f) ? 6.0f : y;
}

/* Applies `act` in place to n contiguous values. */
static inline void sp_activate_span(sp_act act, float *y, size_t n) {
  if (act == SP_ACT_NONE) return;
  for (size_t i = 0; i < n; i++) y[i] = sp_activate(act, y[i]);
}

#endif
