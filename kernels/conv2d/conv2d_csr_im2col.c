/* CSR x im2col convolution (groups 1): each image is lowered to the
 * K x P matrix of its receptive fields (kernels/cpu/im2col.h: K = Cin*kh*kw
 * rows, P = oh*ow columns), then output row oc = bias + sum over the
 * nonzeros w[oc][k] of w * row k: a sparse-dense matrix product, one
 * contiguous P-long axpy per nonzero. A 1x1 stride-1 unpadded conv needs no
 * lowering: the input image is that matrix. */
#include "engine/compress/weight_format.h"
#include "kernels/activation.h"
#include "kernels/cpu_kernels.h"
#include "kernels/common/im2col.h"

int sp_conv2d_csr_im2col_supports(const sp_graph *g, const sp_node *n) { return n->groups == 1; }

size_t sp_conv2d_csr_im2col_workspace_bytes(const sp_graph *g, const sp_node *n, int batch) {
  sp_conv_geom geo = sp_conv_geom_of(g, n);
  if (sp_conv_geom_is_pointwise(&geo)) return 0;
  return (size_t)geo.k * (size_t)geo.n * sizeof(float); /* one image at a time */
}

/* Output rows of one image from its lowered matrix `col`; parallel over
 * rows, dynamic because rows hold different numbers of nonzeros. */
static void csr_times_col(const sp_node *n, const sp_csr *m, const float *col, size_t p,
                          float *out, int threads) {
#pragma omp parallel for schedule(dynamic) num_threads(threads) if (threads > 1)
  for (int oc = 0; oc < m->rows; oc++) {
    float *restrict y = out + (size_t)oc * p;
    float bias = n->bias ? n->bias[oc] : 0.0f;
    for (size_t i = 0; i < p; i++) y[i] = bias;
    for (int32_t k = m->row_ptr[oc]; k < m->row_ptr[oc + 1]; k++) {
      const float *restrict x = col + (size_t)m->col[k] * p;
      float v = m->val[k];
      for (size_t i = 0; i < p; i++) y[i] += v * x[i];
    }
    sp_activate_span(n->act, y, p);
  }
}

static void conv2d_csr_im2col(const sp_kernel_args *a, int threads) {
  const sp_csr *m = a->prepared;
  sp_conv_geom geo = sp_conv_geom_make(a->in_dims[0], a->out_dims, a->node);
  int lower = !sp_conv_geom_is_pointwise(&geo);
  for (int b = 0; b < a->batch; b++) {
    const float *image = a->in[0] + (size_t)b * sp_dims_count(a->in_dims[0]);
    if (lower) sp_im2col(&geo, image, 0, a->workspace, threads);
    csr_times_col(a->node, m, lower ? a->workspace : image, (size_t)geo.n,
                  a->out + (size_t)b * sp_dims_count(a->out_dims), threads);
  }
}

void sp_kernel_conv2d__csr_im2col_serial(const sp_kernel_args *a) { conv2d_csr_im2col(a, 1); }

void sp_kernel_conv2d__csr_im2col_omp(const sp_kernel_args *a) {
  conv2d_csr_im2col(a, a->threads);
}
