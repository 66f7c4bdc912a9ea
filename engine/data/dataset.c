/* Fashion-MNIST loader: gzip'd IDX files read through zlib, validated
 * (magic, counts, 28x28 images, labels < 10), normalised with statistics
 * computed from the training split on each load (nothing is cached on disk,
 * so nothing can drift from the data). */
#define _POSIX_C_SOURCE 200809L /* fileno, dup */
#include "engine/data/dataset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "engine/core/file_io.h"

#define IMAGE_SIDE 28
#define IMAGE_PIXELS (IMAGE_SIDE * IMAGE_SIDE)
#define TRAIN_IMAGES 60000
#define TRAIN_SPLIT 55000 /* the first 55,000: training; the rest: calibration */
#define PAD ((SP_FMNIST_SIDE - IMAGE_SIDE) / 2)
#define HINT "apt-get install dataset-fashion-mnist"

const char *sp_fmnist_dir(void) {
  const char *dir = getenv("SP_DATA_DIR");
  return dir && *dir ? dir : "/usr/share/datasets/fashion-mnist";
}

/* Reads exactly n bytes; a short read means a truncated or corrupt file. */
static sp_status read_exact(gzFile f, const char *path, void *buf, size_t n) {
  unsigned char *p = buf;
  while (n) {
    unsigned chunk = n > (1u << 30) ? 1u << 30 : (unsigned)n;
    int got = gzread(f, p, chunk);
    if (got <= 0) {
      int err;
      const char *msg = gzerror(f, &err);
      return sp_fail(SP_ERR_INPUT, "%s: truncated or corrupt (%s)", path,
                     err != Z_OK && msg && *msg ? msg : "unexpected end of file");
    }
    p += got;
    n -= (size_t)got;
  }
  return SP_OK;
}

static uint32_t be32(const unsigned char *b) {
  return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Reads an IDX file of `magic` (0x803 images, 0x801 labels): its count and
 * every byte after the header, checked to be exactly count items. */
static sp_status read_idx(const char *dir, const char *file, uint32_t magic, int *count,
                          uint8_t **out) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  *out = NULL;
  /* through the shared reader's checks: a FIFO or device is refused (exit
   * 3) instead of blocking or read without end */
  FILE *plain = NULL;
  struct stat st;
  if (stat(path, &st) != 0)
    return sp_fail(SP_ERR_INPUT, "%s: cannot open the Fashion-MNIST file (" HINT ")", path);
  sp_status opened = sp_file_open_read(path, SP_FILE_CAP_ONNX, "a dataset file", &plain, NULL);
  if (opened) return opened;
  int fd = dup(fileno(plain));
  fclose(plain);
  gzFile f = fd >= 0 ? gzdopen(fd, "rb") : NULL;
  if (!f) {
    if (fd >= 0) close(fd);
    return sp_fail(SP_ERR_INPUT, "%s: cannot open the Fashion-MNIST file (" HINT ")", path);
  }
  unsigned char h[16];
  size_t hlen = magic == 0x803 ? 16 : 8;
  sp_status s = read_exact(f, path, h, hlen);
  if (!s && be32(h) != magic)
    s = sp_fail(SP_ERR_INPUT, "%s: magic 0x%08x is not 0x%08x (not an IDX %s file)", path,
                (unsigned)be32(h), (unsigned)magic, magic == 0x803 ? "image" : "label");
  uint32_t n = s ? 0 : be32(h + 4);
  if (!s && (n == 0 || n > 1000000))
    s = sp_fail(SP_ERR_INPUT, "%s: implausible item count %u", path, (unsigned)n);
  if (!s && magic == 0x803 && (be32(h + 8) != IMAGE_SIDE || be32(h + 12) != IMAGE_SIDE))
    s = sp_fail(SP_ERR_INPUT, "%s: images are %ux%u, expected 28x28", path,
                (unsigned)be32(h + 8), (unsigned)be32(h + 12));
  size_t bytes = (size_t)n * (magic == 0x803 ? IMAGE_PIXELS : 1);
  uint8_t *data = s ? NULL : malloc(bytes);
  if (!s && !data) s = sp_fail(SP_ERR_RUNTIME, "%s: out of memory", path);
  if (!s) s = read_exact(f, path, data, bytes);
  unsigned char extra;
  if (!s && gzread(f, &extra, 1) != 0)
    s = sp_fail(SP_ERR_INPUT, "%s: data after the %u items the header announces", path,
                (unsigned)n);
  gzclose(f);
  if (s) {
    free(data);
    return s;
  }
  *count = (int)n;
  *out = data;
  return SP_OK;
}

/* Images and labels of one IDX pair, counts checked against each other. */
static sp_status read_pair(const char *dir, const char *prefix, int *count, uint8_t **images,
                           uint8_t **labels) {
  char img_file[64], lbl_file[64];
  snprintf(img_file, sizeof img_file, "%s-images-idx3-ubyte.gz", prefix);
  snprintf(lbl_file, sizeof lbl_file, "%s-labels-idx1-ubyte.gz", prefix);
  int n_img = 0, n_lbl = 0;
  *images = *labels = NULL;
  sp_status s = read_idx(dir, img_file, 0x803, &n_img, images);
  if (!s) s = read_idx(dir, lbl_file, 0x801, &n_lbl, labels);
  if (!s && n_img != n_lbl)
    s = sp_fail(SP_ERR_INPUT, "%s/%s: %d labels for %d images", dir, lbl_file, n_lbl, n_img);
  for (int i = 0; !s && i < n_lbl; i++)
    if ((*labels)[i] >= SP_FMNIST_CLASSES)
      s = sp_fail(SP_ERR_INPUT, "%s/%s: label %d of item %d is not a class 0..9", dir, lbl_file,
                  (*labels)[i], i);
  if (s) {
    free(*images);
    free(*labels);
    *images = *labels = NULL;
    return s;
  }
  *count = n_img;
  return SP_OK;
}

/* Mean and population std of pixel/255 over the first TRAIN_SPLIT images
 * (sums of integers are exact; one division at the end). */
static void pixel_stats(const uint8_t *images, double *mean, double *std) {
  uint64_t sum = 0, sumsq = 0;
  size_t n = (size_t)TRAIN_SPLIT * IMAGE_PIXELS;
  for (size_t i = 0; i < n; i++) {
    sum += images[i];
    sumsq += (uint64_t)images[i] * images[i];
  }
  double m = (double)sum / (double)n / 255.0;
  double var = (double)sumsq / (double)n / (255.0 * 255.0) - m * m;
  *mean = m;
  *std = var > 0 ? sqrt(var) : 0;
}

/* Same float32 arithmetic as the training script: (p/255 - mean) / std,
 * the 2-pixel border stays 0 (the mean). */
static void preprocess(const uint8_t *img, float mean, float std, float *out) {
  memset(out, 0, SP_FMNIST_SIDE * SP_FMNIST_SIDE * sizeof *out);
  for (int y = 0; y < IMAGE_SIDE; y++)
    for (int x = 0; x < IMAGE_SIDE; x++) {
      float v = (float)img[y * IMAGE_SIDE + x] / 255.0f;
      out[(y + PAD) * SP_FMNIST_SIDE + x + PAD] = (v - mean) / std;
    }
}

sp_status sp_fmnist_load(const char *dir, sp_fmnist_split split, int limit, sp_fmnist *out) {
  memset(out, 0, sizeof *out);
  int n_train = 0, n_test = 0;
  uint8_t *train_img = NULL, *train_lbl = NULL, *test_img = NULL, *test_lbl = NULL;
  sp_status s = read_pair(dir, "train", &n_train, &train_img, &train_lbl);
  if (!s && n_train != TRAIN_IMAGES)
    s = sp_fail(SP_ERR_INPUT, "%s/train-images-idx3-ubyte.gz: %d images, expected %d", dir,
                n_train, TRAIN_IMAGES);
  if (!s && split == SP_FMNIST_TEST) s = read_pair(dir, "t10k", &n_test, &test_img, &test_lbl);
  if (!s) {
    pixel_stats(train_img, &out->mean, &out->std);
    if (!(out->std > 0))
      s = sp_fail(SP_ERR_INPUT, "%s/train-images-idx3-ubyte.gz: every pixel is the same", dir);
  }
  const uint8_t *img = split == SP_FMNIST_TEST ? test_img : train_img + (size_t)TRAIN_SPLIT * IMAGE_PIXELS;
  const uint8_t *lbl = split == SP_FMNIST_TEST ? test_lbl : train_lbl + TRAIN_SPLIT;
  int n = split == SP_FMNIST_TEST ? n_test : TRAIN_IMAGES - TRAIN_SPLIT;
  if (limit > 0 && limit < n) n = limit;
  size_t per = SP_FMNIST_SIDE * SP_FMNIST_SIDE;
  if (!s) {
    out->inputs = malloc((size_t)n * per * sizeof *out->inputs);
    out->labels = malloc((size_t)n);
    if (!out->inputs || !out->labels) s = sp_fail(SP_ERR_RUNTIME, "out of memory for %d images", n);
  }
  if (!s) {
    float mean = (float)out->mean, std = (float)out->std;
    for (int i = 0; i < n; i++)
      preprocess(img + (size_t)i * IMAGE_PIXELS, mean, std, out->inputs + (size_t)i * per);
    memcpy(out->labels, lbl, (size_t)n);
    out->count = n;
  }
  free(train_img);
  free(train_lbl);
  free(test_img);
  free(test_lbl);
  if (s) sp_fmnist_free(out);
  return s;
}

void sp_fmnist_free(sp_fmnist *d) {
  if (!d) return;
  free(d->inputs);
  free(d->labels);
  memset(d, 0, sizeof *d);
}
