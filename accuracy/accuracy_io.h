/* Accuracy files: what each compression option costs in accuracy, measured
 * by `stackplan sense` ("source": "measured") or supplied from elsewhere, e.g.
 * after fine-tuning in PyTorch ("source": "user"). Format `stackplan-accuracy`
 * version 1 (docs/formats.md). The planner turns an entry into a drop:
 * sp_accuracy_drop(). */
#ifndef SP_ACCURACY_IO_H
#define SP_ACCURACY_IO_H

#include "engine/compress/compress.h"
#include "engine/graph/graph.h"

#define SP_ACCURACY_FORMAT "stackplan-accuracy"
#define SP_ACCURACY_VERSION 1

/* How sure a measured accuracy is (optional in files: old ones read with
 * the defaults). An entry scored on `images` images (the first of the
 * split; the file's data.images by default), where the uncompressed model
 * scored `baseline` (the file's baseline by default). Its drop is
 * baseline - accuracy; [drop_lo, drop_hi] is its 95% interval in pp: the
 * Wilson score interval of the entry's accuracy as a binomial proportion of
 * `images`, the baseline on the same images taken as exact
 * (sp_accuracy_wilson). */
typedef struct sp_accuracy_uncertainty {
  int images;
  double baseline;
  double drop_lo, drop_hi;
} sp_accuracy_uncertainty;

/* One conv/fc layer compressed alone by weight pruning or ternary. */
typedef struct sp_accuracy_layer {
  char layer[SP_NAME_MAX];
  sp_compress_kind kind;     /* SP_COMPRESS_PRUNE or SP_COMPRESS_TERNARY */
  double rate;               /* sparsity s, or threshold factor t */
  double accuracy, loss;     /* percent; mean cross-entropy (INFINITY: overflowed) */
  sp_accuracy_uncertainty u;
} sp_accuracy_layer;

/* One channel group pruned alone to keep fraction k. */
typedef struct sp_accuracy_group {
  char group[SP_NAME_MAX];   /* its representative: the first producer (channel_groups.h) */
  int n_layers;
  char (*layers)[SP_NAME_MAX]; /* the layers whose weights the keep cuts: members with
                                  weights (producers, depthwise convs, batch norms), then
                                  consumers */
  double keep;
  int channels_kept;         /* sp_channel_keep_count(channels, keep) */
  double accuracy, loss;
  sp_accuracy_uncertainty u;
} sp_accuracy_group;

typedef struct sp_accuracy {
  char created[32];          /* ISO 8601, UTC */
  char model[256];           /* the model as named when measured */
  char structure_fingerprint[17], weights_fingerprint[17]; /* engine/fingerprint.h */
  int input[3];              /* C, H, W */
  int classes;
  char data[32];             /* "fashion-mnist" */
  char split[16];            /* "calib" or "test" */
  int images;
  double accuracy, loss;     /* the uncompressed model's */
  int n_layers;
  sp_accuracy_layer *layers;
  int n_groups;
  sp_accuracy_group *groups;
  char source[16];           /* "measured" or "user" */
} sp_accuracy;

/* Fills the "model" fields (name, fingerprints, input, classes) from g. */
void sp_accuracy_set_model(sp_accuracy *a, const char *name, const sp_graph *g);

/* Writes a as JSON to path atomically (engine/core/file_io.h), so that path
 * is either untouched or complete. SP_ERR_IO naming the file. */
sp_status sp_accuracy_save(const char *path, const sp_accuracy *a);

/* Reads and validates an accuracy file: format and version, every field
 * present with its type and range, "source" measured or user. Errors are one
 * line naming the file and the field ("acc.json: layers[3].rate: missing"):
 * SP_ERR_IO when it cannot be read, SP_ERR_INPUT otherwise. Free with
 * sp_accuracy_free. */
sp_status sp_accuracy_load(const char *path, sp_accuracy *out);

/* The same from `len` bytes in memory, named `name` in messages. */
sp_status sp_accuracy_load_buffer(const void *data, size_t len, const char *name,
                                  sp_accuracy *out);

/* Whether the file (read from `path`, for messages) belongs to model g: its
 * weights fingerprint must be g's (accuracy depends on the weights, so the
 * same architecture with other weights does not match). SP_ERR_INPUT naming
 * the file, both fingerprints and the model otherwise. */
sp_status sp_accuracy_check(const sp_accuracy *a, const char *path, const sp_graph *g);

/* The drop of an option that scored `accuracy`: baseline - accuracy in
 * percentage points, clamped at 0 (an option that happens to score above
 * the baseline costs nothing; the planner's additive model never gains). */
double sp_accuracy_drop(const sp_accuracy *a, double accuracy);

/* The 95% Wilson score interval [lo, hi] (percent) of an accuracy of
 * `accuracy` percent measured on n images (n >= 1; n < 1: [0, 100]). */
void sp_accuracy_wilson(double accuracy, int n, double *lo, double *hi);

/* An entry's uncertainty measured on n images where the baseline scored
 * `baseline`: the drop interval of its accuracy (sp_accuracy_uncertainty). */
sp_accuracy_uncertainty sp_accuracy_uncertainty_of(double accuracy, int n, double baseline);

/* The entry of that layer, kind and rate (rates equal within 1e-9), or NULL. */
const sp_accuracy_layer *sp_accuracy_find_layer(const sp_accuracy *a, const char *layer,
                                                sp_compress_kind kind, double rate);
/* The entry of that group and keep, or NULL. */
const sp_accuracy_group *sp_accuracy_find_group(const sp_accuracy *a, const char *group,
                                                double keep);

void sp_accuracy_free(sp_accuracy *a);

#endif
