/* OpenCL programs: the embedded sources, and building one for a device —
 * from this process's programs, else from the disk cache (cl_cache.c), else
 * compiled and stored there. Counts every outcome (sp_cl_get_stats). */
#ifdef SP_HAVE_OPENCL

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/timer.h"
#include "engine/opencl/cl_cache.h"
#include "engine/opencl/cl_internal.h"

/* Generated at build time from kernels/cl/<name>.cl (cmake/embed_cl.cmake). */
extern const sp_cl_source sp_cl_sources[];
extern const int sp_cl_source_count;

static sp_cl_stats stats;

sp_cl_stats sp_cl_get_stats(void) { return stats; }


const sp_cl_source *sp_cl_source_find(const char *name) {
  for (int i = 0; i < sp_cl_source_count; i++)
    if (!strcmp(sp_cl_sources[i].name, name)) return &sp_cl_sources[i];
  return NULL;
}

void sp_cl_programs_release(sp_cl_device *d) {
  for (int i = 0; i < d->n_programs; i++) {
    clReleaseProgram(d->programs[i].program);
    free(d->programs[i].options);
  }
  free(d->programs);
  d->programs = NULL;
  d->n_programs = d->cap_programs = 0;
}

/* The line of the build log that says most: the first one that mentions an
 * error, else the first non-empty one. */
static void log_line(sp_cl_device *d, cl_program p, char *out, size_t cap) {
  size_t size = 0;
  snprintf(out, cap, "(no build log)");
  if (clGetProgramBuildInfo(p, d->id, CL_PROGRAM_BUILD_LOG, 0, NULL, &size) != CL_SUCCESS || !size)
    return;
  char *log = malloc(size + 1);
  if (!log) return;
  if (clGetProgramBuildInfo(p, d->id, CL_PROGRAM_BUILD_LOG, size, log, NULL) == CL_SUCCESS) {
    log[size] = '\0';
    const char *first = NULL, *error = NULL;
    for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
      while (*line == ' ' || *line == '\t' || *line == '\r') line++;
      if (!*line) continue;
      if (!first) first = line;
      if (!error && strstr(line, "error")) error = line;
    }
    if (error || first) snprintf(out, cap, "%s", error ? error : first);
  }
  free(log);
}

static sp_status build(sp_cl_device *d, cl_program p, const char *label, const char *options) {
  cl_int err = clBuildProgram(p, 1, &d->id, options, NULL, NULL);
  if (err == CL_SUCCESS) return SP_OK;
  char line[300];
  log_line(d, p, line, sizeof line);
  return sp_fail(SP_ERR_RUNTIME, "build of %s failed: %s: %s", label, sp_cl_error_name(err), line);
}

/* Loads the program from a valid cache entry; SP_ERR_RUNTIME when the entry
 * is missing or rejected (then the caller compiles). */
static sp_status from_cache(sp_cl_device *d, const char *path, const sp_cl_cache_key *key,
                            const char *label, cl_program *out) {
  void *binary = NULL;
  size_t size = 0;
  const char *why = "";
  double t0 = sp_time_now();
  int found = sp_cl_cache_load(path, key, &binary, &size, &why);
  if (found == 1) {
    cl_int err = CL_SUCCESS, status = CL_SUCCESS;
    const unsigned char *bin = binary;
    cl_program p = clCreateProgramWithBinary(d->context, 1, &d->id, &size, &bin, &status, &err);
    if (err == CL_SUCCESS && status == CL_SUCCESS &&
        clBuildProgram(p, 1, &d->id, key->options, NULL, NULL) == CL_SUCCESS) {
      free(binary);
      stats.cache_hits++;
      stats.load_seconds += sp_time_now() - t0;
      if (sp_cl_logging())
        fprintf(stderr, "opencl: cache hit %s [%s] from %s (%.3f s)\n", label, key->options, path,
                sp_time_now() - t0);
      *out = p;
      return SP_OK;
    }
    if (err == CL_SUCCESS) clReleaseProgram(p);
    why = "the driver refused the binary";
    found = -1;
  }
  free(binary);
  if (found < 0) {
    stats.cache_rejects++;
    if (sp_cl_logging())
      fprintf(stderr, "opencl: cache entry %s rejected (%s), rebuilding\n", path, why);
  }
  return SP_ERR_RUNTIME;
}

/* Compiles from source and stores the binary in the cache. */
static sp_status from_source(sp_cl_device *d, const char *path, const sp_cl_cache_key *key,
                             const char *label, cl_program *out) {
  double t0 = sp_time_now();
  const char *parts[2] = {key->prelude, key->source};
  cl_int err = CL_SUCCESS;
  cl_program p = clCreateProgramWithSource(d->context, 2, parts, NULL, &err);
  if (err != CL_SUCCESS) return sp_cl_fail(label, "clCreateProgramWithSource", err);
  sp_status s = build(d, p, label, key->options);
  stats.builds++;
  stats.build_seconds += sp_time_now() - t0;
  if (s) {
    clReleaseProgram(p);
    return s;
  }
  if (sp_cl_logging())
    fprintf(stderr, "opencl: compiled %s [%s] for %s (%.3f s)\n", label, key->options,
            d->info.name, sp_time_now() - t0);
  size_t size = 0;
  unsigned char *binary = NULL;
  int stored = -1;
  if (path[0] &&
      clGetProgramInfo(p, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) == CL_SUCCESS &&
      size && (binary = malloc(size)) != NULL &&
      clGetProgramInfo(p, CL_PROGRAM_BINARIES, sizeof binary, &binary, NULL) == CL_SUCCESS)
    stored = sp_cl_cache_store(path, key, binary, size);
  free(binary);
  if (stored != 0) {
    stats.cache_write_failures++;
    if (sp_cl_logging()) fprintf(stderr, "opencl: could not write cache entry %s\n", path);
  }
  *out = p;
  return SP_OK;
}

static sp_status get_program(sp_cl_device *d, const char *label, const char *text,
                             const char *options, cl_program *out) {
  const sp_cl_source *prelude = sp_cl_source_find("common");
  const char *extra = getenv("SP_OPENCL_OPTIONS");
  size_t cap = strlen(options) + (extra ? strlen(extra) : 0) + 2;
  char *full = malloc(cap);
  if (!full) return sp_fail(SP_ERR_RUNTIME, "out of memory building %s", label);
  snprintf(full, cap, "%s%s%s", options, extra && *extra && *options ? " " : "",
           extra ? extra : "");
  sp_cl_cache_key key = {.device = d->info.name, .driver = d->info.driver, .options = full,
                         .prelude = prelude ? prelude->text : "", .source = text};
  uint64_t hash = sp_cl_cache_key_hash(&key);
  for (int i = 0; i < d->n_programs; i++) {
    sp_cl_program *p = &d->programs[i];
    if (p->key == hash && !strcmp(p->options, full)) {
      stats.memory_hits++;
      free(full);
      *out = p->program;
      return SP_OK;
    }
  }
  if (d->n_programs == d->cap_programs) {
    int cap_programs = d->cap_programs ? 2 * d->cap_programs : 16;
    sp_cl_program *grown = realloc(d->programs, (size_t)cap_programs * sizeof *grown);
    if (!grown) {
      free(full);
      return sp_fail(SP_ERR_RUNTIME, "out of memory building %s", label);
    }
    d->programs = grown;
    d->cap_programs = cap_programs;
  }
  char path[1200] = "";
  if (!sp_cl_cache_path(&key, path, sizeof path)) path[0] = '\0';
  cl_program p = NULL;
  sp_status s = path[0] ? from_cache(d, path, &key, label, &p) : SP_ERR_RUNTIME;
  if (s) s = from_source(d, path, &key, label, &p);
  if (s) {
    free(full);
    return s;
  }
  d->programs[d->n_programs++] = (sp_cl_program){.key = hash, .options = full, .program = p};
  *out = p;
  return SP_OK;
}

sp_status sp_cl_kernel_create_from(sp_cl_device *d, const char *label, const char *text,
                                   const char *options, const char *kernel_name, void **kernel) {
  *kernel = NULL;
  cl_program p = NULL;
  sp_status s = get_program(d, label, text, options ? options : "", &p);
  if (s) return s;
  cl_int err = CL_SUCCESS;
  cl_kernel k = clCreateKernel(p, kernel_name, &err);
  if (err != CL_SUCCESS) return sp_cl_fail(kernel_name, "clCreateKernel", err);
  *kernel = k;
  return SP_OK;
}

sp_status sp_cl_kernel_create(sp_cl_device *d, const char *source, const char *options,
                              const char *kernel_name, void **kernel) {
  const sp_cl_source *src = sp_cl_source_find(source);
  if (!src) {
    *kernel = NULL;
    return sp_fail(SP_ERR_RUNTIME, "no embedded OpenCL source '%s'", source);
  }
  return sp_cl_kernel_create_from(d, source, src->text, options, kernel_name, kernel);
}

void sp_cl_kernel_free(void *kernel) {
  if (kernel) clReleaseKernel((cl_kernel)kernel);
}

size_t sp_cl_kernel_max_work_group(sp_cl_device *d, void *kernel) {
  size_t wg = 0;
  if (clGetKernelWorkGroupInfo((cl_kernel)kernel, d->id, CL_KERNEL_WORK_GROUP_SIZE, sizeof wg, &wg,
                               NULL) != CL_SUCCESS)
    return 0;
  return wg;
}

#else
typedef int sp_cl_program_unused; /* built without OpenCL: see cl_stub.c */
#endif
