/* Reference 2-D convolution: one output element at a time, zero padding,
 * weight [cout][cin/groups][kh][kw], optional bias, fused activation. */
#include "kernels/reference/reference.h"

/* Dot product of one output element's window with its filter. */
static float conv_at(const sp_kernel_args *a, int b, int oc, int oy, int ox) {
  const sp_node *n = a->node;
  const sp_window *w = &n->win;
  sp_dims id = a->in_dims[0];
  int cin_g = id.c / n->groups;
  int group = oc / (a->out_dims.c / n->groups);
  float acc = n->bias ? n->bias[oc] : 0.0f;
  for (int ic = 0; ic < cin_g; ic++)
    for (int ky = 0; ky < w->kh; ky++)
      for (int kx = 0; kx < w->kw; kx++) {
        int iy = oy * w->sh - w->pt + ky, ix = ox * w->sw - w->pl + kx;
        if (iy < 0 || iy >= id.h || ix < 0 || ix >= id.w) continue; /* zero padding */
        float x = a->in[0][sp_ref_at(id, b, group * cin_g + ic, iy, ix)];
        acc += x * n->weight[(((size_t)oc * cin_g + ic) * w->kh + ky) * w->kw + kx];
      }
  return acc;
}

void sp_kernel_conv2d__reference(const sp_kernel_args *a) {
  sp_dims od = a->out_dims;
  for (int b = 0; b < a->batch; b++)
    for (int oc = 0; oc < od.c; oc++)
      for (int oy = 0; oy < od.h; oy++)
        for (int ox = 0; ox < od.w; ox++)
          a->out[sp_ref_at(od, b, oc, oy, ox)] =
              sp_activate(a->node->act, conv_at(a, b, oc, oy, ox));
}
