/* Deterministic random numbers (splitmix64): the zoo's seeded weights and the
 * tests' data are identical on every machine. */
#ifndef SP_RNG_H
#define SP_RNG_H

#include <stdint.h>

typedef struct sp_rng {
  uint64_t state;
} sp_rng;

static inline void sp_rng_seed(sp_rng *r, uint64_t seed) { r->state = seed; }

static inline uint64_t sp_rng_next(sp_rng *r) {
  uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Uniform in [0, 1) with 24 random bits. */
static inline float sp_rng_uniform(sp_rng *r) { return (float)(sp_rng_next(r) >> 40) * 0x1.0p-24f; }

/* Standard normal (Box-Muller). */
float sp_rng_normal(sp_rng *r);

#endif
