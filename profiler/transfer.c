#include "profiler/transfer.h"

#include <stdlib.h>
#include <string.h>

#include "engine/opencl/cl_runtime.h"

typedef struct copy_call {
  sp_cl_device *device;
  void *mem, *host;
  size_t bytes;
  int to_device;
  sp_status status;
} copy_call;

static void copy_once(void *ctx) {
  copy_call *c = ctx;
  sp_status s = c->to_device ? sp_cl_buffer_write(c->device, c->mem, 0, c->host, c->bytes)
                             : sp_cl_buffer_read(c->device, c->mem, 0, c->host, c->bytes);
  if (s && !c->status) c->status = s;
}

sp_status sp_transfer_bench(void *device, size_t bytes, const sp_measure_options *opt,
                            sp_transfer_timing *out) {
  memset(out, 0, sizeof *out);
  if (!device || !bytes)
    return sp_fail(SP_ERR_INPUT, "transfer timing needs an OpenCL device and bytes > 0");
  copy_call c = {.device = device, .bytes = bytes, .host = malloc(bytes)};
  if (!c.host) return sp_fail(SP_ERR_RUNTIME, "out of memory for a %zu-byte transfer", bytes);
  memset(c.host, 0, bytes);
  sp_status s = sp_cl_buffer_alloc(device, bytes, &c.mem);
  if (!s) s = sp_cl_finish(device);
  for (int dir = 1; dir >= 0 && !s; dir--) {
    c.to_device = dir;
    if (sp_measure(copy_once, &c, opt, dir ? &out->upload : &out->download))
      s = sp_fail(SP_ERR_RUNTIME, "out of memory timing transfers");
    else if (c.status)
      s = sp_fail(c.status, "timing %zu-byte transfers: %s", bytes, sp_last_error());
  }
  sp_cl_buffer_free(c.mem);
  free(c.host);
  return s;
}
