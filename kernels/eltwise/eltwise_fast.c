/* Element-wise ops with loops the compiler vectorises: relu, relu6 (one
 * clamp loop with the bounds of sp_act_bounds), add with its fused
 * activation, and softmax.
 *
 * Threads: the _omp variants split the tensor into one contiguous stretch a
 * thread, but only from ELTWISE_PARALLEL_MIN floats (128 KiB) up: below
 * that the loop runs in a few microseconds from L2, about what waking a
 * second thread costs. Softmax has no _omp variant: it runs over one
 * image's logits (10 for the CIFAR nets). Flatten has no fast variant: its
 * reference already is a single memcpy. */
#include <math.h>
#include <stddef.h>

#include <omp.h>

#include "kernels/common/bias_act.h"
#include "kernels/cpu_kernels.h"

#define ELTWISE_PARALLEL_MIN 32768

/* What one stretch [i0, i1) of an element-wise op needs. */
typedef struct eltwise {
  const float *x, *y; /* y: second operand of add, else NULL */
  float *out;
  sp_act act;
} eltwise;

/* out = act(x (+ y)): clamped as in bias_act.h, so equal to sp_activate. */
static void eltwise_span(const eltwise *e, size_t i0, size_t i1) {
  const float *restrict x = e->x, *restrict y = e->y;
  float *restrict out = e->out;
  float lo, hi;
  sp_act_bounds(e->act, &lo, &hi);
  if (y && e->act == SP_ACT_NONE) {
    for (size_t i = i0; i < i1; i++) out[i] = x[i] + y[i];
  } else if (y) {
    for (size_t i = i0; i < i1; i++) {
      float v = x[i] + y[i];
      v = v > lo ? v : lo;
      out[i] = v < hi ? v : hi;
    }
  } else {
    for (size_t i = i0; i < i1; i++) {
      float v = x[i] > lo ? x[i] : lo;
      out[i] = v < hi ? v : hi;
    }
  }
}

static void eltwise_run(const sp_kernel_args *a, const float *y, sp_act act, int threads) {
  const eltwise e = {a->in[0], y, a->out, act};
  const size_t n = (size_t)a->batch * sp_dims_count(a->out_dims);
  if (threads <= 1 || n < ELTWISE_PARALLEL_MIN) {
    eltwise_span(&e, 0, n);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    /* stretches start on a 64-byte line (16 floats) */
    const size_t t = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
    const size_t lines = (n + 15) / 16, i0 = lines * t / nt * 16, i1 = lines * (t + 1) / nt * 16;
    eltwise_span(&e, i0, i1 < n ? i1 : n);
  }
}

void sp_kernel_relu__vec_serial(const sp_kernel_args *a) { eltwise_run(a, NULL, SP_ACT_RELU, 1); }
void sp_kernel_relu__vec_omp(const sp_kernel_args *a) {
  eltwise_run(a, NULL, SP_ACT_RELU, a->threads);
}
void sp_kernel_relu6__vec_serial(const sp_kernel_args *a) {
  eltwise_run(a, NULL, SP_ACT_RELU6, 1);
}
void sp_kernel_relu6__vec_omp(const sp_kernel_args *a) {
  eltwise_run(a, NULL, SP_ACT_RELU6, a->threads);
}
void sp_kernel_add__vec_serial(const sp_kernel_args *a) {
  eltwise_run(a, a->in[1], a->node->act, 1);
}
void sp_kernel_add__vec_omp(const sp_kernel_args *a) {
  eltwise_run(a, a->in[1], a->node->act, a->threads);
}

/* Softmax of each image: max (vectorised reduction), exp and sum, then one
 * multiplication by the reciprocal instead of a division per element. */
void sp_kernel_softmax__vec_serial(const sp_kernel_args *a) {
  const size_t n = sp_dims_count(a->out_dims);
  for (int b = 0; b < a->batch; b++) {
    const float *x = a->in[0] + (size_t)b * n;
    float *y = a->out + (size_t)b * n;
    float max = x[0];
#pragma omp simd reduction(max : max)
    for (size_t i = 0; i < n; i++) max = x[i] > max ? x[i] : max;
    float sum = 0.0f;
    for (size_t i = 0; i < n; i++) {
      y[i] = expf(x[i] - max);
      sum += y[i];
    }
    const float inv = 1.0f / sum;
    for (size_t i = 0; i < n; i++) y[i] *= inv;
  }
}
