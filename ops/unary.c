/* Unary elementwise ops, each forward next to its backward. The backward
 * formulas use tensorgrad's own ops, so they can be differentiated again. */
#include <math.h>
#include <stdio.h>

#include "ops/ops.h"

/* Extra arguments a kernel may read (slope, bounds, exponent). */
typedef struct unary_args {
  double c0, c1;
} unary_args;

#define UNARY_LOOP(name, T, EXPR)                                                        \
  static void name(char **p, const int64_t *s, int64_t n, void *ctx) {                   \
    const unary_args *args = ctx;                                                        \
    const T c0 = (T)args->c0, c1 = (T)args->c1;                                          \
    (void)c0;                                                                            \
    (void)c1;                                                                            \
    const int64_t w = (int64_t)sizeof(T);                                                \
    if (s[0] == w && s[1] == w) {                                                        \
      T *restrict o = (T *)p[0];                                                         \
      const T *in = (const T *)p[1];                                                     \
      for (int64_t i = 0; i < n; i++) {                                                  \
        T x = in[i];                                                                     \
        o[i] = (EXPR);                                                                   \
      }                                                                                  \
      return;                                                                            \
    }                                                                                    \
    for (int64_t i = 0; i < n; i++) {                                                    \
      T x = *(const T *)(p[1] + i * s[1]);                                               \
      *(T *)(p[0] + i * s[0]) = (EXPR);                                                  \
    }                                                                                    \
  }

typedef struct unary_kernel {
  const char *name;
  tg_loop_fn loops[4]; /* by dtype; NULL: compute in float32 */
} unary_kernel;

/* float and double versions; F is the float spelling of the math call */
#define FLOAT_KERNEL(op, EXPR_F, EXPR_D)                                                 \
  UNARY_LOOP(op##_f32, float, EXPR_F)                                                    \
  UNARY_LOOP(op##_f64, double, EXPR_D)                                                   \
  static const unary_kernel op##_kernel = {#op, {NULL, NULL, op##_f32, op##_f64}};

#define ANY_KERNEL(op, EXPR)                                                             \
  UNARY_LOOP(op##_f32, float, EXPR)                                                      \
  UNARY_LOOP(op##_f64, double, EXPR)                                                     \
  UNARY_LOOP(op##_i64, int64_t, EXPR)                                                    \
  static const unary_kernel op##_kernel = {#op, {NULL, op##_i64, op##_f32, op##_f64}};

ANY_KERNEL(neg, -x)
ANY_KERNEL(abs, x < 0 ? -x : x)
ANY_KERNEL(relu, x > 0 ? x : 0)
ANY_KERNEL(clamp, x < c0 ? c0 : (x > c1 ? c1 : x))
FLOAT_KERNEL(exp, expf(x), exp(x))
FLOAT_KERNEL(log, logf(x), log(x))
FLOAT_KERNEL(log1p, log1pf(x), log1p(x))
FLOAT_KERNEL(sqrt, sqrtf(x), sqrt(x))
FLOAT_KERNEL(sigmoid, 1.0f / (1.0f + expf(-x)), 1.0 / (1.0 + exp(-x)))
FLOAT_KERNEL(tanh, tanhf(x), tanh(x))
FLOAT_KERNEL(leaky_relu, x > 0 ? x : x * c0, x > 0 ? x : x * c0)
FLOAT_KERNEL(pow_scalar, powf(x, c0), pow(x, c0))

static tg_tensor *unary_forward(const unary_kernel *k, const tg_op *op, tg_tensor *a,
                                unary_args args) {
  tg_dtype dt = a->dtype == TG_BOOL ? TG_INT64 : a->dtype;
  if (!k->loops[dt]) dt = TG_FLOAT32;
  if (dt != a->dtype) {
    tg_scope_begin();
    tg_tensor *out = unary_forward(k, op, tg_to(a, dt), args);
    return tg_scope_return(out);
  }
  tg_tensor *out = tg_alloc(tg_shape_of(a), dt);
  tg_tensor *ops[2] = {out, a};
  tg_run_elementwise(tg_shape_of(a), 2, ops, k->loops[dt], &args);
  tg_node *node = tg_record(op, out, 1, &a);
  if (node) *(unary_args *)tg_node_args(node) = args;
  return out;
}

#define X(node) tg_node_input(node, 0)
#define MASK(node, t) tg_to(t, X(node)->dtype) /* bool -> 0/1 of x's dtype */

/* ---- fused backwards ----
 * Without create_graph a backward's result is never differentiated, so
 * the common activations compute it in one pass instead of three ops (and
 * three temporaries). The arithmetic is the composite's, in its order, so
 * the result is the same; with create_graph the composite runs, recorded.
 * ReLU's masks like PyTorch's threshold_backward, where(y > 0, g, 0): a
 * select the compiler vectorises (g x 0 would give -0 or NaN there). */
#define GRAD_LOOP(name, T, EXPR)                                                         \
  static TG_SIMD void name(char **p, const int64_t *s, int64_t n, void *ctx) {           \
    (void)ctx;                                                                           \
    if (s[0] == sizeof(T) && s[1] == sizeof(T) && s[2] == sizeof(T)) { /* vectorised */  \
      T *restrict out = (T *)p[0];                                                       \
      const T *restrict gs = (const T *)p[1], *restrict ys = (const T *)p[2];            \
      for (int64_t i = 0; i < n; i++) {                                                  \
        T g = gs[i], y = ys[i];                                                          \
        out[i] = (EXPR);                                                                 \
      }                                                                                  \
      return;                                                                            \
    }                                                                                    \
    for (int64_t i = 0; i < n; i++) {                                                    \
      T g = *(const T *)(p[1] + i * s[1]), y = *(const T *)(p[2] + i * s[2]);            \
      *(T *)(p[0] + i * s[0]) = (EXPR);                                                  \
    }                                                                                    \
  }
GRAD_LOOP(relu_grad_f32, float, y > 0 ? g : 0.0f)
GRAD_LOOP(relu_grad_f64, double, y > 0 ? g : 0.0)
GRAD_LOOP(sigmoid_grad_f32, float, g *(y *(1.0f - y)))
GRAD_LOOP(sigmoid_grad_f64, double, g *(y *(1.0 - y)))

/* g (op) y elementwise in one pass, or NULL when the composite must run. */
static tg_tensor *fused_grad(tg_tensor *g, tg_tensor *y, tg_loop_fn f32, tg_loop_fn f64) {
  if (g->dtype != y->dtype || !tg_is_floating(g->dtype) ||
      !tg_shape_equal(tg_shape_of(g), tg_shape_of(y)))
    return NULL;
  tg_tensor *out = tg_alloc(tg_shape_of(g), g->dtype);
  tg_tensor *ops[3] = {out, g, y};
  tg_run_elementwise(tg_shape_of(g), 3, ops, g->dtype == TG_FLOAT32 ? f32 : f64, NULL);
  return out;
}

static void neg_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = tg_neg(g);
}

static void exp_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = tg_mul(g, tg_saved_output(node));
}

static void log_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = tg_div(g, X(node));
}

static void log1p_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = tg_div(g, tg_add_scalar(X(node), 1));
}

static void sqrt_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = tg_div(g, tg_mul_scalar(tg_saved_output(node), 2));
}

static void abs_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *x = X(node);
  tg_tensor *sign =
      tg_sub(MASK(node, tg_gt_scalar(x, 0)), MASK(node, tg_lt_scalar(x, 0)));
  grads[0] = tg_mul(g, sign);
}

/* sigmoid' = y (1 - y) */
static void sigmoid_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *y = tg_saved_output(node);
  grads[0] = tg_mul(g, tg_mul(y, tg_rsub_scalar(y, 1)));
}

static void sigmoid_backward_fused(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = fused_grad(g, tg_saved_output(node), sigmoid_grad_f32, sigmoid_grad_f64);
  if (!grads[0]) sigmoid_backward(node, g, grads);
}

/* tanh' = 1 - y^2 */
static void tanh_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *y = tg_saved_output(node);
  grads[0] = tg_mul(g, tg_rsub_scalar(tg_mul(y, y), 1));
}

static void relu_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *y = tg_saved_output(node);
  grads[0] = tg_mul(g, MASK(node, tg_gt_scalar(y, 0)));
}

static void relu_backward_fused(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = fused_grad(g, tg_saved_output(node), relu_grad_f32, relu_grad_f64);
  if (!grads[0]) relu_backward(node, g, grads);
}

static void leaky_relu_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  double slope = ((const unary_args *)tg_node_args(node))->c0;
  tg_tensor *positive = MASK(node, tg_gt_scalar(X(node), 0));
  grads[0] = tg_mul(g, tg_add_scalar(tg_mul_scalar(positive, 1 - slope), slope));
}

/* the gradient passes where min <= x <= max, as in PyTorch */
static void clamp_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *x = X(node);
  const unary_args *bounds = tg_node_args(node);
  tg_tensor *inside = tg_mul(MASK(node, tg_ge_scalar(x, bounds->c0)),
                             MASK(node, tg_le_scalar(x, bounds->c1)));
  grads[0] = tg_mul(g, inside);
}

static void pow_scalar_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  double p = ((const unary_args *)tg_node_args(node))->c0;
  if (p == 0) {
    grads[0] = tg_zeros_like(X(node));
    return;
  }
  grads[0] = tg_mul(g, tg_mul_scalar(tg_pow_scalar(X(node), p - 1), p));
}

const tg_op tg_op_neg = {
    .name = "neg", .backward = neg_backward, .args_size = sizeof(unary_args)};
const tg_op tg_op_exp = {
    .name = "exp", .backward = exp_backward, .args_size = sizeof(unary_args)};
const tg_op tg_op_log = {
    .name = "log", .backward = log_backward, .args_size = sizeof(unary_args)};
const tg_op tg_op_log1p = {
    .name = "log1p", .backward = log1p_backward, .args_size = sizeof(unary_args)};
const tg_op tg_op_sqrt = {
    .name = "sqrt", .backward = sqrt_backward, .args_size = sizeof(unary_args)};
const tg_op tg_op_abs = {
    .name = "abs", .backward = abs_backward, .args_size = sizeof(unary_args)};
const tg_op tg_op_sigmoid = {.name = "sigmoid",
                             .backward = sigmoid_backward,
                             .backward_fused = sigmoid_backward_fused,
                             .args_size = sizeof(unary_args)};
const tg_op tg_op_tanh = {
    .name = "tanh", .backward = tanh_backward, .args_size = sizeof(unary_args)};
const tg_op tg_op_relu = {.name = "relu",
                          .backward = relu_backward,
                          .backward_fused = relu_backward_fused,
                          .args_size = sizeof(unary_args)};
const tg_op tg_op_leaky_relu = {.name = "leaky_relu",
                                .backward = leaky_relu_backward,
                                .args_size = sizeof(unary_args)};
const tg_op tg_op_clamp = {
    .name = "clamp", .backward = clamp_backward, .args_size = sizeof(unary_args)};
const tg_op tg_op_pow_scalar = {.name = "pow_scalar",
                                .backward = pow_scalar_backward,
                                .args_size = sizeof(unary_args)};

static const unary_args no_args = {0, 0};

tg_tensor *tg_neg(tg_tensor *a) {
  return unary_forward(&neg_kernel, &tg_op_neg, a, no_args);
}
tg_tensor *tg_log(tg_tensor *a) {
  return unary_forward(&log_kernel, &tg_op_log, a, no_args);
}
tg_tensor *tg_log1p(tg_tensor *a) {
  return unary_forward(&log1p_kernel, &tg_op_log1p, a, no_args);
}
tg_tensor *tg_abs(tg_tensor *a) {
  return unary_forward(&abs_kernel, &tg_op_abs, a, no_args);
}

/* Ops whose backward reads the output save it (without a reference
 * cycle: see tg_save_output). */
static tg_tensor *saving_output(tg_tensor *out) {
  if (out->grad_fn) tg_save_output(out->grad_fn, out);
  return out;
}

tg_tensor *tg_exp(tg_tensor *a) {
  return saving_output(unary_forward(&exp_kernel, &tg_op_exp, a, no_args));
}
tg_tensor *tg_sqrt(tg_tensor *a) {
  return saving_output(unary_forward(&sqrt_kernel, &tg_op_sqrt, a, no_args));
}
tg_tensor *tg_sigmoid(tg_tensor *a) {
  return saving_output(unary_forward(&sigmoid_kernel, &tg_op_sigmoid, a, no_args));
}
tg_tensor *tg_tanh(tg_tensor *a) {
  return saving_output(unary_forward(&tanh_kernel, &tg_op_tanh, a, no_args));
}
tg_tensor *tg_relu(tg_tensor *a) {
  return saving_output(unary_forward(&relu_kernel, &tg_op_relu, a, no_args));
}
tg_tensor *tg_leaky_relu(tg_tensor *a, double negative_slope) {
  return unary_forward(&leaky_relu_kernel, &tg_op_leaky_relu, a,
                       (unary_args){negative_slope, 0});
}
tg_tensor *tg_clamp(tg_tensor *a, double min, double max) {
  if (min > max)
    tg_error("tg_clamp: min (%g) must not be greater than max (%g)", min, max);
  if (!tg_is_floating(a->dtype)) { /* keep the bounds representable in int64 */
    min = fmax(min, -9.2e18);
    max = fmin(max, 9.2e18);
  }
  return unary_forward(&clamp_kernel, &tg_op_clamp, a, (unary_args){min, max});
}
tg_tensor *tg_pow_scalar(tg_tensor *a, double exponent) {
  return unary_forward(&pow_scalar_kernel, &tg_op_pow_scalar, a,
                       (unary_args){exponent, 0});
}
