/* The files of `sense --curves` (sense_curves_files.h): the CSV of every
 * point and the gnuplot script of its three panels. */
#include "accuracy/sense_curves_files.h"

#include <stdio.h>

#include "engine/core/file_io.h"

static const char *const kind_names[] = {"prune", "ternary", "keep"};

const char *sp_sense_curve_name(sp_compress_kind kind) {
  return (unsigned)kind < sizeof kind_names / sizeof kind_names[0] ? kind_names[kind] : "?";
}

/* Writes text atomically (engine/core/file_io.h); SP_ERR_IO naming path. */
static sp_status write_file(const char *path, void (*body)(FILE *, const void *), const void *ctx) {
  sp_atomic_file af;
  sp_status s = sp_atomic_open(path, &af);
  if (s) return s;
  body(af.f, ctx);
  return sp_atomic_commit(&af);
}

static void csv_body(FILE *f, const void *ctx) {
  const sp_sense_curves_files *c = ctx;
  fprintf(f, "model,curve,rate,accuracy,loss,weights,zero_weights,sparsity,weights_kept\n");
  for (int i = 0; i < SP_SENSE_CURVE_POINTS; i++) {
    const sp_sense_point *p = &c->points[i];
    const sp_sense_score *s = &p->score;
    fprintf(f, "%s,%s,%g,%.4f,%.6f,%lld,%lld,%.6f,%.6f\n", c->model, kind_names[p->kind], p->rate,
            sp_sense_accuracy(s), sp_sense_loss(s), (long long)s->weights, (long long)s->zeros,
            s->weights ? (double)s->zeros / (double)s->weights : 0.0,
            c->base->weights ? (double)s->weights / (double)c->base->weights : 0.0);
  }
}

/* Three panels sharing the accuracy axis; the baseline and chance (10%)
 * as reference lines; the ternary panel also shows the sparsity t gives. */
static void script_body(FILE *f, const void *ctx) {
  const sp_sense_curves_files *c = ctx;
  double base = sp_sense_accuracy(c->base);
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

sp_status sp_sense_curves_write(const sp_sense_curves_files *c, const char *script) {
  sp_status s = write_file(c->csv, csv_body, c);
  return s ? s : write_file(script, script_body, c);
}
