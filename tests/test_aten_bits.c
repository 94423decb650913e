/* PyTorch 1.13's CPU kernels bit for bit, on every instruction-set path and
 * at 1 and 3 threads:
 * - log_softmax, softmax and cross_entropy over the last dim in float32
 *   and float64 (tests/golden/softmax_bits.py: rows of 1 to 129 elements,
 *   below, at and past multiples of ATen's 8 float and 4 double lanes,
 *   logits up to 40 sigma, -inf logits, ignored targets; the forward, the
 *   backward of a random gradient, every reduction).
 * - float32 sums (tests/golden/sum_bits.py, ATen's cascade_sum): row sums
 *   and means over the last dim of 1 to 70001 elements (below, at and past
 *   multiples of its 8 lanes and 4 accumulators, and past the cascade's
 *   first level), column sums over the batch, sums of everything. Their
 *   inputs come from an integer hash both sides compute, each an exact
 *   float32. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tensor/core.h"
#include "tensorgrad/nn.h"
#include "test_util.h"

static tg_golden *softmax_golden, *sum_golden;

static void setup(void) {
  softmax_golden = tg_golden_load(TG_TEST_DIR "/golden/softmax_bits.txt");
  sum_golden = tg_golden_load(TG_TEST_DIR "/golden/sum_bits.txt");
}
static void teardown(void) {
  tg_golden_free(softmax_golden);
  tg_golden_free(sum_golden);
}

/* Whether got is want: the same bits (NaN as NaN). */
static bool same(double got, double want, bool f32) {
  if (got != got || want != want) return got != got && want != want;
  if (f32) {
    float g = (float)got, w = (float)want;
    return memcmp(&g, &w, sizeof g) == 0;
  }
  return memcmp(&got, &want, sizeof got) == 0;
}

/* Counts t's elements that differ from golden entry `name`, printing the
 * first. */
static int mismatches(const tg_golden *golden, const tg_tensor *t, const char *name,
                      const char *path) {
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
      printf("test_aten_bits: %s, %s[%lld]: %a, PyTorch %a\n", path, name, (long long)i,
             got, want[i]);
  }
  return bad;
}

/* ---- softmax, log_softmax, cross_entropy ---- */

static int case_mismatches(const tg_tensor *t, int k, const char *key, const char *path) {
  char name[64];
  snprintf(name, sizeof name, "case%d.%s", k, key);
  return mismatches(softmax_golden, t, name, path);
}

static tg_tensor *case_tensor(int k, const char *key, tg_dtype dtype) {
  char name[64];
  snprintf(name, sizeof name, "case%d.%s", k, key);
  return tg_golden_tensor(softmax_golden, name, dtype);
}
/* y = op(x) and x's gradient for y's gradient g */
static int check_softmax(int k, tg_dtype dtype, bool log_space, const char *path) {
  tg_tensor *x = tg_requires_grad_(case_tensor(k, "x", dtype), true);
  tg_tensor *y = log_space ? tg_log_softmax(x, -1) : tg_softmax(x, -1);
  tg_backward(y, case_tensor(k, "g", dtype), 0);
  return case_mismatches(y, k, log_space ? "logp" : "p", path) +
         case_mismatches(tg_grad(x), k, log_space ? "glogp" : "gp", path);
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
    bad += case_mismatches(loss, k, key, path);
    snprintf(key, sizeof key, "gce.%s", names[r]);
    bad += case_mismatches(tg_grad(x), k, key, path);
  }
  return bad;
}

/* Every case on the current path; returns the mismatches. */
static int check_softmax_cases(const char *path) {
  int cases = (int)tg_golden_get(softmax_golden, "cases", NULL, NULL)[0], bad = 0;
  for (int k = 0; k < cases; k++) {
    char name[64];
    snprintf(name, sizeof name, "case%d.spec", k);
    tg_dtype dtype =
        tg_golden_get(softmax_golden, name, NULL, NULL)[2] ? TG_FLOAT32 : TG_FLOAT64;
    tg_scope_begin();
    bad += check_softmax(k, dtype, true, path) + check_softmax(k, dtype, false, path) +
           check_cross_entropy(k, dtype, path);
    tg_scope_end();
  }
  return bad;
}

/* ---- float32 sums ---- */

/* sum_bits.py's data(n) as an (rows, cols) float32 tensor */
static tg_tensor *data(int64_t rows, int64_t cols) {
  tg_tensor *t = tg_empty(TG_SHAPE(rows, cols), TG_FLOAT32);
  float *x = tg_data_f32(t);
  for (int64_t i = 0; i < rows * cols; i++) {
    uint32_t h = (uint32_t)i * 2654435761u;
    h ^= h >> 15;
    h *= 2246822519u;
    h ^= h >> 13;
    x[i] = ldexpf((float)((int32_t)(h >> 8) - (1 << 23)), (int)(i % 7) - 20);
  }
  return t;
}

static const int64_t row_lengths[] = {1,   2,    3,    4,    5,    7,    8,     9,    15,
                                      16,  17,   31,   32,   33,   39,   40,    63,   64,
                                      65,  127,  128,  129,  255,  256,  257,   511,  512,
                                      513, 1000, 2047, 2048, 2049, 4100, 65536, 70001};
static const int64_t col_shapes[][2] = {{3, 5},     {17, 7},   {100, 33},
                                        {1000, 10}, {5000, 3}, {64, 130}};
static const int64_t all_sizes[] = {1, 6, 8, 100, 1000, 32768, 40000, 300001};

static int check_sums(const char *path) {
  int bad = 0;
  char key[64];
  for (size_t i = 0; i < sizeof row_lengths / sizeof *row_lengths; i++) {
    int64_t c = row_lengths[i], r = c < 10000 ? 3 : 1;
    tg_scope_begin();
    tg_tensor *x = data(r, c);
    snprintf(key, sizeof key, "rows.%lldx%lld", (long long)r, (long long)c);
    bad += mismatches(sum_golden, tg_sum(x, TG_DIMS(-1), false), key, path);
    snprintf(key, sizeof key, "mean.%lldx%lld", (long long)r, (long long)c);
    bad += mismatches(sum_golden, tg_mean(x, TG_DIMS(-1), false), key, path);
    tg_scope_end();
  }
  for (size_t i = 0; i < sizeof col_shapes / sizeof *col_shapes; i++) {
    int64_t r = col_shapes[i][0], c = col_shapes[i][1];
    tg_scope_begin();
    snprintf(key, sizeof key, "cols.%lldx%lld", (long long)r, (long long)c);
    bad += mismatches(sum_golden, tg_sum(data(r, c), TG_DIMS(0), false), key, path);
    tg_scope_end();
  }
  for (size_t i = 0; i < sizeof all_sizes / sizeof *all_sizes; i++) {
    tg_scope_begin();
    snprintf(key, sizeof key, "all.%lld", (long long)all_sizes[i]);
    bad += mismatches(sum_golden, tg_sum(data(1, all_sizes[i]), TG_ALL_DIMS, false), key,
                      path);
    tg_scope_end();
  }
  return bad;
}

/* ---- ops/sleef_math.h against libsleef itself, when it is installed ---- */

#ifdef TG_HAVE_SLEEF
/* tests/aten_bits_sleef.c, built for AVX2 */
int64_t tg_test_libsleef_mismatches(int64_t n);

START_TEST(test_math_matches_libsleef) {
  if (tg_simd_best() < TG_ISA_AVX2) {
    printf("test_aten_bits: no AVX2 path (CPU or TG_ISA): libsleef check skipped\n");
    return;
  }
  ck_assert_int_eq(tg_test_libsleef_mismatches(tg_test_iterations(1 << 22)), 0);
}
END_TEST
#endif

/* Every golden case on the current path; returns the mismatches. */
static int check_everything(const char *path) {
  return check_softmax_cases(path) + check_sums(path);
}

START_TEST(test_every_path_matches_torch_bit_for_bit) {
  for (int isa = TG_ISA_BASELINE; isa <= (int)tg_simd_best(); isa++) {
    tg_simd_force((tg_isa)isa);
    ck_assert_int_eq(check_everything(tg_simd_name((tg_isa)isa)), 0);
  }
  tg_simd_force(tg_simd_best());
}
END_TEST

START_TEST(test_threads_give_the_same_bits) {
  tg_parallel_set_grain(1); /* split even these small rows and sums */
  tg_set_num_threads(3);
  ck_assert_int_eq(check_everything("3 threads"), 0);
  tg_set_num_threads(1);
  tg_parallel_set_grain(0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("aten_bits");
  TCase *tc = tcase_create("aten_bits");
  tcase_set_timeout(tc, 300);
  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_every_path_matches_torch_bit_for_bit);
  tcase_add_test(tc, test_threads_give_the_same_bits);
#ifdef TG_HAVE_SLEEF
  tcase_add_test(tc, test_math_matches_libsleef);
#else
  printf("test_aten_bits: built without libsleef: the check against it is skipped\n");
#endif
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
