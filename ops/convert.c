/* Copies and conversions: clone, contiguous, to(dtype), detach. */
#include "ops/ops.h"

/* ---- clone: a contiguous copy; its gradient passes straight through ---- */

static void clone_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = g;
}

const tg_op tg_op_clone = {
    .name = "clone", .backward = clone_backward, .keeps_inputs = TG_KEEPS_NONE};

tg_tensor *tg_clone(tg_tensor *t) {
  tg_tensor *out = tg_alloc(tg_shape_of(t), t->dtype);
  tg_copy_into(out, t);
  tg_record(&tg_op_clone, out, 1, &t);
  return out;
}

tg_tensor *tg_contiguous(tg_tensor *t) {
  return tg_is_contiguous(t) ? tg_scope_adopt(tg_retain(t)) : tg_clone(t);
}

/* ---- to(dtype): differentiable between floating dtypes ---- */

static void to_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = tg_to(g, tg_node_input_meta(node, 0)->dtype);
}

const tg_op tg_op_to = {
    .name = "to", .backward = to_backward, .keeps_inputs = TG_KEEPS_NONE};

tg_tensor *tg_to(tg_tensor *t, tg_dtype dtype) {
  if (t->dtype == dtype) return tg_scope_adopt(tg_retain(t));
  tg_tensor *out = tg_alloc(tg_shape_of(t), dtype);
  tg_copy_into(out, t);
  if (tg_is_floating(dtype)) tg_record(&tg_op_to, out, 1, &t);
  return out;
}

/* ---- detach: a new header on the same storage, outside the tape ---- */

tg_tensor *tg_detach(tg_tensor *t) {
  return tg_alias(t, tg_shape_of(t), t->strides, t->offset);
}
