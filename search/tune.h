/* Tuning one kernel variant on one layer: the real evaluator (every
 * candidate point is run once and its output checked against the op's
 * reference kernel before it is timed with the profiler's protocol;
 * failures — no build, a refused launch, a wrong result — are recorded,
 * never fatal), a search over the variant's parameter space, and the
 * tuning cache entry it leaves. */
#ifndef SP_TUNE_H
#define SP_TUNE_H

#include "profiler/layer_instance.h"
#include "profiler/protocol.h"
#include "search/search.h"
#include "search/tune_cache.h"

/* ---- the evaluator (an sp_search_eval_fn over an sp_tune_eval *) ---- */

typedef struct sp_tune_eval {
  const sp_graph *instance;  /* node 1 is the layer */
  const sp_variant *variant;
  int batch;
  int device_index;          /* flat OpenCL id for the executor */
  void *device;              /* the opened sp_cl_device, for timing */
  sp_protocol_options protocol;
  float *input, *reference;  /* seeded input and the reference kernel's output */
  size_t out_count;
  float atol, rtol;          /* |got - want| <= atol + rtol * |want| */
} sp_tune_eval;

/* Prepares the input and the reference output. SP_ERR_RUNTIME when out of
 * memory or the reference fails. Free with sp_tune_eval_free. */
sp_status sp_tune_eval_init(sp_tune_eval *e, const sp_graph *instance, const sp_variant *v,
                            int batch, int device_index, void *device,
                            const sp_protocol_options *protocol);
void sp_tune_eval_free(sp_tune_eval *e);

/* Checks, then times, the point `values` (sp_search_eval_fn). */
int sp_tune_evaluate(void *ctx, const int *values, double *cost, char *msg, size_t msg_cap);

/* ---- tuning a layer ---- */

typedef struct sp_tune_options {
  sp_search_options search;  /* strategy, seed, budget */
  int batch;
  int device_index;
  void *device;              /* sp_cl_device of device_index */
  sp_device_limits limits;   /* the device's, for the space's constraints */
  sp_protocol_options protocol;
  int retune;                /* ignore a cached entry */
} sp_tune_options;

/* Quick protocol, anneal with 30 evaluations, seed 1, batch 1. */
sp_tune_options sp_tune_options_default(void);

typedef struct sp_tune_outcome {
  int cached;                /* the cache had the entry: nothing was run */
  int found;                 /* entry holds a best point */
  sp_tune_entry entry;
  int space;                 /* valid points */
  char first_error[256];     /* the first failed point's message */
} sp_tune_outcome;

/* The compression a variant is tuned under: CSR variants at s = 0.9,
 * ternary ones at t = 0.7, others uncompressed. */
sp_compress_choice sp_tune_compression(const sp_variant *v);

/* The instance a variant is tuned on: node `node` of g with all its
 * channels, compressed as sp_tune_compression(v) says. Free with
 * sp_graph_free. */
sp_status sp_tune_instance(const sp_graph *g, int node, const sp_variant *v, sp_graph **out);

/* Tunes v on node `node` of g (uncompressed channels, compressed as
 * sp_tune_compression says) and puts the best point in the cache (not
 * saved). SP_ERR_INPUT when v cannot run the node or has no parameters,
 * SP_ERR_RUNTIME when memory runs out. */
sp_status sp_tune_layer(const sp_graph *g, int node, const sp_variant *v, const sp_tune_options *o,
                        sp_tune_cache *cache, sp_tune_outcome *out);

#endif
