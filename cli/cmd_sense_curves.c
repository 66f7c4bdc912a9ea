/* stackplan sense --curves DIR: accuracy of the whole model vs each kind
 * of compression, as DIR/<model>_curves.csv and, through a generated gnuplot
 * script, DIR/<model>_curves.png. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "accuracy/sense_curves_files.h"
#include "engine/core/timer.h"
#include "results/plot.h"
#include "cli/cmd_sense.h"

static void print_points(const sp_sense_point *points, const sp_sense_score *base) {
  printf("baseline: accuracy %.2f%%, loss %.4f\n", sp_sense_accuracy(base), sp_sense_loss(base));
  printf("%-8s %6s %9s %9s %9s %12s\n", "curve", "rate", "accuracy", "loss", "sparsity",
         "weights kept");
  for (int i = 0; i < SP_SENSE_CURVE_POINTS; i++) {
    const sp_sense_score *s = &points[i].score;
    printf("%-8s %6.2f %8.2f%% %9.4f %8.1f%% %11.1f%%\n", sp_sense_curve_name(points[i].kind),
           points[i].rate, sp_sense_accuracy(s), sp_sense_loss(s),
           s->weights ? 100.0 * (double)s->zeros / (double)s->weights : 0.0,
           base->weights ? 100.0 * (double)s->weights / (double)base->weights : 0.0);
  }
}

int sp_sense_run_curves(const sense_args *args, const sp_graph *g, const sp_sense_data *d) {
  struct stat st;
  if (stat(args->curves, &st) != 0 || !S_ISDIR(st.st_mode))
    return sp_cli_error(SENSE_CMD, 3, "%s: not a folder (--curves DIR writes into it)",
                        args->curves);
  char stem[128], csv[4096], png[4096], script[4096];
  sp_sense_model_stem(args->model, stem, sizeof stem);
  snprintf(csv, sizeof csv, "%s/%s_curves.csv", args->curves, stem);
  snprintf(png, sizeof png, "%s/%s_curves.png", args->curves, stem);
  snprintf(script, sizeof script, "%s/%s_curves.gp", args->curves, stem);
  printf("model: %s, fashion-mnist %s (%d images), %d curve points, %d threads\n", args->model,
         d->split, d->count, SP_SENSE_CURVE_POINTS, args->opt.threads);
  fflush(stdout);
  double t0 = sp_time_now();
  sp_sense_point points[SP_SENSE_CURVE_POINTS];
  char title[256];
  size_t n = 0;
  for (const char *p = args->model; *p && n + 1 < sizeof title; p++)
    if (*p != '\'' && *p != '\\') title[n++] = *p;
  title[n] = 0;
  sp_sense_score base;
  sp_sense_curves_files c = {.model = stem, .title = title, .csv = csv, .png = png, .data = d,
                             .points = points, .base = &base};
  sp_status s = sp_sense_curves(g, d, &args->opt, points, &base);
  if (s) return sp_cli_fail(SENSE_CMD, s);
  print_points(points, &base);
  printf("time: %.1f s\n", sp_time_now() - t0);
  if ((s = sp_sense_curves_write(&c, script))) return sp_cli_fail(SENSE_CMD, s);
  printf("curves: %s\n", csv);
  char first[256];
  int rc = sp_plot_run_gnuplot(script, first, sizeof first);
  if (rc < 0) printf("note: gnuplot not found, %s not drawn (install gnuplot-nox)\n", png);
  else if (rc)
    return sp_cli_error(SENSE_CMD, 1, "gnuplot failed on %s (exit %d)%s%s", script, rc,
                        first[0] ? ": " : "", first);
  else printf("plot: %s (gnuplot script %s)\n", png, script);
  return 0;
}
