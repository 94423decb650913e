/* Smoke test of examples/digits: two epochs of each model reach PyTorch's
 * accuracies (same init, same batches), the 10-class confusion matrix is
 * printed, and the pictures and TensorBoard logs are valid files. */
#include <check.h>
#include <string.h>

#include "example_runner.h"
#include "test_util.h"

START_TEST(test_digits_two_epochs) {
  example_run run;
  example_run_start(&run, "digits", "--epochs 2");
  ck_assert_double_eq(example_summary_value(&run, "epochs"), 2);
  /* PyTorch 1.13 after two epochs: 320/360, 336/360 and 351/360 right
   * (the CNN may differ by a sample: float32 conv sums in another order) */
  ck_assert_double_eq_tol(example_summary_value(&run, "mlp_sgd_acc"), 320.0 / 360, 1e-4);
  ck_assert_double_eq_tol(example_summary_value(&run, "mlp_adam_acc"), 336.0 / 360, 1e-4);
  ck_assert_double_ge(example_summary_value(&run, "cnn_acc"), 349.0 / 360);
  ck_assert_ptr_nonnull(strstr(run.output, "MLP SGD   epoch   0  loss=1.9869"));
  /* the confusion matrix: ten rows, numpy's layout; all 30 test zeros right */
  ck_assert_ptr_nonnull(strstr(run.output, "[[30  0  0  0  0  0  0  0  0  0]\n [ 0 37"));
  example_expect_png(&run, "digits_sgd_vs_adam.png");
  example_expect_png(&run, "digits_confusion.png");
  example_expect_png(&run, "digits_grid.png");
  /* the file header plus two scalars per epoch */
  ck_assert_int_eq(example_expect_events(&run, "mlp_sgd"), 1 + 2 * 2);
  ck_assert_int_eq(example_expect_events(&run, "mlp_adam"), 1 + 2 * 2);
  ck_assert_int_eq(example_expect_events(&run, "cnn"), 1 + 2 * 2);
  example_run_free(&run);
}
END_TEST

int main(void) {
  Suite *s = suite_create("example_digits");
  TCase *tc = tcase_create("digits");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_digits_two_epochs);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
