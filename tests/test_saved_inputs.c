/* What a tape node keeps for its backward (tg_op.keeps_inputs): only the
 * inputs its backward reads and the leaves that take a gradient, so an
 * activation the script has dropped is freed before the backward; the
 * in-place version checks that follow from it (PyTorch 1.13's, probed with
 * tests/golden/saved_inputs.py: an error only when a tensor the backward
 * reads was written); retain_grad and tg_autograd_grad on non-leaf tensors
 * the tape no longer holds. */
#include "test_util.h"

enum { N = 1 << 16 }; /* elements per activation: 512 KB in float64 */
static const int64_t ACTIVATION = N * (int64_t)sizeof(double);

static tg_tensor *leaf_randn(tg_shape shape) {
  return tg_requires_grad_(tg_randn(shape, TG_FLOAT64), true);
}

/* Storage bytes a forward leaves alive once the script keeps only its
 * result: what the tape holds for the backward. */
static int64_t held_by_tape(tg_tensor *(*forward)(tg_tensor *), tg_tensor *x,
                            tg_tensor **loss) {
  int64_t before = tg_live_storage_bytes();
  tg_scope_begin();
  *loss = tg_keep(forward(x));
  tg_scope_end();
  return tg_live_storage_bytes() - before - (int64_t)sizeof(double); /* minus the loss */
}

/* x -> linear -> relu -> sum: the linear keeps x (for w's gradient), the
 * relu its output; the linear's output is read by nobody's backward. */
static tg_tensor *w, *b;
static tg_tensor *linear_relu(tg_tensor *x) {
  return tg_sum(tg_relu(tg_linear(x, w, b)), TG_ALL_DIMS, false);
}

START_TEST(test_tape_keeps_only_what_backward_reads) {
  tg_scope_begin();
  tg_manual_seed(1);
  tg_tensor *x = tg_randn(TG_SHAPE(N / 64, 64), TG_FLOAT64); /* data: no grad */
  w = leaf_randn(TG_SHAPE(64, 64));
  b = leaf_randn(TG_SHAPE(64));
  tg_tensor *loss;
  int64_t held = held_by_tape(linear_relu, x, &loss);
  /* the relu's output, and small scalars; not the linear's output as well */
  ck_assert_int_ge(held, ACTIVATION);
  ck_assert_int_lt(held, ACTIVATION + 1024);
  tg_backward(loss, NULL, 0);
  /* the gradients are what they were: w.grad = relu'(xw^T + b)^T x */
  tg_tensor *pre = tg_linear(x, tg_detach(w), tg_detach(b));
  tg_tensor *mask = tg_to(tg_gt_scalar(pre, 0), TG_FLOAT64);
  tg_assert_close(tg_grad(w), tg_matmul(tg_t(mask), x), 0, 0, "w.grad");
  tg_assert_close(tg_grad(b), tg_sum(mask, TG_DIMS(0), false), 0, 0, "b.grad");
  tg_scope_end();
}
END_TEST

/* A chain of ops that read nothing (add, sub, mul by a scalar, sum): the
 * tape holds no activation at all, however long the chain. */
static tg_tensor *unread_chain(tg_tensor *x) {
  tg_tensor *a = tg_mul_scalar(x, 2);
  tg_tensor *c = tg_sub(tg_add(a, a), tg_add_scalar(a, 1));
  return tg_sum(c, TG_ALL_DIMS, false);
}

START_TEST(test_unread_activations_are_freed) {
  tg_scope_begin();
  tg_tensor *x = leaf_randn(TG_SHAPE(N)), *loss;
  ck_assert_int_lt(held_by_tape(unread_chain, x, &loss), 1024);
  tg_backward(loss, NULL, 0);
  tg_assert_close(tg_grad(x), tg_full(TG_SHAPE(N), 2, TG_FLOAT64), 0, 0, "x.grad");
  tg_scope_end();
}
END_TEST

/* A product keeps an operand only for the other's gradient (PyTorch's
 * conditional SavedVariables): s * c with c constant keeps c, not s. */
static tg_tensor *c_const;
static tg_tensor *times_constant(tg_tensor *x) {
  return tg_sum(tg_mul(tg_sin(x), c_const), TG_ALL_DIMS, false);
}

START_TEST(test_product_keeps_the_other_operand) {
  tg_scope_begin();
  tg_tensor *x = leaf_randn(TG_SHAPE(N)), *loss;
  c_const = tg_randn(TG_SHAPE(N), TG_FLOAT64);
  /* sin keeps x (a leaf, the script's), mul keeps c (the script's): sin's
   * output is freed with the forward */
  ck_assert_int_lt(held_by_tape(times_constant, x, &loss), 1024);
  tg_backward(loss, NULL, 0);
  tg_assert_close(tg_grad(x), tg_mul(tg_cos(tg_detach(x)), c_const), 0, 0, "x.grad");
  tg_scope_end();
}
END_TEST

/* The modules' Sequential frees each layer's output once the next has run:
 * a 4-layer MLP's forward keeps what the backward reads. */
START_TEST(test_sequential_frees_unsaved_activations) {
  tg_scope_begin();
  tg_manual_seed(2);
  tg_module *m = tg_nn_sequential(NULL);
  tg_nn_sequential_append(m, tg_nn_linear(64, 64, true));
  tg_nn_sequential_append(m, tg_nn_relu());
  tg_nn_sequential_append(m, tg_nn_linear(64, 64, true));
  tg_nn_sequential_append(m, tg_nn_tanh());
  tg_tensor *x = tg_randn(TG_SHAPE(N / 64, 64), TG_FLOAT32);
  int64_t before = tg_live_storage_bytes();
  tg_scope_begin();
  tg_tensor *y = tg_keep(tg_module_forward(m, x));
  tg_scope_end();
  int64_t act = N * (int64_t)sizeof(float);
  /* relu's output (= the second linear's input) and tanh's output (= y) */
  ck_assert_int_lt(tg_live_storage_bytes() - before, 2 * act + 1024);
  tg_backward(y, tg_ones_like(y), 0);
  tg_module_free(m);
  tg_scope_end();
}
END_TEST

/* ---- the version checks that follow (PyTorch 1.13's outcomes) ---- */

static tg_tensor *nonleaf(tg_tensor *x) {
  return tg_mul_scalar(x, 1);
}

static void backward_sum(tg_tensor *y) {
  tg_backward(tg_sum(y, TG_ALL_DIMS, false), NULL, 0);
}

static const char *const MODIFIED = "has been modified by an inplace operation";

START_TEST(test_version_checks_follow_what_is_read) {
  tg_scope_begin();
  tg_tensor *x = leaf_randn(TG_SHAPE(3)), *ones = tg_ones(TG_SHAPE(3), TG_FLOAT64);
  tg_tensor *c = tg_rand(TG_SHAPE(3), TG_FLOAT64);
  /* mul: a * c (c constant) reads only c: writing a is fine, writing c not */
  tg_tensor *a = nonleaf(x), *y = tg_mul(a, c);
  tg_add_(a, ones, 1);
  backward_sum(y);
  tg_tensor *c2 = tg_clone(c);
  a = nonleaf(x);
  y = tg_mul(a, c2);
  tg_add_(c2, ones, 1);
  TG_EXPECT_ERROR(backward_sum(y), MODIFIED);
  /* div: a / c reads only c */
  a = nonleaf(x);
  y = tg_div(a, tg_add_scalar(c, 1));
  tg_add_(a, ones, 1);
  backward_sum(y);
  /* relu reads its output, not its input */
  a = nonleaf(x);
  y = tg_relu(a);
  tg_add_(a, ones, 1);
  backward_sum(y);
  a = nonleaf(x);
  y = tg_relu(a);
  tg_add_(y, ones, 1);
  TG_EXPECT_ERROR(backward_sum(y), "ReluBackward0: one of the variables needed");
  /* matmul with a constant right operand reads only that operand */
  tg_tensor *x2 = leaf_randn(TG_SHAPE(3, 3));
  tg_tensor *m = tg_mul_scalar(x2, 1), *k = tg_randn(TG_SHAPE(3, 3), TG_FLOAT64);
  y = tg_matmul(m, k);
  tg_add_(m, tg_ones(TG_SHAPE(3, 3), TG_FLOAT64), 1);
  backward_sum(y);
  /* a linear layer reads x for its weight's gradient */
  tg_tensor *lw = leaf_randn(TG_SHAPE(3, 3));
  m = tg_mul_scalar(x2, 1);
  y = tg_linear(m, lw, NULL);
  tg_add_(m, tg_ones(TG_SHAPE(3, 3), TG_FLOAT64), 1);
  TG_EXPECT_ERROR(backward_sum(y), MODIFIED);
  /* ... and not when the weight takes no gradient */
  m = tg_mul_scalar(x2, 1);
  y = tg_linear(m, tg_detach(lw), NULL);
  tg_add_(m, tg_ones(TG_SHAPE(3, 3), TG_FLOAT64), 1);
  backward_sum(y);
  tg_scope_end();
}
END_TEST

/* ---- non-leaf tensors the tape does not hold ---- */

START_TEST(test_retain_grad_after_use) {
  tg_scope_begin();
  tg_tensor *x = leaf_randn(TG_SHAPE(4));
  tg_tensor *y = tg_mul_scalar(x, 2);
  tg_tensor *z = tg_sum(tg_mul_scalar(y, 3), TG_ALL_DIMS, false); /* keeps no y */
  tg_retain_grad(y);                                              /* after its use */
  tg_backward(z, NULL, 0);
  tg_assert_close(tg_grad(y), tg_full(TG_SHAPE(4), 3, TG_FLOAT64), 0, 0, "y.grad");
  /* a retained tensor that dies before the backward: nothing to fill, no
   * dangling link on its grad_fn */
  tg_scope_begin();
  tg_tensor *h = tg_mul_scalar(x, 2);
  tg_retain_grad(h);
  tg_tensor *loss = tg_keep(tg_sum(tg_add_scalar(h, 1), TG_ALL_DIMS, false));
  tg_scope_end();
  tg_backward(loss, NULL, 0);
  /* an in-place write moves the retained gradient to the new value's node */
  tg_tensor *v = tg_mul_scalar(x, 1);
  tg_retain_grad(v);
  tg_tensor *before = tg_mul_scalar(v, 5); /* the old value's gradient */
  tg_mul_scalar_(v, 2);
  tg_tensor *after = tg_mul_scalar(v, 7);
  tg_backward(tg_sum(tg_add(before, after), TG_ALL_DIMS, false), NULL, 0);
  tg_assert_close(tg_grad(v), tg_full(TG_SHAPE(4), 7, TG_FLOAT64), 0, 0, "v.grad");
  tg_scope_end();
}
END_TEST

START_TEST(test_autograd_grad_of_unkept_nonleaf) {
  tg_scope_begin();
  tg_tensor *x = leaf_randn(TG_SHAPE(4));
  tg_tensor *a = tg_mul_scalar(x, 2);
  tg_tensor *out = tg_sum(tg_add_scalar(a, 1), TG_ALL_DIMS, false); /* add keeps no a */
  tg_tensor *grads[2];
  tg_autograd_grad(out, NULL, 2, (tg_tensor *[]){a, x}, grads, 0);
  tg_assert_close(grads[0], tg_ones(TG_SHAPE(4), TG_FLOAT64), 0, 0, "d out / d a");
  tg_assert_close(grads[1], tg_full(TG_SHAPE(4), 2, TG_FLOAT64), 0, 0, "d out / d x");
  tg_scope_end();
}
END_TEST

/* A backward that reads an input its op does not declare is a programming
 * error the op table's gradchecks would meet; the message says what to fix. */
static void reads_undeclared(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = tg_mul(g, tg_node_input(node, 0));
}
static const tg_op undeclared_op = {
    .name = "Undeclared", .backward = reads_undeclared, .keeps_inputs = TG_KEEPS_NONE};
static tg_tensor *square_forward(tg_tensor *const *in, tg_tensor **to_save, void *ctx) {
  (void)to_save;
  (void)ctx;
  return tg_mul(in[0], in[0]);
}

START_TEST(test_undeclared_read_is_an_error) {
  tg_scope_begin();
  tg_tensor *x = nonleaf(leaf_randn(TG_SHAPE(3)));
  tg_tensor *y = tg_function_apply(&undeclared_op, square_forward, 1, &x, NULL);
  TG_EXPECT_ERROR(backward_sum(y), "Undeclared: the backward reads input 0, which the op "
                                   "does not keep; declare it in the op's keeps_inputs");
  tg_scope_end();
}
END_TEST

int main(void) {
  Suite *s = suite_create("saved_inputs");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_tape_keeps_only_what_backward_reads);
  tcase_add_test(tc, test_unread_activations_are_freed);
  tcase_add_test(tc, test_product_keeps_the_other_operand);
  tcase_add_test(tc, test_sequential_frees_unsaved_activations);
  tcase_add_test(tc, test_version_checks_follow_what_is_read);
  tcase_add_test(tc, test_retain_grad_after_use);
  tcase_add_test(tc, test_autograd_grad_of_unkept_nonleaf);
  tcase_add_test(tc, test_undeclared_read_is_an_error);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
