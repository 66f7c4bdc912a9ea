/* The GEMM convolution driver and its two dense engines (conv2d_gemm.h).
 *
 * Lowered input in column blocks: the lowered matrix is 9x the input for a
 * 3x3 kernel (2.4 MB for VGG's 64 x 32 x 32 layer), so lowering it whole
 * writes it out to L3 and the GEMM reads it back from there. Instead the
 * output positions are cut into blocks whose lowered columns (k x nb floats)
 * stay in L2 (COL_BLOCK_BYTES), and each block is lowered, then multiplied
 * into its columns of C (ldc = n). The workspace shrinks alike.
 *
 * Batch: one image after the other. Lowering the whole batch into one wider
 * B would give the small layers (VGG's 2x2 and 4x4 planes, N = 4 or 16) a
 * wider GEMM, but C would then be channel-major across images and need a
 * scatter back to NCHW; batch 1 is the case the planner optimises.
 *
 * OpenBLAS threads: replaced by OpenMP, see blas_omp.h. */
#include "kernels/common/conv2d_gemm.h"

#include <stdint.h>
#include <stdlib.h>

#include <omp.h>

#include "kernels/common/bias_act.h"
#include "kernels/common/blas_omp.h"
#include "kernels/common/weight_alloc.h"
#include "kernels/common/sgemm.h"

/* Alignment of the engine's scratch inside the workspace (a cache line). */
#define WS_ALIGN 64

/* Bytes of lowered columns lowered and multiplied at a time: half of a
 * 2 MiB L2, beside the GEMM's own packed block of B (sgemm.c). Measured on
 * VGG-16 and ResNet-18 (bench_conv): 1 MiB beat 256 KiB, 512 KiB and no
 * blocking (10-15 % faster than no blocking on the 64-channel 32x32 layers,
 * 2.4 MB lowered, neutral elsewhere); smaller lowered matrices stay whole. */
#define COL_BLOCK_BYTES (1 << 20)
/* ... but never fewer columns than this (narrow GEMMs run slower). */
#define COL_BLOCK_MIN 64

/* Columns of a lowered block: the n columns cut into equal blocks of at
 * most COL_BLOCK_BYTES, rounded up to a 16-float vector. */
static int col_block(const sp_conv_geom *geo, int lower) {
  size_t most = COL_BLOCK_BYTES / (sizeof(float) * (size_t)geo->k);
  if (!lower || most >= (size_t)geo->n) return geo->n;
  if (most < COL_BLOCK_MIN) most = COL_BLOCK_MIN;
  size_t blocks = ((size_t)geo->n + most - 1) / most;
  size_t nb = ((size_t)geo->n + blocks - 1) / blocks;
  nb = (nb + 15) / 16 * 16;
  return nb < (size_t)geo->n ? (int)nb : geo->n;
}

/* At least 1 and at most the processors OpenMP sees: the own GEMM's
 * scratch is sized for that many threads (no oversubscription either). */
static int clamp_threads(int threads) {
  int procs = omp_get_num_procs();
  return threads < 1 ? 1 : threads > procs ? procs : threads;
}

/* The packed weights: group g's panels start at panels + g * group_floats. */
typedef struct conv_packed {
  size_t group_floats;
  float *panels;
} conv_packed;

sp_status sp_conv2d_gemm_pack(const sp_graph *g, const sp_node *node, void **prepared,
                              size_t *bytes) {
  sp_conv_geom geo = sp_conv_geom_of(g, node);
  size_t group_floats = sp_sgemm_packed_a_floats(geo.cout_g, geo.k);
  group_floats = (group_floats + WS_ALIGN / sizeof(float) - 1) / (WS_ALIGN / sizeof(float)) *
                 (WS_ALIGN / sizeof(float)); /* every group's panels on a cache line */
  size_t total = group_floats * (size_t)geo.groups * sizeof(float);
  conv_packed *p = malloc(sizeof *p);
  float *panels = p ? sp_weights_alloc(total) : NULL;
  if (!panels) {
    free(p);
    return sp_fail(SP_ERR_RUNTIME, "layer %s: out of memory packing %zu bytes of GEMM weights",
                   node->name, total);
  }
  for (int grp = 0; grp < geo.groups; grp++)
    sp_sgemm_pack_a(geo.cout_g, geo.k, node->weight + (size_t)grp * geo.cout_g * geo.k, geo.k,
                    panels + (size_t)grp * group_floats);
  p->group_floats = group_floats;
  p->panels = panels;
  *prepared = p;
  *bytes = total;
  return SP_OK;
}

void sp_conv2d_gemm_unpack(void *prepared) {
  conv_packed *p = prepared;
  if (!p) return;
  free(p->panels);
  free(p);
}

size_t sp_conv2d_gemm_own_floats(const sp_graph *g, const sp_node *node, int lower) {
  sp_conv_geom geo = sp_conv_geom_of(g, node);
  return sp_sgemm_workspace_floats(geo.cout_g, col_block(&geo, lower), geo.k,
                                   clamp_threads(omp_get_num_procs()));
}

size_t sp_conv2d_gemm_workspace_bytes(const sp_graph *g, const sp_node *node, int lower,
                                      size_t engine_floats) {
  sp_conv_geom geo = sp_conv_geom_of(g, node);
  size_t col = lower ? (size_t)geo.k * (size_t)col_block(&geo, lower) : 0;
  return (col + engine_floats) * sizeof(float) + WS_ALIGN;
}

void sp_conv_gemm_own(const sp_conv_gemm_call *c) {
  const conv_packed *p = c->prepared;
  sp_sgemm_run(c->m, c->n, c->k, p->panels + (size_t)c->group * p->group_floats, c->b, c->ldb,
               c->c, c->ldc, c->bias, c->act, c->threads, c->workspace);
}

/* OpenBLAS on `threads` OpenMP threads, each a single-threaded call on its
 * share of C (blas_omp.h says why). Bias and activation cannot be fused
 * into the call: they are a second pass over C while it is still in cache. */
void sp_conv_gemm_blas(const sp_conv_gemm_call *c) {
  const float *w = c->node->weight + (size_t)c->group * (size_t)c->m * (size_t)c->k;
  sp_blas_sgemm(c->m, c->n, c->k, w, c->k, c->b, c->ldb, 0, c->c, c->ldc, c->threads);
  sp_bias_act_rows(c->c, c->m, c->n, (size_t)c->ldc, c->bias, c->act, c->threads);
}

void sp_conv2d_gemm_run(const sp_kernel_args *a, sp_conv_gemm_fn gemm, int lower, int threads) {
  const sp_node *node = a->node;
  const sp_conv_geom geo = sp_conv_geom_make(a->in_dims[0], a->out_dims, node);
  const size_t in_plane = (size_t)geo.ih * (size_t)geo.iw;
  const size_t in_image = (size_t)geo.cin * in_plane, out_image = (size_t)geo.cout * geo.n;
  const int nb = col_block(&geo, lower);
  float *col = a->workspace, *scratch = NULL; /* no workspace: 1x1 on BLAS */
  if (col)
    scratch = (float *)(((uintptr_t)(col + (lower ? (size_t)geo.k * nb : 0)) + WS_ALIGN - 1) &
                        ~(uintptr_t)(WS_ALIGN - 1));
  sp_conv_gemm_call c = {.node = node, .prepared = a->prepared, .m = geo.cout_g, .k = geo.k,
                         .ldc = geo.n, .act = node->act, .threads = clamp_threads(threads),
                         .workspace = scratch};
  for (int b = 0; b < a->batch; b++) {
    const float *image = a->in[0] + (size_t)b * in_image;
    for (int grp = 0; grp < geo.groups; grp++) {
      c.group = grp;
      c.bias = node->bias ? node->bias + (size_t)grp * (size_t)geo.cout_g : NULL;
      float *out = a->out + (size_t)b * out_image + (size_t)grp * (size_t)geo.cout_g * geo.n;
      for (int n0 = 0; n0 < geo.n; n0 += nb) {
        c.n = geo.n - n0 < nb ? geo.n - n0 : nb;
        if (lower) {
          sp_im2col_block(&geo, image, grp, n0, n0 + c.n, col, c.threads);
          c.b = col;
          c.ldb = c.n;
        } else {
          c.b = image + (size_t)grp * (size_t)geo.cin_g * in_plane;
          c.ldb = geo.n;
        }
        c.c = out + n0;
        gemm(&c);
      }
    }
  }
}
