/* Smoke test of examples/softmax_cross_entropy: its losses equal the ones
 * examples/pytorch/softmax_cross_entropy.py prints with PyTorch 1.13, and
 * the pairs the lecture's summary table pairs agree. */
#include <check.h>
#include <string.h>

#include "example_runner.h"
#include "test_util.h"

START_TEST(test_losses_match_pytorch) {
  example_run run;
  example_run_start(&run, "softmax_cross_entropy", "");
  /* softmax_cross_entropy: ce=1.6552671 nll=1.6552671 bce=0.61776096
   * bce_logits=0.61776096 max_diff=0 ce_on_probs=1.2508862 row_sum_error=0 */
  ck_assert_double_eq_tol(example_summary_value(&run, "ce"), 1.6552671, 1e-5);
  ck_assert_double_eq_tol(example_summary_value(&run, "nll"), 1.6552671, 1e-5);
  ck_assert_double_eq_tol(example_summary_value(&run, "bce"), 0.61776096, 1e-5);
  ck_assert_double_eq_tol(example_summary_value(&run, "bce_logits"), 0.61776096, 1e-5);
  ck_assert_double_eq_tol(example_summary_value(&run, "ce_on_probs"), 1.2508862, 1e-5);
  ck_assert_double_lt(example_summary_value(&run, "max_diff"), 1e-6);
  ck_assert_double_lt(example_summary_value(&run, "row_sum_error"), 1e-6);
  /* the seed-11 batch is PyTorch's, as printed by the twin */
  ck_assert_ptr_nonnull(strstr(run.output, "tensor([[ 0.7376,  1.9459, -0.6995],\n"
                                           "        [-1.3023, -0.5133, -0.2696],"));
  ck_assert_ptr_nonnull(strstr(run.output, "[2.6894e-01, 7.3106e-01, 1.1134e-08]]"));
  example_run_free(&run);
}
END_TEST

int main(void) {
  Suite *s = suite_create("example_softmax_cross_entropy");
  TCase *tc = tcase_create("softmax_cross_entropy");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_losses_match_pytorch);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
