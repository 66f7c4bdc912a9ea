/* libFuzzer entry point: arbitrary bytes through the profile reader. */
#include <stddef.h>
#include <stdint.h>

#include "profiler/profile.h"
#include "profiler/profile_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sp_profile p;
  if (sp_profile_load_buffer(data, size, "fuzz.profile.json", &p) == SP_OK) sp_profile_free(&p);
  return 0;
}
