/* The fingerprint of the machine a profile or a tuning result was measured
 * on: what must be equal for the numbers to apply. Recorded in profiles
 * ("device") and used as the key of the tuning cache. */
#ifndef SP_DEVICE_INFO_H
#define SP_DEVICE_INFO_H

#include "engine/core/status.h"

#define SP_VERSION_STRING "0.1.0" /* as `stackplan --version` and CMakeLists.txt */
#define SP_DEVICE_TEXT 256

typedef struct sp_device_info {
  char fingerprint[17];        /* 16 hex digits: FNV-1a 64 of every field below */
  char cpu[SP_DEVICE_TEXT];    /* "model name" of /proc/cpuinfo ("unknown" when absent) */
  int cores;                   /* logical cores online */
  int has_opencl;              /* 0: the fields below are "" (no device chosen) */
  int cl_index;                /* flat device id */
  char cl_platform[SP_DEVICE_TEXT], cl_device[SP_DEVICE_TEXT], cl_driver[SP_DEVICE_TEXT];
  char openblas[SP_DEVICE_TEXT]; /* openblas_get_config() */
  char glpk[32];               /* glp_version() */
  char clblast[32];            /* "1.5.3", or "" in a build without CLBlast */
  char compiler[SP_DEVICE_TEXT]; /* "gcc 12.2.0" */
  char flags[SP_DEVICE_TEXT];  /* what the compiler's predefined macros reveal of the flags */
  char version[32];            /* stackplan's */
} sp_device_info;

/* Collects this machine's fingerprint; with device_index >= 0 the OpenCL
 * device of that flat id (SP_ERR_INPUT when it does not exist). */
sp_status sp_device_info_collect(int device_index, sp_device_info *out);

/* Recomputes out->fingerprint from the other fields. */
void sp_device_info_seal(sp_device_info *info);

/* The name of the first field in which a and b differ ("cpu", "opencl.driver",
 * "libraries.openblas", ...), or NULL when they are equal. */
const char *sp_device_info_diff(const sp_device_info *a, const sp_device_info *b);

#endif
