/* libFuzzer entry point: arbitrary bytes through the .npy reader. */
#include <stddef.h>
#include <stdint.h>

#include "engine/data/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sp_npy a;
  if (sp_npy_read_buffer(data, size, "fuzz.npy", &a) == SP_OK) sp_npy_free(&a);
  return 0;
}
