/* Accuracy curves of a whole model under one kind of compression (as in
 * Figure 3 of Turner et al., IISWC 2018): every conv/fc layer pruned to s,
 * every conv/fc layer ternarised at t, every prunable channel group kept
 * at k — one point per rate. */
#ifndef SP_SENSE_CURVES_H
#define SP_SENSE_CURVES_H

#include "engine/compress/compress.h"
#include "accuracy/sense.h"

typedef struct sp_sense_point {
  sp_compress_kind kind;
  double rate;           /* s, t or k */
  sp_sense_score score;  /* with weights/zeros: the conv/fc weights left at this point
                          * (channel keep removes some) and how many are 0 */
} sp_sense_point;

/* The rates of each curve, ascending: s in {0, 0.3, 0.5, 0.7, 0.8, 0.9,
 * 0.95}, k in {0.25, 0.35, 0.5, 0.75, 1}, t in {0.3, 0.5, 0.7, 0.9, 1.2}.
 * Returns their count. */
int sp_sense_curve_rates(sp_compress_kind kind, const double **rates);

#define SP_SENSE_CURVE_POINTS 17 /* 7 + 5 + 5 */

/* Evaluates every point (prune, then keep, then ternary) into points[]
 * (SP_SENSE_CURVE_POINTS of them) and the uncompressed model into
 * *baseline. A model without prunable groups gets keep points equal to the
 * baseline. Errors as sp_sense_evaluate's. */
sp_status sp_sense_curves(const sp_graph *g, const sp_sense_data *data,
                          const sp_sense_options *opt, sp_sense_point *points,
                          sp_sense_score *baseline);

#endif
