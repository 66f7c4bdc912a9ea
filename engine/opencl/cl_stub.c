/* The OpenCL runtime's program, buffer and launch calls when stackplan is
 * built without OpenCL: there is never a device to call them on, so each
 * fails with a message instead (cl_device.c has the device-side stubs). */
#ifndef SP_HAVE_OPENCL

#include "engine/opencl/cl_runtime.h"

static sp_status unavailable(const char *what) {
  return sp_fail(SP_ERR_RUNTIME, "%s: stackplan was built without OpenCL", what);
}

const sp_cl_source *sp_cl_source_find(const char *name) { return NULL; }
sp_status sp_cl_kernel_create(sp_cl_device *d, const char *source, const char *options,
                              const char *kernel_name, void **kernel) {
  *kernel = NULL;
  return unavailable(source);
}
sp_status sp_cl_kernel_create_from(sp_cl_device *d, const char *label, const char *text,
                                   const char *options, const char *kernel_name, void **kernel) {
  *kernel = NULL;
  return unavailable(label);
}
void sp_cl_kernel_free(void *kernel) {}
size_t sp_cl_kernel_max_work_group(sp_cl_device *d, void *kernel) { return 0; }
sp_cl_stats sp_cl_get_stats(void) { return (sp_cl_stats){0}; }
size_t sp_cl_allocated_bytes(void) { return 0; }
size_t sp_cl_allocated_peak_bytes(void) { return 0; }
void sp_cl_reset_allocated_peak(void) {}
sp_status sp_cl_buffer_alloc(sp_cl_device *d, size_t bytes, void **mem) {
  *mem = NULL;
  return unavailable("clCreateBuffer");
}
void sp_cl_buffer_free(void *mem) {}
sp_status sp_cl_buffer_write(sp_cl_device *d, void *mem, size_t offset, const void *host,
                             size_t bytes) {
  return unavailable("clEnqueueWriteBuffer");
}
sp_status sp_cl_buffer_read(sp_cl_device *d, void *mem, size_t offset, void *host, size_t bytes) {
  return unavailable("clEnqueueReadBuffer");
}
sp_status sp_cl_buffer_copy(sp_cl_device *d, void *src, void *dst, size_t bytes) {
  return unavailable("clEnqueueCopyBuffer");
}
sp_status sp_cl_buffer_upload(sp_cl_device *d, const void *host, size_t bytes, void **mem) {
  *mem = NULL;
  return unavailable("clCreateBuffer");
}
sp_status sp_cl_finish(sp_cl_device *d) { return unavailable("clFinish"); }
sp_status sp_cl_launch(sp_cl_device *d, void *kernel, const char *what, int dims,
                       const size_t *global, const size_t *local, int n_args,
                       const sp_cl_arg *args) {
  return unavailable(what);
}

#else
typedef int sp_cl_stub_unused; /* built with OpenCL: the real calls are in cl_*.c */
#endif
