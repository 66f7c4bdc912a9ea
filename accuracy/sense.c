/* sp_sense_evaluate (sense.h): the specs are turned into compressed copies
 * in chunks that fit max_copy_bytes; each chunk makes one pass over the
 * images, batch by batch. Per batch the original graph runs the nodes whose
 * outputs the chunk's copies read, then each copy re-runs its dirty nodes.
 * Scores are kept per batch and summed in batch order at the end, so the
 * result does not depend on which thread ran which batch. */
#define _POSIX_C_SOURCE 200809L /* sysconf */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accuracy/sense_internal.h"

sp_sense_options sp_sense_options_default(void) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return (sp_sense_options){.batch = 64,
                            .threads = cores < 1 ? 1 : cores > 256 ? 256 : (int)cores,
                            .max_copy_bytes = (size_t)1 << 30};
}

sp_sense_grid sp_sense_grid_default(int quick) {
  if (quick)
    return (sp_sense_grid){.n_prune = 2, .prune = {0.5, 0.9}, .n_ternary = 1, .ternary = {0.7},
                           .n_keep = 1, .keep = {0.5}};
  return (sp_sense_grid){.n_prune = 5, .prune = {0.5, 0.7, 0.8, 0.9, 0.95}, .n_ternary = 1,
                         .ternary = {0.7}, .n_keep = 3, .keep = {0.75, 0.5, 0.25}};
}

/* What one pass over the images evaluates: patches [0, count) and, when
 * with_base, the original graph (column 0 of the tallies). */
typedef struct chunk {
  const sp_graph *g;
  const sense_kernels *kernels;
  const float *inputs;
  const uint8_t *labels;
  int images, batch, threads_per_kernel, with_base;
  int count;
  sense_patch *patch;
  unsigned char *need; /* per node: the original's output is read this pass */
  unsigned char *redo; /* per node: some copy re-runs it */
  size_t workspace;    /* bytes, the largest kernel's */
  sp_sense_score *tally; /* [batches][count + 1] */
  int64_t *done, total;
  const sp_sense_options *opt;
} chunk;

/* Per worker: the original's outputs, the copies' outputs, scratch. */
typedef struct worker {
  float **cache, **redo;
  float *workspace;
} worker;

static size_t kernel_workspace(const sp_graph *g, int i, const sense_kernels *k, int batch) {
  const sp_variant *v = k->variant[i];
  return v->workspace_bytes ? v->workspace_bytes(g, &g->nodes[i], batch) : 0;
}

/* Which of the original's outputs the pass reads, which nodes copies re-run,
 * and the largest workspace. */
static sp_status plan_chunk(chunk *c) {
  const sp_graph *g = c->g;
  int n = g->n_nodes;
  c->need = calloc((size_t)n, 1);
  c->redo = calloc((size_t)n, 1);
  if (!c->need || !c->redo) return sp_fail(SP_ERR_RUNTIME, "out of memory planning %s", g->name);
  c->need[g->output] = (unsigned char)c->with_base;
  for (int k = 0; k < c->count; k++) {
    const sense_patch *p = &c->patch[k];
    if (!p->dirty[g->output]) c->need[g->output] = 1;
    for (int i = p->first_dirty; i < n; i++) {
      if (!p->dirty[i]) continue;
      c->redo[i] = 1;
      const sp_node *node = &p->g->nodes[i];
      for (int j = 0; j < node->n_inputs; j++)
        if (!p->dirty[node->inputs[j]]) c->need[node->inputs[j]] = 1;
      size_t ws = kernel_workspace(p->g, i, &p->kernels, c->batch);
      if (ws > c->workspace) c->workspace = ws;
    }
  }
  for (int i = n - 1; i > 0; i--) {
    if (!c->need[i]) continue;
    for (int j = 0; j < g->nodes[i].n_inputs; j++) c->need[g->nodes[i].inputs[j]] = 1;
    size_t ws = kernel_workspace(g, i, c->kernels, c->batch);
    if (ws > c->workspace) c->workspace = ws;
  }
  return SP_OK;
}

static void worker_free(const chunk *c, worker *w) {
  for (int i = 0; i < c->g->n_nodes; i++) {
    if (w->cache) free(w->cache[i]);
    if (w->redo) free(w->redo[i]);
  }
  free(w->cache);
  free(w->redo);
  free(w->workspace);
  memset(w, 0, sizeof *w);
}

static sp_status worker_init(const chunk *c, worker *w) {
  const sp_graph *g = c->g;
  w->cache = calloc((size_t)g->n_nodes, sizeof *w->cache);
  w->redo = calloc((size_t)g->n_nodes, sizeof *w->redo);
  w->workspace = c->workspace ? malloc(c->workspace) : NULL;
  int oom = !w->cache || !w->redo || (c->workspace && !w->workspace);
  for (int i = 1; !oom && i < g->n_nodes; i++) {
    /* a copy's output is never larger than the original's (checked when built) */
    size_t bytes = (size_t)c->batch * sp_dims_count(g->nodes[i].out) * sizeof(float);
    if (c->need[i] && !(w->cache[i] = malloc(bytes))) oom = 1;
    if (c->redo[i] && !(w->redo[i] = malloc(bytes))) oom = 1;
  }
  if (!oom) return SP_OK;
  worker_free(c, w);
  return sp_fail(SP_ERR_RUNTIME, "out of memory for the activations of %s (batch %d)", g->name,
                 c->batch);
}

/* Runs batch b: the original's needed nodes, then every copy's dirty ones. */
static sp_status run_batch(const chunk *c, worker *w, int b) {
  const sp_graph *g = c->g;
  int first = b * c->batch, n = c->images - first < c->batch ? c->images - first : c->batch;
  const float *x = c->inputs + (size_t)first * sp_dims_count(g->input);
  const uint8_t *labels = c->labels + first;
  int classes = (int)sp_dims_count(g->nodes[g->output].out), tpk = c->threads_per_kernel;
  sp_sense_score *row = c->tally + (size_t)b * (size_t)(c->count + 1);
  sp_status s = SP_OK;
  for (int i = 1; !s && i < g->n_nodes; i++) {
    if (!c->need[i]) continue;
    const sp_node *node = &g->nodes[i];
    const float *in[SP_MAX_INPUTS];
    for (int j = 0; j < node->n_inputs; j++)
      in[j] = node->inputs[j] ? w->cache[node->inputs[j]] : x;
    s = sense_run_node(g, i, c->kernels, in, w->cache[i], n, tpk, w->workspace);
  }
  if (!s && c->with_base) sense_score_rows(w->cache[g->output], labels, n, classes, &row[0]);
  for (int k = 0; !s && k < c->count; k++) {
    const sense_patch *p = &c->patch[k];
    for (int i = p->first_dirty; !s && i < g->n_nodes; i++) {
      if (!p->dirty[i]) continue;
      const sp_node *node = &p->g->nodes[i];
      const float *in[SP_MAX_INPUTS];
      for (int j = 0; j < node->n_inputs; j++) {
        int src = node->inputs[j];
        in[j] = p->dirty[src] ? w->redo[src] : src ? w->cache[src] : x;
      }
      s = sense_run_node(p->g, i, &p->kernels, in, w->redo[i], n, tpk, w->workspace);
    }
    const float *logits = p->dirty[g->output] ? w->redo[g->output] : w->cache[g->output];
    if (!s) sense_score_rows(logits, labels, n, classes, &row[k + 1]);
  }
  return s;
}

/* One pass over the images with `workers` threads, each with its buffers.
 * A failure's message is recorded on the worker's thread: it is carried
 * back to this one. */
static sp_status run_chunk(chunk *c, int workers) {
  int batches = (c->images + c->batch - 1) / c->batch;
  if (workers > batches) workers = batches;
  worker *w = calloc((size_t)workers, sizeof *w);
  if (!w) return sp_fail(SP_ERR_RUNTIME, "out of memory for %d workers", workers);
  int status = SP_OK;
  for (int k = 0; !status && k < workers; k++) status = (int)worker_init(c, &w[k]);
  char message[512] = "";
  int64_t per_image = c->count + c->with_base;
#pragma omp parallel for num_threads(workers) schedule(dynamic, 1) if (workers > 1)
  for (int b = 0; b < batches; b++) {
    int failed;
#pragma omp atomic read
    failed = status;
    if (failed) continue;
    sp_status bs = run_batch(c, &w[omp_get_thread_num()], b);
#pragma omp critical(sense_progress)
    {
      int n = c->images - b * c->batch < c->batch ? c->images - b * c->batch : c->batch;
      *c->done += per_image * n;
      if (bs && !status) {
        snprintf(message, sizeof message, "%s", sp_last_error());
#pragma omp atomic write
        status = (int)bs;
      }
      if (!bs && c->opt->progress) c->opt->progress(c->opt->progress_ctx, *c->done, c->total);
    }
  }
  for (int k = 0; k < workers; k++) worker_free(c, &w[k]);
  free(w);
  if (status && *message) return sp_fail((sp_status)status, "%s", message);
  return (sp_status)status;
}

/* Sums the per-batch tallies of column `col` in batch order. */
static sp_sense_score sum_column(const chunk *c, int col) {
  sp_sense_score total = {0};
  int batches = (c->images + c->batch - 1) / c->batch;
  for (int b = 0; b < batches; b++) {
    const sp_sense_score *t = &c->tally[(size_t)b * (size_t)(c->count + 1) + (size_t)col];
    total.images += t->images;
    total.correct += t->correct;
    total.loss_sum += t->loss_sum;
  }
  return total;
}

static void count_weights(const sp_graph *g, sp_sense_score *s) {
  for (int i = 1; i < g->n_nodes; i++) {
    const sp_node *n = &g->nodes[i];
    if (n->op != SP_OP_CONV2D && n->op != SP_OP_FC) continue;
    size_t count = sp_node_weight_count(g, n);
    s->weights += (int64_t)count;
    for (size_t k = 0; n->weight && k < count; k++) s->zeros += n->weight[k] == 0.0f;
  }
}

/* Builds copies from specs[*next] on while they fit the memory budget (at
 * least one), evaluates them and the original (with_base), frees them. */
static sp_status evaluate_chunk(chunk *c, const char *const *specs, int n_specs, int *next,
                                sp_sense_score *scores, sp_sense_score *baseline) {
  const sp_sense_options *opt = c->opt;
  sp_status s = SP_OK;
  size_t bytes = 0;
  int first = *next;
  c->patch = calloc((size_t)(n_specs - first) + 1, sizeof *c->patch);
  if (!c->patch) return sp_fail(SP_ERR_RUNTIME, "out of memory for %d compressions", n_specs);
  while (!s && *next < n_specs && (c->count == 0 || bytes < opt->max_copy_bytes)) {
    s = sense_patch_build(c->g, c->kernels, specs[*next], c->threads_per_kernel,
                          &c->patch[c->count]);
    if (!s) bytes += c->patch[c->count++].bytes, (*next)++;
  }
  int batches = (c->images + c->batch - 1) / c->batch;
  if (!s) s = plan_chunk(c);
  if (!s && !(c->tally = calloc((size_t)batches * (size_t)(c->count + 1), sizeof *c->tally)))
    s = sp_fail(SP_ERR_RUNTIME, "out of memory for the scores of %d compressions", c->count);
  if (!s) s = run_chunk(c, opt->parallel_kernels ? 1 : opt->threads);
  for (int k = 0; !s && k < c->count; k++) {
    scores[first + k] = sum_column(c, k + 1);
    scores[first + k].weights = c->patch[k].weights;
    scores[first + k].zeros = c->patch[k].zeros;
  }
  if (!s && c->with_base && baseline) {
    *baseline = sum_column(c, 0);
    count_weights(c->g, baseline);
  }
  for (int k = 0; k < c->count; k++) sense_patch_free(&c->patch[k]);
  free(c->patch);
  free(c->need);
  free(c->redo);
  free(c->tally);
  c->patch = NULL, c->need = c->redo = NULL, c->tally = NULL;
  c->count = 0, c->workspace = 0;
  return s;
}

sp_status sp_sense_evaluate(const sp_graph *g, const float *inputs, const uint8_t *labels,
                            int count, const char *const *specs, int n_specs,
                            const sp_sense_options *opt, sp_sense_score *baseline,
                            sp_sense_score *scores) {
  if (opt->batch < 1 || opt->threads < 1)
    return sp_fail(SP_ERR_INPUT, "sense: batch (%d) and threads (%d) must be >= 1", opt->batch,
                   opt->threads);
  if (count < 1) return sp_fail(SP_ERR_INPUT, "sense: no images to evaluate %s on", g->name);
  size_t classes = sp_dims_count(g->nodes[g->output].out);
  for (int i = 0; i < count; i++)
    if (labels[i] >= classes)
      return sp_fail(SP_ERR_INPUT, "sense: label %d of image %d is not one of the %zu outputs of %s",
                     labels[i], i, classes, g->name);
  int tpk = opt->parallel_kernels ? opt->threads : 1;
  sense_kernels kernels;
  sp_status s = sense_kernels_init(g, tpk, NULL, NULL, &kernels);
  if (s) return s;
  int64_t done = 0;
  chunk c = {.g = g, .kernels = &kernels, .inputs = inputs, .labels = labels, .images = count,
             .batch = opt->batch, .threads_per_kernel = tpk, .with_base = 1, .done = &done,
             .total = (int64_t)count * (n_specs + 1), .opt = opt};
  /* the first pass also scores the original; later ones only what they need */
  for (int next = 0; !s && (c.with_base || next < n_specs); c.with_base = 0)
    s = evaluate_chunk(&c, specs, n_specs, &next, scores, baseline);
  sense_kernels_free(g, &kernels);
  return s;
}
