/* The files `sense --curves` writes: the points as CSV and a gnuplot script
 * that draws them (three panels: pruning, channel keep, ternary) into a PNG.
 * Running gnuplot is the caller's (results/plot.h, above this module). */
#ifndef SP_SENSE_CURVES_FILES_H
#define SP_SENSE_CURVES_FILES_H

#include "accuracy/sense_curves.h"

typedef struct sp_sense_curves_files {
  const char *model;                /* the model's file stem, the CSV's first column */
  const char *title;                /* the model as typed, without quotes or backslashes */
  const char *csv, *png;            /* paths: the CSV written, the PNG the script draws */
  const sp_sense_data *data;        /* the split measured on (named in the title) */
  const sp_sense_point *points;     /* SP_SENSE_CURVE_POINTS of them */
  const sp_sense_score *base;       /* the uncompressed model */
} sp_sense_curves_files;

/* "prune", "ternary" or "keep": a curve's name in the CSV. */
const char *sp_sense_curve_name(sp_compress_kind kind);

/* Writes c->csv, then the gnuplot script `script`, each atomically;
 * SP_ERR_IO naming the file that failed. */
sp_status sp_sense_curves_write(const sp_sense_curves_files *c, const char *script);

#endif
