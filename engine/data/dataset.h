/* Fashion-MNIST from Debian's dataset-fashion-mnist (gzip'd IDX files),
 * preprocessed as in docs/preprocessing.md: pixel/255, then (x - mean) / std
 * with the mean and population std of the first 55,000 training images
 * (computed here from the training file), then zero-padded 28x28 -> 32x32
 * (2 on each side) in normalised space. */
#ifndef SP_DATASET_H
#define SP_DATASET_H

#include <stdint.h>

#include "engine/core/status.h"

#define SP_FMNIST_SIDE 32    /* model input: 1 x 32 x 32 */
#define SP_FMNIST_CLASSES 10

typedef enum sp_fmnist_split {
  SP_FMNIST_TEST,  /* the 10,000 test images */
  SP_FMNIST_CALIB, /* the last 5,000 training images (never trained on) */
} sp_fmnist_split;

typedef struct sp_fmnist {
  int count;         /* images loaded */
  float *inputs;     /* count x 1 x 32 x 32, preprocessed */
  uint8_t *labels;   /* count labels, 0..9 */
  double mean, std;  /* of pixel/255 over the training split */
} sp_fmnist;

/* The dataset directory: $SP_DATA_DIR if set, else Debian's. */
const char *sp_fmnist_dir(void);

/* Loads the first `limit` images of `split` (all when limit <= 0) from
 * `dir`. SP_ERR_INPUT naming the file when it is missing (with the package
 * to install), truncated or not a valid IDX file of the expected kind. */
sp_status sp_fmnist_load(const char *dir, sp_fmnist_split split, int limit, sp_fmnist *out);

void sp_fmnist_free(sp_fmnist *d);

#endif
