/* float32 sums against PyTorch 1.13's CPU kernel bit for bit
 * (tests/golden/sum_bits.py: ATen's cascade_sum on an AVX2 machine): row
 * sums and means over the last dim of 1 to 70001 elements (below, at and
 * past multiples of its 8 lanes and 4 accumulators, and past the cascade's
 * first level), column sums over the batch, sums of everything, on every
 * instruction-set path and at 1 and 3 threads. The inputs come from an
 * integer hash both sides compute, each an exact float32. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tensor/core.h"
#include "test_util.h"

static tg_golden *golden;

static void setup(void) {
  golden = tg_golden_load(TG_TEST_DIR "/golden/sum_bits.txt");
}
static void teardown(void) {
  tg_golden_free(golden);
}

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

/* Counts the elements of t that differ in bits from golden `key`. */
static int mismatches(const tg_tensor *t, const char *key, const char *path) {
  int64_t n;
  const double *want = tg_golden_get(golden, key, &n, NULL);
  ck_assert_int_eq(n, tg_numel(t));
  int bad = 0;
  for (int64_t i = 0; i < n; i++) {
    float got = tg_cdata_f32(t)[i], w = (float)want[i];
    if (memcmp(&got, &w, sizeof got) == 0) continue;
    if (!bad++)
      printf("test_sum_bits: %s, %s[%lld]: %a, PyTorch %a\n", path, key, (long long)i,
             (double)got, (double)w);
  }
  return bad;
}

static const int64_t row_lengths[] = {1,   2,    3,    4,    5,    7,    8,     9,    15,
                                      16,  17,   31,   32,   33,   39,   40,    63,   64,
                                      65,  127,  128,  129,  255,  256,  257,   511,  512,
                                      513, 1000, 2047, 2048, 2049, 4100, 65536, 70001};
static const int64_t col_shapes[][2] = {{3, 5},     {17, 7},   {100, 33},
                                        {1000, 10}, {5000, 3}, {64, 130}};
static const int64_t all_sizes[] = {1, 6, 8, 100, 1000, 32768, 40000, 300001};

static int check_every_sum(const char *path) {
  int bad = 0;
  char key[64];
  for (size_t i = 0; i < sizeof row_lengths / sizeof *row_lengths; i++) {
    int64_t c = row_lengths[i], r = c < 10000 ? 3 : 1;
    tg_scope_begin();
    tg_tensor *x = data(r, c);
    snprintf(key, sizeof key, "rows.%lldx%lld", (long long)r, (long long)c);
    bad += mismatches(tg_sum(x, TG_DIMS(-1), false), key, path);
    snprintf(key, sizeof key, "mean.%lldx%lld", (long long)r, (long long)c);
    bad += mismatches(tg_mean(x, TG_DIMS(-1), false), key, path);
    tg_scope_end();
  }
  for (size_t i = 0; i < sizeof col_shapes / sizeof *col_shapes; i++) {
    int64_t r = col_shapes[i][0], c = col_shapes[i][1];
    tg_scope_begin();
    snprintf(key, sizeof key, "cols.%lldx%lld", (long long)r, (long long)c);
    bad += mismatches(tg_sum(data(r, c), TG_DIMS(0), false), key, path);
    tg_scope_end();
  }
  for (size_t i = 0; i < sizeof all_sizes / sizeof *all_sizes; i++) {
    tg_scope_begin();
    snprintf(key, sizeof key, "all.%lld", (long long)all_sizes[i]);
    bad += mismatches(tg_sum(data(1, all_sizes[i]), TG_ALL_DIMS, false), key, path);
    tg_scope_end();
  }
  return bad;
}

START_TEST(test_every_path_matches_torch_bit_for_bit) {
  for (int isa = TG_ISA_BASELINE; isa <= (int)tg_simd_best(); isa++) {
    tg_simd_force((tg_isa)isa);
    ck_assert_int_eq(check_every_sum(tg_simd_name((tg_isa)isa)), 0);
  }
  tg_simd_force(tg_simd_best());
}
END_TEST

START_TEST(test_threads_give_the_same_bits) {
  tg_parallel_set_grain(1); /* split even these small sums */
  tg_set_num_threads(3);
  ck_assert_int_eq(check_every_sum("3 threads"), 0);
  tg_set_num_threads(1);
  tg_parallel_set_grain(0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("sum_bits");
  TCase *tc = tcase_create("sum_bits");
  tcase_set_timeout(tc, 300);
  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_every_path_matches_torch_bit_for_bit);
  tcase_add_test(tc, test_threads_give_the_same_bits);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
