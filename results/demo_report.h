/* The demo's Markdown report: per model, the Pareto front, the chosen plan
 * layer by layer, predicted against measured, and the speed-ups over the
 * dense model and the best single configuration. */
#ifndef SP_RESULTS_DEMO_REPORT_H
#define SP_RESULTS_DEMO_REPORT_H

#include <stdio.h>

#include "results/plan_measure.h"

/* Calibration images the demo verifies its plans on (the whole split). */
#define SP_DEMO_VERIFY_IMAGES 5000

typedef struct sp_demo_model {
  char name[64], path[512];
  int ok;                        /* 0: a step failed, `error` says which */
  char error[1024];
  double seconds[6];             /* profile, sense, pareto, verify, measure, total */
  double baseline, bound;        /* accuracy of the dense model (calib, sense), the bound: baseline - 1 */
  double planned_bound;          /* the bound planned and verified at (the bound: --verify holds a plan
                                    when the lower end of its 95% interval on calib clears it) */
  char verify_log[2048];         /* the verify lines of `plan --verify` */
  char pareto_png[64], pareto_csv[64]; /* file names inside the report's folder ("" when absent) */
  sp_plan_file plan;
  sp_plan_measurement measured;  /* the plan on the test split */
  double dense_default_ms;       /* the model as `infer --threads 1` runs it */
  double dense_best_ms;          /* fastest dense variant per layer (predicted by the profile) */
  double dense_best_pred_ms;
  char single_variant[96];
  int single_threads;
  double single_ms, single_pred_ms; /* that variant on every conv layer */
} sp_demo_model;

typedef struct sp_demo_machine {
  char cpu[256], build[1024], date[32];
  int cores;
  char device[256];              /* "host only" or the OpenCL device used */
  double total_seconds;
} sp_demo_machine;

/* Writes the report. */
void sp_demo_report_write(FILE *out, const sp_demo_machine *m, const sp_demo_model *models, int n);

#endif
