/* The one random generator. It reproduces PyTorch's CPU generator: a
 * Mersenne Twister (mt19937) seeded with the low 32 bits of the seed, and
 * the same transformations from raw bits to uniform, normal and integer
 * values, so that tg_manual_seed(s) followed by the same calls gives the
 * numbers torch.manual_seed(s) gives (tests/golden/random.py proves it).
 * Initialisation, dropout and shuffling all draw from it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tensor/core.h"
#include "tensor/mt19937.h"

/* A generator: PyTorch's CPUGeneratorImpl state. */
struct tg_generator {
  tg_mt19937 mt;
  uint64_t seed;
  bool has_normal; /* Box-Muller makes two values; the second is cached */
  double next_normal;
};

static tg_generator global;
static bool seeded;

static void seed_generator(tg_generator *g, uint64_t seed) {
  g->seed = seed;
  tg_mt19937_seed(&g->mt, (uint32_t)seed);
  g->has_normal = false;
}

void tg_manual_seed(uint64_t seed) {
  seed_generator(&global, seed);
  seeded = true;
}

static tg_generator *default_generator(void) {
  if (!seeded) tg_manual_seed(67280421310721ull); /* PyTorch's default seed */
  return &global;
}

uint64_t tg_initial_seed(void) {
  return default_generator()->seed;
}

/* ---- the global generator's state (torch.get_rng_state / set_rng_state) ---- */

/* Layout: the 624 twister words, the next-word index, the seed, whether a
 * Box-Muller normal is cached, and that normal's bits. */
enum { STATE_NEXT = TG_MT_WORDS, STATE_SEED, STATE_HAS_NORMAL, STATE_NORMAL };

tg_tensor *tg_get_rng_state(void) {
  const tg_generator *g = default_generator();
  tg_tensor *state = tg_zeros(TG_SHAPE(TG_RNG_STATE_SIZE), TG_INT64);
  int64_t *v = (int64_t *)tg_ptr(state);
  for (int i = 0; i < TG_MT_WORDS; i++) v[i] = g->mt.state[i];
  v[STATE_NEXT] = g->mt.next;
  memcpy(&v[STATE_SEED], &g->seed, sizeof g->seed);
  v[STATE_HAS_NORMAL] = g->has_normal;
  memcpy(&v[STATE_NORMAL], &g->next_normal, sizeof g->next_normal);
  return state;
}

bool tg_rng_state_valid(const tg_tensor *state) {
  if (state->dtype != TG_INT64 || state->ndim != 1 ||
      state->shape[0] != TG_RNG_STATE_SIZE)
    return false;
  tg_scope_begin();
  const int64_t *v = (const int64_t *)tg_ptr(tg_contiguous((tg_tensor *)state));
  bool ok = v[STATE_NEXT] >= 0 && v[STATE_NEXT] <= TG_MT_WORDS &&
            (v[STATE_HAS_NORMAL] == 0 || v[STATE_HAS_NORMAL] == 1);
  for (int i = 0; i < TG_MT_WORDS && ok; i++) ok = v[i] >= 0 && v[i] <= UINT32_MAX;
  tg_scope_end();
  return ok;
}

void tg_set_rng_state(const tg_tensor *state) {
  if (!tg_rng_state_valid(state))
    tg_error("tg_set_rng_state: expected an int64 tensor of shape (%d) from "
             "tg_get_rng_state",
             TG_RNG_STATE_SIZE);
  tg_scope_begin();
  const int64_t *v = (const int64_t *)tg_ptr(tg_contiguous((tg_tensor *)state));
  tg_generator *g = default_generator();
  for (int i = 0; i < TG_MT_WORDS; i++) g->mt.state[i] = (uint32_t)v[i];
  g->mt.next = (int)v[STATE_NEXT];
  memcpy(&g->seed, &v[STATE_SEED], sizeof g->seed);
  g->has_normal = v[STATE_HAS_NORMAL] != 0;
  memcpy(&g->next_normal, &v[STATE_NORMAL], sizeof g->next_normal);
  tg_scope_end();
}

tg_generator *tg_generator_new(uint64_t seed) {
  tg_generator *g = malloc(sizeof *g);
  if (!g) tg_error("tg_generator_new: out of memory");
  seed_generator(g, seed);
  return g;
}

void tg_generator_free(tg_generator *g) {
  if (g != &global) free(g);
}

static tg_generator *resolve(tg_generator *g) {
  return g ? g : default_generator();
}

uint32_t tg_generator_random_u32(tg_generator *g) {
  return tg_mt19937_next(&resolve(g)->mt);
}

uint64_t tg_generator_random_u64(tg_generator *g) {
  uint64_t hi = tg_generator_random_u32(g);
  uint64_t lo = tg_generator_random_u32(g);
  return (hi << 32) | lo;
}

uint32_t tg_random_u32(void) {
  return tg_generator_random_u32(NULL);
}
uint64_t tg_random_u64(void) {
  return tg_generator_random_u64(NULL);
}

/* Uniform [0,1) with the mantissa width of the dtype: 24 random bits for
 * float32, 53 for float64. */
static float uniform_f32(void) {
  return (float)(tg_random_u32() & ((1u << 24) - 1)) * (1.0f / 16777216.0f);
}

static double uniform_f64(void) {
  return (double)(tg_random_u64() & ((1ull << 53) - 1)) * (1.0 / 9007199254740992.0);
}

/* PyTorch's scalar normal sampler (for short or strided tensors); the
 * caller scales it with one fused multiply-add, as PyTorch's kernel does. */
static double normal_f64(void) {
  tg_generator *g = default_generator();
  if (g->has_normal) {
    g->has_normal = false;
    return g->next_normal;
  }
  double u1 = uniform_f64(), u2 = uniform_f64();
  double r = sqrt(-2.0 * log(1.0 - u2));
  double theta = 2.0 * M_PI * u1;
  g->has_normal = true;
  g->next_normal = r * sin(theta);
  return r * cos(theta);
}

/* PyTorch's vectorised path for contiguous tensors of 16 or more: fill with
 * uniforms, then turn each block of 16 into 8 Box-Muller pairs. A ragged
 * tail redoes the last 16 with fresh uniforms. */
#define NORMAL_FILL(T, name, uniform)                                                    \
  static void name(T *data, int64_t n, double mean, double std) {                        \
    for (int64_t i = 0; i < n; i++) data[i] = uniform();                                 \
    for (int64_t i = 0; i + 16 <= n; i += 16) normal_fill_16_##T(data + i, mean, std);   \
    if (n % 16 != 0) {                                                                   \
      T *tail = data + n - 16;                                                           \
      for (int j = 0; j < 16; j++) tail[j] = uniform();                                  \
      normal_fill_16_##T(tail, mean, std);                                               \
    }                                                                                    \
  }

#define NORMAL_FILL_16(T, LOG, SQRT, COS, SIN, FMA)                                      \
  static void normal_fill_16_##T(T *d, double mean, double std) {                        \
    for (int j = 0; j < 8; j++) {                                                        \
      T u1 = 1 - d[j], u2 = d[j + 8];                                                    \
      T radius = SQRT(-2 * LOG(u1));                                                     \
      T theta = (T)(2.0 * M_PI) * u2;                                                    \
      d[j] = FMA(radius * COS(theta), (T)std, (T)mean);                                  \
      d[j + 8] = FMA(radius * SIN(theta), (T)std, (T)mean);                              \
    }                                                                                    \
  }

NORMAL_FILL_16(float, logf, sqrtf, cosf, sinf, fmaf)
NORMAL_FILL_16(double, log, sqrt, cos, sin, fma)
NORMAL_FILL(float, normal_fill_f32, uniform_f32)
NORMAL_FILL(double, normal_fill_f64, uniform_f64)

/* from + u * (to - from) as one fused multiply-add in the tensor's dtype,
 * which is what PyTorch's kernel (built with FMA) computes. */
void tg_uniform_(tg_tensor *t, double low, double high) {
  tg_check_floating("tg_uniform_", t);
  int64_t n = tg_numel(t);
  if (t->dtype == TG_FLOAT32) {
    float from = (float)low, to = (float)high;
    for (int64_t i = 0; i < n; i++)
      *(float *)tg_flat_ptr(t, i) = fmaf(uniform_f32(), to - from, from);
  } else {
    for (int64_t i = 0; i < n; i++)
      *(double *)tg_flat_ptr(t, i) = fma(uniform_f64(), high - low, low);
  }
  tg_bump_version(t);
}

void tg_normal_(tg_tensor *t, double mean, double std) {
  tg_check_floating("tg_normal_", t);
  if (std < 0) tg_error("tg_normal_: std must be non-negative, got %g", std);
  int64_t n = tg_numel(t);
  if (n >= 16 && tg_is_contiguous(t)) {
    if (t->dtype == TG_FLOAT32)
      normal_fill_f32((float *)tg_ptr(t), n, mean, std);
    else
      normal_fill_f64((double *)tg_ptr(t), n, mean, std);
  } else {
    for (int64_t i = 0; i < n; i++)
      tg_store(tg_flat_ptr(t, i), t->dtype, fma(normal_f64(), std, mean));
  }
  tg_bump_version(t);
}

tg_tensor *tg_rand(tg_shape shape, tg_dtype dtype) {
  tg_tensor *t = tg_alloc(shape, dtype);
  tg_uniform_(t, 0, 1);
  return t;
}

tg_tensor *tg_randn(tg_shape shape, tg_dtype dtype) {
  tg_tensor *t = tg_alloc(shape, dtype);
  tg_normal_(t, 0, 1);
  return t;
}

tg_tensor *tg_rand_like(const tg_tensor *t) {
  return tg_rand(tg_shape_of(t), t->dtype);
}
tg_tensor *tg_randn_like(const tg_tensor *t) {
  return tg_randn(tg_shape_of(t), t->dtype);
}

tg_tensor *tg_randint(int64_t low, int64_t high, tg_shape shape) {
  if (high <= low)
    tg_error("tg_randint: expected low < high, got low %lld and high %lld",
             (long long)low, (long long)high);
  tg_tensor *t = tg_alloc(shape, TG_INT64);
  int64_t *data = (int64_t *)t->storage->data, n = tg_numel(t);
  uint64_t range = (uint64_t)high - (uint64_t)low;
  for (int64_t i = 0; i < n; i++) {
    uint64_t bits = range >= (1ull << 32) ? tg_random_u64() : tg_random_u32();
    data[i] = (int64_t)(bits % range) + low;
  }
  return t;
}

/* PyTorch's CPU randperm: a Fisher-Yates pass from the front, one 32-bit
 * draw per position. */
void tg_randperm_into(tg_generator *g, int64_t n, int64_t *out) {
  for (int64_t i = 0; i < n; i++) out[i] = i;
  for (int64_t i = 0; i + 1 < n; i++) {
    int64_t z = (int64_t)(tg_generator_random_u32(g) % (uint64_t)(n - i));
    int64_t saved = out[i];
    out[i] = out[z + i];
    out[z + i] = saved;
  }
}

tg_tensor *tg_randperm(int64_t n) {
  if (n < 0) tg_error("tg_randperm: n must be non-negative, got %lld", (long long)n);
  tg_tensor *t = tg_alloc(TG_SHAPE(n), TG_INT64);
  tg_randperm_into(NULL, n, (int64_t *)t->storage->data);
  return t;
}
