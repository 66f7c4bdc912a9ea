/* A synthetic Fashion-MNIST in a temporary folder (for SP_DATA_DIR or
 * sp_fmnist_load): the four IDX files with the real sizes, so the loader's
 * checks pass. Training images 0..54,999 repeat one seeded pattern (so the
 * file compresses and writes fast), the calibration images 55,000..59,999
 * and the test images are seeded noise with seeded labels. Header-only:
 * static functions for the tests that include it. */
#ifndef SP_TEST_FMNIST_FIXTURE_H
#define SP_TEST_FMNIST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "engine/core/rng.h"

static void fixture_write_idx(const char *dir, const char *name, uint32_t magic, uint32_t count,
                              int image, uint64_t seed, uint32_t noise_from) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  gzFile f = gzopen(path, "wb1");
  if (!f) return;
  unsigned char h[16];
  uint32_t fields[4] = {magic, count, 28, 28};
  int n_fields = image ? 4 : 2;
  for (int i = 0; i < n_fields; i++)
    for (int b = 0; b < 4; b++) h[i * 4 + b] = (unsigned char)(fields[i] >> (24 - 8 * b));
  gzwrite(f, h, (unsigned)(n_fields * 4));
  size_t item = image ? 28 * 28 : 1;
  unsigned char *buf = malloc(item);
  sp_rng rng, pattern;
  sp_rng_seed(&rng, seed);
  sp_rng_seed(&pattern, seed ^ 0x5eed);
  for (uint32_t i = 0; i < count; i++) {
    sp_rng *r = i >= noise_from ? &rng : &pattern;
    if (i < noise_from) sp_rng_seed(&pattern, seed ^ 0x5eed);
    for (size_t k = 0; k < item; k++)
      buf[k] = (unsigned char)(image ? sp_rng_next(r) & 0xff : sp_rng_next(r) % 10);
    gzwrite(f, buf, (unsigned)item);
  }
  free(buf);
  gzclose(f);
}

/* Writes the four files into dir. */
static void fixture_write_fmnist(const char *dir) {
  fixture_write_idx(dir, "train-images-idx3-ubyte.gz", 0x803, 60000, 1, 1, 55000);
  fixture_write_idx(dir, "train-labels-idx1-ubyte.gz", 0x801, 60000, 0, 2, 0);
  fixture_write_idx(dir, "t10k-images-idx3-ubyte.gz", 0x803, 10000, 1, 3, 0);
  fixture_write_idx(dir, "t10k-labels-idx1-ubyte.gz", 0x801, 10000, 0, 4, 0);
}

static void fixture_remove_fmnist(const char *dir) {
  static const char *const names[] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                      "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};
  for (int i = 0; i < 4; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    unlink(path);
  }
}

#endif
