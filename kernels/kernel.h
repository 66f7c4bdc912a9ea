/* A kernel variant: one way to compute one op (weight format, algorithm,
 * backend). Every variant is listed once in kernels/variants.inc; the
 * executor, the tests and the profiler all read that one list. */
#ifndef SP_KERNEL_H
#define SP_KERNEL_H

#include <stddef.h>

#include "../engine/graph.h"

/* The weight format a variant computes from (names in registry.c). */
typedef enum sp_format {
  SP_FORMAT_NONE,    /* op without weights */
  SP_FORMAT_DENSE,   /* float32, possibly packed into panels */
  SP_FORMAT_CSR,     /* compressed sparse rows over Cout x (Cin/groups*kh*kw) */
  SP_FORMAT_TERNARY, /* 2-bit codes plus one positive and one negative scale */
  SP_FORMAT_COUNT
} sp_format;

typedef enum sp_algo {
  SP_ALGO_REFERENCE,    /* the naive loop every other variant is tested against */
  SP_ALGO_DIRECT,       /* sliding window over the input */
  SP_ALGO_IM2COL_GEMM,  /* lower to a matrix, then GEMM */
  SP_ALGO_GEMM,         /* a plain GEMM/GEMV on the input (1x1 conv, fc) */
  SP_ALGO_WINOGRAD,     /* Winograd minimal filtering */
  SP_ALGO_SPARSE,       /* computes from CSR or ternary codes */
  SP_ALGO_ELEMENTWISE,  /* vectorised pointwise/pooling loops */
  SP_ALGO_COUNT
} sp_algo;

typedef enum sp_backend {
  SP_BACKEND_SERIAL,
  SP_BACKEND_OPENMP,
  SP_BACKEND_BLAS,      /* OpenBLAS, its thread count set per call */
  SP_BACKEND_OPENCL,
  SP_BACKEND_CLBLAST,
  SP_BACKEND_COUNT
} sp_backend;

/* Everything one call of a kernel sees. Buffers are NCHW float32 with
 * `batch` images; shapes are per image. */
typedef struct sp_kernel_args {
  const sp_graph *graph;
  const sp_node *node;
  int batch;
  int threads;               /* >= 1; serial variants ignore it */
  const float *in[SP_MAX_INPUTS];
  sp_dims in_dims[SP_MAX_INPUTS];
  float *out;
  sp_dims out_dims;
  float *workspace;          /* workspace_bytes() bytes, or NULL when 0 */
  const void *prepared;      /* what the variant's prepare() built, or NULL */
} sp_kernel_args;

typedef struct sp_variant {
  const char *name;          /* what before "__", how after: "conv2d__direct_omp" */
  sp_op op;
  sp_format format;
  sp_algo algo;
  sp_backend backend;
  /* Whether this variant can run `node` (NULL: every node of `op`). */
  int (*supports)(const sp_graph *g, const sp_node *node);
  /* Scratch memory needed for `batch` images (NULL: none). */
  size_t (*workspace_bytes)(const sp_graph *g, const sp_node *node, int batch);
  void (*run)(const sp_kernel_args *args);
  /* Converts the node's weights once, before any run, into what run() reads
   * (GEMM panels, CSR arrays, 2-bit codes); *bytes receives the exact size of
   * what it keeps. NULL when run() reads node->weight as it is. */
  sp_status (*prepare)(const sp_graph *g, const sp_node *node, void **prepared, size_t *bytes);
  void (*release)(void *prepared); /* frees what prepare() built */
} sp_variant;

const char *sp_format_name(sp_format f);
const char *sp_algo_name(sp_algo a);
const char *sp_backend_name(sp_backend b);

#endif
