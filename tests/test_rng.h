/*
 * The pseudo-random generator of the model and integration tests: xorshift64
 * with a seed the test sets (`rng = seed;`), so that every run of a test sees
 * the same records.
 */
#ifndef EDDY_TEST_RNG_H
#define EDDY_TEST_RNG_H

#include <stdint.h>

static uint64_t rng;

/** The next number in [0, n). */
static inline uint64_t rnd(uint64_t n) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng % n;
}

#endif
