/* Collecting the machine fingerprint (device_info.h). */
#define _POSIX_C_SOURCE 200809L /* sysconf */
#include "profiler/device_info.h"

#include <glpk.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/opencl/cl_runtime.h"

#ifdef SP_HAVE_CLBLAST
#include <clblast_c.h>
#endif

char *openblas_get_config(void); /* OpenBLAS's, declared here to avoid its cblas.h */

static void read_cpu_model(char *out, size_t cap) {
  snprintf(out, cap, "unknown");
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "model name", 10)) continue;
    const char *v = strchr(line, ':');
    if (!v) break;
    for (v++; *v == ' ' || *v == '\t'; v++) {}
    snprintf(out, cap, "%s", v);
    out[strcspn(out, "\n")] = 0;
    break;
  }
  fclose(f);
}

/* The flags as far as the compiler's predefined macros reveal them: what
 * decides the speed of the same source (optimisation, vector ISA, sanitizers). */
static void describe_flags(char *out, size_t cap) {
  snprintf(out, cap, "%s%s -march=%s%s",
#ifdef __OPTIMIZE__
           "-O",
#else
           "-O0",
#endif
#ifdef NDEBUG
           " -DNDEBUG",
#else
           "",
#endif
#if defined(__AVX512F__)
           "native(avx512f,avx2,fma)",
#elif defined(__AVX2__) && defined(__FMA__)
           "native(avx2,fma)",
#else
           "x86-64(baseline)",
#endif
#if defined(__SANITIZE_ADDRESS__)
           " -fsanitize=address,undefined"
#else
           ""
#endif
  );
}

void sp_device_info_seal(sp_device_info *d) {
  char cores[16], index[16], has[4];
  snprintf(cores, sizeof cores, "%d", d->cores);
  snprintf(index, sizeof index, "%d", d->cl_index);
  snprintf(has, sizeof has, "%d", d->has_opencl);
  const char *fields[] = {d->cpu,      cores,     has,        index,      d->cl_platform,
                          d->cl_device, d->cl_driver, d->openblas, d->glpk,  d->clblast,
                          d->compiler, d->flags,  d->version};
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    for (const unsigned char *p = (const unsigned char *)fields[i];; p++) {
      h = (h ^ *p) * 0x100000001b3ull; /* the terminator too: fields cannot run together */
      if (!*p) break;
    }
  snprintf(d->fingerprint, sizeof d->fingerprint, "%016llx", (unsigned long long)h);
}

sp_status sp_device_info_collect(int device_index, sp_device_info *d) {
  memset(d, 0, sizeof *d);
  read_cpu_model(d->cpu, sizeof d->cpu);
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  d->cores = cores > 0 ? (int)cores : 1;
  d->cl_index = -1;
  if (device_index >= 0) {
    sp_cl_device_info info;
    sp_status s = sp_cl_device_describe(device_index, &info);
    if (s) return s;
    d->has_opencl = 1;
    d->cl_index = device_index;
    snprintf(d->cl_platform, sizeof d->cl_platform, "%s", info.platform_name);
    snprintf(d->cl_device, sizeof d->cl_device, "%s", info.name);
    snprintf(d->cl_driver, sizeof d->cl_driver, "%s", info.driver);
  }
  const char *blas = openblas_get_config();
  snprintf(d->openblas, sizeof d->openblas, "%s", blas ? blas : "");
  snprintf(d->glpk, sizeof d->glpk, "%s", glp_version());
#ifdef SP_HAVE_CLBLAST
  snprintf(d->clblast, sizeof d->clblast, "%d.%d.%d", CLBLAST_VERSION_MAJOR,
           CLBLAST_VERSION_MINOR, CLBLAST_VERSION_PATCH);
#endif
#ifdef __clang__
  snprintf(d->compiler, sizeof d->compiler, "clang %s", __clang_version__);
#elif defined(__GNUC__)
  snprintf(d->compiler, sizeof d->compiler, "gcc %s", __VERSION__);
#else
  snprintf(d->compiler, sizeof d->compiler, "unknown");
#endif
  describe_flags(d->flags, sizeof d->flags);
  snprintf(d->version, sizeof d->version, "%s", SP_VERSION_STRING);
  sp_device_info_seal(d);
  return SP_OK;
}

const char *sp_device_info_diff(const sp_device_info *a, const sp_device_info *b) {
  if (strcmp(a->cpu, b->cpu)) return "cpu";
  if (a->cores != b->cores) return "cores";
  if (a->has_opencl != b->has_opencl) return "opencl";
  if (strcmp(a->cl_platform, b->cl_platform)) return "opencl.platform";
  if (strcmp(a->cl_device, b->cl_device)) return "opencl.device";
  if (strcmp(a->cl_driver, b->cl_driver)) return "opencl.driver";
  if (a->cl_index != b->cl_index) return "opencl.index";
  if (strcmp(a->openblas, b->openblas)) return "libraries.openblas";
  if (strcmp(a->glpk, b->glpk)) return "libraries.glpk";
  if (strcmp(a->clblast, b->clblast)) return "libraries.clblast";
  if (strcmp(a->compiler, b->compiler)) return "build.compiler";
  if (strcmp(a->flags, b->flags)) return "build.flags";
  if (strcmp(a->version, b->version)) return "build.stackplan";
  if (strcmp(a->fingerprint, b->fingerprint)) return "fingerprint";
  return NULL;
}
