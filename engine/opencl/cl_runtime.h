/* The OpenCL runtime: device enumeration, one context and profiling queue
 * per opened device, programs built from the kernel sources embedded at
 * build time (kernels/cl/<name>.cl) with a persistent binary cache, buffers,
 * transfers and launches. docs/opencl.md describes it.
 *
 * The header needs no OpenCL headers: buffers and kernels are `void *`
 * (cl_mem, cl_kernel). Built without OpenCL (SP_HAVE_OPENCL undefined), run
 * with SP_OPENCL=0, or on a machine without a platform, there is no device:
 * sp_cl_enabled() is 0, the first call that looks says so once on stderr
 * ("no OpenCL platform: CPU only") and stackplan runs on the CPU only.
 *
 * Not thread-safe: one thread drives OpenCL (kernels may use OpenMP inside). */
#ifndef SP_CL_RUNTIME_H
#define SP_CL_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "engine/opencl/device_limits.h"
#include "engine/core/status.h"

typedef struct sp_cl_device sp_cl_device;

typedef struct sp_cl_device_info {
  int index;                 /* flat id over all platforms: what --device N takes */
  int platform, device;      /* platform index and index within it: --device P:D */
  char name[128], vendor[128], driver[64], version[128], platform_name[128];
  int compute_units;
  uint64_t global_mem_bytes, max_alloc_bytes;
  sp_device_limits limits;   /* max work-group size, work-item sizes, local memory */
  int host_memory;           /* 1: a CPU device (PoCL): its buffers are host memory */
} sp_cl_device_info;

/* 1 when OpenCL is built in, not disabled by SP_OPENCL=0, and at least one
 * device was found. The first call enumerates the platforms (and prints the
 * "CPU only" line once when there is nothing). */
int sp_cl_enabled(void);

/* Why there is no device ("no OpenCL platform", "disabled by SP_OPENCL=0",
 * "built without OpenCL"), or "" when there is one. */
const char *sp_cl_disabled_reason(void);

/* Number of devices over all platforms (0 when disabled). */
int sp_cl_device_count(void);

/* Describes device `index` (0 .. count-1) without opening it. */
sp_status sp_cl_device_describe(int index, sp_cl_device_info *info);

/* Parses a device id: a flat index "N" or "P:D" (platform:device). On an id
 * that does not exist: SP_ERR_INPUT with a message naming it and listing the
 * valid ids (or saying that there is no device). */
sp_status sp_cl_parse_device(const char *text, int *index);

/* The opened device `index`: its context and in-order queue with profiling
 * enabled, created on the first call and shared by every later caller until
 * sp_cl_shutdown(). SP_ERR_INPUT for a bad index, SP_ERR_RUNTIME when
 * OpenCL refuses (the message names the CL error). */
sp_status sp_cl_device_get(int index, sp_cl_device **out);

const sp_cl_device_info *sp_cl_info(const sp_cl_device *d);

/* Releases every opened device, its programs and its queue; later calls of
 * sp_cl_device_get open them afresh (programs then come from the disk cache). */
void sp_cl_shutdown(void);

/* ---- programs ---- */

/* A kernel source embedded at build time: kernels/cl/<name>.cl. */
typedef struct sp_cl_source {
  const char *name;
  const char *text;
  size_t length;
} sp_cl_source;

/* The embedded source called `name`, or NULL. */
const sp_cl_source *sp_cl_source_find(const char *name);

/* Creates kernel `kernel_name` of the embedded source `source` (prefixed with
 * the shared prelude, kernels/cl/common.cl) built with `options` ("-D..."
 * defines of a parameter point; SP_OPENCL_OPTIONS from the environment is
 * appended). The program is taken from this process's programs, else from
 * the disk cache, else built and stored there. A build that fails returns
 * SP_ERR_RUNTIME with "build of <source> failed: <first line of the log>".
 * Free the kernel with sp_cl_kernel_free. */
sp_status sp_cl_kernel_create(sp_cl_device *d, const char *source, const char *options,
                              const char *kernel_name, void **kernel);

/* Same with a source text that is not embedded (`label` names it in messages). */
sp_status sp_cl_kernel_create_from(sp_cl_device *d, const char *label, const char *text,
                                   const char *options, const char *kernel_name, void **kernel);

void sp_cl_kernel_free(void *kernel);

/* The largest work-group `kernel` can be launched with on `d`
 * (CL_KERNEL_WORK_GROUP_SIZE), 0 when unknown. */
size_t sp_cl_kernel_max_work_group(sp_cl_device *d, void *kernel);

/* Program builds of this process: compiled from source, loaded from the disk
 * cache, cache entries rejected (corrupt or stale, then rebuilt), reused
 * from memory; and the seconds spent compiling and loading. */
typedef struct sp_cl_stats {
  int builds, cache_hits, cache_rejects, cache_write_failures, memory_hits;
  double build_seconds, load_seconds;
} sp_cl_stats;

sp_cl_stats sp_cl_get_stats(void);

/* Bytes of OpenCL buffers this process holds now (sp_cl_buffer_alloc minus
 * sp_cl_buffer_free), and the most it held since the last
 * sp_cl_reset_allocated_peak (which sets it to what it holds now). */
size_t sp_cl_allocated_bytes(void);
size_t sp_cl_allocated_peak_bytes(void);
void sp_cl_reset_allocated_peak(void);

/* The folder of the program cache: $SP_CACHE_DIR, else
 * $XDG_CACHE_HOME/stackplan, else $HOME/.cache/stackplan; the entries live
 * in its "opencl" subfolder. Writes "" when none can be derived. */
void sp_cl_cache_dir(char *out, size_t cap);

/* ---- buffers and launches ---- */

/* Allocates `bytes` (> 0) of device memory; SP_ERR_RUNTIME naming the CL
 * error when refused. */
sp_status sp_cl_buffer_alloc(sp_cl_device *d, size_t bytes, void **mem);
void sp_cl_buffer_free(void *mem);

/* Blocking copies between host and device memory (`offset` bytes into mem). */
sp_status sp_cl_buffer_write(sp_cl_device *d, void *mem, size_t offset, const void *host,
                             size_t bytes);
sp_status sp_cl_buffer_read(sp_cl_device *d, void *mem, size_t offset, void *host,
                            size_t bytes);

/* Enqueues a device-to-device copy (does not wait). */
sp_status sp_cl_buffer_copy(sp_cl_device *d, void *src, void *dst, size_t bytes);

/* Allocates a buffer holding a copy of `bytes` of host memory. */
sp_status sp_cl_buffer_upload(sp_cl_device *d, const void *host, size_t bytes, void **mem);

/* Waits for everything enqueued on d's queue; SP_ERR_RUNTIME when a command
 * failed (the message names the CL error). */
sp_status sp_cl_finish(sp_cl_device *d);

/* One kernel argument: `size` bytes at `value`; value NULL with a size is
 * __local memory of that size. */
typedef struct sp_cl_arg {
  size_t size;
  const void *value;
} sp_cl_arg;

#define SP_CL_ARG(x) ((sp_cl_arg){sizeof(x), &(x)})
#define SP_CL_LOCAL(bytes) ((sp_cl_arg){(bytes), NULL})

/* Sets the arguments and enqueues `kernel` over `global` work-items in
 * `dims` dimensions, each rounded up to a multiple of `local` (NULL: the
 * implementation chooses). Does not wait. A launch the device refuses
 * (work-group too large, out of resources) returns SP_ERR_RUNTIME with
 * "<what>: launch failed: CL_INVALID_WORK_GROUP_SIZE (...)". */
sp_status sp_cl_launch(sp_cl_device *d, void *kernel, const char *what, int dims,
                       const size_t *global, const size_t *local, int n_args,
                       const sp_cl_arg *args);

/* d's cl_command_queue and cl_context, for libraries (CLBlast). */
void *sp_cl_queue(sp_cl_device *d);
void *sp_cl_context(sp_cl_device *d);

/* "CL_OUT_OF_RESOURCES" for -5 etc.; "CL_ERROR(<code>)" when unknown. */
const char *sp_cl_error_name(int code);

#endif
