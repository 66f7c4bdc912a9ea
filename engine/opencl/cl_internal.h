/* What the engine/cl_*.c files share: the device struct with its OpenCL
 * handles, and the program list. Only code compiled with SP_HAVE_OPENCL
 * includes this (it needs CL/cl.h). */
#ifndef SP_CL_INTERNAL_H
#define SP_CL_INTERNAL_H

#ifndef SP_HAVE_OPENCL
#error "cl_internal.h needs OpenCL (SP_HAVE_OPENCL)"
#endif

#include <CL/cl.h>
#include <stdint.h>

#include "engine/opencl/cl_runtime.h"

/* A built program of one device, shared by every kernel created from it. */
typedef struct sp_cl_program {
  uint64_t key;          /* hash of device, driver, options and source */
  char *options;         /* the full build options */
  cl_program program;
} sp_cl_program;

struct sp_cl_device {
  sp_cl_device_info info;
  cl_platform_id platform;
  cl_device_id id;
  cl_context context;
  cl_command_queue queue;
  sp_cl_program *programs;
  int n_programs, cap_programs;
};

/* Releases d's programs (cl_program.c). */
void sp_cl_programs_release(sp_cl_device *d);

/* Whether SP_OPENCL_LOG asks for a line per program build, cache hit and
 * cache rejection (on stderr). */
int sp_cl_logging(void);

/* sp_fail with "<what>: <call> failed: <CL error name>" and SP_ERR_RUNTIME. */
sp_status sp_cl_fail(const char *what, const char *call, cl_int err);

#endif
