/* any, all, one_hot against PyTorch's documented results, and the errors of
 * the rearranging ops (their values and gradients are in test_ops_golden). */
#include <check.h>
#include <math.h>
#include <stdbool.h>

#include "test_util.h"

START_TEST(test_any_all) {
  tg_scope_begin();
  tg_tensor *t = tg_from_data((double[]){0, 0, 1, 0, 2, 3}, TG_SHAPE(2, 3), TG_FLOAT64);
  tg_tensor *any = tg_any(t, TG_DIMS(1), false), *all = tg_all(t, TG_DIMS(0), true);
  ck_assert_int_eq(any->dtype, TG_BOOL);
  tg_assert_shape(all, TG_SHAPE(1, 3));
  ck_assert_double_eq(tg_get_flat(any, 0), 1);
  ck_assert_double_eq(tg_get_flat(any, 1), 1);
  ck_assert_double_eq(tg_get_flat(all, 0), 0);
  ck_assert_double_eq(tg_get_flat(all, 2), 1);
  ck_assert_double_eq(tg_item(tg_all(t, TG_ALL_DIMS, false)), 0);
  ck_assert_double_eq(tg_item(tg_any(tg_zeros(TG_SHAPE(0), TG_BOOL), TG_ALL_DIMS, false)),
                      0);
  ck_assert_double_eq(tg_item(tg_all(tg_zeros(TG_SHAPE(0), TG_BOOL), TG_ALL_DIMS, false)),
                      1);
  tg_scope_end();
}
END_TEST

START_TEST(test_one_hot) {
  tg_scope_begin();
  tg_tensor *labels = tg_from_data((int64_t[]){2, 0, 1, 2}, TG_SHAPE(2, 2), TG_INT64);
  tg_tensor *h = tg_one_hot(labels, -1);
  tg_assert_shape(h, TG_SHAPE(2, 2, 3));
  ck_assert_int_eq(h->dtype, TG_INT64);
  const double want[12] = {0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1};
  tg_assert_close_data(h, want, 12, 0, 0, "one_hot");
  tg_assert_shape(tg_one_hot(labels, 5), TG_SHAPE(2, 2, 5));
  TG_EXPECT_ERROR(tg_one_hot(labels, 2),
                  "tg_one_hot: Class values must be smaller than num_classes (2), got 2");
  TG_EXPECT_ERROR(tg_one_hot(tg_neg(labels), 3),
                  "tg_one_hot: Class values must be non-negative, got -2");
  TG_EXPECT_ERROR(tg_one_hot(tg_zeros(TG_SHAPE(2), TG_FLOAT32), 3),
                  "tg_one_hot: one_hot is only applicable to index tensor (int64), got "
                  "float32");
  tg_scope_end();
}
END_TEST

START_TEST(test_errors) {
  tg_scope_begin();
  tg_tensor *x = tg_zeros(TG_SHAPE(2, 3), TG_FLOAT32), *pieces[4];
  TG_EXPECT_ERROR(tg_repeat(x, TG_SHAPE(2)),
                  "tg_repeat: number of dimensions of repeat dims (1) can not be smaller "
                  "than number of dimensions of tensor (2)");
  TG_EXPECT_ERROR(tg_repeat(x, TG_SHAPE(1, -1)),
                  "tg_repeat: repeats can not be negative, got -1 at 1");
  TG_EXPECT_ERROR(tg_tril(tg_zeros(TG_SHAPE(3), TG_FLOAT32), 0),
                  "tg_tril: input tensor must have at least 2 dimensions, got 1");
  TG_EXPECT_ERROR(tg_split(x, 0, 1, pieces, 4),
                  "tg_split: split_size can only be 0 if dimension size is 0");
  TG_EXPECT_ERROR(tg_split(x, 1, 1, pieces, 2),
                  "tg_split: 3 pieces of size 1 along dim 1 do not fit in 2 outputs");
  TG_EXPECT_ERROR(tg_chunk(x, 0, 0, pieces),
                  "tg_chunk: chunk expects `chunks` to be greater than 0, got 0");
  TG_EXPECT_ERROR(tg_bmm(x, x), "tg_bmm: expected (b, n, m) and (b, m, p) tensors, got "
                                "(2x3) and (2x3)");
  TG_EXPECT_ERROR(tg_topk(x, 4, 1, true, NULL),
                  "tg_topk: k (4) out of range for a dim of size 3");
  TG_EXPECT_ERROR(tg_cumsum(x, 2), "tg_cumsum");
  /* chunk gives fewer pieces than asked when the sizes round up */
  ck_assert_int_eq(tg_chunk(tg_zeros(TG_SHAPE(6), TG_FLOAT32), 4, 0, pieces), 3);
  /* sort puts NaN last ascending and keeps ties in order */
  tg_tensor *v = tg_from_data((double[]){NAN, 1, 0, 1}, TG_SHAPE(4), TG_FLOAT64), *idx;
  tg_tensor *s = tg_sort(v, 0, false, &idx);
  ck_assert_double_eq(tg_get_flat(idx, 0), 2);
  ck_assert_double_eq(tg_get_flat(idx, 1), 1);
  ck_assert_double_eq(tg_get_flat(idx, 2), 3);
  ck_assert(isnan(tg_get_flat(s, 3)));
  tg_tensor *c =
      tg_cumsum(tg_from_data((bool[]){true, false, true}, TG_SHAPE(3), TG_BOOL), 0);
  ck_assert_int_eq(c->dtype, TG_INT64);
  ck_assert_double_eq(tg_get_flat(c, 2), 2);
  tg_scope_end();
}
END_TEST

int main(void) {
  Suite *s = suite_create("ops_arrange");
  TCase *tc = tcase_create("arrange");
  tcase_add_test(tc, test_any_all);
  tcase_add_test(tc, test_one_hot);
  tcase_add_test(tc, test_errors);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
