#include "engine/compress/weight_format.h"

#include <stdlib.h>

#include "engine/compress/compress.h"

void sp_weight_matrix_shape(const sp_graph *g, const sp_node *n, int *rows, int *cols) {
  size_t count = sp_node_weight_count(g, n);
  *rows = count && n->units > 0 ? n->units : 0;
  *cols = *rows ? (int)(count / (size_t)n->units) : 0;
}

/* Checks that n has a weight matrix small enough for 32-bit indices. */
static sp_status check_matrix(const sp_graph *g, const sp_node *n, const char *format) {
  size_t count = sp_node_weight_count(g, n);
  if (!n->weight || !count)
    return sp_fail(SP_ERR_INPUT, "node %s: %s has no weights to convert to %s", n->name,
                   sp_op_name(n->op), format);
  if (count > (size_t)INT32_MAX)
    return sp_fail(SP_ERR_INPUT, "node %s: %zu weights exceed the 32-bit indices of %s", n->name,
                   count, format);
  return SP_OK;
}

size_t sp_csr_bytes(int rows, int64_t nnz) {
  return ((size_t)rows + 1) * sizeof(int32_t) + (size_t)nnz * (sizeof(float) + sizeof(int32_t));
}

sp_status sp_csr_build(const sp_graph *g, const sp_node *n, sp_csr **out) {
  *out = NULL;
  sp_status s = check_matrix(g, n, "CSR");
  if (s) return s;
  sp_csr *m = calloc(1, sizeof *m);
  if (!m) return sp_fail(SP_ERR_RUNTIME, "out of memory building the CSR of %s", n->name);
  sp_weight_matrix_shape(g, n, &m->rows, &m->cols);
  size_t count = (size_t)m->rows * (size_t)m->cols;
  for (size_t i = 0; i < count; i++) m->nnz += n->weight[i] != 0.0f;
  m->row_ptr = malloc(((size_t)m->rows + 1) * sizeof *m->row_ptr);
  m->col = malloc((m->nnz ? (size_t)m->nnz : 1) * sizeof *m->col);
  m->val = malloc((m->nnz ? (size_t)m->nnz : 1) * sizeof *m->val);
  if (!m->row_ptr || !m->col || !m->val) {
    sp_csr_free(m);
    return sp_fail(SP_ERR_RUNTIME, "out of memory building the CSR of %s", n->name);
  }
  int32_t k = 0;
  for (int r = 0; r < m->rows; r++) {
    m->row_ptr[r] = k;
    const float *w = n->weight + (size_t)r * (size_t)m->cols;
    for (int c = 0; c < m->cols; c++)
      if (w[c] != 0.0f) {
        m->col[k] = c;
        m->val[k++] = w[c];
      }
  }
  m->row_ptr[m->rows] = k;
  *out = m;
  return SP_OK;
}

void sp_csr_free(sp_csr *m) {
  if (!m) return;
  free(m->row_ptr);
  free(m->col);
  free(m->val);
  free(m);
}

size_t sp_ternary_bytes(int rows, int cols) {
  return (size_t)rows * (((size_t)cols + 3) / 4) + 2 * sizeof(float);
}

sp_status sp_ternary_build(const sp_graph *g, const sp_node *n, sp_ternary **out) {
  *out = NULL;
  sp_status s = check_matrix(g, n, "ternary codes");
  if (s) return s;
  if (!n->ternary)
    return sp_fail(SP_ERR_INPUT, "node %s: weights are not ternarised (see engine/compress.h)",
                   n->name);
  sp_ternary *t = calloc(1, sizeof *t);
  if (!t) return sp_fail(SP_ERR_RUNTIME, "out of memory packing the ternary codes of %s", n->name);
  sp_weight_matrix_shape(g, n, &t->rows, &t->cols);
  t->row_bytes = (t->cols + 3) / 4;
  t->pos = n->ternary_pos;
  t->neg = n->ternary_neg;
  t->codes = calloc((size_t)t->rows * (size_t)t->row_bytes, 1);
  if (!t->codes) {
    sp_ternary_free(t);
    return sp_fail(SP_ERR_RUNTIME, "out of memory packing the ternary codes of %s", n->name);
  }
  for (int r = 0; r < t->rows; r++) {
    const float *w = n->weight + (size_t)r * (size_t)t->cols;
    uint8_t *row = t->codes + (size_t)r * (size_t)t->row_bytes;
    for (int c = 0; c < t->cols; c++) {
      int code;
      if (w[c] == 0.0f) code = SP_TERNARY_ZERO;
      else if (w[c] == t->pos) code = SP_TERNARY_PLUS;
      else if (w[c] == -t->neg) code = SP_TERNARY_MINUS;
      else {
        float stray = w[c];
        sp_ternary_free(t);
        return sp_fail(SP_ERR_INPUT,
                       "node %s: weight %d of row %d is %g, not one of +%g, 0, -%g: the weights "
                       "changed after ternarisation",
                       n->name, c, r, (double)stray, (double)n->ternary_pos,
                       (double)n->ternary_neg);
      }
      row[c >> 2] |= (uint8_t)(code << (2 * (c & 3)));
    }
  }
  *out = t;
  return SP_OK;
}

void sp_ternary_free(sp_ternary *t) {
  if (!t) return;
  free(t->codes);
  free(t);
}

sp_format_bytes sp_compress_format_bytes(const sp_graph *g, const sp_node *n) {
  sp_format_bytes b = {0, 0, 0};
  int rows, cols;
  sp_weight_matrix_shape(g, n, &rows, &cols);
  if (!rows || !n->weight) return b;
  size_t count = (size_t)rows * (size_t)cols, nnz = 0;
  for (size_t i = 0; i < count; i++) nnz += n->weight[i] != 0.0f;
  b.dense = (int64_t)(count * sizeof(float));
  b.csr = (int64_t)sp_csr_bytes(rows, (int64_t)nnz);
  b.ternary = (int64_t)sp_ternary_bytes(rows, cols);
  return b;
}
