/* Fully connected layer: out[n][u] = act(w[u] . x[n] + bias[u]). One
 * work-item per (unit, image), the dot product in vectors of VEC floats.
 * Grid: x = units (work-groups of WG along it), y = batch. */
#ifndef VEC
#error "VEC (the vector width) is a build option: -DVEC=n"
#endif

__kernel void fc(__global const float *x, __global const float *w, __global const float *bias,
                 __global float *out, int F, int U, int has_bias, int act) {
  const int u = (int)get_global_id(0), n = (int)get_global_id(1);
  if (u >= U) return;
  __global const float *xr = x + (size_t)n * F;
  __global const float *wr = w + (size_t)u * F;
  vfloat acc = (vfloat)0.0f;
  int f = 0;
  for (; f + VEC <= F; f += VEC) acc = mad(VLOAD(wr + f), VLOAD(xr + f), acc);
  float s = HSUM(acc);
  for (; f < F; f++) s = mad(wr[f], xr[f], s);
  if (has_bias) s += bias[u];
  out[(size_t)n * U + u] = sp_activate(s, act);
}
