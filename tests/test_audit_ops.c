/* Findings of the outside-style audit in the tensor ops: each test failed
 * before its fix. PyTorch 1.13's behaviour is the reference (the values in
 * the comments are what it prints). */
#include <math.h>
#include <string.h>

#include "test_util.h"

/* torch.flip(x, (1, -1)) raises "dim 1 appears multiple times in the list
 * of dims"; flipping twice would silently return x unflipped. */
START_TEST(test_flip_refuses_a_dim_named_twice) {
  tg_scope_begin();
  tg_tensor *x = tg_reshape(tg_arange(0, 6, 1, TG_FLOAT32), TG_SHAPE(2, 3));
  TG_EXPECT_ERROR(tg_flip(x, TG_DIMS(1, -1)),
                  "tg_flip: dim 1 appears multiple times in the list of dims");
  tg_tensor *y = tg_flip(x, TG_DIMS(-1, 0));
  tg_assert_close_data(y, (double[]){5, 4, 3, 2, 1, 0}, 6, 0, 0, "flip(x, (-1, 0))");
  tg_scope_end();
}
END_TEST

/* A dim in a TG_DIMS list is an int64: 2^32 is out of range, not dim 0. */
START_TEST(test_dim_lists_are_range_checked_whole) {
  tg_scope_begin();
  tg_tensor *x = tg_ones(TG_SHAPE(2, 3), TG_FLOAT32);
  TG_EXPECT_ERROR(tg_sum(x, TG_DIMS(4294967296LL), false),
                  "tg_sum: dimension out of range (expected to be in range of [-2, 1], "
                  "but got 4294967296)");
  TG_EXPECT_ERROR(tg_flip(x, TG_DIMS(4294967297LL)), "tg_flip: dimension out of range");
  TG_EXPECT_ERROR(tg_permute(x, TG_DIMS(4294967297LL, 0)),
                  "tg_permute: dimension out of range");
  tg_scope_end();
}
END_TEST

/* A tensor with no element is contiguous whatever its strides (PyTorch's
 * rule): topk(zeros(3, 0), 0, dim=1) is an empty (3, 0) tensor, not
 * "tg_data_i64: the tensor is not contiguous". */
START_TEST(test_empty_tensors_are_contiguous) {
  tg_scope_begin();
  tg_tensor *e = tg_zeros(TG_SHAPE(3, 0), TG_FLOAT32);
  ck_assert(tg_is_contiguous(e));
  ck_assert(tg_is_contiguous(tg_zeros(TG_SHAPE(2, 0, 4), TG_FLOAT64)));
  tg_tensor *idx;
  tg_tensor *top = tg_topk(e, 0, 1, true, &idx);
  tg_assert_shape(top, TG_SHAPE(3, 0));
  tg_assert_shape(idx, TG_SHAPE(3, 0));
  tg_assert_shape(tg_sort(e, 1, false, NULL), TG_SHAPE(3, 0));
  tg_assert_shape(tg_argsort(tg_zeros(TG_SHAPE(2, 0, 4), TG_FLOAT32), 2, true),
                  TG_SHAPE(2, 0, 4));
  tg_scope_end();
}
END_TEST

/* torch.arange with dtype=int64 casts start, end and step to int64 first:
 * arange(0, 5, 1.5) is [0, 1, 2, 3, 4], arange(-2.5, 2, 1) is [-2 .. 1],
 * arange(0, 5, 0.5) has a zero step; bool is not implemented. */
START_TEST(test_integer_arange_truncates_its_arguments_first) {
  tg_scope_begin();
  tg_assert_close_data(tg_arange(0, 5, 1.5, TG_INT64), (double[]){0, 1, 2, 3, 4}, 5, 0, 0,
                       "arange(0, 5, 1.5)");
  tg_assert_close_data(tg_arange(-2.5, 2, 1, TG_INT64), (double[]){-2, -1, 0, 1}, 4, 0, 0,
                       "arange(-2.5, 2, 1)");
  tg_assert_close_data(tg_arange(5, 0, -1.5, TG_INT64), (double[]){5, 4, 3, 2, 1}, 5, 0,
                       0, "arange(5, 0, -1.5)");
  tg_assert_close_data(tg_arange(0.9, 3.9, 1, TG_INT64), (double[]){0, 1, 2}, 3, 0, 0,
                       "arange(0.9, 3.9, 1)");
  TG_EXPECT_ERROR(tg_arange(0, 5, 0.5, TG_INT64), "tg_arange: step must be nonzero");
  TG_EXPECT_ERROR(tg_arange(0, 3, 1, TG_BOOL), "not implemented for 'Bool'");
  TG_EXPECT_ERROR(tg_arange(0, 1e30, 1e29, TG_INT64), "must fit int64");
  /* floating dtypes keep the fractional step */
  tg_assert_close_data(tg_arange(0, 5, 1.5, TG_FLOAT64), (double[]){0, 1.5, 3, 4.5}, 4, 0,
                       0, "arange(0, 5, 1.5) float64");
  /* linspace computes in floating point and truncates */
  tg_assert_close_data(tg_linspace(-1, 1, 5, TG_INT64), (double[]){-1, 0, 0, 0, 1}, 5, 0,
                       0, "linspace(-1, 1, 5) int64");
  tg_scope_end();
}
END_TEST

/* In-place writes PyTorch refuses because they would compute garbage: into
 * an expanded tensor (every write of a column landed on one element:
 * ones(1, 3).expand(2, 3).add_(1) gave 3, not an error), and from a source
 * that partly overlaps the destination (b.add_(b[0]) changed b[0] while
 * reading it). Whatever the grad mode. */
START_TEST(test_inplace_writes_that_overlap_themselves_are_refused) {
  tg_scope_begin();
  tg_tensor *a = tg_ones(TG_SHAPE(1, 3), TG_FLOAT32);
  TG_EXPECT_ERROR(
      tg_add_(tg_expand(a, TG_SHAPE(2, 3)), tg_ones(TG_SHAPE(2, 3), TG_FLOAT32), 1),
      "tg_add_: unsupported operation: more than one element of the written-to "
      "tensor refers to a single memory location");
  TG_EXPECT_ERROR(tg_fill_(tg_expand(a, TG_SHAPE(4, 3)), 2.0),
                  "tg_fill_: unsupported operation: more than one element");
  tg_tensor *b = tg_arange(0, 6, 1, TG_FLOAT64);
  TG_EXPECT_ERROR(tg_add_(b, tg_select(b, 0, 0), 1),
                  "tg_add_: unsupported operation: some elements of the input tensor and "
                  "the written-to tensor refer to a single memory location");
  TG_EXPECT_ERROR(tg_copy_(tg_slice(b, 0, 1, 6, 1), tg_slice(b, 0, 0, 5, 1)),
                  "tg_copy_: unsupported operation: some elements");
  /* the same memory exactly, or none of it, is fine */
  tg_add_(b, b, 1);
  tg_copy_(tg_slice(b, 0, 0, 3, 1), tg_slice(b, 0, 3, 6, 1));
  tg_assert_close_data(b, (double[]){6, 8, 10, 6, 8, 10}, 6, 0, 0, "b");
  tg_scope_end();
}
END_TEST

/* Layers reshaped with a -1 next to a 0 ("(N, groups, -1)" for N = 0),
 * which is ambiguous, so an empty batch or a layer of 0 features failed
 * with "tg_reshape: shape (0x2x-1) is invalid for input of size 0" where
 * PyTorch returns empty results. */
START_TEST(test_layers_take_empty_batches) {
  tg_scope_begin();
  tg_tensor *x = tg_requires_grad_(tg_zeros(TG_SHAPE(0, 4, 3, 3), TG_FLOAT32), true);
  tg_tensor *y = tg_group_norm(x, 2, NULL, NULL, 1e-5);
  tg_assert_shape(y, TG_SHAPE(0, 4, 3, 3));
  tg_backward(tg_sum(y, TG_ALL_DIMS, false), NULL, 0);
  tg_assert_shape(tg_grad(x), TG_SHAPE(0, 4, 3, 3));
  /* F.linear with no output feature, on a batch of (2, 3) rows */
  tg_tensor *x3 = tg_requires_grad_(tg_ones(TG_SHAPE(2, 3, 5), TG_FLOAT64), true);
  tg_tensor *w = tg_requires_grad_(tg_zeros(TG_SHAPE(0, 5), TG_FLOAT64), true);
  tg_tensor *out = tg_linear(x3, w, NULL);
  tg_assert_shape(out, TG_SHAPE(2, 3, 0));
  tg_backward(tg_sum(out, TG_ALL_DIMS, false), NULL, 0);
  tg_assert_close_data(tg_grad(x3), (double[30]){0}, 30, 0, 0, "x.grad");
  tg_tensor *q = tg_zeros(TG_SHAPE(0, 3, 8), TG_FLOAT32);
  tg_module *mha = tg_nn_multihead_attention(8, 2, 0.0, true, true);
  tg_assert_shape(tg_mha_forward(mha, q, q, q, NULL, NULL, NULL), TG_SHAPE(0, 3, 8));
  tg_module_free(mha);
  tg_scope_end();
}
END_TEST

int main(void) {
  Suite *s = suite_create("audit_ops");
  TCase *tc = tcase_create("ops");
  tcase_add_test(tc, test_flip_refuses_a_dim_named_twice);
  tcase_add_test(tc, test_dim_lists_are_range_checked_whole);
  tcase_add_test(tc, test_empty_tensors_are_contiguous);
  tcase_add_test(tc, test_integer_arange_truncates_its_arguments_first);
  tcase_add_test(tc, test_inplace_writes_that_overlap_themselves_are_refused);
  tcase_add_test(tc, test_layers_take_empty_batches);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
