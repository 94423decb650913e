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
