/* Smoke test of examples/iris: two epochs of each run learn something, the
 * training confusion matrix and the per-class report are printed, and the
 * pictures and TensorBoard logs are valid files. */
#include <check.h>
#include <string.h>

#include "example_runner.h"
#include "test_util.h"

START_TEST(test_iris_two_epochs) {
  example_run run;
  example_run_start(&run, "iris", "--epochs 2");
  ck_assert_double_eq(example_summary_value(&run, "epochs"), 2);
  /* two epochs give SGD 30 of 30 and both Adams 27 of 30 (PyTorch too) */
  ck_assert_double_ge(example_summary_value(&run, "val_acc_sgd"), 0.9);
  ck_assert_double_ge(example_summary_value(&run, "val_acc_adam"), 0.8);
  ck_assert_double_ge(example_summary_value(&run, "val_acc_adam_lr1e-3"), 0.8);
  ck_assert_double_le(example_summary_value(&run, "val_acc_adam_lr1e-3"), 1.0);
  /* the lecture's per-epoch line, the model, its summary and the report */
  ck_assert_ptr_nonnull(
      strstr(run.output, "epoch=  0, [[41  0  0] [18  5 19] [ 8  0 29]]"));
  ck_assert_ptr_nonnull(strstr(run.output, "(linearLayer3): Linear(in_features=100, "
                                           "out_features=3, bias=True)"));
  ck_assert_ptr_nonnull(strstr(run.output, "Total params: 5,653"));
  ck_assert_ptr_nonnull(strstr(run.output, "  versicolor "));
  ck_assert_ptr_nonnull(strstr(run.output, "weighted avg"));
  example_expect_png(&run, "iris_confusion.png");
  example_expect_png(&run, "iris_loss.png");
  /* the file header plus four scalars per epoch */
  ck_assert_int_eq(example_expect_events(&run, "sgd"), 1 + 4 * 2);
  ck_assert_int_eq(example_expect_events(&run, "adam"), 1 + 4 * 2);
  ck_assert_int_eq(example_expect_events(&run, "adam_lr1e-3"), 1 + 4 * 2);
  example_run_free(&run);
}
END_TEST

int main(void) {
  Suite *s = suite_create("example_iris");
  TCase *tc = tcase_create("iris");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_iris_two_epochs);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
