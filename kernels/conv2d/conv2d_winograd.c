/* Winograd convolution F(m x m, 3 x 3), m = 2 or 4, for 3x3 stride-1
 * ungrouped convolutions (transforms in winograd_transforms.h).
 *
 *   prepare:  U_ξ = (G g Gᵀ)_ξ for each of the alpha² positions ξ, as
 *             alpha² Cout x Cin matrices packed for sp_sgemm.
 *   run, per chunk of whole tile rows (of one or more images):
 *     input transform   V_ξ[c][t] = (Bᵀ d B)_ξ of channel c's tile t
 *     alpha² GEMMs      M_ξ = U_ξ · V_ξ            (Cout x tiles)
 *     output transform  Y = Aᵀ M A, + bias, activation, into NCHW output.
 *
 * The transforms work on a tile row of one channel at a time, vectorised
 * across its tiles, so V and M are written and read in contiguous runs of
 * tiles. Tiles that stick out of the image read zeros and their extra
 * outputs are dropped, so any H and W work, also outputs smaller than one
 * tile. The serial and OpenMP variants of both tile sizes are this one
 * implementation with m and the thread count as parameters. */
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "kernels/activation.h"
#include "kernels/kernel.h"
#include "kernels/cpu_kernels.h"
#include "kernels/common/sgemm.h"
#include "kernels/common/weight_alloc.h"
#include "kernels/common/winograd_transforms.h"

/* Tiles of one tile row transformed at a time, so the row buffers live on
 * the stack whatever the image width. */
#define WINO_SEG 32
_Static_assert(WINO_SEG % 16 == 0, "the AVX-512 tile kernel works in 16-tile vectors");
/* A chunk's V and M together stay near this size (unless one tile row is
 * bigger), so that they are in L2 when the GEMMs and the output transform
 * read them back; but a chunk has at least WINO_MIN_TILES tiles when the
 * batch has them, so that each U_ξ streamed from memory serves enough GEMM
 * columns. Chunks of 256 KiB to 2 MiB measured alike on the VGG layers
 * (batch 1 and 4); the larger makes fewer, wider GEMMs. */
#define WINO_CHUNK_BYTES (2 << 20)
#define WINO_MIN_TILES 64
/* GEMM workspaces the OpenMP variants reserve: up to this many threads each
 * run whole GEMMs (see conv2d_winograd). */
#define WINO_SLOTS 4

static int min_int(int a, int b) { return a < b ? a : b; }
static int max_int(int a, int b) { return a > b ? a : b; }
static size_t round16(size_t n) { return (n + 15) & ~(size_t)15; }

/* Floats from one ξ matrix of V (rows = cin) or M (rows = cout) to the next,
 * for n tiles: a cache line more than the matrix, so that the alpha² rows
 * the transforms stream through at once do not all fall into the same L1
 * set, as they would a power of two apart. */
static size_t plane_floats(int rows, int n) { return round16((size_t)rows * (size_t)n) + 16; }

typedef struct wino_geom {
  int m, alpha, xi;       /* tile side, alpha = m + 2, xi = alpha² positions */
  int cin, cout, h, w, oh, ow, pt, pl;
  int th, tw;             /* tile rows and columns of one image */
  int rows;               /* batch * th */
  int chunk_rows;         /* tile rows per chunk; its tiles are the GEMMs' N */
  size_t v_floats, m_floats, gemm_floats;
} wino_geom;

/* The largest one-thread GEMM workspace over the chunk sizes run() uses. */
static size_t gemm_floats(const wino_geom *G) {
  int full = G->chunk_rows * G->tw, last = (G->rows - 1) % G->chunk_rows + 1;
  size_t a = sp_sgemm_workspace_floats(G->cout, full, G->cin, 1);
  size_t b = sp_sgemm_workspace_floats(G->cout, last * G->tw, G->cin, 1);
  return round16(a > b ? a : b);
}

static void geometry(const sp_graph *g, const sp_node *n, int batch, int m, wino_geom *G) {
  sp_dims in = sp_node_in(g, n, 0);
  G->m = m;
  G->alpha = m + 2;
  G->xi = G->alpha * G->alpha;
  G->cin = in.c;
  G->cout = n->out.c;
  G->h = in.h;
  G->w = in.w;
  G->oh = n->out.h;
  G->ow = n->out.w;
  G->pt = n->win.pt;
  G->pl = n->win.pl;
  G->th = (G->oh + m - 1) / m;
  G->tw = (G->ow + m - 1) / m;
  G->rows = batch * G->th;
  size_t tile_bytes = (size_t)G->xi * (size_t)(G->cin + G->cout) * sizeof(float);
  size_t tiles = WINO_CHUNK_BYTES / tile_bytes;
  if (tiles < WINO_MIN_TILES) tiles = WINO_MIN_TILES;
  G->chunk_rows = (int)(tiles / (size_t)G->tw);
  G->chunk_rows = max_int(1, min_int(G->chunk_rows, G->rows));
  size_t n_max = (size_t)G->chunk_rows * (size_t)G->tw;
  G->v_floats = (size_t)G->xi * plane_floats(G->cin, (int)n_max);
  G->m_floats = (size_t)G->xi * plane_floats(G->cout, (int)n_max);
  G->gemm_floats = gemm_floats(G);
}

int sp_conv2d_winograd_supports(const sp_graph *g, const sp_node *n) {
  const sp_window *w = &n->win;
  return n->op == SP_OP_CONV2D && n->groups == 1 && w->kh == 3 && w->kw == 3 && w->sh == 1 &&
         w->sw == 1 && w->pt >= 0 && w->pt <= 2 && w->pb >= 0 && w->pb <= 2 && w->pl >= 0 &&
         w->pl <= 2 && w->pr >= 0 && w->pr <= 2;
}

/* V, M and the GEMM workspace: one slot for the serial variants, WINO_SLOTS
 * for the OpenMP ones, whose thread count is only known at run time. */
static size_t workspace_bytes(const sp_graph *g, const sp_node *n, int batch, int m, int slots) {
  wino_geom G;
  geometry(g, n, batch, m, &G);
  return (G.v_floats + G.m_floats + (size_t)slots * G.gemm_floats) * sizeof(float);
}

size_t sp_conv2d_winograd2x2_serial_workspace_bytes(const sp_graph *g, const sp_node *n,
                                                    int batch) {
  return workspace_bytes(g, n, batch, 2, 1);
}
size_t sp_conv2d_winograd2x2_omp_workspace_bytes(const sp_graph *g, const sp_node *n,
                                                 int batch) {
  return workspace_bytes(g, n, batch, 2, WINO_SLOTS);
}
size_t sp_conv2d_winograd4x4_serial_workspace_bytes(const sp_graph *g, const sp_node *n,
                                                    int batch) {
  return workspace_bytes(g, n, batch, 4, 1);
}
size_t sp_conv2d_winograd4x4_omp_workspace_bytes(const sp_graph *g, const sp_node *n,
                                                 int batch) {
  return workspace_bytes(g, n, batch, 4, WINO_SLOTS);
}

/* ---- prepared weights ---- */

typedef struct wino_weights {
  size_t stride;          /* floats from one packed U_ξ to the next */
  float *u;               /* xi packed matrices, 64-byte aligned, inside this block */
} wino_weights;

static sp_status prepare(const sp_graph *g, const sp_node *n, int m, void **prepared,
                         size_t *bytes) {
  const int alpha = m + 2, xi = alpha * alpha;
  const int cout = n->out.c, cin = sp_node_in(g, n, 0).c;
  const size_t stride = round16(sp_sgemm_packed_a_floats(cout, cin));
  const size_t head = (sizeof(wino_weights) + 63) & ~(size_t)63;
  const size_t total = head + (size_t)xi * stride * sizeof(float);
  if (!n->weight) return sp_fail(SP_ERR_INPUT, "%s: no dense weights to transform", n->name);
  wino_weights *w = sp_weights_alloc(total);
  /* one U_ξ staged at a time: the load-time peak is the packed weights plus
   * one Cout x Cin matrix, not alpha² of them (the memory estimate's view) */
  float *u = malloc((size_t)cout * (size_t)cin * sizeof *u);
  if (!w || !u) {
    free(w);
    free(u);
    return sp_fail(SP_ERR_RUNTIME, "%s: out of memory for Winograd %dx%d weights", n->name, m, m);
  }
  *w = (wino_weights){stride, (float *)((char *)w + head)};
  memset(w->u, 0, (size_t)xi * stride * sizeof(float)); /* the rounding gaps too */
  for (int x = 0; x < xi; x++) {
    /* u[o][c] = (G g_oc Gᵀ)_ξ; the filter transform is recomputed per ξ
     * (9 x alpha² flops per filter: prepare time, never run time) */
    for (int o = 0; o < cout; o++)
      for (int c = 0; c < cin; c++) {
        double t[WINO_ALPHA_MAX * WINO_ALPHA_MAX];
        wino_filter(m, n->weight + ((size_t)o * (size_t)cin + (size_t)c) * 9, t);
        u[(size_t)o * (size_t)cin + (size_t)c] = (float)t[x];
      }
    sp_sgemm_pack_a(cout, cin, u, cin, w->u + (size_t)x * stride);
  }
  free(u);
  *prepared = w;
  *bytes = total;
  return SP_OK;
}

sp_status sp_conv2d_winograd2x2_prepare(const sp_graph *g, const sp_node *n, void **prepared,
                                        size_t *bytes) {
  return prepare(g, n, 2, prepared, bytes);
}

sp_status sp_conv2d_winograd4x4_prepare(const sp_graph *g, const sp_node *n, void **prepared,
                                        size_t *bytes) {
  return prepare(g, n, 4, prepared, bytes);
}

void sp_conv2d_winograd_release(void *prepared) { free(prepared); }

/* ---- transforms of one tile row; `m` is a constant in each caller ---- */

/* Channel plane `in` (H x W), tile row ty: v[ξ * vs + t] = (Bᵀ d_t B)_ξ for
 * the tw tiles t of the row, WINO_SEG tiles at a time. */
WINO_INLINE void input_row(const int m, const wino_geom *G, const float *in, int ty, float *v,
                           size_t vs) {
  const int alpha = m + 2;
  const float *rows[WINO_ALPHA_MAX]; /* NULL: a padding row */
  for (int r = 0; r < alpha; r++) {
    int y = ty * m - G->pt + r;
    rows[r] = y >= 0 && y < G->h ? in + (size_t)y * (size_t)G->w : NULL;
  }
  /* Bᵀ applied down the columns: m per tile and the 2 the last tile
   * overlaps; zeros after them as far as the AVX-512 tile kernel reads
   * (whole 16-tile vectors) */
  float cp[WINO_ALPHA_MAX][WINO_SEG * 4 + 16];
  float *cpr[WINO_ALPHA_MAX], *dst[WINO_ALPHA_MAX];
  for (int r = 0; r < alpha; r++) cpr[r] = cp[r];
  for (int t0 = 0; t0 < G->tw; t0 += WINO_SEG) {
    const int nt = min_int(WINO_SEG, G->tw - t0);
    wino_input_cols(m, rows, t0 * m - G->pl, G->w, cpr, nt * m + 2, ((nt + 15) & ~15) * m + 2);
    for (int i = 0; i < alpha; i++) {
      for (int j = 0; j < alpha; j++) dst[j] = v + (size_t)(i * alpha + j) * vs + t0;
      wino_input_tiles(m, cp[i], dst, nt);
    }
  }
}

/* Output channel plane `out` (OH x OW), tile row ty, from mx[ξ * ms + t]:
 * Y = Aᵀ M_t A + bias, activated; parts of tiles past the plane dropped. */
WINO_INLINE void output_row(const int m, const wino_geom *G, const float *mx, size_t ms, int ty,
                            float bias, sp_act act, float *out) {
  const int rows = min_int(m, G->oh - ty * m);
  out += (size_t)ty * (size_t)m * (size_t)G->ow;
  for (int t0 = 0; t0 < G->tw; t0 += 16) {
    const int nt = min_int(16, G->tw - t0), x0 = t0 * m;
    wino_output_tiles(m, mx + t0, ms, nt, out + x0, (size_t)G->ow, rows,
                      min_int(nt * m, G->ow - x0), bias, act);
  }
}

static void input_row2(const wino_geom *G, const float *in, int ty, float *v, size_t vs) {
  input_row(2, G, in, ty, v, vs);
}
static void input_row4(const wino_geom *G, const float *in, int ty, float *v, size_t vs) {
  input_row(4, G, in, ty, v, vs);
}
static void output_row2(const wino_geom *G, const float *mx, size_t ms, int ty, float bias,
                        sp_act act, float *out) {
  output_row(2, G, mx, ms, ty, bias, act, out);
}
static void output_row4(const wino_geom *G, const float *mx, size_t ms, int ty, float bias,
                        sp_act act, float *out) {
  output_row(4, G, mx, ms, ty, bias, act, out);
}

/* ---- the driver ---- */

/* Tile rows [r0, r0 + nrows) of the batch (row r: image r / th, tile row
 * r % th), n = nrows * tw tiles: V[ξ][c][tile] <- input. Work-shared over
 * (channel, tile row) by the enclosing parallel region, if any. */
static void input_chunk(const sp_kernel_args *a, const wino_geom *G, int r0, int nrows,
                        float *V) {
  const size_t n = (size_t)nrows * (size_t)G->tw, plane = (size_t)G->h * (size_t)G->w;
  const size_t vs = plane_floats(G->cin, (int)n);
  const int items = G->cin * nrows;
#pragma omp for schedule(static)
  for (int it = 0; it < items; it++) {
    const int c = it / nrows, r = it % nrows, b = (r0 + r) / G->th, ty = (r0 + r) % G->th;
    const float *in = a->in[0] + ((size_t)b * (size_t)G->cin + (size_t)c) * plane;
    float *v = V + (size_t)c * n + (size_t)r * (size_t)G->tw;
    if (G->m == 2)
      input_row2(G, in, ty, v, vs);
    else
      input_row4(G, in, ty, v, vs);
  }
}

/* The output rows of the same chunk from M[ξ][o][tile], shared likewise. */
static void output_chunk(const sp_kernel_args *a, const wino_geom *G, int r0, int nrows,
                         const float *M) {
  const size_t n = (size_t)nrows * (size_t)G->tw, plane = (size_t)G->oh * (size_t)G->ow;
  const size_t ms = plane_floats(G->cout, (int)n);
  const int items = G->cout * nrows;
  const sp_node *node = a->node;
#pragma omp for schedule(static)
  for (int it = 0; it < items; it++) {
    const int o = it / nrows, r = it % nrows, b = (r0 + r) / G->th, ty = (r0 + r) % G->th;
    const float *mx = M + (size_t)o * n + (size_t)r * (size_t)G->tw;
    float *out = a->out + ((size_t)b * (size_t)G->cout + (size_t)o) * plane;
    float bias = node->bias ? node->bias[o] : 0.0f;
    if (G->m == 2)
      output_row2(G, mx, ms, ty, bias, node->act, out);
    else
      output_row4(G, mx, ms, ty, bias, node->act, out);
  }
}

/* M_ξ = U_ξ V_ξ for the n tiles of a chunk, ξ shared over the threads of
 * the enclosing region, each GEMM on one thread with its own slot of
 * workspace. */
static void gemm_chunk(const wino_geom *G, const wino_weights *u, int n, const float *V,
                       float *M, float *gws) {
  const size_t vs = plane_floats(G->cin, n), ms = plane_floats(G->cout, n);
  float *slot = gws + (size_t)omp_get_thread_num() * G->gemm_floats;
#pragma omp for schedule(static)
  for (int x = 0; x < G->xi; x++)
    sp_sgemm_run(G->cout, n, G->cin, u->u + (size_t)x * u->stride, V + (size_t)x * vs, n,
                 M + (size_t)x * ms, n, NULL, SP_ACT_NONE, 1, slot);
}

/* With threads <= WINO_SLOTS, one parallel region runs every phase of every
 * chunk, with one barrier after each phase: the alpha² GEMMs go to the
 * threads whole (a GEMM of a few tiles is too small to split, and 16 or 36
 * of them share out evenly). At 2 threads that measured 1.2-2x faster than
 * splitting every GEMM over the threads on the VGG-16 layers (equal on
 * 512->512 at 4x4). More threads than slots split each GEMM instead,
 * sgemm's own way. */
static void conv2d_winograd(const sp_kernel_args *a, int m, int threads) {
  wino_geom G;
  geometry(a->graph, a->node, a->batch, m, &G);
  const wino_weights *u = a->prepared;
  float *V = a->workspace, *M = V + G.v_floats, *gws = M + G.m_floats;
  if (threads <= WINO_SLOTS) {
#pragma omp parallel num_threads(threads) if (threads > 1)
    for (int r0 = 0; r0 < G.rows; r0 += G.chunk_rows) {
      const int nrows = min_int(G.chunk_rows, G.rows - r0);
      input_chunk(a, &G, r0, nrows, V);
      gemm_chunk(&G, u, nrows * G.tw, V, M, gws);
      output_chunk(a, &G, r0, nrows, M);
    }
    return;
  }
  for (int r0 = 0; r0 < G.rows; r0 += G.chunk_rows) {
    const int nrows = min_int(G.chunk_rows, G.rows - r0), n = nrows * G.tw;
    const size_t vs = plane_floats(G.cin, n), ms = plane_floats(G.cout, n);
    /* all slots make one workspace; sgemm's does not grow with the thread
     * count today, but should it outgrow that, use one thread */
    const int gt =
        sp_sgemm_workspace_floats(G.cout, n, G.cin, threads) <= WINO_SLOTS * G.gemm_floats
            ? threads
            : 1;
#pragma omp parallel num_threads(threads)
    input_chunk(a, &G, r0, nrows, V);
    for (int x = 0; x < G.xi; x++)
      sp_sgemm_run(G.cout, n, G.cin, u->u + (size_t)x * u->stride, V + (size_t)x * vs, n,
                   M + (size_t)x * ms, n, NULL, SP_ACT_NONE, gt, gws);
#pragma omp parallel num_threads(threads)
    output_chunk(a, &G, r0, nrows, M);
  }
}

void sp_kernel_conv2d__winograd2x2_serial(const sp_kernel_args *a) { conv2d_winograd(a, 2, 1); }
void sp_kernel_conv2d__winograd2x2_omp(const sp_kernel_args *a) {
  conv2d_winograd(a, 2, a->threads);
}
void sp_kernel_conv2d__winograd4x4_serial(const sp_kernel_args *a) { conv2d_winograd(a, 4, 1); }
void sp_kernel_conv2d__winograd4x4_omp(const sp_kernel_args *a) {
  conv2d_winograd(a, 4, a->threads);
}
