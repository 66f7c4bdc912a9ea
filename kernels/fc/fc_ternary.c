/* Fully connected layer from packed ternary codes (no float copy of the
 * weights): per unit and image, the inputs under +1 codes and under -1
 * codes are summed apart, then y = pos * sum+ - neg * sum- + bias. */
#include "engine/compress/weight_format.h"
#include "kernels/activation.h"
#include "kernels/kernel.h"

/* Sums of x over the +1 and the -1 codes of one packed row. */
static void signed_sums(const uint8_t *codes, int row_bytes, int cols, const float *x,
                        float *plus, float *minus) {
  float sp = 0.0f, sn = 0.0f;
  for (int byte = 0; byte < row_bytes; byte++) {
    unsigned c = codes[byte];
    if (!c) continue; /* four zero weights */
    int j0 = 4 * byte, j1 = j0 + 4 < cols ? j0 + 4 : cols;
    for (int j = j0; j < j1; j++, c >>= 2) {
      if ((c & 3) == SP_TERNARY_PLUS) sp += x[j];
      else if ((c & 3) == SP_TERNARY_MINUS) sn += x[j];
    }
  }
  *plus = sp;
  *minus = sn;
}

/* Parallel over units, dynamic schedule; a unit's codes serve every image. */
static void fc_ternary(const sp_kernel_args *a, int threads) {
  const sp_node *n = a->node;
  const sp_ternary *t = a->prepared;
  size_t features = sp_dims_count(a->in_dims[0]);
  int units = a->out_dims.c, batch = a->batch;
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads) if (threads > 1)
  for (int u = 0; u < units; u++) {
    const uint8_t *codes = t->codes + (size_t)u * (size_t)t->row_bytes;
    float bias = n->bias ? n->bias[u] : 0.0f;
    for (int b = 0; b < batch; b++) {
      float sp, sn;
      signed_sums(codes, t->row_bytes, t->cols, a->in[0] + (size_t)b * features, &sp, &sn);
      a->out[(size_t)b * (size_t)units + (size_t)u] =
          sp_activate(n->act, t->pos * sp - t->neg * sn + bias);
    }
  }
}

void sp_kernel_fc__ternary_serial(const sp_kernel_args *a) { fc_ternary(a, 1); }

void sp_kernel_fc__ternary_omp(const sp_kernel_args *a) { fc_ternary(a, a->threads); }
