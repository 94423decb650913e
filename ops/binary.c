/* Binary elementwise ops with NumPy broadcasting: add, sub, mul, div, pow,
 * maximum, minimum (each forward next to its backward), their scalar
 * forms, and the in-place updates optimizers use. */
#include <math.h>

#include "ops/ops.h"

/* A loop body per dtype; EXPR combines `a` and `b`. Contiguous runs get
 * their own loop so the compiler can vectorise it. */
#define BINARY_LOOP(name, T, EXPR)                                                       \
  static void name(char **p, const int64_t *s, int64_t n, void *ctx) {                   \
    (void)ctx;                                                                           \
    const int64_t w = (int64_t)sizeof(T);                                                \
    if (s[0] == w && s[1] == w && s[2] == w) {                                           \
      T *restrict o = (T *)p[0];                                                         \
      const T *x = (const T *)p[1], *y = (const T *)p[2];                                \
      for (int64_t i = 0; i < n; i++) {                                                  \
        T a = x[i], b = y[i];                                                            \
        o[i] = (EXPR);                                                                   \
      }                                                                                  \
      return;                                                                            \
    }                                                                                    \
    for (int64_t i = 0; i < n; i++) {                                                    \
      T a = *(const T *)(p[1] + i * s[1]), b = *(const T *)(p[2] + i * s[2]);            \
      *(T *)(p[0] + i * s[0]) = (EXPR);                                                  \
    }                                                                                    \
  }

#define BINARY_KERNELS(op, EXPR_F, EXPR_D, EXPR_I)                                       \
  BINARY_LOOP(op##_f32, float, EXPR_F)                                                   \
  BINARY_LOOP(op##_f64, double, EXPR_D)                                                  \
  BINARY_LOOP(op##_i64, int64_t, EXPR_I)                                                 \
  static const binary_kernel op##_kernel = {"tg_" #op,                                   \
                                            {NULL, op##_i64, op##_f32, op##_f64}};

typedef struct binary_kernel {
  const char *name;    /* "tg_add": the op named in error messages */
  tg_loop_fn loops[4]; /* by dtype; NULL: promote to float32 */
} binary_kernel;

#define MAX(a, b) (((a) != (a) || (a) > (b)) ? (a) : (b)) /* NaN wins */
#define MIN(a, b) (((a) != (a) || (a) < (b)) ? (a) : (b))

BINARY_KERNELS(add, a + b, a + b, a + b)
BINARY_KERNELS(sub, a - b, a - b, a - b)
BINARY_KERNELS(mul, a *b, a *b, a *b)
BINARY_KERNELS(maximum, MAX(a, b), MAX(a, b), MAX(a, b))
BINARY_KERNELS(minimum, MIN(a, b), MIN(a, b), MIN(a, b))
BINARY_LOOP(div_f32, float, a / b)
BINARY_LOOP(div_f64, double, a / b)
BINARY_LOOP(pow_f32, float, powf(a, b))
BINARY_LOOP(pow_f64, double, pow(a, b))
static const binary_kernel div_kernel = {"tg_div", {NULL, NULL, div_f32, div_f64}};
static const binary_kernel pow_kernel = {"tg_pow", {NULL, NULL, pow_f32, pow_f64}};

/* The dtype both operands are converted to before the loop runs. */
static tg_dtype compute_dtype(const binary_kernel *k, tg_dtype a, tg_dtype b) {
  tg_dtype dt = tg_promote(a, b);
  if (dt == TG_BOOL) dt = TG_INT64;
  if (!k->loops[dt]) dt = TG_FLOAT32;
  return dt;
}

static tg_tensor *binary_forward(const binary_kernel *k, const tg_op *op, tg_tensor *a,
                                 tg_tensor *b) {
  tg_shape shape = tg_broadcast_shapes(k->name, tg_shape_of(a), tg_shape_of(b));
  tg_dtype dt = compute_dtype(k, a->dtype, b->dtype);
  if (a->dtype != dt || b->dtype != dt) {
    tg_scope_begin();
    tg_tensor *out = binary_forward(k, op, tg_to(a, dt), tg_to(b, dt));
    return tg_scope_return(out);
  }
  tg_tensor *out = tg_alloc(shape, dt);
  tg_tensor *ops[3] = {out, a, b};
  tg_run_elementwise(shape, 3, ops, k->loops[dt], NULL);
  tg_record(op, out, 2, ops + 1);
  return out;
}

#define A(node) tg_node_input(node, 0)
#define B(node) tg_node_input(node, 1)
/* A gradient of the broadcast output, summed back to input i's shape. */
#define TO_INPUT(node, i, g) tg_sum_to_size(g, tg_shape_of(tg_node_input(node, i)))

/* ---- add, sub ---- */

static void add_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  if (tg_needs_input_grad(node, 0)) grads[0] = TO_INPUT(node, 0, g);
  if (tg_needs_input_grad(node, 1)) grads[1] = TO_INPUT(node, 1, g);
}

static void sub_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  if (tg_needs_input_grad(node, 0)) grads[0] = TO_INPUT(node, 0, g);
  if (tg_needs_input_grad(node, 1)) grads[1] = TO_INPUT(node, 1, tg_neg(g));
}

/* ---- mul, div ---- */

static void mul_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  if (tg_needs_input_grad(node, 0)) grads[0] = TO_INPUT(node, 0, tg_mul(g, B(node)));
  if (tg_needs_input_grad(node, 1)) grads[1] = TO_INPUT(node, 1, tg_mul(g, A(node)));
}

/* d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 */
static void div_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  if (tg_needs_input_grad(node, 0)) grads[0] = TO_INPUT(node, 0, tg_div(g, B(node)));
  if (tg_needs_input_grad(node, 1)) {
    tg_tensor *q = tg_div(A(node), tg_mul(B(node), B(node)));
    grads[1] = TO_INPUT(node, 1, tg_neg(tg_mul(g, q)));
  }
}

/* ---- pow: d(a^b)/da = b a^(b-1), d(a^b)/db = a^b log a ---- */

static void pow_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *a = A(node), *b = B(node);
  if (tg_needs_input_grad(node, 0)) {
    tg_tensor *d = tg_mul(b, tg_pow(a, tg_sub_scalar(b, 1)));
    grads[0] = TO_INPUT(node, 0, tg_mul(g, d));
  }
  if (tg_needs_input_grad(node, 1)) {
    tg_tensor *d = tg_mul(tg_pow(a, b), tg_log(a));
    /* PyTorch's convention: 0^b contributes no gradient to b */
    d = tg_masked_fill(d, tg_eq_scalar(a, 0), 0);
    grads[1] = TO_INPUT(node, 1, tg_mul(g, d));
  }
}

/* ---- maximum, minimum: the gradient goes to the larger (smaller) input,
 * split evenly on ties, as PyTorch does ---- */

static tg_tensor *select_grad(tg_tensor *g, tg_tensor *wins, tg_tensor *ties) {
  tg_tensor *share =
      tg_add(tg_to(wins, g->dtype), tg_mul_scalar(tg_to(ties, g->dtype), 0.5));
  return tg_mul(g, share);
}

static void extremum_backward(tg_node *node, tg_tensor *g, tg_tensor **grads,
                              tg_tensor *(*beats)(tg_tensor *, tg_tensor *)) {
  tg_tensor *a = A(node), *b = B(node), *ties = tg_eq(a, b);
  if (tg_needs_input_grad(node, 0))
    grads[0] = TO_INPUT(node, 0, select_grad(g, beats(a, b), ties));
  if (tg_needs_input_grad(node, 1))
    grads[1] = TO_INPUT(node, 1, select_grad(g, beats(b, a), ties));
}

static void maximum_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  extremum_backward(node, g, grads, tg_gt);
}

static void minimum_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  extremum_backward(node, g, grads, tg_lt);
}

/* ---- the ops ---- */

const tg_op tg_op_add = {.name = "add", .backward = add_backward};
const tg_op tg_op_sub = {.name = "sub", .backward = sub_backward};
const tg_op tg_op_mul = {.name = "mul", .backward = mul_backward};
const tg_op tg_op_div = {.name = "div", .backward = div_backward};
const tg_op tg_op_pow = {.name = "pow", .backward = pow_backward};
const tg_op tg_op_maximum = {.name = "maximum", .backward = maximum_backward};
const tg_op tg_op_minimum = {.name = "minimum", .backward = minimum_backward};

tg_tensor *tg_add(tg_tensor *a, tg_tensor *b) {
  return binary_forward(&add_kernel, &tg_op_add, a, b);
}
tg_tensor *tg_sub(tg_tensor *a, tg_tensor *b) {
  return binary_forward(&sub_kernel, &tg_op_sub, a, b);
}
tg_tensor *tg_mul(tg_tensor *a, tg_tensor *b) {
  return binary_forward(&mul_kernel, &tg_op_mul, a, b);
}
tg_tensor *tg_div(tg_tensor *a, tg_tensor *b) {
  return binary_forward(&div_kernel, &tg_op_div, a, b);
}
tg_tensor *tg_pow(tg_tensor *a, tg_tensor *b) {
  return binary_forward(&pow_kernel, &tg_op_pow, a, b);
}
tg_tensor *tg_maximum(tg_tensor *a, tg_tensor *b) {
  return binary_forward(&maximum_kernel, &tg_op_maximum, a, b);
}
tg_tensor *tg_minimum(tg_tensor *a, tg_tensor *b) {
  return binary_forward(&minimum_kernel, &tg_op_minimum, a, b);
}

/* ---- scalar forms: the scalar becomes a 0-d tensor of a's dtype (an
 * integer tensor with a fractional scalar computes in float32) ---- */

static tg_tensor *with_scalar(tg_tensor *(*op)(tg_tensor *, tg_tensor *), tg_tensor *a,
                              double s, bool scalar_first) {
  tg_dtype dt = a->dtype;
  if (!tg_is_floating(dt) && s != floor(s)) dt = TG_FLOAT32;
  if (dt == TG_BOOL) dt = TG_INT64;
  tg_scope_begin();
  tg_tensor *c = tg_scalar(s, dt);
  return tg_scope_return(scalar_first ? op(c, a) : op(a, c));
}

tg_tensor *tg_add_scalar(tg_tensor *a, double s) {
  return with_scalar(tg_add, a, s, false);
}
tg_tensor *tg_sub_scalar(tg_tensor *a, double s) {
  return with_scalar(tg_sub, a, s, false);
}
tg_tensor *tg_rsub_scalar(tg_tensor *a, double s) {
  return with_scalar(tg_sub, a, s, true);
}
tg_tensor *tg_mul_scalar(tg_tensor *a, double s) {
  return with_scalar(tg_mul, a, s, false);
}
tg_tensor *tg_div_scalar(tg_tensor *a, double s) {
  return with_scalar(tg_div, a, s, false);
}

/* ---- in place (optimizers): never recorded ---- */

typedef struct axpy_ctx {
  double alpha;
} axpy_ctx;

static void axpy_f32(char **p, const int64_t *s, int64_t n, void *ctx) {
  float alpha = (float)((axpy_ctx *)ctx)->alpha;
  for (int64_t i = 0; i < n; i++)
    *(float *)(p[0] + i * s[0]) += alpha * *(const float *)(p[1] + i * s[1]);
}

static void axpy_f64(char **p, const int64_t *s, int64_t n, void *ctx) {
  double alpha = ((axpy_ctx *)ctx)->alpha;
  for (int64_t i = 0; i < n; i++)
    *(double *)(p[0] + i * s[0]) += alpha * *(const double *)(p[1] + i * s[1]);
}

/* The common case (a gradient added into .grad): one vectorised loop. */
static TG_SIMD void axpy_contiguous_f32(float *restrict y, const float *restrict x,
                                        float alpha, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] += alpha * x[i];
}

void tg_add_(tg_tensor *t, const tg_tensor *other, double alpha) {
  tg_check_floating("tg_add_", t);
  tg_shape shape = tg_shape_of(t);
  if (!tg_shape_equal(tg_broadcast_shapes("tg_add_", shape, tg_shape_of(other)), shape)) {
    char a[TG_SHAPE_STR_MAX], b[TG_SHAPE_STR_MAX];
    tg_error("tg_add_: shape %s cannot be added in place to shape %s",
             tg_shape_str(tg_shape_of(other), a), tg_shape_str(shape, b));
  }
  if (t->dtype == TG_FLOAT32 && other->dtype == TG_FLOAT32 && tg_is_contiguous(t) &&
      tg_is_contiguous(other) && tg_numel(other) == tg_numel(t) &&
      t->storage != other->storage) {
    axpy_contiguous_f32(tg_data_f32(t), (const float *)tg_ptr(other), (float)alpha,
                        tg_numel(t));
    tg_bump_version(t);
    return;
  }
  tg_scope_begin();
  tg_tensor *ops[2] = {t, tg_to((tg_tensor *)other, t->dtype)};
  axpy_ctx ctx = {alpha};
  tg_run_elementwise(shape, 2, ops, t->dtype == TG_FLOAT32 ? axpy_f32 : axpy_f64, &ctx);
  tg_scope_end();
  tg_bump_version(t);
}

typedef struct scale_ctx {
  double value;
  tg_dtype dtype;
} scale_ctx;

static void scale_loop(char **p, const int64_t *s, int64_t n, void *ctx) {
  const scale_ctx *c = ctx;
  if (c->dtype == TG_FLOAT32) {
    float v = (float)c->value;
    for (int64_t i = 0; i < n; i++) *(float *)(p[0] + i * s[0]) *= v;
  } else {
    for (int64_t i = 0; i < n; i++) *(double *)(p[0] + i * s[0]) *= c->value;
  }
}

void tg_mul_scalar_(tg_tensor *t, double value) {
  tg_check_floating("tg_mul_scalar_", t);
  scale_ctx ctx = {value, t->dtype};
  tg_run_elementwise(tg_shape_of(t), 1, &t, scale_loop, &ctx);
  tg_bump_version(t);
}
