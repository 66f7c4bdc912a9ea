#include "engine/core/rng.h"

#include <math.h>

float sp_rng_normal(sp_rng *r) {
  /* 1 - u keeps the logarithm's argument in (0, 1] */
  double u1 = 1.0 - (double)sp_rng_uniform(r);
  double u2 = (double)sp_rng_uniform(r);
  return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}
