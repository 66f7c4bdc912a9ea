/* Seeded random planning problems for the planner's tests and benchmark:
 * chains or DAGs with residual joins, prunable and unprunable channel
 * groups, options with realistic trade-offs (faster variants need workspace,
 * compressed ones lose accuracy, devices are faster but cost transfers). */
#ifndef SP_PLAN_SYNTHETIC_H
#define SP_PLAN_SYNTHETIC_H

#include <stdint.h>

#include "planner/problem.h"

typedef struct sp_plan_synth {
  int n_layers;                 /* >= 1 */
  int min_options, max_options; /* options per layer, uniform in [min, max] */
  int dag;                      /* 1: residual blocks (joins, some with projections) */
  int n_res;                    /* residencies, 1..SP_PLAN_MAX_RES */
  int transitions;              /* 1: copy costs of every tensor (and of the network input) */
  int max_keep;                 /* keep levels of a prunable group, 1..4 */
  /* Each bound is placed at lo + frac * (hi - lo) between an optimistic and a
   * pessimistic estimate of its metric (sums of per-layer extremes): near 0
   * is tight or infeasible, 1 is loose. Negative: no bound. */
  double acc_frac, mem_frac, lat_frac;
  sp_plan_objective objective;
  uint64_t seed;
} sp_plan_synth;

/* Defaults: 10 layers, 1..8 options, chain, 2 residencies with transitions,
 * 4 keep levels, no bounds, min latency, seed 1. */
void sp_plan_synth_init(sp_plan_synth *s);

/* Fills *p (freed with sp_plan_problem_free). SP_ERR_INPUT for bad parameters. */
sp_status sp_plan_synthetic(const sp_plan_synth *s, sp_plan_problem *p);

#endif
