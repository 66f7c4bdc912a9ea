/* Diagnosis of infeasible bounds: for each bound that is set, relax it
 * alone, keep the others, and optimise its own metric with the ILP. The
 * answers are the nearest bounds that can be met, one at a time. */
#include "planner/internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { ACC, MEM, LAT };

static double *bound_of(sp_plan_bounds *b, int which) {
  return which == ACC ? &b->min_accuracy : which == MEM ? &b->max_memory : &b->max_latency;
}

/* Best value of `which`'s metric with its bound removed; 0 if none exists. */
static sp_status relax(const sp_plan_problem *p, const sp_ilp_params *params, int which, int *have,
                       double *value) {
  static const sp_plan_objective objective[] = {SP_PLAN_MAX_ACCURACY, SP_PLAN_MIN_MEMORY,
                                                SP_PLAN_MIN_LATENCY};
  sp_plan_problem q = *p; /* shares the arrays; only bounds and objective differ */
  *bound_of(&q.bounds, which) = which == ACC ? -INFINITY : INFINITY;
  q.objective = objective[which];
  sp_plan plan = {0};
  sp_status st = sp_plan_ilp_solve(&q, params, &plan);
  *have = !st && plan.has_plan;
  *value = plan.objective;
  sp_plan_free(&plan);
  return st;
}

/* Appends printf output to message, never past its end. */
__attribute__((format(printf, 3, 4))) static void append(char *message, int size, const char *fmt, ...) {
  size_t n = strlen(message);
  if (n + 1 >= (size_t)size) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message + n, (size_t)size - n, fmt, ap);
  va_end(ap);
}

/* " for 92.00%", " within 10.00 MB", " and 5.000 ms": the bounds kept while `which` was relaxed. */
static void append_kept(char *message, int size, const sp_plan_bounds *b, int which) {
  if (which != ACC && isfinite(b->min_accuracy)) append(message, size, " for %.2f%%", b->min_accuracy);
  const char *joint = " within";
  if (which != MEM && isfinite(b->max_memory)) {
    append(message, size, " within %.2f MB", b->max_memory / 1e6);
    joint = " and";
  }
  if (which != LAT && isfinite(b->max_latency))
    append(message, size, "%s %.3f ms", joint, b->max_latency);
}

sp_status sp_plan_nearest_bounds(const sp_plan_problem *p, const sp_ilp_params *params,
                                 sp_plan_nearest *nearest, char *message, int message_size) {
  sp_ilp_params aux;
  if (params)
    aux = *params;
  else
    sp_ilp_params_init(&aux);
  aux.nearest = 0;
  aux.tie_break = 0; /* only the relaxed metric's optimum is wanted */
  memset(nearest, 0, sizeof *nearest);
  sp_status st = sp_plan_problem_validate(p);
  if (st) return st;
  const sp_plan_bounds *b = &p->bounds;
  int set[3] = {isfinite(b->min_accuracy), isfinite(b->max_memory), isfinite(b->max_latency)};
  if (set[ACC] && (st = relax(p, &aux, ACC, &nearest->have_accuracy, &nearest->max_accuracy))) return st;
  if (set[MEM] && (st = relax(p, &aux, MEM, &nearest->have_memory, &nearest->min_memory))) return st;
  if (set[LAT] && (st = relax(p, &aux, LAT, &nearest->have_latency, &nearest->min_latency))) return st;
  if (!message || message_size < 1) return SP_OK;
  static const char *metric[] = {"accuracy", "memory", "latency"};
  int have[3] = {nearest->have_accuracy, nearest->have_memory, nearest->have_latency};
  /* Printed values round towards feasibility (a bound equal to an achieved
   * value is met, sp_plan_fits), so each can be pasted back as a bound. */
  double shown[3] = {floor(nearest->max_accuracy * 100 + 1e-7) / 100,
                     ceil(nearest->min_memory / 1e4 - 1e-7) / 100,
                     ceil(nearest->min_latency * 1000 - 1e-7) / 1000};
  static const char *format[] = {" at most %.2f%% accuracy", " at least %.2f MB", " at least %.3f ms"};
  snprintf(message, (size_t)message_size, "infeasible:");
  const char *sep = "";
  for (int which = ACC; which <= LAT; which++) {
    if (!set[which]) continue;
    append(message, message_size, "%s", sep);
    sep = ";";
    if (!have[which]) {
      append(message, message_size, " no plan meets the other bounds even without the %s bound",
             metric[which]);
      continue;
    }
    append(message, message_size, format[which], shown[which]);
    append_kept(message, message_size, b, which);
  }
  if (!set[ACC] && !set[MEM] && !set[LAT])
    append(message, message_size,
           " the layers' options admit no consistent keep levels, even without bounds");
  return SP_OK;
}
