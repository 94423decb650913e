/* The autograd engine: accumulation, retain_grad, freed graphs, version
 * checks, grad mode, detach, higher-order gradients, custom ops, a
 * million-op chain, the teaching aids, and the errors a user can hit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

static tg_tensor *leaf(tg_shape shape, const double *values) {
  return tg_requires_grad_(tg_from_data(values, shape, TG_FLOAT64), true);
}

START_TEST(test_grad_accumulates_like_pytorch) {
  tg_scope_begin();
  tg_tensor *x = leaf(TG_SHAPE(2), (double[]){1, 2});
  tg_tensor *y = tg_sum(tg_mul(x, x), TG_ALL_DIMS, false); /* x used twice */
  tg_backward(y, NULL, TG_RETAIN_GRAPH);
  tg_assert_close_data(tg_grad(x), (double[]){2, 4}, 2, 0, 0, "first");
  tg_backward(y, NULL, 0);
  tg_assert_close_data(tg_grad(x), (double[]){4, 8}, 2, 0, 0, "accumulated");
  tg_zero_grad(x, false);
  tg_assert_close_data(tg_grad(x), (double[]){0, 0}, 2, 0, 0, "zeroed");
  tg_zero_grad(x, true);
  ck_assert_ptr_null(tg_grad(x));
  tg_scope_end();
}
END_TEST

/* A linear layer's weight gradient is added into an existing .grad by the
 * GEMM itself: the same numbers as a temporary plus an add, bit for bit;
 * tg_autograd_grad and create_graph still hand the gradient back. */
START_TEST(test_linear_weight_grad_added_in_place) {
  tg_scope_begin();
  tg_manual_seed(5);
  for (int dtype = 0; dtype < 2; dtype++) {
    tg_dtype dt = dtype ? TG_FLOAT64 : TG_FLOAT32;
    tg_tensor *x = tg_randn(TG_SHAPE(16, 2000), dt); /* > the small-GEMM limit */
    tg_tensor *w = tg_requires_grad_(tg_randn(TG_SHAPE(30, 2000), dt), true);
    tg_tensor *b = tg_requires_grad_(tg_randn(TG_SHAPE(30), dt), true);
    tg_tensor *g = tg_randn(TG_SHAPE(16, 30), dt);
    tg_tensor *expected = tg_matmul(tg_t(g), x);
    tg_backward(tg_linear(x, w, b), g, 0); /* no .grad yet: returned and copied */
    tg_assert_close(tg_grad(w), expected, 0, 0, "first");
    tg_backward(tg_linear(x, w, b), g, 0); /* added in place */
    tg_assert_close(tg_grad(w), tg_add(expected, expected), 0, 0, "accumulated");
    tg_tensor *only;
    tg_autograd_grad(tg_linear(x, w, b), g, 1, &w, &only, 0);
    tg_assert_close(only, expected, 0, 0, "autograd_grad");
    tg_assert_close(tg_grad(w), tg_add(expected, expected), 0, 0, ".grad untouched");
    tg_backward(tg_linear(x, w, b), g, TG_CREATE_GRAPH); /* returned, summed on tape */
    tg_assert_close(tg_grad(w), tg_add(tg_add(expected, expected), expected), 0, 0,
                    "create_graph");
  }
  tg_scope_end();
}
END_TEST

START_TEST(test_retain_grad_and_leaves) {
  tg_scope_begin();
  tg_tensor *x = leaf(TG_SHAPE(3), (double[]){1, -2, 3});
  tg_tensor *h = tg_mul_scalar(x, 2);
  tg_retain_grad(h);
  tg_tensor *y = tg_sum(tg_relu(h), TG_ALL_DIMS, false);
  ck_assert(tg_is_leaf(x) && !tg_is_leaf(h));
  tg_backward(y, NULL, 0);
  tg_assert_close_data(tg_grad(h), (double[]){1, 0, 1}, 3, 0, 0, "h.grad");
  tg_assert_close_data(tg_grad(x), (double[]){2, 0, 2}, 3, 0, 0, "x.grad");
  tg_tensor *c = tg_ones(TG_SHAPE(3), TG_FLOAT64); /* does not require grad */
  tg_tensor *z = tg_sum(tg_mul(x, c), TG_ALL_DIMS, false);
  tg_backward(z, NULL, 0);
  ck_assert_ptr_null(tg_grad(c));
  tg_scope_end();
}
END_TEST

START_TEST(test_explicit_output_gradient) {
  tg_scope_begin();
  tg_tensor *x = leaf(TG_SHAPE(2, 2), (double[]){1, 2, 3, 4});
  tg_tensor *y = tg_mul_scalar(x, 3);
  tg_backward(y, tg_from_data((double[]){1, 0, 0, 2}, TG_SHAPE(2, 2), TG_FLOAT64), 0);
  tg_assert_close_data(tg_grad(x), (double[]){3, 0, 0, 6}, 4, 0, 0, "vjp");
  tg_scope_end();
}
END_TEST

START_TEST(test_grad_mode_and_detach) {
  tg_scope_begin();
  tg_tensor *x = leaf(TG_SHAPE(2), (double[]){1, 2});
  tg_no_grad_begin();
  tg_no_grad_begin();
  tg_tensor *a = tg_mul(x, x);
  tg_no_grad_end();
  ck_assert(!tg_is_grad_enabled());
  tg_no_grad_end();
  ck_assert(tg_is_grad_enabled());
  ck_assert(!tg_requires_grad(a) && a->grad_fn == NULL);
  tg_tensor *d = tg_detach(x);
  ck_assert(!tg_requires_grad(d));
  ck_assert_ptr_eq(d->storage, x->storage);
  tg_tensor *y = tg_sum(tg_mul(x, d), TG_ALL_DIMS, false); /* d is a constant */
  tg_backward(y, NULL, 0);
  tg_assert_close_data(tg_grad(x), (double[]){1, 2}, 2, 0, 0, "through detach");
  tg_scope_end();
}
END_TEST

START_TEST(test_mixed_dtypes_get_input_dtype_gradients) {
  tg_scope_begin();
  tg_tensor *x = tg_requires_grad_(tg_ones(TG_SHAPE(2), TG_FLOAT32), true);
  tg_tensor *w = leaf(TG_SHAPE(2), (double[]){0.5, 0.25});
  tg_backward(tg_sum(tg_mul(x, w), TG_ALL_DIMS, false), NULL, 0);
  ck_assert_int_eq(tg_grad(x)->dtype, TG_FLOAT32);
  ck_assert_int_eq(tg_grad(w)->dtype, TG_FLOAT64);
  tg_assert_close_data(tg_grad(x), (double[]){0.5, 0.25}, 2, 0, 0, "x.grad");
  tg_scope_end();
}
END_TEST

/* d/dx sum(x^3) = 3x^2, and its gradient again is 6x: create_graph at work */
START_TEST(test_higher_order_gradients) {
  tg_scope_begin();
  tg_tensor *x = leaf(TG_SHAPE(3), (double[]){1, 2, -1});
  tg_tensor *y = tg_sum(tg_pow_scalar(x, 3), TG_ALL_DIMS, false);
  tg_tensor *g;
  tg_autograd_grad(y, NULL, 1, &x, &g, TG_CREATE_GRAPH);
  ck_assert_ptr_null(tg_grad(x)); /* autograd_grad leaves .grad alone */
  tg_assert_close_data(g, (double[]){3, 12, 3}, 3, 1e-12, 0, "first derivative");
  ck_assert(tg_requires_grad(g));
  tg_backward(tg_sum(g, TG_ALL_DIMS, false), NULL, 0);
  tg_assert_close_data(tg_grad(x), (double[]){6, 12, -6}, 3, 1e-12, 0,
                       "second derivative");
  /* a Hessian-vector product through sigmoid, whose backward reuses its output */
  tg_tensor *z = leaf(TG_SHAPE(2), (double[]){0.3, -0.7});
  tg_tensor *s = tg_sum(tg_sigmoid(z), TG_ALL_DIMS, false), *gz;
  tg_autograd_grad(s, NULL, 1, &z, &gz, TG_CREATE_GRAPH);
  tg_backward(tg_sum(gz, TG_ALL_DIMS, false), NULL, 0);
  for (int i = 0; i < 2; i++) {
    double v = tg_get_flat(z, i), sg = 1 / (1 + exp(-v));
    double expected = sg * (1 - sg) * (1 - 2 * sg);
    ck_assert_msg(fabs(tg_get_flat(tg_grad(z), i) - expected) < 1e-12, "sigmoid''");
  }
  tg_scope_end();
}
END_TEST

/* A deep chain must neither overflow the stack in backward nor in free. */
START_TEST(test_million_op_chain) {
  tg_tensor *x = tg_requires_grad_(tg_ones(TG_SHAPE(1), TG_FLOAT32), true);
  tg_tensor *y = tg_retain(x);
  int n = tg_test_iterations(1000000);
  for (int i = 0; i < n; i++) {
    tg_tensor *next = tg_add_scalar(y, 1e-6);
    tg_release(y); /* the chain stays alive through the nodes */
    y = next;
  }
  tg_backward(y, NULL, 0);
  ck_assert(tg_get_flat(tg_grad(x), 0) == 1.0f);
  tg_release(y);
  tg_release(x);
}
END_TEST

/* ---- a custom op from user code: swish(x) = x * sigmoid(x) ---- */

static void swish_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *x = tg_node_input(node, 0), *s = tg_saved(node, 0);
  tg_tensor *d = tg_add(s, tg_mul(x, tg_mul(s, tg_rsub_scalar(s, 1))));
  grads[0] = tg_mul(g, d);
}

static const tg_op swish_op = {"swish", swish_backward};

static tg_tensor *swish_forward(tg_tensor *const *in, tg_tensor **to_save, void *ctx) {
  to_save[0] = tg_sigmoid(in[0]);
  return tg_mul(in[0], to_save[0]);
}

static tg_tensor *swish(tg_tensor *const *in, void *ctx) {
  return tg_function_apply(&swish_op, swish_forward, 1, in, NULL);
}

START_TEST(test_custom_op) {
  tg_scope_begin();
  tg_manual_seed(5);
  tg_tensor *x = tg_requires_grad_(tg_randn(TG_SHAPE(3, 2), TG_FLOAT64), true);
  tg_tensor *y = swish(&x, NULL);
  ck_assert_str_eq(tg_grad_fn_name(y), "SwishBackward0");
  char report[512] = "";
  ck_assert_msg(tg_gradcheck(swish, NULL, 1, &x, NULL, report, sizeof report), "%s",
                report);
  tg_scope_end();
}
END_TEST

START_TEST(test_graph_printing) {
  tg_scope_begin();
  tg_tensor *x = leaf(TG_SHAPE(2), (double[]){1, 2});
  tg_tensor *y = tg_sum(tg_exp(x), TG_ALL_DIMS, false);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  tg_fprint_graph(f, y);
  fclose(f);
  ck_assert_msg(strstr(buf, "SumBackward0 (#") == buf &&
                    strstr(buf, "\n  ExpBackward0 (#") &&
                    strstr(buf, "\n    leaf (2) float64 (accumulates into .grad)"),
                "%s", buf);
  free(buf);
  char path[] = "/tmp/tg_graph_XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  close(fd);
  ck_assert_int_eq(tg_graph_dot(y, path), 0);
  FILE *dot = fopen(path, "r");
  char text[1024] = {0};
  ck_assert(fread(text, 1, sizeof text - 1, dot) > 0);
  fclose(dot);
  remove(path);
  ck_assert_msg(strstr(text, "digraph tape") && strstr(text, "label=\"ExpBackward0\"") &&
                    strstr(text, "->"),
                "%s", text);
  ck_assert_int_eq(tg_graph_dot(y, "/nonexistent-dir/x.dot"), -1);
  ck_assert_str_eq(tg_last_error(), "tg_graph_dot: /nonexistent-dir/x.dot: cannot create "
                                    "temporary file: No such file or directory");
  tg_scope_end();
}
END_TEST

START_TEST(test_error_messages) {
  tg_scope_begin();
  tg_tensor *x = leaf(TG_SHAPE(3), (double[]){1, 2, 3});
  tg_tensor *y = tg_mul(x, x);
  TG_EXPECT_ERROR(tg_backward(y, NULL, 0), "tg_backward: grad can be implicitly created "
                                           "only for scalar outputs, got shape (3)");
  TG_EXPECT_ERROR(
      tg_backward(y, tg_ones(TG_SHAPE(2), TG_FLOAT64), 0),
      "tg_backward: gradient of shape (2) does not match the output's shape (3)");
  tg_tensor *loss = tg_sum(y, TG_ALL_DIMS, false);
  tg_backward(loss, NULL, 0);
  TG_EXPECT_ERROR(tg_backward(loss, NULL, 0),
                  "tg_backward: trying to backward through the graph a second time");
  TG_EXPECT_ERROR(
      tg_requires_grad_(y, false),
      "tg_requires_grad_: you can only change requires_grad of leaf tensors; this one "
      "is the output of 'MulBackward0'");
  TG_EXPECT_ERROR(
      tg_requires_grad_(tg_zeros(TG_SHAPE(2), TG_INT64), true),
      "only tensors of floating point dtype can require gradients, got int64");
  TG_EXPECT_ERROR(tg_backward(tg_ones(TG_SHAPE(1), TG_FLOAT32), NULL, 0),
                  "tg_backward: the tensor does not require grad and has no grad_fn");
  /* an in-place write to a tensor the graph still needs */
  tg_tensor *w = leaf(TG_SHAPE(2), (double[]){1, 2});
  tg_tensor *z = tg_sum(tg_mul(w, w), TG_ALL_DIMS, false);
  tg_no_grad_begin();
  tg_add_(w, tg_ones(TG_SHAPE(2), TG_FLOAT64), 1.0);
  tg_no_grad_end();
  TG_EXPECT_ERROR(
      tg_backward(z, NULL, 0),
      "MulBackward0: one of the variables needed for gradient computation has been "
      "modified by an inplace operation: [torch.DoubleTensor [2]] is at version 1; "
      "expected version 0 instead.");
  TG_EXPECT_ERROR(
      tg_retain_grad(tg_ones(TG_SHAPE(1), TG_FLOAT32)),
      "tg_retain_grad: can't retain the gradient of a tensor that does not require grad");
  TG_EXPECT_ERROR(tg_no_grad_end(), "tg_no_grad_end: no tg_no_grad_begin is open");
  tg_scope_end();
}
END_TEST

/* ---- hooks: what DDP builds on ---- */

typedef struct hook_log {
  int calls;
  double grad_seen[4]; /* leaf->grad[0] when each hook ran */
  int order[8], n_order;
  int callbacks;
  int hooks_before_callback;
} hook_log;

static hook_log *current_log;

static void record_hook(tg_tensor *leaf, void *user) {
  hook_log *log = current_log;
  log->grad_seen[log->calls % 4] = tg_get_flat(tg_grad(leaf), 0);
  log->order[log->n_order++ % 8] = (int)(intptr_t)user;
  log->calls++;
}

static void record_callback(void *user) {
  hook_log *log = user;
  log->callbacks++;
  log->hooks_before_callback = log->calls;
}

static void hook_queueing_callback(tg_tensor *leaf, void *user) {
  record_hook(leaf, user);
  tg_autograd_queue_callback(record_callback, current_log);
}

START_TEST(test_post_accumulate_grad_hooks) {
  tg_scope_begin();
  hook_log log = {0};
  current_log = &log;
  /* w is used twice: its hook runs once, with both gradients summed */
  tg_tensor *w = tg_requires_grad_(tg_full(TG_SHAPE(1), 3.0, TG_FLOAT64), true);
  tg_tensor *b = tg_requires_grad_(tg_full(TG_SHAPE(1), 1.0, TG_FLOAT64), true);
  int hw = tg_register_post_accumulate_grad_hook(w, hook_queueing_callback, (void *)1);
  int hb = tg_register_post_accumulate_grad_hook(b, record_hook, (void *)2);
  tg_tensor *y = tg_add(tg_mul(w, w), b); /* dy/dw = 2w = 6, dy/db = 1 */
  tg_backward(tg_sum(y, TG_ALL_DIMS, false), NULL, 0);
  ck_assert_int_eq(log.calls, 2);
  ck_assert_double_eq(log.grad_seen[log.order[0] == 1 ? 0 : 1], 6.0);
  ck_assert_int_eq(log.callbacks, 1);
  ck_assert_int_eq(log.hooks_before_callback, 2); /* the callback ran after both */
  /* tg_autograd_grad fills no .grad and runs no hooks */
  tg_tensor *g;
  tg_autograd_grad(tg_sum(tg_mul(w, b), TG_ALL_DIMS, false), NULL, 1, &w, &g, 0);
  ck_assert_int_eq(log.calls, 2);
  tg_remove_hook(hw);
  tg_remove_hook(hb);
  tg_backward(tg_sum(tg_mul(w, b), TG_ALL_DIMS, false), NULL, 0);
  ck_assert_int_eq(log.calls, 2);
  tg_scope_end();
}
END_TEST

/* linear's weight gradient goes straight into an existing .grad (GEMM with
 * beta = 1): the hook still runs, after that sum */
START_TEST(test_hook_after_in_place_weight_grad) {
  tg_scope_begin();
  hook_log log = {0};
  current_log = &log;
  tg_tensor *w = tg_requires_grad_(tg_ones(TG_SHAPE(1, 2), TG_FLOAT64), true);
  tg_tensor *x = tg_full(TG_SHAPE(3, 2), 2.0, TG_FLOAT64);
  int h = tg_register_post_accumulate_grad_hook(w, record_hook, NULL);
  tg_backward(tg_sum(tg_linear(x, w, NULL), TG_ALL_DIMS, false), NULL, 0);
  ck_assert_double_eq(log.grad_seen[0], 6.0);
  tg_backward(tg_sum(tg_linear(x, w, NULL), TG_ALL_DIMS, false), NULL, 0);
  ck_assert_int_eq(log.calls, 2);
  ck_assert_double_eq(log.grad_seen[1], 12.0);
  tg_remove_hook(h);
  tg_scope_end();
}
END_TEST

static void register_inside_backward(tg_tensor *leaf, void *user) {
  tg_register_post_accumulate_grad_hook(leaf, record_hook, user);
}

START_TEST(test_hook_errors) {
  tg_scope_begin();
  hook_log log = {0};
  current_log = &log;
  tg_tensor *w = tg_requires_grad_(tg_ones(TG_SHAPE(2), TG_FLOAT64), true);
  TG_EXPECT_ERROR(
      tg_register_post_accumulate_grad_hook(tg_mul_scalar(w, 2), record_hook, NULL),
      "tg_register_post_accumulate_grad_hook: the tensor must be a leaf "
      "that requires grad");
  TG_EXPECT_ERROR((tg_remove_hook(12345), 0), "tg_remove_hook: no hook has handle 12345");
  TG_EXPECT_ERROR((tg_autograd_queue_callback(record_callback, &log), 0),
                  "tg_autograd_queue_callback: no backward is running");
  int h = tg_register_post_accumulate_grad_hook(w, register_inside_backward, NULL);
  TG_EXPECT_ERROR((tg_backward(tg_sum(w, TG_ALL_DIMS, false), NULL, 0), 0),
                  "hooks cannot be added or removed while a backward runs");
  tg_remove_hook(h);
  tg_backward(tg_sum(w, TG_ALL_DIMS, false), NULL, 0); /* the engine recovered */
  tg_scope_end();
}
END_TEST

int main(void) {
  Suite *s = suite_create("autograd");
  TCase *tc = tcase_create("engine");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, test_grad_accumulates_like_pytorch);
  tcase_add_test(tc, test_linear_weight_grad_added_in_place);
  tcase_add_test(tc, test_retain_grad_and_leaves);
  tcase_add_test(tc, test_explicit_output_gradient);
  tcase_add_test(tc, test_grad_mode_and_detach);
  tcase_add_test(tc, test_mixed_dtypes_get_input_dtype_gradients);
  tcase_add_test(tc, test_higher_order_gradients);
  tcase_add_test(tc, test_million_op_chain);
  tcase_add_test(tc, test_custom_op);
  tcase_add_test(tc, test_graph_printing);
  tcase_add_test(tc, test_error_messages);
  tcase_add_test(tc, test_post_accumulate_grad_hooks);
  tcase_add_test(tc, test_hook_after_in_place_weight_grad);
  tcase_add_test(tc, test_hook_errors);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
