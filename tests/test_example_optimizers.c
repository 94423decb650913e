/* Smoke test of examples/optimizers: with the same start, every optimizer
 * lowers the loss, the bowl's paths end where PyTorch's end, and the plots
 * and the TensorBoard runs are valid files. */
#include <check.h>
#include <string.h>

#include "example_runner.h"
#include "test_util.h"

static const char *const KEYS[] = {"sgd", "momentum", "rmsprop", "adam"};

START_TEST(test_optimizers_two_epochs) {
  example_run run;
  example_run_start(&run, "optimizers", "--epochs 2");
  ck_assert_double_eq(example_summary_value(&run, "epochs"), 2);
  /* all four start from the same loss: same init, same first batch */
  const char *at = run.output;
  for (int k = 0; k < 4; k++) {
    at = strstr(at, "first loss 1.142400");
    ck_assert_msg(at != NULL, "%d of 4 runs start at loss 1.142400", k);
    at++;
    /* the loss started at 1.14: two epochs bring every optimizer below 1 */
    double last = example_summary_value(&run, KEYS[k]);
    ck_assert_double_gt(last, 0);
    ck_assert_double_lt(last, 1.0);
  }
  /* momentum at SGD's lr is well ahead after two epochs (PyTorch: 0.248 vs 0.624) */
  ck_assert_double_eq_tol(example_summary_value(&run, "sgd"), 0.6236, 2e-4);
  ck_assert_double_eq_tol(example_summary_value(&run, "momentum"), 0.2480, 2e-4);
  /* the bowl after 50 steps, as torch.optim leaves it; plain SGD is the laggard */
  ck_assert_double_eq_tol(example_summary_value(&run, "f_sgd"), 0.329, 1e-3);
  ck_assert_double_eq_tol(example_summary_value(&run, "f_momentum"), 0.0151, 1e-4);
  ck_assert_double_eq_tol(example_summary_value(&run, "f_rmsprop"), 0.0126, 1e-4);
  ck_assert_double_eq_tol(example_summary_value(&run, "f_adam"), 0.0724, 1e-4);
  example_expect_png(&run, "optimizers_loss.png");
  example_expect_png(&run, "optimizers_paths.png");
  /* add_scalars: one run directory per optimizer, header + 12 batches x 2 epochs */
  for (int k = 0; k < 4; k++) {
    char dir[64];
    snprintf(dir, sizeof dir, "tb/Loss_train_%s", KEYS[k]);
    ck_assert_int_eq(example_expect_events(&run, dir), 1 + 24);
  }
  example_run_free(&run);
}
END_TEST

int main(void) {
  Suite *s = suite_create("example_optimizers");
  TCase *tc = tcase_create("optimizers");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_optimizers_two_epochs);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
