/* stackplan sense, shared between its files: cmd_sense.c (options, model and
 * data, dispatch), sense_table.c (the accuracy file), sense_curves.c,
 * sense_additivity.c and sense_model.c (--check, --identify). */
#ifndef SP_CLI_SENSE_H
#define SP_CLI_SENSE_H

#include "engine/graph/graph.h"
#include "accuracy/sense.h"

#define SENSE_CMD "sense"

typedef struct sense_args {
  const char *model;
  const char *data;       /* dataset name, or NULL */
  const char *split;      /* "calib" (default) or "test" */
  int limit;              /* images of the split, 0 = all */
  const char *out;        /* accuracy file to write, or NULL */
  int quick;
  const char *curves;     /* folder for the curves, or NULL */
  int additivity;         /* combinations, 0 = not this mode */
  const char *accuracy;   /* the accuracy file --additivity predicts from */
  const char *csv;        /* where --additivity writes its CSV, or NULL */
  int seed;
  double max_drop;        /* --additivity draws entries with at most this drop */
  const char *check;      /* accuracy file to check against the model, or NULL */
  int identify;
  double budget;          /* --budget: INFINITY = none */
  sp_sense_options opt;
} sense_args;

/* The modes: each returns the exit code. */
int sp_sense_run_table(const sense_args *a, const sp_graph *g, const sp_sense_data *d);
int sp_sense_run_curves(const sense_args *a, const sp_graph *g, const sp_sense_data *d);
int sp_sense_run_additivity(const sense_args *a, const sp_graph *g, const sp_sense_data *d);
int sp_sense_run_check(const sense_args *a, const sp_graph *g);
int sp_sense_run_identify(const sense_args *a, const sp_graph *g);

/* The model's short name for file names: the spec's or file's base name up
 * to the first ':' or '.' ("resnet18:w=0.5" -> "resnet18", "models/vgg16.onnx"
 * -> "vgg16"). */
void sp_sense_model_stem(const char *model, char *out, size_t cap);

/* Progress on stderr while it is a terminal ("sense: 37%, 2m10s left"). */
void sp_sense_progress(void *start, int64_t done, int64_t total);

#endif
