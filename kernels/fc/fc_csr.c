/* Fully connected layer from CSR weights: a sparse GEMV per image,
 * y[u] = bias[u] + sum over the nonzeros w[u][f] of w * x[f]. */
#include "engine/compress/weight_format.h"
#include "kernels/activation.h"
#include "kernels/kernel.h"

/* Parallel over units (dynamic: rows hold different numbers of nonzeros);
 * each unit's row is read once for all images. */
static void fc_csr(const sp_kernel_args *a, int threads) {
  const sp_node *n = a->node;
  const sp_csr *m = a->prepared;
  size_t features = sp_dims_count(a->in_dims[0]);
  int units = a->out_dims.c, batch = a->batch;
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads) if (threads > 1)
  for (int u = 0; u < units; u++) {
    int32_t begin = m->row_ptr[u], end = m->row_ptr[u + 1];
    for (int b = 0; b < batch; b++) {
      const float *x = a->in[0] + (size_t)b * features;
      float acc = n->bias ? n->bias[u] : 0.0f;
      for (int32_t k = begin; k < end; k++) acc += m->val[k] * x[m->col[k]];
      a->out[(size_t)b * (size_t)units + (size_t)u] = sp_activate(n->act, acc);
    }
  }
}

void sp_kernel_fc__csr_serial(const sp_kernel_args *a) { fc_csr(a, 1); }

void sp_kernel_fc__csr_omp(const sp_kernel_args *a) { fc_csr(a, a->threads); }
