/* mt19937 as PyTorch's CPU generator runs it; see generator.h for why the
 * DataLoader needs its own. */
#include "data/generator.h"

enum { MT_SHIFT = 397 };

void tg_data_generator_seed(tg_data_generator *g, uint64_t seed) {
  g->state[0] = (uint32_t)seed;
  for (int i = 1; i < TG_MT_WORDS; i++)
    g->state[i] = 1812433253u * (g->state[i - 1] ^ (g->state[i - 1] >> 30)) + (uint32_t)i;
  g->next = TG_MT_WORDS; /* twist before the first draw */
}

static void twist(tg_data_generator *g) {
  for (int i = 0; i < TG_MT_WORDS; i++) {
    uint32_t y =
        (g->state[i] & 0x80000000u) | (g->state[(i + 1) % TG_MT_WORDS] & 0x7fffffffu);
    uint32_t v = g->state[(i + MT_SHIFT) % TG_MT_WORDS] ^ (y >> 1);
    g->state[i] = (y & 1u) ? v ^ 0x9908b0dfu : v;
  }
  g->next = 0;
}

uint32_t tg_data_generator_u32(tg_data_generator *g) {
  if (g->next >= TG_MT_WORDS) twist(g);
  uint32_t y = g->state[g->next++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  return y;
}

/* PyTorch's CPU randperm: a Fisher-Yates pass from the front, one 32-bit
 * draw per position. */
void tg_data_generator_randperm(tg_data_generator *g, int64_t n, int64_t *out) {
  for (int64_t i = 0; i < n; i++) out[i] = i;
  for (int64_t i = 0; i + 1 < n; i++) {
    int64_t z = (int64_t)(tg_data_generator_u32(g) % (uint64_t)(n - i));
    int64_t saved = out[i];
    out[i] = out[z + i];
    out[z + i] = saved;
  }
}
