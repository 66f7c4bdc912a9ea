/* Convolutions and fully connected layers from ternary bitplanes,
 * 16 output channels a block: one AVX-512 vector, or two 8-float vectors
 * (AVX2, and any other CPU through GCC's vector extensions).
 *
 * The code-walking ternary kernels (conv2d_ternary.c, fc_ternary.c) branch
 * on every 2-bit code and add one shifted plane per nonzero weight: on
 * MobileNet's pointwise layers at 4x4 and 2x2 that is one scalar branch and a
 * 4- or 16-wide add per weight, ~1.5 GFLOP/s, and inside a network, where the
 * other layers have trained the branch predictor on their own data, another
 * 20–45% slower than alone (`stackplan run --layers`). Here the same two bits
 * a weight are stored as two bitplanes: for a block of 16 output channels and
 * one input channel, a 16-bit mask of the +1 weights and one of the -1
 * weights. One input value broadcast to a vector is then added, under the
 * masks, into the +1 and the -1 sums of 16 output channels at once: no
 * branch on the data and no float copy of the weights, 2 bits a weight as
 * before (plus the padding of the last block to 16 channels).
 *   y = pos * (sum over +1) - neg * (sum over -1) + bias, then the activation.
 * A fully connected layer is the same product with one pixel; any other
 * ungrouped convolution is it on the im2col lowering of each image. */
#include "kernels/conv2d/ternary_blocked.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/compress/weight_format.h"
#include "kernels/common/bias_act.h"
#include "kernels/common/im2col.h"

#define BLK 16

typedef struct ternary_planes {
  int cout, cin, blocks;
  float pos, neg;
  uint16_t *masks; /* [blocks][cin][2]: +1 mask, -1 mask; bit o = channel 16 * block + o */
} ternary_planes;


/* Exact bytes: two 16-bit masks per (block, input channel) and the scales. */
static size_t planes_bytes(int blocks, int cin) {
  return (size_t)blocks * (size_t)cin * 2 * sizeof(uint16_t) + 2 * sizeof(float);
}

/* Ungrouped convolutions: pointwise ones (the input is the product's right
 * side) for the 1x1 variants, all others through im2col. */
static int conv_fits(const sp_graph *g, const sp_node *n, int pointwise) {
  sp_conv_geom geo = sp_conv_geom_of(g, n);
  return n->ternary && n->weight != NULL && n->groups == 1 &&
         sp_conv_geom_is_pointwise(&geo) == pointwise;
}

int sp_ternary_blocked_conv_supports(const sp_graph *g, const sp_node *n) {
  return conv_fits(g, n, 1);
}

int sp_ternary_blocked_im2col_supports(const sp_graph *g, const sp_node *n) {
  return conv_fits(g, n, 0);
}

size_t sp_ternary_blocked_im2col_workspace(const sp_graph *g, const sp_node *n, int batch) {
  sp_conv_geom geo = sp_conv_geom_of(g, n);
  return (size_t)geo.k * (size_t)geo.n * sizeof(float);
}

int sp_ternary_blocked_fc_supports(const sp_graph *g, const sp_node *n) {
  return n->ternary && n->weight != NULL;
}

sp_status sp_ternary_blocked_prepare(const sp_graph *g, const sp_node *n, void **prepared,
                                     size_t *bytes) {
  sp_ternary *t = NULL;
  sp_status s = sp_ternary_build(g, n, &t); /* validates the ternarised weights */
  if (s) return s;
  ternary_planes *p = malloc(sizeof *p);
  int blocks = (t->rows + BLK - 1) / BLK;
  uint16_t *m = p ? calloc((size_t)blocks * (size_t)t->cols * 2, sizeof *m) : NULL;
  if (!m) {
    free(p);
    sp_ternary_free(t);
    return sp_fail(SP_ERR_RUNTIME, "%s: out of memory for ternary bitplanes", n->name);
  }
  *p = (ternary_planes){.cout = t->rows, .cin = t->cols, .blocks = blocks, .pos = t->pos,
                        .neg = t->neg, .masks = m};
  for (int oc = 0; oc < t->rows; oc++) {
    const uint8_t *row = t->codes + (size_t)oc * (size_t)t->row_bytes;
    uint16_t bit = (uint16_t)(1u << (oc % BLK));
    uint16_t *block = m + (size_t)(oc / BLK) * (size_t)t->cols * 2;
    for (int ic = 0; ic < t->cols; ic++) {
      int code = sp_ternary_code(row, ic);
      if (code == SP_TERNARY_PLUS) block[2 * ic] |= bit;
      else if (code == SP_TERNARY_MINUS) block[2 * ic + 1] |= bit;
    }
  }
  sp_ternary_free(t);
  *prepared = p;
  *bytes = planes_bytes(blocks, p->cin);
  return SP_OK;
}

#ifdef __AVX512F__
#include <immintrin.h>

/* np pixels (a compile-time constant where inlined) of one block: the +1 and
 * -1 sums over every input channel, then scales, bias, activation, and the 16
 * channels written to their planes (stride `plane` floats; 1: a fully
 * connected layer's units). */
static inline __attribute__((always_inline)) void block_tile(
    const ternary_planes *p, const uint16_t *masks, const float *x, size_t plane, int np,
    __m512 bias, __m512 lo, __m512 hi, __mmask16 valid, int channels, float *y) {
  __m512 plus[8], minus[8];
  for (int i = 0; i < np; i++) plus[i] = minus[i] = _mm512_setzero_ps();
  for (int ic = 0; ic < p->cin; ic++) {
    const __mmask16 mp = masks[2 * ic], mm = masks[2 * ic + 1];
    const float *xi = x + (size_t)ic * plane;
    for (int i = 0; i < np; i++) {
      const __m512 v = _mm512_set1_ps(xi[i]);
      plus[i] = _mm512_mask_add_ps(plus[i], mp, plus[i], v);
      minus[i] = _mm512_mask_add_ps(minus[i], mm, minus[i], v);
    }
  }
  const __m512 pos = _mm512_set1_ps(p->pos), neg = _mm512_set1_ps(p->neg);
  if (plane == 1) { /* fully connected: the 16 channels are contiguous */
    __m512 r = _mm512_fmadd_ps(pos, plus[0], _mm512_fnmadd_ps(neg, minus[0], bias));
    _mm512_mask_storeu_ps(y, valid, _mm512_min_ps(_mm512_max_ps(r, lo), hi));
    return;
  }
  /* pixel-major tile, then each channel's np pixels as one contiguous run:
   * a scatter would touch 16 planes a pixel */
  float tile[8][BLK] __attribute__((aligned(64)));
  for (int i = 0; i < np; i++) {
    __m512 r = _mm512_fmadd_ps(pos, plus[i], _mm512_fnmadd_ps(neg, minus[i], bias));
    _mm512_store_ps(tile[i], _mm512_min_ps(_mm512_max_ps(r, lo), hi));
  }
  for (int o = 0; o < channels; o++)
    for (int i = 0; i < np; i++) y[(size_t)o * plane + (size_t)i] = tile[i][o];
}

/* Pixels [p0, p1) of block `blk` of one image: tiles of 8, then 4, then 1. */
static void run_block(const ternary_planes *p, const sp_node *n, const float *x, float *y,
                      size_t plane, int blk, size_t p0, size_t p1) {
  const int c0 = blk * BLK, left = p->cout - c0;
  const __mmask16 valid = left >= BLK ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
  __m512 bias = n->bias ? _mm512_maskz_loadu_ps(valid, n->bias + c0) : _mm512_setzero_ps();
  float lo_f, hi_f;
  sp_act_bounds(n->act, &lo_f, &hi_f);
  const __m512 lo = _mm512_set1_ps(lo_f), hi = _mm512_set1_ps(hi_f);
  const int channels = left >= BLK ? BLK : left;
  const uint16_t *masks = p->masks + (size_t)blk * (size_t)p->cin * 2;
  float *yb = y + (size_t)c0 * plane;
  size_t i = p0;
  for (; i + 8 <= p1; i += 8)
    block_tile(p, masks, x + i, plane, 8, bias, lo, hi, valid, channels, yb + i);
  for (; i + 4 <= p1; i += 4)
    block_tile(p, masks, x + i, plane, 4, bias, lo, hi, valid, channels, yb + i);
  for (; i < p1; i++)
    block_tile(p, masks, x + i, plane, 1, bias, lo, hi, valid, channels, yb + i);
}

#else /* AVX2 or any other CPU: GCC vectors of 8 floats (two halves a block) */
#include "kernels/common/vec8.h"

/* np pixels of one half block (8 channels, bits `shift`..`shift` + 7 of the
 * masks): 2 x np accumulators stay in the 16 AVX2 registers for np <= 4. */
static inline __attribute__((always_inline)) void half_tile(
    const ternary_planes *p, const uint16_t *masks, int shift, const float *x, size_t plane,
    int np, v8f bias, v8f lo, v8f hi, int channels, float *y) {
  const v8i lane = {1, 2, 4, 8, 16, 32, 64, 128};
  v8f plus[4] = {0}, minus[4] = {0};
  for (int ic = 0; ic < p->cin; ic++) {
    const v8i mp = (((v8i){0} + (masks[2 * ic] >> shift)) & lane) != 0;
    const v8i mm = (((v8i){0} + (masks[2 * ic + 1] >> shift)) & lane) != 0;
    const float *xi = x + (size_t)ic * plane;
    for (int i = 0; i < np; i++) {
      const v8f v = v8_set1(xi[i]);
      plus[i] += v8_select(mp, v);
      minus[i] += v8_select(mm, v);
    }
  }
  float tile[4][8] __attribute__((aligned(32)));
  for (int i = 0; i < np; i++) {
    v8f r = p->pos * plus[i] - p->neg * minus[i] + bias;
    *(v8f *)tile[i] = v8_clamp(r, lo, hi);
  }
  for (int o = 0; o < channels; o++)
    for (int i = 0; i < np; i++) y[(size_t)o * plane + (size_t)i] = tile[i][o];
}

/* Pixels [p0, p1) of block `blk` of one image: each half block in tiles of
 * 4 pixels, then 1. */
static void run_block(const ternary_planes *p, const sp_node *n, const float *x, float *y,
                      size_t plane, int blk, size_t p0, size_t p1) {
  float lo_f, hi_f;
  sp_act_bounds(n->act, &lo_f, &hi_f);
  const v8f lo = v8_set1(lo_f), hi = v8_set1(hi_f);
  const uint16_t *masks = p->masks + (size_t)blk * (size_t)p->cin * 2;
  for (int half = 0; half < 2; half++) {
    const int c0 = blk * BLK + 8 * half, left = p->cout - c0;
    if (left <= 0) break;
    const int channels = left >= 8 ? 8 : left;
    float b[8] = {0};
    for (int o = 0; o < channels && n->bias; o++) b[o] = n->bias[c0 + o];
    v8f bias;
    memcpy(&bias, b, sizeof bias);
    float *yb = y + (size_t)c0 * plane;
    size_t i = p0;
    for (; i + 4 <= p1; i += 4)
      half_tile(p, masks, 8 * half, x + i, plane, 4, bias, lo, hi, channels, yb + i);
    for (; i < p1; i++)
      half_tile(p, masks, 8 * half, x + i, plane, 1, bias, lo, hi, channels, yb + i);
  }
}

#endif

/* One image: x is cin x plane (the input, or its im2col lowering), y is
 * cout x plane; work items (block, chunk of 64 pixels) over the threads. */
static void run_image(const ternary_planes *p, const sp_node *n, const float *x, float *y,
                      size_t plane, int threads) {
  const size_t chunk = 64, chunks = (plane + chunk - 1) / chunk;
  const long items = (long)p->blocks * (long)chunks;
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1 && items > 1)
  for (long it = 0; it < items; it++) {
    const size_t p0 = (size_t)(it % (long)chunks) * chunk;
    const size_t p1 = p0 + chunk < plane ? p0 + chunk : plane;
    run_block(p, n, x, y, plane, (int)(it / (long)chunks), p0, p1);
  }
}

/* Pointwise and fully connected: the input is the product's right side. */
static void run_direct(const sp_kernel_args *a, size_t plane, int threads) {
  const ternary_planes *p = a->prepared;
  for (int b = 0; b < a->batch; b++)
    run_image(p, a->node, a->in[0] + (size_t)b * (size_t)p->cin * plane,
              a->out + (size_t)b * (size_t)p->cout * plane, plane, threads);
}

/* Any other ungrouped convolution: each image lowered (im2col.h) into the
 * workspace first, whose k = cin * kh * kw rows match the codes' columns. */
static void run_im2col(const sp_kernel_args *a, int threads) {
  const ternary_planes *p = a->prepared;
  sp_conv_geom geo = sp_conv_geom_make(a->in_dims[0], a->out_dims, a->node);
  for (int b = 0; b < a->batch; b++) {
    sp_im2col(&geo, a->in[0] + (size_t)b * sp_dims_count(a->in_dims[0]), 0, a->workspace,
              threads);
    run_image(p, a->node, a->workspace, a->out + (size_t)b * sp_dims_count(a->out_dims),
              (size_t)geo.n, threads);
  }
}

static size_t conv_plane(const sp_kernel_args *a) {
  return (size_t)a->out_dims.h * (size_t)a->out_dims.w;
}

void sp_kernel_conv2d__ternary_1x1_serial(const sp_kernel_args *a) {
  run_direct(a, conv_plane(a), 1);
}
void sp_kernel_conv2d__ternary_1x1_omp(const sp_kernel_args *a) {
  run_direct(a, conv_plane(a), a->threads);
}
void sp_kernel_conv2d__ternary_im2col_serial(const sp_kernel_args *a) { run_im2col(a, 1); }
void sp_kernel_conv2d__ternary_im2col_omp(const sp_kernel_args *a) { run_im2col(a, a->threads); }
void sp_kernel_fc__ternary_blocked_serial(const sp_kernel_args *a) { run_direct(a, 1, 1); }
void sp_kernel_fc__ternary_blocked_omp(const sp_kernel_args *a) {
  run_direct(a, 1, a->threads);
}

void sp_ternary_blocked_release(void *prepared) {
  ternary_planes *p = prepared;
  if (p) free(p->masks);
  free(p);
}
