/* Weight formats of conv2d and fc layers besides dense float32: compressed
 * sparse rows (CSR) and packed ternary codes. Both see the weights as the
 * matrix node->weight already is, row-major:
 *   rows = output channels (conv2d) or units (fc),
 *   cols = Cin/groups * kh * kw (conv2d) or input features (fc).
 * A kernel's prepare() builds one of them once; its run() reads only that.
 * The byte sizes below are exact and are what the executor accounts for the
 * format (the float bias, read from the node by every variant, apart). */
#ifndef SP_WEIGHT_FORMAT_H
#define SP_WEIGHT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/graph/graph.h"

/* The matrix shape of a conv2d/fc node's weights; 0 x 0 for other ops. */
void sp_weight_matrix_shape(const sp_graph *g, const sp_node *n, int *rows, int *cols);

/* ---- CSR ---- */

typedef struct sp_csr {
  int rows, cols;
  int32_t nnz;
  int32_t *row_ptr; /* rows + 1 entries; row r's nonzeros are [row_ptr[r], row_ptr[r + 1]) */
  int32_t *col;     /* nnz column indices, increasing within a row */
  float *val;       /* nnz values, none of them 0 */
} sp_csr;

/* Exact bytes of a CSR matrix: (rows + 1) * 4 row pointers + nnz * (4-byte
 * value + 4-byte column index). Column indices are always 4 bytes: one code
 * path for every layer, and the accounting of the paper's CSR. */
size_t sp_csr_bytes(int rows, int64_t nnz);

/* Builds the CSR of node n's weights, dropping exact zeros (+0 and -0).
 * SP_ERR_INPUT when n has no weights or more than 2^31 - 1 of them,
 * SP_ERR_RUNTIME when out of memory. Free with sp_csr_free. */
sp_status sp_csr_build(const sp_graph *g, const sp_node *n, sp_csr **out);
void sp_csr_free(sp_csr *m);

/* ---- packed ternary ---- */

/* 2-bit codes, four weights a byte, lowest bits first; each row starts on a
 * byte boundary (row_bytes = ceil(cols / 4), the tail bits are 0). */
enum { SP_TERNARY_ZERO = 0, SP_TERNARY_PLUS = 1, SP_TERNARY_MINUS = 2 };

typedef struct sp_ternary {
  int rows, cols, row_bytes;
  float pos, neg;   /* weight = +pos (code 1), 0 (code 0), -neg (code 2) */
  uint8_t *codes;   /* rows * row_bytes */
} sp_ternary;

/* Code of weight j of a row. */
static inline int sp_ternary_code(const uint8_t *row, int j) {
  return (row[j >> 2] >> (2 * (j & 3))) & 3;
}

/* Exact bytes: rows * ceil(cols / 4) code bytes + the two float scales. */
size_t sp_ternary_bytes(int rows, int cols);

/* Packs node n's weights, which must be ternarised (n->ternary, see
 * engine/compress.h) and still hold only +ternary_pos, 0 and -ternary_neg:
 * SP_ERR_INPUT naming the node and the first stray weight otherwise,
 * SP_ERR_RUNTIME when out of memory. Free with sp_ternary_free. */
sp_status sp_ternary_build(const sp_graph *g, const sp_node *n, sp_ternary **out);
void sp_ternary_free(sp_ternary *t);

#endif
