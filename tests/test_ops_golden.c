/* Forward values and gradients of the tensor ops against PyTorch 1.13
 * (tests/golden/ops.py writes ops.txt): for each case the output and the
 * gradient of sum(output * w), w = linspace(-1, 1), in float32 (1e-5) and
 * float64 (1e-10). */
#include <stdio.h>

#include "test_util.h"

typedef tg_tensor *(*case_fn)(tg_tensor **x);

static tg_tensor *idx(tg_shape shape, const int64_t *values) {
  return tg_from_data(values, shape, TG_INT64);
}

#define CASE(name, body)                                                                 \
  static tg_tensor *case_##name(tg_tensor **x) {                                         \
    return body;                                                                         \
  }

CASE(add, tg_add(x[0], x[1]))
CASE(sub, tg_sub(x[0], x[1]))
CASE(mul, tg_mul(x[0], x[1]))
CASE(div, tg_div(x[0], x[1]))
CASE(pow, tg_pow(x[0], x[1]))
CASE(maximum, tg_maximum(x[0], x[1]))
CASE(minimum, tg_minimum(x[0], x[1]))
CASE(add_scalar, tg_add_scalar(x[0], 2.5))
CASE(rsub_scalar, tg_rsub_scalar(x[0], 1.5))
CASE(mul_scalar, tg_mul_scalar(x[0], -3.0))
CASE(div_scalar, tg_div_scalar(x[0], 4.0))
CASE(pow_scalar, tg_pow_scalar(x[0], 2.5))
CASE(neg, tg_neg(x[0]))
CASE(exp, tg_exp(x[0]))
CASE(log, tg_log(x[0]))
CASE(log1p, tg_log1p(x[0]))
CASE(sqrt, tg_sqrt(x[0]))
CASE(abs, tg_abs(x[0]))
CASE(sigmoid, tg_sigmoid(x[0]))
CASE(tanh, tg_tanh(x[0]))
CASE(relu, tg_relu(x[0]))
CASE(leaky_relu, tg_leaky_relu(x[0], 0.2))
CASE(clamp, tg_clamp(x[0], -0.5, 1.0))
CASE(sin, tg_sin(x[0]))
CASE(cos, tg_cos(x[0]))
CASE(floor, tg_floor(x[0]))
CASE(ceil, tg_ceil(x[0]))
CASE(round, tg_add(tg_div_scalar(tg_round(tg_mul_scalar(x[0], 2)), 2), tg_round(x[0])))
CASE(silu, tg_silu(x[0]))
CASE(softplus, tg_softplus(x[0], 1, 20))
CASE(softplus_beta, tg_softplus(x[0], 2, 1.5))
CASE(elu, tg_elu(x[0], 0.7))
CASE(hardtanh, tg_hardtanh(x[0], -0.5, 1.0))
CASE(cumsum, tg_cumsum(x[0], 1))
CASE(cumsum_dim0, tg_cumsum(x[0], 0))
CASE(flip, tg_flip(x[0], TG_DIMS(0, 2)))
CASE(repeat, tg_repeat(x[0], TG_SHAPE(2, 1, 3)))
CASE(tril, tg_tril(x[0], -1))
CASE(triu, tg_triu(x[0], 1))
CASE(bmm, tg_bmm(x[0], x[1]))
CASE(sort, tg_sort(x[0], 1, true, NULL))
CASE(sort_idx,
     tg_add(tg_mul_scalar(x[0], 0), tg_to(tg_argsort(x[0], 0, false), x[0]->dtype)))
CASE(topk, tg_topk(x[0], 3, 1, true, NULL))
CASE(topk_smallest, tg_topk(x[0], 2, 0, false, NULL))

/* The pieces scaled by 1, 2, 3 and joined again, as ops.py does. */
static tg_tensor *scaled_pieces(tg_tensor **pieces, int n, int dim) {
  for (int i = 0; i < n; i++) pieces[i] = tg_mul_scalar(pieces[i], i + 1);
  return tg_cat(pieces, n, dim);
}
static tg_tensor *case_chunk(tg_tensor **x) {
  tg_tensor *pieces[3];
  return scaled_pieces(pieces, tg_chunk(x[0], 3, 0, pieces), 0);
}
static tg_tensor *case_split(tg_tensor **x) {
  tg_tensor *pieces[3];
  return scaled_pieces(pieces, tg_split(x[0], 3, 1, pieces, 3), 1);
}
CASE(sum_all, tg_sum(x[0], TG_ALL_DIMS, false))
CASE(sum_dim, tg_sum(x[0], TG_DIMS(0, 2), false))
CASE(sum_keepdim, tg_sum(x[0], TG_DIMS(1), true))
CASE(mean, tg_mean(x[0], TG_DIMS(0), false))
CASE(var, tg_var(x[0], TG_DIMS(1), 1, false))
CASE(var_pop, tg_var(x[0], TG_DIMS(1), 0, false))
CASE(std, tg_std(x[0], TG_ALL_DIMS, 1, false))
CASE(logsumexp, tg_logsumexp(x[0], TG_DIMS(1), false))
CASE(max_dim, tg_max(x[0], 1, false, NULL))
CASE(min_dim, tg_min(x[0], 0, true, NULL))
CASE(max_all, tg_max_all(x[0]))
CASE(softmax, tg_softmax(x[0], -1))
CASE(softmax_dim0, tg_softmax(x[0], 0))
CASE(log_softmax, tg_log_softmax(x[0], 1))
CASE(matmul_2d, tg_matmul(x[0], x[1]))
CASE(matmul_vec, tg_matmul(x[0], x[1]))
CASE(matmul_mv, tg_matmul(x[0], x[1]))
CASE(matmul_dot, tg_matmul(x[0], x[1]))
CASE(matmul_batched, tg_matmul(x[0], x[1]))
CASE(matmul_t, tg_matmul(tg_t(x[0]), x[1]))
CASE(linear, tg_linear(x[0], x[1], x[2]))
CASE(transpose, tg_mul_scalar(tg_transpose(x[0], 0, 2), 1.0))
CASE(permute, tg_mul_scalar(tg_permute(x[0], TG_DIMS(1, 2, 0)), 1.0))
CASE(reshape, tg_reshape(x[0], TG_SHAPE(4, 6)))
CASE(expand, tg_mul_scalar(tg_expand(x[0], TG_SHAPE(2, 3, 4)), 1.0))
CASE(narrow, tg_narrow(x[0], 1, 1, 3))
CASE(slice_step, tg_slice(x[0], 1, 1, 5, 2))
CASE(select, tg_select(x[0], 0, 1))
CASE(index_select, tg_index_select(x[0], 0, idx(TG_SHAPE(3), (int64_t[]){2, 0, 2})))
CASE(gather, tg_gather(x[0], 1, idx(TG_SHAPE(3, 2), (int64_t[]){0, 3, 1, 1, 2, 0})))
CASE(scatter_add,
     tg_scatter_add(x[0], 1, idx(TG_SHAPE(3, 2), (int64_t[]){0, 3, 1, 1, 2, 0}), x[1]))
CASE(masked_fill, tg_masked_fill(x[0], tg_gt_scalar(x[0], 0.5), -1.0))
CASE(where, tg_where(tg_gt_scalar(x[0], 0), x[0], x[1]))
CASE(cat, tg_cat(x, 2, 1))
CASE(stack, tg_stack(x, 2, 1))
CASE(chain, tg_mean(tg_exp(tg_sum(tg_tanh(tg_matmul(x[0], x[1])), TG_DIMS(1), false)),
                    TG_ALL_DIMS, false))

#define ENTRY(name)                                                                      \
  { #name, case_##name }
static const struct {
  const char *name;
  case_fn fn;
} cases[] = {
    ENTRY(add),
    ENTRY(sub),
    ENTRY(mul),
    ENTRY(div),
    ENTRY(pow),
    ENTRY(maximum),
    ENTRY(minimum),
    ENTRY(add_scalar),
    ENTRY(rsub_scalar),
    ENTRY(mul_scalar),
    ENTRY(div_scalar),
    ENTRY(pow_scalar),
    ENTRY(neg),
    ENTRY(exp),
    ENTRY(log),
    ENTRY(log1p),
    ENTRY(sqrt),
    ENTRY(abs),
    ENTRY(sigmoid),
    ENTRY(tanh),
    ENTRY(relu),
    ENTRY(leaky_relu),
    ENTRY(clamp),
    ENTRY(sin),
    ENTRY(cos),
    ENTRY(floor),
    ENTRY(ceil),
    ENTRY(round),
    ENTRY(silu),
    ENTRY(softplus),
    ENTRY(softplus_beta),
    ENTRY(elu),
    ENTRY(hardtanh),
    ENTRY(cumsum),
    ENTRY(cumsum_dim0),
    ENTRY(flip),
    ENTRY(repeat),
    ENTRY(tril),
    ENTRY(triu),
    ENTRY(chunk),
    ENTRY(split),
    ENTRY(bmm),
    ENTRY(sort),
    ENTRY(sort_idx),
    ENTRY(topk),
    ENTRY(topk_smallest),
    ENTRY(sum_all),
    ENTRY(sum_dim),
    ENTRY(sum_keepdim),
    ENTRY(mean),
    ENTRY(var),
    ENTRY(var_pop),
    ENTRY(std),
    ENTRY(logsumexp),
    ENTRY(max_dim),
    ENTRY(min_dim),
    ENTRY(max_all),
    ENTRY(softmax),
    ENTRY(softmax_dim0),
    ENTRY(log_softmax),
    ENTRY(matmul_2d),
    ENTRY(matmul_vec),
    ENTRY(matmul_mv),
    ENTRY(matmul_dot),
    ENTRY(matmul_batched),
    ENTRY(matmul_t),
    ENTRY(linear),
    ENTRY(transpose),
    ENTRY(permute),
    ENTRY(reshape),
    ENTRY(expand),
    ENTRY(narrow),
    ENTRY(slice_step),
    ENTRY(select),
    ENTRY(index_select),
    ENTRY(gather),
    ENTRY(scatter_add),
    ENTRY(masked_fill),
    ENTRY(where),
    ENTRY(cat),
    ENTRY(stack),
    ENTRY(chain),
};

static tg_golden *golden;

static void run_case(int c, tg_dtype dtype) {
  const char *name = cases[c].name, *tag = dtype == TG_FLOAT32 ? "f32" : "f64";
  double rtol = dtype == TG_FLOAT32 ? 1e-5 : 1e-10,
         atol = dtype == TG_FLOAT32 ? 1e-6 : 1e-12;
  char key[128];
  tg_scope_begin();
  tg_tensor *x[4];
  int n = 0;
  for (; n < 4; n++) {
    snprintf(key, sizeof key, "%s.x%d", name, n);
    if (!tg_golden_has(golden, key)) break;
    x[n] = tg_requires_grad_(tg_golden_tensor(golden, key, dtype), true);
  }
  tg_tensor *y = cases[c].fn(x);
  snprintf(key, sizeof key, "%s.%s.y", name, tag);
  tg_assert_close(y, tg_golden_tensor(golden, key, TG_FLOAT64), rtol, atol, key);
  tg_tensor *w = tg_reshape(tg_linspace(-1, 1, tg_numel(y), dtype), tg_shape_of(y));
  tg_backward(tg_sum(tg_mul(y, w), TG_ALL_DIMS, false), NULL, 0);
  for (int i = 0; i < n; i++) {
    snprintf(key, sizeof key, "%s.%s.g%d", name, tag, i);
    ck_assert_msg(tg_grad(x[i]) != NULL, "%s: no gradient", key);
    tg_assert_close(tg_grad(x[i]), tg_golden_tensor(golden, key, TG_FLOAT64), rtol, atol,
                    key);
  }
  tg_scope_end();
}

START_TEST(test_float64) {
  golden = tg_golden_load("golden/ops.txt");
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
    run_case((int)c, TG_FLOAT64);
  tg_golden_free(golden);
}
END_TEST

START_TEST(test_float32) {
  golden = tg_golden_load("golden/ops.txt");
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
    run_case((int)c, TG_FLOAT32);
  tg_golden_free(golden);
}
END_TEST

/* float32 column sums (a bias gradient over the batch) add in PyTorch's
 * cascaded order: the same bits, not just close. */
START_TEST(test_column_sums_bit_for_bit) {
  golden = tg_golden_load("golden/ops.txt");
  const char *shapes[] = {"16x200", "100x40", "600x12", "7x33"};
  for (int i = 0; i < 4; i++) {
    char key[64];
    tg_scope_begin();
    snprintf(key, sizeof key, "colsum_%s.x", shapes[i]);
    tg_tensor *x = tg_golden_tensor(golden, key, TG_FLOAT32);
    snprintf(key, sizeof key, "colsum_%s.sum", shapes[i]);
    tg_assert_close(tg_sum(x, TG_DIMS(0), false),
                    tg_golden_tensor(golden, key, TG_FLOAT32), 0, 0, key);
    tg_scope_end();
  }
  tg_golden_free(golden);
}
END_TEST

int main(void) {
  Suite *s = suite_create("ops_golden");
  TCase *tc = tcase_create("pytorch");
  tcase_add_test(tc, test_float64);
  tcase_add_test(tc, test_float32);
  tcase_add_test(tc, test_column_sums_bit_for_bit);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
