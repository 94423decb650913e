/* Binary cross entropy on probabilities (an op, so its gradient is
 * PyTorch's (x - y) / max(x (1 - x), 1e-12) even where the log is clamped)
 * and on logits (composed of ops with PyTorch's stable formula). */
#include <math.h>
#include <stdio.h>

#include "nn/loss.h"
#include "tensor/internal.h"

/* PyTorch's elementwise loss: (y - 1) max(log1p(-x), -100) - y max(log x, -100). */
#define BCE_LOOP(T, LOG, LOG1P)                                                          \
  static bool bce_##T(const T *x, const T *y, T *out, int64_t n) {                       \
    for (int64_t i = 0; i < n; i++) {                                                    \
      if (!(x[i] >= 0 && x[i] <= 1)) return false;                                       \
      T log_x = LOG(x[i]), log_1mx = LOG1P(-x[i]);                                       \
      out[i] = (y[i] - 1) * (log_1mx > -100 ? log_1mx : -100) -                          \
               y[i] * (log_x > -100 ? log_x : -100);                                     \
    }                                                                                    \
    return true;                                                                         \
  }
BCE_LOOP(float, logf, log1pf)
BCE_LOOP(double, log, log1p)

/* PyTorch's gradient g (x - y) / max((1 - x) x, 1e-12) in one pass, in the
 * composite's order (so with the same rounding), when no graph is built. */
#define BCE_GRAD_LOOP(T)                                                                 \
  static void bce_grad_##T(char **p, const int64_t *s, int64_t n, void *ctx) {           \
    (void)ctx;                                                                           \
    for (int64_t i = 0; i < n; i++) {                                                    \
      T g = *(const T *)(p[1] + i * s[1]), x = *(const T *)(p[2] + i * s[2]),            \
        y = *(const T *)(p[3] + i * s[3]);                                               \
      T denom = (1 - x) * x;                                                             \
      if (denom < (T)1e-12f) denom = (T)1e-12f; /* NaN stays NaN, as in clamp */         \
      *(T *)(p[0] + i * s[0]) = g * (x - y) / denom;                                     \
    }                                                                                    \
  }
BCE_GRAD_LOOP(float)
BCE_GRAD_LOOP(double)

/* d loss / d x: one typed pass when no graph is built, else the same
 * arithmetic as recorded ops (so double backward works). */
static tg_tensor *input_grad(tg_tensor *g, tg_tensor *x, tg_tensor *y) {
  if (!tg_is_grad_enabled() && g->dtype == x->dtype && y->dtype == x->dtype) {
    tg_tensor *out = tg_alloc(tg_shape_of(x), x->dtype);
    tg_tensor *ops[4] = {out, g, x, y};
    tg_run_elementwise(tg_shape_of(x), 4, ops,
                       x->dtype == TG_FLOAT32 ? bce_grad_float : bce_grad_double, NULL);
    return out;
  }
  /* PyTorch's EPSILON is the float 1e-12f, also for float64 */
  tg_tensor *denom = tg_clamp(tg_mul(tg_rsub_scalar(x, 1), x), 1e-12f, INFINITY);
  return tg_div(tg_mul(g, tg_sub(x, y)), denom);
}

static void bce_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *x = tg_node_input(node, 0), *y = tg_node_input(node, 1);
  if (tg_needs_input_grad(node, 0)) grads[0] = input_grad(g, x, y);
  if (tg_needs_input_grad(node, 1)) /* -logit(x), unclamped like PyTorch */
    grads[1] = tg_mul(g, tg_sub(tg_log1p(tg_neg(x)), tg_log(x)));
}

static tg_tensor *bce_apply(tg_tensor *const *x) {
  tg_loss_opts opts = {TG_NONE};
  return tg_bce_loss(x[0], x[1], &opts);
}

const tg_op tg_op_binary_cross_entropy = {
    "binary_cross_entropy",
    bce_backward,
    {bce_apply,
     2,
     2,
     {{TG_SHAPE(3, 4), TG_SHAPE(3, 4)}, {TG_SHAPE(5), TG_SHAPE(5)}},
     0.05,
     0.95,
     0,
     true}};

static tg_tensor *bce_elementwise(tg_tensor *input, tg_tensor *target) {
  tg_scope_begin();
  tg_tensor *x = tg_contiguous(input), *y = tg_contiguous(target);
  tg_tensor *out = tg_alloc(tg_shape_of(input), input->dtype);
  bool ok =
      input->dtype == TG_FLOAT32
          ? bce_float(tg_data_f32(x), tg_data_f32(y), tg_data_f32(out), tg_numel(out))
          : bce_double(tg_data_f64(x), tg_data_f64(y), tg_data_f64(out), tg_numel(out));
  if (!ok)
    tg_error("tg_bce_loss: all elements of input should be between 0 and 1 (they are "
             "probabilities: apply a sigmoid, or use tg_bce_with_logits_loss on logits)");
  tg_tensor *inputs[2] = {input, target};
  tg_record(&tg_op_binary_cross_entropy, out, 2, inputs);
  return tg_scope_return(out);
}

static void check_broadcast_weight(const char *loss, const char *what, const tg_tensor *w,
                                   const tg_tensor *input) {
  char sw[TG_SHAPE_STR_MAX], si[TG_SHAPE_STR_MAX];
  if (!w) return;
  bool ok = w->dtype == input->dtype && w->ndim <= input->ndim;
  for (int d = 1; ok && d <= w->ndim; d++)
    ok = w->shape[w->ndim - d] == 1 ||
         w->shape[w->ndim - d] == input->shape[input->ndim - d];
  if (!ok)
    tg_error("%s: %s of shape %s (%s) does not broadcast to the input of shape %s (%s)",
             loss, what, tg_shape_str(tg_shape_of(w), sw), tg_dtype_name(w->dtype),
             tg_shape_str(tg_shape_of(input), si), tg_dtype_name(input->dtype));
}

tg_tensor *tg_bce_loss(tg_tensor *input, tg_tensor *target, const tg_loss_opts *opts) {
  opts = tg_nn_loss_opts(opts);
  tg_nn_check_same_shape("tg_bce_loss", input, target);
  tg_nn_check_reduction("tg_bce_loss", opts->reduction);
  check_broadcast_weight("tg_bce_loss", "weight", opts->weight, input);
  if (input->dtype != TG_FLOAT32 && input->dtype != TG_FLOAT64)
    tg_error("tg_bce_loss: expected float32 or float64 input, got %s",
             tg_dtype_name(input->dtype));
  tg_scope_begin();
  tg_tensor *loss = bce_elementwise(input, target);
  if (opts->weight) loss = tg_mul(loss, opts->weight);
  return tg_scope_return(tg_nn_reduce(loss, opts->reduction));
}

/* (1 - y) x + m + log(exp(-m) + exp(-x - m)), m = max(-x, 0); with pos_weight
 * the log term is scaled by 1 + (pos_weight - 1) y. */
tg_tensor *tg_bce_with_logits_loss(tg_tensor *input, tg_tensor *target,
                                   const tg_loss_opts *opts) {
  opts = tg_nn_loss_opts(opts);
  tg_nn_check_same_shape("tg_bce_with_logits_loss", input, target);
  tg_nn_check_reduction("tg_bce_with_logits_loss", opts->reduction);
  check_broadcast_weight("tg_bce_with_logits_loss", "weight", opts->weight, input);
  check_broadcast_weight("tg_bce_with_logits_loss", "pos_weight", opts->pos_weight,
                         input);
  tg_scope_begin();
  tg_tensor *max_val = tg_clamp(tg_neg(input), 0, INFINITY);
  tg_tensor *log_term =
      tg_log(tg_add(tg_exp(tg_neg(max_val)), tg_exp(tg_sub(tg_neg(input), max_val))));
  tg_tensor *loss = tg_mul(tg_rsub_scalar(target, 1), input);
  if (opts->pos_weight) {
    tg_tensor *log_weight =
        tg_add_scalar(tg_mul(tg_sub_scalar(opts->pos_weight, 1), target), 1);
    loss = tg_add(loss, tg_mul(log_weight, tg_add(log_term, max_val)));
  } else {
    loss = tg_add(tg_add(loss, max_val), log_term);
  }
  if (opts->weight) loss = tg_mul(loss, opts->weight);
  return tg_scope_return(tg_nn_reduce(loss, opts->reduction));
}
