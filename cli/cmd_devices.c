/* stackplan devices: every OpenCL device this machine offers, with the id
 * that --device takes, and what its kernels can count on. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/opencl/cl_runtime.h"

static const char usage_text[] =
    "usage: stackplan devices [--json]\n"
    "\n"
    "Lists the OpenCL devices of every platform: id, name, vendor, driver version,\n"
    "compute units, global and local memory, maximum work-group size. The id is\n"
    "what `--device` takes: a flat index N (0 = first device of the first\n"
    "platform), or P:D (device D of platform P). Without any OpenCL platform, with\n"
    "SP_OPENCL=0, or built without OpenCL, there is no device and stackplan runs on\n"
    "the CPU only.\n"
    "\n"
    "  --json   print a JSON document (format \"stackplan-devices\", version 1)\n";

static double mib(uint64_t bytes) { return (double)bytes / (1024.0 * 1024.0); }

static void print_text(int count) {
  if (!count) {
    printf("no OpenCL device (%s): stackplan runs on the CPU only\n", sp_cl_disabled_reason());
    return;
  }
  for (int i = 0; i < count; i++) {
    sp_cl_device_info d;
    if (sp_cl_device_describe(i, &d)) continue;
    printf("device %d (%d:%d): %s\n", d.index, d.platform, d.device, d.name);
    printf("  platform         %s\n", d.platform_name);
    printf("  vendor           %s\n", d.vendor);
    printf("  driver version   %s\n", d.driver);
    printf("  OpenCL version   %s\n", d.version);
    printf("  compute units    %d\n", d.compute_units);
    printf("  global memory    %.0f MiB (largest buffer %.0f MiB)\n", mib(d.global_mem_bytes),
           mib(d.max_alloc_bytes));
    printf("  local memory     %zu KiB\n", d.limits.local_mem_bytes / 1024);
    printf("  max work-group   %zu (per dimension %zu x %zu x %zu)\n",
           d.limits.max_work_group_size, d.limits.max_work_item_size[0],
           d.limits.max_work_item_size[1], d.limits.max_work_item_size[2]);
  }
}

static int print_json(int count) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "format", "stackplan-devices");
  cJSON_AddNumberToObject(root, "version", 1);
  if (!count) cJSON_AddStringToObject(root, "cpu_only", sp_cl_disabled_reason());
  cJSON *list = cJSON_AddArrayToObject(root, "devices");
  for (int i = 0; i < count; i++) {
    sp_cl_device_info d;
    if (sp_cl_device_describe(i, &d)) continue;
    char id[32];
    snprintf(id, sizeof id, "%d:%d", d.platform, d.device);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "index", d.index);
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "name", d.name);
    cJSON_AddStringToObject(o, "platform", d.platform_name);
    cJSON_AddStringToObject(o, "vendor", d.vendor);
    cJSON_AddStringToObject(o, "driver", d.driver);
    cJSON_AddStringToObject(o, "opencl", d.version);
    cJSON_AddNumberToObject(o, "compute_units", d.compute_units);
    cJSON_AddNumberToObject(o, "global_mem_bytes", (double)d.global_mem_bytes);
    cJSON_AddNumberToObject(o, "max_alloc_bytes", (double)d.max_alloc_bytes);
    cJSON_AddNumberToObject(o, "local_mem_bytes", (double)d.limits.local_mem_bytes);
    cJSON_AddNumberToObject(o, "max_work_group_size", (double)d.limits.max_work_group_size);
    double items[3] = {(double)d.limits.max_work_item_size[0],
                       (double)d.limits.max_work_item_size[1],
                       (double)d.limits.max_work_item_size[2]};
    cJSON_AddItemToObject(o, "max_work_item_sizes", cJSON_CreateDoubleArray(items, 3));
    cJSON_AddItemToArray(list, o);
  }
  char *text = cJSON_Print(root);
  int rc = text ? 0 : sp_cli_error("devices", 1, "out of memory");
  if (text) puts(text);
  free(text);
  cJSON_Delete(root);
  return rc;
}

int sp_cmd_devices(int argc, char **argv) {
  int json = 0;
  for (int i = 1; i < argc; i++) {
    if (sp_cli_is_help(argv[i])) {
      fputs(usage_text, stdout);
      return 0;
    } else if (!strcmp(argv[i], "--json")) {
      json = 1;
    } else {
      return sp_cli_error("devices", 2, "unknown option '%s' (see --help)", argv[i]);
    }
  }
  int count = sp_cl_device_count();
  if (json) return print_json(count);
  print_text(count);
  return 0;
}
