/* MT19937 (Matsumoto and Nishimura): Knuth's seeding, the twist that
 * regenerates all 624 words at once, and the tempering of each output. */
#include "tensor/mt19937.h"

enum { MT_SHIFT = 397 };

void tg_mt19937_seed(tg_mt19937 *mt, uint32_t seed) {
  mt->state[0] = seed;
  for (int i = 1; i < TG_MT_WORDS; i++)
    mt->state[i] =
        1812433253u * (mt->state[i - 1] ^ (mt->state[i - 1] >> 30)) + (uint32_t)i;
  mt->next = TG_MT_WORDS;
}

/* Word i's new value from words i, i + 1 and m = i + 397 (mod 624). */
static uint32_t twisted(uint32_t w, uint32_t next, uint32_t m) {
  uint32_t y = (w & 0x80000000u) | (next & 0x7fffffffu);
  return m ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0);
}

/* In three runs so that no index wraps inside a loop (the loops then
 * vectorise): words whose i + 397 has not wrapped, those whose has (they
 * read words already renewed, as the sequential twist does), and the last
 * word, whose i + 1 is word 0. */
static void twist(tg_mt19937 *mt) {
  uint32_t *s = mt->state;
  int i = 0;
  for (; i < TG_MT_WORDS - MT_SHIFT; i++) s[i] = twisted(s[i], s[i + 1], s[i + MT_SHIFT]);
  for (; i < TG_MT_WORDS - 1; i++)
    s[i] = twisted(s[i], s[i + 1], s[i + MT_SHIFT - TG_MT_WORDS]);
  s[i] = twisted(s[i], s[0], s[i + MT_SHIFT - TG_MT_WORDS]);
  mt->next = 0;
}

static uint32_t temper(uint32_t y) {
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  return y;
}

uint32_t tg_mt19937_next(tg_mt19937 *mt) {
  if (mt->next >= TG_MT_WORDS) twist(mt);
  return temper(mt->state[mt->next++]);
}

void tg_mt19937_fill(tg_mt19937 *mt, uint32_t *out, int n) {
  while (n > 0) {
    if (mt->next >= TG_MT_WORDS) twist(mt);
    int run = TG_MT_WORDS - mt->next < n ? TG_MT_WORDS - mt->next : n;
    const uint32_t *state = mt->state + mt->next;
    for (int i = 0; i < run; i++) out[i] = temper(state[i]); /* a loop that vectorises */
    mt->next += run;
    out += run;
    n -= run;
  }
}
