/* test_aten_bits's check of ops/sleef_math.h against libsleef's own AVX2
 * functions (which PyTorch's AVX2 kernels call), over inputs of every
 * exponent. Compiled with -mavx2 -mfma (SLEEF declares its AVX2 functions
 * only then); test_aten_bits calls it only on a CPU with AVX2. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <immintrin.h>
#include <sleef.h>

#include "ops/sleef_math.h"

int64_t tg_test_libsleef_mismatches(int64_t n);

/* Inputs spread over every exponent: a hash's bits as a float or double,
 * every 4th one from the range softmax meets (exp of -100..0, log of
 * 1..1000). */
static uint64_t hash64(uint64_t i) {
  i = (i + 1) * 0x9e3779b97f4a7c15u;
  i ^= i >> 31;
  i *= 0xbf58476d1ce4e5b9u;
  return i ^ (i >> 29);
}

static bool same_bits(const void *a, const void *b, size_t size, bool nan) {
  return nan || memcmp(a, b, size) == 0;
}

/* Mismatches of n inputs through SLEEF's AVX2 functions, 8 floats and 4
 * doubles at a time. */
int64_t tg_test_libsleef_mismatches(int64_t n) {
  int64_t bad = 0;
  for (int64_t i = 0; i < n; i += 8) {
    float xf[8], lf[8], ef[8], gf[8];
    double xd[8], ld[8], ed[8], gd[8];
    for (int j = 0; j < 8; j++) {
      uint64_t h = hash64((uint64_t)(i + j));
      float u = (float)(h >> 40) * 0x1p-24f;
      uint32_t hf = (uint32_t)h;
      memcpy(&xf[j], &hf, sizeof hf);
      memcpy(&xd[j], &h, sizeof h);
      lf[j] = xf[j] < 0 ? -xf[j] : xf[j];
      ld[j] = xd[j] < 0 ? -xd[j] : xd[j];
      if (j % 4 == 0)
        xf[j] = -100 * u, xd[j] = -100 * u, lf[j] = 1 + 999 * u, ld[j] = lf[j];
    }
    _mm256_storeu_ps(ef, Sleef_expf8_u10avx2(_mm256_loadu_ps(xf)));
    _mm256_storeu_ps(gf, Sleef_logf8_u10avx2(_mm256_loadu_ps(lf)));
    for (int h = 0; h < 8; h += 4) {
      _mm256_storeu_pd(ed + h, Sleef_expd4_u10avx2(_mm256_loadu_pd(xd + h)));
      _mm256_storeu_pd(gd + h, Sleef_logd4_u10avx2(_mm256_loadu_pd(ld + h)));
    }
    for (int j = 0; j < 8; j++) {
      float e = tg_sleef_exp_f32(xf[j]), g = tg_sleef_log_f32(lf[j]);
      double e2 = tg_sleef_exp_f64(xd[j]), g2 = tg_sleef_log_f64(ld[j]);
      bad += !same_bits(&e, &ef[j], sizeof e, e != e && ef[j] != ef[j]);
      bad += !same_bits(&g, &gf[j], sizeof g, g != g && gf[j] != gf[j]);
      bad += !same_bits(&e2, &ed[j], sizeof e2, e2 != e2 && ed[j] != ed[j]);
      bad += !same_bits(&g2, &gd[j], sizeof g2, g2 != g2 && gd[j] != gd[j]);
    }
  }
  return bad;
}
