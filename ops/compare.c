/* Comparisons: broadcast like arithmetic, give bool tensors, never recorded
 * (their gradient is zero almost everywhere). */
#include <stdio.h>

#include "ops/ops.h"

typedef enum { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE } compare_kind;

#define TG_TEMPLATE "ops/compare_loops.inc"
#include "tensor/for_numeric_types.inc"
#define T bool
#define SUFFIX b8
#include TG_TEMPLATE
#undef T
#undef SUFFIX
#undef TG_TEMPLATE

static const tg_loop_fn compare_loops[4] = {compare_b8, compare_i64, compare_f32,
                                            compare_f64};

/* a (kind) b in the dtype both promote to; `name` for error messages */
static tg_tensor *compare(const char *name, compare_kind kind, tg_tensor *a,
                          tg_tensor *b) {
  tg_use(a, name);
  tg_use(b, name);
  tg_shape shape = tg_broadcast_shapes(name, tg_shape_of(a), tg_shape_of(b));
  tg_dtype dt = tg_promote(a->dtype, b->dtype);
  tg_scope_begin();
  tg_tensor *ops[3] = {tg_alloc(shape, TG_BOOL), tg_to(a, dt), tg_to(b, dt)};
  tg_run_elementwise(shape, 3, ops, compare_loops[dt], &kind);
  return tg_scope_return(ops[0]);
}

/* a (kind) s, the scalar in a's dtype when floating, else in float64 */
static tg_tensor *compare_scalar(tg_tensor *(*op)(tg_tensor *, tg_tensor *), tg_tensor *a,
                                 double s) {
  tg_use(a, "comparison with a scalar");
  tg_scope_begin();
  tg_dtype dt = tg_is_floating(a->dtype) ? a->dtype : TG_FLOAT64;
  return tg_scope_return(op(a, tg_scalar(s, dt)));
}

tg_tensor *tg_eq(tg_tensor *a, tg_tensor *b) {
  return compare("tg_eq", CMP_EQ, a, b);
}
tg_tensor *tg_ne(tg_tensor *a, tg_tensor *b) {
  return compare("tg_ne", CMP_NE, a, b);
}
tg_tensor *tg_lt(tg_tensor *a, tg_tensor *b) {
  return compare("tg_lt", CMP_LT, a, b);
}
tg_tensor *tg_le(tg_tensor *a, tg_tensor *b) {
  return compare("tg_le", CMP_LE, a, b);
}
tg_tensor *tg_gt(tg_tensor *a, tg_tensor *b) {
  return compare("tg_gt", CMP_GT, a, b);
}
tg_tensor *tg_ge(tg_tensor *a, tg_tensor *b) {
  return compare("tg_ge", CMP_GE, a, b);
}

tg_tensor *tg_eq_scalar(tg_tensor *a, double s) {
  return compare_scalar(tg_eq, a, s);
}
tg_tensor *tg_ne_scalar(tg_tensor *a, double s) {
  return compare_scalar(tg_ne, a, s);
}
tg_tensor *tg_lt_scalar(tg_tensor *a, double s) {
  return compare_scalar(tg_lt, a, s);
}
tg_tensor *tg_le_scalar(tg_tensor *a, double s) {
  return compare_scalar(tg_le, a, s);
}
tg_tensor *tg_gt_scalar(tg_tensor *a, double s) {
  return compare_scalar(tg_gt, a, s);
}
tg_tensor *tg_ge_scalar(tg_tensor *a, double s) {
  return compare_scalar(tg_ge, a, s);
}
