/* Every op of the op table on inputs laid out as users' views are: a
 * stepped slice with an offset (a[:, 1::2]), a broadcast (stride-0) expand
 * of a size-1 dim, and a 0-size batch. Each must give the values and the
 * gradients the same op gives on contiguous copies, in float64 and float32:
 * a kernel that assumes contiguous memory returns a wrong number silently,
 * which gradcheck alone (it runs one layout per case) does not catch. */
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op_table.h"
#include "test_util.h"

typedef enum { LAYOUT_STEPPED, LAYOUT_EXPANDED } layout;

/* The base a view of `shape` is cut from (stepped: the last dim 2n + 1
 * long; expanded: dim 0 of size 1), filled as the gradcheck suite fills. */
static tg_tensor *make_base(tg_shape shape, const op_case *c, layout how,
                            tg_dtype dtype) {
  tg_shape bs = shape;
  if (shape.ndim > 0 && how == LAYOUT_STEPPED)
    bs.d[shape.ndim - 1] = 2 * shape.d[shape.ndim - 1] + 1;
  else if (shape.ndim > 0)
    bs.d[0] = 1;
  tg_tensor *base = tg_empty(bs, TG_FLOAT64);
  op_case_fill(base, c);
  return tg_requires_grad_(tg_to(base, dtype), true);
}

/* The view of `shape` on base; a gradient of the base seen the same way. */
static tg_tensor *view_of(tg_tensor *base, tg_shape shape, layout how) {
  if (shape.ndim == 0) return base;
  if (how == LAYOUT_STEPPED)
    return tg_slice(base, shape.ndim - 1, 1, base->shape[shape.ndim - 1], 2);
  return tg_expand(base, shape);
}

static tg_shape shape_of(const tg_tensor *t) {
  tg_shape s = {.ndim = t->ndim};
  memcpy(s.d, t->shape, sizeof s.d);
  return s;
}

/* y, and the gradient of sum(y * w) (w a fixed ramp) into each leaf. */
static tg_tensor *run(const op_case *c, tg_tensor *const *in, tg_tensor *const *leaves,
                      tg_tensor **grads) {
  tg_tensor *y = c->apply(in);
  tg_tensor *w = tg_reshape(tg_linspace(-1, 1, tg_numel(y), y->dtype), shape_of(y));
  tg_backward(tg_sum(tg_mul(y, w), TG_ALL_DIMS, false), NULL, 0);
  for (int i = 0; i < c->n_inputs; i++)
    grads[i] = tg_grad(leaves[i]) ? tg_grad(leaves[i]) : tg_zeros_like(leaves[i]);
  return y;
}

static void check_layout(const op_case *c, int k, layout how, tg_dtype dtype) {
  double tol = dtype == TG_FLOAT64 ? 1e-12 : 2e-5;
  const char *name = how == LAYOUT_STEPPED ? "stepped" : "expanded";
  tg_scope_begin();
  tg_tensor *bases[OP_CASE_MAX_INPUTS], *views[OP_CASE_MAX_INPUTS];
  tg_tensor *copies[OP_CASE_MAX_INPUTS];
  for (int i = 0; i < c->n_inputs; i++) {
    bases[i] = make_base(c->shapes[k][i], c, how, dtype);
    views[i] = view_of(bases[i], c->shapes[k][i], how);
    copies[i] = tg_requires_grad_(tg_clone(tg_detach(views[i])), true);
  }
  tg_tensor *g_view[OP_CASE_MAX_INPUTS], *g_copy[OP_CASE_MAX_INPUTS];
  tg_tensor *y_view = run(c, views, bases, g_view);
  tg_tensor *y_copy = run(c, copies, copies, g_copy);
  char what[160];
  snprintf(what, sizeof what, "%s case %d %s %s: output", c->symbol, k, name,
           tg_dtype_name(dtype));
  tg_assert_close(y_view, y_copy, tol, tol, what);
  for (int i = 0; i < c->n_inputs; i++) {
    tg_shape s = c->shapes[k][i];
    tg_tensor *got = g_view[i], *expected = g_copy[i];
    if (how == LAYOUT_EXPANDED && s.ndim > 0)
      expected = tg_sum(expected, TG_DIMS(0), true);
    if (how == LAYOUT_STEPPED) got = view_of(got, s, how);
    snprintf(what, sizeof what, "%s case %d %s %s: gradient of input %d", c->symbol, k,
             name, tg_dtype_name(dtype), i);
    tg_assert_close(got, expected, tol, tol, what);
  }
  tg_scope_end();
}

/* Some table calls build float64 arguments of their own (a conv weight):
 * those run in float64 only. */
static bool runs_in_float32(const op_case *c, int k) {
  bool ok = true;
  tg_scope_begin();
  tg_test_catch_begin();
  if (setjmp(tg_test_jmp) == 0) {
    tg_tensor *in[OP_CASE_MAX_INPUTS];
    for (int i = 0; i < c->n_inputs; i++) in[i] = tg_rand(c->shapes[k][i], TG_FLOAT32);
    c->apply(in);
  } else {
    ok = false;
  }
  tg_test_catch_end();
  tg_scope_end();
  return ok;
}

START_TEST(test_every_op_on_views) {
  tg_manual_seed(3);
  for (int i = 0; i < op_table_size; i++)
    for (int k = 0; k < op_table[i].n_shapes; k++)
      for (int how = LAYOUT_STEPPED; how <= LAYOUT_EXPANDED; how++) {
        check_layout(&op_table[i], k, how, TG_FLOAT64);
        if (runs_in_float32(&op_table[i], k))
          check_layout(&op_table[i], k, how, TG_FLOAT32);
      }
}
END_TEST

/* The same calls with every input's dim 0 set to 0 (an empty batch): each
 * must return (then its backward must run) or raise a tensorgrad error;
 * never crash or read out of bounds (the sanitizer builds see that). */
static void check_empty_batch(const op_case *c, int k) {
  tg_scope_begin();
  tg_test_catch_begin();
  if (setjmp(tg_test_jmp) == 0) {
    tg_tensor *in[OP_CASE_MAX_INPUTS];
    for (int i = 0; i < c->n_inputs; i++) {
      tg_shape s = c->shapes[k][i];
      if (s.ndim > 0) s.d[0] = 0;
      in[i] = tg_requires_grad_(tg_zeros(s, TG_FLOAT64), true);
    }
    tg_tensor *y = c->apply(in);
    tg_backward(tg_sum(y, TG_ALL_DIMS, false), NULL, 0);
    if (getenv("TG_AUDIT_VERBOSE")) printf("%s case %d: ok\n", c->symbol, k);
  } else if (getenv("TG_AUDIT_VERBOSE")) {
    printf("%s case %d: %s\n", c->symbol, k, tg_test_message);
  }
  tg_test_catch_end();
  tg_scope_end();
}

START_TEST(test_every_op_on_an_empty_batch) {
  for (int i = 0; i < op_table_size; i++)
    for (int k = 0; k < op_table[i].n_shapes; k++) check_empty_batch(&op_table[i], k);
}
END_TEST

int main(void) {
  Suite *s = suite_create("audit_layouts");
  TCase *tc = tcase_create("views");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, test_every_op_on_views);
  tcase_add_test(tc, test_every_op_on_an_empty_batch);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
