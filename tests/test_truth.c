/* "Autograd that never lies" (issue 12), against PyTorch 1.13's numbers and
 * strings in tests/golden/truth.txt and truth_text.txt (tests/golden/truth.py):
 * gradients at edge points, forward edge values and dtype rules, in-place
 * writes on the tape, grad_fn names, and print(tensor). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static tg_golden *golden;

/* ---- truth_text.txt: name<TAB>text, "\n" and "\\" escaped ---- */

static char *text_file;

static const char *golden_text(const char *name) {
  static char value[4096];
  size_t len = strlen(name);
  for (char *line = text_file; line && *line; line = strchr(line, '\n') + 1) {
    if (strncmp(line, name, len) == 0 && line[len] == '\t') {
      size_t n = 0;
      for (const char *c = line + len + 1; *c && *c != '\n' && n + 1 < sizeof value; c++)
        value[n++] = (c[0] == '\\' && c[1] == 'n')    ? (c++, '\n')
                     : (c[0] == '\\' && c[1] == '\\') ? (c++, '\\')
                                                      : *c;
      value[n] = 0;
      return value;
    }
    if (!strchr(line, '\n')) break;
  }
  ck_abort_msg("no entry %s in truth_text.txt", name);
  return NULL;
}

static void setup(void) {
  golden = tg_golden_load("golden/truth.txt");
  size_t n;
  text_file = (char *)tg_test_read_file("golden/truth_text.txt", &n);
  text_file[n] = 0;
}

static void teardown(void) {
  tg_golden_free(golden);
  free(text_file);
}

static tg_tensor *golden_leaf(const char *prefix, int i) {
  char name[128];
  snprintf(name, sizeof name, "%s.x%d", prefix, i);
  tg_tensor *x = tg_golden_tensor(golden, name, TG_FLOAT64);
  /* a 0-element entry is written as shape (0) */
  return x;
}

static void expect_values(const tg_tensor *t, const char *prefix, const char *what) {
  char name[128];
  snprintf(name, sizeof name, "%s.%s", prefix, what);
  int64_t n;
  const double *v = tg_golden_get(golden, name, &n, NULL);
  tg_assert_close_data(t, v, n, 1e-12, 1e-12, name);
}

static void expect_values_exactly(const tg_tensor *t, const char *name) {
  int64_t n;
  const double *v = tg_golden_get(golden, name, &n, NULL);
  tg_assert_close_data(t, v, n, 0, 0, name);
}

/* ---- gradients at edge points: y = f(x...), grads of sum(y) ---- */

typedef tg_tensor *(*case_fn)(tg_tensor *const *x);

static tg_tensor *std_rows(tg_tensor *const *x) {
  return tg_std(x[0], TG_DIMS(1), 1, false);
}
static tg_tensor *std_all(tg_tensor *const *x) {
  return tg_std(x[0], TG_ALL_DIMS, 1, false);
}
static tg_tensor *var_rows(tg_tensor *const *x) {
  return tg_var(x[0], TG_DIMS(1), 1, false);
}
static tg_tensor *var_c3(tg_tensor *const *x) {
  return tg_var(x[0], TG_DIMS(0), 3, false);
}
static tg_tensor *std_c3(tg_tensor *const *x) {
  return tg_std(x[0], TG_DIMS(0), 3, false);
}
static tg_tensor *pow_(tg_tensor *const *x) {
  return tg_pow(x[0], x[1]);
}
static tg_tensor *pow_0(tg_tensor *const *x) {
  return tg_pow_scalar(x[0], 0.0);
}
static tg_tensor *pow_half(tg_tensor *const *x) {
  return tg_pow_scalar(x[0], 0.5);
}
static tg_tensor *pow_minus1(tg_tensor *const *x) {
  return tg_pow_scalar(x[0], -1.0);
}
static tg_tensor *pow_2(tg_tensor *const *x) {
  return tg_pow_scalar(x[0], 2.0);
}
static tg_tensor *abs_(tg_tensor *const *x) {
  return tg_abs(x[0]);
}
static tg_tensor *sqrt_(tg_tensor *const *x) {
  return tg_sqrt(x[0]);
}
static tg_tensor *relu_(tg_tensor *const *x) {
  return tg_relu(x[0]);
}
static tg_tensor *leaky_relu_(tg_tensor *const *x) {
  return tg_leaky_relu(x[0], 0.1);
}
static tg_tensor *leaky_relu_half(tg_tensor *const *x) {
  return tg_leaky_relu(x[0], 0.5);
}
static tg_tensor *clamp_1(tg_tensor *const *x) {
  return tg_clamp(x[0], -1, 1);
}
static tg_tensor *clamp_inverted(tg_tensor *const *x) {
  return tg_clamp(x[0], 1, -1);
}
static tg_tensor *clamp_inverted_2(tg_tensor *const *x) {
  return tg_clamp(x[0], 2, -2);
}
static tg_tensor *maximum_(tg_tensor *const *x) {
  return tg_maximum(x[0], x[1]);
}
static tg_tensor *minimum_(tg_tensor *const *x) {
  return tg_minimum(x[0], x[1]);
}
static tg_tensor *max_all(tg_tensor *const *x) {
  return tg_max_all(x[0]);
}
static tg_tensor *min_all(tg_tensor *const *x) {
  return tg_min_all(x[0]);
}
static tg_tensor *max_dim(tg_tensor *const *x) {
  return tg_max(x[0], 1, false, NULL);
}
static tg_tensor *min_dim(tg_tensor *const *x) {
  return tg_min(x[0], 1, false, NULL);
}
static tg_tensor *log_(tg_tensor *const *x) {
  return tg_log(x[0]);
}
static tg_tensor *log1p_(tg_tensor *const *x) {
  return tg_log1p(x[0]);
}
static tg_tensor *div_(tg_tensor *const *x) {
  return tg_div(x[0], x[1]);
}
static tg_tensor *logsumexp_(tg_tensor *const *x) {
  return tg_logsumexp(x[0], TG_DIMS(0), false);
}
static tg_tensor *softmax_weighted(tg_tensor *const *x) {
  return tg_mul(tg_softmax(x[0], 0), tg_arange(0, 3, 1, TG_FLOAT64));
}
static tg_tensor *softmax_(tg_tensor *const *x) {
  return tg_softmax(x[0], 0);
}
static tg_tensor *log_softmax_(tg_tensor *const *x) {
  return tg_log_softmax(x[0], 0);
}
static tg_tensor *sigmoid_(tg_tensor *const *x) {
  return tg_sigmoid(x[0]);
}
static tg_tensor *tanh_(tg_tensor *const *x) {
  return tg_tanh(x[0]);
}
static tg_tensor *exp_(tg_tensor *const *x) {
  return tg_exp(x[0]);
}
static tg_tensor *bce(tg_tensor *const *x) {
  return tg_bce_loss(x[0], x[1], NULL);
}
static tg_tensor *mse(tg_tensor *const *x) {
  return tg_mse_loss(x[0], x[1], TG_MEAN);
}
static tg_tensor *norm_(tg_tensor *const *x) {
  return tg_sqrt(tg_sum(tg_mul(x[0], x[0]), TG_ALL_DIMS, false));
}
static tg_tensor *neg_(tg_tensor *const *x) {
  return tg_neg(x[0]);
}
static tg_tensor *sum_all(tg_tensor *const *x) {
  return tg_sum(x[0], TG_ALL_DIMS, false);
}
static tg_tensor *mean_all(tg_tensor *const *x) {
  return tg_mean(x[0], TG_ALL_DIMS, false);
}
static tg_tensor *var_c5(tg_tensor *const *x) {
  return tg_var(x[0], TG_DIMS(0), 5, false);
}
static tg_tensor *clamp_1_fwd(tg_tensor *const *x) {
  return tg_clamp(x[0], -1, 1);
}
static tg_tensor *max_dim_index(tg_tensor *const *x) {
  tg_tensor *idx;
  tg_max(x[0], 1, false, &idx);
  return idx;
}
static tg_tensor *argmax_(tg_tensor *const *x) {
  return tg_argmax(x[0], 1, false);
}
static tg_tensor *argmin_(tg_tensor *const *x) {
  return tg_argmin(x[0], 1, false);
}

typedef struct edge_case {
  const char *name;
  int n_inputs;
  case_fn f;
} edge_case;

static const edge_case edge_cases[] = {
    {"std_const_rows", 1, std_rows},
    {"std_const_all", 1, std_all},
    {"std_one", 1, std_rows},
    {"var_one", 1, var_rows},
    {"var_correction_3", 1, var_c3},
    {"std_correction_3", 1, std_c3},
    {"pow_base_0", 2, pow_},
    {"pow_scalar_0", 1, pow_0},
    {"pow_scalar_half", 1, pow_half},
    {"pow_scalar_minus1", 1, pow_minus1},
    {"pow_scalar_2", 1, pow_2},
    {"abs_0", 1, abs_},
    {"sqrt_0", 1, sqrt_},
    {"relu_0", 1, relu_},
    {"leaky_relu_0", 1, leaky_relu_},
    {"clamp_bounds", 1, clamp_1},
    {"clamp_min_above_max", 1, clamp_inverted},
    {"maximum_ties", 2, maximum_},
    {"minimum_ties", 2, minimum_},
    {"max_all_ties", 1, max_all},
    {"min_all_ties", 1, min_all},
    {"max_dim_ties", 1, max_dim},
    {"min_dim_ties", 1, min_dim},
    {"log_0", 1, log_},
    {"log1p_minus1", 1, log1p_},
    {"div_by_0", 2, div_},
    {"logsumexp_all_minus_inf", 1, logsumexp_},
    {"logsumexp_inf", 1, logsumexp_},
    {"softmax_minus_inf", 1, softmax_weighted},
    {"log_softmax_minus_inf", 1, log_softmax_},
    {"sigmoid_far", 1, sigmoid_},
    {"tanh_far", 1, tanh_},
    {"exp_far", 1, exp_},
    {"bce_at_0_and_1", 2, bce},
    {"mse_mean", 2, mse},
    {"norm_at_0", 1, norm_},
};

START_TEST(test_edge_gradients) {
  const edge_case *c = &edge_cases[_i];
  char prefix[96];
  snprintf(prefix, sizeof prefix, "edge.%s", c->name);
  tg_scope_begin();
  tg_tensor *x[2];
  for (int i = 0; i < c->n_inputs; i++)
    x[i] = tg_requires_grad_(golden_leaf(prefix, i), true);
  tg_tensor *y = c->f(x);
  expect_values(y, prefix, "y");
  tg_backward(tg_sum(y, TG_ALL_DIMS, false), NULL, 0);
  for (int i = 0; i < c->n_inputs; i++) {
    char what[16];
    snprintf(what, sizeof what, "g%d", i);
    expect_values(tg_grad(x[i]), prefix, what);
  }
  tg_scope_end();
}
END_TEST

/* ---- forward values at NaN, inf, -0 and empty inputs ---- */

static const edge_case forward_cases[] = {
    {"relu_nan", 1, relu_},
    {"maximum_nan", 2, maximum_},
    {"minimum_nan", 2, minimum_},
    {"clamp_nan", 1, clamp_1_fwd},
    {"clamp_min_above_max", 1, clamp_inverted_2},
    {"max_all_nan", 1, max_all},
    {"min_all_nan", 1, min_all},
    {"max_dim_nan", 1, max_dim},
    {"max_dim_nan_index", 1, max_dim_index},
    {"argmax_nan", 1, argmax_},
    {"argmin_nan", 1, argmin_},
    {"sum_inf", 1, sum_all},
    {"mean_empty", 1, mean_all},
    {"sum_empty", 1, sum_all},
    {"var_correction_big", 1, var_c5},
    {"neg_zero", 1, neg_},
    {"abs_neg_zero", 1, abs_},
    {"sqrt_neg_zero", 1, sqrt_},
    {"relu_neg_zero", 1, relu_},
    {"exp_inf", 1, exp_},
    {"log_inf", 1, log_},
    {"sigmoid_inf", 1, sigmoid_},
    {"tanh_inf", 1, tanh_},
    {"softmax_inf", 1, softmax_},
    {"softmax_all_minus_inf", 1, softmax_},
    {"log_softmax_all_minus_inf", 1, log_softmax_},
    {"logsumexp_empty", 1, logsumexp_},
    {"softmax_empty", 1, softmax_},
    {"maximum_signed_zero", 2, maximum_},
    {"minimum_signed_zero", 2, minimum_},
    {"max_all_signed_zero", 1, max_all},
    {"min_all_signed_zero", 1, min_all},
    {"leaky_relu_nan", 1, leaky_relu_half},
};

/* Values equal, -0 and +0 told apart. */
static void expect_bits(const tg_tensor *t, const char *prefix) {
  char name[128];
  snprintf(name, sizeof name, "%s.y", prefix);
  int64_t n;
  const double *v = tg_golden_get(golden, name, &n, NULL);
  ck_assert_msg(tg_numel(t) == n, "%s: %lld elements, expected %lld", name,
                (long long)tg_numel(t), (long long)n);
  for (int64_t i = 0; i < n; i++) {
    double got = tg_get_flat(t, i);
    bool same = isnan(v[i]) ? isnan(got) : got == v[i] && signbit(got) == signbit(v[i]);
    ck_assert_msg(same, "%s[%lld] = %.17g, PyTorch gives %.17g", name, (long long)i, got,
                  v[i]);
  }
}

START_TEST(test_forward_edge_values) {
  const edge_case *c = &forward_cases[_i];
  char prefix[96];
  snprintf(prefix, sizeof prefix, "fwd.%s", c->name);
  tg_scope_begin();
  tg_tensor *x[2];
  for (int i = 0; i < c->n_inputs; i++) x[i] = golden_leaf(prefix, i);
  expect_bits(c->f(x), prefix);
  tg_scope_end();
}
END_TEST

/* ---- dtype rules ---- */

static tg_tensor *i64(const int64_t *v, int64_t n) {
  return tg_from_data(v, TG_SHAPE(n), TG_INT64);
}
static tg_tensor *bools(const bool *v, int64_t n) {
  return tg_from_data(v, TG_SHAPE(n), TG_BOOL);
}

static void expect_dtype_values(tg_tensor *t, tg_dtype dtype, const char *name) {
  ck_assert_msg(t->dtype == dtype, "%s: dtype %s, PyTorch keeps %s", name,
                tg_dtype_name(t->dtype), tg_dtype_name(dtype));
  int64_t n;
  const double *v = tg_golden_get(golden, name, &n, NULL);
  tg_assert_close_data(t, v, n, 0, 0, name);
}

START_TEST(test_dtype_rules) {
  tg_scope_begin();
  tg_tensor *a = i64((int64_t[]){2, 3, -2}, 3);
  expect_dtype_values(tg_pow(a, i64((int64_t[]){3, 2, 3}, 3)), TG_INT64,
                      "dtype.int64_pow");
  expect_dtype_values(tg_pow_scalar(a, 2), TG_INT64, "dtype.int64_pow_scalar");
  expect_dtype_values(
      tg_pow(i64((int64_t[]){2, 1, -1, 3}, 4), i64((int64_t[]){-1, -1, -1, -2}, 4)),
      TG_INT64, "dtype.int64_pow_negative");
  bool p[3] = {true, false, false}, q[3] = {true, true, false};
  expect_dtype_values(tg_add(bools(p, 3), bools(q, 3)), TG_BOOL, "dtype.bool_add");
  expect_dtype_values(tg_mul(bools(p, 2), bools(q, 2)), TG_BOOL, "dtype.bool_mul");
  TG_EXPECT_ERROR(tg_pow_scalar(a, -1), golden_text("error.int64_negative_pow_scalar"));
  TG_EXPECT_ERROR(tg_neg(bools(p, 1)), golden_text("error.neg_bool"));
  TG_EXPECT_ERROR(
      tg_index_select(tg_ones(TG_SHAPE(3), TG_FLOAT32), 0, i64((int64_t[]){-1}, 1)),
      golden_text("error.index_select_negative"));
  TG_EXPECT_ERROR(tg_max_all(tg_ones(TG_SHAPE(0), TG_FLOAT32)),
                  golden_text("error.max_all_empty"));
  TG_EXPECT_ERROR(tg_max(tg_ones(TG_SHAPE(2, 0), TG_FLOAT32), 1, false, NULL),
                  golden_text("error.max_dim_empty"));
  tg_scope_end();
}
END_TEST

/* ---- in-place writes ---- */

static tg_tensor *leaf3(double a, double b, double c) {
  return tg_requires_grad_(tg_from_data((double[]){a, b, c}, TG_SHAPE(3), TG_FLOAT64),
                           true);
}

/* y = f(x...) then sum(y).backward(): PyTorch's numbers and grad_fn name. */
static void expect_inplace(const char *name, tg_tensor *y, tg_tensor *const *x, int n) {
  char prefix[96], what[16], key[128];
  snprintf(prefix, sizeof prefix, "inplace.%s", name);
  snprintf(key, sizeof key, "name.inplace_%s", name);
  ck_assert_str_eq(tg_grad_fn_name(y), golden_text(key));
  expect_values(y, prefix, "y");
  tg_backward(tg_sum(y, TG_ALL_DIMS, false), NULL, 0);
  for (int i = 0; i < n; i++) {
    snprintf(what, sizeof what, "g%d", i);
    expect_values(tg_grad(x[i]), prefix, what);
  }
}

START_TEST(test_inplace_recorded) {
  tg_scope_begin();
  tg_tensor *x = leaf3(1, 2, 3), *o = leaf3(4, 5, 6);
  tg_tensor *a = tg_mul_scalar(x, 1);
  tg_mul_scalar_(a, 3);
  expect_inplace("mul_", a, &x, 1);

  tg_tensor *xs[2] = {leaf3(1, 2, 3), o};
  a = tg_mul_scalar(xs[0], 1);
  tg_add_(a, o, -0.5);
  expect_inplace("add_", a, xs, 2);

  x = leaf3(1, 2, 3);
  a = tg_mul_scalar(x, 1);
  tg_fill_(a, 2);
  expect_inplace("fill_", a, &x, 1);

  x = leaf3(1, 2, 3);
  a = tg_mul_scalar(x, 1);
  tg_zero_(a);
  expect_inplace("zero_", a, &x, 1);

  xs[0] = leaf3(1, 2, 3);
  xs[1] = tg_requires_grad_(tg_full(TG_SHAPE(1), 5, TG_FLOAT64), true);
  a = tg_mul_scalar(xs[0], 1);
  tg_copy_(a, xs[1]);
  expect_inplace("copy_", a, xs, 2);

  /* b = a + 1 does not read a: changing a afterwards is fine */
  x = leaf3(1, 2, 3);
  a = tg_mul_scalar(x, 1);
  tg_tensor *b = tg_add_scalar(a, 1);
  tg_mul_scalar_(a, 2);
  expect_inplace("unsaved_input", tg_add(b, a), &x, 1);

  /* a tensor outside the graph joins it by an in-place add */
  x = leaf3(1, 2, 3);
  tg_tensor *buf = tg_zeros(TG_SHAPE(3), TG_FLOAT64);
  tg_add_(buf, x, 2);
  expect_inplace("into_constant", tg_mul(buf, buf), &x, 1);
  tg_scope_end();
}
END_TEST

START_TEST(test_inplace_errors) {
  tg_scope_begin();
  tg_tensor *x = leaf3(1, 2, 3);
  tg_tensor *y = tg_sigmoid(x);
  tg_mul_scalar_(y, 2);
  TG_EXPECT_ERROR(tg_backward(tg_sum(y, TG_ALL_DIMS, false), NULL, 0),
                  golden_text("error.inplace_sigmoid_output"));

  tg_tensor *a = tg_mul_scalar(x, 1);
  tg_tensor *b = tg_mul(a, a);
  tg_add_(a, tg_ones(TG_SHAPE(3), TG_FLOAT64), 1);
  TG_EXPECT_ERROR(tg_backward(tg_sum(b, TG_ALL_DIMS, false), NULL, 0),
                  golden_text("error.inplace_saved_input"));

  TG_EXPECT_ERROR(tg_mul_scalar_(x, 2), golden_text("error.inplace_leaf"));
  TG_EXPECT_ERROR(tg_fill_(x, 2), golden_text("error.inplace_leaf"));
  TG_EXPECT_ERROR(tg_set(x, (int64_t[]){0}, 2), golden_text("error.inplace_leaf"));
  TG_EXPECT_ERROR(tg_normal_(x, 0, 1), golden_text("error.inplace_leaf"));
  TG_EXPECT_ERROR(tg_mul_scalar_(tg_select(x, 0, 0), 2),
                  golden_text("error.inplace_leaf_view"));
  TG_EXPECT_ERROR(
      tg_mul_scalar_(tg_select(a, 0, 0), 2),
      "tg_mul_scalar_: in-place write to a view of a tensor that requires grad "
      "is not supported");
  TG_EXPECT_ERROR(tg_add_(a, tg_select(a, 0, 0), 1),
                  "tg_add_: unsupported operation: some elements of the input tensor and "
                  "the written-to tensor refer to a single memory location");
  TG_EXPECT_ERROR(tg_add_(a, tg_expand(tg_select(a, 0, 0), TG_SHAPE(3)), 1),
                  "tg_add_: the source shares memory with the tensor written in place");
  /* the base written after a view was taken: the view's backward refuses */
  tg_tensor *c = tg_mul_scalar(x, 1);
  tg_tensor *v = tg_view(c, TG_SHAPE(3));
  tg_mul_scalar_(c, 2);
  TG_EXPECT_ERROR(tg_backward(tg_sum(tg_mul_scalar(v, 1), TG_ALL_DIMS, false), NULL, 0),
                  "ViewBackward0: one of the variables needed for gradient computation "
                  "has been modified by an inplace operation");
  /* under no_grad a leaf may be written (an optimizer step) */
  tg_no_grad_begin();
  tg_mul_scalar_(x, 2);
  tg_no_grad_end();
  ck_assert_double_eq(tg_get_flat(x, 2), 6);
  tg_scope_end();
}
END_TEST

/* ---- grad_fn names ---- */

static tg_tensor *named_result(const char *name, tg_tensor *x, tg_tensor *w,
                               tg_tensor *b) {
  tg_tensor *img = tg_requires_grad_(tg_rand(TG_SHAPE(1, 1, 4, 4), TG_FLOAT64), true);
  tg_tensor *kernel = tg_requires_grad_(tg_rand(TG_SHAPE(2, 1, 3, 3), TG_FLOAT64), true);
  tg_tensor *target = tg_rand(TG_SHAPE(2, 3), TG_FLOAT64);
  tg_tensor *labels = tg_from_data((int64_t[]){0, 2}, TG_SHAPE(2), TG_INT64);
  tg_tensor *row = tg_slice(x, 0, 0, 1, 1), *mask = tg_gt_scalar(x, 0.5);
  tg_tensor *pair[2] = {x, x};
  tg_tensor *index = tg_from_data((int64_t[]){0, 2}, TG_SHAPE(2), TG_INT64);
  tg_tensor *column = tg_from_data((int64_t[]){0, 1}, TG_SHAPE(2, 1), TG_INT64);
#define NAMED(n, expr)                                                                   \
  if (strcmp(name, n) == 0) return expr
  NAMED("add", tg_add(x, x));
  NAMED("sub", tg_sub(x, x));
  NAMED("mul", tg_mul(x, x));
  NAMED("div", tg_div(x, x));
  NAMED("pow", tg_pow(x, x));
  NAMED("maximum", tg_maximum(x, x));
  NAMED("minimum", tg_minimum(x, x));
  NAMED("add_scalar", tg_add_scalar(x, 2));
  NAMED("sub_scalar", tg_sub_scalar(x, 2));
  NAMED("rsub_scalar", tg_rsub_scalar(x, 2));
  NAMED("mul_scalar", tg_mul_scalar(x, 2));
  NAMED("div_scalar", tg_div_scalar(x, 2));
  NAMED("pow_scalar", tg_pow_scalar(x, 2));
  NAMED("neg", tg_neg(x));
  NAMED("exp", tg_exp(x));
  NAMED("log", tg_log(x));
  NAMED("log1p", tg_log1p(x));
  NAMED("sqrt", tg_sqrt(x));
  NAMED("abs", tg_abs(x));
  NAMED("sigmoid", tg_sigmoid(x));
  NAMED("tanh", tg_tanh(x));
  NAMED("relu", tg_relu(x));
  NAMED("leaky_relu", tg_leaky_relu(x, 0.1));
  NAMED("clamp", tg_clamp(x, 0.2, 0.8));
  NAMED("sum", tg_sum(x, TG_ALL_DIMS, false));
  NAMED("sum_dim", tg_sum(x, TG_DIMS(1), false));
  NAMED("mean", tg_mean(x, TG_ALL_DIMS, false));
  NAMED("mean_dim", tg_mean(x, TG_DIMS(1), false));
  NAMED("var", tg_var(x, TG_ALL_DIMS, 1, false));
  NAMED("var_dim", tg_var(x, TG_DIMS(1), 1, false));
  NAMED("std", tg_std(x, TG_ALL_DIMS, 1, false));
  NAMED("std_dim", tg_std(x, TG_DIMS(1), 1, false));
  NAMED("logsumexp", tg_logsumexp(x, TG_DIMS(1), false));
  NAMED("max", tg_max(x, 1, false, NULL));
  NAMED("min", tg_min(x, 1, false, NULL));
  NAMED("max_all", tg_max_all(x));
  NAMED("min_all", tg_min_all(x));
  NAMED("softmax", tg_softmax(x, 1));
  NAMED("log_softmax", tg_log_softmax(x, 1));
  NAMED("view", tg_view(x, TG_SHAPE(3, 2)));
  NAMED("reshape", tg_reshape(x, TG_SHAPE(6)));
  NAMED("transpose", tg_transpose(x, 0, 1));
  NAMED("t", tg_t(x));
  NAMED("permute", tg_permute(x, TG_DIMS(1, 0)));
  NAMED("expand", tg_expand(row, TG_SHAPE(4, 3)));
  NAMED("squeeze", tg_squeeze(row, 0));
  NAMED("squeeze_all", tg_squeeze_all(row));
  NAMED("unsqueeze", tg_unsqueeze(x, 0));
  NAMED("flatten", tg_flatten(x, 0, -1));
  NAMED("narrow", tg_narrow(x, 1, 0, 2));
  NAMED("slice", tg_slice(x, 1, 1, 3, 1));
  NAMED("select", tg_select(x, 0, 1));
  NAMED("index_select", tg_index_select(x, 1, index));
  NAMED("gather", tg_gather(x, 1, column));
  NAMED("scatter_add", tg_scatter_add(x, 1, column, tg_slice(x, 1, 0, 1, 1)));
  NAMED("masked_fill", tg_masked_fill(x, mask, 0));
  NAMED("cat", tg_cat(pair, 2, 0));
  NAMED("stack", tg_stack(pair, 2, 0));
  NAMED("where", tg_where(mask, x, x));
  NAMED("clone", tg_clone(x));
  NAMED("to", tg_to(x, TG_FLOAT32));
  NAMED("matmul", tg_matmul(x, tg_t(w)));
  NAMED("matmul_vec", tg_matmul(tg_select(x, 0, 0), tg_select(x, 0, 0)));
  NAMED("linear", tg_linear(x, w, b));
  NAMED("linear_no_bias", tg_linear(x, w, NULL));
  NAMED("conv2d", tg_conv2d(img, kernel, NULL, NULL));
  NAMED("max_pool2d", tg_max_pool2d(img, &(tg_pool_opts){.kernel_size = {2, 2}}, NULL));
  NAMED("mse_loss", tg_mse_loss(x, target, TG_MEAN));
  NAMED("l1_loss", tg_l1_loss(x, target, TG_MEAN));
  NAMED("bce_loss", tg_bce_loss(tg_sigmoid(x), target, NULL));
  NAMED("nll_loss", tg_nll_loss(x, labels, NULL));
  NAMED("cross_entropy", tg_cross_entropy_loss(x, labels, NULL));
  NAMED("sum_to_size", tg_sum_to_size(x, TG_SHAPE(1, 3)));
#undef NAMED
  ck_abort_msg("no call for %s", name);
  return NULL;
}

START_TEST(test_grad_fn_names) {
  tg_manual_seed(0);
  int checked = 0;
  char wrong[4096] = "";
  for (char *line = text_file; *line; line = strchr(line, '\n') + 1) {
    if (strncmp(line, "name.", 5) == 0 && strncmp(line, "name.inplace_", 13) != 0) {
      char name[64];
      sscanf(line + 5, "%63[^\t]", name);
      char key[80];
      snprintf(key, sizeof key, "name.%s", name);
      tg_scope_begin();
      tg_tensor *x = tg_requires_grad_(tg_rand(TG_SHAPE(2, 3), TG_FLOAT64), true);
      tg_tensor *w = tg_requires_grad_(tg_rand(TG_SHAPE(4, 3), TG_FLOAT64), true);
      tg_tensor *b = tg_requires_grad_(tg_rand(TG_SHAPE(4), TG_FLOAT64), true);
      const char *got = tg_grad_fn_name(named_result(name, x, w, b));
      const char *want = golden_text(key);
      if (strcmp(got, want) != 0 && strlen(wrong) + 100 < sizeof wrong)
        sprintf(wrong + strlen(wrong), " %s: %s (PyTorch %s);", name, got, want);
      checked++;
      tg_scope_end();
    }
    if (!strchr(line, '\n')) break;
  }
  ck_assert_int_ge(checked, 70);
  ck_assert_msg(wrong[0] == 0, "grad_fn names differ:%s", wrong);
}
END_TEST

/* ---- print(tensor) ---- */

static tg_tensor *printed_tensor(const char *name) {
  char key[128];
  snprintf(key, sizeof key, "print.%s.values", name);
  tg_shape shape;
  int64_t n;
  tg_golden_get(golden, key, &n, &shape);
  tg_dtype dtype = TG_FLOAT32;
  if (strstr(name, "f64") || strstr(name, "wrap") || strstr(name, "short"))
    dtype = TG_FLOAT64;
  if (strstr(name, "int64")) dtype = TG_INT64;
  if (strcmp(name, "bool") == 0) dtype = TG_BOOL;
  tg_tensor *t = tg_to(tg_golden_tensor(golden, key, TG_FLOAT64), dtype);
  if (strcmp(name, "empty_0x3") == 0) t = tg_zeros(TG_SHAPE(0, 3), TG_FLOAT32);
  if (strcmp(name, "empty_2x0_f64") == 0) t = tg_zeros(TG_SHAPE(2, 0), TG_FLOAT64);
  if (strncmp(name, "scalar", 6) == 0 || strcmp(name, "int64_scalar") == 0)
    t = tg_reshape(t, TG_SCALAR_SHAPE);
  if (strcmp(name, "wrap_suffix") == 0)
    t = tg_mul_scalar(tg_requires_grad_(tg_arange(0, 9, 1, TG_FLOAT64), true), 1.5);
  if (strcmp(name, "wrap_requires_grad") == 0) tg_requires_grad_(t, true);
  if (strcmp(name, "short_suffix") == 0)
    t = tg_mul_scalar(tg_requires_grad_(tg_arange(1, 3, 1, TG_FLOAT64), true), 2);
  return t;
}

START_TEST(test_print_parity) {
  int checked = 0;
  for (char *line = text_file; *line; line = strchr(line, '\n') + 1) {
    if (strncmp(line, "print.", 6) == 0) {
      char name[64], key[80];
      sscanf(line + 6, "%63[^\t]", name);
      snprintf(key, sizeof key, "print.%s", name);
      tg_scope_begin();
      char *buf = NULL;
      size_t len = 0;
      FILE *f = open_memstream(&buf, &len);
      tg_fprint(f, printed_tensor(name));
      fclose(f);
      char want[4096];
      snprintf(want, sizeof want, "%s\n", golden_text(key));
      ck_assert_msg(strcmp(buf, want) == 0, "%s:\n%s\nPyTorch:\n%s", name, buf, want);
      free(buf);
      checked++;
      tg_scope_end();
    }
    if (!strchr(line, '\n')) break;
  }
  ck_assert_int_ge(checked, 19);
}
END_TEST

/* ---- float32 normal draws, bit for bit ---- */

START_TEST(test_normal_draws_bit_identical) {
  static const int seeds[] = {0, 1, 42, 2024}, sizes[] = {16, 37, 1000, 4096};
  tg_scope_begin();
  for (int a = 0; a < 4; a++)
    for (int b = 0; b < 4; b++) {
      char name[64];
      snprintf(name, sizeof name, "random.randn.%d.%d", seeds[a], sizes[b]);
      tg_manual_seed((uint64_t)seeds[a]);
      expect_values_exactly(tg_randn(TG_SHAPE(sizes[b]), TG_FLOAT32), name);
    }
  tg_manual_seed(7);
  tg_tensor *t = tg_empty(TG_SHAPE(3, 50), TG_FLOAT32);
  tg_normal_(t, 2.5, 0.5);
  expect_values_exactly(t, "random.normal_.7");
  tg_manual_seed(7);
  expect_values_exactly(tg_randn(TG_SHAPE(40), TG_FLOAT64), "random.randn_f64.7");
  tg_scope_end();
}
END_TEST

int main(void) {
  Suite *s = suite_create("truth");
  TCase *tc = tcase_create("truth");
  tcase_add_unchecked_fixture(tc, setup, teardown); /* the golden files, read once */
  tcase_add_loop_test(tc, test_edge_gradients, 0,
                      (int)(sizeof edge_cases / sizeof edge_cases[0]));
  tcase_add_loop_test(tc, test_forward_edge_values, 0,
                      (int)(sizeof forward_cases / sizeof forward_cases[0]));
  tcase_add_test(tc, test_dtype_rules);
  tcase_add_test(tc, test_inplace_recorded);
  tcase_add_test(tc, test_inplace_errors);
  tcase_add_test(tc, test_grad_fn_names);
  tcase_add_test(tc, test_print_parity);
  tcase_add_test(tc, test_normal_draws_bit_identical);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
