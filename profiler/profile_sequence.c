/* Calibrating layer times in sequence (profile_sequence.h). */
#include "profiler/profile_sequence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/compress/compress.h"
#include "engine/onnx/model.h"
#include "engine/core/rng.h"
#include "kernels/registry.h"
#include "profiler/sequence_timing.h"
#include "engine/core/timer.h"

/* A record counts as plain dense size up to this much above the least
 * (bias and alignment differ between formats). */
#define PLAIN_SLACK 0.05

/* Network runs per round: about 0.1 s of them, 20 to 200. */
static int runs_per_round(const sp_profile *p, const sp_profile_record *const *chosen) {
  double ms = 0;
  for (int l = 0; l < p->n_layers; l++)
    if (chosen[l]) ms += chosen[l]->median_ms;
  int runs = ms > 0 ? (int)(100.0 / ms) : 200;
  return runs < 20 ? 20 : runs > 200 ? 200 : runs;
}

/* One network's calibration in progress: level k, dense or compressed. */
typedef struct calibration {
  int n_nodes, level, compressed;
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

/* Group g's level in the network at level k: k, or its last one. */
static int group_level(const sp_profile *p, int g, int k) {
  return k < p->groups[g].n_keep ? k : p->groups[g].n_keep - 1;
}

/* Whether calibration c stores layer l: its record is at c's level and, in
 * the compressed network, compressed (the dense ones there only fill the
 * network). */
static int stores(const calibration *c, int l) {
  const sp_profile_record *r = c->chosen[l];
  return r && sp_profile_record_level(r) == c->level &&
         (!c->compressed || r->compression.kind != SP_WEIGHTS_DENSE);
}

static sp_status calibration_init(const sp_graph *g, const sp_profile *p, int k, int compressed, calibration *c) {
  size_t n = (size_t)g->n_nodes, per = (size_t)p->config.batch * sp_dims_count(g->input);
  *c = (calibration){.n_nodes = g->n_nodes, .level = k, .compressed = compressed};
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
    const sp_profile_layer *y = &p->layers[l];
    int in = group_level(p, y->group_in, k), out = group_level(p, y->group_out, k);
    /* weights in plain dense size: the network streams the model's bytes,
     * not those of every layer's most expanded format (see the header) */
    double plain = sp_profile_dense_bytes(p, l, in, out) * (1 + PLAIN_SLACK);
    const sp_profile_record *r = compressed ? sp_profile_fastest_compressed(p, l, in, out, plain) : NULL;
    if (!r) r = sp_profile_fastest_dense(p, l, in, out, NULL, 0, plain);
    const sp_variant *v = r ? sp_registry_find(r->variant) : NULL;
    if (!v || !y->measured) continue;
    c->chosen[l] = r;
    c->variants[l + 1] = v;
    c->params[l + 1] = r->n_params ? r->params : NULL;
    c->threads[l + 1] = r->threads;
  }
  return SP_OK;
}

/* The network calibration c runs: the model with every prunable group at
 * level k and each chosen record's weight compression (loaded again,
 * channel-pruned, then pruned or ternarised as a plan would be; NULL: the
 * model as it is, when there is nothing to apply). */
static sp_status network_at(const sp_graph *g, const sp_profile *p, const calibration *c, sp_graph **out) {
  *out = NULL;
  int k = c->level, n = 0;
  sp_compression cs = {.items = calloc((size_t)(p->n_groups + p->n_layers) + 1, sizeof *cs.items)};
  if (!cs.items) return sp_fail(SP_ERR_RUNTIME, "out of memory");
  for (int i = 0; k > 0 && i < p->n_groups; i++) {
    const sp_profile_group *gr = &p->groups[i];
    if (gr->prunable && k < gr->n_keep) cs.items[cs.n_items++] = sp_compression_keep_item(gr->name, gr->keep[k]);
  }
  for (int l = 0; l + 1 < c->n_nodes; l++) {
    const sp_profile_record *r = c->chosen[l];
    if (!r || r->compression.kind == SP_WEIGHTS_DENSE) continue;
    cs.items[cs.n_items++] = sp_weight_compression_item(p->layers[l].name, r->compression);
    n++;
  }
  sp_status s = SP_OK;
  if (cs.n_items) {
    s = sp_model_load(p->model, out);
    if (!s) s = sp_compression_apply_items(*out, &cs);
    if (!s && (*out)->n_nodes != g->n_nodes)
      s = sp_fail(SP_ERR_RUNTIME, "calibrating in sequence: %s reloads with another structure", p->model);
  }
  free(cs.items);
  if (s) {
    s = sp_fail(SP_ERR_RUNTIME, "calibrating in sequence at keep level %d (%d layers compressed): %s", k, n,
                sp_last_error());
    sp_graph_free(*out);
    *out = NULL;
  }
  return s;
}

static double median_over_rounds(const double *v, int n_nodes, int node) {
  double x[SP_SEQUENCE_ROUNDS];
  for (int r = 0; r < SP_SEQUENCE_ROUNDS; r++) x[r] = v[r * n_nodes + node];
  return sp_quantile(x, SP_SEQUENCE_ROUNDS, 0.5);
}

/* Rounds of (the network at level k, each chosen record alone). */
static sp_status time_level(const sp_graph *g, const sp_profile *p, calibration *c, sp_time_alone_fn alone,
                            void *ctx, const volatile int *stop) {
  sp_exec_options eo = sp_exec_options_default();
  eo.batch = p->config.batch;
  eo.variants = c->variants;
  eo.params = c->params;
  eo.node_threads = c->threads;
  sp_sequence_network net = {.graph = g, .options = eo, .input = c->in, .output = c->out};
  int runs = runs_per_round(p, c->chosen), n = c->n_nodes;
  double *median = malloc((size_t)n * sizeof *median), total;
  sp_status s = median ? SP_OK : sp_fail(SP_ERR_RUNTIME, "out of memory calibrating the profile in sequence");
  for (int round = 0; !s && round < SP_SEQUENCE_ROUNDS && !(stop && *stop); round++) {
    s = sp_time_in_sequence(&net, 1, (const sp_variant **const *)&c->variants, runs, &median, &total);
    /* Each layer's share of the network's median run: a run's latency is
     * the median of whole runs, which exceeds the sum of the layers'
     * medians (each layer's time is skewed to the right, by interrupts and
     * the other tenants, and not all in the same runs). */
    double sum = 0;
    for (int i = 1; !s && i < n; i++) sum += median[i];
    const double share = sum > 0 && total > 0 ? total / sum : 1.0;
    for (int i = 1; !s && i < n; i++) c->in_sequence[round * n + i] = 1e3 * median[i] * share;
    for (int l = 0; !s && l + 1 < n && !(stop && *stop); l++)
      if (stores(c, l)) s = alone(ctx, l, c->chosen[l], &c->alone[round * n + l + 1]);
  }
  free(median);
  return s;
}

/* Stores the calibration of every layer it stores (stores()). */
static void store_level(sp_profile *p, const calibration *c) {
  int n = c->n_nodes, k = c->level;
  for (int l = 0; l + 1 < n; l++) {
    const sp_profile_record *r = c->chosen[l];
    if (!stores(c, l)) continue;
    double a = median_over_rounds(c->alone, n, l + 1), q = median_over_rounds(c->in_sequence, n, l + 1);
    if (!(a > 0) || !(q > 0)) continue; /* too fast for the clock: no scale */
    sp_profile_sequence *y = c->compressed ? &p->layers[l].sequence_compressed[k] : &p->layers[l].sequence[k];
    *y = (sp_profile_sequence){.keep_in = r->keep_in, .keep_out = r->keep_out, .threads = r->threads,
                               .alone_ms = a, .in_sequence_ms = q,
                               .evict_bytes = r->evict_bytes > 0 ? r->evict_bytes : 0,
                               .compression = r->compression};
    snprintf(y->variant, sizeof y->variant, "%s", r->variant);
  }
}

/* Whether calibration c has something to store. */
static int stores_any(const calibration *c) {
  for (int l = 0; l + 1 < c->n_nodes; l++)
    if (stores(c, l)) return 1;
  return 0;
}

/* The layers' calibrations as the file held them, to put back when the
 * calibration fails or stops (all or nothing). */
typedef struct saved_calibration {
  sp_profile_sequence dense[SP_MAX_KEEP], compressed[SP_MAX_KEEP];
} saved_calibration;

sp_status sp_profile_calibrate_sequence(const sp_graph *g, sp_profile *p, sp_time_alone_fn alone,
                                        void *ctx, const volatile int *stop) {
  int levels = 1;
  for (int i = 0; i < p->n_groups; i++)
    if (p->groups[i].prunable && p->groups[i].n_keep > levels) levels = p->groups[i].n_keep;
  saved_calibration *found = calloc((size_t)p->n_layers + 1, sizeof *found);
  if (!found) return sp_fail(SP_ERR_RUNTIME, "out of memory calibrating the profile in sequence");
  for (int l = 0; l < p->n_layers; l++) {
    sp_profile_layer *y = &p->layers[l];
    memcpy(found[l].dense, y->sequence, sizeof y->sequence);
    memcpy(found[l].compressed, y->sequence_compressed, sizeof y->sequence_compressed);
    memset(y->sequence, 0, sizeof y->sequence);
    memset(y->sequence_compressed, 0, sizeof y->sequence_compressed);
  }
  sp_status s = SP_OK;
  /* per level the dense network, then the compressed one */
  for (int i = 0; !s && i < 2 * levels && !(stop && *stop); i++) {
    sp_graph *net = NULL;
    calibration c;
    s = calibration_init(g, p, i / 2, i % 2, &c);
    if (s) break;
    if (!stores_any(&c)) {
      calibration_free(&c);
      continue;
    }
    s = network_at(g, p, &c, &net);
    if (!s) s = time_level(net ? net : g, p, &c, alone, ctx, stop);
    if (!s && !(stop && *stop)) store_level(p, &c);
    calibration_free(&c);
    sp_graph_free(net);
  }
  if (s || (stop && *stop))
    for (int l = 0; l < p->n_layers; l++) {
      memcpy(p->layers[l].sequence, found[l].dense, sizeof found[l].dense);
      memcpy(p->layers[l].sequence_compressed, found[l].compressed, sizeof found[l].compressed);
    }
  free(found);
  return s;
}
