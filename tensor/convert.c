/* Copies and conversions: clone, contiguous, to(dtype), detach. */
#include "tensor/internal.h"

/* ---- clone: a contiguous copy; its gradient passes straight through ---- */

static void clone_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = g;
}

static tg_tensor *clone_apply(tg_tensor *const *x) {
  return tg_clone(x[0]);
}

const tg_op tg_op_clone = {
    "clone", clone_backward, {clone_apply, 1, 1, {{TG_SHAPE(3, 4)}}, -1, 1, 0, false}};

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
  grads[0] = tg_to(g, tg_node_input(node, 0)->dtype);
}

static tg_tensor *to_apply(tg_tensor *const *x) {
  return tg_to(tg_to(x[0], TG_FLOAT32), TG_FLOAT64);
}

/* The round trip through float32 is linear, so a large step keeps float32
 * rounding out of the finite differences. */
const tg_op tg_op_to = {
    "to", to_backward, {to_apply, 1, 1, {{TG_SHAPE(2, 3)}}, -1, 1, 0, false, 1e-2}};

tg_tensor *tg_to(tg_tensor *t, tg_dtype dtype) {
  if (t->dtype == dtype) return tg_scope_adopt(tg_retain(t));
  tg_tensor *out = tg_alloc(tg_shape_of(t), dtype);
  tg_copy_into(out, t);
  if (tg_is_floating(dtype)) tg_record(&tg_op_to, out, 1, &t);
  return out;
}

tg_tensor *tg_detach(tg_tensor *t) {
  return tg_alias(t, tg_shape_of(t), t->strides, t->offset);
}
