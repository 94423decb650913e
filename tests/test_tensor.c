/* The tensor module: creation, dtypes and promotion, views sharing storage,
 * broadcasting, indexing, printing, the RNG, scopes, and the error
 * messages a user can hit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tensor/core.h"
#include "test_util.h"

static void assert_values(const tg_tensor *t, const double *expected, int64_t n) {
  tg_assert_close_data(t, expected, n, 0, 0, "values");
}

START_TEST(test_creation) {
  tg_scope_begin();
  tg_tensor *z = tg_zeros(TG_SHAPE(2, 3), TG_FLOAT32);
  tg_assert_shape(z, TG_SHAPE(2, 3));
  ck_assert_int_eq(z->dtype, TG_FLOAT32);
  assert_values(z, (double[]){0, 0, 0, 0, 0, 0}, 6);
  assert_values(tg_full(TG_SHAPE(2), 7.5, TG_FLOAT64), (double[]){7.5, 7.5}, 2);
  assert_values(tg_arange(0, 5, 2, TG_INT64), (double[]){0, 2, 4}, 3);
  assert_values(tg_arange(1, 0, -0.25, TG_FLOAT64), (double[]){1, 0.75, 0.5, 0.25}, 4);
  assert_values(tg_linspace(0, 1, 5, TG_FLOAT64), (double[]){0, 0.25, 0.5, 0.75, 1}, 5);
  assert_values(tg_eye(2, TG_INT64), (double[]){1, 0, 0, 1}, 4);
  tg_tensor *s = tg_scalar(3, TG_FLOAT32);
  ck_assert_int_eq(s->ndim, 0);
  ck_assert(tg_item(s) == 3.0);
  int64_t data[3] = {4, -5, 6};
  tg_tensor *d = tg_from_data(data, TG_SHAPE(3), TG_INT64);
  assert_values(d, (double[]){4, -5, 6}, 3);
  assert_values(tg_ones_like(d), (double[]){1, 1, 1}, 3);
  ck_assert_int_eq(tg_zeros_like(d)->dtype, TG_INT64);
  ck_assert_int_eq(tg_numel(tg_empty(TG_SHAPE(0, 3), TG_FLOAT32)), 0);
  tg_scope_end();
}
END_TEST

START_TEST(test_views_share_storage) {
  tg_scope_begin();
  tg_tensor *a = tg_arange(0, 6, 1, TG_FLOAT32);
  tg_tensor *v = tg_view(a, TG_SHAPE(2, -1));
  tg_tensor *t = tg_t(v);
  ck_assert_ptr_eq(v->storage, a->storage);
  ck_assert_ptr_eq(t->storage, a->storage);
  ck_assert(!tg_is_contiguous(t));
  assert_values(t, (double[]){0, 3, 1, 4, 2, 5}, 6);
  tg_set(t, (int64_t[]){2, 1}, 50); /* writes through to a[5] */
  ck_assert(tg_get_flat(a, 5) == 50);
  tg_tensor *e =
      tg_expand(tg_unsqueeze(tg_arange(0, 3, 1, TG_FLOAT32), 0), TG_SHAPE(4, 3));
  ck_assert_int_eq(e->strides[0], 0);
  ck_assert(tg_get(e, (int64_t[]){3, 2}) == 2);
  tg_tensor *n = tg_narrow(a, 0, 2, 3);
  assert_values(n, (double[]){2, 3, 4}, 3);
  assert_values(tg_slice(a, 0, 1, 6, 2), (double[]){1, 3, 50}, 3);
  assert_values(tg_slice(a, 0, -2, 100, 1), (double[]){4, 50}, 2);
  assert_values(tg_select(v, 1, -1), (double[]){2, 50}, 2);
  tg_assert_shape(tg_permute(tg_zeros(TG_SHAPE(2, 3, 4), TG_FLOAT32), TG_DIMS(2, 0, 1)),
                  TG_SHAPE(4, 2, 3));
  tg_assert_shape(tg_flatten(tg_zeros(TG_SHAPE(2, 3, 4), TG_FLOAT32), 1, -1),
                  TG_SHAPE(2, 12));
  tg_assert_shape(tg_squeeze_all(tg_zeros(TG_SHAPE(1, 3, 1), TG_FLOAT32)), TG_SHAPE(3));
  tg_assert_shape(tg_squeeze(tg_zeros(TG_SHAPE(1, 3), TG_FLOAT32), 1), TG_SHAPE(1, 3));
  /* a transposed view cannot be viewed flat, but reshape copies */
  tg_tensor *r = tg_reshape(t, TG_SHAPE(6));
  ck_assert_ptr_ne(r->storage, a->storage);
  assert_values(r, (double[]){0, 3, 1, 4, 2, 50}, 6);
  tg_tensor *c = tg_contiguous(v);
  ck_assert_ptr_eq(c, v); /* already contiguous: no copy */
  tg_scope_end();
}
END_TEST

START_TEST(test_broadcasting_and_promotion) {
  tg_scope_begin();
  tg_tensor *col = tg_reshape(tg_arange(0, 3, 1, TG_FLOAT32), TG_SHAPE(3, 1));
  tg_tensor *row = tg_arange(0, 4, 1, TG_FLOAT32);
  tg_tensor *sum = tg_add(col, row);
  tg_assert_shape(sum, TG_SHAPE(3, 4));
  ck_assert(tg_get(sum, (int64_t[]){2, 3}) == 5);
  tg_tensor *i = tg_arange(0, 3, 1, TG_INT64);
  ck_assert_int_eq(tg_add(i, i)->dtype, TG_INT64);
  ck_assert_int_eq(tg_add(i, tg_ones(TG_SHAPE(3), TG_FLOAT32))->dtype, TG_FLOAT32);
  ck_assert_int_eq(
      tg_mul(tg_ones(TG_SHAPE(1), TG_FLOAT32), tg_ones(TG_SHAPE(1), TG_FLOAT64))->dtype,
      TG_FLOAT64);
  tg_tensor *q = tg_div(i, tg_full(TG_SHAPE(3), 2, TG_INT64)); /* true division */
  ck_assert_int_eq(q->dtype, TG_FLOAT32);
  assert_values(q, (double[]){0, 0.5, 1}, 3);
  ck_assert_int_eq(tg_mul_scalar(i, 2)->dtype, TG_INT64);
  ck_assert_int_eq(tg_mul_scalar(i, 0.5)->dtype, TG_FLOAT32);
  tg_tensor *mask = tg_gt_scalar(row, 1.5);
  ck_assert_int_eq(mask->dtype, TG_BOOL);
  assert_values(mask, (double[]){0, 0, 1, 1}, 4);
  assert_values(tg_sum(mask, TG_ALL_DIMS, false), (double[]){2}, 1);
  ck_assert_int_eq(tg_sum(mask, TG_ALL_DIMS, false)->dtype, TG_INT64);
  assert_values(tg_exp(tg_zeros(TG_SHAPE(2), TG_INT64)), (double[]){1, 1}, 2);
  tg_scope_end();
}
END_TEST

START_TEST(test_reductions) {
  tg_scope_begin();
  double v[6] = {1, 5, 3, 4, 2, 6};
  tg_tensor *x = tg_from_data(v, TG_SHAPE(2, 3), TG_FLOAT64);
  assert_values(tg_sum(x, TG_DIMS(0), false), (double[]){5, 7, 9}, 3);
  assert_values(tg_mean(x, TG_DIMS(-1), true), (double[]){3, 4}, 2);
  tg_assert_shape(tg_mean(x, TG_DIMS(-1), true), TG_SHAPE(2, 1));
  tg_tensor *idx;
  assert_values(tg_max(x, 1, false, &idx), (double[]){5, 6}, 2);
  assert_values(idx, (double[]){1, 2}, 2);
  assert_values(tg_argmin(x, 0, false), (double[]){0, 1, 0}, 3);
  assert_values(tg_max_all(x), (double[]){6}, 1);
  assert_values(tg_min_all(x), (double[]){1}, 1);
  assert_values(tg_var(x, TG_ALL_DIMS, 0, false), (double[]){17.5 / 6}, 1);
  /* softmax rows sum to 1 even for large logits */
  double big[3] = {1000, 1001, 1002};
  tg_tensor *p = tg_softmax(tg_from_data(big, TG_SHAPE(1, 3), TG_FLOAT64), -1);
  ck_assert(fabs(tg_item(tg_sum(p, TG_ALL_DIMS, false)) - 1) < 1e-15);
  ck_assert(!isnan(
      tg_get_flat(tg_log_softmax(tg_from_data(big, TG_SHAPE(3), TG_FLOAT64), 0), 0)));
  ck_assert(fabs(tg_item(tg_logsumexp(tg_from_data(big, TG_SHAPE(3), TG_FLOAT64),
                                      TG_ALL_DIMS, false)) -
                 1002.40760596444438) < 1e-9);
  tg_scope_end();
}
END_TEST

START_TEST(test_indexing_and_joining) {
  tg_scope_begin();
  tg_tensor *x = tg_reshape(tg_arange(0, 6, 1, TG_FLOAT32), TG_SHAPE(2, 3));
  int64_t pick[2] = {2, 0};
  assert_values(tg_index_select(x, 1, tg_from_data(pick, TG_SHAPE(2), TG_INT64)),
                (double[]){2, 0, 5, 3}, 4);
  int64_t g[4] = {1, 1, 0, 2};
  tg_tensor *gi = tg_from_data(g, TG_SHAPE(2, 2), TG_INT64);
  assert_values(tg_gather(x, 1, gi), (double[]){1, 1, 3, 5}, 4);
  tg_tensor *s = tg_scatter_add(tg_zeros(TG_SHAPE(2, 3), TG_FLOAT32), 1, gi,
                                tg_ones(TG_SHAPE(2, 2), TG_FLOAT32));
  assert_values(s, (double[]){0, 2, 0, 1, 0, 1}, 6);
  assert_values(tg_masked_fill(x, tg_gt_scalar(x, 3), -1), (double[]){0, 1, 2, 3, -1, -1},
                6);
  tg_tensor *parts[2] = {x, x};
  tg_assert_shape(tg_cat(parts, 2, 0), TG_SHAPE(4, 3));
  tg_assert_shape(tg_stack(parts, 2, 2), TG_SHAPE(2, 3, 2));
  assert_values(tg_where(tg_gt_scalar(x, 2), x, tg_scalar(9, TG_FLOAT32)),
                (double[]){9, 9, 9, 3, 4, 5}, 6);
  tg_scope_end();
}
END_TEST

START_TEST(test_matmul) {
  tg_scope_begin();
  tg_tensor *a = tg_reshape(tg_arange(0, 6, 1, TG_FLOAT32), TG_SHAPE(2, 3));
  tg_tensor *b = tg_reshape(tg_arange(0, 6, 1, TG_FLOAT32), TG_SHAPE(3, 2));
  assert_values(tg_matmul(a, b), (double[]){10, 13, 28, 40}, 4);
  /* a transposed view goes to BLAS as a transpose: same numbers */
  assert_values(tg_matmul(tg_t(a), tg_t(b)), (double[]){3, 9, 15, 4, 14, 24, 5, 19, 33},
                9);
  /* an expanded (stride 0) operand is copied first */
  tg_tensor *e = tg_expand(tg_ones(TG_SHAPE(1, 3), TG_FLOAT32), TG_SHAPE(2, 3));
  assert_values(tg_matmul(e, b), (double[]){6, 9, 6, 9}, 4);
  assert_values(tg_linear(a, tg_t(b), tg_ones(TG_SHAPE(2), TG_FLOAT32)),
                (double[]){11, 14, 29, 41}, 4);
  tg_assert_shape(tg_matmul(tg_zeros(TG_SHAPE(5, 1, 2, 3), TG_FLOAT32),
                            tg_zeros(TG_SHAPE(4, 3, 7), TG_FLOAT32)),
                  TG_SHAPE(5, 4, 2, 7));
  tg_assert_shape(tg_matmul(tg_zeros(TG_SHAPE(0, 3), TG_FLOAT32), b), TG_SHAPE(0, 2));
  tg_scope_end();
}
END_TEST

/* float32 products small enough for the plain-C loops (every loop order,
 * partial tiles, transposed and column-sliced operands) against float64
 * BLAS on the same numbers. */
static void check_small_product(tg_tensor *a, tg_tensor *b) {
  tg_tensor *exact = tg_matmul(tg_to(a, TG_FLOAT64), tg_to(b, TG_FLOAT64));
  tg_assert_close(tg_to(tg_matmul(a, b), TG_FLOAT64), exact, 1e-5, 1e-5, "small matmul");
}

START_TEST(test_small_matmul_loop_orders) {
  tg_scope_begin();
  tg_manual_seed(3);
  const int64_t sizes[] = {1, 2, 3, 5, 16, 17, 40};
  for (int i = 0; i < 7; i++)
    for (int j = 0; j < 7; j++)
      for (int p = 0; p < 7; p++) {
        int64_t m = sizes[i], n = sizes[j], k = sizes[p];
        tg_tensor *a = tg_randn(TG_SHAPE(m, k), TG_FLOAT32);
        tg_tensor *b = tg_randn(TG_SHAPE(k, n), TG_FLOAT32);
        check_small_product(a, b);
        check_small_product(tg_t(tg_contiguous(tg_t(a))), tg_t(tg_contiguous(tg_t(b))));
        /* a view whose rows are further apart than its width */
        tg_tensor *wide = tg_randn(TG_SHAPE(k, n + 3), TG_FLOAT32);
        check_small_product(a, tg_narrow(wide, 1, 1, n));
      }
  /* the thin layers of the lecture's moons net, forward and backward */
  tg_tensor *x = tg_randn(TG_SHAPE(16, 2), TG_FLOAT32);
  tg_tensor *w1 = tg_randn(TG_SHAPE(1000, 2), TG_FLOAT32);
  tg_tensor *h = tg_randn(TG_SHAPE(16, 1000), TG_FLOAT32);
  tg_tensor *w2 = tg_randn(TG_SHAPE(1, 1000), TG_FLOAT32);
  check_small_product(x, tg_t(w1));
  check_small_product(h, tg_t(w2));
  check_small_product(tg_t(h), x);
  tg_scope_end();
}
END_TEST

/* beta = 0 must never read the output: a recycled block full of NaN gives
 * clean products (matmul does not zero its output first). */
START_TEST(test_small_matmul_ignores_stale_output) {
  tg_scope_begin();
  tg_tensor *a = tg_ones(TG_SHAPE(4, 3), TG_FLOAT32),
            *b = tg_ones(TG_SHAPE(3, 20), TG_FLOAT32);
  for (int round = 0; round < 3; round++) {
    tg_scope_begin();
    tg_full(TG_SHAPE(4, 20), NAN, TG_FLOAT32); /* released at scope end, then reused */
    tg_scope_end();
    tg_tensor *c = tg_matmul(a, b);
    for (int64_t i = 0; i < 80; i++) ck_assert_double_eq(tg_get_flat(c, i), 3);
  }
  /* linear adds the bias to every row as it stores (also a strided bias) */
  tg_tensor *bias = tg_arange(0, 20, 1, TG_FLOAT32);
  tg_tensor *y = tg_linear(a, tg_t(b), bias);
  for (int64_t i = 0; i < 80; i++) ck_assert_double_eq(tg_get_flat(y, i), 3 + i % 20);
  tg_tensor *every_other = tg_slice(tg_arange(0, 40, 1, TG_FLOAT32), 0, 0, 40, 2);
  y = tg_linear(a, tg_t(b), every_other);
  for (int64_t i = 0; i < 80; i++)
    ck_assert_double_eq(tg_get_flat(y, i), 3 + 2 * (i % 20));
  tg_scope_end();
}
END_TEST

/* get/set_rng_state: the stream continues where it was taken, a cached
 * Box-Muller normal included; a tensor that is no state is refused. */
START_TEST(test_rng_state_round_trip) {
  tg_scope_begin();
  tg_manual_seed(5);
  tg_randn(TG_SHAPE(1), TG_FLOAT64); /* leaves the pair's second normal cached */
  tg_tensor *state = tg_get_rng_state();
  tg_assert_shape(state, TG_SHAPE(TG_RNG_STATE_SIZE));
  ck_assert(tg_rng_state_valid(state));
  tg_tensor *first = tg_randn(TG_SHAPE(3), TG_FLOAT64);
  tg_tensor *perm = tg_randperm(8);
  tg_manual_seed(99);
  tg_set_rng_state(state);
  tg_assert_close(tg_randn(TG_SHAPE(3), TG_FLOAT64), first, 0, 0, "randn after set");
  tg_assert_close(tg_randperm(8), perm, 0, 0, "randperm after set");
  ck_assert(!tg_rng_state_valid(tg_zeros(TG_SHAPE(3), TG_INT64)));
  TG_EXPECT_ERROR(tg_set_rng_state(tg_zeros(TG_SHAPE(TG_RNG_STATE_SIZE), TG_FLOAT32)),
                  "tg_set_rng_state: expected an int64 tensor of shape (628)");
  tg_tensor *bad = tg_clone(state);
  tg_set(bad, (const int64_t[]){0}, -1.0); /* not a 32-bit twister word */
  ck_assert(!tg_rng_state_valid(bad));
  tg_scope_end();
}
END_TEST

START_TEST(test_rng_is_seeded) {
  tg_scope_begin();
  tg_manual_seed(11);
  tg_tensor *a = tg_randn(TG_SHAPE(5, 3), TG_FLOAT32);
  /* torch.manual_seed(11); torch.randn((5, 3))[0] */
  tg_assert_close_data(tg_select(a, 0, 0), (double[]){0.7376, 1.9459, -0.6995}, 3, 0,
                       1e-4, "randn");
  tg_manual_seed(11);
  tg_assert_close(tg_randn(TG_SHAPE(5, 3), TG_FLOAT32), a, 0, 0, "repeat");
  tg_manual_seed(0);
  tg_assert_close_data(tg_randperm(10), (double[]){4, 1, 7, 5, 3, 9, 0, 8, 6, 2}, 10, 0,
                       0, "randperm");
  /* uniform_ and normal_ on other ranges: PyTorch's fused multiply-adds */
  tg_manual_seed(7);
  tg_tensor *u = tg_empty(TG_SHAPE(6), TG_FLOAT32);
  tg_uniform_(u, -0.7071, 0.7071);
  tg_assert_close_data(u,
                       (double[]){0.049387454986572266, -0.4259525239467621,
                                  0.22515717148780823, 0.22187422215938568,
                                  -0.37792858481407166, -0.10597816109657288},
                       6, 0, 0, "uniform_ float32");
  tg_manual_seed(7);
  tg_tensor *u64 = tg_empty(TG_SHAPE(4), TG_FLOAT64);
  tg_uniform_(u64, -3, 5);
  tg_assert_close_data(u64,
                       (double[]){-0.764956560748768, -0.8104502907858748,
                                  3.896743691341004, 2.253507444705611},
                       4, 0, 0, "uniform_ float64");
  tg_manual_seed(7);
  tg_tensor *n64 = tg_empty(TG_SHAPE(5), TG_FLOAT64);
  tg_normal_(n64, -1, 3);
  tg_assert_close_data(n64,
                       (double[]){-1.4403852924549856, 1.3584238961706072,
                                  1.840464827011869, -4.343032063783092, 4.0723703773827},
                       5, 0, 0, "normal_ float64 (scalar path)");
  tg_manual_seed(7);
  tg_tensor *n32 = tg_empty(TG_SHAPE(20), TG_FLOAT32);
  tg_normal_(n32, 2, 0.5);
  /* the vectorised path: PyTorch's SLEEF logf/cosf may differ by an ulp */
  tg_assert_close_data(tg_narrow(n32, 0, 0, 6),
                       (double[]){1.5899326801300049, 2.1978156566619873,
                                  2.4494543075561523, 1.305798053741455,
                                  2.099222421646118, 2.39103627204895},
                       6, 3e-7, 0, "normal_ float32 (vectorised path)");
  tg_tensor *r = tg_randint(3, 7, TG_SHAPE(1000));
  ck_assert(tg_item(tg_min_all(r)) == 3 && tg_item(tg_max_all(r)) == 6);
  tg_scope_end();
}
END_TEST

START_TEST(test_printing) {
  tg_scope_begin();
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  tg_tensor *x = tg_requires_grad_(
      tg_reshape(tg_arange(0, 4, 1, TG_FLOAT32), TG_SHAPE(2, 2)), false);
  tg_fprint(f, x);
  tg_tensor *w = tg_requires_grad_(tg_ones(TG_SHAPE(2), TG_FLOAT64), true);
  tg_fprint(f, w);
  tg_fprint(f, tg_mul(w, w));
  tg_fprint(f, tg_gt_scalar(w, 0));
  tg_fprint(f, tg_arange(0, 3, 1, TG_INT64));
  fclose(f);
  /* exactly what print() shows for the same tensors in PyTorch 1.13 */
  ck_assert_str_eq(buf, "tensor([[0., 1.],\n"
                        "        [2., 3.]])\n"
                        "tensor([1., 1.], dtype=torch.float64, requires_grad=True)\n"
                        "tensor([1., 1.], dtype=torch.float64, grad_fn=<MulBackward0>)\n"
                        "tensor([True, True])\n"
                        "tensor([0, 1, 2])\n");
  free(buf);
  tg_scope_end();
}
END_TEST

/* ---- scopes ---- */

START_TEST(test_scopes_release_and_keep) {
  tg_tensor *kept;
  tg_scope_begin();
  tg_tensor *tmp = tg_ones(TG_SHAPE(3), TG_FLOAT32);
  kept = tg_keep(tg_add(tmp, tmp));
  ck_assert_int_eq(tg_scope_depth(), 1);
  tg_scope_end();
  ck_assert_int_eq(kept->refcount, 1); /* the caller's reference, nothing else */
  ck_assert(tg_get_flat(kept, 0) == 2);
  tg_release(kept);
  /* nested: keep moves a result to the enclosing scope */
  tg_scope_begin();
  tg_scope_begin();
  tg_tensor *inner = tg_keep(tg_zeros(TG_SHAPE(2), TG_FLOAT32));
  tg_scope_end();
  ck_assert_int_eq(inner->refcount, 1);
  tg_scope_end();
  ck_assert_int_eq(tg_scope_depth(), 0);
}
END_TEST

START_TEST(test_scope_misuse) {
  ck_assert_int_eq(tg_scope_depth(), 0);
  TG_EXPECT_ERROR(tg_scope_end(), "tg_scope_end: no scope is open");
  ck_assert_ptr_null(tg_keep(NULL));
}
END_TEST

static long rss_kb(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (f) {
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    fclose(f);
  }
  return resident * sysconf(_SC_PAGESIZE) / 1024;
}

/* 100,000 training-like steps, one scope each: no tensor outlives its
 * step and memory stays flat. (RSS is only meaningful without ASan, whose
 * quarantine holds freed memory back on purpose.) */
START_TEST(test_training_steps_keep_rss_flat) {
  tg_manual_seed(3);
  tg_tensor *w = tg_requires_grad_(tg_randn(TG_SHAPE(4, 8), TG_FLOAT32), true);
  tg_tensor *x = tg_randn(TG_SHAPE(16, 8), TG_FLOAT32);
  int64_t live = tg_live_tensor_count();
  long before = 0;
  int steps = tg_test_iterations(100000);
  for (int step = 0; step < steps; step++) {
    tg_scope_begin();
    tg_tensor *loss = tg_mean(tg_relu(tg_linear(x, w, NULL)), TG_ALL_DIMS, false);
    tg_backward(loss, NULL, 0);
    tg_no_grad_begin();
    tg_add_(w, tg_grad(w), -1e-3);
    tg_no_grad_end();
    tg_zero_grad(w, true);
    tg_scope_end();
    if (step == steps / 100) before = rss_kb();
    ck_assert_int_eq(tg_live_tensor_count(), live);
  }
  long after = rss_kb();
  bool rss_meaningful = steps == 100000; /* not shortened for valgrind */
#ifdef __SANITIZE_ADDRESS__
  rss_meaningful = false;
#endif
  if (rss_meaningful)
    ck_assert_msg(after - before < 1024, "RSS grew from %ld kB to %ld kB", before, after);
  tg_release(w);
  tg_release(x);
}
END_TEST

/* ---- errors a user can hit ---- */

START_TEST(test_error_messages) {
  tg_scope_begin();
  tg_tensor *a = tg_zeros(TG_SHAPE(16, 2), TG_FLOAT32),
            *b = tg_zeros(TG_SHAPE(3, 4), TG_FLOAT32);
  TG_EXPECT_ERROR(tg_matmul(a, b),
                  "tg_matmul: shapes (16x2) and (3x4) cannot be multiplied");
  TG_EXPECT_ERROR(tg_add(a, b), "tg_add: shapes (16x2) and (3x4) cannot be broadcast");
  TG_EXPECT_ERROR(tg_matmul(a, tg_zeros(TG_SHAPE(2, 2), TG_FLOAT64)),
                  "tg_matmul: expected floating point operands of one dtype, got float32 "
                  "and float64");
  TG_EXPECT_ERROR(tg_linear(a, b, NULL),
                  "tg_linear: input of shape (16x2) and weight of shape (3x4)");
  TG_EXPECT_ERROR(tg_view(a, TG_SHAPE(5, -1)),
                  "tg_view: shape (5x-1) is invalid for input of size 32");
  TG_EXPECT_ERROR(tg_view(tg_t(a), TG_SHAPE(32)), "use tg_reshape instead");
  TG_EXPECT_ERROR(tg_select(a, 0, 16),
                  "tg_select: index 16 is out of range for dimension 0 with size 16");
  TG_EXPECT_ERROR(tg_get(a, (int64_t[]){0, 2}),
                  "tg_get: index 2 is out of bounds for dimension 1 with size 2");
  int64_t bad[1] = {17};
  TG_EXPECT_ERROR(tg_index_select(a, 0, tg_from_data(bad, TG_SHAPE(1), TG_INT64)),
                  "tg_index_select: index out of range in self (index 17 for dimension 0 "
                  "with size 16)");
  TG_EXPECT_ERROR(tg_index_select(a, 0, a),
                  "tg_index_select: expected an int64 index tensor, got float32");
  TG_EXPECT_ERROR(
      tg_sum(a, TG_DIMS(2), false),
      "tg_sum: dimension out of range (expected to be in range of [-2, 1], but got 2)");
  TG_EXPECT_ERROR(tg_expand(b, TG_SHAPE(2, 4)),
                  "tg_expand: the expanded size of the tensor (2) must match");
  TG_EXPECT_ERROR(
      tg_item(a),
      "tg_item: a tensor with 32 elements (shape (16x2)) cannot be converted");
  TG_EXPECT_ERROR(tg_mean(tg_zeros(TG_SHAPE(2), TG_INT64), TG_ALL_DIMS, false),
                  "tg_mean: could not infer output dtype");
  TG_EXPECT_ERROR(tg_data_f64(a), "tg_data_f64: the tensor is float32, not float64");
  TG_EXPECT_ERROR(tg_where(a, a, a), "tg_where: expected a bool condition, got float32");
  TG_EXPECT_ERROR(tg_cat((tg_tensor *[]){a, b}, 2, 0),
                  "tg_cat: sizes of tensors must match except in dimension 0");
  TG_EXPECT_ERROR(tg_zeros(TG_SHAPE(2, -3), TG_FLOAT32),
                  "negative dimension in shape (2x-3)");
  TG_EXPECT_ERROR(tg_arange(0, 1, 0, TG_FLOAT32), "tg_arange: step must be nonzero");
  TG_EXPECT_ERROR(tg_randint(5, 5, TG_SHAPE(1)), "tg_randint: expected low < high");
  TG_EXPECT_ERROR(tg_permute(b, TG_DIMS(0, 0)), "tg_permute: repeated dim 0");
  TG_EXPECT_ERROR(tg_max_all(tg_gt_scalar(a, 0)),
                  "tg_max_all: expected a numeric tensor, got bool");
  TG_EXPECT_ERROR(tg_argmax(tg_gt_scalar(a, 0), 0, false),
                  "tg_argmax: expected a numeric tensor, got bool");
  TG_EXPECT_ERROR(tg_narrow(b, 1, 2, 3),
                  "tg_narrow: start (2) + length (3) exceeds dimension size (4)");
  tg_scope_end();
}
END_TEST

/* cat and stack copy contiguous inputs of one dtype as blocks, anything
 * else element by element: both give the same tensor, along every dim. */
START_TEST(test_cat_stack_block_and_strided_paths_agree) {
  tg_scope_begin();
  tg_manual_seed(3);
  tg_tensor *a = tg_randn(TG_SHAPE(2, 3, 4), TG_FLOAT32);
  tg_tensor *b = tg_randn(TG_SHAPE(2, 3, 4), TG_FLOAT32);
  /* the same values as b, not contiguous */
  tg_tensor *b_strided = tg_transpose(tg_contiguous(tg_transpose(b, 0, 2)), 0, 2);
  ck_assert(!tg_is_contiguous(b_strided));
  for (int d = 0; d < 4; d++) {
    tg_tensor *blocks = tg_stack((tg_tensor *[]){a, b}, 2, d);
    tg_tensor *strided = tg_stack((tg_tensor *[]){a, b_strided}, 2, d);
    tg_assert_close(blocks, strided, 0, 0, "stack");
    if (d < 3) {
      tg_tensor *cat = tg_cat((tg_tensor *[]){a, b, a}, 3, d);
      tg_assert_close(cat, tg_cat((tg_tensor *[]){a, b_strided, a}, 3, d), 0, 0, "cat");
      tg_assert_close(tg_narrow(cat, d, a->shape[d], b->shape[d]), b, 0, 0, "cat part");
    }
    tg_assert_close(tg_select(blocks, d, 1), b, 0, 0, "stacked part");
  }
  /* mixed dtypes promote, empty inputs stack to an empty tensor */
  tg_tensor *mixed = tg_stack((tg_tensor *[]){a, tg_to(b, TG_FLOAT64)}, 2, 0);
  ck_assert_int_eq(mixed->dtype, TG_FLOAT64);
  tg_tensor *empty = tg_zeros(TG_SHAPE(0, 3), TG_FLOAT32);
  tg_assert_shape(tg_stack((tg_tensor *[]){empty, empty}, 2, 1), TG_SHAPE(0, 2, 3));
  tg_scope_end();
}
END_TEST

/* Large elementwise ops, reductions, softmax and cross-entropy split across
 * threads compute what one thread does, bit for bit, contiguous or not:
 * reductions cut their work into pieces by size, never by thread count. */
static tg_tensor *elementwise_mix(tg_tensor *a, tg_tensor *b) {
  tg_tensor *y = tg_add(tg_mul(tg_sigmoid(a), b), tg_exp(tg_neg(tg_abs(b))));
  y = tg_where(tg_gt(a, b), y, tg_relu(tg_sub(a, b)));
  return tg_to(tg_div_scalar(y, 3.0), TG_FLOAT64);
}

enum { THREADED_OPS = 17 };

/* a, b: rows x 1000; tall: 4200 or more rows x 40 (the column cascade's
 * whole blocks of 4096 rows, and 8 columns past its blocks of 32); logits:
 * 10 rows x 20. */
static void threaded_ops(tg_tensor **in, tg_tensor **out) {
  tg_tensor *a = in[0], *b = in[1], *tall = in[2], *logits = in[3], *target = in[4];
  int k = 0;
  out[k++] = elementwise_mix(a, b);
  out[k++] = elementwise_mix(tg_t(a), tg_t(b));
  tg_tensor *g = tg_zeros(tg_shape_of(a), TG_FLOAT32);
  tg_add_(g, a, 0.5); /* the in-place path optimizers use */
  out[k++] = g;
  out[k++] = tg_sum(a, TG_DIMS(0), false);    /* column sums */
  out[k++] = tg_sum(tall, TG_DIMS(0), false); /* long columns */
  out[k++] = tg_sum(tall, TG_ALL_DIMS, false);
  out[k++] = tg_sum(a, TG_DIMS(1), false); /* row sums */
  out[k++] = tg_sum(tg_to(tall, TG_FLOAT64), TG_DIMS(0), false);
  out[k++] = tg_mean(tall, TG_ALL_DIMS, false);
  out[k++] = tg_var(a, TG_DIMS(0), 1, false);
  tg_tensor *idx;
  out[k++] = tg_max(a, 1, false, &idx);
  out[k++] = idx;
  out[k++] = tg_argmax(tall, 0, false);
  out[k++] = tg_softmax(a, 1);
  out[k++] = tg_log_softmax(a, 0);
  tg_tensor *x = tg_requires_grad_(tg_clone(logits), true);
  tg_tensor *loss = tg_cross_entropy_loss(x, target, NULL);
  tg_backward(loss, NULL, 0);
  out[k++] = loss;
  out[k++] = tg_grad(x);
  ck_assert_int_eq(k, THREADED_OPS);
}

enum { MOST_THREADED_RESULTS = 32 };

/* run(in, out) at 1 thread, then at 2 and 3, every loop of these sizes
 * split: the n results must have the same bits. */
static void same_bits_at_any_thread_count(void (*run)(tg_tensor **, tg_tensor **),
                                          tg_tensor **in, int n, const char *label) {
  tg_tensor *one[MOST_THREADED_RESULTS], *many[MOST_THREADED_RESULTS];
  ck_assert_int_le(n, MOST_THREADED_RESULTS);
  tg_parallel_set_grain(1024);
  tg_set_num_threads(1);
  run(in, one);
  for (int threads = 2; threads <= 3; threads++) {
    tg_set_num_threads(threads);
    run(in, many);
    for (int k = 0; k < n; k++) {
      char what[64];
      snprintf(what, sizeof what, "%s %d at %d threads", label, k, threads);
      tg_assert_close(many[k], one[k], 0, 0, what);
    }
  }
  tg_set_num_threads(1);
  tg_parallel_set_grain(0);
}

START_TEST(test_threads_give_the_same_bits) {
  tg_scope_begin();
  tg_manual_seed(5);
  /* smaller under valgrind, still past one cascade block of 4096 rows */
  int64_t rows = tg_test_iterations(300), tall_rows = 4200 + tg_test_iterations(15800);
  tg_tensor *a = tg_randn(TG_SHAPE(rows, 1000), TG_FLOAT32);
  tg_tensor *b = tg_randn(TG_SHAPE(rows, 1000), TG_FLOAT32);
  tg_tensor *tall = tg_randn(TG_SHAPE(tall_rows, 40), TG_FLOAT32);
  tg_tensor *logits = tg_randn(TG_SHAPE(10 * rows, 20), TG_FLOAT32);
  tg_tensor *target = tg_randint(0, 20, TG_SHAPE(10 * rows));
  same_bits_at_any_thread_count(threaded_ops, (tg_tensor *[]){a, b, tall, logits, target},
                                THREADED_OPS, "op");
  tg_scope_end();
}
END_TEST

/* Reductions over a non-last dim split the kept positions across the
 * threads (never the reduced dim), so each output is added in the order
 * one thread adds it: the same bits at 1, 2 and 3 threads. */
enum { STRIDED_REDUCTIONS = 14 };

static void strided_reductions(tg_tensor **in, tg_tensor **out) {
  tg_tensor *a = in[0], *cube = in[1];
  int k = 0;
  tg_tensor *at = tg_t(a), *idx; /* a strided (transposed) view */
  out[k++] = tg_sum(at, TG_DIMS(0), false);
  out[k++] = tg_sum(at, TG_DIMS(1), false);
  out[k++] = tg_sum(cube, TG_DIMS(1), false); /* a middle dim */
  out[k++] = tg_mean(cube, TG_DIMS(0, 2), true);
  out[k++] = tg_sum(tg_to(a, TG_INT64), TG_DIMS(0), false);
  out[k++] = tg_max(a, 0, false, &idx);
  out[k++] = idx;
  out[k++] = tg_argmin(cube, 1, true);
  out[k++] = tg_logsumexp(a, TG_DIMS(0), false);
  out[k++] = tg_std(cube, TG_DIMS(1), 1, false);
  out[k++] = tg_var(at, TG_DIMS(0), 0, true);
  out[k++] = tg_softmax(cube, 1);
  out[k++] = tg_contiguous(at);                             /* a strided copy */
  out[k++] = tg_sub(cube, tg_mean(cube, TG_DIMS(1), true)); /* broadcast */
  ck_assert_int_eq(k, STRIDED_REDUCTIONS);
}

START_TEST(test_strided_reductions_give_the_same_bits) {
  tg_scope_begin();
  tg_manual_seed(6);
  int64_t rows = tg_test_iterations(300);
  tg_tensor *a = tg_randn(TG_SHAPE(rows, 700), TG_FLOAT32);
  tg_tensor *cube = tg_randn(TG_SHAPE(rows / 10, 50, 130), TG_FLOAT64);
  same_bits_at_any_thread_count(strided_reductions, (tg_tensor *[]){a, cube},
                                STRIDED_REDUCTIONS, "strided reduction");
  tg_scope_end();
}
END_TEST

int main(void) {
  Suite *s = suite_create("tensor");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, test_creation);
  tcase_add_test(tc, test_threads_give_the_same_bits);
  tcase_add_test(tc, test_strided_reductions_give_the_same_bits);
  tcase_add_test(tc, test_cat_stack_block_and_strided_paths_agree);
  tcase_add_test(tc, test_views_share_storage);
  tcase_add_test(tc, test_broadcasting_and_promotion);
  tcase_add_test(tc, test_reductions);
  tcase_add_test(tc, test_indexing_and_joining);
  tcase_add_test(tc, test_matmul);
  tcase_add_test(tc, test_small_matmul_loop_orders);
  tcase_add_test(tc, test_small_matmul_ignores_stale_output);
  tcase_add_test(tc, test_rng_is_seeded);
  tcase_add_test(tc, test_rng_state_round_trip);
  tcase_add_test(tc, test_printing);
  tcase_add_test(tc, test_scopes_release_and_keep);
  tcase_add_test(tc, test_scope_misuse);
  tcase_add_test(tc, test_training_steps_keep_rss_flat);
  tcase_add_test(tc, test_error_messages);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
