/* Pooling, NCHW, the windows of kernels/reference/ref_pool.c: max ignores
 * padded positions; average divides by the window clipped to input +
 * padding (count_include_pad) or by its real elements; the global average
 * sums each plane in order. One work-item per output element; grid
 * x = OW, y = OH, z = batch * C (global average: x = batch * C). */
__kernel void maxpool(__global const float *in, __global float *out, int C, int H, int W, int OH,
                      int OW, int KH, int KW, int SH, int SW, int PT, int PL) {
  const int ox = (int)get_global_id(0), oy = (int)get_global_id(1), z = (int)get_global_id(2);
  if (ox >= OW || oy >= OH) return;
  __global const float *plane = in + (size_t)z * H * W;
  float best = -INFINITY;
  for (int ky = 0; ky < KH; ky++) {
    const int iy = oy * SH - PT + ky;
    if (iy < 0 || iy >= H) continue;
    for (int kx = 0; kx < KW; kx++) {
      const int ix = ox * SW - PL + kx;
      if (ix < 0 || ix >= W) continue;
      const float x = plane[(size_t)iy * W + ix];
      if (x > best) best = x;
    }
  }
  out[((size_t)z * OH + oy) * OW + ox] = best;
}

__kernel void avgpool(__global const float *in, __global float *out, int C, int H, int W, int OH,
                      int OW, int KH, int KW, int SH, int SW, int PT, int PL, int PB, int PR,
                      int count_include_pad) {
  const int ox = (int)get_global_id(0), oy = (int)get_global_id(1), z = (int)get_global_id(2);
  if (ox >= OW || oy >= OH) return;
  __global const float *plane = in + (size_t)z * H * W;
  const int y0 = oy * SH - PT, x0 = ox * SW - PL;
  const int y1 = min(y0 + KH, H + PB), x1 = min(x0 + KW, W + PR);
  float sum = 0.0f;
  int real = 0;
  for (int iy = y0; iy < y1; iy++)
    for (int ix = x0; ix < x1; ix++) {
      if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
      sum += plane[(size_t)iy * W + ix];
      real++;
    }
  const int divisor = count_include_pad ? (y1 - y0) * (x1 - x0) : real;
  out[((size_t)z * OH + oy) * OW + ox] = sum / (float)divisor;
}

__kernel void global_avgpool(__global const float *in, __global float *out, int planes,
                             int plane) {
  const int z = (int)get_global_id(0);
  if (z >= planes) return;
  __global const float *x = in + (size_t)z * plane;
  float sum = 0.0f;
  for (int i = 0; i < plane; i++) sum += x[i];
  out[z] = sum / (float)plane;
}
