/* Plan files: `stackplan-plan` version 1 (docs/formats.md). What `stackplan
 * plan` writes and what the executor (`stackplan run plan.json`) reads: per
 * layer the chosen compression, kernel variant, device, threads and
 * parameters with the predicted latency and memory, the predicted totals,
 * the bounds and objective asked for, solver statistics, and fingerprints
 * tying the plan to its profile, accuracy file, model and device. */
#ifndef SP_PLAN_IO_H
#define SP_PLAN_IO_H

#include "planner/from_profile.h"

#define SP_PLAN_FILE_FORMAT "stackplan-plan"
#define SP_PLAN_FILE_VERSION 1

typedef struct sp_plan_provenance {
  char model[256];
  char structure_fingerprint[17]; /* sp_graph_structure_fingerprint, hex */
  char weights_fingerprint[17];   /* from the accuracy file; "" when unknown */
  char device_fingerprint[17];    /* the profile's device */
  char profile_path[512], accuracy_path[512];
  char profile_hash[17], accuracy_hash[17]; /* FNV-1a 64 of the file's bytes */
  double profile_network_ms;      /* the profile's reference network time (median of
                                     sp_profile_network_speed); 0 = unknown */
} sp_plan_provenance;

typedef struct sp_plan_file_layer {
  char name[SP_PLAN_NAME_MAX];
  char op[24];                  /* "conv2d" */
  sp_compress_choice compression;
  double keep_in, keep_out;     /* channel keep fractions */
  char variant[SP_PLAN_NAME_MAX];
  char format[16], algorithm[24], backend[16]; /* sp_format_name, sp_algo_name, sp_backend_name */
  int device;                   /* -1: host, else the OpenCL device id */
  int threads;
  int n_params;
  char param_names[SP_MAX_PARAMS][32];
  int params[SP_MAX_PARAMS];
  double latency_ms, weight_bytes, workspace_bytes, act_bytes;
} sp_plan_file_layer;

typedef struct sp_plan_file_group {
  char name[SP_PLAN_NAME_MAX];
  double keep;
  int channels, channels_kept;
} sp_plan_file_group;

typedef struct sp_plan_file {
  char created[32];
  sp_plan_provenance prov;
  sp_plan_objective objective;
  sp_plan_bounds bounds;
  char solver[16];        /* "ilp", "greedy", "exhaustive", "dp" */
  sp_plan_result result;
  double solve_s, gap;
  int options_used, options_total;
  sp_plan_metrics predicted;
  int batch;              /* images per call the latencies are for (the profile's) */
  int n_groups;
  sp_plan_file_group *groups;
  int n_layers;
  sp_plan_file_layer *layers;
} sp_plan_file;

/* Fills *out from a solved plan (plan->has_plan) of src->problem built from
 * prof. SP_ERR_RUNTIME when out of memory. Free with sp_plan_file_free. */
sp_status sp_plan_file_build(const sp_profile *prof, const sp_plan_source *src, const sp_plan *plan,
                             const char *solver, const sp_plan_provenance *prov, sp_plan_file *out);

void sp_plan_file_free(sp_plan_file *f);

/* Writes f atomically (temp file, fsync, rename): a failure never leaves a
 * half-written or stale file at path. SP_ERR_IO naming the file. */
sp_status sp_plan_file_save(const char *path, const sp_plan_file *f);

/* Reads and checks a plan file (format, version, every field's type and
 * range). SP_ERR_IO when unreadable; SP_ERR_INPUT with one line naming the
 * file and the field. On failure *out is empty. */
sp_status sp_plan_file_load(const char *path, sp_plan_file *out);

/* The same from `len` bytes in memory, named `name` in messages. */
sp_status sp_plan_file_load_buffer(const void *data, size_t len, const char *name,
                                   sp_plan_file *out);

/* "latency", "memory", "accuracy": the objective's name in files and flags. */
const char *sp_plan_objective_key(sp_plan_objective o);
int sp_plan_objective_parse(const char *key, sp_plan_objective *out);

/* FNV-1a 64 of a file's bytes as 16 hex digits; SP_ERR_IO when unreadable. */
sp_status sp_plan_hash_file(const char *path, char hex[17]);

#endif
