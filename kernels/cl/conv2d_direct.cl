/* Direct convolution, NCHW, any kernel, stride, padding and groups.
 * One work-item computes OC output channels x PX consecutive output pixels
 * of one row, the pixels as PX/VEC vectors of VEC floats; each input value
 * it loads serves OC channels and each weight PX pixels.
 * Grid: x = ceil(OW/PX), y = OH, z = batch * groups * ceil((K/groups)/OC). */
#ifndef OC
#define OC 4
#endif
#ifndef PX
#define PX 4
#endif
#ifndef VEC
#error "VEC (the vector width) is a build option: -DVEC=n"
#endif
#define NV (PX / VEC)

__kernel void conv2d_direct(__global const float *in, __global const float *w,
                            __global const float *bias, __global float *out, int C, int H,
                            int W, int K, int OH, int OW, int KH, int KW, int SH, int SW, int PT,
                            int PL, int groups, int has_bias, int act) {
  const int ox0 = (int)get_global_id(0) * PX, oy = (int)get_global_id(1);
  const int z = (int)get_global_id(2);
  if (ox0 >= OW || oy >= OH) return;
  const int kg = K / groups, cg = C / groups, blocks = (kg + OC - 1) / OC;
  const int b = z % blocks, g = (z / blocks) % groups, n = z / (blocks * groups);
  const int k0 = g * kg + b * OC, kend = min(k0 + OC, (g + 1) * kg);
  const int taps = KH * KW, ix0 = ox0 * SW - PL;

  vfloat acc[OC][NV];
  for (int o = 0; o < OC; o++)
    for (int v = 0; v < NV; v++) acc[o][v] = (vfloat)0.0f;

  for (int ci = 0; ci < cg; ci++) {
    __global const float *plane = in + (size_t)(n * C + g * cg + ci) * H * W;
    __global const float *wc = w + ((size_t)k0 * cg + ci) * taps;
    for (int ky = 0; ky < KH; ky++) {
      const int iy = oy * SH - PT + ky;
      if (iy < 0 || iy >= H) continue;
      __global const float *row = plane + (size_t)iy * W;
      for (int kx = 0; kx < KW; kx++) {
        vfloat x[NV];
        for (int v = 0; v < NV; v++) {
          const int ix = ix0 + v * VEC * SW + kx;
          if (SW == 1 && ix >= 0 && ix + VEC <= W) {
            x[v] = VLOAD(row + ix);
          } else {
            float t[VEC];
            for (int l = 0; l < VEC; l++) {
              const int il = ix + l * SW;
              t[l] = il >= 0 && il < W ? row[il] : 0.0f;
            }
            x[v] = VLOAD(t);
          }
        }
        for (int o = 0; o < OC; o++) {
          const float wv = k0 + o < kend ? wc[(size_t)o * cg * taps + ky * KW + kx] : 0.0f;
          for (int v = 0; v < NV; v++) acc[o][v] = mad((vfloat)wv, x[v], acc[o][v]);
        }
      }
    }
  }

  for (int o = 0; o < OC && k0 + o < kend; o++) {
    const int k = k0 + o;
    const float bv = has_bias ? bias[k] : 0.0f;
    __global float *orow = out + ((size_t)(n * K + k) * OH + oy) * OW;
    for (int v = 0; v < NV; v++) {
      float t[VEC];
#if VEC == 1
      t[0] = acc[o][v];
#else
      SP_CAT(vstore, VEC)(acc[o][v], 0, t);
#endif
      for (int l = 0; l < VEC; l++) {
        const int ox = ox0 + v * VEC + l;
        if (ox < OW) orow[ox] = sp_activate(t[l] + bv, act);
      }
    }
  }
}
