/* libFuzzer entry point: arbitrary bytes through the models manifest reader. */
#include <stddef.h>
#include <stdint.h>

#include "results/demo_manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sp_manifest m;
  sp_manifest_load_buffer(data, size, "fuzz.manifest.json", &m);
  return 0;
}
