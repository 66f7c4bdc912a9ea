/* Depthwise convolution (groups == input channels, channel multiplier
 * K / C), NCHW. One work-item computes PX consecutive output pixels of one
 * row of one output channel. Grid: x = ceil(OW/PX), y = OH, z = batch * K. */
#ifndef PX
#define PX 4
#endif

__kernel void conv2d_depthwise(__global const float *in, __global const float *w,
                               __global const float *bias, __global float *out, int C, int H,
                               int W, int K, int OH, int OW, int KH, int KW, int SH, int SW,
                               int PT, int PL, int has_bias, int act) {
  const int ox0 = (int)get_global_id(0) * PX, oy = (int)get_global_id(1);
  const int z = (int)get_global_id(2);
  if (ox0 >= OW || oy >= OH) return;
  const int k = z % K, n = z / K, c = k / (K / C);
  __global const float *plane = in + (size_t)(n * C + c) * H * W;
  __global const float *wk = w + (size_t)k * KH * KW;
  float acc[PX];
  for (int p = 0; p < PX; p++) acc[p] = 0.0f;
  for (int ky = 0; ky < KH; ky++) {
    const int iy = oy * SH - PT + ky;
    if (iy < 0 || iy >= H) continue;
    __global const float *row = plane + (size_t)iy * W;
    for (int kx = 0; kx < KW; kx++) {
      const float wv = wk[ky * KW + kx];
      for (int p = 0; p < PX; p++) {
        const int ix = (ox0 + p) * SW - PL + kx;
        if (ix >= 0 && ix < W) acc[p] = mad(wv, row[ix], acc[p]);
      }
    }
  }
  const float bv = has_bias ? bias[k] : 0.0f;
  __global float *orow = out + ((size_t)(n * K + k) * OH + oy) * OW;
  for (int p = 0; p < PX && ox0 + p < OW; p++) orow[ox0 + p] = sp_activate(acc[p] + bv, act);
}
