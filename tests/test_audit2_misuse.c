/* The second audit's misuse cases: options and calls a newcomer writes that
 * PyTorch refuses (or fails on later), which gave NaN or crashed here. Each
 * test failed before its fix. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "test_util.h"

static tg_optimizer *sgd_on(tg_tensor *w) {
  tg_sgd_options o = TG_SGD_DEFAULTS;
  o.lr = 0.1;
  return tg_sgd(tg_test_params(&w, 1), o);
}

/* LinearLR(start_factor=0) divides by total_iters * start_factor at its
 * first step (PyTorch raises ZeroDivisionError there): every lr after the
 * first was NaN, silently. Refused when built. */
START_TEST(test_linear_lr_start_factor_zero_is_refused) {
  tg_scope_begin();
  tg_tensor *w = tg_requires_grad_(tg_ones(TG_SHAPE(2), TG_FLOAT64), true);
  tg_optimizer *opt = sgd_on(w);
  TG_EXPECT_ERROR(
      tg_linear_lr(opt, 0, 1, 4),
      "tg_linear_lr: start_factor must be greater than 0 and at most 1, got 0");
  tg_lr_scheduler *s = tg_linear_lr(opt, 1e-3, 1, 4);
  for (int i = 0; i < 6; i++) {
    tg_lr_scheduler_step(s);
    ck_assert(isfinite(tg_lr_scheduler_get_last_lr(s)[0]));
  }
  ck_assert_double_eq_tol(tg_lr_scheduler_get_last_lr(s)[0], 0.1, 1e-15);
  tg_lr_scheduler_free(s);
  tg_optimizer_free(opt);
  tg_scope_end();
}
END_TEST

/* A fan mode that is neither TG_FAN_IN nor TG_FAN_OUT was read as fan_out. */
START_TEST(test_kaiming_mode_out_of_range_is_refused) {
  tg_scope_begin();
  tg_tensor *w = tg_empty(TG_SHAPE(3, 4), TG_FLOAT32);
  TG_EXPECT_ERROR(tg_init_kaiming_uniform_(w, 0, (tg_fan_mode)7, "relu"),
                  "kaiming init: mode 7 is neither TG_FAN_IN nor TG_FAN_OUT");
  TG_EXPECT_ERROR(tg_init_kaiming_normal_(w, 0, (tg_fan_mode)-1, "relu"),
                  "kaiming init: mode -1 is neither TG_FAN_IN nor TG_FAN_OUT");
  tg_scope_end();
}
END_TEST

int main(void) {
  Suite *s = suite_create("audit2_misuse");
  TCase *tc = tcase_create("misuse");
  tcase_add_test(tc, test_linear_lr_start_factor_zero_is_refused);
  tcase_add_test(tc, test_kaiming_mode_out_of_range_is_refused);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
