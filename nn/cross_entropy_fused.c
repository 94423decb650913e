/* CrossEntropyLoss of (N, C) logits and int64 class indices, without class
 * weights or label smoothing, as one recorded op: PyTorch's log_softmax
 * (ops/softmax.c's rows, bit for bit in float32) and nll_loss, and in the
 * backward nll_loss's gradient taken through log_softmax's, as PyTorch's
 * kernels compute them. The composite in loss_cross_entropy.c (about a
 * dozen recorded ops with their temporaries) keeps every other case. */
#include "nn/loss.h"
#include "ops/ops.h"

static const char *const loss_name = "tg_cross_entropy_loss";

/* The rows, their targets and the ignore index; `kept` counts the rows
 * whose target is not ignored (the mean's denominator). */
typedef struct ce_rows {
  int64_t n, classes, ignore, kept;
  const int64_t *target;
} ce_rows;

/* PyTorch's nll_loss adds the kept rows into 8 cascaded partial sums, each
 * flushed into the next level every 16 rows of the level below, to bound the
 * float error; summing in that order gives its float result. (Its step is
 * 2^max(4, ceil(log2 N) / 8), which is 16 below 2^40 rows.) */
enum { CASCADE_LEVELS = 8, CASCADE_BITS = 4 };

#define TG_TEMPLATE "nn/cross_entropy_kernels.inc"
#include "tensor/for_float_types.inc"
#undef TG_TEMPLATE

/* Checks every target (before any thread starts) and counts the kept rows. */
static void check_targets(ce_rows *r) {
  for (int64_t i = 0; i < r->n; i++) {
    int64_t t = r->target[i];
    if (t == r->ignore) continue;
    if (t < 0 || t >= r->classes) tg_nn_target_out_of_bounds(loss_name, t, r->classes);
    r->kept++;
  }
}

/* What the node keeps besides saved 0, the log-probabilities, and saved 1,
 * the target. */
typedef struct ce_args {
  tg_reduction reduction;
  int64_t ignore_index, kept;
} ce_args;

static ce_rows node_rows(tg_node *node) {
  tg_tensor *logp = tg_saved(node, 0);
  const ce_args *a = tg_node_args(node);
  return (ce_rows){logp->shape[0], logp->shape[1], a->ignore_index, a->kept,
                   tg_cdata_i64(tg_saved(node, 1))};
}

static tg_reduction node_reduction(tg_node *node) {
  return ((const ce_args *)tg_node_args(node))->reduction;
}

/* nll_loss's gradient, then log_softmax's backward of it through
 * ops/softmax.c's rows (PyTorch's two kernels, so its rounding); only valid
 * while the backward is not recorded. */
static void cross_entropy_backward_fused(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  ce_rows r = node_rows(node);
  tg_tensor *logp = tg_saved(node, 0);
  g = tg_to(g, logp->dtype);
  int64_t step = g->ndim ? g->strides[0] : 0; /* (N) for none, () otherwise */
  double div = node_reduction(node) == TG_MEAN ? (double)r.kept : 1;
  tg_tensor *grad = tg_alloc(tg_shape_of(logp), logp->dtype);
  if (logp->dtype == TG_FLOAT32)
    nll_grad_f32(&r, tg_cdata_f32(g), step, (float)div, tg_data_f32(grad));
  else
    nll_grad_f64(&r, tg_cdata_f64(g), step, div, tg_data_f64(grad));
  tg_softmax_grad_rows(logp->dtype, tg_ptr(grad), tg_ptr(logp), tg_ptr(grad), r.n,
                       r.classes, true);
  grads[0] = grad;
}

/* The same gradient from differentiable ops, so create_graph can take the
 * second derivative (in x through the softmax, in g through the product). */
static void cross_entropy_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *x = tg_node_input(node, 0);
  ce_rows r = node_rows(node);
  if (r.kept == 0) { /* nothing to differentiate */
    grads[0] = tg_zeros_like(x);
    return;
  }
  tg_tensor *target = tg_saved(node, 1);
  tg_tensor *kept = tg_to(tg_ne_scalar(target, (double)r.ignore), x->dtype);
  if (node_reduction(node) == TG_MEAN) g = tg_div_scalar(g, (double)r.kept);
  tg_tensor *gi = tg_mul(g, kept); /* (N): g_i, 0 on ignored rows */
  tg_tensor *classes =
      tg_view(tg_arange(0, (double)r.classes, 1, TG_INT64), TG_SHAPE(1, r.classes));
  tg_tensor *one_hot = tg_to(tg_eq(classes, tg_unsqueeze(target, 1)), x->dtype);
  grads[0] = tg_mul(tg_sub(tg_softmax(x, 1), one_hot), tg_unsqueeze(gi, 1));
}

const tg_op tg_op_cross_entropy = {.name = "cross_entropy",
                                   .backward = cross_entropy_backward,
                                   .backward_fused = cross_entropy_backward_fused,
                                   .args_size = sizeof(ce_args),
                                   .keeps_inputs = TG_KEEPS(TG_INPUT(0), 0)};

/* The reduced loss: the rows' losses (none), their sum, or the sum over the
 * kept rows divided by their count (0 / 0 = nan when all are ignored). */
static tg_tensor *reduce_rows(const ce_rows *r, tg_tensor *loss, tg_reduction reduction) {
  if (reduction == TG_NONE) return loss;
  tg_tensor *out = tg_alloc(TG_SCALAR_SHAPE, loss->dtype);
  if (loss->dtype == TG_FLOAT32) {
    float sum = cascade_sum_f32(r, tg_cdata_f32(loss));
    *tg_data_f32(out) = reduction == TG_MEAN ? sum / (float)r->kept : sum;
  } else {
    double sum = cascade_sum_f64(r, tg_cdata_f64(loss));
    *tg_data_f64(out) = reduction == TG_MEAN ? sum / (double)r->kept : sum;
  }
  return out;
}

tg_tensor *tg_nn_cross_entropy(tg_tensor *input, tg_tensor *target,
                               tg_reduction reduction, int64_t ignore_index) {
  tg_scope_begin();
  tg_tensor *x = tg_contiguous(input), *t = tg_contiguous(target);
  ce_rows r = {input->shape[0], input->shape[1], ignore_index, 0, tg_cdata_i64(t)};
  tg_tensor *logp = tg_alloc(tg_shape_of(input), input->dtype);
  tg_tensor *loss = tg_alloc(TG_SHAPE(r.n), input->dtype);
  check_targets(&r);
  tg_softmax_rows(input->dtype, tg_ptr(x), tg_ptr(logp), r.n, r.classes, true);
  if (input->dtype == TG_FLOAT32)
    row_losses_f32(&r, tg_cdata_f32(logp), tg_data_f32(loss));
  else
    row_losses_f64(&r, tg_cdata_f64(logp), tg_data_f64(loss));
  tg_tensor *out = reduce_rows(&r, loss, reduction);
  tg_node *node = tg_record(&tg_op_cross_entropy, out, 1, &input);
  if (node) {
    tg_save(node, logp);
    tg_save(node, t);
    *(ce_args *)tg_node_args(node) = (ce_args){reduction, ignore_index, r.kept};
  }
  return tg_scope_return(out);
}
