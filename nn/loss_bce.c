/* Binary cross entropy on probabilities (an op, so its gradient is
 * PyTorch's (x - y) / max(x (1 - x), 1e-12) even where the log is clamped)
 * and on logits (composed of ops with PyTorch's stable formula). */
#include <math.h>
#include <stdio.h>

#include "nn/loss.h"
#include "tensor/core.h"

#define TG_TEMPLATE "nn/loss_bce_kernels.inc"
#include "tensor/for_float_types.inc"
#undef TG_TEMPLATE

/* d loss / d x, PyTorch's formula as recorded ops (so double backward
 * works). PyTorch's EPSILON is the float 1e-12f, also for float64. */
static tg_tensor *input_grad(tg_tensor *g, tg_tensor *x, tg_tensor *y) {
  tg_tensor *denom = tg_clamp(tg_mul(tg_rsub_scalar(x, 1), x), 1e-12f, INFINITY);
  return tg_div(tg_mul(g, tg_sub(x, y)), denom);
}

/* The same in one typed pass, when operands share a dtype. */
static tg_tensor *input_grad_fused(tg_tensor *g, tg_tensor *x, tg_tensor *y) {
  if (g->dtype != x->dtype || y->dtype != x->dtype) return input_grad(g, x, y);
  tg_tensor *out = tg_alloc(tg_shape_of(x), x->dtype);
  tg_tensor *ops[4] = {out, g, x, y};
  tg_run_elementwise(tg_shape_of(x), 4, ops,
                     x->dtype == TG_FLOAT32 ? bce_grad_f32 : bce_grad_f64, NULL);
  return out;
}

static void bce_grads(tg_node *node, tg_tensor *g, tg_tensor **grads, bool fused) {
  tg_tensor *x = tg_node_input(node, 0), *y = tg_node_input(node, 1);
  if (tg_needs_input_grad(node, 0))
    grads[0] = fused ? input_grad_fused(g, x, y) : input_grad(g, x, y);
  if (tg_needs_input_grad(node, 1)) /* -logit(x), unclamped like PyTorch */
    grads[1] = tg_mul(g, tg_sub(tg_log1p(tg_neg(x)), tg_log(x)));
}

static void bce_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  bce_grads(node, g, grads, false);
}

static void bce_backward_fused(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  bce_grads(node, g, grads, true);
}

const tg_op tg_op_binary_cross_entropy = {.name = "binary_cross_entropy",
                                          .backward = bce_backward,
                                          .backward_fused = bce_backward_fused,
                                          .keeps_inputs =
                                              TG_KEEPS(TG_INPUT(0) | TG_INPUT(1), 0)};

static tg_tensor *bce_elementwise(tg_tensor *input, tg_tensor *target) {
  tg_scope_begin();
  tg_tensor *x = tg_contiguous(input), *y = tg_contiguous(target);
  tg_tensor *out = tg_alloc(tg_shape_of(input), input->dtype);
  bool ok = input->dtype == TG_FLOAT32 ? bce_loss_f32(tg_cdata_f32(x), tg_cdata_f32(y),
                                                      tg_data_f32(out), tg_numel(out))
                                       : bce_loss_f64(tg_cdata_f64(x), tg_cdata_f64(y),
                                                      tg_data_f64(out), tg_numel(out));
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
  opts = tg_nn_loss_opts("tg_bce_loss", opts, TG_LOSS_WEIGHT);
  tg_nn_check_same_shape("tg_bce_loss", input, target);
  check_broadcast_weight("tg_bce_loss", "weight", opts->weight, input);
  if (input->dtype != TG_FLOAT32 && input->dtype != TG_FLOAT64)
    tg_error("tg_bce_loss: expected float32 or float64 input, got %s",
             tg_dtype_name(input->dtype));
  tg_scope_begin();
  tg_tensor *loss = bce_elementwise(input, target);
  if (opts->weight) loss = tg_mul(loss, opts->weight);
  return tg_scope_return(tg_name_grad_fn(tg_nn_reduce(loss, opts->reduction), input,
                                         "BinaryCrossEntropyBackward0"));
}

/* (1 - y) x + m + log(exp(-m) + exp(-x - m)), m = max(-x, 0); with pos_weight
 * the log term is scaled by 1 + (pos_weight - 1) y. */
tg_tensor *tg_bce_with_logits_loss(tg_tensor *input, tg_tensor *target,
                                   const tg_loss_opts *opts) {
  opts = tg_nn_loss_opts("tg_bce_with_logits_loss", opts,
                         TG_LOSS_WEIGHT | TG_LOSS_POS_WEIGHT);
  tg_nn_check_same_shape("tg_bce_with_logits_loss", input, target);
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
  return tg_scope_return(tg_name_grad_fn(tg_nn_reduce(loss, opts->reduction), input,
                                         "BinaryCrossEntropyBackward0"));
}
