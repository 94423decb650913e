/* softmax and log_softmax along one dim, numerically stable: the line's
 * maximum is subtracted before exponentiating. Along the last dim they
 * round as PyTorch's CPU kernels, bit for bit (ops/softmax_loops.inc);
 * along another dim they compute in double and round once. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/vector_math.h" /* SLEEF's expf, which ATen's kernels call */
#include "ops/ops.h"

/* ATen's Vectorized lanes on the CPU capability PyTorch picks on x86-64
 * machines with AVX2 (AVX2 also on AVX-512 CPUs: torch.__config__.show()
 * says "CPU capability usage: AVX2"); they set the order of its sums. */
enum { LANES_f32 = 8, LANES_f64 = 4 };
/* rows whose exponentials run as one loop */
enum { SM_BLOCK = 32 };

/* SLEEF's logf (Sleef_logf8_u10, 1.0 ulp, its AVX2 code): d = m 2^e with
 * m in [0.75, 1.5), log(m) = 2 atanh((m - 1) / (m + 1)) with the quotient
 * and the sum kept in two floats (SLEEF's df.h with fused multiply-adds),
 * e log(2) in two floats. Called once per row, on a sum >= 1. */
static inline float sleef_log_f32(float d) {
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

static inline double double_of_bits(uint64_t u) {
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}
static inline uint64_t bits_of_double(double d) {
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  return u;
}

/* c0 + x (c1 + x (...)) as SLEEF's estrin.h evaluates its polynomials: in
 * pairs, then pairs of pairs, with the powers x2, x4, x8 */
#define POLY2(x, c1, c0) fma(x, c1, c0)
#define POLY3(x, x2, c2, c1, c0) fma(x2, c2, fma(x, c1, c0))
#define POLY4(x, x2, c3, c2, c1, c0) fma(x2, fma(x, c3, c2), fma(x, c1, c0))
#define POLY7(x, x2, x4, c6, c5, c4, c3, c2, c1, c0)                                     \
  fma(x4, POLY3(x, x2, c6, c5, c4), POLY4(x, x2, c3, c2, c1, c0))
#define POLY8(x, x2, x4, c7, c6, c5, c4, c3, c2, c1, c0)                                 \
  fma(x4, POLY4(x, x2, c7, c6, c5, c4), POLY4(x, x2, c3, c2, c1, c0))
#define POLY10(x, x2, x4, x8, c9, c8, c7, c6, c5, c4, c3, c2, c1, c0)                    \
  fma(x8, POLY2(x, c9, c8), POLY8(x, x2, x4, c7, c6, c5, c4, c3, c2, c1, c0))

/* 2^q for an integer-valued q in the normal range */
static inline double pow2_f64(double q) {
  return double_of_bits(bits_of_double(q + (1023.0 + 0x1p52)) << 52);
}

/* SLEEF's exp (Sleef_expd4_u10, 1.0 ulp, its FMA code): x = q ln2 + s, e^s
 * by a degree-12 polynomial, times 2^q in two halves; 0 below -1000, inf
 * above 709.78, NaN for NaN. Written with selects on bits and no
 * conversion to int, so the AVX2 and AVX-512 copies vectorise it. */
static inline double sleef_exp_f64(double d) {
  const double top = 709.78271114955742909217217426;
  uint64_t b = bits_of_double(d);
  bool nan = d != d, big = d > top, small = d < -1000;
  uint64_t keep = 0 - (uint64_t) !(nan | big | small);
  double c = double_of_bits(b & keep); /* 0 where the result is fixed */
  double q = (c * 1.442695040888963407359924681001892137426645954152985934135449406931 +
              0x1.8p52) -
             0x1.8p52; /* rint */
  double s = fma(q, -.69314718055966295651160180568695068359375, c);
  s = fma(q, -.28235290563031577122588448175013436025525412068e-12, s);
  double s2 = s * s, s4 = s2 * s2, s8 = s4 * s4;
  double u = POLY10(s, s2, s4, s8, +0.2081276378237164457e-8, +0.2511210703042288022e-7,
                    +0.2755762628169491192e-6, +0.2755723402025388239e-5,
                    +0.2480158687479686264e-4, +0.1984126989855865850e-3,
                    +0.1388888888914497797e-2, +0.8333333333314938210e-2,
                    +0.4166666666666602598e-1, +0.1666666666666669072e+0);
  u = fma(u, s, 0.5);
  u = fma(u, s, 1.0);
  u = fma(u, s, 1.0);
  double half = floor(q * 0.5);
  u = u * pow2_f64(half) * pow2_f64(q - half);
  uint64_t fixed = nan ? b : big ? 0x7ff0000000000000u : 0; /* NaN, inf, 0 */
  return double_of_bits((bits_of_double(u) & keep) | (fixed & ~keep));
}

/* SLEEF's log (Sleef_logd4_u10, 1.0 ulp, its AVX2 code): as logf above in
 * two doubles, the series by a degree-7 polynomial in x^2. */
static inline double sleef_log_f64(double d) {
  typedef struct {
    double x, y;
  } dd;
  bool tiny = d < DBL_MIN; /* subnormal: scaled by 2^128 first */
  double ds = tiny ? d * 0x1p128 : d;
  int e = (int)((bits_of_double(ds * (1.0 / 0.75)) >> 52) & 0x7ff) - 0x3ff;
  double m = double_of_bits(bits_of_double(ds) + ((uint64_t)(int64_t)-e << 52));
  double ef = (double)(tiny ? e - 128 : e);
  dd n = {-1.0 + m, 0}, den = {1.0 + m, 0};
  double v = n.x - -1.0;
  n.y = (-1.0 - (n.x - v)) + (m - v);
  v = den.x - 1.0;
  den.y = (1.0 - (den.x - v)) + (m - v);
  double t = 1.0 / den.x, qx = n.x * t, u = fma(t, n.x, -qx);
  double qy = fma(qx, fma(-den.y, t, fma(-den.x, t, 1.0)), fma(n.y, t, u));
  double x2 = qx * qx, x4 = x2 * x2, x8 = x4 * x4;
  double p =
      POLY7(x2, x4, x8, 0.1532076988502701353e+0, 0.1525629051003428716e+0,
            0.1818605932937785996e+0, 0.2222214519839380009e+0, 0.2857142932794299317e+0,
            0.3999999999635251990e+0, 0.6666666666667333541e+0);
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

/* the kernels' exp by type suffix */
static inline float sleef_exp_f32(float x) {
  return tg_nn_exp_f32(x);
}

#define TG_TEMPLATE "ops/softmax_loops.inc"
#include "tensor/for_float_types.inc"
#undef TG_TEMPLATE

/* Rows of the last dim as a job for the threads, which take whole rows. */
typedef struct lastdim_job {
  tg_dtype dtype;
  const void *x, *g; /* forward: the input; backward: y and its gradient g */
  void *out;
  int64_t len;
  bool log_space;
} lastdim_job;

static void lastdim_part(int64_t begin, int64_t end, void *arg) {
  const lastdim_job *j = arg;
  int64_t at = begin * j->len;
  if (j->dtype == TG_FLOAT32)
    lastdim_rows_f32((const float *)j->x + at, (float *)j->out + at, end - begin, j->len,
                     j->log_space);
  else
    lastdim_rows_f64((const double *)j->x + at, (double *)j->out + at, end - begin,
                     j->len, j->log_space);
}

static void lastdim_grad_part(int64_t begin, int64_t end, void *arg) {
  const lastdim_job *j = arg;
  int64_t at = begin * j->len;
  if (j->dtype == TG_FLOAT32)
    lastdim_grad_rows_f32((const float *)j->g + at, (const float *)j->x + at,
                          (float *)j->out + at, end - begin, j->len, j->log_space);
  else
    lastdim_grad_rows_f64((const double *)j->g + at, (const double *)j->x + at,
                          (double *)j->out + at, end - begin, j->len, j->log_space);
}

void tg_softmax_rows(tg_dtype dtype, const void *x, void *y, int64_t rows, int64_t len,
                     bool log_space) {
  if (rows * len == 0) return;
  lastdim_job j = {.dtype = dtype, .x = x, .out = y, .len = len, .log_space = log_space};
  tg_parallel_items(rows, len, lastdim_part, &j);
}

void tg_softmax_grad_rows(tg_dtype dtype, const void *g, const void *y, void *out,
                          int64_t rows, int64_t len, bool log_space) {
  if (rows * len == 0) return;
  lastdim_job j = {
      .dtype = dtype, .x = y, .g = g, .out = out, .len = len, .log_space = log_space};
  tg_parallel_items(rows, len, lastdim_grad_part, &j);
}

/* The lines along `dim` of contiguous `in`: outer x len x inner. */
typedef struct softmax_lines {
  const char *src;
  char *dst;
  tg_dtype dtype;
  int64_t len, inner;
  bool log_space;
  double *scratch; /* len doubles per slot: a line's exponentials */
} softmax_lines;

/* The line through position o * inner + i, its exponentials computed once
 * and kept in double in e for the division. */
static void softmax_line(const softmax_lines *l, int64_t o, int64_t i, double *e) {
  int64_t len = l->len, inner = l->inner, elem = (int64_t)tg_dtype_size(l->dtype);
  int64_t base = o * len * inner + i;
  double max = -INFINITY, sum = 0;
  for (int64_t k = 0; k < len; k++) {
    double v = tg_load(l->src + (base + k * inner) * elem, l->dtype);
    if (v > max || v != v) max = v;
  }
  /* an inf maximum gives NaN (inf - inf), as PyTorch's kernel does */
  for (int64_t k = 0; k < len; k++) {
    e[k] = tg_load(l->src + (base + k * inner) * elem, l->dtype) - max;
    if (!l->log_space) e[k] = exp(e[k]);
    sum += l->log_space ? exp(e[k]) : e[k];
  }
  double log_sum = log(sum);
  for (int64_t k = 0; k < len; k++) {
    double v = l->log_space ? e[k] - log_sum : e[k] / sum;
    tg_store(l->dst + (base + k * inner) * elem, l->dtype, v);
  }
}

/* The lines through positions [begin, end) of outer x inner. */
static void softmax_part(int64_t begin, int64_t end, int slot, void *arg) {
  const softmax_lines *l = arg;
  double *e = l->scratch + slot * l->len;
  for (int64_t p = begin; p < end; p++) softmax_line(l, p / l->inner, p % l->inner, e);
}

/* Runs over every line along `dim` of contiguous `in`, writing `out`; the
 * threads take whole lines, each with its own line buffer. */
static void run_softmax_lines(const char *name, const tg_tensor *in, tg_tensor *out,
                              int dim, bool log_space) {
  softmax_lines l = {.src = tg_ptr(in),
                     .dst = tg_ptr(out),
                     .dtype = in->dtype,
                     .len = in->ndim ? in->shape[dim] : 1,
                     .inner = 1,
                     .log_space = log_space};
  int64_t outer = 1;
  for (int i = 0; i < dim; i++) outer *= in->shape[i];
  for (int i = dim + 1; i < in->ndim; i++) l.inner *= in->shape[i];
  if (dim >= in->ndim - 1) { /* the last dim: ATen's lastdim kernels */
    tg_softmax_rows(in->dtype, tg_ptr(in), tg_ptr(out), outer, l.len, log_space);
    return;
  }
  if (outer * l.inner == 0) return;
  int slots = tg_parallel_threads();
  l.scratch = tg_scratch_alloc(name, slots * l.len, sizeof(double));
  tg_parallel_items_slots(outer * l.inner, l.len, slots, softmax_part, &l);
  free(l.scratch);
}

typedef struct softmax_args {
  int dim;
} softmax_args;

/* Both ops save their output, which their backward reads. */
static tg_tensor *softmax_forward(const char *name, const tg_op *op, tg_tensor *t,
                                  int dim, bool log_space) {
  tg_check_floating(name, t);
  int d = tg_wrap_dim(name, dim, t->ndim);
  tg_scope_begin();
  tg_tensor *out = tg_alloc(tg_shape_of(t), t->dtype);
  run_softmax_lines(name, tg_contiguous(t), out, d, log_space);
  tg_node *node = tg_record(op, out, 1, &t);
  if (node) {
    ((softmax_args *)tg_node_args(node))->dim = d;
    tg_save_output(node, out);
  }
  return tg_scope_return(out);
}

/* The fused backward along the last dim: one pass over the rows, as ATen's
 * kernel. False for another dim (the composite backward takes it). */
static bool lastdim_backward(tg_node *node, tg_tensor *g, tg_tensor **grads,
                             bool log_space) {
  const softmax_args *a = tg_node_args(node);
  tg_tensor *y = tg_saved_output(node);
  if (a->dim < y->ndim - 1) return false;
  g = tg_contiguous(tg_to(g, y->dtype));
  tg_tensor *out = tg_alloc(tg_shape_of(y), y->dtype);
  int64_t len = y->ndim ? y->shape[y->ndim - 1] : 1, n = tg_numel(y);
  if (n)
    tg_softmax_grad_rows(y->dtype, tg_ptr(g), tg_ptr(y), tg_ptr(out), n / len, len,
                         log_space);
  grads[0] = out;
  return true;
}

/* ---- softmax; its gradient is y * (g - sum(g * y)) ---- */

static void softmax_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  const softmax_args *a = tg_node_args(node);
  tg_tensor *y = tg_saved_output(node);
  tg_tensor *dot = tg_sum(tg_mul(g, y), TG_DIMS(a->dim), true);
  grads[0] = tg_mul(y, tg_sub(g, dot));
}

static void softmax_backward_fused(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  if (!lastdim_backward(node, g, grads, false)) softmax_backward(node, g, grads);
}

const tg_op tg_op_softmax = {.name = "softmax",
                             .backward = softmax_backward,
                             .backward_fused = softmax_backward_fused,
                             .args_size = sizeof(softmax_args)};

tg_tensor *tg_softmax(tg_tensor *t, int dim) {
  return softmax_forward("tg_softmax", &tg_op_softmax, t, dim, false);
}

/* ---- log_softmax; its gradient is g - exp(y) * sum(g) ---- */

static void log_softmax_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  const softmax_args *a = tg_node_args(node);
  tg_tensor *y = tg_saved_output(node);
  grads[0] = tg_sub(g, tg_mul(tg_exp(y), tg_sum(g, TG_DIMS(a->dim), true)));
}

static void log_softmax_backward_fused(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  if (!lastdim_backward(node, g, grads, true)) log_softmax_backward(node, g, grads);
}

const tg_op tg_op_log_softmax = {.name = "log_softmax",
                                 .backward = log_softmax_backward,
                                 .backward_fused = log_softmax_backward_fused,
                                 .args_size = sizeof(softmax_args)};

tg_tensor *tg_log_softmax(tg_tensor *t, int dim) {
  return softmax_forward("tg_log_softmax", &tg_op_log_softmax, t, dim, true);
}
