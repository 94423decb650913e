/* Unary elementwise ops, one block each: element functions, backward, op
 * object, public function. The backwards use tensorgrad's own ops, so they
 * can be differentiated again; relu and sigmoid add a one-pass backward
 * for when they are not. */
#include <math.h>
#include <stdio.h>

#include "ops/ops.h"

/* Extra arguments of an op (slope, bounds, exponent), kept on its node. */
typedef struct unary_args {
  double c0, c1;
} unary_args;

#define TG_TEMPLATE "ops/unary_loops.inc"
#include "tensor/for_numeric_types.inc"
#undef TG_TEMPLATE

/* An op's loops by dtype (bool, int64, float32, float64); NULL: the op
 * computes in float32. */
typedef struct unary_kernel {
  tg_loop_fn loops[4];
} unary_kernel;

/* Stamps an op's strided loops from its element functions name_f32,
 * name_f64 (and name_i64), and its kernel. */
#define FLOAT_LOOPS(name)                                                                \
  static void name##_loop_f32(char **p, const int64_t *s, int64_t n, void *args) {       \
    unary_map_f32(p, s, n, args, name##_f32);                                            \
  }                                                                                      \
  static void name##_loop_f64(char **p, const int64_t *s, int64_t n, void *args) {       \
    unary_map_f64(p, s, n, args, name##_f64);                                            \
  }                                                                                      \
  static const unary_kernel name##_kernel = {                                            \
      {NULL, NULL, name##_loop_f32, name##_loop_f64}};
#define ANY_LOOPS(name)                                                                  \
  static void name##_loop_i64(char **p, const int64_t *s, int64_t n, void *args) {       \
    unary_map_i64(p, s, n, args, name##_i64);                                            \
  }                                                                                      \
  static void name##_loop_f32(char **p, const int64_t *s, int64_t n, void *args) {       \
    unary_map_f32(p, s, n, args, name##_f32);                                            \
  }                                                                                      \
  static void name##_loop_f64(char **p, const int64_t *s, int64_t n, void *args) {       \
    unary_map_f64(p, s, n, args, name##_f64);                                            \
  }                                                                                      \
  static const unary_kernel name##_kernel = {                                            \
      {NULL, name##_loop_i64, name##_loop_f32, name##_loop_f64}};

/* Runs the kernel (bool computes as int64, an op without integer loops in
 * float32) and records op with the arguments. */
static tg_tensor *unary_forward(const unary_kernel *k, const tg_op *op, tg_tensor *a,
                                unary_args args) {
  tg_use(a, op->name);
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

static const unary_args no_args = {0, 0};

/* Ops whose backward reads the output save it (without a reference
 * cycle: see tg_save_output). */
static tg_tensor *saving_output(tg_tensor *out) {
  if (out->grad_fn) tg_save_output(out->grad_fn, out);
  return out;
}

static tg_tensor *input(tg_node *node) {
  return tg_node_input(node, 0);
}

/* bool -> 0/1 in the input's dtype */
static tg_tensor *mask(tg_node *node, tg_tensor *t) {
  return tg_to(t, tg_node_input_meta(node, 0)->dtype);
}

static const unary_args *args_of(tg_node *node) {
  return tg_node_args(node);
}

/* g (op) y elementwise in one pass, or NULL when the composite must run:
 * the one-pass backwards below use the composite's arithmetic in its
 * order, so both give the same numbers. */
static tg_tensor *grad_in_one_pass(tg_tensor *g, tg_tensor *y, tg_loop_fn f32,
                                   tg_loop_fn f64) {
  if (g->dtype != y->dtype || !tg_is_floating(g->dtype) ||
      !tg_shape_equal(tg_shape_of(g), tg_shape_of(y)))
    return NULL;
  tg_tensor *out = tg_alloc(tg_shape_of(g), g->dtype);
  tg_tensor *ops[3] = {out, g, y};
  tg_run_elementwise(tg_shape_of(g), 3, ops, g->dtype == TG_FLOAT32 ? f32 : f64, NULL);
  return out;
}

/* ---- neg ---- */

static int64_t neg_i64(int64_t x, int64_t c0, int64_t c1) {
  return -x;
}
static float neg_f32(float x, float c0, float c1) {
  return -x;
}
static double neg_f64(double x, double c0, double c1) {
  return -x;
}
ANY_LOOPS(neg)

static void neg_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = tg_neg(g);
}

const tg_op tg_op_neg = {.name = "neg",
                         .backward = neg_backward,
                         .args_size = sizeof(unary_args),
                         .keeps_inputs = TG_KEEPS_NONE};

tg_tensor *tg_neg(tg_tensor *a) {
  if (a->dtype == TG_BOOL)
    tg_error("tg_neg: Negation, the `-` operator, on a bool tensor is not supported. If "
             "you are trying to invert a mask, use the `~` or `logical_not()` operator "
             "instead.");
  return unary_forward(&neg_kernel, &tg_op_neg, a, no_args);
}

/* ---- exp: its gradient is g * exp(x), the saved output ---- */

static float exp_f32(float x, float c0, float c1) {
  return expf(x);
}
static double exp_f64(double x, double c0, double c1) {
  return exp(x);
}
FLOAT_LOOPS(exp)

static void exp_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = tg_mul(g, tg_saved_output(node));
}

const tg_op tg_op_exp = {.name = "exp",
                         .backward = exp_backward,
                         .args_size = sizeof(unary_args),
                         .keeps_inputs = TG_KEEPS_NONE};

tg_tensor *tg_exp(tg_tensor *a) {
  return saving_output(unary_forward(&exp_kernel, &tg_op_exp, a, no_args));
}

/* ---- log ---- */

static float log_f32(float x, float c0, float c1) {
  return logf(x);
}
static double log_f64(double x, double c0, double c1) {
  return log(x);
}
FLOAT_LOOPS(log)

static void log_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = tg_div(g, input(node));
}

const tg_op tg_op_log = {.name = "log",
                         .backward = log_backward,
                         .args_size = sizeof(unary_args),
                         .keeps_inputs = TG_KEEPS(TG_INPUT(0), 0)};

tg_tensor *tg_log(tg_tensor *a) {
  return unary_forward(&log_kernel, &tg_op_log, a, no_args);
}

/* ---- log1p ---- */

static float log1p_f32(float x, float c0, float c1) {
  return log1pf(x);
}
static double log1p_f64(double x, double c0, double c1) {
  return log1p(x);
}
FLOAT_LOOPS(log1p)

static void log1p_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = tg_div(g, tg_add_scalar(input(node), 1));
}

const tg_op tg_op_log1p = {.name = "log1p",
                           .backward = log1p_backward,
                           .args_size = sizeof(unary_args),
                           .keeps_inputs = TG_KEEPS(TG_INPUT(0), 0)};

tg_tensor *tg_log1p(tg_tensor *a) {
  return unary_forward(&log1p_kernel, &tg_op_log1p, a, no_args);
}

/* ---- sqrt: its gradient is g / (2 sqrt(x)), from the saved output ---- */

static float sqrt_f32(float x, float c0, float c1) {
  return sqrtf(x);
}
static double sqrt_f64(double x, double c0, double c1) {
  return sqrt(x);
}
FLOAT_LOOPS(sqrt)

static void sqrt_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = tg_div(g, tg_mul_scalar(tg_saved_output(node), 2));
}

const tg_op tg_op_sqrt = {.name = "sqrt",
                          .backward = sqrt_backward,
                          .args_size = sizeof(unary_args),
                          .keeps_inputs = TG_KEEPS_NONE};

tg_tensor *tg_sqrt(tg_tensor *a) {
  return saving_output(unary_forward(&sqrt_kernel, &tg_op_sqrt, a, no_args));
}

/* ---- abs: its gradient is g * sign(x) ---- */

static int64_t abs_i64(int64_t x, int64_t c0, int64_t c1) {
  return x < 0 ? -x : x;
}
static float abs_f32(float x, float c0, float c1) {
  return fabsf(x); /* abs(-0.) is 0. */
}
static double abs_f64(double x, double c0, double c1) {
  return fabs(x);
}
ANY_LOOPS(abs)

static void abs_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *x = input(node);
  tg_tensor *sign =
      tg_sub(mask(node, tg_gt_scalar(x, 0)), mask(node, tg_lt_scalar(x, 0)));
  grads[0] = tg_mul(g, sign);
}

const tg_op tg_op_abs = {.name = "abs",
                         .backward = abs_backward,
                         .args_size = sizeof(unary_args),
                         .keeps_inputs = TG_KEEPS(TG_INPUT(0), 0)};

tg_tensor *tg_abs(tg_tensor *a) {
  return unary_forward(&abs_kernel, &tg_op_abs, a, no_args);
}

/* ---- sigmoid: sigmoid' = y (1 - y) ---- */

static float sigmoid_f32(float x, float c0, float c1) {
  return 1.0f / (1.0f + expf(-x));
}
static double sigmoid_f64(double x, double c0, double c1) {
  return 1.0 / (1.0 + exp(-x));
}
FLOAT_LOOPS(sigmoid)

static void sigmoid_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *y = tg_saved_output(node);
  grads[0] = tg_mul(g, tg_mul(y, tg_rsub_scalar(y, 1)));
}

static float sigmoid_grad_f32(float g, float y) {
  return g * (y * (1.0f - y));
}
static double sigmoid_grad_f64(double g, double y) {
  return g * (y * (1.0 - y));
}
TG_DISPATCHED(sigmoid_grad_loop_f32, (char **p, const int64_t *s, int64_t n, void *c),
              (p, s, n, c)) {
  grad_map_f32(p, s, n, sigmoid_grad_f32);
}
TG_DISPATCHED(sigmoid_grad_loop_f64, (char **p, const int64_t *s, int64_t n, void *c),
              (p, s, n, c)) {
  grad_map_f64(p, s, n, sigmoid_grad_f64);
}

static void sigmoid_backward_fused(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = grad_in_one_pass(g, tg_saved_output(node), sigmoid_grad_loop_f32,
                              sigmoid_grad_loop_f64);
  if (!grads[0]) sigmoid_backward(node, g, grads);
}

const tg_op tg_op_sigmoid = {.name = "sigmoid",
                             .backward = sigmoid_backward,
                             .backward_fused = sigmoid_backward_fused,
                             .args_size = sizeof(unary_args),
                             .keeps_inputs = TG_KEEPS_NONE};

tg_tensor *tg_sigmoid(tg_tensor *a) {
  return saving_output(unary_forward(&sigmoid_kernel, &tg_op_sigmoid, a, no_args));
}

/* ---- tanh: tanh' = 1 - y^2 ---- */

static float tanh_f32(float x, float c0, float c1) {
  return tanhf(x);
}
static double tanh_f64(double x, double c0, double c1) {
  return tanh(x);
}
FLOAT_LOOPS(tanh)

static void tanh_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *y = tg_saved_output(node);
  grads[0] = tg_mul(g, tg_rsub_scalar(tg_mul(y, y), 1));
}

const tg_op tg_op_tanh = {.name = "tanh",
                          .backward = tanh_backward,
                          .args_size = sizeof(unary_args),
                          .keeps_inputs = TG_KEEPS_NONE};

tg_tensor *tg_tanh(tg_tensor *a) {
  return saving_output(unary_forward(&tanh_kernel, &tg_op_tanh, a, no_args));
}

/* ---- relu: the gradient stops where the output is <= 0 (NaN passes it) ---- */

/* PyTorch's clamp_min(x, 0): NaN and -0. pass through */
static int64_t relu_i64(int64_t x, int64_t c0, int64_t c1) {
  return x < 0 ? 0 : x;
}
static float relu_f32(float x, float c0, float c1) {
  return x < 0 ? 0 : x;
}
static double relu_f64(double x, double c0, double c1) {
  return x < 0 ? 0 : x;
}
ANY_LOOPS(relu)

static void relu_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *y = tg_saved_output(node);
  grads[0] = tg_mul(g, mask(node, tg_eq_scalar(tg_le_scalar(y, 0), 0)));
}

/* PyTorch's threshold_backward, y <= 0 ? 0 : g (so a NaN output passes the
 * gradient): a select the compiler vectorises (g x 0 would give -0 or NaN). */
static float relu_grad_f32(float g, float y) {
  return y <= 0 ? 0.0f : g;
}
static double relu_grad_f64(double g, double y) {
  return y <= 0 ? 0.0 : g;
}
TG_DISPATCHED(relu_grad_loop_f32, (char **p, const int64_t *s, int64_t n, void *c),
              (p, s, n, c)) {
  grad_map_f32(p, s, n, relu_grad_f32);
}
TG_DISPATCHED(relu_grad_loop_f64, (char **p, const int64_t *s, int64_t n, void *c),
              (p, s, n, c)) {
  grad_map_f64(p, s, n, relu_grad_f64);
}

static void relu_backward_fused(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] =
      grad_in_one_pass(g, tg_saved_output(node), relu_grad_loop_f32, relu_grad_loop_f64);
  if (!grads[0]) relu_backward(node, g, grads);
}

const tg_op tg_op_relu = {.name = "relu",
                          .backward = relu_backward,
                          .backward_fused = relu_backward_fused,
                          .args_size = sizeof(unary_args),
                          .keeps_inputs = TG_KEEPS_NONE};

tg_tensor *tg_relu(tg_tensor *a) {
  return saving_output(unary_forward(&relu_kernel, &tg_op_relu, a, no_args));
}

/* ---- leaky_relu: slope c0 below 0 ---- */

static float leaky_relu_f32(float x, float c0, float c1) {
  return x > 0 ? x : x * c0;
}
static double leaky_relu_f64(double x, double c0, double c1) {
  return x > 0 ? x : x * c0;
}
FLOAT_LOOPS(leaky_relu)

static void leaky_relu_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  double slope = args_of(node)->c0;
  tg_tensor *positive = mask(node, tg_gt_scalar(input(node), 0));
  grads[0] = tg_mul(g, tg_add_scalar(tg_mul_scalar(positive, 1 - slope), slope));
}

const tg_op tg_op_leaky_relu = {.name = "leaky_relu",
                                .backward = leaky_relu_backward,
                                .args_size = sizeof(unary_args),
                                .keeps_inputs = TG_KEEPS(TG_INPUT(0), 0)};

tg_tensor *tg_leaky_relu(tg_tensor *a, double negative_slope) {
  return unary_forward(&leaky_relu_kernel, &tg_op_leaky_relu, a,
                       (unary_args){negative_slope, 0});
}

/* ---- clamp to [c0, c1]: the gradient passes where min <= x <= max, as in
 * PyTorch ---- */

/* min(max(x, lo), hi): NaN passes, and hi wins when lo > hi (PyTorch) */
static int64_t clamp_i64(int64_t x, int64_t c0, int64_t c1) {
  int64_t low = x < c0 ? c0 : x;
  return low > c1 ? c1 : low;
}
static float clamp_f32(float x, float c0, float c1) {
  float low = x < c0 ? c0 : x;
  return low > c1 ? c1 : low;
}
static double clamp_f64(double x, double c0, double c1) {
  double low = x < c0 ? c0 : x;
  return low > c1 ? c1 : low;
}
ANY_LOOPS(clamp)

static void clamp_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *x = input(node);
  const unary_args *bounds = args_of(node);
  tg_tensor *inside = tg_mul(mask(node, tg_ge_scalar(x, bounds->c0)),
                             mask(node, tg_le_scalar(x, bounds->c1)));
  grads[0] = tg_mul(g, inside);
}

const tg_op tg_op_clamp = {.name = "clamp",
                           .backward = clamp_backward,
                           .args_size = sizeof(unary_args),
                           .keeps_inputs = TG_KEEPS(TG_INPUT(0), 0)};

/* A finite bound that no int64 holds (0.5) makes an integer tensor's clamp
 * compute in float32, as PyTorch's promotion does; an infinite one is no
 * bound. */
static bool integer_bound(double bound) {
  return isinf(bound) || tg_double_is_i64(bound);
}

tg_tensor *tg_clamp(tg_tensor *a, double min, double max) {
  if (!tg_is_floating(a->dtype) && !(integer_bound(min) && integer_bound(max))) {
    tg_scope_begin();
    return tg_scope_return(tg_clamp(tg_to(a, TG_FLOAT32), min, max));
  }
  if (!tg_is_floating(a->dtype)) { /* keep the bounds representable in int64 */
    min = fmax(min, -9.2e18);
    max = fmin(max, 9.2e18);
  }
  return unary_forward(&clamp_kernel, &tg_op_clamp, a, (unary_args){min, max});
}

/* ---- pow_scalar: x^c0 ---- */

static float pow_scalar_f32(float x, float c0, float c1) {
  return powf(x, c0);
}
static double pow_scalar_f64(double x, double c0, double c1) {
  return pow(x, c0);
}
FLOAT_LOOPS(pow_scalar)

static void pow_scalar_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  double p = args_of(node)->c0;
  if (p == 0) {
    grads[0] = tg_zeros_like(input(node));
    return;
  }
  grads[0] = tg_mul(g, tg_mul_scalar(tg_pow_scalar(input(node), p - 1), p));
}

const tg_op tg_op_pow_scalar = {.name = "pow_scalar",
                                .backward = pow_scalar_backward,
                                .args_size = sizeof(unary_args),
                                .keeps_inputs = TG_KEEPS(TG_INPUT(0), 0)};

tg_tensor *tg_pow_scalar(tg_tensor *a, double exponent) {
  if (!tg_is_floating(a->dtype) && tg_double_is_i64(exponent)) { /* stays integer */
    if (exponent < 0)
      tg_error("tg_pow_scalar: Integers to negative integer powers are not allowed.");
    tg_scope_begin();
    return tg_scope_return(tg_pow(a, tg_scalar(exponent, TG_INT64)));
  }
  return unary_forward(&pow_scalar_kernel, &tg_op_pow_scalar, a,
                       (unary_args){exponent, 0});
}

/* ---- sin ---- */

static float sin_f32(float x, float c0, float c1) {
  return sinf(x);
}
static double sin_f64(double x, double c0, double c1) {
  return sin(x);
}
FLOAT_LOOPS(sin)

static void sin_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = tg_mul(g, tg_cos(input(node)));
}

const tg_op tg_op_sin = {.name = "sin",
                         .backward = sin_backward,
                         .args_size = sizeof(unary_args),
                         .keeps_inputs = TG_KEEPS(TG_INPUT(0), 0)};

tg_tensor *tg_sin(tg_tensor *a) {
  return unary_forward(&sin_kernel, &tg_op_sin, a, no_args);
}

/* ---- cos ---- */

static float cos_f32(float x, float c0, float c1) {
  return cosf(x);
}
static double cos_f64(double x, double c0, double c1) {
  return cos(x);
}
FLOAT_LOOPS(cos)

static void cos_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = tg_neg(tg_mul(g, tg_sin(input(node))));
}

const tg_op tg_op_cos = {.name = "cos",
                         .backward = cos_backward,
                         .args_size = sizeof(unary_args),
                         .keeps_inputs = TG_KEEPS(TG_INPUT(0), 0)};

tg_tensor *tg_cos(tg_tensor *a) {
  return unary_forward(&cos_kernel, &tg_op_cos, a, no_args);
}

/* ---- floor, ceil, round: steps, whose gradient is zero (as PyTorch's);
 * integers pass through. round takes halves to even, as torch.round. ---- */

static void step_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = tg_zeros_like(g);
}

static int64_t identity_i64(int64_t x, int64_t c0, int64_t c1) {
  return x;
}

static int64_t floor_i64(int64_t x, int64_t c0, int64_t c1) {
  return identity_i64(x, c0, c1);
}
static float floor_f32(float x, float c0, float c1) {
  return floorf(x);
}
static double floor_f64(double x, double c0, double c1) {
  return floor(x);
}
ANY_LOOPS(floor)

const tg_op tg_op_floor = {.name = "floor",
                           .backward = step_backward,
                           .args_size = sizeof(unary_args),
                           .keeps_inputs = TG_KEEPS_NONE};

tg_tensor *tg_floor(tg_tensor *a) {
  return unary_forward(&floor_kernel, &tg_op_floor, a, no_args);
}

static int64_t ceil_i64(int64_t x, int64_t c0, int64_t c1) {
  return identity_i64(x, c0, c1);
}
static float ceil_f32(float x, float c0, float c1) {
  return ceilf(x);
}
static double ceil_f64(double x, double c0, double c1) {
  return ceil(x);
}
ANY_LOOPS(ceil)

const tg_op tg_op_ceil = {.name = "ceil",
                          .backward = step_backward,
                          .args_size = sizeof(unary_args),
                          .keeps_inputs = TG_KEEPS_NONE};

tg_tensor *tg_ceil(tg_tensor *a) {
  return unary_forward(&ceil_kernel, &tg_op_ceil, a, no_args);
}

static int64_t round_i64(int64_t x, int64_t c0, int64_t c1) {
  return identity_i64(x, c0, c1);
}
static float round_f32(float x, float c0, float c1) {
  return nearbyintf(x); /* the default rounding mode: halves to even */
}
static double round_f64(double x, double c0, double c1) {
  return nearbyint(x);
}
ANY_LOOPS(round)

const tg_op tg_op_round = {.name = "round",
                           .backward = step_backward,
                           .args_size = sizeof(unary_args),
                           .keeps_inputs = TG_KEEPS_NONE};

tg_tensor *tg_round(tg_tensor *a) {
  return unary_forward(&round_kernel, &tg_op_round, a, no_args);
}

/* ---- silu: x sigmoid(x); silu' = s (1 + x (1 - s)) with s = sigmoid(x) ---- */

static float silu_f32(float x, float c0, float c1) {
  return x / (1.0f + expf(-x));
}
static double silu_f64(double x, double c0, double c1) {
  return x / (1.0 + exp(-x));
}
FLOAT_LOOPS(silu)

static void silu_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *x = input(node), *s = tg_sigmoid(x);
  grads[0] = tg_mul(g, tg_mul(s, tg_add_scalar(tg_mul(x, tg_rsub_scalar(s, 1)), 1)));
}

const tg_op tg_op_silu = {.name = "silu",
                          .backward = silu_backward,
                          .args_size = sizeof(unary_args),
                          .keeps_inputs = TG_KEEPS(TG_INPUT(0), 0)};

tg_tensor *tg_silu(tg_tensor *a) {
  return unary_forward(&silu_kernel, &tg_op_silu, a, no_args);
}

/* ---- softplus: log(1 + exp(beta x)) / beta, or x itself where beta x
 * exceeds the threshold (c0 beta, c1 threshold); its derivative is
 * sigmoid(beta x) there and 1 above ---- */

static float softplus_f32(float x, float beta, float threshold) {
  return x * beta > threshold ? x : log1pf(expf(x * beta)) / beta;
}
static double softplus_f64(double x, double beta, double threshold) {
  return x * beta > threshold ? x : log1p(exp(x * beta)) / beta;
}
FLOAT_LOOPS(softplus)

static void softplus_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  const unary_args *a = args_of(node);
  tg_tensor *bx = tg_mul_scalar(input(node), a->c0);
  tg_tensor *linear = tg_gt_scalar(bx, a->c1);
  grads[0] = tg_mul(g, tg_where(linear, tg_ones_like(bx), tg_sigmoid(bx)));
}

const tg_op tg_op_softplus = {.name = "softplus",
                              .backward = softplus_backward,
                              .args_size = sizeof(unary_args),
                              .keeps_inputs = TG_KEEPS(TG_INPUT(0), 0)};

tg_tensor *tg_softplus(tg_tensor *a, double beta, double threshold) {
  if (beta == 0) tg_error("tg_softplus: beta must not be zero");
  return unary_forward(&softplus_kernel, &tg_op_softplus, a,
                       (unary_args){beta, threshold});
}

/* ---- elu: x above 0, alpha (exp(x) - 1) at and below; the derivative
 * there is alpha exp(x) ---- */

static float elu_f32(float x, float alpha, float c1) {
  return x > 0 ? x : expm1f(x) * alpha;
}
static double elu_f64(double x, double alpha, double c1) {
  return x > 0 ? x : expm1(x) * alpha;
}
FLOAT_LOOPS(elu)

static void elu_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *x = input(node);
  tg_tensor *below = tg_mul_scalar(tg_exp(x), args_of(node)->c0);
  grads[0] = tg_mul(g, tg_where(tg_gt_scalar(x, 0), tg_ones_like(x), below));
}

const tg_op tg_op_elu = {.name = "elu",
                         .backward = elu_backward,
                         .args_size = sizeof(unary_args),
                         .keeps_inputs = TG_KEEPS(TG_INPUT(0), 0)};

tg_tensor *tg_elu(tg_tensor *a, double alpha) {
  return unary_forward(&elu_kernel, &tg_op_elu, a, (unary_args){alpha, 0});
}

/* ---- hardtanh: clamp's values, but the gradient passes only strictly
 * inside (min, max), as PyTorch's hardtanh_backward ---- */

static void hardtanh_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *x = input(node);
  const unary_args *bounds = args_of(node);
  tg_tensor *inside = tg_mul(mask(node, tg_gt_scalar(x, bounds->c0)),
                             mask(node, tg_lt_scalar(x, bounds->c1)));
  grads[0] = tg_mul(g, inside);
}

const tg_op tg_op_hardtanh = {.name = "hardtanh",
                              .backward = hardtanh_backward,
                              .args_size = sizeof(unary_args),
                              .keeps_inputs = TG_KEEPS(TG_INPUT(0), 0)};

tg_tensor *tg_hardtanh(tg_tensor *a, double min_val, double max_val) {
  if (min_val > max_val)
    tg_error("tg_hardtanh: min_val (%g) must not be greater than max_val (%g)", min_val,
             max_val);
  if (!tg_is_floating(a->dtype))
    tg_error("tg_hardtanh: expected a floating tensor, got %s", tg_dtype_name(a->dtype));
  return unary_forward(&clamp_kernel, &tg_op_hardtanh, a, (unary_args){min_val, max_val});
}

/* ---- erf: erf' = 2/sqrt(pi) exp(-x^2) (GELU's exact form is built on it) ---- */

static float erf_f32(float x, float c0, float c1) {
  return erff(x);
}
static double erf_f64(double x, double c0, double c1) {
  return erf(x);
}
FLOAT_LOOPS(erf)

static void erf_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *x = input(node);
  grads[0] = tg_mul(g, tg_mul_scalar(tg_exp(tg_neg(tg_mul(x, x))), M_2_SQRTPI));
}

const tg_op tg_op_erf = {.name = "erf",
                         .backward = erf_backward,
                         .args_size = sizeof(unary_args),
                         .keeps_inputs = TG_KEEPS(TG_INPUT(0), 0)};

tg_tensor *tg_erf(tg_tensor *a) {
  return unary_forward(&erf_kernel, &tg_op_erf, a, no_args);
}
