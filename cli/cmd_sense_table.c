/* stackplan sense (the default mode): the accuracy table of every option,
 * printed and written as an accuracy file. */
#include <math.h>
#include <stdio.h>

#include "cli/cli.h"
#include "accuracy/sense_table.h"
#include "engine/core/timer.h"
#include "cli/cmd_sense.h"

/* The drop as measured (negative when the option scored above the
 * baseline), its 95% interval and the images it rests on. */
static void print_drop(const sp_accuracy_uncertainty *u, double accuracy) {
  printf(" %7.2f [%6.2f, %6.2f] %6d", u->baseline - accuracy, u->drop_lo, u->drop_hi, u->images);
}

static void print_table(const sp_accuracy *a) {
  printf("baseline: accuracy %.2f%%, loss %.4f\n", a->accuracy, a->loss);
  printf("%-28s %-8s %6s %9s %7s %16s %6s %9s\n", "layer", "option", "rate", "accuracy", "drop", "95% interval",
         "images", "loss");
  for (int i = 0; i < a->n_layers; i++) {
    const sp_accuracy_layer *l = &a->layers[i];
    printf("%-28s %-8s %6.2f %8.2f%%", l->layer, l->kind == SP_COMPRESS_PRUNE ? "prune" : "ternary", l->rate,
           l->accuracy);
    print_drop(&l->u, l->accuracy);
    printf(" %9.4f\n", l->loss);
  }
  printf("%-28s %-8s %6s %9s %7s %16s %6s %9s\n", "group", "keep", "kept", "accuracy", "drop", "95% interval",
         "images", "loss");
  for (int i = 0; i < a->n_groups; i++) {
    const sp_accuracy_group *gr = &a->groups[i];
    printf("%-28s %-8.2f %6d %8.2f%%", gr->group, gr->keep, gr->channels_kept, gr->accuracy);
    print_drop(&gr->u, gr->accuracy);
    printf(" %9.4f\n", gr->loss);
  }
}

int sp_sense_run_table(const sense_args *args, const sp_graph *g, const sp_sense_data *d) {
  sp_sense_grid grid = sp_sense_grid_default(args->quick);
  printf("model: %s, fashion-mnist %s (%d images), %s grid, %d threads (%s), batch %d\n",
         args->model, d->split, d->count, args->quick ? "quick" : "full", args->opt.threads,
         args->opt.parallel_kernels ? "OpenMP kernels" : "one batch per thread", args->opt.batch);
  fflush(stdout);
  double t0 = sp_time_now();
  sp_accuracy a;
  /* with --budget the whole split is loaded: --limit images first, more
   * where an interval straddles the budget */
  sp_sense_data first = *d;
  if (args->limit > 0 && args->limit < d->count) first.count = args->limit;
  sp_status s = sp_sense_measure(g, args->model, &first, &grid, &args->opt, &a);
  int refined = 0;
  if (!s && isfinite(args->budget)) s = sp_sense_refine(g, d, args->budget, &args->opt, &a, &refined);
  if (s) return sp_cli_fail(SENSE_CMD, s);
  double seconds = sp_time_now() - t0;
  print_table(&a);
  printf("time: %.1f s for %d options on %d images\n", seconds, a.n_layers + a.n_groups, first.count);
  if (isfinite(args->budget))
    printf("budget %.2f pp: %d re-measurements on more images (up to %d) where the drop's interval straddled it\n",
           args->budget, refined, d->count);
  int rc = 0;
  if (args->out) {
    if ((s = sp_accuracy_save(args->out, &a))) rc = sp_cli_fail(SENSE_CMD, s);
    else printf("accuracy file: %s\n", args->out);
  }
  sp_accuracy_free(&a);
  return rc;
}
