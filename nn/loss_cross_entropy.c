/* NLLLoss and CrossEntropyLoss with PyTorch 1.13's semantics: class
 * weights with the weighted mean (divided by the total weight of the
 * targets), ignore_index, label smoothing and probability targets. Built
 * from gather and log_softmax, so every derivative comes from theirs; the
 * common CrossEntropyLoss (class indices over (N, C), no weights, no
 * smoothing) runs as the fused op of cross_entropy_fused.c instead. */
#include <stdio.h>
#include <string.h>

#include "tensor/core.h"
#include "nn/loss.h"

static int64_t ignore_index(const tg_loss_opts *o) {
  return o->has_ignore_index ? o->ignore_index : -100;
}

/* target dims are input dims without the class dim 1 */
static bool target_fits(const tg_tensor *input, const tg_tensor *target) {
  if (target->ndim != input->ndim - 1) return false;
  for (int d = 0; d < target->ndim; d++)
    if (target->shape[d] != input->shape[d < 1 ? d : d + 1]) return false;
  return true;
}

static void expected_target_shape(const tg_tensor *input, char *buf) {
  tg_shape s = {0, {0}};
  for (int d = 0; d < input->ndim; d++)
    if (d != 1) s.d[s.ndim++] = input->shape[d];
  tg_shape_str(s, buf);
}

static void check_class_target(const char *loss, const tg_tensor *input,
                               const tg_tensor *target, bool probabilities_allowed) {
  char si[TG_SHAPE_STR_MAX], st[TG_SHAPE_STR_MAX], se[TG_SHAPE_STR_MAX];
  if (!tg_is_floating(input->dtype) || input->ndim < 2)
    tg_error(
        "%s: expected a floating input of shape (N, C) or (N, C, d1, ...), got %s %s",
        loss, tg_dtype_name(input->dtype), tg_shape_str(tg_shape_of(input), si));
  if (target->dtype == TG_INT64 && target_fits(input, target)) return;
  expected_target_shape(input, se);
  tg_error(
      "%s: expected an int64 class-index target of shape %s for input of shape %s%s%s%s, "
      "got a %s target of shape %s",
      loss, se, tg_shape_str(tg_shape_of(input), si),
      probabilities_allowed ? " (or class probabilities of shape " : "",
      probabilities_allowed ? si : "", probabilities_allowed ? ")" : "",
      tg_dtype_name(target->dtype), tg_shape_str(tg_shape_of(target), st));
}

static void check_class_weight(const char *loss, const tg_tensor *weight,
                               const tg_tensor *input) {
  char sw[TG_SHAPE_STR_MAX];
  if (weight && (weight->ndim != 1 || weight->shape[0] != input->shape[1] ||
                 weight->dtype != input->dtype))
    tg_error(
        "%s: weight of shape %s (%s) must be a %s vector of one weight per class (%lld)",
        loss, tg_shape_str(tg_shape_of(weight), sw), tg_dtype_name(weight->dtype),
        tg_dtype_name(input->dtype), (long long)input->shape[1]);
}

void tg_nn_target_out_of_bounds(const char *loss, int64_t target, int64_t classes) {
  tg_error("%s: target %lld is out of bounds for %lld classes", loss, (long long)target,
           (long long)classes);
}

/* Every target is a class or the ignore index. */
static void check_bounds(const char *loss, tg_tensor *target, int64_t classes,
                         int64_t ignore) {
  const int64_t *t = tg_cdata_i64(tg_contiguous(target));
  for (int64_t i = 0; i < tg_numel(target); i++)
    if (t[i] != ignore && (t[i] < 0 || t[i] >= classes))
      tg_nn_target_out_of_bounds(loss, t[i], classes);
}

/* The weight of each target: weight[target] (1 without class weights),
 * 0 where the target is ignored. Shape of target, dtype of input. */
static tg_tensor *target_weights(const tg_tensor *input, tg_tensor *target,
                                 tg_tensor *safe_target, const tg_loss_opts *o) {
  tg_tensor *kept = tg_to(tg_ne_scalar(target, (double)ignore_index(o)), input->dtype);
  if (!o->weight) return kept;
  tg_tensor *picked =
      tg_index_select(o->weight, 0, tg_reshape(safe_target, TG_SHAPE(-1)));
  return tg_mul(tg_view(picked, tg_shape_of(target)), kept);
}

/* Unreduced NLL (-w[t] x[t], 0 where ignored) and the per-target weights.
 * An ignored target's log-probability is masked out, not only weighted by 0:
 * with every target ignored the mean divides by a total weight of 0, and
 * inf * 0 would carry NaN into the gradient where PyTorch's is 0. */
static tg_tensor *nll_terms(tg_tensor *logp, tg_tensor *target, const tg_loss_opts *o,
                            tg_tensor **weights) {
  tg_tensor *ignored = tg_eq_scalar(target, (double)ignore_index(o));
  tg_tensor *safe = tg_masked_fill(target, ignored, 0);
  tg_tensor *picked = tg_masked_fill(
      tg_squeeze(tg_gather(logp, 1, tg_unsqueeze(safe, 1)), 1), ignored, 0);
  *weights = target_weights(logp, target, safe, o);
  return tg_neg(tg_mul(picked, *weights));
}

static tg_tensor *reduce_weighted(tg_tensor *terms, tg_tensor *weights,
                                  tg_reduction reduction) {
  if (reduction == TG_MEAN)
    return tg_div(tg_sum(terms, TG_ALL_DIMS, false), tg_sum(weights, TG_ALL_DIMS, false));
  return tg_nn_reduce(terms, reduction);
}

/* A (C) input with a () target is one sample: run it as (1, C) and (1). */
static void add_batch_dim(tg_tensor **input, tg_tensor **target) {
  if ((*input)->ndim != 1) return;
  *input = tg_unsqueeze(*input, 0);
  *target = tg_unsqueeze(*target, 0);
}

static tg_tensor *drop_batch_dim(tg_tensor *loss, bool added, tg_reduction reduction) {
  return added && reduction == TG_NONE ? tg_squeeze(loss, 0) : loss;
}

tg_tensor *tg_nll_loss(tg_tensor *input, tg_tensor *target, const tg_loss_opts *opts) {
  const tg_loss_opts *o =
      tg_nn_loss_opts("tg_nll_loss", opts, TG_LOSS_WEIGHT | TG_LOSS_IGNORE_INDEX);
  tg_use(input, "tg_nll_loss");
  tg_use(target, "tg_nll_loss");
  tg_scope_begin();
  bool one_sample = input->ndim == 1 && target->ndim == 0;
  if (one_sample) add_batch_dim(&input, &target);
  check_class_target("tg_nll_loss", input, target, false);
  check_class_weight("tg_nll_loss", o->weight, input);
  check_bounds("tg_nll_loss", target, input->shape[1], ignore_index(o));
  tg_tensor *weights;
  tg_tensor *terms = nll_terms(input, target, o, &weights);
  tg_tensor *loss = reduce_weighted(terms, weights, o->reduction);
  tg_tensor *out = drop_batch_dim(loss, one_sample, o->reduction);
  return tg_scope_return(tg_name_grad_fn(out, input, "NllLossBackward0"));
}

/* (C) -> (1, C, 1, ...) */
static tg_tensor *class_view(tg_tensor *w, int ndim) {
  tg_shape s = {ndim, {0}};
  for (int d = 0; d < ndim; d++) s.d[d] = d == 1 ? w->shape[0] : 1;
  return tg_view(w, s);
}

/* Class-index targets: (1 - eps) nll + eps / C * smooth, where smooth is the
 * (weighted) sum of -log p over all classes, reduced like the nll. */
static tg_tensor *cross_entropy_indices(tg_tensor *logp, tg_tensor *target,
                                        const tg_loss_opts *o) {
  tg_tensor *weights;
  tg_tensor *terms = nll_terms(logp, target, o, &weights);
  tg_tensor *nll = reduce_weighted(terms, weights, o->reduction);
  double eps = o->label_smoothing;
  if (eps == 0) return nll;
  tg_tensor *weighted =
      o->weight ? tg_mul(logp, class_view(o->weight, logp->ndim)) : logp;
  tg_tensor *smooth = tg_neg(tg_sum(weighted, TG_DIMS(1), false));
  tg_tensor *ignored = tg_eq_scalar(target, (double)ignore_index(o));
  smooth = tg_masked_fill(smooth, ignored, 0);
  if (o->reduction == TG_MEAN) {
    /* the denominator is the nll's: the total weight of the kept targets */
    smooth =
        tg_div(tg_sum(smooth, TG_ALL_DIMS, false), tg_sum(weights, TG_ALL_DIMS, false));
  } else {
    smooth = tg_nn_reduce(smooth, o->reduction);
  }
  double classes = (double)logp->shape[1];
  return tg_add(tg_mul_scalar(nll, 1 - eps), tg_mul_scalar(smooth, eps / classes));
}

/* Probability targets: -sum_c w_c q_c log p_c, the mean dividing by the
 * number of samples (not by weights). */
static tg_tensor *cross_entropy_probs(tg_tensor *logp, tg_tensor *target,
                                      const tg_loss_opts *o) {
  double eps = o->label_smoothing, classes = (double)logp->shape[1];
  if (eps > 0) target = tg_add_scalar(tg_mul_scalar(target, 1 - eps), eps / classes);
  tg_tensor *terms = tg_mul(logp, target);
  if (o->weight) terms = tg_mul(terms, class_view(o->weight, logp->ndim));
  switch (o->reduction) {
  case TG_NONE:
    return tg_neg(tg_sum(terms, TG_DIMS(1), false));
  case TG_SUM:
    return tg_neg(tg_sum(terms, TG_ALL_DIMS, false));
  case TG_MEAN:
    break;
  }
  double samples = (double)(tg_numel(logp) / logp->shape[1]);
  return tg_div_scalar(tg_neg(tg_sum(terms, TG_ALL_DIMS, false)), samples);
}

static bool same_shape(const tg_tensor *a, const tg_tensor *b) {
  return a->ndim == b->ndim &&
         !memcmp(a->shape, b->shape, (size_t)a->ndim * sizeof *a->shape);
}

/* The common case runs as one fused op: class indices over (N, C), no class
 * weights, no smoothing. */
static bool fused_case(const tg_tensor *input, const tg_loss_opts *o) {
  return input->ndim == 2 && !o->weight && o->label_smoothing == 0;
}

static tg_tensor *cross_entropy_of_indices(const char *name, tg_tensor *input,
                                           tg_tensor *target, const tg_loss_opts *o) {
  check_class_target(name, input, target, true);
  check_class_weight(name, o->weight, input);
  if (fused_case(input, o))
    return tg_nn_cross_entropy(input, target, o->reduction, ignore_index(o));
  check_bounds(name, target, input->shape[1], ignore_index(o));
  return cross_entropy_indices(tg_log_softmax(input, 1), target, o);
}

static tg_tensor *cross_entropy_of_probs(const char *name, tg_tensor *input,
                                         tg_tensor *target, const tg_loss_opts *o) {
  if (!tg_is_floating(input->dtype) || input->dtype != target->dtype)
    tg_error("%s: probability targets must have the input's dtype, got %s input and %s "
             "target",
             name, tg_dtype_name(input->dtype), tg_dtype_name(target->dtype));
  if (o->has_ignore_index && o->ignore_index != -100)
    tg_error("%s: ignore_index is not supported for probability targets", name);
  check_class_weight(name, o->weight, input);
  return cross_entropy_probs(tg_log_softmax(input, 1), target, o);
}

tg_tensor *tg_cross_entropy_loss(tg_tensor *input, tg_tensor *target,
                                 const tg_loss_opts *opts) {
  const char *name = "tg_cross_entropy_loss";
  const tg_loss_opts *o = tg_nn_loss_opts(
      name, opts, TG_LOSS_WEIGHT | TG_LOSS_IGNORE_INDEX | TG_LOSS_LABEL_SMOOTHING);
  if (!(o->label_smoothing >= 0 && o->label_smoothing <= 1))
    tg_error("%s: label_smoothing must be between 0.0 and 1.0, got %g", name,
             o->label_smoothing);
  tg_use(input, name);
  tg_use(target, name);
  tg_scope_begin();
  bool probabilities = tg_is_floating(target->dtype) && same_shape(input, target);
  bool one_sample = input->ndim == 1 && (target->ndim == 0 || probabilities);
  if (one_sample) add_batch_dim(&input, &target);
  tg_tensor *loss = probabilities ? cross_entropy_of_probs(name, input, target, o)
                                  : cross_entropy_of_indices(name, input, target, o);
  tg_tensor *out = drop_batch_dim(loss, one_sample, o->reduction);
  return tg_scope_return(tg_name_grad_fn(out, input, "NllLossBackward0"));
}
