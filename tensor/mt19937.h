/* The Mersenne Twister (MT19937) that PyTorch's CPU generator and NumPy's
 * legacy RandomState both run, seeded the same way from a 32-bit seed.
 * Private: tensor/random.c builds tg_generator on it, data/numpy_random.c
 * builds NumPy's RandomState on it. */
#ifndef TG_MT19937_H
#define TG_MT19937_H

#include <stdint.h>

enum { TG_MT_WORDS = 624 };

typedef struct tg_mt19937 {
  uint32_t state[TG_MT_WORDS];
  int next; /* TG_MT_WORDS: regenerate before the next draw */
} tg_mt19937;

void tg_mt19937_seed(tg_mt19937 *mt, uint32_t seed);
uint32_t tg_mt19937_next(tg_mt19937 *mt);
/* The next n words into out: n calls of tg_mt19937_next, in batches. */
void tg_mt19937_fill(tg_mt19937 *mt, uint32_t *out, int n);

#endif
