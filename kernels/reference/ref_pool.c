/* Reference pooling: max and average over a sliding window, and the global
 * average over each channel. Windows never extend past input + padding
 * (shape inference floors the output extent), as in PyTorch. */
#include <math.h>

#include "kernels/reference/reference.h"

/* Max over the window's real input elements; padded positions are ignored
 * (as -inf), and every window holds at least one real element because
 * shape inference keeps padding smaller than the kernel. */
static float max_at(const sp_kernel_args *a, int b, int c, int oy, int ox) {
  const sp_window *w = &a->node->win;
  sp_dims id = a->in_dims[0];
  float best = -INFINITY;
  for (int ky = 0; ky < w->kh; ky++)
    for (int kx = 0; kx < w->kw; kx++) {
      int iy = oy * w->sh - w->pt + ky, ix = ox * w->sw - w->pl + kx;
      if (iy < 0 || iy >= id.h || ix < 0 || ix >= id.w) continue;
      float x = a->in[0][sp_ref_at(id, b, c, iy, ix)];
      if (x > best) best = x;
    }
  return best;
}

/* Mean of the window: the divisor counts padded zeros when
 * count_include_pad (window clipped to input + padding), else only real
 * input elements. */
static float avg_at(const sp_kernel_args *a, int b, int c, int oy, int ox) {
  const sp_window *w = &a->node->win;
  sp_dims id = a->in_dims[0];
  int y0 = oy * w->sh - w->pt, x0 = ox * w->sw - w->pl;
  int y1 = y0 + w->kh < id.h + w->pb ? y0 + w->kh : id.h + w->pb;
  int x1 = x0 + w->kw < id.w + w->pr ? x0 + w->kw : id.w + w->pr;
  float sum = 0.0f;
  int real = 0;
  for (int iy = y0; iy < y1; iy++)
    for (int ix = x0; ix < x1; ix++) {
      if (iy < 0 || iy >= id.h || ix < 0 || ix >= id.w) continue;
      sum += a->in[0][sp_ref_at(id, b, c, iy, ix)];
      real++;
    }
  int divisor = a->node->count_include_pad ? (y1 - y0) * (x1 - x0) : real;
  return sum / (float)divisor;
}

void sp_kernel_maxpool__reference(const sp_kernel_args *a) {
  sp_dims od = a->out_dims;
  for (int b = 0; b < a->batch; b++)
    for (int c = 0; c < od.c; c++)
      for (int oy = 0; oy < od.h; oy++)
        for (int ox = 0; ox < od.w; ox++)
          a->out[sp_ref_at(od, b, c, oy, ox)] = max_at(a, b, c, oy, ox);
}

void sp_kernel_avgpool__reference(const sp_kernel_args *a) {
  sp_dims od = a->out_dims;
  for (int b = 0; b < a->batch; b++)
    for (int c = 0; c < od.c; c++)
      for (int oy = 0; oy < od.h; oy++)
        for (int ox = 0; ox < od.w; ox++)
          a->out[sp_ref_at(od, b, c, oy, ox)] = avg_at(a, b, c, oy, ox);
}

void sp_kernel_global_avgpool__reference(const sp_kernel_args *a) {
  sp_dims id = a->in_dims[0];
  size_t plane = (size_t)id.h * (size_t)id.w;
  for (int b = 0; b < a->batch; b++)
    for (int c = 0; c < id.c; c++) {
      const float *x = a->in[0] + sp_ref_at(id, b, c, 0, 0);
      float sum = 0.0f;
      for (size_t i = 0; i < plane; i++) sum += x[i];
      a->out[(size_t)b * (size_t)id.c + (size_t)c] = sum / (float)plane;
    }
}
