/* Every loss, reduction and option against PyTorch 1.13 (values and the
 * gradients of input and float targets; float64 at 1e-10, float32 at
 * 1e-5), gradchecks in float64, and the errors that name the loss and the
 * shapes, among them the lecture's float (N, 1) target to CrossEntropyLoss;
 * the fused CrossEntropyLoss against the composite nll(log_softmax). */
#include <math.h>
#include <string.h>

#include "tensorgrad/nn.h"
#include "test_util.h"

static tg_golden *golden;

static void setup(void) {
  golden = tg_golden_load(TG_TEST_DIR "/golden/nn.txt");
}
static void teardown(void) {
  tg_golden_free(golden);
}

enum { MSE, L1, BCE, BCE_LOGITS, NLL, CE };

/* Every loss has the one shape: input, target, options (NULL: defaults). */
typedef tg_tensor *(*loss_fn)(tg_tensor *input, tg_tensor *target,
                              const tg_loss_opts *opts);
static const loss_fn losses[] = {
    [MSE] = tg_mse_loss, [L1] = tg_l1_loss,
    [BCE] = tg_bce_loss, [BCE_LOGITS] = tg_bce_with_logits_loss,
    [NLL] = tg_nll_loss, [CE] = tg_cross_entropy_loss,
};

static tg_tensor *apply_loss(int kind, tg_tensor *x, tg_tensor *y,
                             const tg_loss_opts *o) {
  return losses[kind](x, y, o);
}

static tg_tensor *case_tensor(int i, const char *what, tg_dtype dtype) {
  char key[64];
  snprintf(key, sizeof key, "loss%d.%s", i, what);
  return tg_golden_tensor(golden, key, dtype);
}

/* One golden case: loss<i>.spec = kind, reduction, float32?, has weight,
 * has pos_weight, ignore_index, label_smoothing, target grad. */
static void check_case(int i) {
  char key[64];
  snprintf(key, sizeof key, "loss%d.spec", i);
  const double *spec = tg_golden_get(golden, key, NULL, NULL);
  int kind = (int)spec[0];
  tg_dtype dtype = spec[2] ? TG_FLOAT32 : TG_FLOAT64;
  double rtol = spec[2] ? 1e-5 : 1e-10, atol = spec[2] ? 1e-6 : 1e-12;
  tg_scope_begin();
  tg_loss_opts o = {(tg_reduction)spec[1]};
  if (spec[3]) o.weight = case_tensor(i, "weight", dtype);
  if (spec[4]) o.pos_weight = case_tensor(i, "pos_weight", dtype);
  o.has_ignore_index = spec[5] != -100;
  o.ignore_index = (int64_t)spec[5];
  o.label_smoothing = spec[6];
  tg_tensor *x = tg_requires_grad_(case_tensor(i, "x", dtype), true);
  int64_t n;
  tg_shape yshape;
  snprintf(key, sizeof key, "loss%d.y", i);
  tg_golden_get(golden, key, &n, &yshape);
  bool indices = (kind == NLL || kind == CE) && yshape.ndim == x->ndim - 1;
  tg_tensor *y = case_tensor(i, "y", indices ? TG_INT64 : dtype);
  if (spec[7]) tg_requires_grad_(y, true);
  tg_tensor *out = apply_loss(kind, x, y, &o);
  tg_backward(out, case_tensor(i, "gy", dtype), 0);
  snprintf(key, sizeof key, "loss%d (kind %d, %s) value", i, kind,
           spec[1] == 0   ? "mean"
           : spec[1] == 1 ? "sum"
                          : "none");
  tg_assert_close(out, case_tensor(i, "out", dtype), rtol, atol, key);
  snprintf(key, sizeof key, "loss%d (kind %d) input grad", i, kind);
  tg_assert_close(tg_grad(x), case_tensor(i, "gx", dtype), rtol, atol, key);
  if (spec[7]) {
    snprintf(key, sizeof key, "loss%d (kind %d) target grad", i, kind);
    tg_assert_close(tg_grad(y), case_tensor(i, "gt", dtype), rtol, atol, key);
  }
  tg_scope_end();
}

START_TEST(test_every_loss_matches_torch) {
  int cases = 0;
  char key[64];
  for (;; cases++) {
    snprintf(key, sizeof key, "loss%d.spec", cases);
    if (!tg_golden_has(golden, key)) break;
    check_case(cases);
  }
  ck_assert_int_ge(cases, 130);
}
END_TEST

/* ---- gradchecks (float64): input, and float targets where they matter ---- */

typedef struct loss_ctx {
  int kind;
  tg_loss_opts opts;
  tg_tensor *target; /* fixed int64 target, or NULL when it is inputs[1] */
} loss_ctx;

static tg_tensor *run_loss(tg_tensor *const *inputs, void *ctx) {
  loss_ctx *c = ctx;
  return apply_loss(c->kind, inputs[0], c->target ? c->target : inputs[1], &c->opts);
}

static void gradcheck_loss(int kind, tg_tensor *x, tg_tensor *y, tg_loss_opts opts,
                           bool second_order) {
  bool indices = y->dtype == TG_INT64;
  loss_ctx ctx = {kind, opts, indices ? y : NULL};
  tg_tensor *inputs[2] = {tg_requires_grad_(x, true),
                          indices ? NULL : tg_requires_grad_(y, true)};
  int n = indices ? 1 : 2;
  char report[512] = "";
  for (int r = TG_MEAN; r <= TG_NONE; r++) {
    ctx.opts.reduction = (tg_reduction)r;
    ck_assert_msg(tg_gradcheck(run_loss, &ctx, n, inputs, NULL, report, sizeof report),
                  "loss kind %d reduction %d: %s", kind, r, report);
    if (second_order)
      ck_assert_msg(
          tg_gradgradcheck(run_loss, &ctx, n, inputs, NULL, report, sizeof report),
          "loss kind %d reduction %d second order: %s", kind, r, report);
  }
}

START_TEST(test_gradcheck_every_loss) {
  tg_manual_seed(4);
  tg_scope_begin();
  tg_shape s = TG_SHAPE(4, 3);
  tg_tensor *w3 = tg_add_scalar(tg_rand(TG_SHAPE(3), TG_FLOAT64), 0.5);
  tg_tensor *w4 = tg_add_scalar(tg_rand(TG_SHAPE(4), TG_FLOAT64), 0.5);
  int64_t labels[4] = {0, 2, 1, 2}, ignored[4] = {0, -100, 1, 2};
  tg_tensor *t = tg_from_data(labels, TG_SHAPE(4), TG_INT64);
  tg_tensor *t_ignored = tg_from_data(ignored, TG_SHAPE(4), TG_INT64);
  tg_tensor *probs = tg_add_scalar(tg_mul_scalar(tg_rand(s, TG_FLOAT64), 0.9), 0.05);

  gradcheck_loss(MSE, tg_randn(s, TG_FLOAT64), tg_randn(s, TG_FLOAT64), (tg_loss_opts){0},
                 true);
  gradcheck_loss(L1, tg_randn(s, TG_FLOAT64), tg_randn(s, TG_FLOAT64), (tg_loss_opts){0},
                 false);
  gradcheck_loss(BCE, tg_clone(probs), tg_rand(s, TG_FLOAT64), (tg_loss_opts){0, w3},
                 true);
  gradcheck_loss(BCE_LOGITS, tg_randn(s, TG_FLOAT64), tg_rand(s, TG_FLOAT64),
                 (tg_loss_opts){0, w3, w3}, true);
  gradcheck_loss(BCE_LOGITS, tg_randn(s, TG_FLOAT64), tg_rand(s, TG_FLOAT64),
                 (tg_loss_opts){0}, false);
  gradcheck_loss(NLL, tg_randn(s, TG_FLOAT64), t_ignored, (tg_loss_opts){0, w3}, true);
  gradcheck_loss(CE, tg_randn(s, TG_FLOAT64), t, (tg_loss_opts){0}, true);
  gradcheck_loss(CE, tg_randn(s, TG_FLOAT64), t_ignored,
                 (tg_loss_opts){0, w3, NULL, false, -100, 0.2}, true);
  gradcheck_loss(CE, tg_randn(s, TG_FLOAT64), tg_softmax(tg_randn(s, TG_FLOAT64), 1),
                 (tg_loss_opts){0, w3, NULL, false, -100, 0.1}, true);
  gradcheck_loss(CE, tg_randn(TG_SHAPE(2, 4, 3), TG_FLOAT64),
                 tg_from_data((int64_t[]){0, 3, 1, 2, 2, 0}, TG_SHAPE(2, 3), TG_INT64),
                 (tg_loss_opts){0, w4}, false);
  tg_scope_end();
}
END_TEST

/* ---- worked values: BCE's clamp, an all-ignored batch ---- */

START_TEST(test_bce_clamps_logs_at_minus_100) {
  tg_scope_begin();
  double xs[2] = {0, 1}, ys[2] = {1, 0};
  tg_tensor *x = tg_from_data(xs, TG_SHAPE(2), TG_FLOAT64);
  tg_tensor *y = tg_from_data(ys, TG_SHAPE(2), TG_FLOAT64);
  tg_loss_opts sum = {TG_SUM};
  ck_assert_double_eq(tg_item(tg_bce_loss(x, y, &sum)), 200);
  int64_t all_ignored[2] = {-100, -100};
  tg_tensor *loss =
      tg_cross_entropy_loss(tg_zeros(TG_SHAPE(2, 3), TG_FLOAT64),
                            tg_from_data(all_ignored, TG_SHAPE(2), TG_INT64), NULL);
  ck_assert(isnan(tg_item(loss))); /* 0 / 0, as in PyTorch */
  tg_scope_end();
}
END_TEST

/* ---- the fused CrossEntropyLoss (one op for (N, C) class indices) ---- */

/* PyTorch's definition, through the composite ops: nll(log_softmax(x)). */
static tg_tensor *reference_cross_entropy(tg_tensor *x, tg_tensor *t,
                                          const tg_loss_opts *o) {
  return tg_nll_loss(tg_log_softmax(x, 1), t, o);
}

/* Value and input gradient of `loss` at x (a fresh leaf copy each time). */
static tg_tensor *loss_and_grad(tg_tensor *(*loss)(tg_tensor *, tg_tensor *,
                                                   const tg_loss_opts *),
                                tg_tensor *x, tg_tensor *t, const tg_loss_opts *o,
                                tg_tensor *gy, tg_tensor **grad) {
  tg_tensor *leaf = tg_requires_grad_(tg_detach(x), true);
  tg_zero_grad(leaf, true);
  tg_tensor *out = loss(leaf, t, o);
  tg_backward(out, gy, 0);
  *grad = tg_clone(tg_grad(leaf));
  return out;
}

/* Targets in [0, C) with about one row in four ignored. */
static tg_tensor *random_targets(int64_t n, int64_t c, int64_t ignore) {
  tg_tensor *t = tg_empty(TG_SHAPE(n), TG_INT64);
  for (int64_t i = 0; i < n; i++)
    tg_data_i64(t)[i] = tg_random_u32() % 4 == 0 ? ignore : tg_random_u32() % c;
  return t;
}

static void check_fused_matches_composite(tg_tensor *x, tg_tensor *t, tg_loss_opts o,
                                          double rtol) {
  char what[96];
  tg_tensor *gy = o.reduction == TG_NONE ? tg_randn(TG_SHAPE(x->shape[0]), x->dtype)
                                         : tg_full(TG_SCALAR_SHAPE, 0.7, x->dtype);
  tg_tensor *g_fused, *g_ref;
  tg_tensor *fused = loss_and_grad(tg_cross_entropy_loss, x, t, &o, gy, &g_fused);
  tg_tensor *ref = loss_and_grad(reference_cross_entropy, x, t, &o, gy, &g_ref);
  snprintf(what, sizeof what, "fused %s reduction %d value", tg_dtype_name(x->dtype),
           (int)o.reduction);
  ck_assert_str_eq(tg_grad_fn_name(fused), "NllLossBackward0");
  tg_assert_close(fused, ref, rtol, rtol * 1e-2, what);
  snprintf(what, sizeof what, "fused %s reduction %d grad", tg_dtype_name(x->dtype),
           (int)o.reduction);
  tg_assert_close(g_fused, g_ref, rtol, rtol * 1e-2, what);
}

START_TEST(test_fused_cross_entropy_matches_composite) {
  tg_manual_seed(5);
  for (int k = 0; k < 2; k++) {
    tg_dtype dtype = k ? TG_FLOAT32 : TG_FLOAT64;
    double rtol = k ? 1e-5 : 1e-12;
    for (int r = TG_MEAN; r <= TG_NONE; r++) {
      tg_scope_begin();
      tg_tensor *x = tg_mul_scalar(tg_randn(TG_SHAPE(37, 10), dtype), 3);
      tg_loss_opts o = {(tg_reduction)r};
      check_fused_matches_composite(x, random_targets(37, 10, -100), o, rtol);
      tg_loss_opts ignore2 = {(tg_reduction)r, NULL, NULL, true, 2};
      check_fused_matches_composite(x, random_targets(37, 10, 2), ignore2, rtol);
      /* strided logits: the transpose of a (C, N) buffer */
      tg_tensor *xt = tg_t(tg_randn(TG_SHAPE(4, 6), dtype));
      check_fused_matches_composite(xt, random_targets(6, 4, -100), o, rtol);
      tg_scope_end();
    }
  }
}
END_TEST

/* The backward under create_graph (ops, so it can be differentiated again)
 * gives the fused one-pass backward's gradient. */
START_TEST(test_fused_cross_entropy_create_graph_gradient) {
  tg_manual_seed(6);
  tg_scope_begin();
  tg_tensor *x = tg_requires_grad_(tg_randn(TG_SHAPE(9, 5), TG_FLOAT64), true);
  tg_tensor *t = random_targets(9, 5, -100);
  for (int r = TG_MEAN; r <= TG_NONE; r++) {
    tg_loss_opts o = {(tg_reduction)r};
    tg_tensor *gy = r == TG_NONE ? tg_randn(TG_SHAPE(9), TG_FLOAT64) : NULL;
    tg_tensor *plain, *graph;
    tg_autograd_grad(tg_cross_entropy_loss(x, t, &o), gy, 1, &x, &plain, 0);
    tg_autograd_grad(tg_cross_entropy_loss(x, t, &o), gy, 1, &x, &graph, TG_CREATE_GRAPH);
    ck_assert(graph->grad_fn != NULL);
    tg_assert_close(graph, plain, 1e-12, 1e-15, "create_graph gradient");
  }
  tg_scope_end();
}
END_TEST

/* All rows ignored: the mean is 0 / 0 = nan as in PyTorch, the sum 0, and
 * the gradient 0 (not nan), with and without create_graph. */
START_TEST(test_fused_cross_entropy_all_ignored) {
  tg_scope_begin();
  tg_tensor *x = tg_requires_grad_(tg_randn(TG_SHAPE(3, 4), TG_FLOAT32), true);
  tg_tensor *t = tg_full(TG_SHAPE(3), 1, TG_INT64);
  tg_loss_opts mean = {TG_MEAN, NULL, NULL, true, 1}, sum = {TG_SUM, NULL, NULL, true, 1},
               none = {TG_NONE, NULL, NULL, true, 1};
  tg_tensor *loss = tg_cross_entropy_loss(x, t, &mean);
  ck_assert(isnan(tg_item(loss)));
  ck_assert_double_eq(tg_item(tg_cross_entropy_loss(x, t, &sum)), 0);
  tg_assert_close(tg_cross_entropy_loss(x, t, &none), tg_zeros(TG_SHAPE(3), TG_FLOAT32),
                  0, 0, "none");
  for (int flags = 0; flags <= TG_CREATE_GRAPH; flags += TG_CREATE_GRAPH) {
    tg_tensor *g;
    tg_autograd_grad(tg_cross_entropy_loss(x, t, &mean), NULL, 1, &x, &g, flags);
    tg_assert_close(g, tg_zeros(TG_SHAPE(3, 4), TG_FLOAT32), 0, 0, "all-ignored grad");
  }
  tg_scope_end();
}
END_TEST

/* ---- errors ---- */

START_TEST(test_cross_entropy_float_target_of_lecture) {
  tg_scope_begin();
  tg_tensor *logits = tg_randn(TG_SHAPE(10, 3), TG_FLOAT32);
  tg_tensor *float_target =
      tg_zeros(TG_SHAPE(10, 1), TG_FLOAT32); /* y.reshape(-1, 1).float() */
  TG_EXPECT_ERROR(
      tg_cross_entropy_loss(logits, float_target, NULL),
      "tg_cross_entropy_loss: expected an int64 class-index target of shape (10) for "
      "input of shape (10x3) (or class probabilities of shape (10x3)), got a float32 "
      "target of shape (10x1)");
  TG_EXPECT_ERROR(
      tg_cross_entropy_loss(logits, tg_zeros(TG_SHAPE(10, 1), TG_INT64), NULL),
      "expected an int64 class-index target of shape (10) for input of shape (10x3) "
      "(or class probabilities of shape (10x3)), got a int64 target of shape (10x1)");
  TG_EXPECT_ERROR(
      tg_nll_loss(logits, tg_zeros(TG_SHAPE(10), TG_FLOAT32), NULL),
      "tg_nll_loss: expected an int64 class-index target of shape (10) for input of "
      "shape (10x3), got a float32 target of shape (10)");
  tg_scope_end();
}
END_TEST

START_TEST(test_loss_errors_name_the_loss_and_shapes) {
  tg_scope_begin();
  tg_tensor *x = tg_rand(TG_SHAPE(16, 1), TG_FLOAT32),
            *y16 = tg_rand(TG_SHAPE(16), TG_FLOAT32);
  TG_EXPECT_ERROR(tg_mse_loss(x, y16, NULL),
                  "tg_mse_loss: input of shape (16x1) and target of shape (16) differ; "
                  "they must have the same shape");
  TG_EXPECT_ERROR(tg_l1_loss(x, tg_rand(TG_SHAPE(16, 1), TG_FLOAT64), NULL),
                  "tg_l1_loss: expected floating input and target of one dtype, got "
                  "float32 input and float64 target");
  TG_EXPECT_ERROR(tg_bce_loss(x, y16, NULL),
                  "tg_bce_loss: input of shape (16x1) and target of shape (16) differ");
  TG_EXPECT_ERROR(tg_bce_with_logits_loss(x, tg_zeros(TG_SHAPE(16, 1), TG_INT64), NULL),
                  "tg_bce_with_logits_loss: expected floating input and target of one "
                  "dtype, got float32 input and int64 target");
  TG_EXPECT_ERROR(tg_mse_loss(x, x, &(tg_loss_opts){.reduction = (tg_reduction)7}),
                  "tg_mse_loss: unknown reduction 7");
  /* an option the loss does not take, as PyTorch's unexpected keyword */
  tg_tensor *w1 = tg_ones(TG_SHAPE(1), TG_FLOAT32);
  TG_EXPECT_ERROR(tg_mse_loss(x, x, &(tg_loss_opts){.weight = w1}),
                  "tg_mse_loss: this loss has no weight option");
  TG_EXPECT_ERROR(tg_l1_loss(x, x, &(tg_loss_opts){.has_ignore_index = true}),
                  "tg_l1_loss: this loss has no ignore_index option");
  TG_EXPECT_ERROR(tg_bce_loss(x, x, &(tg_loss_opts){.pos_weight = w1}),
                  "tg_bce_loss: this loss has no pos_weight option");
  TG_EXPECT_ERROR(tg_bce_with_logits_loss(x, x, &(tg_loss_opts){.label_smoothing = 0.1}),
                  "tg_bce_with_logits_loss: this loss has no label_smoothing option");
  TG_EXPECT_ERROR(tg_nll_loss(x, tg_zeros(TG_SHAPE(16), TG_INT64),
                              &(tg_loss_opts){.label_smoothing = 0.1}),
                  "tg_nll_loss: this loss has no label_smoothing option");
  TG_EXPECT_ERROR(tg_cross_entropy_loss(x, tg_zeros(TG_SHAPE(16), TG_INT64),
                                        &(tg_loss_opts){.pos_weight = w1}),
                  "tg_cross_entropy_loss: this loss has no pos_weight option");
  TG_EXPECT_ERROR(tg_bce_loss(tg_full(TG_SHAPE(2), 1.5, TG_FLOAT32),
                              tg_zeros(TG_SHAPE(2), TG_FLOAT32), NULL),
                  "tg_bce_loss: all elements of input should be between 0 and 1");
  tg_loss_opts bad_weight = {TG_MEAN, tg_ones(TG_SHAPE(3), TG_FLOAT32)};
  TG_EXPECT_ERROR(tg_bce_loss(x, x, &bad_weight),
                  "tg_bce_loss: weight of shape (3) (float32) does not broadcast to the "
                  "input of shape (16x1) (float32)");
  tg_loss_opts bad_pos = {TG_MEAN, NULL, tg_ones(TG_SHAPE(2), TG_FLOAT32)};
  TG_EXPECT_ERROR(tg_bce_with_logits_loss(x, x, &bad_pos),
                  "tg_bce_with_logits_loss: pos_weight of shape (2)");

  tg_tensor *logits = tg_randn(TG_SHAPE(4, 3), TG_FLOAT32);
  int64_t labels[4] = {0, 1, 3, 2};
  tg_tensor *t = tg_from_data(labels, TG_SHAPE(4), TG_INT64);
  TG_EXPECT_ERROR(tg_cross_entropy_loss(logits, t, NULL),
                  "tg_cross_entropy_loss: target 3 is out of bounds for 3 classes");
  tg_loss_opts weighted = {TG_SUM, tg_ones(TG_SHAPE(3), TG_FLOAT32)}; /* not fused */
  TG_EXPECT_ERROR(tg_cross_entropy_loss(logits, t, &weighted),
                  "tg_cross_entropy_loss: target 3 is out of bounds for 3 classes");
  tg_tensor *negative = tg_from_data((int64_t[]){0, -1, 1, 2}, TG_SHAPE(4), TG_INT64);
  tg_loss_opts none = {TG_NONE};
  TG_EXPECT_ERROR(tg_cross_entropy_loss(logits, negative, &none),
                  "tg_cross_entropy_loss: target -1 is out of bounds for 3 classes");
  TG_EXPECT_ERROR(tg_nll_loss(logits, negative, NULL),
                  "tg_nll_loss: target -1 is out of bounds for 3 classes");
  tg_loss_opts ignore3 = {TG_MEAN, NULL, NULL, true, 3};
  tg_cross_entropy_loss(logits, t, &ignore3); /* 3 is ignored: fine */
  tg_loss_opts w2 = {TG_MEAN, tg_ones(TG_SHAPE(2), TG_FLOAT32)};
  TG_EXPECT_ERROR(tg_nll_loss(logits, tg_zeros(TG_SHAPE(4), TG_INT64), &w2),
                  "tg_nll_loss: weight of shape (2) (float32) must be a float32 vector "
                  "of one weight per class (3)");
  tg_loss_opts smooth = {TG_MEAN, NULL, NULL, false, 0, 1.5};
  TG_EXPECT_ERROR(
      tg_cross_entropy_loss(logits, t, &smooth),
      "tg_cross_entropy_loss: label_smoothing must be between 0.0 and 1.0, got 1.5");
  tg_loss_opts ignore_probs = {TG_MEAN, NULL, NULL, true, 0};
  TG_EXPECT_ERROR(
      tg_cross_entropy_loss(logits, tg_softmax(logits, 1), &ignore_probs),
      "tg_cross_entropy_loss: ignore_index is not supported for probability targets");
  TG_EXPECT_ERROR(
      tg_cross_entropy_loss(logits, tg_zeros(TG_SHAPE(4, 3), TG_FLOAT64), NULL),
      "tg_cross_entropy_loss: probability targets must have the input's dtype, got "
      "float32 input and float64 target");
  TG_EXPECT_ERROR(tg_cross_entropy_loss(tg_zeros(TG_SHAPE(4), TG_INT64),
                                        tg_zeros(TG_SHAPE(4), TG_INT64), NULL),
                  "tg_cross_entropy_loss: expected a floating input of shape (N, C) or "
                  "(N, C, d1, ...), got int64 (4)");
  tg_scope_end();
}
END_TEST

int main(void) {
  Suite *s = suite_create("losses");
  TCase *tc = tcase_create("losses");
  tcase_set_timeout(tc, 300);
  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_every_loss_matches_torch);
  tcase_add_test(tc, test_gradcheck_every_loss);
  tcase_add_test(tc, test_bce_clamps_logs_at_minus_100);
  tcase_add_test(tc, test_fused_cross_entropy_matches_composite);
  tcase_add_test(tc, test_fused_cross_entropy_create_graph_gradient);
  tcase_add_test(tc, test_fused_cross_entropy_all_ignored);
  tcase_add_test(tc, test_cross_entropy_float_target_of_lecture);
  tcase_add_test(tc, test_loss_errors_name_the_loss_and_shapes);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
