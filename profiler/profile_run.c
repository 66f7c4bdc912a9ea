/* The profile's measurement loop: layers, their cases, transitions, saving
 * (profile_run.h). */
#define _POSIX_C_SOURCE 200809L /* unlink */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernels/registry.h"
#include "profiler/profile_grid.h"
#include "profiler/profile_io.h"
#include "profiler/profile_journal.h"
#include "profiler/profile_run.h"

#include "engine/graph/model_info.h"
#include "profiler/profile_sequence.h"
#include "profiler/reference_network.h"
#include "engine/core/timer.h"
#include "profiler/transfer.h"

#define MAX_SIZES 256
#define DOMINANCE_RATIO 1.5 /* --quick: slower by this factor with no less memory */

typedef struct run_state {
  const sp_graph *g;
  sp_profile *p;
  const sp_profile_run_options *o;
  sp_channel_groups cg;
  sp_keep_table kt;
  sp_protocol_options proto;
  long tasks_done, tasks_total;
  double t0;
  int n_sizes;                 /* transfers timed by this run, by size */
  double size_bytes[MAX_SIZES];
  sp_profile_transition size_result[MAX_SIZES];
  sp_profile_task tasks[SP_PROFILE_MAX_TASKS];
  sp_case_result results[SP_PROFILE_MAX_TASKS];
  /* timed before each layer to tell the quieter core (net.e NULL: out of
   * memory, layers measured wherever the scheduler puts them) */
  sp_reference_network net;
  int cpu;                     /* where the current layer is measured, -1: anywhere */
  double network_ms;           /* the network's median there just before, 0: unknown */
  unsigned char *measured_now; /* per layer: measured by this run (only those settle) */
  sp_profile_journal journal;  /* of the layer in progress */
  sp_profile_journal_resume resume; /* what a resumed journal gave back (layer -1: nothing) */
} run_state;

static void close_network(run_state *st) {
  if (st->net.e) sp_quiet_core_release();
  sp_reference_network_close(&st->net);
}

static int stopping(const run_state *st) { return st->o->stop && *st->o->stop; }

static void report(run_state *st, sp_profile_event ev, int layer, int layer_records) {
  if (!st->o->progress) return;
  sp_profile_progress pr = {.event = ev, .layer = layer, .layers_total = st->p->n_layers,
                            .tasks_done = st->tasks_done, .tasks_total = st->tasks_total,
                            .elapsed = sp_time_now() - st->t0, .eta = -1,
                            .layer_records = layer_records, .cpu = st->cpu};
  for (int i = 0; i < st->p->n_layers; i++) pr.layers_done += st->p->layers[i].measured;
  if (st->tasks_done > 0 && st->tasks_total >= st->tasks_done)
    pr.eta = pr.elapsed / (double)st->tasks_done * (double)(st->tasks_total - st->tasks_done);
  st->o->progress(st->o->progress_ctx, &pr, st->p);
}

/* Timings the cases of node `node` will take (for the ETA). */
static long count_tasks(run_state *st, int node) {
  sp_profile_case cases[SP_PROFILE_MAX_CASES];
  int n = sp_profile_cases(st->g, &st->cg, &st->kt, &st->p->config, node, cases, SP_PROFILE_MAX_CASES);
  long total = 0, per_kind[3] = {-1, -1, -1};
  for (int c = 0; c < n; c++) {
    int k = cases[c].compression.kind;
    if (per_kind[k] < 0)
      per_kind[k] = sp_profile_tasks(st->g, node, &st->p->config, st->o->device != NULL,
                                     (sp_weight_compression)k, st->tasks, SP_PROFILE_MAX_TASKS);
    total += per_kind[k];
  }
  return total;
}

static int has_key(const char *list, const char *key) {
  size_t len = strlen(key);
  for (const char *p = list; (p = strstr(p, key)); p += len)
    if ((p == list || p[-1] == ',') && (p[len] == ',' || !p[len])) return 1;
  return 0;
}

static void append_key(char *list, size_t cap, const char *key) {
  size_t n = strlen(list);
  if (n + strlen(key) + 2 <= cap) snprintf(list + n, cap - n, "%s%s", n ? "," : "", key);
}

static sp_profile_record record_of(const run_state *st, int layer, const sp_profile_case *c,
                                   const sp_profile_task *t, const sp_case_result *r, double evict) {
  const sp_variant *v = t->variant;
  sp_profile_record rec = {.layer = layer, .keep_in = c->level_in, .keep_out = c->level_out,
                           .compression = c->compression, .backend = v->backend,
                           .device = sp_variant_on_device(v) ? st->p->config.device : -1,
                           .threads = t->threads, .n_params = r->n_params, .tuned = r->tuned};
  snprintf(rec.variant, sizeof rec.variant, "%s", v->name);
  for (int i = 0; i < r->n_params; i++) {
    snprintf(rec.param_names[i], sizeof rec.param_names[i], "%s", v->params->params[i].name);
    rec.params[i] = r->point[i];
  }
  if (r->status) {
    rec.failed = 1;
    snprintf(rec.error, sizeof rec.error, "%s", r->error[0] ? r->error : "failed");
    return rec;
  }
  const sp_protocol_task *pt = &r->timing;
  rec.median_ms = 1e3 * pt->timing.median;
  rec.p10_ms = 1e3 * pt->timing.p10;
  rec.p90_ms = 1e3 * pt->timing.p90;
  rec.n = pt->timing.n;
  rec.noise = pt->noise;
  rec.converged = pt->converged;
  rec.dominated = pt->dominated;
  rec.weight_bytes = (double)r->bench.weight_bytes;
  rec.workspace_bytes = (double)r->bench.workspace_bytes;
  rec.prepare_ms = 1e3 * r->bench.prepare_seconds;
  rec.evict_bytes = sp_variant_on_device(v) ? 0 : evict; /* device buffers live apart */
  return rec;
}

/* Dense variants under compression: the records of the uncompressed case of
 * the same keep levels, marked reused (profile_grid.h). */
static sp_status reuse_dense(sp_profile *p, int first, const sp_profile_case *c) {
  int end = p->n_records;
  for (int i = first; i < end; i++) {
    sp_profile_record r = p->records[i];
    const sp_variant *v = sp_registry_find(r.variant);
    if (r.keep_in != c->level_in || r.keep_out != c->level_out || r.reused ||
        r.compression.kind != SP_WEIGHTS_DENSE || v->format != SP_FORMAT_DENSE)
      continue;
    r.compression = c->compression;
    r.reused = 1;
    sp_status s = sp_profile_add_record(p, &r);
    if (s) return s;
  }
  return SP_OK;
}

/* --quick: after the first case that measures a format, drop the tasks of
 * that format dominated by another of the same residency: slower by
 * DOMINANCE_RATIO with no more weight + workspace memory. */
static void skip_dominated(run_state *st, sp_profile_layer *l, int n, unsigned *judged) {
  unsigned formats = 0;
  for (int i = 0; i < n; i++) formats |= 1u << st->tasks[i].variant->format;
  for (int i = 0; i < n; i++) {
    const sp_case_result *a = &st->results[i];
    const sp_variant *va = st->tasks[i].variant;
    if (*judged & (1u << va->format) || a->unsupported || a->status) continue;
    double mem_a = (double)(a->bench.weight_bytes + a->bench.workspace_bytes);
    for (int j = 0; j < n; j++) {
      const sp_case_result *b = &st->results[j];
      const sp_variant *vb = st->tasks[j].variant;
      if (j == i || b->unsupported || b->status || vb->format != va->format ||
          sp_variant_on_device(vb) != sp_variant_on_device(va))
        continue;
      if (b->timing.timing.median * DOMINANCE_RATIO <= a->timing.timing.median &&
          (double)(b->bench.weight_bytes + b->bench.workspace_bytes) <= mem_a) {
        char key[SP_NAME_MAX + 16];
        sp_profile_task_key(&st->tasks[i], key, sizeof key);
        append_key(l->skipped, sizeof l->skipped, key);
        break;
      }
    }
  }
  *judged |= formats;
}

/* Bytes of node i's weights with the network pruned uniformly to keep
 * fraction f: they scale with f² (both channel counts). */
static double node_weight_bytes(const run_state *st, int i, double f) {
  return (double)sp_node_weight_bytes(st->g, &st->g->nodes[i]) * f * f;
}

/* The activation bytes a run of the network touches: the executor reuses
 * its buffers by liveness, so not the sum of all outputs but about the
 * largest inputs-plus-output of one node, scaled by the keep f. */
static double activation_bytes(const run_state *st, double f) {
  double peak = 0;
  for (int i = 1; i < st->g->n_nodes; i++) {
    const sp_node *n = &st->g->nodes[i];
    double b = (double)sp_dims_count(n->out);
    for (int j = 0; j < n->n_inputs; j++) b += (double)sp_dims_count(sp_node_in(st->g, n, j));
    if (b > peak) peak = b;
  }
  return peak * (double)st->p->config.batch * sizeof(float) * f;
}

/* What passes through the caches between two runs of node `node` inside
 * the network, the case's output keep taken as the network's: the other
 * nodes' weights and the activation buffers — 0 when all of it fits in L2,
 * as then it stays there (sp_protocol_evict_bytes caps the rest). */
static double other_bytes(const run_state *st, int node, const sp_profile_case *c) {
  const sp_profile_group *gr = &st->p->groups[st->p->layers[node - 1].group_out];
  double f = gr->keep[c->level_out], total = activation_bytes(st, f);
  for (int i = 1; i < st->g->n_nodes; i++)
    if (i != node) total += node_weight_bytes(st, i, f);
  return sp_protocol_fits_l2(total + node_weight_bytes(st, node, f)) ? 0 : total;
}

static sp_status measure_case(run_state *st, int layer, const sp_profile_case *c, unsigned *judged) {
  sp_profile *p = st->p;
  sp_profile_layer *l = &p->layers[layer];
  int node = layer + 1, n = 0;
  int all = sp_profile_tasks(st->g, node, &p->config, st->o->device != NULL,
                             c->compression.kind, st->tasks, SP_PROFILE_MAX_TASKS);
  for (int i = 0; i < all; i++) { /* leave out what --quick found dominated */
    char key[SP_NAME_MAX + 16];
    sp_profile_task_key(&st->tasks[i], key, sizeof key);
    if (!has_key(l->skipped, key)) st->tasks[n++] = st->tasks[i];
  }
  if (!n) return SP_OK;
  sp_graph *inst = NULL;
  sp_protocol_options proto = st->proto;
  proto.evict_bytes = sp_protocol_evict_bytes(&proto, other_bytes(st, node, c));
  sp_status s = sp_layer_instance_build(st->g, &st->cg, &st->kt, node, c->level_in, c->level_out,
                                        c->compression, &inst);
  if (s == SP_ERR_RUNTIME) return s;
  if (s) { /* an instance that cannot be built fails its tasks, the profile goes on */
    for (int i = 0; i < n; i++) {
      st->results[i] = (sp_case_result){.status = s};
      snprintf(st->results[i].error, sizeof st->results[i].error, "%s", sp_last_error());
    }
  } else {
    sp_profile_case_measure(inst, st->tasks, n, p->config.batch, st->o->device, &proto,
                            st->o->tuned, st->o->tuned_ctx, st->results);
  }
  sp_graph_free(inst);
  for (int i = 0; i < n; i++) {
    if (st->results[i].unsupported) continue;
    sp_profile_record rec = record_of(st, layer, c, &st->tasks[i], &st->results[i], (double)proto.evict_bytes);
    if (sp_profile_add_record(p, &rec)) return SP_ERR_RUNTIME;
  }
  if (p->config.quick) skip_dominated(st, l, n, judged);
  st->tasks_done += n;
  return SP_OK;
}

/* Whether a device variant may run node i or one of its consumers: then
 * its output may cross between host and device. */
static int may_cross(run_state *st, int i) {
  const sp_profile_config *c = &st->p->config;
  static const sp_weight_compression kinds[] = {SP_WEIGHTS_DENSE, SP_WEIGHTS_PRUNE,
                                                SP_WEIGHTS_TERNARY};
  for (int j = i; j < st->g->n_nodes; j++) {
    const sp_node *n = &st->g->nodes[j];
    int reads = n->inputs[0] == i || (n->n_inputs > 1 && n->inputs[1] == i);
    if (j == 0 || (j != i && !reads)) continue;
    for (int k = 0; k < 3; k++) {
      int count = sp_profile_tasks(st->g, j, c, 1, kinds[k], st->tasks, SP_PROFILE_MAX_TASKS);
      for (int t = 0; t < count; t++)
        if (sp_variant_on_device(st->tasks[t].variant)) return 1;
    }
  }
  return 0;
}

/* Host<->device copies of node i's output at each keep level of its group;
 * a size timed before in this run is not timed again. */
static sp_status measure_transitions(run_state *st, int i) {
  if (!st->o->device || !may_cross(st, i)) return SP_OK;
  sp_profile *p = st->p;
  sp_measure_options mopt = sp_protocol_measure_options(&st->proto);
  int group = st->cg.group_of[i];
  for (int k = 0; k < st->kt.groups[group].n_levels; k++) {
    if (sp_profile_find_transition(p, i - 1, k)) continue;
    double bytes = (double)p->config.batch * (double)sp_dims_count(sp_kept_dims(st->g, &st->cg, &st->kt, i, k)) * sizeof(float);
    sp_profile_transition t = {.layer = i - 1, .keep = k, .bytes = bytes};
    int known = -1;
    for (int j = 0; j < st->n_sizes; j++)
      if (st->size_bytes[j] == bytes) known = j;
    if (known >= 0) {
      t = st->size_result[known];
    } else {
      sp_transfer_timing tt;
      if (sp_transfer_bench(st->o->device, (size_t)bytes, &mopt, &tt)) {
        t.failed = 1;
        snprintf(t.error, sizeof t.error, "%s", sp_last_error());
      }
      t.h2d_ms = 1e3 * tt.upload.median;
      t.d2h_ms = 1e3 * tt.download.median;
      if (st->n_sizes < MAX_SIZES) {
        st->size_bytes[st->n_sizes] = bytes;
        st->size_result[st->n_sizes++] = t;
      }
    }
    t.layer = i - 1;
    t.keep = k;
    snprintf(t.tensor, sizeof t.tensor, "%s", st->g->nodes[i].name);
    sp_status s = sp_profile_add_transition(p, &t);
    if (s) return s;
  }
  return SP_OK;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void layer_noise(sp_profile *p, int layer, int first) {
  sp_profile_layer *l = &p->layers[layer];
  double *v = malloc((size_t)(p->n_records - first + 1) * sizeof *v);
  int n = 0;
  l->noise_median = l->noise_max = 0;
  l->unconverged = 0;
  for (int i = first; i < p->n_records; i++) {
    const sp_profile_record *r = &p->records[i];
    if (r->failed || r->reused) continue;
    l->unconverged += !r->converged && !r->dominated;
    if (r->noise > l->noise_max) l->noise_max = r->noise;
    if (v) v[n++] = r->noise;
  }
  if (n) {
    qsort(v, (size_t)n, sizeof *v, by_value);
    l->noise_median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  }
  free(v);
}

static sp_status measure_layer(run_state *st, int layer, int *interrupted) {
  sp_profile *p = st->p;
  int node = layer + 1, first = p->n_records, first_t = p->n_transitions, c0 = 0;
  sp_profile_case cases[SP_PROFILE_MAX_CASES];
  int n = sp_profile_cases(st->g, &st->cg, &st->kt, &p->config, node, cases, SP_PROFILE_MAX_CASES);
  unsigned judged = 0;
  double t0 = sp_time_now(), before = 0;
  const sp_profile_journal_resume *known = st->resume.layer == layer ? &st->resume : NULL;
  if (known) { /* its first cases came back from the journal: records [first, n_records) */
    first = known->first;
    c0 = known->cases_done;
    judged = known->judged;
    before = known->seconds;
  } else {
    p->layers[layer].skipped[0] = 0;
  }
  sp_profile_journal_start(&st->journal, st->o->path, p, layer, known, first);
  st->resume.layer = -1; /* given back once */
  sp_status s = SP_OK;
  for (int c = c0; c < n && !s && !stopping(st); c++) {
    int from = p->n_records;
    if (cases[c].compression.kind != SP_WEIGHTS_DENSE) s = reuse_dense(p, first, &cases[c]);
    if (!s) s = measure_case(st, layer, &cases[c], &judged);
    if (!s && !stopping(st)) /* on the disk before the next case starts */
      sp_profile_journal_case(&st->journal, p, layer, from, c + 1, judged, before + sp_time_now() - t0);
    if (!s) report(st, SP_PROFILE_EVENT_CASE, layer, 0);
  }
  if (!s && !stopping(st)) s = measure_transitions(st, node);
  sp_profile_journal_close(&st->journal); /* removed once the layer is saved */
  if (s || stopping(st)) { /* the file gets a layer whole or not at all; the journal keeps its cases */
    p->n_records = first;
    p->n_transitions = first_t;
    *interrupted = !s;
    return s;
  }
  layer_noise(p, layer, first);
  p->layers[layer].network_ms = st->network_ms;
  p->layers[layer].seconds = before + sp_time_now() - t0;
  p->layers[layer].measured = 1;
  return SP_OK;
}

/* Record r of `layer` timed alone again as measure_case timed it
 * (profile_sequence.h). */
static sp_status time_alone(void *ctx, int layer, const sp_profile_record *r, double *ms) {
  run_state *st = ctx;
  int node = layer + 1;
  sp_profile_case c = {.level_in = r->keep_in, .level_out = r->keep_out, .compression = r->compression};
  sp_profile_task t = {.variant = sp_registry_find(r->variant), .threads = r->threads};
  sp_graph *inst = NULL;
  sp_status s = sp_layer_instance_build(st->g, &st->cg, &st->kt, node, c.level_in, c.level_out,
                                        c.compression, &inst);
  if (s) return sp_fail(SP_ERR_RUNTIME, "calibrating layer %s: %s", st->p->layers[layer].name, sp_last_error());
  sp_protocol_options proto = st->proto;
  proto.evict_bytes = sp_protocol_evict_bytes(&proto, other_bytes(st, node, &c));
  sp_case_result res = {0};
  sp_profile_case_measure(inst, &t, 1, st->p->config.batch, NULL, &proto, NULL, NULL, &res);
  sp_graph_free(inst);
  if (res.unsupported || res.status)
    return sp_fail(SP_ERR_RUNTIME, "calibrating layer %s: %s failed: %s", st->p->layers[layer].name,
                   r->variant, res.error[0] ? res.error : "unsupported");
  *ms = 1e3 * res.timing.timing.median;
  return SP_OK;
}

/* Every layer measured and something new since the last calibration. */
static int needs_calibration(const sp_profile *p, int measured_now) {
  int missing = 0;
  for (int l = 0; l < p->n_layers; l++) {
    if (!p->layers[l].measured) return 0;
    missing |= !(p->layers[l].sequence[0].alone_ms > 0);
  }
  return measured_now || missing;
}

static sp_status save(run_state *st) {
  sp_profile_now(st->p->updated);
  return sp_profile_save(st->o->path, st->p);
}

/* Saves a layer just measured whole; its journal is then of no use. */
static sp_status save_layer(run_state *st) {
  sp_status s = save(st);
  if (!s) sp_profile_journal_finish(&st->journal);
  return s;
}

/* A layer measured while the reference network took more than SP_SETTLE_RATIO
 * times its usual time in this profile (the lower quartile over the layers,
 * or its time after the last layer when quicker) is measured again once the
 * machine is back to that speed: the host slows a vCPU by up to 35% for tens
 * of seconds (docs/profiling.md), and a layer measured then would be
 * predicted too slow. One pass, after the last
 * layer, over the layers this run measured (a resumed layer is never
 * measured again); a layer still slow then keeps its records. */
#define SETTLE_TRIES 3

static sp_status settle(run_state *st, sp_profile_run_result *res) {
  sp_profile *p = st->p;
  double usual = sp_profile_network_speed(p).lower_quartile;
  /* The host may have been busy for the whole profile (a ResNet-18 front
   * profiled 1.11x slower than it ran): the reference network now, the
   * best of a few tries, sets the level when it is quicker. */
  for (int i = 0; i < SETTLE_TRIES && usual > 0; i++) {
    double now = 1e3 * sp_reference_network_pin(&st->net).fastest;
    if (now > 0 && now < usual) usual = now;
  }
  sp_status s = SP_OK;
  for (int l = 0; !s && usual > 0 && l < p->n_layers && !stopping(st); l++) {
    if (!st->measured_now[l] || !(p->layers[l].network_ms > SP_SETTLE_RATIO * usual)) continue;
    sp_quiet_core q = sp_reference_network_pin(&st->net);
    if (!(1e3 * q.fastest <= SP_SETTLE_RATIO * usual)) continue; /* still slow */
    st->cpu = q.cpu;
    st->network_ms = 1e3 * q.fastest;
    st->tasks_total += count_tasks(st, l + 1);
    p->layers[l].measured = 0;
    sp_profile_drop_unmeasured(p);
    int first = p->n_records;
    s = measure_layer(st, l, &res->interrupted);
    if (s || res->interrupted) break;
    res->layers_settled++;
    s = save_layer(st);
    if (!s) report(st, SP_PROFILE_EVENT_LAYER, l, p->n_records - first);
  }
  return s;
}

sp_status sp_profile_run(const sp_graph *g, sp_profile *p, const sp_profile_run_options *o,
                         sp_profile_run_result *res) {
  *res = (sp_profile_run_result){0};
  run_state *st = calloc(1, sizeof *st);
  if (!st) return sp_fail(SP_ERR_RUNTIME, "out of memory starting the profile");
  st->g = g;
  st->p = p;
  st->o = o;
  st->t0 = sp_time_now();
  st->proto = p->config.protocol;
  st->proto.stop = o->stop;
  st->cpu = -1;
  st->resume.layer = -1;
  sp_profile_drop_unmeasured(p);
  if (o->resume) { /* the cases of the layer in progress, from its journal */
    sp_status js = sp_profile_journal_replay(o->path, p, &st->resume, res->journal_note,
                                             sizeof res->journal_note);
    if (js) {
      free(st);
      return js;
    }
  } else { /* a fresh profile: an old journal beside it is of another */
    char jpath[1100];
    sp_profile_journal_path(o->path, jpath, sizeof jpath);
    unlink(jpath);
  }
  sp_reference_network_open(g, 0, &st->net); /* the profile's graph: its weights stay */
  st->measured_now = calloc((size_t)p->n_layers + 1, 1);
  sp_status s = st->measured_now ? sp_channel_groups_compute(g, &st->cg)
                                 : sp_fail(SP_ERR_RUNTIME, "out of memory starting the profile");
  if (!s) s = sp_keep_table_build(g, &st->cg, p->config.keep, p->config.n_keep, &st->kt);
  for (int l = 0; !s && l < p->n_layers; l++)
    if (!p->layers[l].measured) st->tasks_total += count_tasks(st, l + 1);
  int before = p->n_transitions;
  if (!s) s = measure_transitions(st, 0); /* the network input's */
  if (!s && stopping(st)) p->n_transitions = before; /* cut short: measured again on resume */
  if (!s) s = save(st);
  for (int l = 0; !s && l < p->n_layers; l++) {
    if (p->layers[l].measured) continue;
    if (o->max_layers > 0 && res->layers_measured >= o->max_layers) {
      res->stopped = 1;
      break;
    }
    int first = p->n_records;
    if (st->net.e) {
      sp_quiet_core q = sp_reference_network_pin(&st->net);
      st->cpu = q.cpu;
      st->network_ms = 1e3 * q.fastest;
    }
    s = measure_layer(st, l, &res->interrupted);
    if (s || res->interrupted) break;
    for (int i = first; i < p->n_records; i++) res->records_failed += p->records[i].failed;
    res->layers_measured++;
    st->measured_now[l] = 1;
    s = save_layer(st);
    if (!s) report(st, SP_PROFILE_EVENT_LAYER, l, p->n_records - first);
  }
  int complete = !s && !stopping(st) && !res->interrupted && !res->stopped;
  if (complete && st->net.e && res->layers_measured) {
    s = settle(st, res);
    complete = !s && !stopping(st) && !res->interrupted;
  }
  if (complete && needs_calibration(p, res->layers_measured)) {
    if (st->net.e) st->cpu = sp_reference_network_pin(&st->net).cpu;
    report(st, SP_PROFILE_EVENT_SEQUENCE, 0, 0);
    s = sp_profile_calibrate_sequence(g, p, time_alone, st, o->stop);
    if (!s && !stopping(st)) s = save(st);
  }
  if (!s && stopping(st)) res->interrupted = 1;
  res->seconds = sp_time_now() - st->t0;
  close_network(st);
  sp_keep_table_free(&st->kt);
  sp_channel_groups_free(&st->cg);
  free(st->measured_now);
  free(st);
  return s;
}
