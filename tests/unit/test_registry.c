/* The registry against the naming grammar of kernels/README.md, and each
 * OpenCL variant's list of sources (the tuning cache's key) against the
 * sources the build embeds. */
#include <string.h>

#include "engine/opencl/cl_runtime.h"
#include "kernels/registry.h"
#include "tests/unit/testing.h"

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && !strcmp(s + n - k, suffix);
}

/* <op>__<how>: how is "reference" for the oracle; else
 * [<format>_]<algorithm>_<backend>, the format named for csr and ternary only,
 * the backend last (serial, omp, blas, opencl, clblast). */
static void check_name(const sp_variant *v) {
  const char *op = sp_op_name(v->op), *sep = strstr(v->name, "__");
  CHECK_MSG(sep && (size_t)(sep - v->name) == strlen(op) && !strncmp(v->name, op, strlen(op)),
            "%s: not <%s>__<how>", v->name, op);
  if (!sep) return;
  const char *how = sep + 2;
  if (v->algo == SP_ALGO_REFERENCE) {
    CHECK_MSG(!strcmp(how, "reference") && v->backend == SP_BACKEND_SERIAL, "%s", v->name);
    return;
  }
  static const char *const suffix[SP_BACKEND_COUNT] = {"_serial", "_omp", "blas", "opencl",
                                                       "clblast"};
  CHECK_MSG(ends_with(how, suffix[v->backend]), "%s: backend %s needs the suffix %s", v->name,
            sp_backend_name(v->backend), suffix[v->backend]);
  int csr = !strncmp(how, "csr", 3), ternary = !strncmp(how, "ternary", 7);
  CHECK_MSG(csr == (v->format == SP_FORMAT_CSR) && ternary == (v->format == SP_FORMAT_TERNARY),
            "%s: format %s and the name disagree", v->name, sp_format_name(v->format));
}

int main(void) {
  int n = 0;
  const sp_variant *all = sp_registry_variants(&n);
  for (int i = 0; i < n; i++) {
    const sp_variant *v = &all[i];
    check_name(v);
    CHECK_MSG(sp_registry_find(v->name) == v, "%s: found twice or not at all", v->name);
    int device = v->backend == SP_BACKEND_OPENCL || v->backend == SP_BACKEND_CLBLAST;
    CHECK_MSG(device == (v->cl_sources != NULL), "%s: sources listed iff a device variant",
              v->name);
    if (!device || !v->cl_sources) continue;
#ifdef SP_HAVE_OPENCL
    /* every named source is embedded (kernels/cl/<name>.cl) */
    char list[128];
    snprintf(list, sizeof list, "%s", v->cl_sources);
    for (char *save = NULL, *s = strtok_r(list, " ", &save); s; s = strtok_r(NULL, " ", &save))
      CHECK_MSG(sp_cl_source_find(s) != NULL, "%s: no kernels/cl/%s.cl", v->name, s);
#endif
  }
  /* the fastest-guess list names registered dense host variants, serial
   * then OpenMP */
  int listed = 0;
  for (; sp_registry_fastest_guess_name(listed, 0); listed++)
    for (int t = 0; t < 2; t++) {
      const char *name = sp_registry_fastest_guess_name(listed, t);
      const sp_variant *v = name ? sp_registry_find(name) : NULL;
      CHECK_MSG(v && v->format == SP_FORMAT_DENSE && !sp_variant_on_device(v) &&
                    v->backend == (t ? SP_BACKEND_OPENMP : SP_BACKEND_SERIAL),
                "fastest guess %s: not a registered dense %s variant", name ? name : "(none)",
                t ? "OpenMP" : "serial");
    }
  CHECK(listed == 5);
  return sp_test_finish("test_registry");
}
