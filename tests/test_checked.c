/* Checked mode (built only with -DTG_CHECKED=ON, the default in Debug):
 * the ownership mistakes a C user can make stop with a message naming the
 * tensor, and the tensors alive at exit are listed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"

START_TEST(test_use_after_release) {
  tg_tensor *t = tg_zeros(TG_SHAPE(2, 3), TG_FLOAT32);
  tg_release(t);
  TG_EXPECT_ERROR(tg_print(t),
                  "tg_print: use of a released tensor: float32 tensor of shape "
                  "(2x3) made by tg_zeros");
  TG_EXPECT_ERROR(tg_item(t), "use of a released tensor: float32 tensor of shape (2x3)");
  TG_EXPECT_ERROR(tg_add(t, t), "use of a released tensor");
}
END_TEST

START_TEST(test_double_release) {
  tg_tensor *t = tg_ones(TG_SHAPE(4), TG_FLOAT64);
  tg_release(t);
  TG_EXPECT_ERROR(
      tg_release(t),
      "tg_release: double release of a float64 tensor of shape (4) made by tg_ones");
}
END_TEST

START_TEST(test_releasing_a_scope_owned_tensor) {
  tg_scope_begin();
  tg_tensor *a = tg_ones(TG_SHAPE(2), TG_FLOAT32);
  tg_tensor *sum = tg_add(a, a);
  TG_EXPECT_ERROR(tg_release(sum),
                  "tg_release: releasing a float32 tensor of shape (2) made "
                  "by tg_add that a scope owns");
  /* a reference of one's own may be released */
  tg_release(tg_retain(sum));
  tg_scope_end();
  /* the tensor of an op that recorded itself is named by its op */
  tg_tensor *x = tg_requires_grad_(tg_ones(TG_SHAPE(3), TG_FLOAT64), true);
  tg_tensor *y = tg_exp(x);
  tg_release(y);
  TG_EXPECT_ERROR(tg_print(y), "float64 tensor of shape (3) made by ExpBackward0");
  tg_release(x);
}
END_TEST

START_TEST(test_raw_writes_bump_the_version) {
  tg_scope_begin();
  tg_tensor *x = tg_requires_grad_(tg_ones(TG_SHAPE(3), TG_FLOAT32), true);
  tg_tensor *y = tg_sum(tg_mul(x, x), TG_ALL_DIMS, false); /* saves x */
  ck_assert_double_eq(tg_cdata_f32(x)[0], 1);              /* reading is fine */
  tg_data_f32(x)[0] = 5;
  TG_EXPECT_ERROR(tg_backward(y, NULL, 0), "has been modified by an inplace operation");
  tg_scope_end();
}
END_TEST

/* Runs fn in a child and returns what it wrote to stderr. */
/* Not static: the leak report names functions by their exported symbols. */
char *child_stderr(void (*fn)(void));
void leak_two(void);

char *child_stderr(void (*fn)(void)) {
  int fds[2];
  ck_assert_int_eq(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 2);
    close(fds[0]);
    fn();
    exit(0); /* atexit handlers run: the leak report */
  }
  close(fds[1]);
  static char text[8192];
  size_t n = 0;
  ssize_t got;
  while (n < sizeof text - 1 && (got = read(fds[0], text + n, sizeof text - 1 - n)) > 0)
    n += (size_t)got;
  text[n] = '\0';
  close(fds[0]);
  waitpid(pid, NULL, 0);
  return text;
}

static tg_tensor *forgotten;

void leak_two(void) {
  forgotten = tg_ones(TG_SHAPE(5, 2), TG_INT64);
  forgotten = tg_reshape(forgotten, TG_SHAPE(10));
}

START_TEST(test_leak_report_at_exit) {
  const char *text = child_stderr(leak_two);
  ck_assert_msg(
      strstr(text, "tensorgrad: checked mode: 2 tensors still alive at exit:") &&
          strstr(text, "int64 tensor of shape (5x2) made by tg_ones, called from "
                       "leak_two <- child_stderr") &&
          strstr(text, "int64 tensor of shape (10) made by tg_reshape"),
      "%s", text);
}
END_TEST

int main(void) {
  Suite *s = suite_create("checked");
  TCase *tc = tcase_create("checked");
  tcase_add_test(tc, test_use_after_release);
  tcase_add_test(tc, test_double_release);
  tcase_add_test(tc, test_releasing_a_scope_owned_tensor);
  tcase_add_test(tc, test_raw_writes_bump_the_version);
  tcase_add_test(tc, test_leak_report_at_exit);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
