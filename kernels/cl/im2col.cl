/* Lowers NCHW images to columns for a GEMM convolution: for image n,
 * col[n][c*KH*KW + ky*KW + kx][oy*OW + ox] = in[n][c][oy*SH-PT+ky][ox*SW-PL+kx]
 * (0 in the padding). Group g's rows are the block of its C/groups input
 * channels. Grid: x = OH*OW, y = C*KH*KW, z = batch. */
__kernel void im2col(__global const float *in, __global float *col, int C, int H, int W, int OH,
                     int OW, int KH, int KW, int SH, int SW, int PT, int PL) {
  const int p = (int)get_global_id(0), r = (int)get_global_id(1), n = (int)get_global_id(2);
  const int pixels = OH * OW, rows = C * KH * KW;
  if (p >= pixels || r >= rows) return;
  const int c = r / (KH * KW), ky = (r / KW) % KH, kx = r % KW;
  const int iy = (p / OW) * SH - PT + ky, ix = (p % OW) * SW - PL + kx;
  const float x = iy >= 0 && iy < H && ix >= 0 && ix < W
                      ? in[((size_t)(n * C + c) * H + iy) * W + ix]
                      : 0.0f;
  col[((size_t)n * rows + r) * pixels + p] = x;
}
