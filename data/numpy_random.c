/* NumPy's legacy RandomState, reproduced bit for bit (see numpy_random.h).
 * The algorithms follow numpy/random/src/mt19937, legacy-distributions.c,
 * distributions.c (random_interval, masked bounded integers) and mtrand.pyx
 * (shuffle, permutation) of NumPy 1.24. */
#include "data/numpy_random.h"

#include <math.h>

void tg_np_seed(tg_np_random *rs, uint32_t seed) {
  tg_mt19937_seed(&rs->mt, seed); /* what mt19937_seed does for an int seed */
  rs->has_gauss = 0;
  rs->gauss = 0.0;
}

uint32_t tg_np_next_u32(tg_np_random *rs) {
  return tg_mt19937_next(&rs->mt);
}

static uint64_t next_u64(tg_np_random *rs) {
  uint64_t hi = tg_np_next_u32(rs);
  return (hi << 32) | tg_np_next_u32(rs);
}

double tg_np_random_sample(tg_np_random *rs) {
  int32_t a = (int32_t)(tg_np_next_u32(rs) >> 5), b = (int32_t)(tg_np_next_u32(rs) >> 6);
  return (a * 67108864.0 + b) / 9007199254740992.0;
}

double tg_np_uniform(tg_np_random *rs, double low, double high) {
  double range = high - low; /* mtrand computes the range once, then low + range*u */
  return low + range * tg_np_random_sample(rs);
}

double tg_np_standard_normal(tg_np_random *rs) {
  if (rs->has_gauss) {
    rs->has_gauss = 0;
    double cached = rs->gauss;
    rs->gauss = 0.0;
    return cached;
  }
  double x1, x2, r2;
  do {
    x1 = 2.0 * tg_np_random_sample(rs) - 1.0;
    x2 = 2.0 * tg_np_random_sample(rs) - 1.0;
    r2 = x1 * x1 + x2 * x2;
  } while (r2 >= 1.0 || r2 == 0.0);
  double f = sqrt(-2.0 * log(r2) / r2);
  rs->gauss = f * x1;
  rs->has_gauss = 1;
  return f * x2;
}

double tg_np_normal(tg_np_random *rs, double loc, double scale) {
  return loc + scale * tg_np_standard_normal(rs);
}

/* Smallest all-ones bit mask covering max. */
static uint64_t mask_for(uint64_t max) {
  for (int shift = 1; shift <= 32; shift *= 2) max |= max >> shift;
  return max;
}

/* A uniform value in [0, max] by masked rejection: 32-bit draws while max
 * fits in 32 bits, 64-bit draws beyond (NumPy's random_interval and its
 * masked bounded-integer fill make the same choice). */
static uint64_t masked_interval(tg_np_random *rs, uint64_t max) {
  if (max == 0) return 0;
  uint64_t mask = mask_for(max), value;
  if (max <= 0xffffffffULL) {
    do value = tg_np_next_u32(rs) & mask;
    while (value > max);
  } else {
    do value = next_u64(rs) & mask;
    while (value > max);
  }
  return value;
}

int64_t tg_np_randint(tg_np_random *rs, int64_t low, int64_t high) {
  uint64_t range = (uint64_t)high - (uint64_t)low - 1U;
  return (int64_t)((uint64_t)low + masked_interval(rs, range));
}

void tg_np_shuffle(tg_np_random *rs, int64_t *x, int64_t n) {
  for (int64_t i = n - 1; i > 0; i--) {
    int64_t j = (int64_t)masked_interval(rs, (uint64_t)i);
    int64_t tmp = x[i];
    x[i] = x[j];
    x[j] = tmp;
  }
}

void tg_np_permutation(tg_np_random *rs, int64_t *out, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = i;
  tg_np_shuffle(rs, out, n);
}
