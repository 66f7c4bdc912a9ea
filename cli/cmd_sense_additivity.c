/* stackplan sense --additivity N --accuracy FILE: random combinations of
 * the file's entries measured together against the additive prediction;
 * a table, a summary of the errors, and optionally a CSV. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "accuracy/sense_additivity.h"
#include "engine/core/timer.h"
#include "cli/cmd_sense.h"

/* The file must describe this model on these data, or its drops do not
 * predict anything here. */
static sp_status check_file(const sense_args *args, const sp_accuracy *acc, const sp_graph *g,
                            const sp_sense_data *d) {
  sp_status s = sp_accuracy_check(acc, args->accuracy, g);
  if (!s && (strcmp(acc->split, d->split) || acc->images != d->count))
    s = sp_fail(SP_ERR_INPUT,
                "%s: data is %s %s with %d images, this run %s with %d (use the same --split "
                "and --limit)",
                args->accuracy, acc->data, acc->split, acc->images, d->split, d->count);
  return s;
}

static void print_combos(const sp_sense_combo *c, int n, const sp_sense_error_summary *e) {
  printf("%4s %5s %10s %9s %7s  %s\n", "#", "items", "predicted", "measured", "error",
         "combination");
  for (int i = 0; i < n; i++)
    printf("%4d %5d %9.2f%% %8.2f%% %+7.2f  %s\n", i + 1, c[i].n_items, c[i].predicted,
           c[i].measured, c[i].predicted - c[i].measured, c[i].spec);
  printf("error (predicted - measured, points): mean %+.2f, mean |e| %.2f, median |e| %.2f, max "
         "|e| %.2f; optimistic in %d of %d, pessimistic in %d\n",
         e->mean, e->mean_abs, e->median_abs, e->max_abs, e->optimistic, e->n, e->pessimistic);
}

int sp_sense_run_additivity(const sense_args *args, const sp_graph *g, const sp_sense_data *d) {
  sp_accuracy acc;
  sp_status s = sp_accuracy_load(args->accuracy, &acc);
  if (s) return sp_cli_fail(SENSE_CMD, s);
  if ((s = check_file(args, &acc, g, d))) {
    sp_accuracy_free(&acc);
    return sp_cli_fail(SENSE_CMD, s);
  }
  printf("model: %s, fashion-mnist %s (%d images), %d combinations (seed %d) of %s (%s, "
         "baseline %.2f%%)",
         args->model, d->split, d->count, args->additivity, args->seed, args->accuracy,
         acc.source, acc.accuracy);
  if (isfinite(args->max_drop)) printf(", entries with drops <= %g", args->max_drop);
  printf("\n");
  fflush(stdout);
  double t0 = sp_time_now();
  sp_sense_combo *c = NULL;
  sp_sense_score base;
  s = sp_sense_additivity(g, &acc, d, args->additivity, (uint64_t)args->seed, args->max_drop,
                          &args->opt, &c, &base);
  int rc = 0;
  if (s) {
    rc = sp_cli_fail(SENSE_CMD, s);
  } else {
    sp_sense_error_summary e = sp_sense_additivity_summary(c, args->additivity);
    printf("baseline measured now: %.2f%%\n", sp_sense_accuracy(&base));
    print_combos(c, args->additivity, &e);
    printf("time: %.1f s\n", sp_time_now() - t0);
    char stem[128];
    sp_sense_model_stem(args->model, stem, sizeof stem);
    if (args->csv && (s = sp_sense_additivity_write_csv(args->csv, stem, c, args->additivity)))
      rc = sp_cli_fail(SENSE_CMD, s);
    else if (args->csv)
      printf("csv: %s\n", args->csv);
  }
  sp_sense_combos_free(c, args->additivity);
  sp_accuracy_free(&acc);
  return rc;
}
