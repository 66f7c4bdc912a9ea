/* Layers timed inside whole-network runs (sequence_timing.h). */
#include "profiler/sequence_timing.h"

#include <stdlib.h>
#include <string.h>

#include "engine/core/timer.h"

sp_status sp_time_in_sequence(const sp_sequence_network *net, int configs,
                              const sp_variant **const *variants, int runs,
                              double *const *node_median, double *total) {
  const sp_graph *g = net->graph;
  size_t n = (size_t)g->n_nodes, k = (size_t)configs;
  sp_executor **e = calloc(k, sizeof *e);
  double *secs = calloc(n, sizeof *secs);
  double *samples = malloc(k * n * (size_t)runs * sizeof *samples);
  double *sums = malloc(k * (size_t)runs * sizeof *sums);
  sp_status s = e && secs && samples && sums
                    ? SP_OK
                    : sp_fail(SP_ERR_RUNTIME, "out of memory timing %s in sequence", g->name);
  for (size_t c = 0; !s && c < k; c++) {
    sp_exec_options eo = net->options;
    eo.variants = variants[c];
    s = sp_executor_create(g, &eo, &e[c]);
    for (int r = 0; !s && r < 3; r++) s = sp_executor_run(e[c], net->input, net->output);
    if (!s) sp_executor_time_nodes(e[c], secs);
  }
  /* the configurations take turns, so that a drift of the machine's speed
   * falls on all of them alike */
  for (int r = 0; !s && r < runs; r++)
    for (size_t c = 0; !s && c < k; c++) {
      memset(secs, 0, n * sizeof *secs);
      s = sp_executor_run(e[c], net->input, net->output);
      double *row = samples + c * n * (size_t)runs, sum = 0;
      for (size_t i = 1; i < n; i++) row[i * (size_t)runs + (size_t)r] = secs[i], sum += secs[i];
      sums[c * (size_t)runs + (size_t)r] = sum;
    }
  for (size_t c = 0; !s && c < k; c++) {
    node_median[c][0] = 0;
    for (size_t i = 1; i < n; i++)
      node_median[c][i] = sp_quantile(samples + (c * n + i) * (size_t)runs, runs, 0.5);
    total[c] = sp_quantile(sums + c * (size_t)runs, runs, 0.5);
  }
  for (size_t c = 0; e && c < k; c++) sp_executor_free(e[c]);
  free(e), free(secs), free(samples), free(sums);
  return s;
}
