/* Calibrating layer times in sequence (profile_sequence.h). */
#include "profile_sequence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/rng.h"
#include "kernels/registry.h"
#include "sequence_timing.h"
#include "timer.h"

/* Network runs per round: about 0.1 s of them, 20 to 200. */
static int runs_per_round(const sp_profile *p, const sp_profile_record *const *chosen) {
  double ms = 0;
  for (int l = 0; l < p->n_layers; l++)
    if (chosen[l]) ms += chosen[l]->median_ms;
  int runs = ms > 0 ? (int)(100.0 / ms) : 200;
  return runs < 20 ? 20 : runs > 200 ? 200 : runs;
}

typedef struct calibration {
  int n_nodes;
  const sp_profile_record **chosen; /* per layer, NULL: none */
  const sp_variant **variants;      /* per node, NULL: the default */
  const int **params;
  int *threads;
  float *in, *out;
  double *in_sequence, *alone;      /* [round * n_nodes + node], ms */
} calibration;

static void calibration_free(calibration *c) {
  free(c->chosen), free(c->variants), free(c->params), free(c->threads);
  free(c->in), free(c->out), free(c->in_sequence), free(c->alone);
}

static sp_status calibration_init(const sp_graph *g, const sp_profile *p, calibration *c) {
  size_t n = (size_t)g->n_nodes, per = (size_t)p->config.batch * sp_dims_count(g->input);
  *c = (calibration){.n_nodes = g->n_nodes};
  c->chosen = calloc(n, sizeof *c->chosen);
  c->variants = calloc(n, sizeof *c->variants);
  c->params = calloc(n, sizeof *c->params);
  c->threads = calloc(n, sizeof *c->threads);
  c->in = malloc(per * sizeof *c->in);
  c->out = malloc((size_t)p->config.batch * sp_dims_count(g->nodes[g->output].out) * sizeof *c->out);
  c->in_sequence = calloc(SP_SEQUENCE_ROUNDS * n, sizeof *c->in_sequence);
  c->alone = calloc(SP_SEQUENCE_ROUNDS * n, sizeof *c->alone);
  if (!c->chosen || !c->variants || !c->params || !c->threads || !c->in || !c->out ||
      !c->in_sequence || !c->alone) {
    calibration_free(c);
    return sp_fail(SP_ERR_RUNTIME, "out of memory calibrating the profile in sequence");
  }
  sp_rng rng;
  sp_rng_seed(&rng, 7);
  for (size_t i = 0; i < per; i++) c->in[i] = sp_rng_uniform(&rng);
  for (int l = 0; l < p->n_layers && l + 1 < g->n_nodes; l++) {
    const sp_profile_record *r = sp_profile_fastest_dense(p, l, NULL, 0);
    const sp_variant *v = r ? sp_registry_find(r->variant) : NULL;
    if (!v || !p->layers[l].measured) continue;
    c->chosen[l] = r;
    c->variants[l + 1] = v;
    c->params[l + 1] = r->n_params ? r->params : NULL;
    c->threads[l + 1] = r->threads;
  }
  return SP_OK;
}

static double median_over_rounds(const double *v, int n_nodes, int node) {
  double x[SP_SEQUENCE_ROUNDS];
  for (int r = 0; r < SP_SEQUENCE_ROUNDS; r++) x[r] = v[r * n_nodes + node];
  return sp_quantile(x, SP_SEQUENCE_ROUNDS, 0.5);
}

sp_status sp_profile_calibrate_sequence(const sp_graph *g, sp_profile *p, sp_time_alone_fn alone,
                                        void *ctx, const volatile int *stop) {
  calibration c;
  sp_status s = calibration_init(g, p, &c);
  if (s) return s;
  sp_exec_options eo = sp_exec_options_default();
  eo.batch = p->config.batch;
  eo.variants = c.variants;
  eo.params = c.params;
  eo.node_threads = c.threads;
  sp_sequence_network net = {.graph = g, .options = eo, .input = c.in, .output = c.out};
  int runs = runs_per_round(p, c.chosen), n = c.n_nodes;
  double *median = malloc((size_t)n * sizeof *median), total;
  if (!median) s = sp_fail(SP_ERR_RUNTIME, "out of memory calibrating the profile in sequence");
  for (int round = 0; !s && round < SP_SEQUENCE_ROUNDS && !(stop && *stop); round++) {
    s = sp_time_in_sequence(&net, 1, (const sp_variant **const *)&c.variants, runs, &median, &total);
    for (int i = 1; !s && i < n; i++) c.in_sequence[round * n + i] = 1e3 * median[i];
    for (int l = 0; !s && l + 1 < n && !(stop && *stop); l++)
      if (c.chosen[l]) s = alone(ctx, l, c.chosen[l], &c.alone[round * n + l + 1]);
  }
  for (int l = 0; !s && !(stop && *stop) && l + 1 < n; l++) {
    sp_profile_layer *y = &p->layers[l];
    double a = median_over_rounds(c.alone, n, l + 1), q = median_over_rounds(c.in_sequence, n, l + 1);
    memset(&y->sequence, 0, sizeof y->sequence);
    if (!c.chosen[l] || !(a > 0) || !(q > 0)) continue; /* too fast for the clock: no scale */
    snprintf(y->sequence.variant, sizeof y->sequence.variant, "%s", c.chosen[l]->variant);
    y->sequence.threads = c.chosen[l]->threads;
    y->sequence.alone_ms = a;
    y->sequence.in_sequence_ms = q;
    y->sequence.evict_bytes = c.chosen[l]->evict_bytes > 0 ? c.chosen[l]->evict_bytes : 0;
  }
  free(median);
  calibration_free(&c);
  return s;
}
