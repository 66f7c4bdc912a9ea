/* Round-robin timing of the tasks of one case (profile_case.h).
 *
 * sp_layer_bench_at prepares a variant, then hands its prepared work to
 * sp_measure, which hands it to our driver (measure.h). The driver does not
 * time it at once: it opens the next task by calling sp_layer_bench_at again
 * from inside, and so on, so that the innermost call holds every task's
 * work prepared at the same time. That one runs the protocol over all of
 * them; then each call returns its task's timing and releases its buffers
 * as the stack unwinds. Nothing of layer_bench's buffer and device handling
 * is duplicated here. */
#include "profiler/profile_case.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/registry.h"

typedef struct chain {
  const sp_graph *g;
  const sp_profile_task *tasks;
  int n, batch;
  void *device;
  const sp_protocol_options *proto;
  sp_measure_options mopt;
  sp_case_result *out;
  int current;                 /* the task whose sp_layer_bench_at calls the driver */
  int reached[SP_PROFILE_MAX_TASKS];
  void (*work[SP_PROFILE_MAX_TASKS])(void *);
  void (*before[SP_PROFILE_MAX_TASKS])(void *);
  void *ctx[SP_PROFILE_MAX_TASKS];
  int ran;
} chain;

static void open_from(chain *c, int j);

static void run_protocol(chain *c) {
  c->ran = 1;
  sp_protocol_task tasks[SP_PROFILE_MAX_TASKS];
  int index[SP_PROFILE_MAX_TASKS], m = 0;
  for (int i = 0; i < c->n; i++)
    if (c->reached[i]) {
      tasks[m] = (sp_protocol_task){.work = c->work[i], .before = c->before[i], .ctx = c->ctx[i]};
      index[m++] = i;
    }
  if (!m) return;
  sp_status s = sp_protocol_run(tasks, m, c->proto);
  for (int k = 0; k < m; k++) {
    sp_case_result *r = &c->out[index[k]];
    r->timing = tasks[k];
    if (s && !r->status) {
      r->status = s;
      snprintf(r->error, sizeof r->error, "%s", sp_last_error());
    }
  }
}

static int driver(void *dctx, void (*work)(void *), void (*before)(void *), void *ctx, sp_timing *out) {
  chain *c = dctx;
  int me = c->current;
  c->reached[me] = 1;
  c->work[me] = work;
  c->before[me] = before;
  c->ctx[me] = ctx;
  open_from(c, me + 1);
  *out = c->out[me].timing.timing;
  return 0;
}

static void open_from(chain *c, int j) {
  for (; j < c->n; j++) {
    sp_case_result *r = &c->out[j];
    if (r->unsupported) continue;
    const sp_profile_task *t = &c->tasks[j];
    int dev = sp_variant_on_device(t->variant);
    c->current = j;
    sp_status s = sp_layer_bench_at(c->g, 1, t->variant, c->batch, t->threads,
                                    dev ? c->device : NULL, r->n_params ? r->point : NULL,
                                    &c->mopt, &r->bench);
    if (s) {
      r->status = s;
      snprintf(r->error, sizeof r->error, "%s", sp_last_error());
    }
    if (c->reached[j]) return; /* the later tasks were opened, and all timed, inside it */
  }
  if (!c->ran) run_protocol(c);
}

void sp_profile_case_measure(const sp_graph *instance, const sp_profile_task *tasks, int n,
                             int batch, void *device, const sp_protocol_options *proto,
                             sp_tuned_point_fn tuned, void *tuned_ctx, sp_case_result *out) {
  if (n > SP_PROFILE_MAX_TASKS) n = SP_PROFILE_MAX_TASKS;
  chain *c = calloc(1, sizeof *c); /* large: arrays of SP_PROFILE_MAX_TASKS */
  for (int i = 0; i < n; i++) {
    memset(&out[i], 0, sizeof out[i]);
    if (!c) {
      out[i].status = SP_ERR_RUNTIME;
      snprintf(out[i].error, sizeof out[i].error, "out of memory");
    }
  }
  if (!c) return;
  c->g = instance;
  c->tasks = tasks;
  c->n = n;
  c->batch = batch;
  c->device = device;
  c->proto = proto;
  c->out = out;
  c->mopt = sp_measure_options_default();
  c->mopt.driver = driver;
  c->mopt.driver_ctx = c;
  c->mopt.evict_bytes = proto->evict_bytes;
  const sp_node *node = &instance->nodes[1];
  for (int i = 0; i < n; i++) {
    sp_case_result *r = &out[i];
    const sp_variant *v = tasks[i].variant;
    r->unsupported = (sp_variant_on_device(v) && !device) || !sp_variant_supports(v, instance, node);
    r->n_params = sp_variant_default_params(v, r->point);
    if (r->n_params && tuned) r->tuned = tuned(tuned_ctx, v, instance, batch, r->point);
  }
  open_from(c, 0);
  free(c);
}
