/* Smoke test of examples/fashion_mnist: one epoch on the first 1000 images
 * of each split (of Debian's Fashion-MNIST files, or of a look-alike
 * fixture when dataset-fashion-mnist is not installed). Checks the summary,
 * that learning happened, and that the checkpoint, the pictures and the
 * TensorBoard logs are valid files. Parity with the PyTorch twin is
 * tests/interop/example_parity.py's. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "example_runner.h"
#include "tensorgrad/vision.h"
#include "test_util.h"

START_TEST(test_fashion_mnist_one_epoch) {
  char args[512] = "--epochs 1 --subset 1000";
  char *fixture = NULL;
  if (access(TG_FASHION_MNIST_ROOT "/train-images-idx3-ubyte.gz", R_OK) != 0) {
    printf("test_example_fashion_mnist: " TG_FASHION_MNIST_ROOT
           " is absent, running on a fixture\n");
    fixture = tg_test_temp_dir("tg_fashion_fixture");
    tg_test_write_fashion_fixture(fixture, 1000, 1000);
    snprintf(args + strlen(args), sizeof args - strlen(args), " --data %s", fixture);
  }
  example_run run;
  example_run_start(&run, "fashion_mnist", args);
  ck_assert_ptr_nonnull(strstr(run.output, "FashionMNIST: 917 training, 83 validation, "
                                           "1000 test images"));
  ck_assert_double_eq(example_summary_value(&run, "epochs"), 1);
  ck_assert_double_eq(example_summary_value(&run, "best_epoch"), 0);
  /* one epoch of 8 batches is well past chance (0.1) */
  ck_assert_double_ge(example_summary_value(&run, "test_acc"), 0.3);
  ck_assert_double_lt(example_summary_value(&run, "train_loss"), 2.3);
  ck_assert_double_eq(example_summary_value(&run, "val_acc"),
                      example_summary_value(&run, "best_val_acc"));
  example_expect_safetensors(&run, "best.safetensors");
  example_expect_png(&run, "fashion_confusion.png");
  if (example_summary_value(&run, "test_acc") < 1) /* the fixture may have no mistakes */
    example_expect_png(&run, "fashion_mistakes.png");
  ck_assert_int_eq(example_expect_events(&run, "train"), 1 + 2); /* loss and lr */
  ck_assert_int_eq(example_expect_events(&run, "val"), 1 + 2);   /* loss and accuracy */
  example_run_free(&run);
  if (fixture) {
    tg_test_remove_tree(fixture);
    free(fixture);
  }
}
END_TEST

/* A missing data set is a clear error, not a crash. */
START_TEST(test_fashion_mnist_missing_data) {
  char *out = tg_test_temp_dir("tg_fashion_missing");
  char command[512];
  snprintf(command, sizeof command,
           "%s/examples/fashion_mnist --epochs 1 --data /nonexistent/fashion --out %s "
           "2>%s/err",
           TG_BUILD_DIR, out, out);
  int status = system(command);
  ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
  char err[512];
  snprintf(err, sizeof err, "%s/err", out);
  size_t n;
  uint8_t *text = tg_test_read_file(err, &n);
  text[n] = '\0';
  ck_assert_msg(strstr((char *)text, "error: FashionMNIST: /nonexistent/fashion/"
                                     "train-images-idx3-ubyte: cannot open") != NULL,
                "stderr: %s", text);
  free(text);
  tg_test_remove_tree(out);
  free(out);
}
END_TEST

int main(void) {
  Suite *s = suite_create("example_fashion_mnist");
  TCase *tc = tcase_create("fashion_mnist");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, test_fashion_mnist_one_epoch);
  tcase_add_test(tc, test_fashion_mnist_missing_data);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
