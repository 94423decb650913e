/* Smoke test of examples/makemore on a small word list made here: a few
 * steps of all four models, their summary keys, the loss plot, the
 * TensorBoard scalars, generated words, and the errors of a bad command
 * line or a missing word list. (PyTorch parity: tests/interop/example_parity.py.) */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "example_runner.h"
#include "test_util.h"

/* Runs makemore with args, stdout and stderr together; returns the exit code. */
static int run_failing(const char *args, char *text, size_t size) {
  char command[1024];
  snprintf(command, sizeof command, "%s/examples/makemore %s 2>&1", TG_BUILD_DIR, args);
  FILE *p = popen(command, "r");
  ck_assert_ptr_nonnull(p);
  size_t len = fread(text, 1, size - 1, p);
  text[len] = '\0';
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(test_makemore_all_models_on_the_fixture) {
  char *dir = tg_test_temp_dir("tg_makemore_words");
  char *words = tg_test_words_fixture(dir, 300);
  char args[700];
  snprintf(args, sizeof args, "--steps 4 --seed 1 --words %s", words);
  example_run run;
  example_run_start(&run, "makemore", args);
  const char *models[4] = {"bigram", "mlp", "lstm", "transformer"};
  for (int m = 0; m < 4; m++) {
    char key[64];
    snprintf(key, sizeof key, "%s_val_loss", models[m]);
    double loss = example_summary_value(&run, key);
    /* a few steps from about log(vocabulary) downwards */
    ck_assert_msg(isfinite(loss) && loss > 1 && loss < log(27) + 0.5, "%s=%g", key, loss);
    char line[64];
    snprintf(line, sizeof line, "%s samples: ", models[m]);
    ck_assert_msg(strstr(run.output, line), "no samples of %s in:\n%s", models[m],
                  run.output);
  }
  ck_assert_double_eq(example_summary_value(&run, "steps"), 4);
  ck_assert_ptr_nonnull(
      strstr(run.output, "makemore: 300 words (train 240, val 30, test 30)"));
  ck_assert_ptr_nonnull(strstr(run.output, "transformer step 4 val_loss="));
  example_expect_png(&run, "loss.png");
  /* the file header, then per model 4 train losses and 4 val losses */
  ck_assert_int_eq(example_expect_events(&run, "tb"), 1 + 4 * (4 + 4));
  example_run_free(&run);

  snprintf(args, sizeof args, "--steps 2 --model lstm --words %s", words);
  example_run_start(&run, "makemore", args);
  ck_assert_ptr_null(strstr(run.summary, "bigram_val_loss"));
  example_summary_value(&run, "lstm_val_loss");
  example_run_free(&run);
  tg_test_remove_tree(dir);
  free(words);
  free(dir);
}
END_TEST

START_TEST(test_makemore_errors) {
  char text[4096];
  ck_assert_int_eq(run_failing("--model gpt", text, sizeof text), 2);
  ck_assert_ptr_nonnull(strstr(text, "makemore: unknown --model 'gpt'"));
  ck_assert_int_eq(
      run_failing("--words /nonexistent/words.txt --out /tmp", text, sizeof text), 1);
  ck_assert_ptr_nonnull(strstr(
      text, "error: /nonexistent/words.txt: cannot open: No such file or directory"));
  ck_assert_int_eq(run_failing("--steps x", text, sizeof text), 2);
  ck_assert_ptr_nonnull(strstr(text, "--steps expects a non-negative integer, got 'x'"));
}
END_TEST

int main(void) {
  Suite *s = suite_create("example_makemore");
  TCase *tc = tcase_create("makemore");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_makemore_all_models_on_the_fixture);
  tcase_add_test(tc, test_makemore_errors);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
