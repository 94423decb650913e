/* cumsum, one block: the running sum along a dim. Float32 accumulates in
 * double and rounds each partial sum, as ATen's CPU kernel does; int64 and
 * bool sum as int64. */
#include "ops/ops.h"

#define TG_TEMPLATE "ops/scan_loops.inc"
#include "tensor/for_numeric_types.inc"
#undef TG_TEMPLATE

/* The gradient of a running sum is the running sum of g from the end. */
static void cumsum_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  int dim = tg_node_dim(node);
  tg_shape flip = TG_SHAPE(dim);
  grads[0] = tg_flip(tg_cumsum(tg_flip(g, flip), dim), flip);
}

const tg_op tg_op_cumsum = {.name = "cumsum",
                            .backward = cumsum_backward,
                            .args_size = sizeof(tg_dim_arg),
                            .keeps_inputs = TG_KEEPS_NONE};

tg_tensor *tg_cumsum(tg_tensor *t, int dim) {
  int d = tg_wrap_dim("tg_cumsum", dim, t->ndim > 0 ? t->ndim : 1);
  tg_scope_begin();
  tg_tensor *x = tg_contiguous(t->dtype == TG_BOOL ? tg_to(t, TG_INT64) : t);
  int64_t size = x->ndim ? x->shape[d] : 1, outer = 1, inner = 1;
  for (int i = 0; i < d; i++) outer *= x->shape[i];
  for (int i = d + 1; i < x->ndim; i++) inner *= x->shape[i];
  tg_tensor *out = tg_alloc(tg_shape_of(x), x->dtype);
  switch (x->dtype) {
  case TG_FLOAT32:
    cumsum_f32(tg_data_f32(x), tg_data_f32(out), outer, size, inner);
    break;
  case TG_FLOAT64:
    cumsum_f64(tg_data_f64(x), tg_data_f64(out), outer, size, inner);
    break;
  default:
    cumsum_i64(tg_data_i64(x), tg_data_i64(out), outer, size, inner);
    break;
  }
  tg_node *node = tg_record(&tg_op_cumsum, out, 1, &t);
  if (node) tg_node_set_dim(node, d);
  return tg_scope_return(out);
}
