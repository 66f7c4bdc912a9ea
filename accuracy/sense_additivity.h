/* The additive accuracy model checked: the planner predicts the accuracy of
 * several compressions at once as baseline - the sum of their drops measured
 * one at a time (accuracy file). Here random combinations are measured
 * together and compared with that prediction. */
#ifndef SP_SENSE_ADDITIVITY_H
#define SP_SENSE_ADDITIVITY_H

#include <stdint.h>

#include "accuracy/accuracy_io.h"
#include "accuracy/sense.h"

typedef struct sp_sense_combo {
  char *spec;        /* the combination as a compression spec (sp_compression_apply) */
  int n_items;       /* layers and groups compressed: 2 to 6 */
  double predicted;  /* acc->accuracy - sum of sp_accuracy_drop of its entries */
  double measured;   /* accuracy with all of them applied at once */
  double loss;       /* mean cross-entropy, measured */
} sp_sense_combo;

/* Draws n combinations (seeded: the same seed gives the same ones) of 2 to 6
 * entries of acc whose drop is at most max_drop (INFINITY: all) — each pick
 * chooses a kind (prune, ternary, keep) uniformly among the kinds left, then
 * one of its entries; never one layer weight-compressed twice nor one group
 * kept twice — and measures them on data. *out receives n combinations (free
 * with sp_sense_combos_free) and *baseline the uncompressed model's score.
 * Errors: SP_ERR_INPUT when fewer than 2 entries qualify or acc names layers
 * g lacks, sp_sense_evaluate's. */
sp_status sp_sense_additivity(const sp_graph *g, const sp_accuracy *acc,
                              const sp_sense_data *data, int n, uint64_t seed, double max_drop,
                              const sp_sense_options *opt, sp_sense_combo **out,
                              sp_sense_score *baseline);

void sp_sense_combos_free(sp_sense_combo *c, int n);

/* The error of the prediction, predicted - measured, over n combinations. */
typedef struct sp_sense_error_summary {
  int n;
  double mean;        /* signed: > 0 means the additive model is optimistic */
  double mean_abs, median_abs, max_abs;
  int optimistic;     /* predicted > measured */
  int pessimistic;    /* predicted < measured */
} sp_sense_error_summary;

sp_sense_error_summary sp_sense_additivity_summary(const sp_sense_combo *c, int n);

/* Writes the n combinations as CSV (model, index, items, predicted,
 * measured, error, loss, spec) to `path`, atomically; SP_ERR_IO naming it. */
sp_status sp_sense_additivity_write_csv(const char *path, const char *model, const sp_sense_combo *c,
                                        int n);

#endif
