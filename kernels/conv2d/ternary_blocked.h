/* Ternary bitplane kernels (ternary_blocked.c): ungrouped convolutions
 * (pointwise directly, others through im2col) and fully connected layers of
 * ternarised nodes, 16 output channels a vector from two 16-bit masks per
 * input channel; every build runs them (AVX-512 vectors, else two 8-float
 * GCC vectors a block, which -march=native makes AVX2 where the CPU has it). */
#ifndef SP_TERNARY_BLOCKED_H
#define SP_TERNARY_BLOCKED_H

#include "kernels/kernel.h"

int sp_ternary_blocked_conv_supports(const sp_graph *g, const sp_node *n);
int sp_ternary_blocked_im2col_supports(const sp_graph *g, const sp_node *n);
/* One lowered image: cin * kh * kw x oh * ow floats. */
size_t sp_ternary_blocked_im2col_workspace(const sp_graph *g, const sp_node *n, int batch);
int sp_ternary_blocked_fc_supports(const sp_graph *g, const sp_node *n);
/* Builds the bitplanes from the node's ternarised weights (validated as
 * sp_ternary_build does); bytes: 4 per (16-channel block, input channel)
 * plus the two scales. */
sp_status sp_ternary_blocked_prepare(const sp_graph *g, const sp_node *n, void **prepared,
                                     size_t *bytes);
void sp_ternary_blocked_release(void *prepared);

#endif
