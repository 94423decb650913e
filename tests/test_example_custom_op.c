/* Smoke test of examples/custom_op: the user-defined swish passes gradcheck
 * and gradgradcheck, the variant built on a saved forward tensor fails the
 * second, training matches examples/pytorch/custom_op.py, and the tape was
 * printed and written as DOT. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "example_runner.h"
#include "test_util.h"

START_TEST(test_checks_and_training) {
  example_run run;
  example_run_start(&run, "custom_op", "");
  ck_assert_double_eq(example_summary_value(&run, "gradcheck"), 1);
  ck_assert_double_eq(example_summary_value(&run, "gradgradcheck"), 1);
  ck_assert_double_eq(example_summary_value(&run, "saved_gradcheck"), 1);
  ck_assert_double_eq(example_summary_value(&run, "saved_gradgradcheck"), 0);
  ck_assert_double_lt(example_summary_value(&run, "max_diff"), 1e-12);
  /* PyTorch 1.13 prints first_loss=0.696255 loss=0.107257 train_acc=0.965 */
  ck_assert_double_eq_tol(example_summary_value(&run, "first_loss"), 0.696255, 2e-6);
  ck_assert_double_eq_tol(example_summary_value(&run, "loss"), 0.107257, 1e-3);
  ck_assert_double_ge(example_summary_value(&run, "train_acc"), 0.95);
  ck_assert_ptr_nonnull(strstr(run.output, "FAILED: gradcheck failed for input 0"));
  ck_assert_ptr_nonnull(strstr(run.output, "AddmmBackward0 (#"));
  ck_assert_ptr_nonnull(strstr(run.output, "\n  SwishBackward0 (#"));

  char path[512], text[8192] = {0};
  snprintf(path, sizeof path, "%s/graph.dot", run.out_dir);
  FILE *f = fopen(path, "r");
  ck_assert_msg(f != NULL, "no %s", path);
  ck_assert(fread(text, 1, sizeof text - 1, f) > 0);
  fclose(f);
  ck_assert_msg(strstr(text, "digraph tape") && strstr(text, "label=\"SwishBackward0\""),
                "%s", text);
  example_run_free(&run);
}
END_TEST

START_TEST(test_epochs_flag) {
  example_run run;
  example_run_start(&run, "custom_op", "--epochs 3 --seed 1");
  ck_assert_double_eq(example_summary_value(&run, "epochs"), 3);
  ck_assert_double_eq(example_summary_value(&run, "gradcheck"), 1);
  ck_assert_ptr_nonnull(strstr(run.output, "epoch   2  loss"));
  example_run_free(&run);
}
END_TEST

int main(void) {
  Suite *s = suite_create("example_custom_op");
  TCase *tc = tcase_create("custom_op");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_checks_and_training);
  tcase_add_test(tc, test_epochs_flag);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
