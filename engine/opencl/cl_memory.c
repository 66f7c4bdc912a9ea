/* OpenCL buffers, transfers and kernel launches on an opened device. */
#ifdef SP_HAVE_OPENCL

#include <stdio.h>

#include "engine/opencl/cl_internal.h"

/* What the process holds in OpenCL buffers (run's measured memory). */
static size_t allocated, allocated_peak;

size_t sp_cl_allocated_bytes(void) { return allocated; }
size_t sp_cl_allocated_peak_bytes(void) { return allocated_peak; }
void sp_cl_reset_allocated_peak(void) { allocated_peak = allocated; }

sp_status sp_cl_buffer_alloc(sp_cl_device *d, size_t bytes, void **mem) {
  cl_int err = CL_SUCCESS;
  *mem = NULL;
  if (!bytes) return sp_fail(SP_ERR_RUNTIME, "OpenCL buffer of 0 bytes requested");
  cl_mem m = clCreateBuffer(d->context, CL_MEM_READ_WRITE, bytes, NULL, &err);
  if (err != CL_SUCCESS)
    return sp_fail(SP_ERR_RUNTIME, "%s: clCreateBuffer of %zu bytes failed: %s", d->info.name,
                   bytes, sp_cl_error_name(err));
  *mem = m;
  allocated += bytes;
  if (allocated > allocated_peak) allocated_peak = allocated;
  return SP_OK;
}

void sp_cl_buffer_free(void *mem) {
  if (!mem) return;
  size_t bytes = 0;
  if (clGetMemObjectInfo((cl_mem)mem, CL_MEM_SIZE, sizeof bytes, &bytes, NULL) == CL_SUCCESS)
    allocated -= bytes < allocated ? bytes : allocated;
  clReleaseMemObject((cl_mem)mem);
}

sp_status sp_cl_buffer_write(sp_cl_device *d, void *mem, size_t offset, const void *host,
                             size_t bytes) {
  if (!bytes) return SP_OK;
  cl_int err = clEnqueueWriteBuffer(d->queue, (cl_mem)mem, CL_TRUE, offset, bytes, host, 0, NULL,
                                    NULL);
  return err == CL_SUCCESS ? SP_OK : sp_cl_fail(d->info.name, "clEnqueueWriteBuffer", err);
}

sp_status sp_cl_buffer_read(sp_cl_device *d, void *mem, size_t offset, void *host, size_t bytes) {
  if (!bytes) return SP_OK;
  cl_int err = clEnqueueReadBuffer(d->queue, (cl_mem)mem, CL_TRUE, offset, bytes, host, 0, NULL,
                                   NULL);
  return err == CL_SUCCESS ? SP_OK : sp_cl_fail(d->info.name, "clEnqueueReadBuffer", err);
}

sp_status sp_cl_buffer_copy(sp_cl_device *d, void *src, void *dst, size_t bytes) {
  if (!bytes) return SP_OK;
  cl_int err = clEnqueueCopyBuffer(d->queue, (cl_mem)src, (cl_mem)dst, 0, 0, bytes, 0, NULL, NULL);
  return err == CL_SUCCESS ? SP_OK : sp_cl_fail(d->info.name, "clEnqueueCopyBuffer", err);
}

sp_status sp_cl_buffer_upload(sp_cl_device *d, const void *host, size_t bytes, void **mem) {
  sp_status s = sp_cl_buffer_alloc(d, bytes, mem);
  if (!s) s = sp_cl_buffer_write(d, *mem, 0, host, bytes);
  if (s) {
    sp_cl_buffer_free(*mem);
    *mem = NULL;
  }
  return s;
}

sp_status sp_cl_finish(sp_cl_device *d) {
  cl_int err = clFinish(d->queue);
  return err == CL_SUCCESS ? SP_OK : sp_cl_fail(d->info.name, "clFinish", err);
}

sp_status sp_cl_launch(sp_cl_device *d, void *kernel, const char *what, int dims,
                       const size_t *global, const size_t *local, int n_args,
                       const sp_cl_arg *args) {
  cl_kernel k = kernel;
  for (int i = 0; i < n_args; i++) {
    cl_int err = clSetKernelArg(k, (cl_uint)i, args[i].size, args[i].value);
    if (err != CL_SUCCESS)
      return sp_fail(SP_ERR_RUNTIME, "%s: argument %d: clSetKernelArg failed: %s", what, i,
                     sp_cl_error_name(err));
  }
  size_t rounded[3] = {1, 1, 1};
  for (int i = 0; i < dims; i++) {
    size_t l = local && local[i] ? local[i] : 1;
    rounded[i] = global[i] ? (global[i] + l - 1) / l * l : l;
  }
  cl_int err = clEnqueueNDRangeKernel(d->queue, k, (cl_uint)dims, NULL, rounded, local, 0, NULL,
                                      NULL);
  if (err == CL_SUCCESS) return SP_OK;
  char shape[64] = "implementation's choice";
  if (local)
    snprintf(shape, sizeof shape, "%zux%zux%zu", local[0], dims > 1 ? local[1] : 1,
             dims > 2 ? local[2] : 1);
  return sp_fail(SP_ERR_RUNTIME, "%s: launch failed: %s (work-group %s, device max %zu)", what,
                 sp_cl_error_name(err), shape, d->info.limits.max_work_group_size);
}

#else
typedef int sp_cl_memory_unused; /* built without OpenCL: see cl_stub.c */
#endif
