/* Printing a plan's measurement next to its prediction (run, plan --verify). */
#ifndef SP_CLI_PLAN_REPORT_H
#define SP_CLI_PLAN_REPORT_H

#include <stdio.h>

#include "results/plan_measure.h"

/* One line per layer: variant, threads, predicted and measured ms, error. */
void sp_plan_report_layers(FILE *out, const sp_plan_file *f, const sp_plan_measurement *m);

/* Latency, peak memory and (when measured, on `split`) accuracy: predicted,
 * measured, error. */
void sp_plan_report_totals(FILE *out, const sp_plan_file *f, const sp_plan_measurement *m, const char *split);

#endif
