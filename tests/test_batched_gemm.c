/* Batched products: gemm_small.c's batched entry against its single
 * products (bit for bit, on every instruction-set path and at any thread
 * count), its batched transpose, tg_gemm_batched in float64, and tg_matmul
 * on batched operands (one call over the batch, the folded weight
 * gradient) against per-matrix products. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/ops.h"
#include "test_util.h"

/* Deterministic values in [-1, 1). */
static void fill(float *x, int64_t n, uint32_t seed) {
  for (int64_t i = 0; i < n; i++) {
    seed = seed * 1664525u + 1013904223u;
    x[i] = (float)(seed >> 8) / (float)(1 << 24) * 2 - 1;
  }
}

typedef struct batched_case {
  int64_t m, n, k;
  bool a_trans, b_trans; /* op(A) / op(B) read through a transposed layout */
  float beta;
} batched_case;

/* Every product of a 3 x 4 batch with gaps between the products (and rows
 * wider than the matrices), by the batched entry and one at a time. */
static void expect_batched_like_single(const batched_case *c, int threads) {
  enum { OUTER = 3, INNER = 4 };
  int64_t m = c->m, n = c->n, k = c->k;
  /* op(A)[i][p] = a[i * a_rs + p * a_cs]; one matrix every a_step floats */
  int64_t a_ld = (c->a_trans ? m : k) + 3, b_ld = (c->b_trans ? k : n) + 2, ldc = n + 1;
  int64_t a_rs = c->a_trans ? 1 : a_ld, a_cs = c->a_trans ? a_ld : 1;
  int64_t b_rs = c->b_trans ? 1 : b_ld, b_cs = c->b_trans ? b_ld : 1;
  int64_t a_step = a_ld * (c->a_trans ? k : m) + 5,
          b_step = b_ld * (c->b_trans ? n : k) + 7;
  int64_t c_step = ldc * m + 1, count = OUTER * INNER;
  float *a = malloc((size_t)(a_step * count) * sizeof(float));
  float *b = malloc((size_t)(b_step * count) * sizeof(float));
  float *got = malloc((size_t)(c_step * count) * sizeof(float));
  float *want = malloc((size_t)(c_step * count) * sizeof(float));
  ck_assert(a && b && got && want);
  fill(a, a_step * count, 1);
  fill(b, b_step * count, 2);
  fill(got, c_step * count, 3);
  memcpy(want, got, (size_t)(c_step * count) * sizeof(float));
  tg_sgemm_batch batch = {{OUTER, INNER},
                          {INNER * a_step, a_step},
                          {INNER * b_step, b_step},
                          {INNER * c_step, c_step}};
  tg_set_num_threads(threads);
  ck_assert(tg_sgemm_small_batched(&batch, m, n, k, 1, a, a_rs, a_cs, b, b_rs, b_cs,
                                   c->beta, got, ldc));
  tg_set_num_threads(1);
  for (int64_t t = 0; t < count; t++)
    ck_assert(tg_sgemm_small(m, n, k, 1, a + t * a_step, a_rs, a_cs, b + t * b_step, b_rs,
                             b_cs, c->beta, NULL, 0, 0, want + t * c_step, ldc));
  ck_assert_msg(memcmp(got, want, (size_t)(c_step * count) * sizeof(float)) == 0,
                "%lldx%lldx%lld (a %s, b %s, beta %g) at %d threads on the %s path: "
                "batched differs from single products",
                (long long)m, (long long)n, (long long)k, c->a_trans ? "T" : "N",
                c->b_trans ? "T" : "N", (double)c->beta, threads,
                tg_simd_name(tg_simd_isa()));
  free(a);
  free(b);
  free(got);
  free(want);
}

START_TEST(test_batched_small_products) {
  static const batched_case cases[] = {
      {23, 23, 16, false, true, 0},  /* q k^T of a 16-wide head */
      {23, 16, 23, false, false, 0}, /* weights @ v */
      {23, 16, 23, true, false, 0},  /* weights^T @ g */
      {23, 64, 256, false, false, 1}, {5, 7, 3, true, true, 0.5f},
      {1, 40, 9, false, false, 0},    {64, 3, 70, false, true, 0},
      {17, 33, 2, false, true, 1},
  };
  tg_parallel_set_grain(1); /* split even these small batches */
  for (tg_isa isa = TG_ISA_BASELINE; isa <= tg_simd_best(); isa++) {
    tg_simd_force(isa);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
      for (int threads = 1; threads <= 3; threads++)
        expect_batched_like_single(&cases[i], threads);
  }
  tg_simd_force(tg_simd_best());
  tg_parallel_set_grain(0);
  /* a product too big for the small kernels is left to BLAS, untouched */
  tg_sgemm_batch one = {{1, 1}, {0, 0}, {0, 0}, {0, 0}};
  ck_assert(!tg_sgemm_small_batched(&one, 512, 512, 512, 1, NULL, 512, 1, NULL, 512, 1, 0,
                                    NULL, 512));
}
END_TEST

/* dst (ld_dst) = src^T for a 2 x 3 batch; the columns past COLS within a
 * row may only get zeros (a whole last 8 x 8 block where ld_dst has room) */
static void expect_transposed(int64_t ld_dst) {
  enum { ROWS = 16, COLS = 23, LD_SRC = 50 };
  static float src[2 * 3 * COLS * LD_SRC], dst[2 * 3 * ROWS * 32];
  fill(src, 2 * 3 * COLS * LD_SRC, 4);
  for (size_t i = 0; i < sizeof dst / sizeof *dst; i++) dst[i] = 7;
  tg_sgemm_batch batch = {{2, 3},
                          {3 * COLS * LD_SRC, COLS * LD_SRC},
                          {0, 0},
                          {3 * ROWS * ld_dst, ROWS * ld_dst}};
  tg_stranspose_batched(&batch, ROWS, COLS, src, LD_SRC, dst, ld_dst);
  for (int t = 0; t < 6; t++)
    for (int p = 0; p < ROWS; p++)
      for (int q = 0; q < ld_dst; q++) {
        float got = dst[t * ROWS * ld_dst + p * ld_dst + q];
        if (q < COLS)
          ck_assert_float_eq(got, src[t * COLS * LD_SRC + q * LD_SRC + p]);
        else
          ck_assert(got == 7 || got == 0);
      }
  ck_assert_float_eq(dst[6 * ROWS * ld_dst], 7); /* nothing past the last matrix */
}

START_TEST(test_batched_transpose) {
  for (int64_t ld = 23; ld <= 25; ld++) expect_transposed(ld);
}
END_TEST

/* tg_gemm_batched in float64 goes to BLAS one product at a time. */
START_TEST(test_gemm_batched_float64) {
  double a[2 * 3 * 4], b[2 * 4 * 5], c[2 * 3 * 5];
  for (int i = 0; i < 24; i++) a[i] = sin(i + 1.0);
  for (int i = 0; i < 40; i++) b[i] = cos(i + 2.0);
  /* op(A) = A^T stored 4 x 3 per product, op(B) = B stored 4 x 5 */
  tg_sgemm_batch batch = {{1, 2}, {0, 12}, {0, 20}, {0, 15}};
  tg_gemm_batched(TG_FLOAT64, &batch, 3, 5, 4, 2, a, 1, 3, b, 5, 1, c, 5);
  for (int t = 0; t < 2; t++)
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 5; j++) {
        double want = 0;
        for (int p = 0; p < 4; p++) want += a[t * 12 + p * 3 + i] * b[t * 20 + p * 5 + j];
        ck_assert_double_eq_tol(c[t * 15 + i * 5 + j], 2 * want, 1e-13);
      }
}
END_TEST

/* tg_matmul of a batch against the 2-D products of its matrices, and the
 * gradients of sum(y * r) against theirs. */
static void expect_matmul_like_per_matrix(tg_shape sa, tg_shape sb, tg_dtype dtype,
                                          bool transpose_a) {
  tg_scope_begin();
  tg_manual_seed(7);
  tg_tensor *a = tg_requires_grad_(tg_randn(sa, dtype), true);
  tg_tensor *b = tg_requires_grad_(tg_randn(sb, dtype), true);
  tg_tensor *a_op = transpose_a ? tg_transpose(a, -1, -2) : a;
  tg_tensor *y = tg_matmul(a_op, b);
  tg_tensor *r = tg_randn(tg_shape_of(y), dtype);
  tg_backward(tg_sum(tg_mul(y, r), TG_ALL_DIMS, false), NULL, 0);
  /* the same from 2-D products over the broadcast batch */
  tg_tensor *a2 = tg_detach(a_op), *b2 = tg_detach(b);
  tg_shape batch = tg_shape_of(y);
  batch.ndim -= 2;
  /* float32: sums of up to 736 terms of size ~1 in another order */
  double tol = dtype == TG_FLOAT32 ? 1e-4 : 1e-12;
  int64_t count = tg_shape_numel(batch);
  tg_shape full_a = batch, full_b = batch;
  full_a.d[full_a.ndim++] = tg_size(a2, -2);
  full_a.d[full_a.ndim++] = tg_size(a2, -1);
  full_b.d[full_b.ndim++] = tg_size(b2, -2);
  full_b.d[full_b.ndim++] = tg_size(b2, -1);
  tg_tensor *af = tg_reshape(tg_contiguous(tg_expand(a2, full_a)),
                             TG_SHAPE(count, tg_size(a2, -2), tg_size(a2, -1)));
  tg_tensor *bf = tg_reshape(tg_contiguous(tg_expand(b2, full_b)),
                             TG_SHAPE(count, tg_size(b2, -2), tg_size(b2, -1)));
  tg_tensor *yf = tg_reshape(y, TG_SHAPE(count, tg_size(y, -2), tg_size(y, -1)));
  tg_tensor *rf = tg_reshape(r, tg_shape_of(yf));
  tg_tensor *ga = tg_zeros(tg_shape_of(af), dtype),
            *gb = tg_zeros(tg_shape_of(bf), dtype);
  for (int64_t i = 0; i < count; i++) {
    tg_tensor *ai = tg_select(af, 0, i), *bi = tg_select(bf, 0, i);
    tg_assert_close(tg_select(yf, 0, i), tg_matmul(ai, bi), tol, tol, "product");
    tg_copy_into(tg_select(ga, 0, i), tg_matmul(tg_select(rf, 0, i), tg_t(bi)));
    tg_copy_into(tg_select(gb, 0, i), tg_matmul(tg_t(ai), tg_select(rf, 0, i)));
  }
  tg_tensor *ga_want = tg_sum_to_size(tg_reshape(ga, full_a), tg_shape_of(a2));
  tg_tensor *gb_want = tg_sum_to_size(tg_reshape(gb, full_b), tg_shape_of(b2));
  if (transpose_a) ga_want = tg_transpose(ga_want, -1, -2);
  tg_assert_close(tg_grad(a), ga_want, tol, tol, "gradient of a");
  tg_assert_close(tg_grad(b), gb_want, tol, tol, "gradient of b");
  tg_scope_end();
}

START_TEST(test_matmul_over_batches) {
  for (int d = 0; d < 2; d++) {
    tg_dtype dtype = d ? TG_FLOAT64 : TG_FLOAT32;
    /* makemore's head: a batch of sequences times one weight (b folded) */
    expect_matmul_like_per_matrix(TG_SHAPE(32, 23, 64), TG_SHAPE(64, 27), dtype, false);
    /* attention's heads: two batch dims, both operands batched */
    expect_matmul_like_per_matrix(TG_SHAPE(2, 4, 23, 16), TG_SHAPE(2, 4, 16, 23), dtype,
                                  false);
    /* broadcast batch dims, a transposed view */
    expect_matmul_like_per_matrix(TG_SHAPE(1, 3, 4, 5), TG_SHAPE(2, 1, 4, 6), dtype,
                                  true);
    /* more than two batch dims, and a product too big for the small kernels */
    expect_matmul_like_per_matrix(TG_SHAPE(2, 2, 2, 3, 4), TG_SHAPE(4, 5), dtype, false);
    expect_matmul_like_per_matrix(TG_SHAPE(2, 90, 100), TG_SHAPE(2, 100, 80), dtype,
                                  false);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("batched_gemm");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_batched_small_products);
  tcase_add_test(tc, test_batched_transpose);
  tcase_add_test(tc, test_gemm_batched_float64);
  tcase_add_test(tc, test_matmul_over_batches);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
