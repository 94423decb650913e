/* The parity cases' runner (parity_runner.h). */
#include "parity_runner.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const tg_dtype dtype_of_code[] = {TG_BOOL, TG_INT64, TG_FLOAT32, TG_FLOAT64};

static char *entry(const char *name, const char *suffix) {
  static char buf[160];
  snprintf(buf, sizeof buf, "%s.%s", name, suffix);
  return buf;
}

static double tolerance(tg_dtype dtype) {
  return dtype == TG_FLOAT32 ? 1e-5 : 1e-10;
}

/* Equal within tol, NaN where PyTorch has NaN, infinities exactly. */
static void expect_close(const tg_golden *golden, const tg_tensor *t, const char *name,
                         const char *suffix) {
  int64_t n;
  tg_shape shape;
  const double *want = tg_golden_get(golden, entry(name, suffix), &n, &shape);
  char what[200];
  snprintf(what, sizeof what, "%s: %s", name, suffix);
  int64_t one;
  int ndim = (int)tg_golden_get(golden, entry(name, "yndim"), &one, NULL)[0];
  if (strcmp(suffix, "y") == 0 && ndim == 0)
    ck_assert_msg(t->ndim == 0, "%s: %d dims, PyTorch's output is 0-d", what, t->ndim);
  else
    tg_assert_shape(t, shape);
  for (int64_t i = 0; i < n; i++) {
    double got = tg_get_flat(t, i), w = want[i], tol = tolerance(t->dtype);
    bool ok = isnan(w)   ? isnan(got)
              : isinf(w) ? got == w
                         : fabs(got - w) <= tol + tol * fabs(w);
    ck_assert_msg(ok, "%s: element %lld is %.17g, PyTorch has %.17g", what, (long long)i,
                  got, w);
  }
}

void tg_parity_run_case(const tg_golden *golden, const tg_parity_case *c) {
  tg_scope_begin();
  int64_t n_inputs;
  const double *codes = tg_golden_get(golden, entry(c->name, "dtypes"), &n_inputs, NULL);
  if (codes[0] < 0) n_inputs = 0;
  tg_tensor *x[4] = {NULL};
  for (int i = 0; i < n_inputs; i++) {
    char key[16];
    snprintf(key, sizeof key, "x%d", i);
    x[i] = tg_golden_tensor(golden, entry(c->name, key), dtype_of_code[(int)codes[i]]);
    if (tg_is_floating(x[i]->dtype)) tg_requires_grad_(x[i], true);
  }
  tg_tensor *y = c->fn(x);
  int64_t one;
  tg_dtype want =
      dtype_of_code[(int)tg_golden_get(golden, entry(c->name, "ydtype"), &one, NULL)[0]];
  ck_assert_msg(y->dtype == want, "%s: output dtype %s, PyTorch's is %s", c->name,
                tg_dtype_name(y->dtype), tg_dtype_name(want));
  expect_close(golden, y, c->name, "y");
  if (tg_is_floating(y->dtype) && tg_requires_grad(y) && tg_numel(y) > 0) {
    tg_tensor *w = tg_reshape(tg_linspace(-1, 1, tg_numel(y), y->dtype), tg_shape_of(y));
    tg_backward(tg_sum(tg_mul(y, w), TG_ALL_DIMS, false), NULL, 0);
    for (int i = 0; i < n_inputs; i++) {
      if (!tg_is_floating(x[i]->dtype)) continue;
      char key[16];
      snprintf(key, sizeof key, "g%d", i);
      expect_close(golden, tg_grad(x[i]) ? tg_grad(x[i]) : tg_zeros_like(x[i]), c->name,
                   key);
    }
  }
  tg_scope_end();
}

/* ---- the suite: one loop test over the cases (Check's tests take no
 * arguments, so the table and its golden file are kept here) ---- */

static const char *suite_path;
static const tg_parity_case *suite_cases;
static int suite_n;
static tg_golden *suite_golden;

START_TEST(test_parity_case) {
  tg_parity_run_case(suite_golden, &suite_cases[_i]);
}
END_TEST

/* Every case of the table has its entries in the golden file. */
START_TEST(test_every_golden_case_runs) {
  for (int i = 0; i < suite_n; i++) {
    char key[160];
    snprintf(key, sizeof key, "%s.y", suite_cases[i].name);
    ck_assert_msg(tg_golden_has(suite_golden, key), "%s: no golden entry",
                  suite_cases[i].name);
  }
}
END_TEST

static void setup(void) {
  suite_golden = tg_golden_load(suite_path);
}

static void teardown(void) {
  tg_golden_free(suite_golden);
}

Suite *tg_parity_suite(const char *name, const char *path, const tg_parity_case *cases,
                       int n) {
  suite_path = path, suite_cases = cases, suite_n = n;
  Suite *s = suite_create(name);
  TCase *tc = tcase_create("parity");
  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_add_loop_test(tc, test_parity_case, 0, n);
  tcase_add_test(tc, test_every_golden_case_runs);
  suite_add_tcase(s, tc);
  return s;
}
