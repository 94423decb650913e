/* Smoke test of examples/moons, the lecture's main notebook: two epochs learn
 * the moons, the metrics add up, every output file is valid, and --resume
 * restores the best checkpoint (weights, epoch, histories) and trains on. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "example_runner.h"
#include "test_util.h"

/* Runs the example again on an existing output directory (example_run_start
 * always makes a fresh one); returns its stdout, malloc'd. */
static char *run_again(const char *out_dir, const char *args) {
  char command[1024];
  snprintf(command, sizeof command, "%s/examples/moons %s --out %s 2>/dev/null",
           TG_BUILD_DIR, args, out_dir);
  FILE *p = popen(command, "r");
  ck_assert_msg(p != NULL, "cannot run %s", command);
  size_t cap = 1 << 16, len = 0, got;
  char *output = malloc(cap);
  ck_assert_ptr_nonnull(output);
  while ((got = fread(output + len, 1, cap - len - 1, p)) > 0) len += got;
  output[len] = '\0';
  ck_assert_msg(pclose(p) == 0, "%s failed; output:\n%s", command, output);
  return output;
}

/* The number after "key=" in text (which must hold it). */
static double value_after(const char *text, const char *key) {
  const char *at = strstr(text, key);
  ck_assert_msg(at != NULL, "no \"%s\" in:\n%s", key, text);
  return strtod(at + strlen(key), NULL);
}

START_TEST(test_moons_two_epochs_then_resume) {
  example_run run;
  example_run_start(&run, "moons", "--epochs 2");
  ck_assert_double_eq(example_summary_value(&run, "epochs"), 2);
  /* PyTorch and tensorgrad both: val_acc 0.8365 after epoch 1, 0.8315 after 2,
   * so the best checkpoint is epoch 1's */
  double val_acc = example_summary_value(&run, "val_acc");
  ck_assert_double_gt(val_acc, 0.8);
  ck_assert_double_eq(example_summary_value(&run, "best_epoch"), 1);
  ck_assert_double_gt(example_summary_value(&run, "val_auc"), 0.88);
  ck_assert_double_lt(example_summary_value(&run, "train_loss"), 0.6);
  ck_assert_ptr_nonnull(strstr(run.output,
                               "test_batch: X_train (16, 2), Y_train (16, 1); "
                               "500 batches per epoch"));
  ck_assert_ptr_nonnull(strstr(run.output, "linearLayer1.weight (1000, 2)"));
  ck_assert_ptr_nonnull(strstr(run.output, "(sigmoidLayer): Sigmoid()"));
  ck_assert_ptr_nonnull(strstr(run.output, "Total params: 4,001"));
  ck_assert_ptr_nonnull(strstr(run.output, "epoch   2/2  train_loss="));
  /* the confusion matrix covers the 2000 validation samples and agrees with
   * the accuracy printed next to it */
  double tn = value_after(run.output, "TN="), fp = value_after(run.output, "FP=");
  double fn = value_after(run.output, "FN="), tp = value_after(run.output, "TP=");
  ck_assert_double_eq(tn + fp + fn + tp, 2000);
  ck_assert_double_eq_tol((tn + tp) / 2000, val_acc, 1e-9);
  ck_assert_double_eq_tol(value_after(run.output, "TPR="), tp / (tp + fn), 5e-5);
  example_expect_png(&run, "roc_pr.png");
  example_expect_png(&run, "decision_boundary.png");
  example_expect_png(&run, "curves.png");
  /* the file header, four scalars per epoch and the PR curve */
  ck_assert_int_eq(example_expect_events(&run, "tb"), 1 + 4 * 2 + 1);
  example_expect_safetensors(&run, "best.safetensors");
  char path[512];
  snprintf(path, sizeof path, "%s/best.safetensors", run.out_dir);
  tg_tensor_dict *saved;
  ck_assert_msg(tg_load_tensors(path, &saved) == 0, "%s", tg_last_error());
  tg_assert_shape(tg_tensor_dict_get(saved, "model.linearLayer1.weight"),
                  TG_SHAPE(1000, 2));
  tg_tensor *val_history = tg_tensor_dict_get(saved, "extra.val_accuracy");
  tg_assert_shape(val_history, TG_SHAPE(1)); /* one epoch: the best one */
  ck_assert_double_eq_tol(tg_get_flat(val_history, 0), val_acc, 1e-9);
  ck_assert_ptr_nonnull(tg_tensor_dict_get(saved, "optimizer.param_groups.0.lr"));
  tg_tensor_dict_free(saved);

  /* nothing left to train: the restored best model scores exactly as before */
  char *again = run_again(run.out_dir, "--epochs 1 --resume");
  ck_assert_ptr_nonnull(strstr(again, "at epoch 1 (best val_acc 0.8"));
  ck_assert_ptr_null(strstr(again, "epoch   2/"));
  ck_assert_double_eq_tol(value_after(again, "moons: val_acc="), val_acc, 1e-9);
  free(again);
  /* continuing to epoch 3 trains epochs 2 and 3 only */
  again = run_again(run.out_dir, "--epochs 3 --resume");
  ck_assert_ptr_null(strstr(again, "epoch   1/3"));
  ck_assert_ptr_nonnull(strstr(again, "epoch   2/3"));
  ck_assert_ptr_nonnull(strstr(again, "epoch   3/3"));
  ck_assert_double_eq(value_after(again, " epochs="), 3);
  ck_assert_double_gt(value_after(again, "moons: val_acc="), 0.8);
  free(again);
  example_run_free(&run);
}
END_TEST

START_TEST(test_moons_resume_without_checkpoint_fails_cleanly) {
  example_run run;
  example_run_start(&run, "moons", "--epochs 0");
  char command[1024];
  snprintf(command, sizeof command, "%s/examples/moons --resume --out %s 2>&1",
           TG_BUILD_DIR, run.out_dir);
  FILE *p = popen(command, "r");
  ck_assert_ptr_nonnull(p);
  char text[4096] = "";
  size_t len = fread(text, 1, sizeof text - 1, p);
  text[len] = '\0';
  int status = pclose(p);
  ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1, "exit status %d", status);
  ck_assert_msg(strstr(text, "error: loading the checkpoint: ") != NULL &&
                    strstr(text, "best.safetensors") != NULL,
                "unexpected message: %s", text);
  example_run_free(&run);
}
END_TEST

int main(void) {
  Suite *s = suite_create("example_moons");
  TCase *tc = tcase_create("moons");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_moons_two_epochs_then_resume);
  tcase_add_test(tc, test_moons_resume_without_checkpoint_fails_cleanly);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
