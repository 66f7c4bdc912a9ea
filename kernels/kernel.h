/* A kernel variant: one way to compute one op (weight format, algorithm,
 * backend). Every variant is listed once in kernels/variants.inc; the
 * executor, the tests and the profiler all read that one list. */
#ifndef SP_KERNEL_H
#define SP_KERNEL_H

#include <stddef.h>

#include "engine/graph/graph.h"
#include "engine/opencl/device_limits.h"

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
  SP_BACKEND_BLAS,      /* OpenBLAS run single-threaded inside our OpenMP threads (one
                         * thread pool, never two spinning at once) */
  SP_BACKEND_OPENCL,
  SP_BACKEND_CLBLAST,
  SP_BACKEND_COUNT
} sp_backend;


#define SP_MAX_PARAMS 8

/* One tunable parameter of a variant: its candidate values and the one used
 * when no point is given. */
typedef struct sp_param {
  const char *name;          /* "wg_x", "vec" */
  int n_values;
  const int *values;         /* candidates, ascending */
  int default_value;         /* one of the values */
} sp_param;

/* A variant's parameter space: the cross product of its parameters' values
 * (a point is one value per parameter, in this order), restricted by
 * valid(). The search enumerates it; the executor and the profiler pass a
 * point through sp_kernel_args.params and prepare_device(). */
typedef struct sp_param_space {
  int count;                 /* parameters, <= SP_MAX_PARAMS */
  const sp_param *params;
  /* Whether `point` can run `node` on a device with these limits (work-group
   * size, local memory, divisibility of the parameters). With limits NULL
   * the device checks are skipped, with g and node NULL the node checks:
   * what remains is what the kernel itself needs. NULL: every point. */
  int (*valid)(const sp_graph *g, const sp_node *node, const int *point,
               const sp_device_limits *limits);
} sp_param_space;

/* Everything one call of a kernel sees. Buffers are NCHW float32 with
 * `batch` images; shapes are per image. Device variants (backend OPENCL or
 * CLBLAST, see sp_variant_on_device) read and write device buffers instead:
 * in[] and out are NULL, in_mem[]/out_mem/workspace_mem are cl_mem handles
 * (opaque here so that this header needs no OpenCL), `backend` is the
 * device (engine/cl_runtime.h); run() enqueues its work on the device's
 * queue and returns without waiting. */
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
  const int *params;         /* the variant's parameter point, NULL = its defaults (device
                              * variants run the point prepare_device built them for) */
  void *backend;             /* device variants: the sp_cl_device, else NULL */
  void *in_mem[SP_MAX_INPUTS]; /* device variants: input buffers (cl_mem) */
  void *out_mem;             /* device variants: output buffer (cl_mem) */
  void *workspace_mem;       /* device variants: workspace_bytes() of device memory, or NULL */
  sp_status *status;         /* where run() reports a failure (a launch the device refused,
                              * with sp_fail's message); NULL: nobody asks */
} sp_kernel_args;

typedef struct sp_variant {
  const char *name;          /* what before "__", how after: "conv2d__direct_omp" */
  sp_op op;
  sp_format format;
  sp_algo algo;
  sp_backend backend;
  /* Whether this variant can run `node` (NULL: every node of `op`). */
  int (*supports)(const sp_graph *g, const sp_node *node);
  /* Scratch memory needed for `batch` images (NULL: none); device memory
   * for device variants. */
  size_t (*workspace_bytes)(const sp_graph *g, const sp_node *node, int batch);
  void (*run)(const sp_kernel_args *args);
  /* Converts the node's weights once, before any run, into what run() reads
   * (GEMM panels, CSR arrays, 2-bit codes); *bytes receives the exact size of
   * what it keeps. NULL when run() reads node->weight as it is. */
  sp_status (*prepare)(const sp_graph *g, const sp_node *node, void **prepared, size_t *bytes);
  void (*release)(void *prepared); /* frees what prepare() or prepare_device() built */
  /* Device variants prepare here instead of prepare(): on device `backend`
   * for parameter point `params` (NULL = defaults) they build their kernels
   * (compile time is prepare time, never run time) and upload the weights in
   * their format; *bytes receives the device bytes of those weights, bias
   * excluded. Fails, never aborts, when a kernel does not build (the message
   * names the variant and the build log's first line). NULL for host variants. */
  sp_status (*prepare_device)(const sp_graph *g, const sp_node *node, void *backend,
                              const int *params, void **prepared, size_t *bytes);
  const sp_param_space *params; /* tunable parameters, NULL = none */
  /* Device variants: the kernels/cl/<name>.cl sources they build, separated
   * by spaces ("" none; common.cl, the prelude of all, is implied): what
   * their tuning-cache key hashes. NULL for host variants. */
  const char *cl_sources;
} sp_variant;

const char *sp_format_name(sp_format f);
const char *sp_algo_name(sp_algo a);
const char *sp_backend_name(sp_backend b);

#endif
