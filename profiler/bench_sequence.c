#include "profiler/bench_sequence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


void sp_bench_candidates_add(sp_bench_candidates *c, const sp_variant *v, double seconds,
                             size_t weight_bytes, int threads) {
  for (int k = 0; k < c->n; k++)
    if (c->v[k]->algo == v->algo && c->bytes[k] == weight_bytes &&
        (threads == 1 || c->v[k]->backend == v->backend)) {
      if (c->alone[k] <= seconds) return; /* a faster twin is in */
      for (int j = k; j + 1 < c->n; j++)
        c->v[j] = c->v[j + 1], c->alone[j] = c->alone[j + 1], c->bytes[j] = c->bytes[j + 1];
      c->n--;
      break;
    }
  int at = c->n;
  while (at > 0 && seconds < c->alone[at - 1]) at--;
  if (at >= SP_BENCH_RANKS) return;
  int last = c->n < SP_BENCH_RANKS ? c->n : SP_BENCH_RANKS - 1;
  for (int k = last; k > at; k--)
    c->v[k] = c->v[k - 1], c->alone[k] = c->alone[k - 1], c->bytes[k] = c->bytes[k - 1];
  c->v[at] = v;
  c->alone[at] = seconds;
  c->bytes[at] = weight_bytes;
  if (c->n < SP_BENCH_RANKS) c->n++;
}

/* Does this node have an r-th candidate close enough to its fastest alone? */
static int competes(const sp_bench_candidates *c, int r) {
  return r < c->n && c->alone[r] <= SP_BENCH_RANK_SLACK * c->alone[0];
}

sp_status sp_bench_choose_in_sequence(const sp_sequence_network *net, const sp_bench_candidates *c,
                                      int runs, const sp_variant **chosen, double *in_sequence) {
  const sp_graph *g = net->graph;
  int n = g->n_nodes, configs = 1;
  for (int i = 1; i < n; i++)
    for (int r = configs; r < SP_BENCH_RANKS; r++)
      if (competes(&c[i], r)) configs = r + 1;
  const sp_variant **variants[SP_BENCH_RANKS] = {0};
  double *median[SP_BENCH_RANKS] = {0}, total[SP_BENCH_RANKS];
  sp_status s = SP_OK;
  for (int r = 0; r < configs; r++) {
    variants[r] = calloc((size_t)n, sizeof *variants[r]);
    median[r] = calloc((size_t)n, sizeof *median[r]);
    if (!variants[r] || !median[r]) s = sp_fail(SP_ERR_RUNTIME, "out of memory");
    for (int i = 1; !s && i < n; i++)
      variants[r][i] = c[i].n ? c[i].v[competes(&c[i], r) ? r : 0] : NULL;
  }
  if (!s)
    s = sp_time_in_sequence(net, configs, (const sp_variant **const *)variants, runs, median,
                                  total);
  for (int i = 1; !s && i < n; i++) {
    int best = 0;
    for (int r = 1; r < configs; r++)
      if (competes(&c[i], r) && median[r][i] < median[best][i]) best = r;
    chosen[i] = c[i].n ? c[i].v[best] : NULL;
    in_sequence[i] = median[best][i];
    if (best)
      printf("# in sequence: %s runs %s (alone %.4f ms, in sequence %.4f ms) rather than %s "
             "(alone %.4f ms, in sequence %.4f ms)\n", g->nodes[i].name, chosen[i]->name,
             1e3 * c[i].alone[best], 1e3 * median[best][i], c[i].v[0]->name,
             1e3 * c[i].alone[0], 1e3 * median[0][i]);
  }
  for (int r = 0; r < configs; r++) free(variants[r]), free(median[r]);
  return s;
}
