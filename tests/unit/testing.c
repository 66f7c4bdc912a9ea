#include "tests/unit/testing.h"

#include <math.h>

#include "engine/core/rng.h"

int sp_test_failures = 0;
int sp_test_checks = 0;

int sp_test_finish(const char *name) {
  if (sp_test_checks == 0) {
    fprintf(stderr, "%s: no checks ran\n", name);
    return 1;
  }
  printf("%s: %d checks, %d failed\n", name, sp_test_checks, sp_test_failures);
  return sp_test_failures ? 1 : 0;
}

void sp_test_fill(float *x, size_t n, uint64_t seed, float lo, float hi) {
  sp_rng rng;
  sp_rng_seed(&rng, seed);
  for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * sp_rng_uniform(&rng);
}

int sp_test_rand_int(uint64_t *state, int lo, int hi) {
  sp_rng rng = {*state};
  uint64_t r = sp_rng_next(&rng);
  *state = rng.state;
  return lo + (int)(r % (uint64_t)(hi - lo + 1));
}

int sp_test_close(const char *what, const float *a, const float *b, size_t n, float atol,
                  float rtol) {
  size_t worst = 0;
  double worst_excess = 0;
  int ok = 1;
  for (size_t i = 0; i < n; i++) {
    double err = fabs((double)a[i] - (double)b[i]);
    double allowed = atol + rtol * fabs((double)b[i]);
    if (!(err <= allowed)) { /* also catches NaN */
      double excess = isnan(err) ? INFINITY : err - allowed;
      if (ok || excess > worst_excess) worst = i, worst_excess = excess;
      ok = 0;
    }
  }
  if (!ok)
    fprintf(stderr, "%s: mismatch at %zu of %zu: got %.8g, want %.8g\n", what, worst, n,
            (double)a[worst], (double)b[worst]);
  return ok;
}
