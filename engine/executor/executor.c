#include "engine/executor/executor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/registry.h"
#include "engine/core/timer.h"
#include "engine/executor/arena_plan.h"
#include "engine/core/memory_guard.h"
#include "engine/opencl/cl_runtime.h"
#include "engine/graph/model_info.h"

struct sp_executor {
  double *node_seconds; /* sp_executor_time_nodes, NULL: off */
  const sp_graph *graph;
  sp_exec_options opt;
  const sp_variant **variant; /* per node */
  void **prepared;            /* per node: the variant's converted weights, or NULL */
  size_t *weight_bytes;       /* per node: bytes of the weights it runs from */
  /* Host memory: every node's output and every host node's workspace at an
   * offset of one arena, placed by their lifetimes (arena_plan.h). */
  float *arena;
  size_t arena_bytes;
  size_t *out_offset;         /* per node: its output's byte offset in the arena */
  size_t *ws_offset;          /* per node: its workspace's offset, NO_WORKSPACE: none */
  size_t peak_live_bytes;     /* largest sum of live activations over the steps */
  /* Device memory: slots shared by liveness, each as large as its largest
   * tenant (a cl_mem cannot be cut at offsets in OpenCL 1.2 without
   * sub-buffer alignment rules), used only for nodes a device node touches. */
  int *buffer_of;             /* per node: its device slot (-1 for the input) */
  int n_buffers;
  size_t *buffer_floats;
  size_t resident_weight_bytes;  /* graph arrays still held + prepared copies, after load */
  size_t load_peak_weight_bytes; /* the most weight bytes held at once while preparing */
  float **node_out;           /* per node, valid during a run */

  /* Residency: nodes whose variant runs on the OpenCL device keep their
   * output in a device buffer of the same slot; per node and run, flags say
   * on which side its output is valid, and a transfer makes it valid on the
   * other side when a consumer needs it there. */
  sp_cl_device *device;       /* opened when some node runs on the device */
  unsigned char *on_device;   /* per node */
  unsigned char *host_valid, *device_valid; /* per node, during a run */
  void **device_buffers;      /* per buffer slot: cl_mem, or NULL when no device node uses it */
  void *device_input;         /* device copy of the graph input, when a device node reads it */
  void *device_workspace;     /* cl_mem of device_workspace_bytes */
  size_t device_workspace_bytes;
  sp_transfer_stats transfers; /* of the last run */
};

sp_exec_options sp_exec_options_default(void) {
  return (sp_exec_options){.batch = 1, .threads = 1, .reference = 0, .variants = NULL,
                           .device = 0, .params = NULL, .node_threads = NULL};
}

static int threads_of(const sp_executor *e, int node) {
  int t = e->opt.node_threads ? e->opt.node_threads[node] : 0;
  return t > 0 ? t : e->opt.threads;
}

static sp_status choose_variants(sp_executor *e) {
  const sp_graph *g = e->graph;
  for (int i = 1; i < g->n_nodes; i++) {
    const sp_node *n = &g->nodes[i];
    const sp_variant *v = e->opt.variants ? e->opt.variants[i] : NULL;
    if (!v) v = e->opt.reference ? sp_registry_reference(n->op) : sp_registry_default(g, n, threads_of(e, i));
    if (!v) return sp_fail(SP_ERR_RUNTIME, "node %s: no kernel for op %s", n->name, sp_op_name(n->op));
    if (!sp_variant_supports(v, g, n))
      return sp_fail(SP_ERR_INPUT, "node %s: variant %s cannot run this %s", n->name, v->name,
                     sp_op_name(n->op));
    e->variant[i] = v;
    e->on_device[i] = (unsigned char)sp_variant_on_device(v);
    if (v->workspace_bytes && e->on_device[i]) {
      size_t ws = v->workspace_bytes(g, n, e->opt.batch);
      if (ws > e->device_workspace_bytes) e->device_workspace_bytes = ws;
    }
    if (e->on_device[i] && !e->device) {
      sp_status s = sp_cl_device_get(e->opt.device, &e->device);
      if (s) return sp_fail(s, "node %s runs %s: %s", n->name, v->name, sp_last_error());
    }
  }
  return SP_OK;
}

/* Lets each chosen variant convert its node's weights once. A node's weight
 * bytes are what its variant prepared (or the dense arrays it reads), plus the
 * float bias, which every variant reads from the node. */
static sp_status prepare_weights(sp_executor *e) {
  const sp_graph *g = e->graph;
  /* Weights resident while loading: the graph's dense arrays, plus each
   * prepared copy as it is made, minus the dense arrays released after it. */
  size_t resident = 0;
  for (int i = 1; i < g->n_nodes; i++) resident += (size_t)sp_node_weight_bytes(g, &g->nodes[i]);
  e->load_peak_weight_bytes = resident;
  for (int i = 1; i < g->n_nodes; i++) {
    const sp_node *n = &g->nodes[i];
    const sp_variant *v = e->variant[i];
    size_t bytes = (size_t)sp_node_weight_bytes(g, n);
    if (v->prepare || v->prepare_device) {
      size_t prepared_bytes = 0;
      sp_status s = sp_variant_prepare(v, g, n, e->device, e->opt.params ? e->opt.params[i] : NULL,
                                       &e->prepared[i], &prepared_bytes);
      if (s) return s;
      bytes = prepared_bytes + (n->bias ? (size_t)n->units * sizeof(float) : 0);
      resident += prepared_bytes;
      if (resident > e->load_peak_weight_bytes) e->load_peak_weight_bytes = resident;
      if (e->opt.release_dense_weights && e->prepared[i]) {
        /* the nodes are the caller's heap objects, const only in this interface */
        sp_node *owned = (sp_node *)n;
        resident -= sp_node_weight_count(g, n) * sizeof(float);
        free(owned->weight);
        owned->weight = NULL;
      }
    }
    e->weight_bytes[i] = bytes;
  }
  e->resident_weight_bytes = resident;
  return SP_OK;
}

#define NO_WORKSPACE ((size_t)-1)
#define ARENA_ALIGN 64 /* a cache line, and a whole AVX-512 vector */

/* A buffer of at least `need` floats among those not busy: the smallest free
 * one that fits, else the largest free one (grown), else a new one. */
static int take_buffer(sp_executor *e, const int *busy, size_t need) {
  int fit = -1, largest = -1;
  for (int b = 0; b < e->n_buffers; b++) {
    if (busy[b]) continue;
    if (e->buffer_floats[b] >= need && (fit < 0 || e->buffer_floats[b] < e->buffer_floats[fit]))
      fit = b;
    if (largest < 0 || e->buffer_floats[b] > e->buffer_floats[largest]) largest = b;
  }
  int best = fit >= 0 ? fit : largest;
  if (best < 0) best = e->n_buffers++;
  if (e->buffer_floats[best] < need) e->buffer_floats[best] = need;
  return best;
}

/* last_use[i]: the last step that reads node i's output (n for the
 * graph's output, which survives the run). */
static void last_uses(const sp_graph *g, int *last_use) {
  int n = g->n_nodes;
  for (int i = 0; i < n; i++) last_use[i] = i;
  for (int i = 1; i < n; i++)
    for (int j = 0; j < g->nodes[i].n_inputs; j++) last_use[g->nodes[i].inputs[j]] = i;
  last_use[g->output] = n;
}

/* Device slots: every node output a slot, reusing a slot once the last
 * reader of its previous tenant has run. Sizes only; allocate_device
 * creates the slots device nodes touch. Also the peak of live activations. */
static sp_status plan_buffers(sp_executor *e, const int *last_use) {
  const sp_graph *g = e->graph;
  int n = g->n_nodes;
  int *busy = calloc((size_t)n + 1, sizeof *busy);
  e->buffer_floats = calloc((size_t)n + 1, sizeof *e->buffer_floats);
  if (!busy || !e->buffer_floats) {
    free(busy);
    return sp_fail(SP_ERR_RUNTIME, "out of memory planning buffers of %s", g->name);
  }
  e->buffer_of[0] = -1;
  size_t live = 0; /* floats of the outputs alive at this step (the input is the caller's) */
  for (int i = 1; i < n; i++) {
    size_t need = (size_t)e->opt.batch * sp_dims_count(g->nodes[i].out);
    int best = take_buffer(e, busy, need);
    busy[best] = 1;
    e->buffer_of[i] = best;
    live += need;
    if (live * sizeof(float) > e->peak_live_bytes) e->peak_live_bytes = live * sizeof(float);
    for (int j = 0; j < g->nodes[i].n_inputs; j++) {
      int p = g->nodes[i].inputs[j];
      if (p > 0 && last_use[p] == i && busy[e->buffer_of[p]]) {
        busy[e->buffer_of[p]] = 0;
        live -= (size_t)e->opt.batch * sp_dims_count(g->nodes[p].out);
      }
    }
  }
  free(busy);
  return SP_OK;
}

/* Host memory: every node output (alive from its step to its last reader)
 * and every host node's workspace (alive at its step) at an offset of one
 * arena, so that the arena comes close to the largest (live activations +
 * workspace) of any step — the planner's memory rows. Then allocates it. */
static sp_status plan_arena(sp_executor *e, const int *last_use) {
  const sp_graph *g = e->graph;
  int n = g->n_nodes, count = 0;
  sp_arena_tensor *t = calloc(2 * (size_t)n, sizeof *t);
  if (!t) return sp_fail(SP_ERR_RUNTIME, "out of memory planning the activations of %s", g->name);
  for (int i = 1; i < n; i++) {
    t[count++] = (sp_arena_tensor){.bytes = (size_t)e->opt.batch * sp_dims_count(g->nodes[i].out) *
                                            sizeof(float),
                                   .first = i, .last = last_use[i]};
    const sp_variant *v = e->variant[i];
    size_t ws = !e->on_device[i] && v->workspace_bytes ? v->workspace_bytes(g, &g->nodes[i], e->opt.batch) : 0;
    t[count++] = (sp_arena_tensor){.bytes = ws, .first = i, .last = i};
  }
  e->arena_bytes = sp_arena_place(t, count, ARENA_ALIGN);
  for (int i = 1, k = 0; i < n; i++, k += 2) {
    e->out_offset[i] = t[k].offset;
    e->ws_offset[i] = t[k + 1].bytes ? t[k + 1].offset : NO_WORKSPACE;
  }
  free(t);
  if (e->arena_bytes == (size_t)-1)
    return sp_fail(SP_ERR_RUNTIME, "out of memory for the activations of %s", g->name);
  /* the memory guard: the arena's size is known before it is allocated */
  char what[SP_NAME_MAX + 64];
  snprintf(what, sizeof what, "the activations of %s at batch %d", g->name, e->opt.batch);
  sp_status guard = sp_memory_check(what, (double)e->arena_bytes);
  if (guard) return guard;
  /* the size is a multiple of the alignment, as aligned_alloc wants */
  if (e->arena_bytes != (size_t)-1)
    e->arena = aligned_alloc(ARENA_ALIGN, e->arena_bytes ? e->arena_bytes : ARENA_ALIGN);
  if (!e->arena) return sp_fail(SP_ERR_RUNTIME, "out of memory for the activations of %s", g->name);
  return SP_OK;
}

/* Device buffers for every slot a device node reads or writes (the slot's
 * host buffer stays: it receives downloads), the input's device copy when
 * a device node reads the input, and the device workspace. */
static sp_status allocate_device(sp_executor *e) {
  const sp_graph *g = e->graph;
  e->device_buffers = calloc((size_t)e->n_buffers + 1, sizeof *e->device_buffers);
  if (!e->device_buffers) return sp_fail(SP_ERR_RUNTIME, "out of memory for %s", g->name);
  sp_status s = SP_OK;
  for (int i = 1; i < g->n_nodes && !s; i++) {
    if (!e->on_device[i]) continue;
    for (int j = -1; j < g->nodes[i].n_inputs && !s; j++) {
      int p = j < 0 ? i : g->nodes[i].inputs[j]; /* the output, then each input */
      void **mem = p == 0 ? &e->device_input : &e->device_buffers[e->buffer_of[p]];
      size_t bytes = p == 0 ? (size_t)e->opt.batch * sp_dims_count(g->input) * sizeof(float)
                            : e->buffer_floats[e->buffer_of[p]] * sizeof(float);
      if (!*mem) s = sp_cl_buffer_alloc(e->device, bytes, mem);
    }
  }
  if (!s && e->device_workspace_bytes)
    s = sp_cl_buffer_alloc(e->device, e->device_workspace_bytes, &e->device_workspace);
  return s ? sp_fail(s, "activations of %s on the device: %s", g->name, sp_last_error()) : SP_OK;
}

sp_status sp_executor_create(const sp_graph *g, const sp_exec_options *opt, sp_executor **out) {
  *out = NULL;
  if (opt->batch < 1 || opt->threads < 1)
    return sp_fail(SP_ERR_INPUT, "batch (%d) and threads (%d) must be >= 1", opt->batch, opt->threads);
  sp_executor *e = calloc(1, sizeof *e);
  if (!e) return sp_fail(SP_ERR_RUNTIME, "out of memory creating executor for %s", g->name);
  e->graph = g;
  e->opt = *opt;
  size_t n = (size_t)g->n_nodes;
  e->variant = calloc(n, sizeof *e->variant);
  e->buffer_of = calloc(n, sizeof *e->buffer_of);
  e->out_offset = calloc(n, sizeof *e->out_offset);
  e->ws_offset = calloc(n, sizeof *e->ws_offset);
  int *last_use = malloc(n * sizeof *last_use);
  e->node_out = calloc(n, sizeof *e->node_out);
  e->prepared = calloc(n, sizeof *e->prepared);
  e->weight_bytes = calloc(n, sizeof *e->weight_bytes);
  e->on_device = calloc(n, 1);
  e->host_valid = calloc(n, 1);
  e->device_valid = calloc(n, 1);
  sp_status s = (!e->variant || !e->buffer_of || !e->out_offset || !e->ws_offset || !last_use ||
                 !e->node_out || !e->prepared || !e->weight_bytes || !e->on_device ||
                 !e->host_valid || !e->device_valid)
                    ? sp_fail(SP_ERR_RUNTIME, "out of memory creating executor for %s", g->name)
                    : SP_OK;
  if (!s) s = choose_variants(e);
  if (!s) s = prepare_weights(e);
  if (!s) last_uses(g, last_use);
  if (!s) s = plan_buffers(e, last_use);
  if (!s) s = plan_arena(e, last_use);
  if (!s && e->device) s = allocate_device(e);
  free(last_use);
  if (s) {
    sp_executor_free(e);
    return s;
  }
  *out = e;
  return SP_OK;
}


static void *device_mem_of(const sp_executor *e, int node) {
  return node == 0 ? e->device_input : e->device_buffers[e->buffer_of[node]];
}

/* Copies node p's output between host and device so that it is valid on
 * the device (to_device) or on the host; `host` is where its host copy lives
 * (or is to land). The queue is drained first, so the time is the copy's. */
static sp_status transfer(sp_executor *e, int p, int to_device, float *host) {
  size_t bytes = (size_t)e->opt.batch * sp_dims_count(e->graph->nodes[p].out) * sizeof(float);
  sp_status s = sp_cl_finish(e->device);
  double t0 = sp_time_now();
  if (!s) s = to_device ? sp_cl_buffer_write(e->device, device_mem_of(e, p), 0, host, bytes)
                        : sp_cl_buffer_read(e->device, device_mem_of(e, p), 0, host, bytes);
  double seconds = sp_time_now() - t0;
  if (s) return sp_fail(s, "%s of %s's output: %s", to_device ? "upload" : "download",
                        e->graph->nodes[p].name, sp_last_error());
  sp_transfer_stats *t = &e->transfers;
  if (to_device) t->uploads++, t->upload_bytes += bytes, t->upload_seconds += seconds;
  else t->downloads++, t->download_bytes += bytes, t->download_seconds += seconds;
  (to_device ? e->device_valid : e->host_valid)[p] = 1;
  return SP_OK;
}

sp_status sp_executor_run(sp_executor *e, const float *input, float *output) {
  const sp_graph *g = e->graph;
  memset(&e->transfers, 0, sizeof e->transfers);
  memset(e->host_valid, 0, (size_t)g->n_nodes);
  memset(e->device_valid, 0, (size_t)g->n_nodes);
  e->host_valid[0] = 1;
  e->node_out[0] = (float *)input; /* read only: no kernel writes its inputs */
  for (int i = 1; i < g->n_nodes; i++) {
    const sp_node *n = &g->nodes[i];
    int dev = e->on_device[i];
    sp_status status = SP_OK;
    double t0 = e->node_seconds ? sp_time_now() : 0;
    e->node_out[i] = e->arena + e->out_offset[i] / sizeof(float);
    sp_kernel_args a = {.graph = g, .node = n, .batch = e->opt.batch, .threads = threads_of(e, i),
                        .out_dims = n->out, .prepared = e->prepared[i],
                        .params = e->opt.params ? e->opt.params[i] : NULL, .status = &status};
    if (dev) {
      a.backend = e->device;
      a.out_mem = device_mem_of(e, i);
      a.workspace_mem = e->device_workspace;
    } else {
      a.out = e->node_out[i];
      a.workspace = e->ws_offset[i] != NO_WORKSPACE ? e->arena + e->ws_offset[i] / sizeof(float) : NULL;
    }
    for (int j = 0; j < n->n_inputs; j++) {
      int p = n->inputs[j];
      a.in_dims[j] = g->nodes[p].out;
      if (dev && !e->device_valid[p]) status = transfer(e, p, 1, e->node_out[p]);
      if (!dev && !e->host_valid[p]) status = transfer(e, p, 0, e->node_out[p]);
      if (status) return status;
      if (dev) a.in_mem[j] = device_mem_of(e, p);
      else a.in[j] = e->node_out[p];
    }
    e->variant[i]->run(&a);
    if (!status && dev && e->node_seconds) status = sp_cl_finish(e->device);
    if (status)
      return sp_fail(status, "node %s (%s): %s", n->name, e->variant[i]->name, sp_last_error());
    if (e->node_seconds) e->node_seconds[i] += sp_time_now() - t0;
    e->host_valid[i] = (unsigned char)!dev;
    e->device_valid[i] = (unsigned char)dev;
  }
  int o = g->output;
  size_t count = (size_t)e->opt.batch * sp_dims_count(g->nodes[o].out);
  if (e->host_valid[o]) memcpy(output, e->node_out[o], count * sizeof(float));
  else if (o > 0) {
    sp_status s = transfer(e, o, 0, output);
    if (s) return s;
  }
  if (e->device) {
    sp_status s = sp_cl_finish(e->device); /* a failure of something still queued */
    if (s) return sp_fail(s, "running %s: %s", g->name, sp_last_error());
  }
  return SP_OK;
}

sp_transfer_stats sp_executor_transfers(const sp_executor *e) { return e->transfers; }

void sp_executor_time_nodes(sp_executor *e, double *seconds) { e->node_seconds = seconds; }

int sp_executor_on_device(const sp_executor *e, int index) {
  return index > 0 && e->on_device[index];
}

size_t sp_executor_device_bytes(const sp_executor *e) {
  size_t total = e->device_workspace ? e->device_workspace_bytes : 0;
  if (e->device_input)
    total += (size_t)e->opt.batch * sp_dims_count(e->graph->input) * sizeof(float);
  for (int b = 0; e->device_buffers && b < e->n_buffers; b++)
    if (e->device_buffers[b]) total += e->buffer_floats[b] * sizeof(float);
  return total;
}

const sp_variant *sp_executor_variant(const sp_executor *e, int index) { return e->variant[index]; }

size_t sp_executor_activation_bytes(const sp_executor *e) { return e->arena_bytes; }

size_t sp_executor_workspace_bytes(const sp_executor *e) {
  (void)e; /* host workspaces are in the activation arena */
  return 0;
}

size_t sp_executor_peak_live_bytes(const sp_executor *e) { return e->peak_live_bytes; }

size_t sp_executor_resident_weight_bytes(const sp_executor *e) { return e->resident_weight_bytes; }

size_t sp_executor_load_peak_weight_bytes(const sp_executor *e) {
  return e->load_peak_weight_bytes;
}

size_t sp_executor_node_weight_bytes(const sp_executor *e, int index) {
  return index > 0 ? e->weight_bytes[index] : 0;
}

size_t sp_executor_weight_bytes(const sp_executor *e) {
  size_t total = 0;
  for (int i = 1; i < e->graph->n_nodes; i++) total += e->weight_bytes[i];
  return total;
}

int sp_executor_prepared(const sp_executor *e, int index) {
  return index > 0 && e->prepared[index] != NULL;
}

void sp_executor_free(sp_executor *e) {
  if (!e) return;
  for (int i = 1; e->prepared && i < e->graph->n_nodes; i++)
    if (e->prepared[i]) e->variant[i]->release(e->prepared[i]);
  free(e->prepared);
  free(e->weight_bytes);
  for (int b = 0; e->device_buffers && b < e->n_buffers; b++)
    sp_cl_buffer_free(e->device_buffers[b]);
  free(e->device_buffers);
  sp_cl_buffer_free(e->device_input);
  sp_cl_buffer_free(e->device_workspace);
  free(e->on_device);
  free(e->host_valid);
  free(e->device_valid);
  free(e->arena);
  free(e->buffer_floats);
  free(e->variant);
  free(e->buffer_of);
  free(e->out_offset);
  free(e->ws_offset);
  free(e->node_out);
  free(e);
}
