/* Top-1 accuracy of an executor over a loaded dataset split: the loop that
 * `infer --data`, `run --data` and `plan --verify` share. */
#ifndef SP_DATASET_EVAL_H
#define SP_DATASET_EVAL_H

#include "engine/data/dataset.h"
#include "engine/executor/executor.h"

typedef struct sp_top1 {
  int correct, count;  /* hits of the argmax over count images */
  int timed;           /* calls in seconds[] (a padded last batch is not timed) */
} sp_top1;

/* Runs the images of d through e, `batch` per call (the executor's batch; a
 * short last batch padded with zeros), and counts the images whose largest
 * score (first on ties) is the label. With seconds (room for
 * ceil(d->count / batch)) each full call's wall time is written there.
 * Errors: those of sp_executor_run, SP_ERR_RUNTIME out of memory. */
sp_status sp_executor_top1(sp_executor *e, const sp_graph *g, int batch, const sp_fmnist *d,
                           double *seconds, sp_top1 *out);

/* Index of the largest of n values (the first of equal ones). */
int sp_argmax(const float *row, int n);

#endif
