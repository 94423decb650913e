/* The audit's PyTorch parity cases (tests/golden/audit_parity.py): type
 * promotion, negative dims and keepdim, empty dims, NaN and infinity,
 * non-contiguous inputs to each op family, integer and rounding edge
 * cases. Each case rebuilds its inputs from the golden file in their
 * dtypes, runs the same call, and compares the output (values, shape and
 * dtype) and the gradient of sum(y * w) for each floating input with
 * PyTorch's: float64 to 1e-10, float32 to 1e-5; NaN must be NaN. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "parity_runner.h"

static tg_tensor *idx(int64_t a, int64_t b, int64_t c) {
  return tg_from_data((int64_t[]){a, b, c}, TG_SHAPE(3), TG_INT64);
}

/* ---- the calls, in the script's order ---- */
static tg_tensor *c_add(tg_tensor *const *x) {
  return tg_add(x[0], x[1]);
}
static tg_tensor *c_mul(tg_tensor *const *x) {
  return tg_mul(x[0], x[1]);
}
static tg_tensor *c_div(tg_tensor *const *x) {
  return tg_div(x[0], x[1]);
}
static tg_tensor *c_sub_15(tg_tensor *const *x) {
  return tg_sub_scalar(x[0], 1.5);
}
static tg_tensor *c_mul_3(tg_tensor *const *x) {
  return tg_mul_scalar(x[0], 3);
}
static tg_tensor *c_pow_2(tg_tensor *const *x) {
  return tg_pow_scalar(x[0], 2);
}
static tg_tensor *c_maximum(tg_tensor *const *x) {
  return tg_maximum(x[0], x[1]);
}
static tg_tensor *c_where(tg_tensor *const *x) {
  return tg_where(x[0], x[1], x[2]);
}
static tg_tensor *c_eq(tg_tensor *const *x) {
  return tg_eq(x[0], x[1]);
}
static tg_tensor *c_lt(tg_tensor *const *x) {
  return tg_lt(x[0], x[1]);
}
static tg_tensor *c_sum_1(tg_tensor *const *x) {
  return tg_sum(x[0], TG_DIMS(1), false);
}
static tg_tensor *c_cumsum_last(tg_tensor *const *x) {
  return tg_cumsum(x[0], -1);
}
static tg_tensor *c_cumsum_0(tg_tensor *const *x) {
  return tg_cumsum(x[0], 0);
}
static tg_tensor *c_exp(tg_tensor *const *x) {
  return tg_exp(x[0]);
}
static tg_tensor *c_abs(tg_tensor *const *x) {
  return tg_abs(x[0]);
}
static tg_tensor *c_clamp_m1_4(tg_tensor *const *x) {
  return tg_clamp(x[0], -1, 4);
}
static tg_tensor *c_max_last(tg_tensor *const *x) {
  return tg_max(x[0], -1, false, NULL);
}
static tg_tensor *c_argmax_0(tg_tensor *const *x) {
  return tg_argmax(x[0], 0, false);
}
static tg_tensor *c_to_int(tg_tensor *const *x) {
  return tg_to(x[0], TG_INT64);
}
static tg_tensor *c_to_bool(tg_tensor *const *x) {
  return tg_to(x[0], TG_BOOL);
}
static tg_tensor *c_sum_neg_keep(tg_tensor *const *x) {
  return tg_sum(x[0], TG_DIMS(-1, 0), true);
}
static tg_tensor *c_mean_neg(tg_tensor *const *x) {
  return tg_mean(x[0], TG_DIMS(-2), false);
}
static tg_tensor *c_var_list_keep(tg_tensor *const *x) {
  return tg_var(x[0], TG_DIMS(0, 2), 1, true);
}
static tg_tensor *c_std_pop_neg(tg_tensor *const *x) {
  return tg_std(x[0], TG_DIMS(-1), 0, false);
}
static tg_tensor *c_logsumexp_list(tg_tensor *const *x) {
  return tg_logsumexp(x[0], TG_DIMS(-1, -3), false);
}
static tg_tensor *c_max_neg_keep(tg_tensor *const *x) {
  return tg_max(x[0], -2, true, NULL);
}
static tg_tensor *c_min_last(tg_tensor *const *x) {
  return tg_min(x[0], -1, false, NULL);
}
static tg_tensor *c_argmin_keep(tg_tensor *const *x) {
  return tg_argmin(x[0], -1, true);
}
static tg_tensor *c_softmax_neg3(tg_tensor *const *x) {
  return tg_softmax(x[0], -3);
}
static tg_tensor *c_log_softmax_0(tg_tensor *const *x) {
  return tg_log_softmax(x[0], 0);
}
static tg_tensor *c_cumsum_neg2(tg_tensor *const *x) {
  return tg_cumsum(x[0], -2);
}
static tg_tensor *c_var_0(tg_tensor *const *x) {
  return tg_var(x[0], TG_DIMS(0), 1, false);
}
static tg_tensor *c_sum_0(tg_tensor *const *x) {
  return tg_sum(x[0], TG_DIMS(0), false);
}
static tg_tensor *c_mean_0(tg_tensor *const *x) {
  return tg_mean(x[0], TG_DIMS(0), false);
}
static tg_tensor *c_logsumexp_0(tg_tensor *const *x) {
  return tg_logsumexp(x[0], TG_DIMS(0), false);
}
static tg_tensor *c_max_1(tg_tensor *const *x) {
  return tg_max(x[0], 1, false, NULL);
}
static tg_tensor *c_matmul(tg_tensor *const *x) {
  return tg_matmul(x[0], x[1]);
}
static tg_tensor *c_cat_0(tg_tensor *const *x) {
  return tg_cat(x, 2, 0);
}
static tg_tensor *c_argmax_1(tg_tensor *const *x) {
  return tg_argmax(x[0], 1, false);
}
static tg_tensor *c_min_0(tg_tensor *const *x) {
  return tg_min(x[0], 0, false, NULL);
}
static tg_tensor *c_max_all(tg_tensor *const *x) {
  return tg_max_all(x[0]);
}
static tg_tensor *c_sort_1(tg_tensor *const *x) {
  return tg_sort(x[0], 1, false, NULL);
}
static tg_tensor *c_sort_1_desc(tg_tensor *const *x) {
  return tg_sort(x[0], 1, true, NULL);
}
static tg_tensor *c_argsort_1(tg_tensor *const *x) {
  return tg_argsort(x[0], 1, false);
}
static tg_tensor *c_topk_2(tg_tensor *const *x) {
  return tg_topk(x[0], 2, 1, true, NULL);
}
static tg_tensor *c_clamp_nan(tg_tensor *const *x) {
  return tg_clamp(x[0], -0.5, 2.0);
}
static tg_tensor *c_relu(tg_tensor *const *x) {
  return tg_relu(x[0]);
}
static tg_tensor *c_logsumexp_1(tg_tensor *const *x) {
  return tg_logsumexp(x[0], TG_DIMS(1), false);
}
static tg_tensor *c_softmax_1(tg_tensor *const *x) {
  return tg_softmax(x[0], 1);
}
static tg_tensor *c_log_softmax_1(tg_tensor *const *x) {
  return tg_log_softmax(x[0], 1);
}
static tg_tensor *c_sigmoid(tg_tensor *const *x) {
  return tg_sigmoid(x[0]);
}
static tg_tensor *c_tanh(tg_tensor *const *x) {
  return tg_tanh(x[0]);
}
static tg_tensor *c_log1p(tg_tensor *const *x) {
  return tg_log1p(x[0]);
}
static tg_tensor *c_add_transposed(tg_tensor *const *x) {
  return tg_add(tg_t(x[0]), x[1]);
}
static tg_tensor *c_mul_stepped(tg_tensor *const *x) {
  return tg_mul(tg_slice(x[0], 1, 1, 8, 3), tg_slice(x[0], 1, 0, 8, 3));
}
static tg_tensor *c_exp_expanded(tg_tensor *const *x) {
  return tg_exp(tg_expand(x[0], TG_SHAPE(3, 4)));
}
static tg_tensor *c_sum_transposed(tg_tensor *const *x) {
  return tg_sum(tg_t(x[0]), TG_DIMS(1), false);
}
static tg_tensor *c_max_stepped(tg_tensor *const *x) {
  return tg_max(tg_slice(tg_slice(x[0], 0, 0, 4, 2), 1, 1, 7, 2), 0, false, NULL);
}
static tg_tensor *c_softmax_transposed(tg_tensor *const *x) {
  return tg_softmax(tg_t(x[0]), -1);
}
static tg_tensor *c_matmul_transposed(tg_tensor *const *x) {
  return tg_matmul(tg_t(x[0]), tg_t(x[1]));
}
static tg_tensor *c_matmul_expanded(tg_tensor *const *x) {
  return tg_matmul(tg_expand(x[0], TG_SHAPE(2, 3, 4)), x[1]);
}
static tg_tensor *c_cumsum_stepped(tg_tensor *const *x) {
  return tg_cumsum(tg_slice(x[0], 0, 0, 6, 2), 0);
}
static tg_tensor *c_sort_transposed(tg_tensor *const *x) {
  return tg_sort(tg_t(x[0]), 1, false, NULL);
}
static tg_tensor *c_gather_transposed(tg_tensor *const *x) {
  int64_t index[] = {0, 3, 1, 1, 2, 0};
  return tg_gather(tg_t(x[0]), 1, tg_from_data(index, TG_SHAPE(3, 2), TG_INT64));
}
static tg_tensor *c_index_select_stepped(tg_tensor *const *x) {
  return tg_index_select(tg_slice(x[0], 1, 0, 8, 2), 1, idx(3, 0, 3));
}
static tg_tensor *c_where_expanded(tg_tensor *const *x) {
  return tg_where(tg_gt_scalar(x[0], 0), tg_expand(x[0], TG_SHAPE(3, 4)), x[1]);
}
static tg_tensor *c_cat_transposed(tg_tensor *const *x) {
  return tg_cat((tg_tensor *[]){tg_t(x[0]), tg_t(x[1])}, 2, 1);
}
static tg_tensor *c_linear_transposed(tg_tensor *const *x) {
  return tg_linear(tg_t(x[0]), tg_t(tg_t(x[1])), x[2]);
}
static tg_tensor *c_var_stepped(tg_tensor *const *x) {
  return tg_var(tg_slice(x[0], 1, 0, 9, 2), TG_DIMS(1), 1, false);
}
static tg_tensor *c_logsumexp_transposed(tg_tensor *const *x) {
  return tg_logsumexp(tg_t(x[0]), TG_DIMS(0), false);
}
static tg_tensor *c_cross_entropy_transposed(tg_tensor *const *x) {
  return tg_cross_entropy_loss(tg_t(x[0]), x[1], NULL);
}
static tg_tensor *c_mse_expanded(tg_tensor *const *x) {
  return tg_mse_loss(tg_expand(x[0], TG_SHAPE(4, 3)), x[1], NULL);
}
static tg_tensor *c_pow(tg_tensor *const *x) {
  return tg_pow(x[0], x[1]);
}
static tg_tensor *c_pow_3(tg_tensor *const *x) {
  return tg_pow_scalar(x[0], 3.0);
}
static tg_tensor *c_round(tg_tensor *const *x) {
  return tg_round(x[0]);
}
static tg_tensor *c_floor_ceil(tg_tensor *const *x) {
  return tg_add(tg_floor(x[0]), tg_ceil(x[0]));
}
static tg_tensor *c_one_hot(tg_tensor *const *x) {
  return tg_one_hot(x[0], 4);
}
static tg_tensor *c_arange_int(tg_tensor *const *x) {
  (void)x;
  return tg_arange(0, 5, 1.5, TG_INT64);
}
static tg_tensor *c_linspace_int(tg_tensor *const *x) {
  (void)x;
  return tg_linspace(-1, 1, 5, TG_INT64);
}

static tg_tensor *c_leaky_relu(tg_tensor *const *x) {
  return tg_leaky_relu(x[0], 0.1);
}
static tg_tensor *c_minimum(tg_tensor *const *x) {
  return tg_minimum(x[0], x[1]);
}

static tg_tensor *c_clamp_frac(tg_tensor *const *x) {
  return tg_clamp(x[0], -1.5, 2.5);
}
static tg_tensor *c_add_1e20(tg_tensor *const *x) {
  return tg_add_scalar(x[0], 1e20);
}
static tg_tensor *c_mul_inf(tg_tensor *const *x) {
  return tg_mul_scalar(x[0], INFINITY);
}
static tg_tensor *c_pow_1e20(tg_tensor *const *x) {
  return tg_pow_scalar(x[0], 1e20);
}

static tg_tensor *c_clamp_boundary(tg_tensor *const *x) {
  return tg_clamp(x[0], -0.5, 1.0);
}
static tg_tensor *c_hardtanh_boundary(tg_tensor *const *x) {
  return tg_hardtanh(x[0], -0.5, 1.0);
}
static tg_tensor *c_leaky_relu_02(tg_tensor *const *x) {
  return tg_leaky_relu(x[0], 0.2);
}
static tg_tensor *c_elu_07(tg_tensor *const *x) {
  return tg_elu(x[0], 0.7);
}
static tg_tensor *c_sqrt(tg_tensor *const *x) {
  return tg_sqrt(x[0]);
}
static tg_tensor *c_std_1(tg_tensor *const *x) {
  return tg_std(x[0], TG_DIMS(1), 1, false);
}
static tg_tensor *c_log(tg_tensor *const *x) {
  return tg_log(x[0]);
}

static const tg_parity_case cases[] = {
    {"add_int_f32", c_add},
    {"add_bool_int", c_add},
    {"mul_bool_f64", c_mul},
    {"add_f32_f64", c_add},
    {"div_int_int", c_div},
    {"sub_int_scalar_float", c_sub_15},
    {"mul_int_scalar_int", c_mul_3},
    {"pow_int_scalar", c_pow_2},
    {"maximum_int_f32", c_maximum},
    {"where_int_f64", c_where},
    {"eq_int_f32", c_eq},
    {"lt_bool_int", c_lt},
    {"sum_bool", c_sum_1},
    {"cumsum_bool", c_cumsum_last},
    {"cumsum_int", c_cumsum_0},
    {"exp_int", c_exp},
    {"abs_int", c_abs},
    {"clamp_int", c_clamp_m1_4},
    {"clamp_int_fraction", c_clamp_frac},
    {"add_int_huge_scalar", c_add_1e20},
    {"mul_int_inf", c_mul_inf},
    {"pow_int_huge", c_pow_1e20},
    {"max_int_dim", c_max_last},
    {"argmax_int", c_argmax_0},
    {"to_int_truncates", c_to_int},
    {"to_bool", c_to_bool},
    {"sum_neg_keep", c_sum_neg_keep},
    {"mean_neg", c_mean_neg},
    {"var_list_keep", c_var_list_keep},
    {"std_pop_neg", c_std_pop_neg},
    {"logsumexp_list", c_logsumexp_list},
    {"max_neg_keep", c_max_neg_keep},
    {"min_neg", c_min_last},
    {"argmin_keep", c_argmin_keep},
    {"softmax_neg3", c_softmax_neg3},
    {"log_softmax_0", c_log_softmax_0},
    {"cumsum_neg", c_cumsum_neg2},
    {"var_single", c_var_0},
    {"sum_empty", c_sum_0},
    {"mean_empty", c_mean_0},
    {"logsumexp_empty", c_logsumexp_0},
    {"max_empty_other", c_max_1},
    {"matmul_empty_inner", c_matmul},
    {"cat_with_empty", c_cat_0},
    {"broadcast_empty", c_add},
    {"max_nan", c_max_1},
    {"argmax_nan", c_argmax_1},
    {"min_nan_dim0", c_min_0},
    {"max_all_nan", c_max_all},
    {"sort_nan", c_sort_1},
    {"sort_nan_desc", c_sort_1_desc},
    {"argsort_nan", c_argsort_1},
    {"topk_nan", c_topk_2},
    {"leaky_relu_nan", c_leaky_relu},
    {"minimum_nan", c_minimum},
    {"clamp_nan", c_clamp_nan},
    {"maximum_nan", c_maximum},
    {"relu_nan", c_relu},
    {"logsumexp_inf", c_logsumexp_1},
    {"softmax_masked_row", c_softmax_1},
    {"log_softmax_masked", c_log_softmax_1},
    {"sigmoid_inf", c_sigmoid},
    {"tanh_big", c_tanh},
    {"log1p_small", c_log1p},
    {"clamp_boundary", c_clamp_boundary},
    {"hardtanh_boundary", c_hardtanh_boundary},
    {"relu_at_zero", c_relu},
    {"leaky_relu_at_zero", c_leaky_relu_02},
    {"elu_at_zero", c_elu_07},
    {"abs_at_zero", c_abs},
    {"sqrt_at_zero", c_sqrt},
    {"max_dim_ties", c_max_1},
    {"max_all_ties", c_max_all},
    {"sort_ties_grad", c_sort_1},
    {"std_constant", c_std_1},
    {"pow_zero_base_grad", c_pow},
    {"log_at_zero", c_log},
    {"add_transposed", c_add_transposed},
    {"mul_stepped", c_mul_stepped},
    {"exp_expanded", c_exp_expanded},
    {"sum_transposed", c_sum_transposed},
    {"max_stepped", c_max_stepped},
    {"softmax_transposed", c_softmax_transposed},
    {"matmul_transposed", c_matmul_transposed},
    {"matmul_expanded", c_matmul_expanded},
    {"cumsum_stepped", c_cumsum_stepped},
    {"sort_transposed", c_sort_transposed},
    {"gather_transposed", c_gather_transposed},
    {"index_select_stepped", c_index_select_stepped},
    {"where_expanded", c_where_expanded},
    {"cat_transposed", c_cat_transposed},
    {"linear_transposed", c_linear_transposed},
    {"var_stepped", c_var_stepped},
    {"logsumexp_transposed", c_logsumexp_transposed},
    {"cross_entropy_transposed", c_cross_entropy_transposed},
    {"mse_expanded", c_mse_expanded},
    {"pow_zero_zero", c_pow},
    {"pow_negative_base", c_pow_3},
    {"round_half_even", c_round},
    {"floor_ceil_neg", c_floor_ceil},
    {"div_by_zero", c_div},
    {"int_div_by_zero", c_div},
    {"one_hot", c_one_hot},
    {"arange_int_frac", c_arange_int},
    {"linspace_int", c_linspace_int},
};

int main(void) {
  return tg_test_run(tg_parity_suite("audit_parity",
                                     TG_TEST_DIR "/golden/audit_parity.txt", cases,
                                     (int)(sizeof cases / sizeof cases[0])));
}
