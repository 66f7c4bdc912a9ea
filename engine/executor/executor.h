/* Runs a graph: one kernel variant per node, activation buffers reused once
 * their last consumer has run. */
#ifndef SP_EXECUTOR_H
#define SP_EXECUTOR_H

#include "kernels/kernel.h"
#include "engine/graph/graph.h"

typedef struct sp_exec_options {
  int batch;                     /* images per run, >= 1 */
  int threads;                   /* threads given to every kernel call, >= 1 */
  int reference;                 /* 1: every node runs its naive reference */
  const sp_variant *const *variants; /* optional: per node (n_nodes entries), NULL = default */
  int release_dense_weights;     /* 1: free a node's dense weights in the graph as soon as its
                                  * variant has prepared its own copy (deployment: memory holds
                                  * one format only); the graph then runs only with this
                                  * executor's choices for those nodes */
  int device;                    /* OpenCL device (flat id of `stackplan devices`) on which the
                                  * nodes given a device variant run; opened only when there
                                  * is such a node. Default 0, the first device */
  const int *const *params;      /* optional: per node (n_nodes entries), the parameter point of
                                  * its variant, NULL = the variant's defaults */
  const int *node_threads;       /* optional: per node (n_nodes entries), threads of that node's
                                  * kernel calls (a plan's per-layer choice); 0 or NULL = threads */
} sp_exec_options;

/* Defaults: batch 1, 1 thread, registered default variants (all on the
 * host), device 0. */
sp_exec_options sp_exec_options_default(void);

typedef struct sp_executor sp_executor;

/* Chooses each node's variant, plans and allocates buffers. The graph must
 * outlive the executor. Fails naming the node when a chosen variant cannot
 * run it. */
sp_status sp_executor_create(const sp_graph *g, const sp_exec_options *opt, sp_executor **out);

/* Runs batch images: `input` holds batch x C x H x W floats of the graph input,
 * `output` receives batch x (output count) floats. Activations stay where
 * their producer ran (host memory, or the OpenCL device for device
 * variants); a consumer on the other side first gets an explicit transfer
 * (sp_executor_transfers), and the output comes back to the host at the
 * end. SP_ERR_RUNTIME naming the node when a device refused a launch or a
 * transfer. */
sp_status sp_executor_run(sp_executor *e, const float *input, float *output);

/* The activation transfers of the last run between host and device: count,
 * bytes and seconds (host wall clock of each blocking copy, with the queue
 * drained before it so that only the copy is timed). All zero before a run
 * and when every node runs on the host. */
typedef struct sp_transfer_stats {
  int uploads, downloads;
  size_t upload_bytes, download_bytes;
  double upload_seconds, download_seconds;
} sp_transfer_stats;

sp_transfer_stats sp_executor_transfers(const sp_executor *e);

/* Per-node timing, off by default: with `seconds` (n_nodes entries) each
 * later run adds every node's host wall time to seconds[node] — its input
 * transfers included, and for device nodes the drained queue, so device
 * nodes no longer overlap with the host. NULL turns it off. */
void sp_executor_time_nodes(sp_executor *e, double *seconds);

/* Whether node `index` runs on the OpenCL device (its variant is a device
 * variant: its output lives in device memory). */
int sp_executor_on_device(const sp_executor *e, int index);

/* Bytes of device memory the executor holds for activations (buffers and
 * the graph input's copy) and device workspace; weights apart (node weight
 * bytes). 0 when every node runs on the host. */
size_t sp_executor_device_bytes(const sp_executor *e);

/* The variant that runs node `index`. */
const sp_variant *sp_executor_variant(const sp_executor *e, int index);

/* Bytes of the host activation arena (every node's output and every host
 * workspace at offsets placed by lifetime, engine/arena_plan.h), and the
 * peak of live activations alone; the arena >= that peak. */
size_t sp_executor_activation_bytes(const sp_executor *e);
size_t sp_executor_peak_live_bytes(const sp_executor *e);

/* Weight bytes the process holds for this executor: after loading (the
 * graph's dense arrays still present plus every prepared copy; with
 * release_dense_weights only one format per node), and at the worst moment
 * of loading (a node's dense and prepared copies side by side, before the
 * dense one is released). Activation buffers are allocated after loading. */
size_t sp_executor_resident_weight_bytes(const sp_executor *e);
size_t sp_executor_load_peak_weight_bytes(const sp_executor *e);
/* Host workspace held apart from the activation arena: 0, since workspaces
 * are placed in it; kept so that memory reports keep their terms. */
size_t sp_executor_workspace_bytes(const sp_executor *e);

/* Bytes of the weights node `index` runs from in its variant's format
 * (prepared panels, CSR arrays or codes, else the dense arrays; bias included),
 * and their sum over the graph. */
size_t sp_executor_node_weight_bytes(const sp_executor *e, int index);
size_t sp_executor_weight_bytes(const sp_executor *e);

/* Whether node `index`'s variant keeps its own converted copy of the weights
 * (then the graph's dense weights of that node are no longer read by runs). */
int sp_executor_prepared(const sp_executor *e, int index);

void sp_executor_free(sp_executor *e);

#endif
