/* Smoke test of examples/logistic_regression: autograd's dW is the slide's
 * closed form, BCE and MSE end where examples/pytorch/logistic_regression.py
 * ends with PyTorch 1.13, MSE stays stuck from the bad start, and the plot
 * and TensorBoard log are valid files. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "example_runner.h"
#include "test_util.h"

START_TEST(test_bce_beats_mse) {
  example_run run;
  example_run_start(&run, "logistic_regression", "");
  ck_assert_double_lt(example_summary_value(&run, "dW_max_diff"), 1e-6);
  /* PyTorch: bce_val_acc=0.8495 mse_val_acc=0.8465 bad_start_bce_val_acc=0.8430
   * bad_start_mse_val_acc=0.1515 (2000 validation rows: 0.0005 is one row) */
  ck_assert_double_eq_tol(example_summary_value(&run, "bce_val_acc"), 0.8495, 0.0011);
  ck_assert_double_eq_tol(example_summary_value(&run, "mse_val_acc"), 0.8465, 0.0011);
  ck_assert_double_eq_tol(example_summary_value(&run, "bad_start_bce_val_acc"), 0.8430,
                          0.0011);
  ck_assert_double_lt(example_summary_value(&run, "bad_start_mse_val_acc"), 0.2);
  ck_assert_double_eq(example_summary_value(&run, "epochs"), 150);
  /* the first row of the table, as PyTorch prints it */
  ck_assert_msg(
      strstr(run.output, "    0   0.8814  0.3348  4.1790  0.7761  0.4685  0.4500"), "%s",
      run.output);
  example_expect_png(&run, "losses.png");
  ck_assert_int_ge(example_expect_events(&run, "tb/loss_BCE"), 150);
  example_run_free(&run);
}
END_TEST

START_TEST(test_few_epochs) {
  example_run run;
  example_run_start(&run, "logistic_regression", "--epochs 2 --seed 3");
  ck_assert_double_eq(example_summary_value(&run, "epochs"), 2);
  ck_assert_double_lt(example_summary_value(&run, "dW_max_diff"), 1e-6);
  example_expect_png(&run, "losses.png");
  /* the SVG copy: the figure's title and labels as text (real_readers parses it) */
  char path[1024], svg[8192] = "";
  snprintf(path, sizeof path, "%s/losses.svg", run.out_dir);
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "%s is missing", path);
  svg[fread(svg, 1, sizeof svg - 1, f)] = '\0';
  fclose(f);
  ck_assert_ptr_nonnull(strstr(svg, "<?xml"));
  ck_assert_ptr_nonnull(
      strstr(svg, ">Logistic regression on make_moons: BCE vs MSE</text>"));
  example_run_free(&run);
}
END_TEST

int main(void) {
  Suite *s = suite_create("example_logistic_regression");
  TCase *tc = tcase_create("logistic_regression");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_bce_beats_mse);
  tcase_add_test(tc, test_few_epochs);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
