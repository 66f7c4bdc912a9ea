/* Top-1 accuracy over a dataset split (dataset_eval.h). */
#include "engine/executor/dataset_eval.h"

#include <stdlib.h>
#include <string.h>

#include "engine/core/timer.h"

int sp_argmax(const float *row, int n) {
  int best = 0;
  for (int i = 1; i < n; i++)
    if (row[i] > row[best]) best = i;
  return best;
}

sp_status sp_executor_top1(sp_executor *e, const sp_graph *g, int batch, const sp_fmnist *d,
                           double *seconds, sp_top1 *out) {
  memset(out, 0, sizeof *out);
  size_t per = sp_dims_count(g->input);
  int classes = (int)sp_dims_count(g->nodes[g->output].out);
  float *in = calloc((size_t)batch * per, sizeof *in);
  float *scores = malloc((size_t)batch * (size_t)classes * sizeof *scores);
  sp_status s = (!in || !scores) ? sp_fail(SP_ERR_RUNTIME, "out of memory for a batch of %d", batch) : SP_OK;
  int batches = (d->count + batch - 1) / batch;
  for (int b = 0; !s && b < batches; b++) {
    int first = b * batch, n = d->count - first < batch ? d->count - first : batch;
    memcpy(in, d->inputs + (size_t)first * per, (size_t)n * per * sizeof *in);
    if (n < batch) memset(in + (size_t)n * per, 0, (size_t)(batch - n) * per * sizeof *in);
    double t0 = sp_time_now();
    s = sp_executor_run(e, in, scores);
    double dt = sp_time_now() - t0;
    if (seconds && (n == batch || batches == 1)) seconds[out->timed++] = dt;
    for (int i = 0; !s && i < n; i++)
      out->correct += sp_argmax(scores + (size_t)i * (size_t)classes, classes) == d->labels[first + i];
  }
  out->count = d->count;
  free(in);
  free(scores);
  return s;
}
