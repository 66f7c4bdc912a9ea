/* libFuzzer entry point: arbitrary bytes through the tuning cache reader,
 * as the cache of a device whose fingerprint the seed corpus carries. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "search/tune_cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sp_device_info d;
  memset(&d, 0, sizeof d);
  strcpy(d.fingerprint, "00112233aabbccdd");
  sp_tune_cache c;
  if (sp_tune_cache_load_buffer(data, size, "fuzz.tune.json", &d, &c) == SP_OK)
    sp_tune_cache_close(&c);
  return 0;
}
