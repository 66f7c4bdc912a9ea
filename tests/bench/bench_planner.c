/* Planner benchmark: solve time of the ILP on synthetic DAGs, from zoo-sized
 * profiles (20-60 layers, 20-100 options) up to 60 layers x 200 options,
 * and how much the ILP gains over the greedy baseline. One line per
 * instance. Usage: bench_planner [seeds (default 3)] */
#include <stdio.h>
#include <stdlib.h>

#include "planner/planner.h"
#include "planner/synthetic.h"

typedef struct config {
  const char *name;
  int layers, options;
  sp_plan_objective objective;
  double acc_frac, mem_frac, lat_frac;
} config;

/* ILP objective relative to greedy's, as a gain (> 0: the ILP is better). */
static double gain(sp_plan_objective obj, double ilp, double greedy) {
  if (obj == SP_PLAN_MAX_ACCURACY) return ilp - greedy; /* percentage points */
  return 1 - ilp / greedy;
}

int main(int argc, char **argv) {
  int seeds = argc > 1 ? atoi(argv[1]) : 3;
  static const config configs[] = {
      {"zoo-20x20", 20, 20, SP_PLAN_MIN_LATENCY, 0.3, 0.4, -1},
      {"zoo-40x50", 40, 50, SP_PLAN_MIN_LATENCY, 0.3, 0.4, -1},
      {"zoo-60x100", 60, 100, SP_PLAN_MIN_LATENCY, 0.3, 0.4, -1},
      {"zoo-60x100-mem", 60, 100, SP_PLAN_MIN_MEMORY, 0.3, -1, 0.3},
      {"big-60x200-loose", 60, 200, SP_PLAN_MIN_LATENCY, 0.8, 0.8, -1},
      {"big-60x200", 60, 200, SP_PLAN_MIN_LATENCY, 0.3, 0.4, -1},
      {"big-60x200-tight", 60, 200, SP_PLAN_MIN_LATENCY, 0.15, 0.2, -1},
      {"big-60x200-tighter", 60, 200, SP_PLAN_MIN_LATENCY, 0.1, 0.15, -1},
      {"big-60x200-mem", 60, 200, SP_PLAN_MIN_MEMORY, 0.3, -1, 0.3},
  };
  printf("%-18s %4s %8s %10s %-10s %8s %9s %12s %12s %8s\n", "instance", "seed", "options", "kept",
         "result", "time_s", "gap", "ilp", "greedy", "gain");
  for (size_t c = 0; c < sizeof configs / sizeof configs[0]; c++) {
    const config *cf = &configs[c];
    double worst = 0, sum_gain = 0;
    int n_gain = 0;
    for (int seed = 1; seed <= seeds; seed++) {
      sp_plan_synth s;
      sp_plan_synth_init(&s);
      s.n_layers = cf->layers;
      s.min_options = s.max_options = cf->options;
      s.dag = 1;
      s.objective = cf->objective;
      s.acc_frac = cf->acc_frac, s.mem_frac = cf->mem_frac, s.lat_frac = cf->lat_frac;
      s.seed = (uint64_t)seed;
      sp_plan_problem p;
      sp_plan ilp = {0}, g = {0};
      if (sp_plan_synthetic(&s, &p) || sp_plan_ilp(&p, NULL, &ilp) || sp_plan_greedy(&p, &g)) {
        fprintf(stderr, "bench_planner: %s\n", sp_last_error());
        return 1;
      }
      double gn = g.result == SP_PLAN_FEASIBLE && ilp.has_plan
                      ? gain(p.objective, ilp.objective, g.objective)
                      : 0;
      printf("%-18s %4d %8d %10d %-10s %8.3f %9.2g %12.6g %12.6g %7.2f%%%s\n", cf->name, seed,
             ilp.options_total, ilp.options_used, sp_plan_result_name(ilp.result), ilp.solve_s, ilp.gap,
             ilp.objective, g.result == SP_PLAN_FEASIBLE ? g.objective : 0.0, 100 * gn,
             g.result == SP_PLAN_FEASIBLE ? "" : " (greedy gave up)");
      if (ilp.result == SP_PLAN_INFEASIBLE) printf("  %s\n", ilp.message);
      if (ilp.solve_s > worst) worst = ilp.solve_s;
      if (g.result == SP_PLAN_FEASIBLE && ilp.has_plan) sum_gain += gn, n_gain++;
      sp_plan_free(&ilp), sp_plan_free(&g);
      sp_plan_problem_free(&p);
    }
    printf("%-18s worst %.3f s, mean gain over greedy %.2f%% (%d instances)\n", cf->name, worst,
           n_gain ? 100 * sum_gain / n_gain : 0.0, n_gain);
  }
  return 0;
}
