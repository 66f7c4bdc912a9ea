/* Diagnosis of infeasible bounds: for each bound that is set, relax it
 * alone, keep the others, and optimise its own metric with the ILP. The
 * answers are the nearest bounds that can be met, one at a time. Where the
 * other bounds conflict among themselves, each of them is also relaxed in
 * turn with only the third kept, so that the message always has numbers. */
#include "planner/internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { ACC, MEM, LAT };

static double *bound_of(sp_plan_bounds *b, int which) {
  return which == ACC ? &b->min_accuracy : which == MEM ? &b->max_memory : &b->max_latency;
}

/* Best value of `which`'s metric with its bound and the bounds in `also` (a
 * bit per bound) removed; *have = 0 if no plan meets the bounds left. */
static sp_status relax(const sp_plan_problem *p, const sp_ilp_params *params, int which, int also, int *have,
                       double *value) {
  static const sp_plan_objective objective[] = {SP_PLAN_MAX_ACCURACY, SP_PLAN_MIN_MEMORY,
                                                SP_PLAN_MIN_LATENCY};
  sp_plan_problem q = *p; /* shares the arrays; only bounds and objective differ */
  also |= 1 << which;
  for (int k = ACC; k <= LAT; k++)
    if (also & 1 << k) *bound_of(&q.bounds, k) = k == ACC ? -INFINITY : INFINITY;
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

/* " for 92.00%", " within 10.00 MB", " and 5.000 ms": the bounds of b other
 * than those in `skip` (a bit per bound). */
static void append_kept(char *message, int size, const sp_plan_bounds *b, int skip) {
  if (!(skip & 1 << ACC) && isfinite(b->min_accuracy)) append(message, size, " for %.2f%%", b->min_accuracy);
  const char *joint = " within";
  if (!(skip & 1 << MEM) && isfinite(b->max_memory)) {
    append(message, size, " within %.2f MB", sp_plan_mb(b->max_memory));
    joint = " and";
  }
  if (!(skip & 1 << LAT) && isfinite(b->max_latency)) append(message, size, "%s %.3f ms", joint, b->max_latency);
}

/* " at most 88.10% accuracy", rounded towards feasibility (a bound equal to
 * an achieved value is met, sp_plan_fits), so it can be pasted back. */
static void append_value(char *message, int size, int which, double v) {
  if (which == ACC) append(message, size, " at most %.2f%% accuracy", floor(v * 100 + 1e-7) / 100);
  else if (which == MEM) append(message, size, " at least %.2f MB", ceil(sp_plan_mb(v) * 100 - 1e-7) / 100);
  else append(message, size, " at least %.3f ms", ceil(v * 1000 - 1e-7) / 1000);
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
  int *have[3] = {&nearest->have_accuracy, &nearest->have_memory, &nearest->have_latency};
  double *value[3] = {&nearest->max_accuracy, &nearest->min_memory, &nearest->min_latency};
  for (int w = ACC; w <= LAT && !st; w++)
    if (set[w]) st = relax(p, &aux, w, 0, have[w], value[w]);
  /* The others conflict without w: each of them relaxed too, the third kept. */
  for (int w = ACC; w <= LAT && !st; w++)
    for (int u = ACC; u <= LAT && !st && set[w] && !*have[w]; u++) {
      if (u == w || !set[u]) continue;
      int v = 3 - w - u, kept = set[v] ? v : u;
      if (!nearest->have_pair[u][kept])
        st = relax(p, &aux, u, 1 << w, &nearest->have_pair[u][kept], &nearest->pair[u][kept]);
      /* none: bound v alone cannot be met; its best with no bound at all */
      if (!st && !nearest->have_pair[u][kept] && kept != u && !nearest->have_pair[v][v])
        st = relax(p, &aux, v, 7, &nearest->have_pair[v][v], &nearest->pair[v][v]);
    }
  if (st || !message || message_size < 1) return st;
  static const char *metric[] = {"accuracy", "memory", "latency"};
  snprintf(message, (size_t)message_size, "no plan meets the bounds:");
  const char *sep = "";
  for (int w = ACC; w <= LAT; w++) {
    if (!set[w]) continue;
    append(message, message_size, "%s", sep);
    sep = ";";
    if (*have[w]) {
      append_value(message, message_size, w, *value[w]);
      append_kept(message, message_size, b, 1 << w);
      continue;
    }
    append(message, message_size, " even without the %s bound the others conflict:", metric[w]);
    const char *comma = "";
    for (int u = ACC; u <= LAT; u++) {
      if (u == w || !set[u]) continue;
      int v = 3 - w - u, kept = set[v] ? v : u;
      append(message, message_size, "%s", comma);
      comma = ",";
      if (nearest->have_pair[u][kept]) {
        append_value(message, message_size, u, nearest->pair[u][kept]);
        if (kept == u) append(message, message_size, " with no other bound");
        else append_kept(message, message_size, b, 1 << w | 1 << u);
      } else if (kept != u && nearest->have_pair[v][v]) { /* bound v alone cannot be met */
        append_value(message, message_size, v, nearest->pair[v][v]);
        append(message, message_size, " with no other bound");
      } else {
        append(message, message_size, " no consistent plan");
      }
    }
  }
  if (!set[ACC] && !set[MEM] && !set[LAT])
    append(message, message_size,
           " the layers' options admit no consistent keep levels, even without bounds");
  return SP_OK;
}
