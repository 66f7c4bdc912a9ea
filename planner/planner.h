/* The planner's solvers: the ILP on GLPK and its baselines. Each validates
 * the problem first (SP_ERR_INPUT naming the layer/option/group at fault),
 * returns SP_OK when it ran, and leaves the outcome in plan->result:
 * OPTIMAL, INFEASIBLE (with plan->nearest and plan->message), TIME_LIMIT, ...
 * SP_ERR_RUNTIME means out of memory or a GLPK failure. */
#ifndef SP_PLANNER_H
#define SP_PLANNER_H

#include "planner/problem.h"

typedef struct sp_ilp_params {
  double time_limit_s; /* GLPK branch-and-bound time limit (default 60) */
  int verbose;         /* 1: GLPK prints its progress on the terminal (default 0) */
  int prune;           /* 1: drop dominated and impossible options first (default 1) */
  int warm_start;      /* 1: give GLPK the greedy plan as first incumbent (default 1) */
  int nearest;         /* 1: on infeasibility, solve the auxiliary ILPs that find
                        * the nearest feasible bounds (default 1) */
  int tie_break;       /* 1: among plans equal in the objective, the best for the
                        * user (sp_plan_lex_order: then accuracy, then latency or
                        * memory), by solving again with each metric fixed at
                        * its optimum (default 1) */
  double tie_epsilon;  /* relative slack of that fixing: "equal" means within
                        * tie_epsilon * max(1, |optimum|) (default 1e-7) */
} sp_ilp_params;

void sp_ilp_params_init(sp_ilp_params *params);

/* Solves the formulation of DESIGN.md ("Planner formulation") to proven
 * optimality (MIP gap 0) unless the time limit stops it: then result is
 * SP_PLAN_TIME_LIMIT with the incumbent (if any) and plan->gap. With
 * tie_break, an optimal plan is then made lexicographically optimal: the
 * objective is fixed at its optimum (within tie_epsilon) and the next metric
 * of sp_plan_lex_order optimised, twice; plan->bound and plan->gap are the
 * first solve's. params may be NULL for the defaults. */
sp_status sp_plan_ilp(const sp_plan_problem *p, const sp_ilp_params *params, sp_plan *plan);

/* Baseline, NetAdapt-style: from the most accurate plan (each group at its
 * least-drop keep level, each layer on its most accurate option), repeatedly
 * the single-layer or channel-group move with the most latency (the
 * objective's metric) gained per accuracy lost that keeps every bound; while
 * a memory or latency bound is missed, the move with the most violation
 * removed per accuracy lost that keeps the accuracy bound. result is
 * SP_PLAN_FEASIBLE or SP_PLAN_GAVE_UP (message says which bound it could
 * not meet). */
sp_status sp_plan_greedy(const sp_plan_problem *p, sp_plan *plan);

/* Reference: every combination of options. Refuses (SP_PLAN_UNSUPPORTED)
 * when the product of option counts exceeds max_combinations. */
sp_status sp_plan_exhaustive(const sp_plan_problem *p, double max_combinations, sp_plan *plan);

/* Exact dynamic programme for chains (layer l reads layer l-1 only, and each
 * group spans consecutive layers). States are (keep level, residency) at
 * each layer boundary, each holding the Pareto set of (latency, drop,
 * weights, local memory peak) restricted to what the objective and bounds
 * use, so bounds are handled exactly, without discretisation. Refuses
 * (SP_PLAN_UNSUPPORTED) non-chains, and instances whose Pareto sets exceed
 * max_labels labels in all (0: a default of 2 million). */
sp_status sp_plan_chain_dp(const sp_plan_problem *p, long max_labels, sp_plan *plan);

/* For an infeasible problem: each set bound's best value with the others
 * kept, by auxiliary ILPs (max accuracy within the memory and latency
 * bounds, min memory at the accuracy and latency bounds, min latency at the
 * accuracy and memory bounds), and a one-line message such as
 * "no plan meets the bounds: at most 88.10% accuracy within 10.00 MB; at
 * least 14.20 MB for 92.00%" (MB = 2^20 bytes, SP_PLAN_MB; accuracy rounded
 * down, memory and latency up, so that the printed bounds are feasible).
 * Where the other bounds conflict without one, the message gives their own
 * nearest values with only the third kept ("even without the accuracy bound
 * the others conflict: at least 30.00 MB within 5.000 ms, at least 10.000 ms
 * within 10.00 MB"), from nearest->pair. The ILP's message on an infeasible
 * problem is this one. */
sp_status sp_plan_nearest_bounds(const sp_plan_problem *p, const sp_ilp_params *params,
                                 sp_plan_nearest *nearest, char *message, int message_size);

#endif
