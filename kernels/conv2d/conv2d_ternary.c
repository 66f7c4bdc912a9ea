/* Convolution from packed ternary codes (2 bits a weight, no float copy of
 * the weights): for each output plane, every +1 tap adds its shifted input
 * plane into the output plane and every -1 tap into a second plane, so the
 * two partial sums hold only input values; the scales come last:
 *   y = pos * (sum over +1 taps) - neg * (sum over -1 taps) + bias.
 * Any stride, padding and groups (the tap walk is kernels/cpu/conv_tap.h). */
#include "engine/compress/weight_format.h"
#include "kernels/activation.h"
#include "kernels/cpu_kernels.h"
#include "kernels/common/conv_tap.h"

/* The -1 partial sums of one image: one plane an output channel. */
size_t sp_conv2d_ternary_workspace_bytes(const sp_graph *g, const sp_node *n, int batch) {
  return sp_dims_count(n->out) * sizeof(float);
}

/* Output channel `oc` of image `b`; `minus` is that channel's -1 plane. */
static void ternary_plane(const sp_kernel_args *a, const sp_ternary *t, int b, int oc,
                          float *minus) {
  const sp_node *n = a->node;
  const sp_window *w = &n->win;
  sp_dims id = a->in_dims[0], od = a->out_dims;
  int cin_g = id.c / n->groups, group = oc / (od.c / n->groups), taps = w->kh * w->kw;
  size_t in_plane = (size_t)id.h * (size_t)id.w, out_plane = (size_t)od.h * (size_t)od.w;
  float *plus = a->out + ((size_t)b * (size_t)od.c + (size_t)oc) * out_plane;
  const float *image = a->in[0] + ((size_t)b * (size_t)id.c + (size_t)group * (size_t)cin_g) * in_plane;
  for (size_t i = 0; i < out_plane; i++) plus[i] = minus[i] = 0.0f;
  const uint8_t *codes = t->codes + (size_t)oc * (size_t)t->row_bytes;
  for (int byte = 0; byte < t->row_bytes; byte++) {
    if (!codes[byte]) continue; /* four zero weights */
    for (int j = 4 * byte; j < 4 * byte + 4 && j < t->cols; j++) {
      int code = sp_ternary_code(codes, j);
      if (code == SP_TERNARY_ZERO) continue;
      int ic = j / taps, tap = j % taps;
      sp_conv_tap_axpy(code == SP_TERNARY_PLUS ? plus : minus, image + (size_t)ic * in_plane,
                       1.0f, id, od, w, tap / w->kw, tap % w->kw);
    }
  }
  float bias = n->bias ? n->bias[oc] : 0.0f;
  for (size_t i = 0; i < out_plane; i++)
    plus[i] = sp_activate(n->act, t->pos * plus[i] - t->neg * minus[i] + bias);
}

/* Parallel over the output channels of each image, dynamic schedule. */
static void conv2d_ternary(const sp_kernel_args *a, int threads) {
  const sp_ternary *t = a->prepared;
  int cout = a->out_dims.c;
  size_t out_plane = (size_t)a->out_dims.h * (size_t)a->out_dims.w;
  for (int b = 0; b < a->batch; b++) {
#pragma omp parallel for schedule(dynamic) num_threads(threads) if (threads > 1)
    for (int oc = 0; oc < cout; oc++)
      ternary_plane(a, t, b, oc, a->workspace + (size_t)oc * out_plane);
  }
}

void sp_kernel_conv2d__ternary_serial(const sp_kernel_args *a) { conv2d_ternary(a, 1); }

void sp_kernel_conv2d__ternary_omp(const sp_kernel_args *a) { conv2d_ternary(a, a->threads); }
