/* Plots through gnuplot (Debian's gnuplot-nox): a script and a data file
 * are written beside the PNG and gnuplot is run on them. */
#ifndef SP_RESULTS_PLOT_H
#define SP_RESULTS_PLOT_H

#include <stddef.h>

#include "engine/core/status.h"

/* Whether a gnuplot binary is on PATH. */
int sp_plot_have_gnuplot(void);

/* The one gnuplot runner: runs `gnuplot script` (no shell), its output
 * collected; the first line of it goes to `first` (cap bytes, may be NULL).
 * Returns 0 when gnuplot succeeded, -1 when there is no gnuplot to run, else
 * its exit status (1 when it died of a signal). */
int sp_plot_run_gnuplot(const char *script, char *first, size_t cap);

/* One point of a Pareto front: x = latency (ms), y = accuracy (%), colour =
 * memory (MB). */
typedef struct sp_plot_point {
  double latency_ms, accuracy, memory_mb;
} sp_plot_point;

/* Draws the points (sorted by latency) as a step line of accuracy against
 * latency, each point coloured by its memory (about 12 labelled with it), into
 * `png` (written atomically: gnuplot draws to a temp file that is renamed).
 * SP_ERR_IO naming the file when gnuplot or a write fails; SP_ERR_INPUT for
 * a path gnuplot cannot quote (a double quote or backslash in it). */
sp_status sp_plot_pareto(const char *png, const char *title, const sp_plot_point *pts, int n);

#endif
