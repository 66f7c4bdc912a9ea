/* Tiny shared test harness: checks that count failures, seeded random data,
 * and a tolerance comparison that reports the worst element. */
#ifndef SP_TESTING_H
#define SP_TESTING_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

extern int sp_test_failures;
extern int sp_test_checks;

#define CHECK(cond)                                                             \
  do {                                                                          \
    sp_test_checks++;                                                           \
    if (!(cond)) {                                                              \
      sp_test_failures++;                                                       \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);  \
    }                                                                           \
  } while (0)

#define CHECK_MSG(cond, ...)                                                    \
  do {                                                                          \
    sp_test_checks++;                                                           \
    if (!(cond)) {                                                              \
      sp_test_failures++;                                                       \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);  \
      fprintf(stderr, __VA_ARGS__);                                             \
      fputc('\n', stderr);                                                      \
    }                                                                           \
  } while (0)

/* Prints the summary and returns the process exit code (0 only when every
 * check passed and at least one ran). */
int sp_test_finish(const char *name);

/* Deterministic uniform floats in [lo, hi) from a 64-bit seed. */
void sp_test_fill(float *x, size_t n, uint64_t seed, float lo, float hi);

/* Uniform integer in [lo, hi] from a stream advanced by each call. */
int sp_test_rand_int(uint64_t *state, int lo, int hi);

/* Whether |a - b| <= atol + rtol * |b| everywhere; on failure prints the
 * worst index with `what` and returns 0. */
int sp_test_close(const char *what, const float *a, const float *b, size_t n, float atol,
                  float rtol);

#endif
