/* Binary elementwise ops with NumPy broadcasting, one block each (element
 * functions, backward, op object, public function): add, sub, mul, div,
 * pow, maximum, minimum; then their scalar forms and the in-place updates
 * optimizers use. */
#include <math.h>

#include "ops/ops.h"

#define TG_TEMPLATE "ops/binary_loops.inc"
#include "tensor/for_numeric_types.inc"
#undef TG_TEMPLATE

typedef struct binary_kernel {
  const char *name;    /* "tg_add": the op named in error messages */
  tg_loop_fn loops[4]; /* by dtype; NULL: promote to float32 */
} binary_kernel;

/* Stamps an op's strided loops from its element functions name_f32,
 * name_f64 (and name_i64). */
#define FLOAT_LOOPS(name)                                                                \
  static void name##_loop_f32(char **p, const int64_t *s, int64_t n, void *ctx) {        \
    binary_map_f32(p, s, n, name##_f32);                                                 \
  }                                                                                      \
  static void name##_loop_f64(char **p, const int64_t *s, int64_t n, void *ctx) {        \
    binary_map_f64(p, s, n, name##_f64);                                                 \
  }
#define ANY_LOOPS(name)                                                                  \
  FLOAT_LOOPS(name)                                                                      \
  static void name##_loop_i64(char **p, const int64_t *s, int64_t n, void *ctx) {        \
    binary_map_i64(p, s, n, name##_i64);                                                 \
  }

/* The dtype both operands are converted to before the loop runs. */
static tg_dtype compute_dtype(const binary_kernel *k, tg_dtype a, tg_dtype b) {
  tg_dtype dt = tg_promote(a, b);
  if (dt == TG_BOOL) dt = TG_INT64;
  if (!k->loops[dt]) dt = TG_FLOAT32;
  return dt;
}

static tg_tensor *binary_forward(const binary_kernel *k, const tg_op *op, tg_tensor *a,
                                 tg_tensor *b) {
  tg_use(a, k->name);
  tg_use(b, k->name);
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

/* bool with bool stays bool, as in PyTorch (add is or, mul is and, maximum
 * and minimum are or and and): computed in int64, then converted. */
static tg_tensor *bool_forward(const binary_kernel *k, const tg_op *op, tg_tensor *a,
                               tg_tensor *b) {
  tg_scope_begin();
  return tg_scope_return(tg_to(binary_forward(k, op, a, b), TG_BOOL));
}

static bool both_bool(const binary_kernel *k, const tg_tensor *a, const tg_tensor *b) {
  tg_use(a, k->name);
  tg_use(b, k->name);
  return a->dtype == TG_BOOL && b->dtype == TG_BOOL;
}

static tg_tensor *input_a(tg_node *node) {
  return tg_node_input(node, 0);
}
static tg_tensor *input_b(tg_node *node) {
  return tg_node_input(node, 1);
}
/* A gradient of the broadcast output, summed back to input i's shape. */
static tg_tensor *to_input(tg_node *node, int i, tg_tensor *g) {
  return tg_sum_to_size(g, tg_shape_of(tg_node_input_meta(node, i)));
}

/* ---- add ---- */

static float add_f32(float a, float b) {
  return a + b;
}
static double add_f64(double a, double b) {
  return a + b;
}
static int64_t add_i64(int64_t a, int64_t b) {
  return a + b;
}
ANY_LOOPS(add)
static const binary_kernel add_kernel = {
    "tg_add", {NULL, add_loop_i64, add_loop_f32, add_loop_f64}};

static void add_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  if (tg_needs_input_grad(node, 0)) grads[0] = to_input(node, 0, g);
  if (tg_needs_input_grad(node, 1)) grads[1] = to_input(node, 1, g);
}

const tg_op tg_op_add = {
    .name = "add", .backward = add_backward, .keeps_inputs = TG_KEEPS_NONE};

tg_tensor *tg_add(tg_tensor *a, tg_tensor *b) {
  if (both_bool(&add_kernel, a, b)) return bool_forward(&add_kernel, &tg_op_add, a, b);
  return binary_forward(&add_kernel, &tg_op_add, a, b);
}

/* ---- sub ---- */

static float sub_f32(float a, float b) {
  return a - b;
}
static double sub_f64(double a, double b) {
  return a - b;
}
static int64_t sub_i64(int64_t a, int64_t b) {
  return a - b;
}
ANY_LOOPS(sub)
static const binary_kernel sub_kernel = {
    "tg_sub", {NULL, sub_loop_i64, sub_loop_f32, sub_loop_f64}};

static void sub_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  if (tg_needs_input_grad(node, 0)) grads[0] = to_input(node, 0, g);
  if (tg_needs_input_grad(node, 1)) grads[1] = to_input(node, 1, tg_neg(g));
}

const tg_op tg_op_sub = {
    .name = "sub", .backward = sub_backward, .keeps_inputs = TG_KEEPS_NONE};

tg_tensor *tg_sub(tg_tensor *a, tg_tensor *b) {
  if (both_bool(&sub_kernel, a, b))
    tg_error("tg_sub: Subtraction, the `-` operator, with two bool tensors is not "
             "supported. Use the `^` or `logical_xor()` operator instead.");
  return binary_forward(&sub_kernel, &tg_op_sub, a, b);
}

/* ---- mul ---- */

static float mul_f32(float a, float b) {
  return a * b;
}
static double mul_f64(double a, double b) {
  return a * b;
}
static int64_t mul_i64(int64_t a, int64_t b) {
  return a * b;
}
ANY_LOOPS(mul)
static const binary_kernel mul_kernel = {
    "tg_mul", {NULL, mul_loop_i64, mul_loop_f32, mul_loop_f64}};

static void mul_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  if (tg_needs_input_grad(node, 0))
    grads[0] = to_input(node, 0, tg_mul(g, input_b(node)));
  if (tg_needs_input_grad(node, 1))
    grads[1] = to_input(node, 1, tg_mul(g, input_a(node)));
}

const tg_op tg_op_mul = {.name = "mul",
                         .backward = mul_backward,
                         .keeps_inputs = TG_KEEPS(0, TG_INPUT(0) | TG_INPUT(1))};

tg_tensor *tg_mul(tg_tensor *a, tg_tensor *b) {
  if (both_bool(&mul_kernel, a, b)) return bool_forward(&mul_kernel, &tg_op_mul, a, b);
  return binary_forward(&mul_kernel, &tg_op_mul, a, b);
}

/* ---- div: d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 ---- */

static float div_f32(float a, float b) {
  return a / b;
}
static double div_f64(double a, double b) {
  return a / b;
}
FLOAT_LOOPS(div)
static const binary_kernel div_kernel = {"tg_div",
                                         {NULL, NULL, div_loop_f32, div_loop_f64}};

static void div_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *b = input_b(node);
  if (tg_needs_input_grad(node, 0)) grads[0] = to_input(node, 0, tg_div(g, b));
  if (tg_needs_input_grad(node, 1)) { /* a is read (and kept) only for b's gradient */
    tg_tensor *q = tg_div(input_a(node), tg_mul(b, b));
    grads[1] = to_input(node, 1, tg_neg(tg_mul(g, q)));
  }
}

const tg_op tg_op_div = {.name = "div",
                         .backward = div_backward,
                         .keeps_inputs = TG_KEEPS(TG_INPUT(1), TG_INPUT(0))};

tg_tensor *tg_div(tg_tensor *a, tg_tensor *b) {
  return binary_forward(&div_kernel, &tg_op_div, a, b);
}

/* ---- pow: d(a^b)/da = b a^(b-1), d(a^b)/db = a^b log a ---- */

static float pow_f32(float a, float b) {
  return powf(a, b);
}
static double pow_f64(double a, double b) {
  return pow(a, b);
}
/* integer powers stay integers (by squaring); a negative power of an
 * integer truncates toward 0, as PyTorch's powi */
static int64_t pow_i64(int64_t a, int64_t b) {
  if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) ? -1 : 1) : 0;
  uint64_t result = 1, base = (uint64_t)a; /* wraps like PyTorch's, without UB */
  for (; b; b >>= 1, base *= base)
    if (b & 1) result *= base;
  return (int64_t)result;
}
ANY_LOOPS(pow)
static const binary_kernel pow_kernel = {
    "tg_pow", {NULL, pow_loop_i64, pow_loop_f32, pow_loop_f64}};

static void pow_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *a = input_a(node), *b = input_b(node);
  tg_tensor *zero = tg_scalar(0, g->dtype);
  if (tg_needs_input_grad(node, 0)) {
    /* PyTorch's pow_backward_self: 0 where b == 0 (not 0 * 0^-1) */
    tg_tensor *d = tg_mul(b, tg_pow(a, tg_sub_scalar(b, 1)));
    grads[0] = to_input(node, 0, tg_where(tg_eq_scalar(b, 0), zero, tg_mul(g, d)));
  }
  if (tg_needs_input_grad(node, 1)) {
    /* pow_backward_exponent: 0^b with b >= 0 gives b no gradient; a
     * negative b keeps inf * log 0 = -inf */
    tg_tensor *d = tg_mul(g, tg_mul(tg_pow(a, b), tg_log(a)));
    tg_tensor *base_zero = tg_eq_scalar(a, 0);
    d = tg_where(base_zero, tg_where(tg_ge_scalar(b, 0), zero, d), d);
    grads[1] = to_input(node, 1, d);
  }
}

const tg_op tg_op_pow = {.name = "pow",
                         .backward = pow_backward,
                         .keeps_inputs = TG_KEEPS(TG_INPUT(0) | TG_INPUT(1), 0)};

tg_tensor *tg_pow(tg_tensor *a, tg_tensor *b) {
  return binary_forward(&pow_kernel, &tg_op_pow, a, b);
}

/* ---- maximum, minimum: NaN wins; the gradient goes to the larger
 * (smaller) input, split evenly on ties, and to both where one is NaN
 * (neither beats the other), as PyTorch's formula does ---- */

/* g x (1 - loses - ties / 2) */
static tg_tensor *select_grad(tg_tensor *g, tg_tensor *loses, tg_tensor *ties) {
  tg_tensor *lost =
      tg_add(tg_to(loses, g->dtype), tg_mul_scalar(tg_to(ties, g->dtype), 0.5));
  return tg_mul(g, tg_rsub_scalar(lost, 1));
}

static void extremum_backward(tg_node *node, tg_tensor *g, tg_tensor **grads,
                              tg_tensor *(*beats)(tg_tensor *, tg_tensor *)) {
  tg_tensor *a = input_a(node), *b = input_b(node), *ties = tg_eq(a, b);
  if (tg_needs_input_grad(node, 0))
    grads[0] = to_input(node, 0, select_grad(g, beats(b, a), ties));
  if (tg_needs_input_grad(node, 1))
    grads[1] = to_input(node, 1, select_grad(g, beats(a, b), ties));
}

/* a on ties, so maximum(0., -0.) is 0. and maximum(-0., 0.) is -0. */
static float maximum_f32(float a, float b) {
  return (a != a || a >= b) ? a : b;
}
static double maximum_f64(double a, double b) {
  return (a != a || a >= b) ? a : b;
}
static int64_t maximum_i64(int64_t a, int64_t b) {
  return a > b ? a : b;
}
ANY_LOOPS(maximum)
static const binary_kernel maximum_kernel = {
    "tg_maximum", {NULL, maximum_loop_i64, maximum_loop_f32, maximum_loop_f64}};

static void maximum_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  extremum_backward(node, g, grads, tg_gt);
}

const tg_op tg_op_maximum = {.name = "maximum",
                             .backward = maximum_backward,
                             .keeps_inputs = TG_KEEPS(TG_INPUT(0) | TG_INPUT(1), 0)};

tg_tensor *tg_maximum(tg_tensor *a, tg_tensor *b) {
  if (both_bool(&maximum_kernel, a, b))
    return bool_forward(&maximum_kernel, &tg_op_maximum, a, b);
  return binary_forward(&maximum_kernel, &tg_op_maximum, a, b);
}

static float minimum_f32(float a, float b) {
  return (a != a || a <= b) ? a : b;
}
static double minimum_f64(double a, double b) {
  return (a != a || a <= b) ? a : b;
}
static int64_t minimum_i64(int64_t a, int64_t b) {
  return a < b ? a : b;
}
ANY_LOOPS(minimum)
static const binary_kernel minimum_kernel = {
    "tg_minimum", {NULL, minimum_loop_i64, minimum_loop_f32, minimum_loop_f64}};

static void minimum_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  extremum_backward(node, g, grads, tg_lt);
}

const tg_op tg_op_minimum = {.name = "minimum",
                             .backward = minimum_backward,
                             .keeps_inputs = TG_KEEPS(TG_INPUT(0) | TG_INPUT(1), 0)};

tg_tensor *tg_minimum(tg_tensor *a, tg_tensor *b) {
  if (both_bool(&minimum_kernel, a, b))
    return bool_forward(&minimum_kernel, &tg_op_minimum, a, b);
  return binary_forward(&minimum_kernel, &tg_op_minimum, a, b);
}

/* ---- scalar forms: the scalar becomes a 0-d tensor of a's dtype (an
 * integer tensor with a scalar that is no int64 computes in float32: a
 * fraction, an infinity, or 1e20 as PyTorch's Python float would) ---- */

static tg_tensor *with_scalar(tg_tensor *(*op)(tg_tensor *, tg_tensor *), tg_tensor *a,
                              double s, bool scalar_first) {
  tg_use(a, "scalar op");
  tg_dtype dt = a->dtype;
  if (!tg_is_floating(dt) && !tg_double_is_i64(s)) dt = TG_FLOAT32;
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
  return tg_name_grad_fn(with_scalar(tg_sub, a, s, true), a, "RsubBackward1");
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
TG_DISPATCHED(axpy_contiguous_f32,
              (float *restrict y, const float *restrict x, float alpha, int64_t n),
              (y, x, alpha, n)) {
  for (int64_t i = 0; i < n; i++) y[i] += alpha * x[i];
}

/* The same, split across threads (tensor/parallel.c). */
typedef struct axpy_job {
  float *y;
  const float *x;
  float alpha;
} axpy_job;

static void axpy_part(int64_t begin, int64_t end, void *arg) {
  const axpy_job *j = arg;
  axpy_contiguous_f32(j->y + begin, j->x + begin, j->alpha, end - begin);
}

static void add_values(tg_tensor *t, const tg_tensor *other, double alpha) {
  tg_shape shape = tg_shape_of(t);
  if (t->dtype == TG_FLOAT32 && other->dtype == TG_FLOAT32 && tg_is_contiguous(t) &&
      tg_is_contiguous(other) && tg_numel(other) == tg_numel(t) &&
      t->storage != other->storage) {
    axpy_job j = {tg_data_f32(t), (const float *)tg_ptr(other), (float)alpha};
    tg_parallel_for(tg_numel(t), tg_parallel_grain(), axpy_part, &j);
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

void tg_add_(tg_tensor *t, const tg_tensor *other, double alpha) {
  tg_check_floating("tg_add_", t);
  tg_shape shape = tg_shape_of(t);
  if (!tg_shape_equal(tg_broadcast_shapes("tg_add_", shape, tg_shape_of(other)), shape)) {
    char a[TG_SHAPE_STR_MAX], b[TG_SHAPE_STR_MAX];
    tg_error("tg_add_: shape %s cannot be added in place to shape %s",
             tg_shape_str(tg_shape_of(other), a), tg_shape_str(shape, b));
  }
  bool record = tg_inplace_prepare("tg_add_", t, other);
  add_values(t, other, alpha);
  if (record)
    tg_inplace_set_alpha(tg_inplace_record(&tg_op_add_inplace, t, (tg_tensor *)other),
                         alpha);
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
  bool record = tg_inplace_prepare("tg_mul_scalar_", t, NULL);
  scale_ctx ctx = {value, t->dtype};
  tg_run_elementwise(tg_shape_of(t), 1, &t, scale_loop, &ctx);
  tg_bump_version(t);
  if (record) tg_inplace_set_alpha(tg_inplace_record(&tg_op_mul_inplace, t, NULL), value);
}
