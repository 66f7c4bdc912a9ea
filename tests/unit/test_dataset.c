/* The Fashion-MNIST loader: synthetic IDX files in a temporary directory for
 * every failure (missing, truncated, wrong magic, dims, counts, labels), and
 * the real files when dataset-fashion-mnist is installed. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "engine/data/dataset.h"
#include "engine/data/npy.h"
#include "tests/unit/testing.h"

static char dir[] = "/tmp/sp_test_dataset_XXXXXX";

/* Writes dir/name (gzip'd): a big-endian header (with rows and cols when
 * rows > 0: an image file) then n_items items, every byte `fill`.
 * `truncate` drops that many data bytes. */
static void write_idx(const char *name, uint32_t magic, uint32_t count, int rows, int cols,
                      uint32_t n_items, unsigned char fill, size_t truncate) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  gzFile f = gzopen(path, "wb1");
  unsigned char h[16];
  uint32_t fields[4] = {magic, count, (uint32_t)rows, (uint32_t)cols};
  int n_fields = rows > 0 ? 4 : 2;
  for (int i = 0; i < n_fields; i++)
    for (int b = 0; b < 4; b++) h[i * 4 + b] = (unsigned char)(fields[i] >> (24 - 8 * b));
  gzwrite(f, h, (unsigned)(n_fields * 4));
  size_t item = rows > 0 ? (size_t)rows * (size_t)cols : 1;
  size_t bytes = (size_t)n_items * item - truncate;
  unsigned char *data = malloc(bytes ? bytes : 1);
  memset(data, fill, bytes);
  gzwrite(f, data, (unsigned)bytes);
  free(data);
  gzclose(f);
}

static void remove_all(void) {
  static const char *const names[] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                      "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};
  for (size_t i = 0; i < 4; i++) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    unlink(path);
  }
}

/* Loading fails with SP_ERR_INPUT, naming `file` and containing `text`. */
static void expect_failure(const char *file, const char *text) {
  sp_fmnist d;
  sp_status s = sp_fmnist_load(dir, SP_FMNIST_TEST, 0, &d);
  const char *msg = sp_last_error();
  CHECK_MSG(s == SP_ERR_INPUT && strstr(msg, file) && strstr(msg, text) && !strchr(msg, '\n'),
            "%s / %s: status %d, '%s'", file, text, s, msg);
  CHECK(d.inputs == NULL && d.count == 0);
}

static void check_failures(void) {
  CHECK(mkdtemp(dir) != NULL);
  expect_failure("train-images-idx3-ubyte.gz", "apt-get install dataset-fashion-mnist");

  write_idx("train-images-idx3-ubyte.gz", 0x804, 5, 28, 28, 5, 0, 0);
  expect_failure("train-images-idx3-ubyte.gz", "magic");
  write_idx("train-images-idx3-ubyte.gz", 0x803, 5, 27, 28, 5, 0, 0);
  expect_failure("train-images-idx3-ubyte.gz", "27x28");
  write_idx("train-images-idx3-ubyte.gz", 0x803, 60000, 28, 28, 10, 0, 0);
  expect_failure("train-images-idx3-ubyte.gz", "truncated");
  write_idx("train-images-idx3-ubyte.gz", 0x803, 5, 28, 28, 5, 0, 100);
  expect_failure("train-images-idx3-ubyte.gz", "truncated");
  write_idx("train-images-idx3-ubyte.gz", 0x803, 5, 28, 28, 6, 0, 0);
  expect_failure("train-images-idx3-ubyte.gz", "data after");

  write_idx("train-images-idx3-ubyte.gz", 0x803, 5, 28, 28, 5, 0, 0);
  expect_failure("train-labels-idx1-ubyte.gz", "apt-get install");
  write_idx("train-labels-idx1-ubyte.gz", 0x801, 4, 0, 0, 4, 1, 0);
  expect_failure("train-labels-idx1-ubyte.gz", "4 labels for 5 images");
  write_idx("train-labels-idx1-ubyte.gz", 0x801, 5, 0, 0, 5, 12, 0);
  expect_failure("train-labels-idx1-ubyte.gz", "label 12");
  write_idx("train-labels-idx1-ubyte.gz", 0x801, 5, 0, 0, 5, 3, 0);
  expect_failure("train-images-idx3-ubyte.gz", "expected 60000");

  /* a file that is not gzip'd at all fails too, naming the file */
  char path[256];
  snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz", dir);
  FILE *f = fopen(path, "wb");
  fputs("not an idx file at all", f);
  fclose(f);
  expect_failure("train-images-idx3-ubyte.gz", ": ");
  remove_all();
  CHECK(rmdir(dir) == 0);
}

/* The real data, when installed: statistics as the training script's. */
static void check_real(void) {
  const char *real = "/usr/share/datasets/fashion-mnist";
  char probe[256];
  snprintf(probe, sizeof probe, "%s/t10k-labels-idx1-ubyte.gz", real);
  if (access(probe, R_OK)) {
    printf("test_dataset: %s not installed, real-data checks skipped\n", real);
    return;
  }
  sp_fmnist d;
  CHECK(sp_fmnist_load(real, SP_FMNIST_TEST, 16, &d) == SP_OK);
  CHECK(d.count == 16);
  CHECK(fabs(d.mean - 0.28581730555858714) < 1e-12 && fabs(d.std - 0.3529372062613636) < 1e-12);
  /* docs/preprocessing.md: the float32 constants, and a black pixel's value */
  float mean = (float)d.mean, std = (float)d.std, black = (0.0f - mean) / std;
  uint32_t bits[3];
  memcpy(&bits[0], &mean, 4);
  memcpy(&bits[1], &std, 4);
  memcpy(&bits[2], &black, 4);
  CHECK(bits[0] == 0x3E9256A5 && bits[1] == 0x3EB4B42F && bits[2] == 0xBF4F50AE);
  CHECK(d.inputs && memcmp(&d.inputs[2 * 32 + 2], &black, 4) == 0); /* a black corner */
  for (int i = 0; d.inputs && i < d.count; i++) {
    const float *img = d.inputs + (size_t)i * 32 * 32;
    CHECK(img[0] == 0 && img[31] == 0 && img[32 * 32 - 1] == 0 && d.labels[i] < 10);
    int in_range = 1; /* (p/255 - mean) / std for p in 0..255 */
    for (int k = 0; k < 32 * 32; k++) in_range &= img[k] >= -0.81f && img[k] <= 2.03f;
    CHECK(in_range);
  }
  CHECK(d.labels && d.labels[0] == 9); /* the first test image is an ankle boot */
  sp_fmnist_free(&d);
  CHECK(sp_fmnist_load(real, SP_FMNIST_CALIB, 0, &d) == SP_OK && d.count == 5000);
  sp_fmnist_free(&d);
}

/* models/<model>.ref_input.npy (tools/train.py: the first test images as
 * PyTorch prepared them) must equal our preprocessing bit for bit. */
static void check_reference_inputs(const char *real) {
  const char *slash = strrchr(__FILE__, '/');
  int n = slash ? (int)(slash - __FILE__) : 0;
  char models[512];
  snprintf(models, sizeof models, "%.*s/../../models", n, __FILE__);
  DIR *d = opendir(models);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t len = strlen(e->d_name);
    if (len < 14 || strcmp(e->d_name + len - 14, ".ref_input.npy")) continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", models, e->d_name);
    sp_npy ref;
    sp_fmnist data;
    CHECK(sp_npy_read_file(path, &ref) == SP_OK);
    int count = ref.rank == 4 ? (int)ref.shape[0] : 0;
    CHECK_MSG(ref.rank == 4 && ref.shape[1] == 1 && ref.shape[2] == 32 && ref.shape[3] == 32,
              "%s: shape", path);
    CHECK(sp_fmnist_load(real, SP_FMNIST_TEST, count, &data) == SP_OK);
    CHECK_MSG(count > 0 && data.count == count && ref.data && data.inputs &&
                  !memcmp(ref.data, data.inputs, (size_t)count * 32 * 32 * sizeof(float)),
              "%s differs from the C preprocessing", path);
    printf("test_dataset: %s matches the C preprocessing (%d images)\n", e->d_name, count);
    sp_npy_free(&ref);
    sp_fmnist_free(&data);
  }
  closedir(d);
}

int main(void) {
  check_failures();
  check_real();
  if (!access("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", R_OK))
    check_reference_inputs("/usr/share/datasets/fashion-mnist");
  return sp_test_finish("test_dataset");
}
