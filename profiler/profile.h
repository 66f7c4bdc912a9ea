/* A latency and memory profile of one model on one machine, in memory: what
 * `stackplan profile` measures and writes (profile_io.h; the file format is
 * `stackplan-profile` version 1 of docs/formats.md), and what the planner
 * turns into its sp_plan_problem:
 *
 *   groups       channel groups with their keep levels (planner: y[g, k])
 *   layers       every node but the input, in graph order, with its input
 *                layers, groups and output bytes per keep level
 *   records      one per measured option of a layer: keep in/out (level
 *                indices), compression, variant, residency, threads,
 *                parameter point, latency, memory (planner: x[l, o])
 *   transitions  host<->device copy times per tensor and keep level
 *
 * Everything is plain arrays; sp_profile_free frees them. */
#ifndef SP_PROFILE_H
#define SP_PROFILE_H

#include "profiler/device_info.h"
#include "engine/graph/model_info.h"
#include "kernels/kernel.h"
#include "profiler/layer_instance.h"
#include "profiler/protocol.h"

#define SP_PROFILE_FORMAT "stackplan-profile"
#define SP_PROFILE_VERSION 1
#define SP_PROFILE_MAX_THREADS 8
#define SP_PROFILE_MAX_GRID 8
#define SP_PROFILE_ERROR_MAX 256

/* What was measured, and how: two profiles continue each other (--resume)
 * only when their configs are equal. */
typedef struct sp_profile_config {
  int n_threads;
  int threads[SP_PROFILE_MAX_THREADS];    /* thread counts of parallel variants */
  int quick;                               /* the reduced grid of --quick */
  int batch;                               /* images per call */
  int n_prune;
  double prune[SP_PROFILE_MAX_GRID];       /* weight-pruning sparsities s */
  int n_ternary;
  double ternary[SP_PROFILE_MAX_GRID];     /* ternary threshold factors t */
  int n_keep;
  double keep[SP_PROFILE_MAX_GRID];        /* channel keep fractions besides 1.0 */
  int device;                              /* OpenCL device id, -1: host variants only */
  char variants[1024];                     /* comma-separated restriction, "" = all */
  sp_protocol_options protocol;            /* clock fields unused */
} sp_profile_config;

/* The default grid (docs/profiling.md): threads {1, cores}, s in {0.5, 0.7,
 * 0.8, 0.9, 0.95}, ternary t = 0.7, keep {0.75, 0.5, 0.25}, batch 1, the
 * full protocol; quick: threads {1}, s in {0.5, 0.9}, t = 0.7, keep {0.5},
 * the quick protocol and skipping of dominated variants. */
sp_profile_config sp_profile_config_default(int quick);

/* The first config field in which a and b differ ("threads", "grid.prune",
 * "protocol.rel_ci", ...), or NULL when equal. */
const char *sp_profile_config_diff(const sp_profile_config *a, const sp_profile_config *b);

typedef struct sp_profile_group {
  char name[SP_NAME_MAX];
  int channels;
  int prunable;
  int n_keep;
  double keep[SP_MAX_KEEP];  /* level 0 is 1.0 */
  int kept[SP_MAX_KEEP];     /* channels kept at each level */
} sp_profile_group;

typedef struct sp_profile_sequence {
  int keep_in, keep_out;       /* levels of the calibrated record */
  char variant[SP_NAME_MAX];
  int threads;
  double alone_ms, in_sequence_ms;
  double evict_bytes;          /* the record's: the ratio applies to records timed alike,
                                  all evicted or all warm (sp_profile_record_ms) */
  sp_compress_choice compression; /* the record's: dense in a layer's `sequence`, pruned
                                     or ternary in its `sequence_compressed` */
} sp_profile_sequence;

typedef struct sp_profile_layer {
  char name[SP_NAME_MAX];
  char kind[24];                          /* sp_op_name: "conv2d" */
  char op[SP_OP_DESC_MAX];                /* sp_node_describe: "conv2d 3x3/1 +bn+relu" */
  int n_inputs;
  char inputs[SP_MAX_INPUTS][SP_NAME_MAX]; /* producing node names ("input": the network's) */
  int input_layer[SP_MAX_INPUTS];         /* index into layers, -1 for the network input */
  int group_in, group_out;
  double act_bytes[SP_MAX_KEEP];          /* output bytes for config.batch images, per level
                                             of group_out */
  int measured;                           /* 1 when all its records are in */
  double seconds;                         /* measuring it took (measured layers) */
  double noise_median, noise_max;         /* over its timed records: relative CI width */
  int unconverged;                        /* timed records whose CI missed the target */
  char skipped[512];                      /* --quick: "variant@threads,..." dropped as dominated */
  double network_ms;                      /* the reference network (default variants, batch 1,
                                             one thread) just before it, on the CPU it was
                                             measured on (quiet_core.h); 0 = unknown */
  /* Calibration in sequence (profile_sequence.h), per network level k (every
   * prunable group at its level k): the layer's fastest host record there
   * (dense, no bigger than plain dense; keep levels keep_in, keep_out, the
   * larger of them k) timed again alone and inside that network (its share
   * of the network's median run), in turns; the layer's dense records whose
   * larger keep level is k scale by in_sequence_ms / alone_ms. alone_ms 0 =
   * not calibrated at that level. */
  sp_profile_sequence sequence[SP_MAX_KEEP];
  /* The same in the network of every layer's fastest compressed record (its
   * fastest dense one where it has none): the layer's compressed records
   * scale by it, its dense ones by `sequence`. */
  sp_profile_sequence sequence_compressed[SP_MAX_KEEP];
} sp_profile_layer;

typedef struct sp_profile_record {
  int layer;                   /* index into layers */
  int keep_in, keep_out;       /* levels of groups[group_in], groups[group_out] */
  sp_compress_choice compression;
  char variant[SP_NAME_MAX];
  sp_backend backend;
  int device;                  /* -1: runs on the host ("host"), else "device:<id>" */
  int threads;
  int n_params;                /* the parameter point (0 when the variant has none) */
  char param_names[SP_MAX_PARAMS][32];
  int params[SP_MAX_PARAMS];
  int tuned;                   /* 1: the point came from the tuning cache */
  int failed;                  /* 1: `error` says why; no times */
  char error[SP_PROFILE_ERROR_MAX];
  double median_ms, p10_ms, p90_ms;
  int n;
  double noise;                /* relative width of the median's 95% CI */
  int converged;
  int dominated;               /* stopped early: 2x slower than the case's best (protocol.h) */
  double weight_bytes, workspace_bytes;
  double prepare_ms;           /* weight conversion, kernel build: never run time */
  int reused;                  /* 1: dense variant under compression, times of the
                                  uncompressed case (dense speed does not depend on values) */
  double evict_bytes;          /* other data read through the caches before each timed run
                                  (layer_bench.c): 0 = warm; -1 = unknown (older files) */
} sp_profile_record;

typedef struct sp_profile_transition {
  char tensor[SP_NAME_MAX];    /* producing node ("input" for the network input) */
  int layer;                   /* its index into layers, -1 for the input */
  int keep;                    /* level of the tensor's group */
  double bytes;
  double h2d_ms, d2h_ms;       /* medians of one blocking copy each way */
  int failed;
  char error[SP_PROFILE_ERROR_MAX];
} sp_profile_transition;

typedef struct sp_profile {
  char created[32], updated[32]; /* ISO 8601, UTC */
  sp_device_info device;
  char model[256];             /* as given on the command line */
  char model_fingerprint[17];  /* sp_graph_structure_fingerprint */
  sp_dims input;
  sp_profile_config config;
  int n_groups;
  sp_profile_group *groups;
  int n_layers;
  sp_profile_layer *layers;
  int n_records, cap_records;
  sp_profile_record *records;
  int n_transitions, cap_transitions;
  sp_profile_transition *transitions;
} sp_profile;

/* Frees the arrays and zeroes *p (a zeroed profile is valid and empty). */
void sp_profile_free(sp_profile *p);

/* Appends a copy of r / t; SP_ERR_RUNTIME when out of memory. */
sp_status sp_profile_add_record(sp_profile *p, const sp_profile_record *r);
sp_status sp_profile_add_transition(sp_profile *p, const sp_profile_transition *t);

/* Index of the layer called `name`, or -1. */
int sp_profile_find_layer(const sp_profile *p, const char *name);

/* The reference network's time (network_ms) over the measured layers that
 * have one: median, least, most and lower quartile; 0 when none has
 * (profiles before it). */
typedef struct sp_profile_speed {
  double median, min, max, lower_quartile;
  int layers;
} sp_profile_speed;
sp_profile_speed sp_profile_network_speed(const sp_profile *p);

/* Layer l's fastest dense (uncompressed) host record alone at keep levels
 * (keep_in, keep_out), of (variant, threads) when variant is not NULL, with
 * at most max_bytes of weights when max_bytes > 0; NULL when none. */
const sp_profile_record *sp_profile_fastest_dense(const sp_profile *p, int l, int keep_in, int keep_out,
                                                  const char *variant, int threads, double max_bytes);

/* Layer l's fastest compressed (pruned or ternary) host record alone at
 * keep levels (keep_in, keep_out), with at most max_bytes of weights when
 * max_bytes > 0; NULL when none. */
const sp_profile_record *sp_profile_fastest_compressed(const sp_profile *p, int l, int keep_in, int keep_out,
                                                       double max_bytes);

/* The fewest weight bytes of layer l's dense host records at (keep_in,
 * keep_out): the plain dense size, without expanded formats (Winograd's
 * transformed kernels); 0 when it has none. */
double sp_profile_dense_bytes(const sp_profile *p, int l, int keep_in, int keep_out);

/* The network level of a record: the larger of its keep levels. */
int sp_profile_record_level(const sp_profile_record *r);

/* How much slower layer l runs inside the dense network at level k than
 * alone: its calibration's in_sequence_ms / alone_ms, 1 when it has none
 * there. */
double sp_profile_sequence_factor(const sp_profile *p, int l, int k);

/* The time the planner predicts for record r: its median alone, scaled by
 * its layer's sequence factor at its level — of the compressed network for
 * a compressed record that runs a compressed kernel where it has one, else
 * (dense records, and `reused` ones: a dense kernel under compression, as
 * fast as its dense twin) of the dense network — for
 * host records timed in the calibrated
 * record's cache state (both evicted or both warm: the ratio corrects that
 * state, a record timed in the other one keeps its time; device records are
 * timed with the queue drained, where the host's caches do not matter). */
double sp_profile_record_ms(const sp_profile *p, const sp_profile_record *r);

/* The sequence factors over the calibrated layers, levels and networks (dense and compressed): median,
 * least, most and how many (0 when none is calibrated). */
sp_profile_speed sp_profile_sequence_summary(const sp_profile *p);

/* The transition of `tensor` (layer index, -1 = input) at level `keep`, or NULL. */
const sp_profile_transition *sp_profile_find_transition(const sp_profile *p, int tensor, int keep);

/* Drops the records of layers that are not measured (a run cut short
 * between saves): what a resumed run measures again. */
void sp_profile_drop_unmeasured(sp_profile *p);

/* "2024-05-01T12:00:00Z", now. */
void sp_profile_now(char out[32]);

#endif
