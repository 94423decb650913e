/* Private to ops/: the exp and log of PyTorch 1.13's vectorised CPU
 * kernels (ATen's Vectorized<float> and <double> call SLEEF 3.5's 1.0-ulp
 * Sleef_expf8_u10, Sleef_logf8_u10, Sleef_expd4_u10 and Sleef_logd4_u10 on
 * an AVX2 machine), rewritten from SLEEF's algorithms so that tensorgrad
 * needs no SLEEF: the same operations in the same order with the same fused
 * multiply-adds, so the same bits. Checked against libsleef over every
 * float32 input and 20M float64 ones (bench/README.md), and by
 * tests/test_aten_bits.c against libsleef when it is installed. fma()
 * compiles to one instruction in the AVX2 and AVX-512 copies of a
 * TG_DISPATCHED kernel and to libm's correctly rounded fma in the baseline
 * one, so every path gives the same bits. expf is nn/vector_math.h's. */
#ifndef TG_OPS_SLEEF_MATH_H
#define TG_OPS_SLEEF_MATH_H

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "nn/vector_math.h"

static inline float tg_sleef_exp_f32(float x) {
  return tg_nn_exp_f32(x);
}

/* SLEEF's logf (Sleef_logf8_u10, 1.0 ulp, its AVX2 code): d = m 2^e with
 * m in [0.75, 1.5), log(m) = 2 atanh((m - 1) / (m + 1)) with the quotient
 * and the sum kept in two floats (SLEEF's df.h with fused multiply-adds),
 * e log(2) in two floats. Called once per row, on a sum >= 1. */
static inline float tg_sleef_log_f32(float d) {
  bool tiny = d < FLT_MIN; /* subnormal: scaled by 2^64 first */
  float ds = tiny ? d * 18446744073709551616.0f : d;
  int32_t e = (int32_t)((tg_nn_bits_of_float(ds * (1.0f / 0.75f)) >> 23) & 0xff) - 0x7f;
  float m = tg_nn_float_of_bits(tg_nn_bits_of_float(ds) + ((uint32_t)-e << 23));
  float ef = (float)(tiny ? e - 64 : e);
  /* s = e (L2U + L2L) */
  float sx = 0.69314718246459960938f * ef;
  float sy = fmaf(-1.904654323148236017e-09f, ef, fmaf(0.69314718246459960938f, ef, -sx));
  /* (m - 1) and (m + 1) as two-float sums, their quotient q */
  float nx = -1.0f + m, v = nx - -1.0f, ny = (-1.0f - (nx - v)) + (m - v);
  float dx = 1.0f + m;
  v = dx - 1.0f;
  float dy = (1.0f - (dx - v)) + (m - v);
  float t = 1.0f / dx, qx = nx * t, u = fmaf(t, nx, -qx);
  float qy = fmaf(qx, fmaf(-dy, t, fmaf(-dx, t, 1.0f)), fmaf(ny, t, u));
  float x2 = qx * qx, p = 0.3027294874f;
  p = fmaf(p, x2, 0.3996108174f);
  p = fmaf(p, x2, 0.6666694880f);
  /* s + 2 q + q^3 p, as df.h adds two-float numbers */
  float yx = qx * 2, rx = sx + yx, ry = (((sx - rx) + yx) + sy) + qy * 2;
  float w = (x2 * qx) * p, r = rx + w;
  float rest = ((rx - r) + w) + ry;
  r = r + rest;
  if (ds == INFINITY) r = INFINITY;
  if (ds < 0 || ds != ds) r = NAN;
  if (ds == 0) r = -INFINITY;
  return r;
}

static inline double tg_double_of_bits(uint64_t u) {
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}
static inline uint64_t tg_bits_of_double(double d) {
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  return u;
}

/* c0 + c1 x + c2 x^2 + c3 x^3 as SLEEF's estrin.h evaluates it: in pairs,
 * with x2 = x^2; its longer polynomials pair these with x4 and x8 */
static inline double tg_estrin4(double x, double x2, double c3, double c2, double c1,
                                double c0) {
  return fma(x2, fma(x, c3, c2), fma(x, c1, c0));
}

/* 2^q for an integer-valued q in the normal range */
static inline double tg_pow2_f64(double q) {
  return tg_double_of_bits(tg_bits_of_double(q + (1023.0 + 0x1p52)) << 52);
}

/* SLEEF's exp (Sleef_expd4_u10, 1.0 ulp, its FMA code): x = q ln2 + s, e^s
 * by a degree-12 polynomial, times 2^q in two halves; 0 below -1000, inf
 * above 709.78, NaN for NaN. Written with selects on bits and no
 * conversion to int, so the AVX2 and AVX-512 copies vectorise it. */
static inline double tg_sleef_exp_f64(double d) {
  const double top = 709.78271114955742909217217426;
  uint64_t b = tg_bits_of_double(d);
  bool nan = d != d, big = d > top, small = d < -1000;
  uint64_t keep = 0 - (uint64_t) !(nan | big | small);
  double c = tg_double_of_bits(b & keep); /* 0 where the result is fixed */
  double q = (c * 1.442695040888963407359924681001892137426645954152985934135449406931 +
              0x1.8p52) -
             0x1.8p52; /* rint */
  double s = fma(q, -.69314718055966295651160180568695068359375, c);
  s = fma(q, -.28235290563031577122588448175013436025525412068e-12, s);
  double s2 = s * s, s4 = s2 * s2, s8 = s4 * s4;
  double u =
      fma(s8, fma(s, +0.2081276378237164457e-8, +0.2511210703042288022e-7),
          fma(s4,
              tg_estrin4(s, s2, +0.2755762628169491192e-6, +0.2755723402025388239e-5,
                         +0.2480158687479686264e-4, +0.1984126989855865850e-3),
              tg_estrin4(s, s2, +0.1388888888914497797e-2, +0.8333333333314938210e-2,
                         +0.4166666666666602598e-1, +0.1666666666666669072e+0)));
  u = fma(u, s, 0.5);
  u = fma(u, s, 1.0);
  u = fma(u, s, 1.0);
  double half = floor(q * 0.5);
  u = u * tg_pow2_f64(half) * tg_pow2_f64(q - half);
  uint64_t fixed = nan ? b : big ? 0x7ff0000000000000u : 0; /* NaN, inf, 0 */
  return tg_double_of_bits((tg_bits_of_double(u) & keep) | (fixed & ~keep));
}

/* SLEEF's log (Sleef_logd4_u10, 1.0 ulp, its AVX2 code): as logf above in
 * two doubles, the series by a degree-7 polynomial in x^2. */
static inline double tg_sleef_log_f64(double d) {
  typedef struct {
    double x, y;
  } dd;
  bool tiny = d < DBL_MIN; /* subnormal: scaled by 2^128 first */
  double ds = tiny ? d * 0x1p128 : d;
  int e = (int)((tg_bits_of_double(ds * (1.0 / 0.75)) >> 52) & 0x7ff) - 0x3ff;
  double m = tg_double_of_bits(tg_bits_of_double(ds) + ((uint64_t)(int64_t)-e << 52));
  double ef = (double)(tiny ? e - 128 : e);
  dd n = {-1.0 + m, 0}, den = {1.0 + m, 0};
  double v = n.x - -1.0;
  n.y = (-1.0 - (n.x - v)) + (m - v);
  v = den.x - 1.0;
  den.y = (1.0 - (den.x - v)) + (m - v);
  double t = 1.0 / den.x, qx = n.x * t, u = fma(t, n.x, -qx);
  double qy = fma(qx, fma(-den.y, t, fma(-den.x, t, 1.0)), fma(n.y, t, u));
  double x2 = qx * qx, x4 = x2 * x2, x8 = x4 * x4;
  double p = fma(x8,
                 fma(x4, 0.1532076988502701353e+0,
                     fma(x2, 0.1525629051003428716e+0, 0.1818605932937785996e+0)),
                 tg_estrin4(x2, x4, 0.2222214519839380009e+0, 0.2857142932794299317e+0,
                            0.3999999999635251990e+0, 0.6666666666667333541e+0));
  double sx = 0.693147180559945286226764 * ef;
  double sy =
      fma(2.319046813846299558417771e-17, ef, fma(0.693147180559945286226764, ef, -sx));
  double yx = qx * 2, rx = sx + yx, ry = (((sx - rx) + yx) + sy) + qy * 2;
  double w = x2 * qx * p, r = rx + w;
  double rest = ((rx - r) + w) + ry;
  r = r + rest;
  if (ds == INFINITY) r = INFINITY;
  if (ds < 0 || ds != ds) r = NAN;
  if (ds == 0) r = -INFINITY;
  return r;
}

#endif
