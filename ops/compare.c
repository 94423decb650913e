/* Comparisons: broadcast like arithmetic, give bool tensors, never recorded
 * (their gradient is zero almost everywhere). */
#include <stdio.h>

#include "ops/ops.h"

#define COMPARE_LOOP(name, T, OP)                                                        \
  static void name(char **p, const int64_t *s, int64_t n, void *ctx) {                   \
    (void)ctx;                                                                           \
    for (int64_t i = 0; i < n; i++)                                                      \
      *(bool *)(p[0] + i * s[0]) =                                                       \
          *(const T *)(p[1] + i * s[1]) OP * (const T *)(p[2] + i * s[2]);               \
  }

#define COMPARE(op, OP)                                                                  \
  COMPARE_LOOP(op##_bool, bool, OP)                                                      \
  COMPARE_LOOP(op##_i64, int64_t, OP)                                                    \
  COMPARE_LOOP(op##_f32, float, OP)                                                      \
  COMPARE_LOOP(op##_f64, double, OP)                                                     \
  static const tg_loop_fn op##_loops[4] = {op##_bool, op##_i64, op##_f32, op##_f64};     \
  tg_tensor *tg_##op(tg_tensor *a, tg_tensor *b) {                                       \
    return compare(#op, op##_loops, a, b);                                               \
  }                                                                                      \
  tg_tensor *tg_##op##_scalar(tg_tensor *a, double s) {                                  \
    return compare_scalar(tg_##op, a, s);                                                \
  }

static tg_tensor *compare(const char *name, const tg_loop_fn *loops, tg_tensor *a,
                          tg_tensor *b) {
  char op[32];
  snprintf(op, sizeof op, "tg_%s", name);
  tg_shape shape = tg_broadcast_shapes(op, tg_shape_of(a), tg_shape_of(b));
  tg_dtype dt = tg_promote(a->dtype, b->dtype);
  tg_scope_begin();
  tg_tensor *ops[3] = {tg_alloc(shape, TG_BOOL), tg_to(a, dt), tg_to(b, dt)};
  tg_run_elementwise(shape, 3, ops, loops[dt], NULL);
  return tg_scope_return(ops[0]);
}

static tg_tensor *compare_scalar(tg_tensor *(*op)(tg_tensor *, tg_tensor *), tg_tensor *a,
                                 double s) {
  tg_scope_begin();
  tg_dtype dt = tg_is_floating(a->dtype) ? a->dtype : TG_FLOAT64;
  return tg_scope_return(op(a, tg_scalar(s, dt)));
}

COMPARE(eq, ==)
COMPARE(ne, !=)
COMPARE(lt, <)
COMPARE(le, <=)
COMPARE(gt, >)
COMPARE(ge, >=)
