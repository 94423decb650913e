/* The second audit's thread cases: the public API called from a second
 * thread while the first computes. Each test failed (hung) before its fix. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

static atomic_int stop;

/* max |got - want| within tol (one check: a check per element is slow) */
static void expect_near(tg_tensor *got, tg_tensor *want, double tol, const char *what) {
  double diff = tg_item(tg_max_all(tg_abs(tg_sub(got, want))));
  ck_assert_msg(diff <= tol, "%s: %g away from the product computed alone", what, diff);
}

static void *change_threads(void *arg) {
  atomic_int *changes = arg;
  for (int i = 0; !atomic_load(&stop); i++) {
    tg_set_num_threads(1 + i % 2);
    atomic_fetch_add(changes, 1);
    usleep(2000);
  }
  return NULL;
}

/* tg_set_num_threads on one thread while another multiplies matrices big
 * enough for OpenBLAS's threads (matmul, a convolution's column product):
 * it shut OpenBLAS's workers down under the product, and both threads
 * waited forever. Now it waits for the products in flight; every product
 * still gives the numbers it gives alone. */
START_TEST(test_set_num_threads_while_another_thread_multiplies) {
  alarm(120); /* a hang fails the suite instead of stalling CI */
  tg_set_num_threads(2);
  tg_manual_seed(3);
  tg_scope_begin();
  tg_tensor *a = tg_randn(TG_SHAPE(384, 384), TG_FLOAT32);
  tg_tensor *b = tg_randn(TG_SHAPE(384, 384), TG_FLOAT64);
  tg_tensor *x = tg_randn(TG_SHAPE(2, 16, 24, 24), TG_FLOAT32);
  tg_tensor *w = tg_randn(TG_SHAPE(64, 16, 3, 3), TG_FLOAT32);
  tg_tensor *want_a = tg_matmul(a, a), *want_b = tg_matmul(b, b);
  tg_tensor *want_conv = tg_conv2d(x, w, NULL, NULL);
  atomic_store(&stop, 0);
  atomic_int changes = 0;
  pthread_t other;
  ck_assert_int_eq(pthread_create(&other, NULL, change_threads, &changes), 0);
  int rounds = tg_test_iterations(30);
  for (int i = 0; i < rounds || atomic_load(&changes) < 2; i++) {
    tg_scope_begin();
    expect_near(tg_matmul(a, a), want_a, 1e-3, "float32 matmul");
    expect_near(tg_matmul(b, b), want_b, 1e-10, "float64 matmul");
    expect_near(tg_conv2d(x, w, NULL, NULL), want_conv, 1e-3, "conv2d");
    tg_scope_end();
  }
  atomic_store(&stop, 1);
  pthread_join(other, NULL);
  tg_scope_end();
  tg_set_num_threads(1);
  alarm(0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("audit2_threads");
  TCase *tc = tcase_create("threads");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_set_num_threads_while_another_thread_multiplies);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
