#include "profiler/measure.h"

#include <stdlib.h>

#include "engine/core/timer.h"

sp_measure_options sp_measure_options_default(void) {
  return (sp_measure_options){.warmup = 2, .min_runs = 5, .max_runs = 1000, .min_seconds = 0.2};
}

int sp_measure(void (*work)(void *ctx), void *ctx, const sp_measure_options *opt,
               sp_timing *out) {
  *out = (sp_timing){0};
  if (opt->driver) return opt->driver(opt->driver_ctx, work, opt->before, ctx, out);
  int cap = opt->max_runs > opt->min_runs ? opt->max_runs : opt->min_runs;
  if (cap < 1) cap = 1;
  double *t = malloc((size_t)cap * sizeof *t);
  if (!t) return -1;
  for (int i = 0; i < opt->warmup; i++) {
    if (opt->before) opt->before(ctx);
    work(ctx);
  }
  double total = 0;
  int n = 0;
  while (n < cap && (n < opt->min_runs || total < opt->min_seconds)) {
    if (opt->before) opt->before(ctx);
    double t0 = sp_time_now();
    work(ctx);
    t[n] = sp_time_now() - t0;
    total += t[n++];
  }
  out->n = n;
  out->p10 = sp_quantile(t, n, 0.1);
  out->median = sp_quantile(t, n, 0.5);
  out->p90 = sp_quantile(t, n, 0.9);
  free(t);
  return 0;
}
