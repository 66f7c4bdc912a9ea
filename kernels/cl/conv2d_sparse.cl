/* Sparse convolution from CSR weights (rows = output channels, one entry
 * per nonzero tap), NCHW, any groups. A tap is packed in one uint:
 * ci << 16 | ky << 8 | kx (ci < 32768, ky, kx < 256); with -DTERNARY bit 31
 * is the sign and the value is +pos or -neg, summed apart and scaled once.
 * One work-item computes PX consecutive output pixels of one row of one
 * output channel. Grid: x = ceil(OW/PX), y = OH, z = batch * K. */
#ifndef PX
#define PX 4
#endif

__kernel void conv2d_sparse(__global const float *in, __global const int *row_ptr,
                            __global const uint *taps,
#ifndef TERNARY
                            __global const float *vals,
#endif
                            __global const float *bias, __global float *out, int C, int H,
                            int W, int K, int OH, int OW, int SH, int SW, int PT, int PL,
                            int groups, int has_bias, int act, float pos, float neg) {
  const int ox0 = (int)get_global_id(0) * PX, oy = (int)get_global_id(1);
  const int z = (int)get_global_id(2);
  if (ox0 >= OW || oy >= OH) return;
  const int k = z % K, n = z / K, cg = C / groups, g = k / (K / groups);
  __global const float *base = in + (size_t)(n * C + g * cg) * H * W;
  float acc[PX];
#ifdef TERNARY
  float minus[PX];
#endif
  for (int p = 0; p < PX; p++) {
    acc[p] = 0.0f;
#ifdef TERNARY
    minus[p] = 0.0f;
#endif
  }
  const int end = row_ptr[k + 1];
  for (int j = row_ptr[k]; j < end; j++) {
    uint code = taps[j];
#ifdef TERNARY
    const int negative = (code >> 31) != 0;
    code &= 0x7fffffffu;
#else
    const float wv = vals[j];
#endif
    const int ci = (int)(code >> 16), ky = (int)((code >> 8) & 255u), kx = (int)(code & 255u);
    const int iy = oy * SH - PT + ky;
    if (iy < 0 || iy >= H) continue;
    __global const float *row = base + ((size_t)ci * H + iy) * W;
    for (int p = 0; p < PX; p++) {
      const int ix = (ox0 + p) * SW - PL + kx;
      if (ix < 0 || ix >= W) continue;
#ifdef TERNARY
      if (negative) minus[p] += row[ix];
      else acc[p] += row[ix];
#else
      acc[p] = mad(wv, row[ix], acc[p]);
#endif
    }
  }
  const float bv = has_bias ? bias[k] : 0.0f;
  __global float *orow = out + ((size_t)(n * K + k) * OH + oy) * OW;
  for (int p = 0; p < PX && ox0 + p < OW; p++) {
#ifdef TERNARY
    const float y = pos * acc[p] - neg * minus[p];
#else
    const float y = acc[p];
#endif
    orow[ox0 + p] = sp_activate(y + bv, act);
  }
}
