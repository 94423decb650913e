/* Walks the op table and gradchecks every differentiable op in float64, on
 * each of its shape cases, with contiguous and non-contiguous inputs, and
 * gradgradchecks the ops whose second derivative is not trivially zero. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "test_util.h"

/* Uniform in [low, high], redrawn while |x| < min_abs (kinks at 0). */
static void fill_inputs(tg_tensor *t, const tg_op_check *c) {
  double *d = tg_data_f64(t);
  for (int64_t i = 0; i < tg_numel(t); i++) {
    double v;
    do {
      v = c->low + (c->high - c->low) * (double)tg_random_u32() / 4294967296.0;
    } while (fabs(v) < c->min_abs);
    d[i] = v;
  }
}

/* A float64 leaf of `shape`; non-contiguous when asked and possible: it is
 * the transpose of a buffer laid out with the last two dims swapped. */
static tg_tensor *make_input(tg_shape shape, const tg_op_check *c, bool non_contiguous) {
  if (!non_contiguous || shape.ndim < 2) {
    tg_tensor *t = tg_empty(shape, TG_FLOAT64);
    fill_inputs(t, c);
    return tg_requires_grad_(t, true);
  }
  tg_shape swapped = shape;
  swapped.d[shape.ndim - 1] = shape.d[shape.ndim - 2];
  swapped.d[shape.ndim - 2] = shape.d[shape.ndim - 1];
  tg_tensor *base = tg_empty(swapped, TG_FLOAT64);
  fill_inputs(base, c);
  tg_tensor *t = tg_transpose(base, -1, -2);
  return tg_requires_grad_(t, true);
}

static tg_tensor *apply_op(tg_tensor *const *inputs, void *ctx) {
  const tg_op *op = ctx;
  return op->check.apply(inputs);
}

static void check_op(const tg_op *op, bool non_contiguous) {
  const tg_op_check *c = &op->check;
  tg_gradcheck_opts opts = {c->eps, 0, 0};
  for (int k = 0; k < c->n_cases; k++) {
    tg_scope_begin();
    tg_tensor *inputs[TG_CHECK_MAX_INPUTS];
    for (int i = 0; i < c->n_inputs; i++)
      inputs[i] = make_input(c->shapes[k][i], c, non_contiguous);
    char report[512] = "";
    bool ok = tg_gradcheck(apply_op, (void *)op, c->n_inputs, inputs, &opts, report,
                           sizeof report);
    ck_assert_msg(ok, "op %s case %d%s: %s", op->name, k,
                  non_contiguous ? " (strided)" : "", report);
    if (c->second_order) {
      ok = tg_gradgradcheck(apply_op, (void *)op, c->n_inputs, inputs, &opts, report,
                            sizeof report);
      ck_assert_msg(ok, "op %s case %d: second order: %s", op->name, k, report);
    }
    tg_scope_end();
  }
}

START_TEST(test_every_op_contiguous) {
  tg_manual_seed(1);
  ck_assert_int_gt(tg_op_table_size, 30);
  for (int i = 0; i < tg_op_table_size; i++) {
    const tg_op *op = tg_op_table[i];
    ck_assert_msg(op->check.apply != NULL, "op %s has no gradcheck entry", op->name);
    check_op(op, false);
  }
}
END_TEST

START_TEST(test_every_op_strided) {
  tg_manual_seed(2);
  for (int i = 0; i < tg_op_table_size; i++) check_op(tg_op_table[i], true);
}
END_TEST

/* gradcheck must be able to fail: a deliberately wrong backward. */
static void wrong_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = tg_mul_scalar(g, 3.0); /* the true derivative of 2x is 2 */
}

static const tg_op wrong_op = {"wrong_double", wrong_backward};

static tg_tensor *wrong_forward(tg_tensor *const *inputs, tg_tensor **to_save,
                                void *ctx) {
  return tg_mul_scalar(inputs[0], 2.0);
}

static tg_tensor *apply_wrong(tg_tensor *const *inputs, void *ctx) {
  return tg_function_apply(&wrong_op, wrong_forward, 1, inputs, NULL);
}

START_TEST(test_gradcheck_detects_wrong_backward) {
  tg_scope_begin();
  tg_tensor *x = tg_requires_grad_(tg_randn(TG_SHAPE(2, 3), TG_FLOAT64), true);
  char report[512] = "";
  ck_assert(!tg_gradcheck(apply_wrong, NULL, 1, &x, NULL, report, sizeof report));
  ck_assert_msg(strstr(report, "input 0") && strstr(report, "numerically"), "%s", report);
  tg_scope_end();
}
END_TEST

START_TEST(test_gradcheck_needs_float64) {
  tg_scope_begin();
  tg_tensor *x = tg_requires_grad_(tg_randn(TG_SHAPE(2), TG_FLOAT32), true);
  TG_EXPECT_ERROR(tg_gradcheck(apply_wrong, NULL, 1, &x, NULL, NULL, 0),
                  "tg_gradcheck: input 0 is float32");
  tg_scope_end();
}
END_TEST

int main(void) {
  Suite *s = suite_create("gradcheck_ops");
  TCase *tc = tcase_create("op table");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, test_every_op_contiguous);
  tcase_add_test(tc, test_every_op_strided);
  tcase_add_test(tc, test_gradcheck_detects_wrong_backward);
  tcase_add_test(tc, test_gradcheck_needs_float64);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
