/* The in-memory profile: defaults, comparison, growing arrays (profile.h). */
#define _POSIX_C_SOURCE 200809L /* gmtime_r, sysconf */
#include "profiler/profile.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/core/timer.h"

sp_profile_config sp_profile_config_default(int quick) {
  sp_profile_config c = {.quick = quick, .batch = 1, .device = -1, .n_ternary = 1,
                         .ternary = {0.7}, .n_threads = 1, .threads = {1}};
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  if (quick) {
    c.n_prune = 2;
    c.prune[0] = 0.5;
    c.prune[1] = 0.9;
    c.n_keep = 1;
    c.keep[0] = 0.5;
    c.protocol = sp_protocol_options_quick();
    return c;
  }
  if (cores > 1) c.threads[c.n_threads++] = cores > 256 ? 256 : (int)cores;
  static const double prune[] = {0.5, 0.7, 0.8, 0.9, 0.95}, keep[] = {0.75, 0.5, 0.25};
  c.n_prune = 5;
  memcpy(c.prune, prune, sizeof prune);
  c.n_keep = 3;
  memcpy(c.keep, keep, sizeof keep);
  c.protocol = sp_protocol_options_default();
  return c;
}

static int same_list(const double *a, int na, const double *b, int nb) {
  if (na != nb) return 0;
  for (int i = 0; i < na; i++)
    if (fabs(a[i] - b[i]) > 1e-12) return 0;
  return 1;
}

static int same(double a, double b) { return fabs(a - b) <= 1e-12 * (fabs(a) + fabs(b)); }

const char *sp_profile_config_diff(const sp_profile_config *a, const sp_profile_config *b) {
  if (a->n_threads != b->n_threads ||
      memcmp(a->threads, b->threads, (size_t)a->n_threads * sizeof a->threads[0]))
    return "threads";
  if (a->quick != b->quick) return "quick";
  if (a->batch != b->batch) return "batch";
  if (!same_list(a->prune, a->n_prune, b->prune, b->n_prune)) return "grid.prune";
  if (!same_list(a->ternary, a->n_ternary, b->ternary, b->n_ternary)) return "grid.ternary";
  if (!same_list(a->keep, a->n_keep, b->keep, b->n_keep)) return "grid.keep";
  if (a->device != b->device) return "device";
  if (strcmp(a->variants, b->variants)) return "variants";
  const sp_protocol_options *p = &a->protocol, *q = &b->protocol;
  if (p->warmup != q->warmup) return "protocol.warmup";
  if (p->min_runs != q->min_runs) return "protocol.min_runs";
  if (p->max_runs != q->max_runs) return "protocol.max_runs";
  if (!same(p->min_seconds, q->min_seconds)) return "protocol.min_seconds";
  if (!same(p->max_seconds, q->max_seconds)) return "protocol.max_seconds";
  if (!same(p->rel_ci, q->rel_ci)) return "protocol.rel_ci";
  if (!same(p->batch_seconds, q->batch_seconds)) return "protocol.batch_seconds";
  if (!same(p->outlier_ratio, q->outlier_ratio)) return "protocol.outlier_ratio";
  if (p->max_remeasure != q->max_remeasure) return "protocol.max_remeasure";
  if (!same(p->race_ratio, q->race_ratio)) return "protocol.race_ratio";
  if (p->cold_caches != q->cold_caches) return "protocol.cold_caches";
  return NULL;
}

void sp_profile_free(sp_profile *p) {
  free(p->groups);
  free(p->layers);
  free(p->records);
  free(p->transitions);
  memset(p, 0, sizeof *p);
}

static int reserve(void **array, int *cap, int need, size_t size) {
  if (need <= *cap) return 0;
  int n = *cap ? 2 * *cap : 64;
  while (n < need) n *= 2;
  void *grown = realloc(*array, (size_t)n * size);
  if (!grown) return -1;
  *array = grown;
  *cap = n;
  return 0;
}

sp_status sp_profile_add_record(sp_profile *p, const sp_profile_record *r) {
  if (reserve((void **)&p->records, &p->cap_records, p->n_records + 1, sizeof *r))
    return sp_fail(SP_ERR_RUNTIME, "out of memory for profile records");
  p->records[p->n_records++] = *r;
  return SP_OK;
}

sp_status sp_profile_add_transition(sp_profile *p, const sp_profile_transition *t) {
  if (reserve((void **)&p->transitions, &p->cap_transitions, p->n_transitions + 1, sizeof *t))
    return sp_fail(SP_ERR_RUNTIME, "out of memory for profile transitions");
  p->transitions[p->n_transitions++] = *t;
  return SP_OK;
}

/* Median, lower quartile, least and most of v[0..n) (sorted in place); n is
 * .layers. */
static sp_profile_speed summary(double *v, int n) {
  sp_profile_speed sp = {.layers = n};
  if (n) {
    sp.median = sp_quantile(v, n, 0.5); /* sorts v */
    sp.lower_quartile = sp_quantile(v, n, 0.25);
    sp.min = v[0];
    sp.max = v[n - 1];
  }
  return sp;
}

sp_profile_speed sp_profile_network_speed(const sp_profile *p) {
  sp_profile_speed sp = {0};
  double *v = malloc((size_t)(p->n_layers + 1) * sizeof *v);
  if (!v) return sp;
  for (int i = 0; i < p->n_layers; i++)
    if (p->layers[i].measured && p->layers[i].network_ms > 0) v[sp.layers++] = p->layers[i].network_ms;
  sp = summary(v, sp.layers);
  free(v);
  return sp;
}

static double factor_of(const sp_profile_sequence *q) {
  return q->alone_ms > 0 ? q->in_sequence_ms / q->alone_ms : 1.0;
}

sp_profile_speed sp_profile_sequence_summary(const sp_profile *p) {
  sp_profile_speed sp = {0};
  double *v = malloc((size_t)(2 * p->n_layers * SP_MAX_KEEP + 1) * sizeof *v);
  if (!v) return sp;
  for (int l = 0; l < p->n_layers; l++)
    for (int k = 0; k < SP_MAX_KEEP; k++)
      for (int c = 0; c < 2; c++) {
        const sp_profile_sequence *q = c ? &p->layers[l].sequence_compressed[k] : &p->layers[l].sequence[k];
        if (q->alone_ms > 0) v[sp.layers++] = factor_of(q);
      }
  sp = summary(v, sp.layers);
  free(v);
  return sp;
}

static int host_at(const sp_profile_record *r, int l, int keep_in, int keep_out) {
  return r->layer == l && !r->failed && r->device < 0 && r->keep_in == keep_in && r->keep_out == keep_out;
}

static int dense_host_at(const sp_profile_record *r, int l, int keep_in, int keep_out) {
  return host_at(r, l, keep_in, keep_out) && r->compression.kind == SP_WEIGHTS_DENSE;
}

/* The fastest of layer l's host records at (keep_in, keep_out): dense ones
 * (dense 1) or compressed ones (dense 0). */
static const sp_profile_record *fastest(const sp_profile *p, int l, int keep_in, int keep_out, const char *variant,
                                        int threads, double max_bytes, int dense) {
  const sp_profile_record *best = NULL;
  for (int i = 0; i < p->n_records; i++) {
    const sp_profile_record *r = &p->records[i];
    if (!host_at(r, l, keep_in, keep_out) || (r->compression.kind == SP_WEIGHTS_DENSE) != dense ||
        (max_bytes > 0 && r->weight_bytes > max_bytes))
      continue;
    if (variant && (strcmp(r->variant, variant) || r->threads != threads)) continue;
    if (!best || r->median_ms < best->median_ms) best = r;
  }
  return best;
}

const sp_profile_record *sp_profile_fastest_dense(const sp_profile *p, int l, int keep_in, int keep_out,
                                                  const char *variant, int threads, double max_bytes) {
  return fastest(p, l, keep_in, keep_out, variant, threads, max_bytes, 1);
}

const sp_profile_record *sp_profile_fastest_compressed(const sp_profile *p, int l, int keep_in, int keep_out,
                                                       double max_bytes) {
  return fastest(p, l, keep_in, keep_out, NULL, 0, max_bytes, 0);
}

double sp_profile_dense_bytes(const sp_profile *p, int l, int keep_in, int keep_out) {
  double least = 0;
  for (int i = 0; i < p->n_records; i++) {
    const sp_profile_record *r = &p->records[i];
    if (dense_host_at(r, l, keep_in, keep_out) && (least == 0 || r->weight_bytes < least)) least = r->weight_bytes;
  }
  return least;
}

int sp_profile_record_level(const sp_profile_record *r) {
  return r->keep_in > r->keep_out ? r->keep_in : r->keep_out;
}

double sp_profile_sequence_factor(const sp_profile *p, int l, int k) {
  return factor_of(&p->layers[l].sequence[k]);
}

double sp_profile_record_ms(const sp_profile *p, const sp_profile_record *r) {
  int k = sp_profile_record_level(r);
  const sp_profile_layer *l = &p->layers[r->layer];
  /* A reused record runs the dense kernel on the dense weights' layout: it is
   * its dense twin, in the network as alone, so it takes the dense factor. */
  int compressed = r->compression.kind != SP_WEIGHTS_DENSE && !r->reused;
  const sp_profile_sequence *q =
      compressed && l->sequence_compressed[k].alone_ms > 0 ? &l->sequence_compressed[k] : &l->sequence[k];
  int alike = r->evict_bytes < 0 || (r->evict_bytes > 0) == (q->evict_bytes > 0);
  return r->device < 0 && alike ? r->median_ms * factor_of(q) : r->median_ms;
}

int sp_profile_find_layer(const sp_profile *p, const char *name) {
  for (int i = 0; i < p->n_layers; i++)
    if (!strcmp(p->layers[i].name, name)) return i;
  return -1;
}

const sp_profile_transition *sp_profile_find_transition(const sp_profile *p, int tensor,
                                                        int keep) {
  for (int i = 0; i < p->n_transitions; i++)
    if (p->transitions[i].layer == tensor && p->transitions[i].keep == keep)
      return &p->transitions[i];
  return NULL;
}

void sp_profile_drop_unmeasured(sp_profile *p) {
  int k = 0;
  for (int i = 0; i < p->n_records; i++)
    if (p->layers[p->records[i].layer].measured) p->records[k++] = p->records[i];
  p->n_records = k;
  k = 0;
  for (int i = 0; i < p->n_transitions; i++) {
    int l = p->transitions[i].layer;
    if (l < 0 || p->layers[l].measured) p->transitions[k++] = p->transitions[i];
  }
  p->n_transitions = k;
}

void sp_profile_now(char out[32]) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
