/* A private random generator for the DataLoader's shuffling.
 *
 * PyTorch's RandomSampler seeds a fresh torch.Generator each epoch and takes
 * its permutation from it, leaving the global generator alone. The core has
 * one global generator only, so this is a second mt19937 with exactly
 * tensor/random.c's seeding (low 32 bits of the seed) and randperm. */
#ifndef TG_DATA_GENERATOR_H
#define TG_DATA_GENERATOR_H

#include <stdint.h>

enum { TG_MT_WORDS = 624 };

typedef struct tg_data_generator {
  uint32_t state[TG_MT_WORDS];
  int next;
} tg_data_generator;

/* torch.Generator().manual_seed(seed) */
void tg_data_generator_seed(tg_data_generator *g, uint64_t seed);
uint32_t tg_data_generator_u32(tg_data_generator *g);
/* torch.randperm(n, generator=g) into out[0..n) */
void tg_data_generator_randperm(tg_data_generator *g, int64_t n, int64_t *out);

#endif
