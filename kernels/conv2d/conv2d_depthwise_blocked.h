/* Depthwise convolution on small planes, 16 channels a vector (8 without
 * AVX-512)
 * (conv2d_depthwise_blocked.c); the depthwise variants call it where it
 * fits and their row kernel elsewhere. */
#ifndef SP_CONV2D_DEPTHWISE_BLOCKED_H
#define SP_CONV2D_DEPTHWISE_BLOCKED_H

#include "kernels/kernel.h"

/* Whether the blocked kernel takes this depthwise layer (channel multiplier 1, at most 16 taps and small padded planes). */
int sp_dw_blocked_fits(const sp_dims *in, const sp_dims *out, const sp_window *w);
/* Runs it on `threads` threads (1: no parallel region). */
void sp_dw_blocked_run(const sp_kernel_args *a, int threads);

#endif
