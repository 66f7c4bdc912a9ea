/* stackplan infer, shared between its files: cmd_infer.c (options, random
 * and .npy inputs) and infer_data.c (accuracy on a dataset). */
#ifndef SP_CLI_INFER_H
#define SP_CLI_INFER_H

#include "engine/executor/executor.h"
#include "engine/graph/graph.h"

typedef struct infer_options {
  const char *model;
  int batch, threads, repeat, seed, reference, check, layers, verbose;
  const char *input, *output; /* .npy files, or NULL */
  const char *data;           /* dataset name, or NULL */
  const char *split;          /* "test" (default) or "calib" */
  int limit;                  /* images of the split, 0 = all */
  int given_batch, given_seed, given_repeat; /* set on the command line */
  const char *compress;       /* compression spec, or NULL */
  const char *variant_spec;   /* LAYER=VARIANT list, or NULL */
  const sp_variant **variants; /* parsed from variant_spec: per node, or NULL */
} infer_options;

/* Runs the dataset evaluation (--data); returns the exit code. */
int sp_infer_data(const infer_options *o, const sp_graph *g);

/* "variants: name xN ..." on one line, or one line per node. */
void sp_infer_print_variants(const sp_graph *g, const sp_executor *e, int per_node);


#endif
