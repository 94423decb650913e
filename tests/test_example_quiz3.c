/* Smoke test of examples/quiz3: the summary line holds the quiz's answers,
 * worked out by hand here, and autograd agrees with the closed form. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "example_runner.h"
#include "test_util.h"

START_TEST(test_quiz3_answers) {
  example_run run;
  example_run_start(&run, "quiz3", "");
  ck_assert_double_lt(example_summary_value(&run, "max_grad_error"), 1e-6);
  const double X[3] = {-2.0, 0.7, 3.0};
  const double mean = (X[0] + X[1] + X[2]) / 3;
  double var = 0;
  for (int i = 0; i < 3; i++) var += (X[i] - mean) * (X[i] - mean) / 3;
  for (int i = 0; i < 3; i++) {
    char key[16];
    double y = 1 / (1 + exp(-X[i]));
    snprintf(key, sizeof key, "y%d", i);
    ck_assert_double_eq_tol(example_summary_value(&run, key), y, 1e-6);
    snprintf(key, sizeof key, "dydx%d", i);
    ck_assert_double_eq_tol(example_summary_value(&run, key), y * (1 - y), 1e-6);
    snprintf(key, sizeof key, "z%d", i);
    ck_assert_double_eq_tol(example_summary_value(&run, key), (X[i] - mean) / sqrt(var),
                            1e-5);
    snprintf(key, sizeof key, "n%d", i);
    ck_assert_double_eq_tol(example_summary_value(&run, key), (X[i] + 2) / 5, 1e-6);
  }
  /* both ways of calling backward are shown, and the scalers' statistics */
  ck_assert_ptr_nonnull(strstr(run.output, "Y.backward(torch.ones_like(Y))"));
  ck_assert_ptr_nonnull(strstr(run.output, "mean_ = 0.566667, scale_ = 2.04342"));
  example_run_free(&run);
}
END_TEST

int main(void) {
  Suite *s = suite_create("example_quiz3");
  TCase *tc = tcase_create("quiz3");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_quiz3_answers);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
