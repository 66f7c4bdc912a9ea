/* Running a profile (docs/profiling.md): every layer of a model, case by
 * case, saved atomically after each layer so that an interruption at any
 * moment leaves a valid file which a resumed run continues. */
#ifndef SP_PROFILE_RUN_H
#define SP_PROFILE_RUN_H

#include <signal.h>

#include "profiler/profile.h"
#include "profiler/profile_case.h"

/* Sets up a fresh profile of g: device, model, config, groups with their
 * keep levels, layers with their inputs, groups and output bytes; no
 * records. SP_ERR_INPUT naming the layer when a layer has no runnable
 * variant under the config (e.g. --variants leaves none), or naming the
 * option when the config is invalid. Nothing is measured. */
sp_status sp_profile_init(const sp_graph *g, const char *model, const sp_device_info *device,
                          const sp_profile_config *config, sp_profile *out);

/* Whether `old` (read from `path`) is a profile that a run set up as `fresh`
 * continues: same device fingerprint, model fingerprint, config and layers.
 * SP_ERR_INPUT "path: <field> differs (file: x, now: y)" otherwise. */
sp_status sp_profile_check_resume(const char *path, const sp_profile *old, const sp_profile *fresh);

typedef enum sp_profile_event {
  SP_PROFILE_EVENT_CASE,   /* a case of the current layer was measured */
  SP_PROFILE_EVENT_LAYER,  /* a layer is complete and saved */
  SP_PROFILE_EVENT_SEQUENCE, /* every layer is measured: the calibration in sequence
                                (profile_sequence.h) starts */
} sp_profile_event;

typedef struct sp_profile_progress {
  sp_profile_event event;
  int layer;                 /* index into the profile's layers */
  int layers_done, layers_total; /* measured layers, resumed ones included */
  long tasks_done, tasks_total;  /* timings of this run, done and planned */
  double elapsed, eta;       /* seconds of this run; eta < 0 while unknown */
  int layer_records;         /* LAYER: records of the layer */
  int cpu;                   /* LAYER: the CPU it was measured on (quiet_core.h), -1: not pinned */
} sp_profile_progress;

typedef struct sp_profile_run_options {
  const char *path;          /* where the profile is saved after each layer */
  void *device;              /* the opened sp_cl_device, NULL without --device */
  int max_layers;            /* > 0: stop after this many layers measured by this run */
  volatile sig_atomic_t *stop; /* optional: non-zero stops the run within a case */
  sp_tuned_point_fn tuned;   /* optional: parameter points from the tuning cache */
  void *tuned_ctx;
  void (*progress)(void *ctx, const sp_profile_progress *pr, const sp_profile *p);
  void *progress_ctx;
  int resume;                /* p was loaded from path to continue it: the journal beside
                                it (profile_journal.h) gives back the layer in progress */
} sp_profile_run_options;

typedef struct sp_profile_run_result {
  int layers_measured;       /* by this run */
  int interrupted;           /* the stop flag ended it; the file holds every finished layer */
  int stopped;               /* max_layers ended it */
  int records_failed;        /* failed records written by this run */
  int layers_settled;        /* measured again: the machine was slow the first time
                                (profile_run.c, settle) */
  double seconds;
  char journal_note[640];    /* resume: what the journal gave back ("" when there was none) */
} sp_profile_run_result;

/* Measures every layer of p that is not measured yet (records of layers
 * left half done are dropped first), saving p to o->path at the start and
 * after each layer, and journalling each case of the layer in progress
 * beside it (profile_journal.h); with o->resume the journal's cases are
 * folded back in and not measured again. g must be the model p was set up from. Errors:
 * SP_ERR_IO when the file cannot be written, SP_ERR_RUNTIME when memory
 * runs out; failures of single measurements are records, not errors. */
sp_status sp_profile_run(const sp_graph *g, sp_profile *p, const sp_profile_run_options *o,
                         sp_profile_run_result *result);

#endif
