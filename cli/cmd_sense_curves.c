/* stackplan sense --curves DIR: accuracy of the whole model vs each kind
 * of compression, as DIR/<model>_curves.csv and, through a generated gnuplot
 * script, DIR/<model>_curves.png. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "engine/core/file_io.h"
#include "accuracy/sense_curves.h"
#include "engine/core/timer.h"
#include "results/plot.h"
#include "cli/cmd_sense.h"

static const char *const kind_names[] = {"prune", "ternary", "keep"};

/* Writes text atomically (engine/core/file_io.h); SP_ERR_IO naming path. */
static sp_status write_file(const char *path, void (*body)(FILE *, const void *), const void *ctx) {
  sp_atomic_file af;
  sp_status s = sp_atomic_open(path, &af);
  if (s) return s;
  body(af.f, ctx);
  return sp_atomic_commit(&af);
}

typedef struct curves {
  const char *model, *title, *csv, *png; /* title: the model as typed, quotes dropped */
  const sp_sense_data *data;
  const sp_sense_point *points;
  sp_sense_score base;
} curves;

static void csv_body(FILE *f, const void *ctx) {
  const curves *c = ctx;
  fprintf(f, "model,curve,rate,accuracy,loss,weights,zero_weights,sparsity,weights_kept\n");
  for (int i = 0; i < SP_SENSE_CURVE_POINTS; i++) {
    const sp_sense_point *p = &c->points[i];
    const sp_sense_score *s = &p->score;
    fprintf(f, "%s,%s,%g,%.4f,%.6f,%lld,%lld,%.6f,%.6f\n", c->model, kind_names[p->kind], p->rate,
            sp_sense_accuracy(s), sp_sense_loss(s), (long long)s->weights, (long long)s->zeros,
            s->weights ? (double)s->zeros / (double)s->weights : 0.0,
            c->base.weights ? (double)s->weights / (double)c->base.weights : 0.0);
  }
}

/* Three panels sharing the accuracy axis; the baseline and chance (10%)
 * as reference lines; the ternary panel also shows the sparsity t gives. */
static void script_body(FILE *f, const void *ctx) {
  const curves *c = ctx;
  double base = sp_sense_accuracy(&c->base);
  fprintf(f,
          "set terminal pngcairo size 1500,520 font 'sans,11' noenhanced\n"
          "set output '%s'\n"
          "set datafile separator ','\n"
          "set multiplot layout 1,3 title '%s: accuracy with the whole model compressed, no fine-tuning "
          "(fashion-mnist %s, %d images; baseline %.2f%%)' font 'sans,13'\n"
          "set grid\nset yrange [0:100]\nset ylabel 'top-1 accuracy (%%)'\n"
          "set key below horizontal maxrows 2 samplen 2\nset bmargin 7\n"
          "base = %.6f\n"
          "sel(k) = strcol(2) eq k ? $4 : NaN\n",
          c->png, c->title, c->data->split, c->data->count, base, base);
  fprintf(f,
          "set title 'Weight pruning: every conv/fc layer at sparsity s'\n"
          "set xlabel 'sparsity s (fraction of weights set to 0)'\nset xrange [0:1]\n"
          "plot '%s' skip 1 using 3:(sel('prune')) with linespoints lw 2 pt 7 title 'pruned', "
          "base with lines dt 2 lc 'black' title 'baseline', 10 with lines dt 3 lw 2 lc 'dark-gray' "
          "title 'chance'\n",
          c->csv);
  fprintf(f,
          "set title 'Channel pruning: every prunable group keeps k'\n"
          "set xlabel 'channels pruned, 1 - k'\nset xrange [0:1]\n"
          "plot '%s' skip 1 using (1-$3):(sel('keep')) with linespoints lw 2 pt 7 lc 3 "
          "title 'channel-pruned', base with lines dt 2 lc 'black' title 'baseline', 10 with "
          "lines dt 3 lw 2 lc 'dark-gray' title 'chance'\n",
          c->csv);
  fprintf(f,
          "set title 'Ternary (TWN): every conv/fc layer, threshold t x mean|w|'\n"
          "set xlabel 'threshold factor t'\nset xrange [0.2:1.3]\n"
          "set y2label 'weights set to 0 (%%)'\nset y2range [0:100]\nset y2tics\n"
          "plot '%s' skip 1 using 3:(sel('ternary')) with linespoints lw 2 pt 7 lc 4 "
          "title 'ternarised', '' skip 1 using 3:(strcol(2) eq 'ternary' ? 100*$8 : NaN) axes "
          "x1y2 with linespoints dt 4 pt 6 lc 4 title 'sparsity (right axis)', base with lines "
          "dt 2 lc 'black' title 'baseline', 10 with lines dt 3 lw 2 lc 'dark-gray' title 'chance'\n"
          "unset multiplot\n",
          c->csv);
}

static void print_points(const sp_sense_point *points, const sp_sense_score *base) {
  printf("baseline: accuracy %.2f%%, loss %.4f\n", sp_sense_accuracy(base), sp_sense_loss(base));
  printf("%-8s %6s %9s %9s %9s %12s\n", "curve", "rate", "accuracy", "loss", "sparsity",
         "weights kept");
  for (int i = 0; i < SP_SENSE_CURVE_POINTS; i++) {
    const sp_sense_score *s = &points[i].score;
    printf("%-8s %6.2f %8.2f%% %9.4f %8.1f%% %11.1f%%\n", kind_names[points[i].kind],
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
  curves c = {.model = stem, .title = title, .csv = csv, .png = png, .data = d, .points = points};
  sp_status s = sp_sense_curves(g, d, &args->opt, points, &c.base);
  if (s) return sp_cli_fail(SENSE_CMD, s);
  print_points(points, &c.base);
  printf("time: %.1f s\n", sp_time_now() - t0);
  if ((s = write_file(csv, csv_body, &c)) || (s = write_file(script, script_body, &c)))
    return sp_cli_fail(SENSE_CMD, s);
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
