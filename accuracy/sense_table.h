/* The sensitivity table of a model: accuracy and loss with one layer or one
 * channel group compressed at a time, over the whole option grid — what
 * `stackplan sense` writes as an accuracy file. */
#ifndef SP_SENSE_TABLE_H
#define SP_SENSE_TABLE_H

#include "accuracy/accuracy_io.h"
#include "accuracy/sense.h"

/* Evaluates g (named `model` in the file) on data with, one at a time:
 *   every conv2d/fc layer pruned to each s of grid->prune and ternarised at
 *   each t of grid->ternary ("layers", in graph order);
 *   every prunable channel group kept at each k of grid->keep ("groups", in
 *   group order), leaving out a k that keeps all of the group's channels or
 *   as many as an earlier k (as the profiler does).
 * Fills *out with "source" measured and the current time; free it with
 * sp_accuracy_free. Errors as sp_sense_evaluate's. */
sp_status sp_sense_measure(const sp_graph *g, const char *model, const sp_sense_data *data,
                           const sp_sense_grid *grid, const sp_sense_options *opt,
                           sp_accuracy *out);

/* Where a measured drop's 95% interval straddles `budget` (pp: the drop a
 * plan may spend, e.g. baseline - the accuracy bound), one measurement
 * cannot say on which side it lies: re-measures those entries of a (made by
 * sp_sense_measure on the first images of data) on twice as many of data's
 * images, with the baseline on the same images, until no interval straddles
 * or the entries use all of data->count. Entries record the images and the
 * baseline they were measured with (sp_accuracy_uncertainty); *refined (if
 * not NULL) counts the re-measurements. Errors as sp_sense_evaluate's. */
sp_status sp_sense_refine(const sp_graph *g, const sp_sense_data *data, double budget,
                          const sp_sense_options *opt, sp_accuracy *a, int *refined);

/* The current UTC time as ISO 8601 ("2024-05-01T12:00:00Z"). */
void sp_sense_now(char out[32]);

#endif
