/* softmax and log_softmax along one dim, numerically stable: the line's
 * maximum is subtracted before exponentiating. */
#include <math.h>

#include "tensor/internal.h"

/* Runs over every line along `dim` of contiguous `in`, writing `out`. */
static void softmax_lines(const tg_tensor *in, tg_tensor *out, int dim, bool log_space) {
  int64_t outer = 1, inner = 1, len = in->ndim ? in->shape[dim] : 1;
  for (int i = 0; i < dim; i++) outer *= in->shape[i];
  for (int i = dim + 1; i < in->ndim; i++) inner *= in->shape[i];
  const char *src = tg_ptr(in);
  char *dst = tg_ptr(out);
  int64_t elem = (int64_t)tg_dtype_size(in->dtype);
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) {
      int64_t base = o * len * inner + i;
      double max = -INFINITY, sum = 0;
      for (int64_t k = 0; k < len; k++) {
        double v = tg_load(src + (base + k * inner) * elem, in->dtype);
        if (v > max || v != v) max = v;
      }
      if (isinf(max)) max = 0; /* all -inf (or +inf) lines: no shift */
      for (int64_t k = 0; k < len; k++)
        sum += exp(tg_load(src + (base + k * inner) * elem, in->dtype) - max);
      double log_sum = log(sum);
      for (int64_t k = 0; k < len; k++) {
        double shifted = tg_load(src + (base + k * inner) * elem, in->dtype) - max;
        double v = log_space ? shifted - log_sum : exp(shifted) / sum;
        tg_store(dst + (base + k * inner) * elem, in->dtype, v);
      }
    }
}

/* d softmax: y * (g - sum(g * y)) */
static void softmax_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  int dim = (int)node->iarg[0];
  tg_tensor *y = tg_saved_output(node);
  tg_tensor *dot = tg_sum(tg_mul(g, y), TG_DIMS(dim), true);
  grads[0] = tg_mul(y, tg_sub(g, dot));
}

/* d log_softmax: g - exp(y) * sum(g) */
static void log_softmax_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  int dim = (int)node->iarg[0];
  tg_tensor *y = tg_saved_output(node);
  grads[0] = tg_sub(g, tg_mul(tg_exp(y), tg_sum(g, TG_DIMS(dim), true)));
}

static tg_tensor *softmax_apply(tg_tensor *const *x) {
  return tg_softmax(x[0], 1);
}
static tg_tensor *log_softmax_apply(tg_tensor *const *x) {
  return tg_log_softmax(x[0], -1);
}

const tg_op tg_op_softmax = {
    "softmax",
    softmax_backward,
    {softmax_apply, 1, 2, {{TG_SHAPE(3, 4)}, {TG_SHAPE(2, 3, 2)}}, -2, 2, 0, true}};
const tg_op tg_op_log_softmax = {
    "log_softmax",
    log_softmax_backward,
    {log_softmax_apply, 1, 2, {{TG_SHAPE(3, 4)}, {TG_SHAPE(2, 3, 2)}}, -2, 2, 0, true}};

static tg_tensor *softmax_forward(const char *name, const tg_op *op, tg_tensor *t,
                                  int dim, bool log_space) {
  tg_check_floating(name, t);
  int d = tg_wrap_dim(name, dim, t->ndim);
  tg_scope_begin();
  tg_tensor *out = tg_alloc(tg_shape_of(t), t->dtype);
  softmax_lines(tg_contiguous(t), out, d, log_space);
  tg_node *node = tg_record(op, out, 1, &t);
  if (node) {
    node->iarg[0] = d;
    tg_save_output(node, out);
  }
  return tg_scope_return(out);
}

tg_tensor *tg_softmax(tg_tensor *t, int dim) {
  return softmax_forward("tg_softmax", &tg_op_softmax, t, dim, false);
}

tg_tensor *tg_log_softmax(tg_tensor *t, int dim) {
  return softmax_forward("tg_log_softmax", &tg_op_log_softmax, t, dim, true);
}
