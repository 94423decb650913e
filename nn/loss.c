/* Regression losses and the pieces every loss shares: the reduction and
 * the checks that name the loss and both shapes when they do not fit. */
#include <stdio.h>

#include "tensor/core.h"
#include "nn/loss.h"

tg_tensor *tg_nn_reduce(tg_tensor *loss, tg_reduction reduction) {
  switch (reduction) {
  case TG_MEAN:
    return tg_mean(loss, TG_ALL_DIMS, false);
  case TG_SUM:
    return tg_sum(loss, TG_ALL_DIMS, false);
  case TG_NONE:
    return loss;
  }
  tg_error("tensorgrad nn: unknown reduction %d (expected TG_MEAN, TG_SUM or TG_NONE)",
           (int)reduction);
}

void tg_nn_check_same_shape(const char *loss, const tg_tensor *input,
                            const tg_tensor *target) {
  tg_use(input, loss);
  tg_use(target, loss);
  char si[TG_SHAPE_STR_MAX], st[TG_SHAPE_STR_MAX];
  if (!tg_is_floating(input->dtype) || input->dtype != target->dtype)
    tg_error(
        "%s: expected floating input and target of one dtype, got %s input and %s target",
        loss, tg_dtype_name(input->dtype), tg_dtype_name(target->dtype));
  tg_shape a = tg_shape_of(input), b = tg_shape_of(target);
  bool same = a.ndim == b.ndim;
  for (int d = 0; same && d < a.ndim; d++) same = a.d[d] == b.d[d];
  if (!same)
    tg_error("%s: input of shape %s and target of shape %s differ; they must have the "
             "same shape",
             loss, tg_shape_str(a, si), tg_shape_str(b, st));
}

static const tg_loss_opts defaults = {TG_MEAN, NULL, NULL, false, -100, 0};

/* An option a loss does not take is an error, as an unexpected keyword
 * argument is in PyTorch: silently ignoring a weight would train another
 * model than the one asked for. */
static void check_not_set(const char *loss, bool set, const char *option) {
  if (set) tg_error("%s: this loss has no %s option", loss, option);
}

const tg_loss_opts *tg_nn_loss_opts(const char *loss, const tg_loss_opts *opts,
                                    unsigned takes) {
  if (!opts) return &defaults;
  tg_reduction r = opts->reduction;
  if (r != TG_MEAN && r != TG_SUM && r != TG_NONE)
    tg_error("%s: unknown reduction %d (expected TG_MEAN, TG_SUM or TG_NONE)", loss,
             (int)r);
  check_not_set(loss, !(takes & TG_LOSS_WEIGHT) && opts->weight, "weight");
  check_not_set(loss, !(takes & TG_LOSS_POS_WEIGHT) && opts->pos_weight, "pos_weight");
  check_not_set(loss, !(takes & TG_LOSS_IGNORE_INDEX) && opts->has_ignore_index,
                "ignore_index");
  check_not_set(loss, !(takes & TG_LOSS_LABEL_SMOOTHING) && opts->label_smoothing != 0,
                "label_smoothing");
  return opts;
}

tg_tensor *tg_mse_loss(tg_tensor *input, tg_tensor *target, const tg_loss_opts *opts) {
  tg_reduction reduction = tg_nn_loss_opts("tg_mse_loss", opts, 0)->reduction;
  tg_nn_check_same_shape("tg_mse_loss", input, target);
  tg_scope_begin();
  tg_tensor *diff = tg_sub(input, target);
  tg_tensor *loss = tg_nn_reduce(tg_mul(diff, diff), reduction);
  return tg_scope_return(tg_name_grad_fn(loss, input, "MseLossBackward0"));
}

tg_tensor *tg_l1_loss(tg_tensor *input, tg_tensor *target, const tg_loss_opts *opts) {
  tg_reduction reduction = tg_nn_loss_opts("tg_l1_loss", opts, 0)->reduction;
  tg_nn_check_same_shape("tg_l1_loss", input, target);
  tg_scope_begin();
  return tg_scope_return(tg_nn_reduce(tg_abs(tg_sub(input, target)), reduction));
}
