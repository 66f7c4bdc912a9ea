/* A plan file made executable: the model with the plan's compression
 * applied (channel keeps, then weight pruning and ternary), and per node the
 * plan's kernel variant, parameter point and thread count, ready for
 * sp_executor_create. Shared by `stackplan run`, `plan --verify` and the
 * demo, so that what is verified is what runs. */
#ifndef SP_RESULTS_PLAN_EXEC_H
#define SP_RESULTS_PLAN_EXEC_H

#include "engine/executor/executor.h"
#include "planner/plan_io.h"

typedef struct sp_plan_exec {
  sp_graph *graph;              /* the compressed model */
  const sp_variant **variants;  /* per node (n_nodes); NULL for the input */
  const int **params;           /* per node: the point, NULL = the variant's defaults */
  int *threads;                 /* per node */
  int *param_store;             /* n_nodes x SP_MAX_PARAMS */
  int device;                   /* the OpenCL device the plan uses, -1: host only */
  int weights_match;            /* the model's weights are those the accuracies were measured on */
  char model[256];              /* the model spec loaded (the plan's, or the caller's) */
} sp_plan_exec;

/* Loads `model` (NULL: the plan's model name), checks that its structure is
 * the plan's (unless force), applies the plan's compression and resolves each
 * layer's variant, parameters and threads. SP_ERR_INPUT with one line naming
 * the plan file, the layer and the field for: another model (structure
 * fingerprint; --force runs it anyway), a layer the model lacks, a variant
 * this build does not have (e.g. OpenCL ones in a build without it) or that
 * cannot run the layer, an unknown parameter. Free with sp_plan_exec_free. */
sp_status sp_plan_exec_build(const sp_plan_file *f, const char *plan_path, const char *model,
                             int force, sp_plan_exec *out);

/* Whether this machine (with the OpenCL device the plan uses, or without
 * one, or with device 0 when the profile was made with it, or without the
 * device a layer names) has the plan's device fingerprint. SP_ERR_INPUT naming the plan file and the field
 * unless force. */
sp_status sp_plan_check_machine(const sp_plan_file *f, const char *plan_path, int device, int force);

/* The OpenCL device the plan's layers name (-1: host only), read off the
 * file alone, so that the machine is checked before any layer's variant:
 * a plan from another machine is refused for that, not for a variant this
 * CPU lacks. */
int sp_plan_file_device(const sp_plan_file *f);

/* Executor options running the plan with `batch` images per call; release
 * dense weights (deployment: one weight format in memory). */
sp_exec_options sp_plan_exec_options(const sp_plan_exec *x, int batch);

void sp_plan_exec_free(sp_plan_exec *x);

#endif
