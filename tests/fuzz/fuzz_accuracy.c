/* libFuzzer entry point: arbitrary bytes through the accuracy file reader. */
#include <stddef.h>
#include <stdint.h>

#include "accuracy/accuracy_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sp_accuracy a;
  if (sp_accuracy_load_buffer(data, size, "fuzz.accuracy.json", &a) == SP_OK) sp_accuracy_free(&a);
  return 0;
}
