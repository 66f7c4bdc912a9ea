/* Pooling with loops the compiler vectorises: max pool (a fast path for
 * the 2x2 stride-2 unpadded window of VGG, and any window), average pool
 * (any window) and global average pool. Windows follow the reference
 * (kernels/reference/ref_pool.c): max ignores padded positions, average
 * divides by the clipped window or by its real elements (count_include_pad).
 *
 * Threads: planes (image, channel) are split statically. Below
 * POOL_PARALLEL_MIN input floats (64 KiB) the _omp variants stay serial:
 * the pass then takes a few microseconds at L2 speed, about what waking a
 * second thread costs, so a parallel region cannot pay (VGG's pools at
 * 512 x 4 x 4 and 512 x 2 x 2, all global pools of the CIFAR nets). */
#include <math.h>
#include <stddef.h>

#include "kernels/cpu_kernels.h"

#define POOL_PARALLEL_MIN 16384

typedef enum pool_kind { POOL_MAX, POOL_AVG } pool_kind;

/* 2x2 window, stride 2, no padding: the max of each row pair, then of each
 * column pair. */
static void max2x2_plane(const float *restrict in, int iw, float *restrict out, int oh, int ow) {
  for (int oy = 0; oy < oh; oy++) {
    const float *restrict r0 = in + (size_t)(2 * oy) * (size_t)iw, *restrict r1 = r0 + iw;
    float *restrict o = out + (size_t)oy * (size_t)ow;
    for (int x = 0; x < ow; x++) {
      float a = r0[2 * x] > r0[2 * x + 1] ? r0[2 * x] : r0[2 * x + 1];
      float b = r1[2 * x] > r1[2 * x + 1] ? r1[2 * x] : r1[2 * x + 1];
      o[x] = a > b ? a : b;
    }
  }
}

/* Any window: each output reads the window clipped to the input (the range
 * of valid taps computed once per row and column, no test per tap). */
static void window_plane(pool_kind kind, const float *in, int ih, int iw, float *out, int oh,
                         int ow, const sp_window *w, int count_include_pad) {
  for (int oy = 0; oy < oh; oy++) {
    const int y0 = oy * w->sh - w->pt, ye = y0 + w->kh < ih + w->pb ? y0 + w->kh : ih + w->pb;
    const int ya = y0 > 0 ? y0 : 0, yb = ye < ih ? ye : ih;
    for (int ox = 0; ox < ow; ox++) {
      const int x0 = ox * w->sw - w->pl, xe = x0 + w->kw < iw + w->pr ? x0 + w->kw : iw + w->pr;
      const int xa = x0 > 0 ? x0 : 0, xb = xe < iw ? xe : iw;
      float acc = kind == POOL_MAX ? -INFINITY : 0.0f;
      for (int y = ya; y < yb; y++) {
        const float *row = in + (size_t)y * (size_t)iw;
        if (kind == POOL_MAX) {
          for (int x = xa; x < xb; x++) acc = row[x] > acc ? row[x] : acc;
        } else {
          for (int x = xa; x < xb; x++) acc += row[x];
        }
      }
      if (kind == POOL_AVG) {
        const int div = count_include_pad ? (ye - y0) * (xe - x0) : (yb - ya) * (xb - xa);
        acc /= (float)div;
      }
      out[(size_t)oy * (size_t)ow + (size_t)ox] = acc;
    }
  }
}

static int is_max2x2(const sp_window *w) {
  return w->kh == 2 && w->kw == 2 && w->sh == 2 && w->sw == 2 && w->pt == 0 && w->pl == 0 &&
         w->pb == 0 && w->pr == 0;
}

static void pool(const sp_kernel_args *a, pool_kind kind, int threads) {
  const sp_dims id = a->in_dims[0], od = a->out_dims;
  const sp_window *w = &a->node->win;
  const int planes = a->batch * id.c, fast = kind == POOL_MAX && is_max2x2(w);
  const size_t in_plane = (size_t)id.h * (size_t)id.w, out_plane = (size_t)od.h * (size_t)od.w;
  const int parallel = threads > 1 && (size_t)planes * in_plane >= POOL_PARALLEL_MIN;
#pragma omp parallel for schedule(static) num_threads(threads) if (parallel)
  for (int p = 0; p < planes; p++) {
    const float *in = a->in[0] + (size_t)p * in_plane;
    float *out = a->out + (size_t)p * out_plane;
    if (fast)
      max2x2_plane(in, id.w, out, od.h, od.w);
    else
      window_plane(kind, in, id.h, id.w, out, od.h, od.w, w, a->node->count_include_pad);
  }
}

/* Each plane's mean: a vectorised sum (its order differs from the
 * reference's, within the tests' reduction tolerance). */
static void global_avgpool(const sp_kernel_args *a, int threads) {
  const sp_dims id = a->in_dims[0];
  const int planes = a->batch * id.c;
  const size_t plane = (size_t)id.h * (size_t)id.w;
  const int parallel = threads > 1 && (size_t)planes * plane >= POOL_PARALLEL_MIN;
#pragma omp parallel for schedule(static) num_threads(threads) if (parallel)
  for (int p = 0; p < planes; p++) {
    const float *x = a->in[0] + (size_t)p * plane;
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (size_t i = 0; i < plane; i++) sum += x[i];
    a->out[p] = sum / (float)plane;
  }
}

void sp_kernel_maxpool__vec_serial(const sp_kernel_args *a) { pool(a, POOL_MAX, 1); }
void sp_kernel_maxpool__vec_omp(const sp_kernel_args *a) { pool(a, POOL_MAX, a->threads); }
void sp_kernel_avgpool__vec_serial(const sp_kernel_args *a) { pool(a, POOL_AVG, 1); }
void sp_kernel_avgpool__vec_omp(const sp_kernel_args *a) { pool(a, POOL_AVG, a->threads); }
void sp_kernel_global_avgpool__vec_serial(const sp_kernel_args *a) { global_avgpool(a, 1); }
void sp_kernel_global_avgpool__vec_omp(const sp_kernel_args *a) {
  global_avgpool(a, a->threads);
}
