/* The limits of a device that a kernel's parameter point must fit: its own
 * header so that the OpenCL runtime (which reads them) and the kernel
 * registry (whose parameter spaces are checked against them) share the type
 * without the runtime depending on the kernels above it. */
#ifndef SP_DEVICE_LIMITS_H
#define SP_DEVICE_LIMITS_H

#include <stddef.h>

/* Limits of the device a parameter point must fit (OpenCL: clGetDeviceInfo). */
typedef struct sp_device_limits {
  size_t max_work_group_size;   /* work-items per work-group */
  size_t max_work_item_size[3]; /* per dimension */
  size_t local_mem_bytes;       /* __local memory per work-group */
} sp_device_limits;

#endif
