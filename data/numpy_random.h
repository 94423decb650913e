/* A private copy of NumPy's legacy np.random.RandomState (MT19937), so the
 * scikit-learn generators and splits give the very numbers Python gives.
 * Only what sklearn 1.2's make_* and train_test_split draw is here; each
 * function names the NumPy call it reproduces. */
#ifndef TG_DATA_NUMPY_RANDOM_H
#define TG_DATA_NUMPY_RANDOM_H

#include <stdint.h>

#include "tensor/mt19937.h"

typedef struct tg_np_random {
  tg_mt19937 mt;
  int has_gauss; /* the polar method makes normals in pairs; one is cached */
  double gauss;
} tg_np_random;

/* np.random.RandomState(seed) */
void tg_np_seed(tg_np_random *rs, uint32_t seed);
/* The raw 32-bit MT19937 output. */
uint32_t tg_np_next_u32(tg_np_random *rs);
/* random_sample(): 53-bit double in [0, 1) */
double tg_np_random_sample(tg_np_random *rs);
/* uniform(low, high) */
double tg_np_uniform(tg_np_random *rs, double low, double high);
/* standard_normal(): the legacy polar (Marsaglia) gauss with its cache */
double tg_np_standard_normal(tg_np_random *rs);
/* normal(loc, scale) */
double tg_np_normal(tg_np_random *rs, double loc, double scale);
/* randint(low, high): [low, high) by masked rejection; low < high */
int64_t tg_np_randint(tg_np_random *rs, int64_t low, int64_t high);
/* shuffle(x) for a 1-d array (Fisher-Yates from the end) */
void tg_np_shuffle(tg_np_random *rs, int64_t *x, int64_t n);
/* permutation(n): out[0..n) = a shuffled arange(n) */
void tg_np_permutation(tg_np_random *rs, int64_t *out, int64_t n);

#endif
