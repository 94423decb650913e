/* log_softmax, softmax and cross_entropy over the last dim against PyTorch
 * 1.13's CPU kernels bit for bit in float32 (tests/golden/softmax_bits.py:
 * rows of 1 to 129 elements, below, at and past multiples of ATen's eight
 * lanes, logits up to 40 sigma, -inf logits, ignored targets; the forward,
 * the backward of a random gradient, every reduction), on every
 * instruction-set path and at 1 and 3 threads. float64 (libm's exp and log
 * where ATen calls SLEEF's) is held to 1e-12 relative: its values agree to
 * about 1e-16, the gradients' cancellations leave a few more ulps. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tensor/core.h"
#include "tensorgrad/nn.h"
#include "test_util.h"

static tg_golden *golden;

static void setup(void) {
  golden = tg_golden_load(TG_TEST_DIR "/golden/softmax_bits.txt");
}
static void teardown(void) {
  tg_golden_free(golden);
}

/* Whether got is want: the same bits for float32 (NaN as NaN), within
 * 1e-12 of it for float64. */
static bool same(double got, double want, bool f32) {
  if (got != got || want != want) return got != got && want != want;
  if (f32) {
    float g = (float)got, w = (float)want;
    return memcmp(&g, &w, sizeof g) == 0;
  }
  if (got == want) return true;
  return fabs(got - want) <= 1e-12 * fabs(want);
}

/* Counts t's elements that differ from golden `key` of case k, printing
 * the first. */
static int mismatches(const tg_tensor *t, int k, const char *key, const char *path) {
  char name[64];
  snprintf(name, sizeof name, "case%d.%s", k, key);
  int64_t n;
  const double *want = tg_golden_get(golden, name, &n, NULL);
  ck_assert_int_eq(n, tg_numel(t));
  tg_tensor *c = tg_contiguous((tg_tensor *)t);
  bool f32 = t->dtype == TG_FLOAT32;
  int bad = 0;
  for (int64_t i = 0; i < n; i++) {
    double got = f32 ? tg_cdata_f32(c)[i] : tg_cdata_f64(c)[i];
    if (same(got, want[i], f32)) continue;
    if (!bad++)
      printf("test_softmax_bits: %s path, %s[%lld]: %a, PyTorch %a\n", path, name,
             (long long)i, got, want[i]);
  }
  return bad;
}

static tg_tensor *case_tensor(int k, const char *key, tg_dtype dtype) {
  char name[64];
  snprintf(name, sizeof name, "case%d.%s", k, key);
  return tg_golden_tensor(golden, name, dtype);
}

/* y = op(x) and x's gradient for y's gradient g */
static int check_softmax(int k, tg_dtype dtype, bool log_space, const char *path) {
  tg_tensor *x = tg_requires_grad_(case_tensor(k, "x", dtype), true);
  tg_tensor *y = log_space ? tg_log_softmax(x, -1) : tg_softmax(x, -1);
  tg_backward(y, case_tensor(k, "g", dtype), 0);
  return mismatches(y, k, log_space ? "logp" : "p", path) +
         mismatches(tg_grad(x), k, log_space ? "glogp" : "gp", path);
}

static int check_cross_entropy(int k, tg_dtype dtype, const char *path) {
  static const char *const names[] = {"mean", "sum", "none"};
  static const tg_reduction reductions[] = {TG_MEAN, TG_SUM, TG_NONE};
  tg_tensor *target = case_tensor(k, "target", TG_INT64);
  int bad = 0;
  for (int r = 0; r < 3; r++) {
    tg_tensor *x = tg_requires_grad_(case_tensor(k, "x", dtype), true);
    tg_loss_opts opts = {.reduction = reductions[r]};
    tg_tensor *loss = tg_cross_entropy_loss(x, target, &opts);
    tg_backward(loss, tg_ones_like(loss), 0);
    char key[32];
    snprintf(key, sizeof key, "ce.%s", names[r]);
    bad += mismatches(loss, k, key, path);
    snprintf(key, sizeof key, "gce.%s", names[r]);
    bad += mismatches(tg_grad(x), k, key, path);
  }
  return bad;
}

/* Every case on the current path; returns the mismatches. */
static int check_every_case(const char *path) {
  int cases = (int)tg_golden_get(golden, "cases", NULL, NULL)[0], bad = 0;
  for (int k = 0; k < cases; k++) {
    char name[64];
    snprintf(name, sizeof name, "case%d.spec", k);
    tg_dtype dtype = tg_golden_get(golden, name, NULL, NULL)[2] ? TG_FLOAT32 : TG_FLOAT64;
    tg_scope_begin();
    bad += check_softmax(k, dtype, true, path) + check_softmax(k, dtype, false, path) +
           check_cross_entropy(k, dtype, path);
    tg_scope_end();
  }
  return bad;
}

START_TEST(test_every_path_matches_torch_bit_for_bit) {
  for (int isa = TG_ISA_BASELINE; isa <= (int)tg_simd_best(); isa++) {
    tg_simd_force((tg_isa)isa);
    ck_assert_int_eq(check_every_case(tg_simd_name((tg_isa)isa)), 0);
  }
  tg_simd_force(tg_simd_best());
}
END_TEST

START_TEST(test_threads_give_the_same_bits) {
  tg_parallel_set_grain(1); /* split even these small rows */
  tg_set_num_threads(3);
  ck_assert_int_eq(check_every_case("3 threads"), 0);
  tg_set_num_threads(1);
  tg_parallel_set_grain(0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("softmax_bits");
  TCase *tc = tcase_create("softmax_bits");
  tcase_set_timeout(tc, 300);
  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_every_path_matches_torch_bit_for_bit);
  tcase_add_test(tc, test_threads_give_the_same_bits);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
