/* OpenCL platforms and devices: enumeration once per process, descriptions,
 * device ids, and the one context + profiling queue of each opened device. */
#ifdef SP_HAVE_OPENCL

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/opencl/cl_internal.h"

#define MAX_DEVICES 32

typedef struct found_device {
  cl_platform_id platform;
  cl_device_id id;
  sp_cl_device_info info;
} found_device;

static struct {
  int initialised;
  const char *reason;       /* why there is no device, "" when there is one */
  int count;
  found_device found[MAX_DEVICES];
  sp_cl_device *opened[MAX_DEVICES];
} rt;

static const char *const error_names[] = {
    [0] = "CL_SUCCESS",
    [1] = "CL_DEVICE_NOT_FOUND",
    [2] = "CL_DEVICE_NOT_AVAILABLE",
    [3] = "CL_COMPILER_NOT_AVAILABLE",
    [4] = "CL_MEM_OBJECT_ALLOCATION_FAILURE",
    [5] = "CL_OUT_OF_RESOURCES",
    [6] = "CL_OUT_OF_HOST_MEMORY",
    [7] = "CL_PROFILING_INFO_NOT_AVAILABLE",
    [8] = "CL_MEM_COPY_OVERLAP",
    [9] = "CL_IMAGE_FORMAT_MISMATCH",
    [10] = "CL_IMAGE_FORMAT_NOT_SUPPORTED",
    [11] = "CL_BUILD_PROGRAM_FAILURE",
    [12] = "CL_MAP_FAILURE",
    [13] = "CL_MISALIGNED_SUB_BUFFER_OFFSET",
    [14] = "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST",
    [15] = "CL_COMPILE_PROGRAM_FAILURE",
    [16] = "CL_LINKER_NOT_AVAILABLE",
    [17] = "CL_LINK_PROGRAM_FAILURE",
    [18] = "CL_DEVICE_PARTITION_FAILED",
    [19] = "CL_KERNEL_ARG_INFO_NOT_AVAILABLE",
    [30] = "CL_INVALID_VALUE",
    [31] = "CL_INVALID_DEVICE_TYPE",
    [32] = "CL_INVALID_PLATFORM",
    [33] = "CL_INVALID_DEVICE",
    [34] = "CL_INVALID_CONTEXT",
    [35] = "CL_INVALID_QUEUE_PROPERTIES",
    [36] = "CL_INVALID_COMMAND_QUEUE",
    [37] = "CL_INVALID_HOST_PTR",
    [38] = "CL_INVALID_MEM_OBJECT",
    [39] = "CL_INVALID_IMAGE_FORMAT_DESCRIPTOR",
    [40] = "CL_INVALID_IMAGE_SIZE",
    [41] = "CL_INVALID_SAMPLER",
    [42] = "CL_INVALID_BINARY",
    [43] = "CL_INVALID_BUILD_OPTIONS",
    [44] = "CL_INVALID_PROGRAM",
    [45] = "CL_INVALID_PROGRAM_EXECUTABLE",
    [46] = "CL_INVALID_KERNEL_NAME",
    [47] = "CL_INVALID_KERNEL_DEFINITION",
    [48] = "CL_INVALID_KERNEL",
    [49] = "CL_INVALID_ARG_INDEX",
    [50] = "CL_INVALID_ARG_VALUE",
    [51] = "CL_INVALID_ARG_SIZE",
    [52] = "CL_INVALID_KERNEL_ARGS",
    [53] = "CL_INVALID_WORK_DIMENSION",
    [54] = "CL_INVALID_WORK_GROUP_SIZE",
    [55] = "CL_INVALID_WORK_ITEM_SIZE",
    [56] = "CL_INVALID_GLOBAL_OFFSET",
    [57] = "CL_INVALID_EVENT_WAIT_LIST",
    [58] = "CL_INVALID_EVENT",
    [59] = "CL_INVALID_OPERATION",
    [60] = "CL_INVALID_GL_OBJECT",
    [61] = "CL_INVALID_BUFFER_SIZE",
    [62] = "CL_INVALID_MIP_LEVEL",
    [63] = "CL_INVALID_GLOBAL_WORK_SIZE",
    [64] = "CL_INVALID_PROPERTY",
    [65] = "CL_INVALID_IMAGE_DESCRIPTOR",
    [66] = "CL_INVALID_COMPILER_OPTIONS",
    [67] = "CL_INVALID_LINKER_OPTIONS",
    [68] = "CL_INVALID_DEVICE_PARTITION_COUNT",
};

const char *sp_cl_error_name(int code) {
  static _Thread_local char unknown[32];
  int k = -code;
  if (k >= 0 && k < (int)(sizeof error_names / sizeof error_names[0]) && error_names[k])
    return error_names[k];
  if (code == -1001) return "CL_PLATFORM_NOT_FOUND_KHR";
  snprintf(unknown, sizeof unknown, "CL_ERROR(%d)", code);
  return unknown;
}

sp_status sp_cl_fail(const char *what, const char *call, cl_int err) {
  return sp_fail(SP_ERR_RUNTIME, "%s: %s failed: %s", what, call, sp_cl_error_name(err));
}

int sp_cl_logging(void) {
  const char *v = getenv("SP_OPENCL_LOG");
  return v && *v && strcmp(v, "0") != 0;
}

static void device_string(cl_device_id id, cl_device_info what, char *out, size_t cap) {
  out[0] = '\0';
  if (clGetDeviceInfo(id, what, cap, out, NULL) != CL_SUCCESS) snprintf(out, cap, "?");
  out[cap - 1] = '\0';
}

static void describe(found_device *f, int index, int platform, int device) {
  sp_cl_device_info *info = &f->info;
  memset(info, 0, sizeof *info);
  info->index = index;
  info->platform = platform;
  info->device = device;
  device_string(f->id, CL_DEVICE_NAME, info->name, sizeof info->name);
  device_string(f->id, CL_DEVICE_VENDOR, info->vendor, sizeof info->vendor);
  device_string(f->id, CL_DRIVER_VERSION, info->driver, sizeof info->driver);
  device_string(f->id, CL_DEVICE_VERSION, info->version, sizeof info->version);
  if (clGetPlatformInfo(f->platform, CL_PLATFORM_NAME, sizeof info->platform_name,
                        info->platform_name, NULL) != CL_SUCCESS)
    snprintf(info->platform_name, sizeof info->platform_name, "?");
  info->platform_name[sizeof info->platform_name - 1] = '\0';
  cl_uint units = 0;
  cl_ulong global = 0, alloc = 0, local = 0;
  size_t wg = 0, items[3] = {0, 0, 0};
  clGetDeviceInfo(f->id, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof units, &units, NULL);
  clGetDeviceInfo(f->id, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof global, &global, NULL);
  clGetDeviceInfo(f->id, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof alloc, &alloc, NULL);
  clGetDeviceInfo(f->id, CL_DEVICE_LOCAL_MEM_SIZE, sizeof local, &local, NULL);
  clGetDeviceInfo(f->id, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg, NULL);
  clGetDeviceInfo(f->id, CL_DEVICE_MAX_WORK_ITEM_SIZES, sizeof items, items, NULL);
  cl_device_type type = 0;
  clGetDeviceInfo(f->id, CL_DEVICE_TYPE, sizeof type, &type, NULL);
  info->host_memory = (type & CL_DEVICE_TYPE_CPU) != 0;
  info->compute_units = (int)units;
  info->global_mem_bytes = global;
  info->max_alloc_bytes = alloc;
  info->limits.max_work_group_size = wg;
  for (int k = 0; k < 3; k++) info->limits.max_work_item_size[k] = items[k];
  info->limits.local_mem_bytes = (size_t)local;
}

static void enumerate(void) {
  cl_uint n_platforms = 0;
  cl_platform_id platforms[8];
  cl_int err = clGetPlatformIDs(8, platforms, &n_platforms);
  if (err != CL_SUCCESS || n_platforms == 0) return;
  if (n_platforms > 8) n_platforms = 8;
  for (cl_uint p = 0; p < n_platforms; p++) {
    cl_uint n_devices = 0;
    cl_device_id ids[MAX_DEVICES];
    cl_int err = clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, MAX_DEVICES, ids, &n_devices);
    if (err != CL_SUCCESS) continue;
    if (n_devices > MAX_DEVICES) n_devices = MAX_DEVICES;
    for (cl_uint d = 0; d < n_devices && rt.count < MAX_DEVICES; d++) {
      found_device *f = &rt.found[rt.count];
      f->platform = platforms[p];
      f->id = ids[d];
      describe(f, rt.count, (int)p, (int)d);
      rt.count++;
    }
  }
}

static void initialise(void) {
  if (rt.initialised) return;
  rt.initialised = 1;
  const char *env = getenv("SP_OPENCL");
  if (env && strcmp(env, "0") == 0) {
    rt.reason = "OpenCL disabled by SP_OPENCL=0";
  } else {
    enumerate();
    rt.reason = rt.count ? "" : "no OpenCL platform";
  }
  if (!rt.count) fprintf(stderr, "stackplan: %s: CPU only\n", rt.reason);
}

int sp_cl_enabled(void) {
  initialise();
  return rt.count > 0;
}

const char *sp_cl_disabled_reason(void) {
  initialise();
  return rt.reason;
}

int sp_cl_device_count(void) {
  initialise();
  return rt.count;
}

sp_status sp_cl_device_describe(int index, sp_cl_device_info *info) {
  initialise();
  if (index < 0 || index >= rt.count)
    return sp_fail(SP_ERR_INPUT, "no OpenCL device %d (%d found)", index, rt.count);
  *info = rt.found[index].info;
  return SP_OK;
}

sp_status sp_cl_parse_device(const char *text, int *index) {
  initialise();
  int found = -1, a = -1, b = -1, used = 0;
  if (text && sscanf(text, "%d:%d%n", &a, &b, &used) == 2 && text[used] == '\0') {
    for (int i = 0; i < rt.count; i++)
      if (rt.found[i].info.platform == a && rt.found[i].info.device == b) found = i;
  } else if (text && sscanf(text, "%d%n", &a, &used) == 1 && text[used] == '\0') {
    if (a >= 0 && a < rt.count) found = a;
  }
  if (found >= 0) {
    *index = found;
    return SP_OK;
  }
  if (!rt.count)
    return sp_fail(SP_ERR_INPUT, "no OpenCL device '%s': %s (CPU only)", text ? text : "",
                   rt.reason);
  char list[512] = "";
  size_t len = 0;
  for (int i = 0; i < rt.count && len < sizeof list; i++)
    len += (size_t)snprintf(list + len, sizeof list - len, "%s%d or %d:%d (%s)", i ? ", " : "", i,
                            rt.found[i].info.platform, rt.found[i].info.device,
                            rt.found[i].info.name);
  return sp_fail(SP_ERR_INPUT, "no OpenCL device '%s'; valid ids: %s", text ? text : "", list);
}

sp_status sp_cl_device_get(int index, sp_cl_device **out) {
  *out = NULL;
  initialise();
  if (index < 0 || index >= rt.count)
    return rt.count ? sp_fail(SP_ERR_INPUT, "no OpenCL device %d (%d found)", index, rt.count)
                    : sp_fail(SP_ERR_INPUT, "no OpenCL device %d: %s (CPU only)", index, rt.reason);
  if (rt.opened[index]) {
    *out = rt.opened[index];
    return SP_OK;
  }
  found_device *f = &rt.found[index];
  sp_cl_device *d = calloc(1, sizeof *d);
  if (!d) return sp_fail(SP_ERR_RUNTIME, "out of memory opening OpenCL device %d", index);
  d->info = f->info;
  d->platform = f->platform;
  d->id = f->id;
  cl_int err = CL_SUCCESS;
  cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)f->platform, 0};
  d->context = clCreateContext(props, 1, &f->id, NULL, NULL, &err);
  if (err != CL_SUCCESS) {
    free(d);
    return sp_cl_fail(f->info.name, "clCreateContext", err);
  }
  d->queue = clCreateCommandQueue(d->context, f->id, CL_QUEUE_PROFILING_ENABLE, &err);
  if (err != CL_SUCCESS) {
    clReleaseContext(d->context);
    free(d);
    return sp_cl_fail(f->info.name, "clCreateCommandQueue", err);
  }
  rt.opened[index] = d;
  *out = d;
  return SP_OK;
}

const sp_cl_device_info *sp_cl_info(const sp_cl_device *d) { return &d->info; }

void *sp_cl_queue(sp_cl_device *d) { return d->queue; }
void *sp_cl_context(sp_cl_device *d) { return d->context; }

void sp_cl_shutdown(void) {
  for (int i = 0; i < MAX_DEVICES; i++) {
    sp_cl_device *d = rt.opened[i];
    if (!d) continue;
    clFinish(d->queue);
    sp_cl_programs_release(d);
    clReleaseCommandQueue(d->queue);
    clReleaseContext(d->context);
    free(d);
    rt.opened[i] = NULL;
  }
}

#else /* built without OpenCL: no device, every call says so */

#include <stdio.h>

#include "engine/opencl/cl_runtime.h"

static const char reason[] = "built without OpenCL";

int sp_cl_enabled(void) {
  static int said;
  if (!said) fprintf(stderr, "stackplan: %s: CPU only\n", reason);
  said = 1;
  return 0;
}
const char *sp_cl_disabled_reason(void) { return reason; }
int sp_cl_device_count(void) { return sp_cl_enabled(); }
sp_status sp_cl_device_describe(int index, sp_cl_device_info *info) {
  return sp_fail(SP_ERR_INPUT, "no OpenCL device %d: %s", index, reason);
}
sp_status sp_cl_parse_device(const char *text, int *index) {
  sp_cl_enabled();
  return sp_fail(SP_ERR_INPUT, "no OpenCL device '%s': %s (CPU only)", text ? text : "", reason);
}
sp_status sp_cl_device_get(int index, sp_cl_device **out) {
  *out = NULL;
  return sp_fail(SP_ERR_INPUT, "no OpenCL device %d: %s (CPU only)", index, reason);
}
const sp_cl_device_info *sp_cl_info(const sp_cl_device *d) { return NULL; }
void sp_cl_shutdown(void) {}
void *sp_cl_queue(sp_cl_device *d) { return NULL; }
void *sp_cl_context(sp_cl_device *d) { return NULL; }
const char *sp_cl_error_name(int code) { return "CL_UNAVAILABLE"; }

#endif
