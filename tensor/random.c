/* The one random generator. It reproduces PyTorch's CPU generator: a
 * Mersenne Twister (mt19937) seeded with the low 32 bits of the seed, and
 * the same transformations from raw bits to uniform, normal and integer
 * values, so that tg_manual_seed(s) followed by the same calls gives the
 * numbers torch.manual_seed(s) gives (tests/golden/random.py proves it).
 * Initialisation, dropout and shuffling all draw from it.
 *
 * The default generator is shared by every thread, as PyTorch's is: each
 * public function holds its lock for the whole tensor it fills, so draws
 * by two threads interleave tensor by tensor, never inside one. A
 * generator from tg_generator_new belongs to one thread at a time. */
#include <math.h>
#include <pthread.h>
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
static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;

static void lock_global(void) {
  pthread_mutex_lock(&global_lock);
}
static void unlock_global(void) {
  pthread_mutex_unlock(&global_lock);
}

static void seed_generator(tg_generator *g, uint64_t seed) {
  g->seed = seed;
  tg_mt19937_seed(&g->mt, (uint32_t)seed);
  g->has_normal = false;
}

void tg_manual_seed(uint64_t seed) {
  lock_global();
  seed_generator(&global, seed);
  seeded = true;
  unlock_global();
}

/* The default generator; the caller holds global_lock. */
static tg_generator *default_generator(void) {
  if (!seeded) {
    seed_generator(&global, 67280421310721ull); /* PyTorch's default seed */
    seeded = true;
  }
  return &global;
}

uint64_t tg_initial_seed(void) {
  lock_global();
  uint64_t seed = default_generator()->seed;
  unlock_global();
  return seed;
}

/* ---- the global generator's state (torch.get_rng_state / set_rng_state) ---- */

/* Layout: the 624 twister words, the next-word index, the seed, whether a
 * Box-Muller normal is cached, and that normal's bits. */
enum { STATE_NEXT = TG_MT_WORDS, STATE_SEED, STATE_HAS_NORMAL, STATE_NORMAL };

tg_tensor *tg_get_rng_state(void) {
  tg_tensor *state = tg_zeros(TG_SHAPE(TG_RNG_STATE_SIZE), TG_INT64);
  int64_t *v = (int64_t *)tg_ptr(state);
  lock_global();
  const tg_generator *g = default_generator();
  for (int i = 0; i < TG_MT_WORDS; i++) v[i] = g->mt.state[i];
  v[STATE_NEXT] = g->mt.next;
  memcpy(&v[STATE_SEED], &g->seed, sizeof g->seed);
  v[STATE_HAS_NORMAL] = g->has_normal;
  memcpy(&v[STATE_NORMAL], &g->next_normal, sizeof g->next_normal);
  unlock_global();
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
  lock_global();
  tg_generator *g = default_generator();
  for (int i = 0; i < TG_MT_WORDS; i++) g->mt.state[i] = (uint32_t)v[i];
  g->mt.next = (int)v[STATE_NEXT];
  memcpy(&g->seed, &v[STATE_SEED], sizeof g->seed);
  g->has_normal = v[STATE_HAS_NORMAL] != 0;
  memcpy(&g->next_normal, &v[STATE_NORMAL], sizeof g->next_normal);
  unlock_global();
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

/* Locks the default generator when g is NULL (or is it); release_generator undoes
 * exactly that. */
static tg_generator *acquire(tg_generator *g) {
  if (g && g != &global) return g;
  lock_global();
  return default_generator();
}
static void release_generator(tg_generator *g) {
  if (g == &global) unlock_global();
}

/* Draws with the generator already acquired. */
static uint32_t next_u32(tg_generator *g) {
  return tg_mt19937_next(&g->mt);
}
static uint64_t next_u64(tg_generator *g) {
  uint64_t hi = next_u32(g);
  uint64_t lo = next_u32(g);
  return (hi << 32) | lo;
}

uint32_t tg_generator_random_u32(tg_generator *g) {
  g = acquire(g);
  uint32_t bits = next_u32(g);
  release_generator(g);
  return bits;
}

uint64_t tg_generator_random_u64(tg_generator *g) {
  g = acquire(g);
  uint64_t bits = next_u64(g);
  release_generator(g);
  return bits;
}

uint32_t tg_random_u32(void) {
  return tg_generator_random_u32(NULL);
}
uint64_t tg_random_u64(void) {
  return tg_generator_random_u64(NULL);
}

/* Below, the default generator is held by the public function that fills
 * a tensor (global_lock taken). Uniform [0,1) with the mantissa width of
 * the dtype: 24 random bits for float32, 53 for float64. */
static float uniform_f32(void) {
  return (float)(next_u32(&global) & ((1u << 24) - 1)) * (1.0f / 16777216.0f);
}

static double uniform_f64(void) {
  return (double)(next_u64(&global) & ((1ull << 53) - 1)) * (1.0 / 9007199254740992.0);
}

void tg_bernoulli_draws(uint8_t *keep, int64_t n, double prob) {
  enum { WORDS = 512 }; /* twister words per batch: two per draw */
  uint32_t words[WORDS];
  lock_global();
  tg_mt19937 *mt = &default_generator()->mt;
  for (int64_t i = 0; i < n; i += WORDS / 2) {
    int64_t draws = n - i < WORDS / 2 ? n - i : WORDS / 2;
    tg_mt19937_fill(mt, words, (int)(2 * draws));
    for (int64_t d = 0; d < draws; d++) {
      uint64_t bits = (uint64_t)words[2 * d] << 32 | words[2 * d + 1];
      double u = (double)(bits & ((1ull << 53) - 1)) * (1.0 / 9007199254740992.0);
      keep[i + d] = u < prob; /* uniform_f64's value */
    }
  }
  unlock_global();
}

/* PyTorch's scalar normal sampler (for short or strided tensors); the
 * caller scales it with one fused multiply-add, as PyTorch's kernel does. */
static double normal_f64(void) {
  tg_generator *g = &global;
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

/* float64: PyTorch's scalar normal_fill_16 (std::log, std::cos, ...). */
static void normal_fill_16_double(double *d, double mean, double std) {
  for (int j = 0; j < 8; j++) {
    double u1 = 1 - d[j], u2 = d[j + 8];
    double radius = sqrt(-2 * log(u1));
    double theta = 2.0 * M_PI * u2;
    d[j] = fma(radius * cos(theta), std, mean);
    d[j + 8] = fma(radius * sin(theta), std, mean);
  }
}

/* float32: PyTorch's AVX2 kernel (normal_fill_16_AVX2), whose log and
 * sincos are avx_mathfun's Cephes polynomials (log256_ps, sincos256_ps),
 * not libm's (nor SLEEF's). Here one lane at a time, with the fused
 * multiply-adds where GCC fused them in PyTorch's build: the draws are bit
 * for bit torch.randn's (tests/golden/random_normal.py). */
static float float_of_bits(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}
static uint32_t bits_of_float(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

static float cephes_logf(float x) {
  x = fmaxf(x, float_of_bits(0x00800000)); /* no denormals */
  float e = (float)((int32_t)(bits_of_float(x) >> 23) - 0x7f) + 1.0f;
  x = float_of_bits((bits_of_float(x) & ~0x7f800000u) |
                    bits_of_float(0.5f)); /* [0.5, 1) */
  bool small = x < 0.707106781186547524f;
  float twice = small ? x : 0.0f;
  x = x - 1.0f;
  e = e - (small ? 1.0f : 0.0f);
  x = x + twice;
  static const float p[9] = {7.0376836292E-2f,  -1.1514610310E-1f, 1.1676998740E-1f,
                             -1.2420140846E-1f, 1.4249322787E-1f,  -1.6668057665E-1f,
                             2.0000714765E-1f,  -2.4999993993E-1f, 3.3333331174E-1f};
  float z = x * x, y = p[0];
  for (int k = 1; k < 9; k++) y = fmaf(y, x, p[k]);
  y = fmaf(y * x, z, e * -2.12194440e-4f);
  y = fmaf(z, -0.5f, y);
  return fmaf(e, 0.693359375f, x + y);
}

static void cephes_sincosf(float x, float *sin_out, float *cos_out) {
  uint32_t sign_sin = bits_of_float(x) & 0x80000000u;
  x = fabsf(x);
  int32_t octant = ((int32_t)(x * 1.27323954473516f) + 1) & ~1; /* 4 / pi */
  float y = (float)octant;
  sign_sin ^= (uint32_t)(octant & 4) << 29;
  uint32_t sign_cos = (uint32_t)(~(octant - 2) & 4) << 29;
  bool sin_poly_is_sin = (octant & 2) == 0;
  x = fmaf(y, -0.78515625f, x); /* x - y pi/4 in three parts */
  x = fmaf(y, -2.4187564849853515625e-4f, x);
  x = fmaf(y, -3.77489497744594108e-8f, x);
  float z = x * x;
  float c = fmaf(fmaf(2.443315711809948E-005f, z, -1.388731625493765E-003f), z,
                 4.166664568298827E-002f);
  c = fmaf(c * z, z, -(z * 0.5f)) + 1.0f;
  float s = fmaf(fmaf(-1.9515295891E-4f, z, 8.3321608736E-3f), z, -1.6666654611E-1f);
  s = fmaf(s * z, x, x);
  *sin_out = float_of_bits(bits_of_float(sin_poly_is_sin ? s : c) ^ sign_sin);
  *cos_out = float_of_bits(bits_of_float(sin_poly_is_sin ? c : s) ^ sign_cos);
}

static void normal_fill_16_float(float *d, double mean, double std) {
  for (int j = 0; j < 8; j++) {
    float u1 = 1.0f - d[j], u2 = d[j + 8];
    float radius = sqrtf(-2.0f * cephes_logf(u1));
    float s, c;
    cephes_sincosf((float)(2.0 * M_PI) * u2, &s, &c);
    d[j] = fmaf(radius * c, (float)std, (float)mean);
    d[j + 8] = fmaf(radius * s, (float)std, (float)mean);
  }
}

NORMAL_FILL(float, normal_fill_f32, uniform_f32)
NORMAL_FILL(double, normal_fill_f64, uniform_f64)

/* from + u * (to - from) as one fused multiply-add in the tensor's dtype,
 * which is what PyTorch's kernel (built with FMA) computes. */
void tg_uniform_(tg_tensor *t, double low, double high) {
  tg_check_floating("tg_uniform_", t);
  bool record = tg_inplace_prepare("tg_uniform_", t, NULL);
  int64_t n = tg_numel(t);
  acquire(NULL);
  if (t->dtype == TG_FLOAT32) {
    float from = (float)low, to = (float)high;
    for (int64_t i = 0; i < n; i++)
      *(float *)tg_flat_ptr(t, i) = fmaf(uniform_f32(), to - from, from);
  } else {
    for (int64_t i = 0; i < n; i++)
      *(double *)tg_flat_ptr(t, i) = fma(uniform_f64(), high - low, low);
  }
  release_generator(&global);
  tg_bump_version(t);
  if (record) tg_inplace_record(&tg_op_uniform_inplace, t, NULL);
}

void tg_normal_(tg_tensor *t, double mean, double std) {
  tg_check_floating("tg_normal_", t);
  if (std < 0) tg_error("tg_normal_: std must be non-negative, got %g", std);
  bool record = tg_inplace_prepare("tg_normal_", t, NULL);
  int64_t n = tg_numel(t);
  acquire(NULL);
  if (n >= 16 && tg_is_contiguous(t)) {
    if (t->dtype == TG_FLOAT32)
      normal_fill_f32((float *)tg_ptr(t), n, mean, std);
    else
      normal_fill_f64((double *)tg_ptr(t), n, mean, std);
  } else {
    for (int64_t i = 0; i < n; i++)
      tg_store(tg_flat_ptr(t, i), t->dtype, fma(normal_f64(), std, mean));
  }
  release_generator(&global);
  tg_bump_version(t);
  if (record) tg_inplace_record(&tg_op_normal_inplace, t, NULL);
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
  tg_generator *g = acquire(NULL);
  for (int64_t i = 0; i < n; i++) {
    uint64_t bits = range >= (1ull << 32) ? next_u64(g) : next_u32(g);
    data[i] = (int64_t)((bits % range) + (uint64_t)low); /* wraps, never overflows */
  }
  release_generator(g);
  return t;
}

/* PyTorch's CPU randperm: a Fisher-Yates pass from the front, one 32-bit
 * draw per position. */
void tg_randperm_into(tg_generator *g, int64_t n, int64_t *out) {
  for (int64_t i = 0; i < n; i++) out[i] = i;
  g = acquire(g);
  for (int64_t i = 0; i + 1 < n; i++) {
    int64_t z = (int64_t)(next_u32(g) % (uint64_t)(n - i));
    int64_t saved = out[i];
    out[i] = out[z + i];
    out[z + i] = saved;
  }
  release_generator(g);
}

tg_tensor *tg_randperm(int64_t n) {
  if (n < 0) tg_error("tg_randperm: n must be non-negative, got %lld", (long long)n);
  tg_tensor *t = tg_alloc(TG_SHAPE(n), TG_INT64);
  tg_randperm_into(NULL, n, (int64_t *)t->storage->data);
  return t;
}
