/* CrossEntropyLoss of (N, C) logits and int64 class indices, without class
 * weights or label smoothing, as one recorded op: PyTorch's log_softmax and
 * nll_loss in one typed pass, and the backward g (softmax - one_hot) in one
 * more. The composite in loss_nll.c (about a dozen recorded ops with their
 * temporaries) keeps every other case. */
#include <math.h>

#include "nn/loss.h"
#include "tensor/internal.h"

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

#define CE_KERNELS(T, EXP, LOG)                                                          \
  /* (x - max) - log(sum exp(x - max)) in T and in this order, as PyTorch's              \
   * log_softmax; a row whose max is infinite is not shifted, as in                      \
   * tg_log_softmax. */                                                                  \
  static void log_softmax_row_##T(const T *x, T *logp, int64_t c) {                      \
    T max = -INFINITY, sum = 0;                                                          \
    for (int64_t k = 0; k < c; k++)                                                      \
      if (x[k] > max || x[k] != x[k]) max = x[k];                                        \
    if (isinf(max)) max = 0;                                                             \
    for (int64_t k = 0; k < c; k++) sum += EXP(x[k] - max);                              \
    T log_sum = LOG(sum);                                                                \
    for (int64_t k = 0; k < c; k++) logp[k] = (x[k] - max) - log_sum;                    \
  }                                                                                      \
                                                                                         \
  /* logp of every row and each row's loss -logp[t] (0 where ignored). */                \
  static void forward_##T(ce_rows *r, const T *x, T *logp, T *loss) {                    \
    for (int64_t i = 0; i < r->n; i++) {                                                 \
      const T *row = x + i * r->classes;                                                 \
      T *row_logp = logp + i * r->classes;                                               \
      log_softmax_row_##T(row, row_logp, r->classes);                                    \
      int64_t t = r->target[i];                                                          \
      if (t == r->ignore) {                                                              \
        loss[i] = 0;                                                                     \
        continue;                                                                        \
      }                                                                                  \
      if (t < 0 || t >= r->classes)                                                      \
        tg_nn_target_out_of_bounds(loss_name, t, r->classes);                            \
      r->kept++;                                                                         \
      loss[i] = -row_logp[t];                                                            \
    }                                                                                    \
  }                                                                                      \
                                                                                         \
  static T cascade_sum_##T(const ce_rows *r, const T *loss) {                            \
    T partial[CASCADE_LEVELS] = {0}, total = 0;                                          \
    for (int64_t i = 0; i < r->n; i++) {                                                 \
      if (r->target[i] == r->ignore) continue;                                           \
      partial[0] += loss[i];                                                             \
      for (int j = 0; j + 1 < CASCADE_LEVELS; j++) {                                     \
        if (i & ((int64_t)((1 << CASCADE_BITS) - 1) << (j * CASCADE_BITS))) break;       \
        partial[j + 1] += partial[j];                                                    \
        partial[j] = 0;                                                                  \
      }                                                                                  \
    }                                                                                    \
    for (int j = 0; j < CASCADE_LEVELS; j++) total += partial[j];                        \
    return total;                                                                        \
  }                                                                                      \
                                                                                         \
  /* grad = exp(logp) g_i - [c == t] g_i, 0 on ignored rows: PyTorch's                   \
   * log_softmax backward of nll's gradient (-g_i at t), in its rounding. g_i is         \
   * g[i * step] / div: div is the kept count for the mean (in T, as PyTorch             \
   * divides), else 1, which is exact. */                                                \
  static void backward_##T(const ce_rows *r, const T *logp, const T *g, int64_t step,    \
                           T div, T *grad) {                                             \
    for (int64_t i = 0; i < r->n; i++) {                                                 \
      const T *row_logp = logp + i * r->classes;                                         \
      T *row = grad + i * r->classes, gi = g[i * step] / div;                            \
      int64_t t = r->target[i];                                                          \
      for (int64_t k = 0; k < r->classes; k++)                                           \
        row[k] = t == r->ignore ? 0 : EXP(row_logp[k]) * gi;                             \
      if (t != r->ignore) row[t] -= gi;                                                  \
    }                                                                                    \
  }
CE_KERNELS(float, expf, logf)
CE_KERNELS(double, exp, log)

/* What the node keeps: iarg[0] reduction, iarg[1] ignore index, iarg[2]
 * kept rows; saved 0 the log-probabilities, saved 1 the target. */
static ce_rows node_rows(tg_node *node) {
  tg_tensor *logp = tg_saved(node, 0);
  return (ce_rows){logp->shape[0], logp->shape[1], node->iarg[1], node->iarg[2],
                   tg_data_i64(tg_saved(node, 1))};
}

/* One typed pass; only valid while the backward is not recorded. */
static tg_tensor *fused_backward(tg_node *node, tg_tensor *g) {
  ce_rows r = node_rows(node);
  tg_tensor *logp = tg_saved(node, 0);
  g = tg_to(g, logp->dtype);
  int64_t step = g->ndim ? g->strides[0] : 0; /* (N) for none, () otherwise */
  double div = node->iarg[0] == TG_MEAN ? (double)r.kept : 1;
  tg_tensor *grad = tg_alloc(tg_shape_of(logp), logp->dtype);
  if (logp->dtype == TG_FLOAT32)
    backward_float(&r, tg_data_f32(logp), (const float *)tg_ptr(g), step, (float)div,
                   tg_data_f32(grad));
  else
    backward_double(&r, tg_data_f64(logp), (const double *)tg_ptr(g), step, div,
                    tg_data_f64(grad));
  return grad;
}

/* The same gradient from differentiable ops, so create_graph can take the
 * second derivative (in x through the softmax, in g through the product). */
static tg_tensor *composite_backward(tg_node *node, tg_tensor *g) {
  tg_tensor *x = tg_node_input(node, 0);
  ce_rows r = node_rows(node);
  if (r.kept == 0) return tg_zeros_like(x); /* nothing to differentiate */
  tg_tensor *target = tg_saved(node, 1);
  tg_tensor *kept = tg_to(tg_ne_scalar(target, (double)r.ignore), x->dtype);
  if (node->iarg[0] == TG_MEAN) g = tg_div_scalar(g, (double)r.kept);
  tg_tensor *gi = tg_mul(g, kept); /* (N): g_i, 0 on ignored rows */
  tg_tensor *classes =
      tg_view(tg_arange(0, (double)r.classes, 1, TG_INT64), TG_SHAPE(1, r.classes));
  tg_tensor *one_hot = tg_to(tg_eq(classes, tg_unsqueeze(target, 1)), x->dtype);
  return tg_mul(tg_sub(tg_softmax(x, 1), one_hot), tg_unsqueeze(gi, 1));
}

static void cross_entropy_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = tg_is_grad_enabled() ? composite_backward(node, g) : fused_backward(node, g);
}

/* Every reduction at once, on targets with an ignored row, so one gradcheck
 * covers the three backward paths. */
static tg_tensor *cross_entropy_apply(tg_tensor *const *x) {
  int64_t n = x[0]->shape[0], c = x[0]->shape[1];
  tg_scope_begin();
  tg_tensor *target = tg_empty(TG_SHAPE(n), TG_INT64);
  int64_t *t = tg_data_i64(target);
  for (int64_t i = 0; i < n; i++) t[i] = i == 1 ? -100 : (3 * i + 1) % c;
  tg_tensor *parts[3];
  for (int r = TG_MEAN; r <= TG_NONE; r++)
    parts[r] = tg_reshape(tg_nn_cross_entropy(x[0], target, (tg_reduction)r, -100),
                          TG_SHAPE(-1));
  return tg_scope_return(tg_cat(parts, 3, 0));
}

const tg_op tg_op_cross_entropy = {
    "cross_entropy",
    cross_entropy_backward,
    {cross_entropy_apply,
     1,
     3,
     {{TG_SHAPE(4, 3)}, {TG_SHAPE(3, 5)}, {TG_SHAPE(1, 4)}},
     -2,
     2,
     0,
     true}};

/* The reduced loss: the rows' losses (none), their sum, or the sum over the
 * kept rows divided by their count (0 / 0 = nan when all are ignored). */
static tg_tensor *reduce_rows(const ce_rows *r, tg_tensor *loss, tg_reduction reduction) {
  if (reduction == TG_NONE) return loss;
  tg_tensor *out = tg_alloc(TG_SCALAR_SHAPE, loss->dtype);
  if (loss->dtype == TG_FLOAT32) {
    float sum = cascade_sum_float(r, tg_data_f32(loss));
    *tg_data_f32(out) = reduction == TG_MEAN ? sum / (float)r->kept : sum;
  } else {
    double sum = cascade_sum_double(r, tg_data_f64(loss));
    *tg_data_f64(out) = reduction == TG_MEAN ? sum / (double)r->kept : sum;
  }
  return out;
}

tg_tensor *tg_nn_cross_entropy(tg_tensor *input, tg_tensor *target,
                               tg_reduction reduction, int64_t ignore_index) {
  tg_scope_begin();
  tg_tensor *x = tg_contiguous(input), *t = tg_contiguous(target);
  ce_rows r = {input->shape[0], input->shape[1], ignore_index, 0, tg_data_i64(t)};
  tg_tensor *logp = tg_alloc(tg_shape_of(input), input->dtype);
  tg_tensor *loss = tg_alloc(TG_SHAPE(r.n), input->dtype);
  if (input->dtype == TG_FLOAT32)
    forward_float(&r, tg_data_f32(x), tg_data_f32(logp), tg_data_f32(loss));
  else
    forward_double(&r, tg_data_f64(x), tg_data_f64(logp), tg_data_f64(loss));
  tg_tensor *out = reduce_rows(&r, loss, reduction);
  tg_node *node = tg_record(&tg_op_cross_entropy, out, 1, &input);
  if (node) {
    tg_save(node, logp);
    tg_save(node, t);
    node->iarg[0] = reduction;
    node->iarg[1] = ignore_index;
    node->iarg[2] = r.kept;
  }
  return tg_scope_return(out);
}
