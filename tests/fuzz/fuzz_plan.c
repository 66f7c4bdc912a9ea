/* libFuzzer entry point: arbitrary bytes through the plan file reader. */
#include <stddef.h>
#include <stdint.h>

#include "planner/plan_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sp_plan_file f;
  if (sp_plan_file_load_buffer(data, size, "fuzz.plan.json", &f) == SP_OK) sp_plan_file_free(&f);
  return 0;
}
