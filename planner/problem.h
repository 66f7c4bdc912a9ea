/* The planning problem in memory: channel groups with their keep levels,
 * layers in execution order with their options, activation sizes, transition
 * costs on graph edges, bounds and objective; and the plan a solver returns.
 * The solvers are declared in planner.h; this header only describes data and
 * how a choice of options is scored (sp_plan_evaluate), so that every solver
 * and every test measure a plan the same way. */
#ifndef SP_PLAN_PROBLEM_H
#define SP_PLAN_PROBLEM_H

#include "engine/core/status.h"

/* Memory in every planner flag, message, table and file: MB = 2^20 bytes
 * (MiB), one definition (issue #21). */
#define SP_PLAN_MB 1048576.0
static inline double sp_plan_mb(double bytes) { return bytes / SP_PLAN_MB; }

#define SP_PLAN_MAX_PRED 2 /* inputs of a layer (a residual add has 2), as SP_MAX_INPUTS */
#define SP_PLAN_MAX_RES 8  /* residencies: 0 = host, 1.. = devices (and layouts) */
#define SP_PLAN_NAME_MAX 64
#define SP_PLAN_LABEL_MAX 64

/* Channels that must share one width: a layer's output and its consumers'
 * input, every input of a residual add, a depthwise layer's input and output.
 * Channel pruning picks one keep level per group. */
typedef struct sp_plan_group {
  int n_keep;   /* keep levels, >= 1; an unprunable group has one level, 1.0 */
  double *keep; /* [n_keep] fraction of channels kept, in (0, 1] */
  double *drop; /* [n_keep] accuracy drop (percentage points, >= 0) of pruning
                 * this group to keep[k]; 0 for keep 1.0. Counted once per group. */
} sp_plan_group;

/* One way to run one layer: compression x input-channel keep x kernel variant
 * x parameter point, as profiled. */
typedef struct sp_plan_option {
  int keep_in;                   /* index into groups[g_in].keep */
  int keep_out;                  /* index into groups[g_out].keep; == keep_in when g_in == g_out */
  int residency;                 /* where the layer runs and its output lives, 0..n_res-1 */
  double latency_ms;             /* measured median, >= 0 */
  double weight_bytes;           /* in this option's format; resident for the whole run */
  double workspace_bytes;        /* scratch: on the host, live during this layer's step
                                  * only; on a device, part of the device workspace
                                  * held for the whole run (the largest one) */
  double drop;                   /* accuracy drop (pp, >= 0) of its own compression
                                  * (weight pruning, ternary); 0 for none */
  char label[SP_PLAN_LABEL_MAX]; /* free text for printing: variant/compression/threads */
} sp_plan_option;

/* A layer is one execution step; layers are in topological order. */
typedef struct sp_plan_layer {
  char name[SP_PLAN_NAME_MAX];
  int g_in, g_out;            /* channel groups of its input and its output */
  int n_pred;                 /* 0 for a layer reading the network input */
  int pred[SP_PLAN_MAX_PRED]; /* producers, earlier layers; their g_out must be g_in */
  /* Copies of this layer's output, as the executor makes them: once per
   * residency that one of its consumers runs on (and, for the last layer,
   * the network's output, once to the host), then reused. copy[(k * n_res +
   * a) * n_res + b] is the ms to copy it at keep level k of g_out from
   * residency a (this layer's option) to b, for a != b (a == b is never
   * paid); [groups[g_out].n_keep * n_res * n_res], NULL means free. */
  double *copy;
  double *act_bytes;   /* [groups[g_out].n_keep] output bytes per keep level */
  int n_opt;           /* >= 1 */
  sp_plan_option *opt; /* [n_opt] */
} sp_plan_layer;

typedef enum sp_plan_objective {
  SP_PLAN_MIN_LATENCY = 0, /* summed layer latency + transitions */
  SP_PLAN_MIN_MEMORY,      /* peak memory over the steps */
  SP_PLAN_MAX_ACCURACY,    /* base accuracy - summed drops */
} sp_plan_objective;

/* Every bound holds at once; an absent one is +-INFINITY. */
typedef struct sp_plan_bounds {
  double min_accuracy; /* percent; -INFINITY: none */
  double max_memory;   /* bytes of peak memory; INFINITY: none */
  double max_latency;  /* ms; INFINITY: none */
} sp_plan_bounds;

/* The last layer's output is the network's output: it ends on the host.
 * Memory model: at step s (layer s running) the memory is every chosen
 * weight + every live activation (host) + step s's workspace if it runs on
 * the host + the device memory, which the executor holds for the whole run:
 * every tensor a device layer writes or reads (at its kept size) and one
 * device workspace of the largest device option's; the peak is the max over
 * steps. A layer's output is live from its own step to its last
 * consumer's step (the last layer's output to the end, i.e. its own step);
 * the network input is live from step 0 to its last consumer. Host and device
 * memory are counted together against one bound.
 * Accuracy model: base - sum of group drops - sum of option drops (additive). */
typedef struct sp_plan_problem {
  int n_groups;
  sp_plan_group *groups; /* [n_groups], each used by at least one layer */
  int n_layers;
  sp_plan_layer *layers; /* [n_layers] */
  int n_res;             /* residencies 0..n_res-1, 1..SP_PLAN_MAX_RES */
  double input_bytes;    /* the network input, read by layers with n_pred == 0;
                          * their g_in must be a group with the one level 1.0.
                          * It starts on the host (residency 0). */
  double *input_copy;    /* [n_res] ms to copy the network input from the host
                          * to residency b (once per residency its readers run
                          * on; [0] is unused), or NULL: free. Allocated by
                          * sp_plan_problem_init when n_res > 1. */
  double base_accuracy;  /* percent, of the uncompressed network */
  sp_plan_bounds bounds;
  sp_plan_objective objective;
} sp_plan_problem;

/* What a plan achieves, recomputed from the problem. */
typedef struct sp_plan_metrics {
  double latency_ms;    /* layers + transitions */
  double transition_ms; /* the transitions' part of latency_ms */
  double peak_bytes;
  int peak_step;   /* layer at which the peak occurs */
  double accuracy; /* percent */
} sp_plan_metrics;

typedef enum sp_plan_result {
  SP_PLAN_OPTIMAL = 0, /* proven optimal within the bounds */
  SP_PLAN_FEASIBLE,    /* meets the bounds, optimality not proven (greedy) */
  SP_PLAN_INFEASIBLE,  /* proven: no plan meets the bounds; see `nearest` */
  SP_PLAN_TIME_LIMIT,  /* time limit hit; has_plan says if an incumbent exists */
  SP_PLAN_GAVE_UP,     /* heuristic found no plan meeting the bounds (none proven) */
  SP_PLAN_UNSUPPORTED, /* the solver does not accept this instance (message says why) */
} sp_plan_result;

/* Nearest feasible bounds of an infeasible problem: each bound's best value
 * when it alone is relaxed and the others kept (have_* = 0 when the other
 * bounds already conflict among themselves or the bound was not set). */
typedef struct sp_plan_nearest {
  int have_accuracy, have_memory, have_latency;
  double max_accuracy; /* percent */
  double min_memory;   /* bytes */
  double min_latency;  /* ms */
  /* Where relaxing one bound w is not enough (the others conflict among
   * themselves): pair[u][v] is metric u's best value with bounds w and u
   * relaxed and bound v alone kept (v == u: no bound kept); have_pair says
   * which exist. Indices 0 accuracy, 1 memory, 2 latency. */
  int have_pair[3][3];
  double pair[3][3];
} sp_plan_nearest;

typedef struct sp_plan {
  sp_plan_result result;
  int has_plan; /* option/keep/metrics are meaningful (GAVE_UP: the last try, missing a bound) */
  int n_layers, n_groups;
  int *option; /* [n_layers] chosen option index (into layers[l].opt) */
  int *keep;   /* [n_groups] chosen keep level index */
  sp_plan_metrics metrics;
  double objective;  /* the objective's metric of the plan (ms, bytes or %) */
  double bound;      /* best proven bound on the objective (ILP, DP, exhaustive) */
  double gap;        /* |objective - bound| / |objective|; 0 when proven optimal */
  double solve_s;    /* wall time of the solve */
  int options_total; /* options in the problem */
  int options_used;  /* left after pruning dominated and impossible ones */
  sp_plan_nearest nearest;
  char message[512]; /* one line: why infeasible / unsupported / gave up */
} sp_plan;

/* Allocates a problem of n_groups groups and n_layers layers with n_res
 * residencies; groups and layers start empty (fill them with the two calls
 * below), bounds absent, objective SP_PLAN_MIN_LATENCY, base accuracy 100. */
sp_status sp_plan_problem_init(sp_plan_problem *p, int n_groups, int n_layers, int n_res);

/* Allocates group g's n_keep levels (keep 1.0, drop 0 for all, to overwrite). */
sp_status sp_plan_group_init(sp_plan_problem *p, int g, int n_keep);

/* Allocates layer l's n_opt options (zeroed), its act_bytes for group g_out
 * (which must have been given its levels) and, when with_trans, its zeroed
 * copy matrix (a matrix per keep level of g_out). Sets g_in, g_out and the
 * predecessors. */
sp_status sp_plan_layer_init(sp_plan_problem *p, int l, int g_in, int g_out, int n_pred, const int *pred,
                             int n_opt, int with_trans);

/* Frees everything the calls above allocated and zeroes *p. */
void sp_plan_problem_free(sp_plan_problem *p);

/* Checks every index and value; SP_ERR_INPUT names the layer, option or
 * group at fault. Every solver calls it first. */
sp_status sp_plan_problem_validate(const sp_plan_problem *p);

/* Scores a choice of one option per layer: fills `keep` (per group, may be
 * NULL) and `m`. SP_ERR_INPUT when two layers disagree on a group's keep
 * level (naming both) or an option index is out of range. */
sp_status sp_plan_evaluate(const sp_plan_problem *p, const int *option, int *keep, sp_plan_metrics *m);

/* Whether metrics meet bounds (with a relative tolerance of 1e-9 that every
 * solver shares, so that a bound equal to an achieved value is met). */
int sp_plan_fits(const sp_plan_bounds *b, const sp_plan_metrics *m);

/* The objective's metric: latency_ms, peak_bytes or accuracy. */
double sp_plan_objective_value(sp_plan_objective obj, const sp_plan_metrics *m);

/* Whether objective value a is better than b by more than the tolerance. */
int sp_plan_better(sp_plan_objective obj, double a, double b);

/* When the additive accuracy model predicts less than 0% for metrics m
 * (possible without --min-accuracy: the drops of many compressions summed),
 * writes a one-line warning naming the prediction, the summed drops and the
 * baseline into out and returns 1; else returns 0. */
int sp_plan_accuracy_warning(const sp_plan_problem *p, const sp_plan_metrics *m, char *out, int size);

/* Frees a plan's arrays and zeroes it. A plan must start zeroed ({0}) or
 * come from a solver, which frees and refills it. */
void sp_plan_free(sp_plan *plan);

const char *sp_plan_result_name(sp_plan_result r);
const char *sp_plan_objective_name(sp_plan_objective o);

#endif
