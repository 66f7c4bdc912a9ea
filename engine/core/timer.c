#define _POSIX_C_SOURCE 200809L
#include "engine/core/timer.h"

#include <stdlib.h>
#include <time.h>

double sp_time_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double sp_quantile(double *values, int n, double q) {
  if (n <= 0) return 0;
  qsort(values, (size_t)n, sizeof *values, compare_doubles);
  double pos = q * (n - 1);
  int lo = (int)pos;
  if (lo >= n - 1) return values[n - 1];
  return values[lo] + (pos - lo) * (values[lo + 1] - values[lo]);
}
