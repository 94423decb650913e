/* MaxPool2d(2)'s own loops (nn/max_pool_2x2.c: the float32 vector paths
 * and the branch-free scalar loops) against PyTorch 1.13
 * (tests/golden/max_pool_2x2.py): the output, the indices and the input
 * gradient equal PyTorch's exactly on every path, float32 and float64,
 * on inputs full of ties, signed zeros, NaNs and infinities and on every
 * row tail of the 16- and 8-wide vectors; -0 output gradients give +0 input
 * gradients as ATen's zero-filled sum does; the gradient and its
 * double backward gradcheck. Threads: test_pool_norm's threaded pools. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tensor/core.h" /* tg_simd_force */
#include "test_util.h"

static tg_golden *golden;

static void setup(void) {
  golden = tg_golden_load(TG_TEST_DIR "/golden/max_pool_2x2.txt");
}
static void teardown(void) {
  tg_golden_free(golden);
}

static tg_tensor *entry(int i, const char *what, tg_dtype dtype) {
  char key[64];
  snprintf(key, sizeof key, "case%d.%s", i, what);
  return tg_golden_tensor(golden, key, dtype);
}

/* a and b hold the same values, NaN for NaN and zeros of the same sign */
static void assert_same(tg_tensor *a, tg_tensor *b, const char *what, int i, tg_isa isa) {
  tg_tensor *a64 = tg_to(tg_detach(a), TG_FLOAT64), *b64 = tg_to(b, TG_FLOAT64);
  ck_assert_int_eq(tg_numel(a), tg_numel(b));
  const double *x = tg_cdata_f64(a64), *y = tg_cdata_f64(b64);
  for (int64_t e = 0; e < tg_numel(a); e++) {
    bool same =
        isnan(x[e]) ? isnan(y[e]) : x[e] == y[e] && !signbit(x[e]) == !signbit(y[e]);
    ck_assert_msg(same, "case%d %s (%s, %s path): element %lld is %g, PyTorch's %g", i,
                  what, tg_dtype_name(a->dtype), tg_simd_name(isa), (long long)e, x[e],
                  y[e]);
  }
}

static void check_case(int i, tg_dtype dtype, tg_isa isa) {
  tg_scope_begin();
  tg_tensor *x = tg_requires_grad_(entry(i, "x", dtype), true), *indices;
  tg_tensor *y = tg_max_pool2d(x, &(tg_pool_opts){.kernel_size = {2, 2}}, &indices);
  tg_backward(y, entry(i, "gy", dtype), 0);
  assert_same(y, entry(i, "y", dtype), "output", i, isa);
  assert_same(indices, entry(i, "indices", TG_INT64), "indices", i, isa);
  assert_same(tg_grad(x), entry(i, "gx", dtype), "input gradient", i, isa);
  tg_scope_end();
}

START_TEST(test_matches_torch_on_every_path) {
  int count = (int)tg_golden_get(golden, "case.count", NULL, NULL)[0];
  ck_assert_int_ge(count, 30);
  for (int isa = TG_ISA_BASELINE; isa <= (int)tg_simd_best(); isa++) {
    tg_simd_force((tg_isa)isa);
    for (int i = 0; i < count; i++) {
      check_case(i, TG_FLOAT32, (tg_isa)isa);
      check_case(i, TG_FLOAT64, (tg_isa)isa);
    }
  }
  tg_simd_force(tg_simd_best());
}
END_TEST

/* Through the 2x2 loops: first and second derivatives (distinct values,
 * away from the kinks). */
static tg_tensor *pool_2x2(tg_tensor *const *x, void *ctx) {
  (void)ctx;
  return tg_max_pool2d(x[0], &(tg_pool_opts){.kernel_size = {2, 2}}, NULL);
}

START_TEST(test_gradcheck) {
  tg_scope_begin();
  tg_manual_seed(7);
  tg_tensor *perm = tg_to(tg_randperm(2 * 3 * 5 * 7), TG_FLOAT64);
  tg_tensor *x = tg_requires_grad_(
      tg_contiguous(tg_reshape(tg_mul_scalar(perm, 0.1), TG_SHAPE(2, 3, 5, 7))), true);
  char report[512];
  ck_assert_msg(tg_gradcheck(pool_2x2, NULL, 1, &x, NULL, report, sizeof report), "%s",
                report);
  ck_assert_msg(tg_gradgradcheck(pool_2x2, NULL, 1, &x, NULL, report, sizeof report),
                "%s", report);
  tg_scope_end();
}
END_TEST

int main(void) {
  Suite *s = suite_create("max_pool_2x2");
  TCase *tc = tcase_create("max_pool_2x2");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_matches_torch_on_every_path);
  tcase_add_test(tc, test_gradcheck);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
