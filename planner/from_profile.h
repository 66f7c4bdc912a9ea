/* From measurements to a planning problem: a latency/memory profile
 * (profiler/profile.h) and what each compression costs in accuracy become
 * the sp_plan_problem of problem.h, with a map back from each option to the
 * profile record it came from (so that a plan can name variants, threads
 * and parameters). docs/planner.md lists every rule. */
#ifndef SP_PLAN_FROM_PROFILE_H
#define SP_PLAN_FROM_PROFILE_H

#include "planner/problem.h"
#include "profiler/profile.h"

/* The accuracy side, as the planner needs it: the baseline and, per
 * compression option, the accuracy measured with it alone (percent). Filled
 * from an accuracy file by sp_plan_accuracy_load (plan_inputs.h) or by
 * hand in tests; names are the profile's layer and group names. */
/* How an entry was measured (engine/accuracy_io.h, sp_accuracy_uncertainty):
 * on `images` images where the uncompressed model scored `baseline`, its
 * drop's 95% interval [drop_lo, drop_hi]; images 0 (hand-made entries):
 * the file's baseline, interval unknown. */
typedef struct sp_plan_measured {
  int images;
  double baseline, drop_lo, drop_hi;
} sp_plan_measured;

typedef struct sp_plan_layer_accuracy {
  char layer[SP_PLAN_NAME_MAX];
  sp_weight_compression kind; /* prune or ternary */
  double rate;
  double accuracy;            /* percent */
  sp_plan_measured m;
} sp_plan_layer_accuracy;

typedef struct sp_plan_group_accuracy {
  char group[SP_PLAN_NAME_MAX]; /* the group's name: its first producer */
  double keep;                  /* fraction kept */
  int channels_kept;            /* 0: unknown (match by keep only) */
  double accuracy;              /* percent */
  sp_plan_measured m;
} sp_plan_group_accuracy;

typedef struct sp_plan_accuracy {
  char model[256];
  char structure_fingerprint[17], weights_fingerprint[17]; /* hex, as engine/fingerprint.h */
  double baseline; /* percent, uncompressed */
  int n_layers;
  sp_plan_layer_accuracy *layers;
  int n_groups;
  sp_plan_group_accuracy *groups;
} sp_plan_accuracy;

void sp_plan_accuracy_free(sp_plan_accuracy *a);

/* A problem built from a profile, and where each of its parts came from. */
typedef struct sp_plan_source {
  sp_plan_problem problem;
  int **record;                   /* [n_layers][n_opt]: index into profile->records */
  int **level;                    /* [n_groups][n_keep]: the profile's keep level */
  int res_device[SP_PLAN_MAX_RES]; /* residency -> OpenCL device id, -1 = host */
  int records_total;              /* successful records in the profile */
  int records_no_accuracy;        /* left out: compression without an accuracy entry */
  int levels_no_accuracy;         /* keep levels left out for the same reason */
  int transitions_estimated;      /* tensors (at a keep level) with no measured copy time */
  int drops_negative;             /* options that scored above their baseline: drop taken as 0 */
  int drops_negative_beyond;      /* ... of them above it by more than their 95% interval */
  double drop_most_negative;      /* the lowest such drop (pp, < 0) */
  char notes[1024];               /* one line per note, "" when none */
} sp_plan_source;

/* Builds out->problem from a profile and accuracies (rules in
 * docs/planner.md): groups with the keep levels that have an accuracy,
 * layers in profile order with their inputs as predecessors, one option per
 * successful record whose compression and keep levels are known, act_bytes,
 * host<->device transitions, base accuracy = acc->baseline, no bounds,
 * minimum latency. SP_ERR_INPUT naming the layer when a layer is left with
 * no option or the profile does not fit the planner (more residencies or
 * inputs than it takes). Free with sp_plan_source_free. */
sp_status sp_plan_from_profile(const sp_profile *prof, const sp_plan_accuracy *acc,
                               sp_plan_source *out);

void sp_plan_source_free(sp_plan_source *s);

#endif
