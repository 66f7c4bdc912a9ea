/* Element-wise kernels: one work-item per element, grid x = count. */

/* out = act(a + b): the residual add with its fused activation. */
__kernel void add_act(__global const float *a, __global const float *b, __global float *out,
                      int count, int act) {
  const int i = (int)get_global_id(0);
  if (i < count) out[i] = sp_activate(a[i] + b[i], act);
}

/* out = act(x): the standalone relu (act 1) and relu6 (act 2). */
__kernel void activate(__global const float *x, __global float *out, int count, int act) {
  const int i = (int)get_global_id(0);
  if (i < count) out[i] = sp_activate(x[i], act);
}

/* In place y = act(y + bias[channel]) over NCHW with `plane` = H*W: what a
 * GEMM convolution (CLBlast) leaves for after its product. */
__kernel void bias_act(__global float *y, __global const float *bias, int K, int plane,
                       int count, int has_bias, int act) {
  const int i = (int)get_global_id(0);
  if (i >= count) return;
  const float bv = has_bias ? bias[(i / plane) % K] : 0.0f;
  y[i] = sp_activate(y[i] + bv, act);
}
