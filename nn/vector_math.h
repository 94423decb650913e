/* Private to nn/: float32 exp and erf as PyTorch 1.13's vectorised CPU
 * kernels compute them (ATen's Vectorized<float>: exp is SLEEF's
 * Sleef_expf8_u10, erf ATen's own Abramowitz-Stegun 7.1.26 polynomial),
 * one lane at a time with the fused multiply-adds those kernels use.
 * Written without branches, so a loop over them vectorises in the AVX2
 * and AVX-512 copies of a TG_DISPATCHED kernel; the baseline copy calls
 * libm's fmaf, which rounds the same, so every path gives the same bits. */
#ifndef TG_NN_VECTOR_MATH_H
#define TG_NN_VECTOR_MATH_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "tensor/core.h"

static inline float tg_nn_float_of_bits(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}
static inline uint32_t tg_nn_bits_of_float(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

/* cond ? a : b on bit patterns, as masks: GCC 12 keeps a plain select
 * that feeds float arithmetic as a branch, and then does not vectorise */
static inline uint32_t tg_nn_select_bits(bool cond, uint32_t a, uint32_t b) {
  uint32_t mask = 0u - (uint32_t)cond;
  return (a & mask) | (b & ~mask);
}

/* 2^q for q in the normal range */
static inline float tg_nn_pow2i(int32_t q) {
  return tg_nn_float_of_bits((uint32_t)(q + 0x7f) << 23);
}

/* SLEEF's expf (1.0 ulp): x = q ln2 + s, e^s by a degree-7 polynomial,
 * times 2^q in two halves (so that subnormal results come out right); 0
 * below -104, inf above 100, NaN for NaN. */
static inline float tg_nn_exp_f32(float x) {
  const uint32_t hundred = 0x42c80000u, minus_104 = 0xc2d00000u, inf = 0x7f800000u;
  uint32_t b = tg_nn_bits_of_float(x);
  bool big = (b < 0x80000000u) & (b > hundred), small = b > minus_104,
       nan = (b & 0x7fffffffu) > inf;
  uint32_t cb = tg_nn_select_bits(big, hundred, b);
  cb = tg_nn_select_bits(small, minus_104, cb);
  float c = tg_nn_float_of_bits(tg_nn_select_bits(nan, 0u, cb));
  /* q = rint(c / ln2), by the 1.5 * 2^23 trick (rintf would become lrintf) */
  float r = (c * 1.442695040888963407359924681001892137f + 12582912.0f) - 12582912.0f;
  int32_t q = (int32_t)r;
  float s = fmaf(r, -0.693145751953125f, c);
  s = fmaf(r, -1.428606765330187045e-06f, s);
  float u = 0.000198527617612853646278381f;
  u = fmaf(u, s, 0.00139304355252534151077271f);
  u = fmaf(u, s, 0.00833336077630519866943359f);
  u = fmaf(u, s, 0.0416664853692054748535156f);
  u = fmaf(u, s, 0.166666671633720397949219f);
  u = fmaf(u, s, 0.5f);
  u = 1.0f + fmaf(s * s, u, s);
  u = u * tg_nn_pow2i(q >> 1) * tg_nn_pow2i(q - (q >> 1));
  uint32_t ub = tg_nn_select_bits(small, 0u, tg_nn_bits_of_float(u));
  ub = tg_nn_select_bits(big, inf, ub);
  return tg_nn_float_of_bits(tg_nn_select_bits(nan, b, ub));
}

/* ATen's erf: sign(x) (1 - r(t) t exp(-x^2)), t = 1 / (1 + p |x|);
 * absolute error under 1.5e-7. */
static inline float tg_nn_erf_f32(float x) {
  uint32_t sign = tg_nn_bits_of_float(x) & 0x80000000u;
  float a = tg_nn_float_of_bits(tg_nn_bits_of_float(x) ^ sign);
  float t = 1.0f / fmaf(0.3275911f, a, 1.0f);
  float r = fmaf(1.061405429f, t, -1.453152027f);
  r = fmaf(r, t, 1.421413741f);
  r = fmaf(r, t, -0.284496736f);
  r = fmaf(r, t, 0.254829592f);
  float e = -tg_nn_exp_f32(-(x * x));
  float y = fmaf(e * t, r, 1.0f);
  return tg_nn_float_of_bits(tg_nn_bits_of_float(y) ^ sign);
}

/* Cephes' tanhf (about 1 ulp, as SLEEF's Sleef_tanhf8_u10 that ATen
 * uses): an odd polynomial below |x| = 0.625, 1 - 2 / (e^2|x| + 1) above
 * it, both computed and one selected; 1 past |x| = 9, NaN for NaN. */
static inline float tg_nn_tanh_f32(float x) {
  const uint32_t nine = 0x41100000u, switch_point = 0x3f200000u; /* 9, 0.625 */
  uint32_t b = tg_nn_bits_of_float(x), sign = b & 0x80000000u, abs_bits = b ^ sign;
  float z = x * x, p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  float small = p * z * x + x;
  float a = tg_nn_float_of_bits(abs_bits < nine ? abs_bits : nine);
  float large = 1.0f - 2.0f / (tg_nn_exp_f32(2.0f * a) + 1.0f);
  large = tg_nn_float_of_bits(tg_nn_select_bits(abs_bits > nine, 0x3f800000u, /* 1 */
                                                tg_nn_bits_of_float(large)));
  uint32_t y = tg_nn_select_bits(abs_bits < switch_point, tg_nn_bits_of_float(small),
                                 tg_nn_bits_of_float(large) | sign);
  return tg_nn_float_of_bits(tg_nn_select_bits(abs_bits > 0x7f800000u, b, y));
}

/* The float64 exp, tanh and erf of the kernels, so that the *_loops.inc
 * templates name them by type suffix (TG_CAT(tg_nn_exp_, SUFFIX)): libm's,
 * where ATen's Vectorized<double> uses SLEEF's 1-ulp ones. */
static inline double tg_nn_exp_f64(double x) {
  return exp(x);
}
static inline double tg_nn_tanh_f64(double x) {
  return tanh(x);
}
static inline double tg_nn_erf_f64(double x) {
  return erf(x);
}

#endif
