/* im2col: lowering one image of a convolution's input to the matrix that the
 * weights multiply, so that the convolution becomes one GEMM per group:
 *
 *     out[group] (cout_g x n) = weight[group] (cout_g x k) * col (k x n)
 *
 * with k = cin_g * kh * kw rows (input channel, ky, kx) and n = oh * ow
 * columns (output y, x). Shared by every consumer of the lowered matrix:
 * the dense GEMM variants and the sparse (CSR x im2col) ones. */
#ifndef SP_IM2COL_H
#define SP_IM2COL_H

#include "engine/graph/graph.h"

/* A convolution's geometry, per image. */
typedef struct sp_conv_geom {
  int cin, ih, iw;          /* input */
  int cout, oh, ow;         /* output */
  int groups, cin_g, cout_g;
  sp_window win;
  int k;                    /* rows of the lowered matrix: cin_g * kh * kw */
  int n;                    /* its columns: oh * ow */
} sp_conv_geom;

/* The geometry of conv2d `node` of `g` (shapes from shape inference). */
sp_conv_geom sp_conv_geom_of(const sp_graph *g, const sp_node *node);

/* The same from a kernel call's per-image input and output shapes. */
sp_conv_geom sp_conv_geom_make(sp_dims in, sp_dims out, const sp_node *node);

/* Whether the lowered matrix of a group is the input itself (1x1 kernel,
 * stride 1, no padding): then col would be a copy of the group's channels. */
int sp_conv_geom_is_pointwise(const sp_conv_geom *geo);

/* Writes rows [k0, k1) of group `group`'s lowered matrix of one image
 * (`image`: cin x ih x iw floats, NCHW) into `col`, row-major with row
 * stride n: row (c * kh + ky) * kw + kx, column oy * ow + ox holds
 * image[group * cin_g + c][oy * sh - pt + ky][ox * sw - pl + kx], or 0 where
 * that lies in the padding. `col` points at row 0 (rows outside [k0, k1)
 * are not touched), so callers can share one matrix between threads. */
void sp_im2col_rows(const sp_conv_geom *geo, const float *image, int group, int k0, int k1,
                    float *col);

/* Columns [n0, n1) of the whole lowered matrix (all k rows) into `col`,
 * row-major with row stride n1 - n0: a block of output positions, so that
 * a consumer can lower and multiply a cache-sized block at a time. Rows are
 * split over up to `threads` OpenMP threads (1, or a block too small to be
 * worth a parallel region: serial). */
void sp_im2col_block(const sp_conv_geom *geo, const float *image, int group, int n0, int n1,
                     float *col, int threads);

/* The whole k x n matrix: sp_im2col_block over columns [0, n). */
void sp_im2col(const sp_conv_geom *geo, const float *image, int group, float *col, int threads);

#endif
