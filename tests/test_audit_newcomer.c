/* What a PyTorch user's first programs ran into (the audit followed
 * README.md and docs/ as a newcomer would): each test failed before its
 * fix. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"

/* The default handler aborts; stdout into a pipe or file is fully
 * buffered, so everything the program had printed before the error was
 * lost (`./prog | head` showed the error alone). It is flushed first. */
START_TEST(test_default_error_keeps_what_was_printed) {
  int fds[2];
  ck_assert_int_eq(pipe(fds), 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) { /* a newcomer's program, its stdout a pipe */
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    if (!freopen("/dev/null", "w", stderr)) _exit(1); /* the message and stack */
    tg_set_error_handler(NULL, NULL);
    printf("epoch 1 done\n");
    tg_add(tg_ones(TG_SHAPE(2), TG_FLOAT32), tg_ones(TG_SHAPE(3), TG_FLOAT32));
    _exit(0);
  }
  close(fds[1]);
  char out[256] = "";
  ssize_t n, len = 0;
  while ((n = read(fds[0], out + len, sizeof out - 1 - (size_t)len)) > 0) len += n;
  close(fds[0]);
  int status;
  waitpid(pid, &status, 0);
  ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
                "the child did not abort");
  ck_assert_msg(strstr(out, "epoch 1 done") != NULL,
                "stdout before the error was lost: \"%s\"", out);
}
END_TEST

/* The first thing a PyTorch user views is a transpose: the error named no
 * shape. It names the view's size, the tensor's size and its strides. */
START_TEST(test_view_error_names_the_shapes) {
  tg_scope_begin();
  tg_tensor *a = tg_ones(TG_SHAPE(2, 3), TG_FLOAT32);
  TG_EXPECT_ERROR(
      tg_view(tg_t(a), TG_SHAPE(6)),
      "tg_view: view size (6) is not compatible with input tensor's size (3x2) "
      "and stride (1x3)");
  tg_scope_end();
}
END_TEST

/* optim.Adam(params, lr=0.01) written as (tg_adam_options){.lr = 0.01}
 * left betas (0, 0) and eps 0: another algorithm, silently (the same for
 * RMSprop's alpha and eps, and Adagrad's eps, which then divides 0 by 0).
 * Such options are refused with the way to write them; the defaults work. */
START_TEST(test_optimizer_options_without_defaults_are_refused) {
  tg_scope_begin();
  tg_tensor *w = tg_requires_grad_(tg_ones(TG_SHAPE(2), TG_FLOAT32), true);
  tg_params p = tg_test_params(&w, 1);
  TG_EXPECT_ERROR(
      tg_adam(p, (tg_adam_options){.lr = 0.01}),
      "tg_adam: betas and eps are all 0: options written as a compound literal "
      "without the defaults? PyTorch's are betas (0.9, 0.999), eps 1e-08");
  TG_EXPECT_ERROR(tg_adamw(p, (tg_adam_options){.lr = 0.01, .weight_decay = 0.1}),
                  "tg_adamw: betas and eps are all 0");
  TG_EXPECT_ERROR(tg_nadam(p, (tg_nadam_options){.lr = 0.01}), "tg_nadam: betas and eps");
  TG_EXPECT_ERROR(tg_radam(p, (tg_radam_options){.lr = 0.01}), "tg_radam: betas and eps");
  TG_EXPECT_ERROR(tg_rmsprop(p, (tg_rmsprop_options){.lr = 0.01}),
                  "tg_rmsprop: alpha and eps are all 0");
  TG_EXPECT_ERROR(tg_adagrad(p, (tg_adagrad_options){.lr = 0.01}),
                  "tg_adagrad: eps and initial_accumulator_value are all 0");
  /* one of them set is a choice, not an omission */
  tg_optimizer_free(tg_adam(p, (tg_adam_options){.lr = 0.01, .betas = {0.0, 0.99}}));
  tg_adam_options o = TG_ADAM_DEFAULTS;
  o.lr = 0.01;
  tg_optimizer *opt = tg_adam(p, o);
  /* OneCycleLR's lr is max_lr / div_factor: 0 made it inf */
  TG_EXPECT_ERROR(
      tg_one_cycle_lr(opt, (tg_one_cycle_options){.max_lr = 0.1, .total_steps = 10}),
      "tg_one_cycle_lr: div_factor (0) and final_div_factor (0) must be > 0");
  tg_optimizer_free(opt);
  tg_scope_end();
}
END_TEST

int main(void) {
  Suite *s = suite_create("audit_newcomer");
  TCase *tc = tcase_create("newcomer");
  tcase_add_test(tc, test_default_error_keeps_what_was_printed);
  tcase_add_test(tc, test_view_error_names_the_shapes);
  tcase_add_test(tc, test_optimizer_options_without_defaults_are_refused);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
