/* stackplan infer --data fashion-mnist: top-1 accuracy over a split and the
 * per-image latency (median over batches). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/data/dataset.h"
#include "engine/executor/dataset_eval.h"
#include "cli/infer.h"
#include "engine/core/timer.h"

/* The model must take 1 x 32 x 32 images and give 10 scores. */
static int check_model(const infer_options *o, const sp_graph *g) {
  sp_dims in = g->input;
  size_t classes = sp_dims_count(g->nodes[g->output].out);
  if (in.c != 1 || in.h != SP_FMNIST_SIDE || in.w != SP_FMNIST_SIDE || classes != SP_FMNIST_CLASSES)
    return sp_cli_error("infer", 2,
                        "model %s has input %dx%dx%d and %zu outputs; fashion-mnist needs input "
                        "1x32x32 and 10 outputs", o->model, in.c, in.h, in.w, classes);
  return 0;
}

int sp_infer_data(const infer_options *o, const sp_graph *g) {
  if (strcmp(o->data, "fashion-mnist"))
    return sp_cli_error("infer", 2, "unknown dataset '%s' (fashion-mnist)", o->data);
  int rc = check_model(o, g);
  if (rc) return rc;
  sp_fmnist_split split = strcmp(o->split, "calib") ? SP_FMNIST_TEST : SP_FMNIST_CALIB;
  sp_fmnist d;
  sp_status s = sp_fmnist_load(sp_fmnist_dir(), split, o->limit, &d);
  if (s) return sp_cli_fail("infer", s);
  if (o->verbose)
    printf("data: %s (%s split, %d images), normalisation mean %.8f std %.8f\n", sp_fmnist_dir(),
           o->split, d.count, d.mean, d.std);

  sp_exec_options opt = sp_exec_options_default();
  opt.batch = o->batch;
  opt.threads = o->threads;
  opt.reference = o->reference;
  opt.variants = o->variants;
  sp_executor *e = NULL;
  size_t per = sp_dims_count(g->input);
  int batches = (d.count + o->batch - 1) / o->batch;
  float *in = calloc((size_t)o->batch * per, sizeof *in);
  float *out = malloc((size_t)o->batch * SP_FMNIST_CLASSES * sizeof *out);
  double *t = malloc((size_t)batches * sizeof *t);
  s = (!in || !out || !t) ? sp_fail(SP_ERR_RUNTIME, "out of memory for a batch of %d", o->batch)
                          : sp_executor_create(g, &opt, &e);
  if (s) {
    rc = sp_cli_fail("infer", s);
    goto done;
  }
  printf("model: %s (input %dx%dx%d, batch %d, threads %d)\n", g->name, g->input.c, g->input.h,
         g->input.w, o->batch, o->threads);
  sp_infer_print_variants(g, e, o->layers);
  sp_top1 top;
  if ((s = sp_executor_run(e, in, out)) || /* warm-up */
      (s = sp_executor_top1(e, g, o->batch, &d, t, &top))) {
    rc = sp_cli_fail("infer", s);
    goto done;
  }
  double median = sp_quantile(t, top.timed, 0.5);
  printf("accuracy: %.2f%% (%d/%d) on fashion-mnist %s\n", 100.0 * top.correct / top.count, top.correct,
         top.count, o->split);
  printf("latency: median %.3f ms per image (batch %d, %d timed batches, threads %d)\n",
         1e3 * median / o->batch, o->batch, top.timed, o->threads);
done:
  sp_executor_free(e);
  sp_fmnist_free(&d);
  free(in);
  free(out);
  free(t);
  return rc;
}
