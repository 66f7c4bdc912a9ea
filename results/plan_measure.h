/* Running a plan and measuring what its prediction claims: end-to-end
 * latency (median of repeated runs, with spread), the memory the executor
 * holds, per-layer times, and top-1 accuracy on a Fashion-MNIST split. */
#ifndef SP_RESULTS_PLAN_MEASURE_H
#define SP_RESULTS_PLAN_MEASURE_H

#include "engine/data/dataset.h"
#include "profiler/reference_network.h" /* sp_quiet_core, SP_SETTLE_RATIO */
#include "results/plan_exec.h"

typedef struct sp_plan_measure_options {
  int repeat;              /* timed end-to-end runs, >= 1 */
  int warmup;              /* untimed runs first */
  const sp_fmnist *data;   /* NULL: no accuracy; else top-1 over all its images */
  int reference;           /* time the reference network first and pin to the quieter core
                              (quiet_core.h); it costs a dense copy of the model for a moment */
  long rss_baseline;       /* the process's resident set (sp_rss_current_bytes) before the
                              plan's model was loaded; 0: memory not measured */
  double settle_seconds;   /* with reference: while the network takes more than
                              SP_SETTLE_RATIO x the profile's time (the plan's
                              profile.network_ms), wait a second and time it again, for up
                              to this long (the host slows a vCPU for tens of seconds) */
} sp_plan_measure_options;

typedef struct sp_plan_measurement {
  double latency_ms, p10_ms, p90_ms; /* one call of the plan's batch */
  int runs;
  sp_quiet_core core;       /* the CPU the timed runs were on (quiet_core.h), chosen by
                               the reference network's time on each */
  double network_ms;        /* the reference network there (the model uncompressed, default
                               variants, batch 1, one thread), as the profile timed it
                               before each layer; 0 = not measured */
  double waited_s;          /* spent waiting for the profile's speed (settle_seconds) */
  double weight_bytes;      /* resident after loading (one format per layer) */
  double activation_bytes;  /* the executor's activation buffers */
  double workspace_bytes;
  double device_bytes;      /* the executor's OpenCL buffers (activations, input copy,
                               workspace), held for the whole run */
  double peak_bytes;        /* the four together: the executor's bookkeeping */
  /* Measured (with rss_baseline): the growth of the process's peak resident
   * set (VmHWM, reset once the model is loaded and compressed, so that
   * loading's transients do not count) over rss_baseline while the executor
   * is built and runs; the most bytes of OpenCL buffers held meanwhile; and
   * the peak memory: both, or the RSS alone on a CPU OpenCL device, whose
   * buffers are host memory already in it. has_memory 0: not measured. */
  int has_memory;
  double rss_bytes, cl_bytes, measured_peak_bytes;
  double *layer_ms;         /* per plan layer: median time in the layered runs */
  int n_layers;
  sp_transfer_stats transfers; /* of one run */
  int has_accuracy;
  double accuracy;          /* percent */
  int correct, images;
} sp_plan_measurement;

/* Builds an executor for x with the plan's batch and measures; with
 * o->reference, pinned to the core where the reference network ran fastest
 * (quiet_core.h), as the profile measured each layer, the thread's mask
 * given back at the end. The timed
 * runs see the same input (the first images of data, else a fixed random
 * one); the per-layer times come from separate runs with node timing on,
 * so that it costs the end-to-end figure nothing. Free with
 * sp_plan_measurement_free. */
sp_status sp_plan_measure(const sp_plan_file *f, const sp_plan_exec *x, const sp_plan_measure_options *o,
                          sp_plan_measurement *out);

void sp_plan_measurement_free(sp_plan_measurement *m);

/* The process's resident set now, freed heap pages given back first (glibc
 * keeps them resident): the rss_baseline to take before loading a plan's
 * model. 0 when /proc/self is unavailable. */
long sp_plan_memory_baseline(void);

/* (measured - predicted) / predicted, the relative error. */
double sp_relative_error(double measured, double predicted);

#endif
