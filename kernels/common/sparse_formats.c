/* prepare/release and support predicates shared by the CSR and packed
 * ternary variants (the formats themselves: engine/weight_format.h). */
#include "engine/compress/weight_format.h"
#include "kernels/cpu_kernels.h"

sp_status sp_csr_prepare(const sp_graph *g, const sp_node *n, void **prepared, size_t *bytes) {
  sp_csr *m = NULL;
  sp_status s = sp_csr_build(g, n, &m);
  if (s) return s;
  *prepared = m;
  *bytes = sp_csr_bytes(m->rows, m->nnz);
  return SP_OK;
}

void sp_csr_release(void *prepared) { sp_csr_free(prepared); }

sp_status sp_ternary_prepare(const sp_graph *g, const sp_node *n, void **prepared, size_t *bytes) {
  sp_ternary *t = NULL;
  sp_status s = sp_ternary_build(g, n, &t);
  if (s) return s;
  *prepared = t;
  *bytes = sp_ternary_bytes(t->rows, t->cols);
  return SP_OK;
}

void sp_ternary_release(void *prepared) { sp_ternary_free(prepared); }

int sp_ternary_supports(const sp_graph *g, const sp_node *n) {
  return n->ternary && n->weight != NULL;
}
