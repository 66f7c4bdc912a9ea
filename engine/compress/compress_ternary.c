/* Ternary quantisation of one layer after TWN (engine/compress.h). */
#include <math.h>

#include "engine/compress/compress.h"
#include "engine/compress/compress_internal.h"

sp_status sp_compress_ternary(sp_graph *g, int node, double t) {
  sp_status s = sp_compress_check_weights(g, node, "ternary");
  if (s) return s;
  sp_node *n = &g->nodes[node];
  if (!(t > 0.0) || !isfinite(t))
    return sp_fail(SP_ERR_INPUT,
                   "ternary: threshold %g of layer %s out of range (expected a finite t > 0)", t,
                   n->name);
  size_t count = sp_node_weight_count(g, n);
  float *w = n->weight;
  double abs_sum = 0.0;
  for (size_t i = 0; i < count; i++) abs_sum += fabs((double)w[i]);
  double delta = t * abs_sum / (double)count;
  double pos_sum = 0.0, neg_sum = 0.0;
  size_t pos_count = 0, neg_count = 0;
  for (size_t i = 0; i < count; i++) {
    double v = w[i];
    if (v > delta) pos_sum += v, pos_count++;
    else if (v < -delta) neg_sum -= v, neg_count++;
  }
  float pos = pos_count ? (float)(pos_sum / (double)pos_count) : 0.0f;
  float neg = neg_count ? (float)(neg_sum / (double)neg_count) : 0.0f;
  for (size_t i = 0; i < count; i++) {
    double v = w[i];
    w[i] = v > delta ? pos : v < -delta ? -neg : 0.0f;
  }
  n->ternary = 1;
  n->ternary_pos = pos;
  n->ternary_neg = neg;
  n->ternary_t = (float)t;
  return SP_OK;
}
