/* How each differentiable op is gradchecked: the op, a call with fixed
 * extra arguments, the shapes of its inputs and the range they are drawn
 * from. One entry per op object; test_gradcheck_ops.c fails when the
 * library defines an op object that has no entry here. */
#include <math.h>

#include "op_table.h"

/* The op objects (the library does not export them from its headers). */
extern const tg_op tg_op_clone, tg_op_to, tg_op_add, tg_op_sub, tg_op_mul, tg_op_div,
    tg_op_pow, tg_op_maximum, tg_op_minimum, tg_op_neg, tg_op_exp, tg_op_log, tg_op_log1p,
    tg_op_sqrt, tg_op_abs, tg_op_sigmoid, tg_op_tanh, tg_op_relu, tg_op_leaky_relu,
    tg_op_clamp, tg_op_pow_scalar, tg_op_sum, tg_op_var, tg_op_std, tg_op_max_all,
    tg_op_min_all, tg_op_max, tg_op_min, tg_op_softmax, tg_op_log_softmax, tg_op_view,
    tg_op_permute, tg_op_expand, tg_op_slice, tg_op_slice_backward, tg_op_index_select,
    tg_op_gather, tg_op_scatter_add, tg_op_where, tg_op_cat, tg_op_mm, tg_op_linear,
    tg_op_unfold, tg_op_fold, tg_op_max_pool2d, tg_op_binary_cross_entropy,
    tg_op_cross_entropy, tg_op_add_inplace, tg_op_mul_inplace, tg_op_fill_inplace,
    tg_op_zero_inplace, tg_op_copy_inplace, tg_op_normal_inplace, tg_op_uniform_inplace,
    tg_op_set_inplace, tg_op_erf, tg_op_sin, tg_op_cos, tg_op_floor, tg_op_ceil,
    tg_op_round, tg_op_silu, tg_op_softplus, tg_op_elu, tg_op_hardtanh, tg_op_cumsum;
extern const tg_op tg_op_convolution, tg_op_conv_input_grad, tg_op_conv_weight_grad;
extern const tg_op tg_op_lstm_layer, tg_op_gelu, tg_op_layer_norm, tg_op_masked_softmax;
extern const tg_op tg_op_batch_norm;
extern const tg_op tg_op_heads_attention;
/* nn/'s private entry of MultiheadAttention's heads as one op (nn/nn_internal.h) */
tg_tensor *tg_nn_heads_attention(tg_tensor *q, tg_tensor *k, tg_tensor *v, int64_t heads,
                                 tg_tensor *mask, bool batch_major);
/* nn/'s private entry of the fused LSTM layer (nn/nn_internal.h) */
tg_tensor *tg_nn_lstm_layer(tg_tensor *xw, tg_tensor *h0, tg_tensor *c0, tg_tensor *w_hh,
                            tg_tensor *b_hh, bool reverse);
extern const tg_op tg_op_max_pool2d_backward, tg_op_adaptive_max_pool2d, tg_op_avg_pool2d,
    tg_op_adaptive_avg_pool2d, tg_op_avg_pool2d_backward,
    tg_op_adaptive_max_pool2d_backward, tg_op_adaptive_avg_pool2d_backward;

#define OP(name) .op = &tg_op_##name, .symbol = "tg_op_" #name

/* ---- the calls ---- */

static tg_tensor *apply_clone(tg_tensor *const *x) {
  return tg_clone(x[0]);
}
static tg_tensor *apply_to(tg_tensor *const *x) {
  return tg_to(tg_to(x[0], TG_FLOAT32), TG_FLOAT64);
}
static tg_tensor *apply_add(tg_tensor *const *x) {
  return tg_add(x[0], x[1]);
}
static tg_tensor *apply_sub(tg_tensor *const *x) {
  return tg_sub(x[0], x[1]);
}
static tg_tensor *apply_mul(tg_tensor *const *x) {
  return tg_mul(x[0], x[1]);
}
static tg_tensor *apply_div(tg_tensor *const *x) {
  return tg_div(x[0], x[1]);
}
static tg_tensor *apply_pow(tg_tensor *const *x) {
  return tg_pow(x[0], x[1]);
}
static tg_tensor *apply_maximum(tg_tensor *const *x) {
  return tg_maximum(x[0], x[1]);
}
static tg_tensor *apply_minimum(tg_tensor *const *x) {
  return tg_minimum(x[0], x[1]);
}
static tg_tensor *apply_neg(tg_tensor *const *x) {
  return tg_neg(x[0]);
}
static tg_tensor *apply_exp(tg_tensor *const *x) {
  return tg_exp(x[0]);
}
static tg_tensor *apply_log(tg_tensor *const *x) {
  return tg_log(x[0]);
}
static tg_tensor *apply_log1p(tg_tensor *const *x) {
  return tg_log1p(x[0]);
}
static tg_tensor *apply_sqrt(tg_tensor *const *x) {
  return tg_sqrt(x[0]);
}
static tg_tensor *apply_abs(tg_tensor *const *x) {
  return tg_abs(x[0]);
}
static tg_tensor *apply_sigmoid(tg_tensor *const *x) {
  return tg_sigmoid(x[0]);
}
static tg_tensor *apply_tanh(tg_tensor *const *x) {
  return tg_tanh(x[0]);
}
static tg_tensor *apply_erf(tg_tensor *const *x) {
  return tg_erf(x[0]);
}
static tg_tensor *apply_relu(tg_tensor *const *x) {
  return tg_relu(x[0]);
}
static tg_tensor *apply_sin(tg_tensor *const *x) {
  return tg_sin(x[0]);
}
static tg_tensor *apply_cos(tg_tensor *const *x) {
  return tg_cos(x[0]);
}
static tg_tensor *apply_floor(tg_tensor *const *x) {
  return tg_floor(x[0]);
}
static tg_tensor *apply_ceil(tg_tensor *const *x) {
  return tg_ceil(x[0]);
}
static tg_tensor *apply_round(tg_tensor *const *x) {
  return tg_round(x[0]);
}
static tg_tensor *apply_silu(tg_tensor *const *x) {
  return tg_silu(x[0]);
}
static tg_tensor *apply_softplus(tg_tensor *const *x) {
  return tg_softplus(x[0], 2, 1.5);
}
static tg_tensor *apply_elu(tg_tensor *const *x) {
  return tg_elu(x[0], 0.7);
}
static tg_tensor *apply_hardtanh(tg_tensor *const *x) {
  return tg_hardtanh(x[0], -1, 0.5);
}
static tg_tensor *apply_cumsum(tg_tensor *const *x) {
  return tg_cumsum(x[0], -1);
}
static tg_tensor *apply_leaky_relu(tg_tensor *const *x) {
  return tg_leaky_relu(x[0], 0.1);
}
static tg_tensor *apply_clamp(tg_tensor *const *x) {
  return tg_clamp(x[0], -1, 1);
}
static tg_tensor *apply_pow_scalar(tg_tensor *const *x) {
  return tg_pow_scalar(x[0], 2.5);
}
static tg_tensor *apply_sum(tg_tensor *const *x) {
  return tg_sum(x[0], TG_DIMS(1), false);
}
static tg_tensor *apply_var(tg_tensor *const *x) {
  return tg_var(x[0], TG_DIMS(1), 1, false);
}
/* a constant row: PyTorch's backward masks the 0 / 0 to 0 there */
static tg_tensor *apply_std(tg_tensor *const *x) {
  tg_scope_begin();
  tg_tensor *rows =
      tg_cat((tg_tensor *[]){x[0], tg_zeros(TG_SHAPE(1, 4), TG_FLOAT64)}, 2, 0);
  return tg_scope_return(tg_std(rows, TG_DIMS(-1), 1, true));
}
static tg_tensor *apply_max_all(tg_tensor *const *x) {
  return tg_max_all(x[0]);
}
static tg_tensor *apply_min_all(tg_tensor *const *x) {
  return tg_min_all(x[0]);
}
static tg_tensor *apply_max(tg_tensor *const *x) {
  return tg_max(x[0], 1, false, NULL);
}
static tg_tensor *apply_min(tg_tensor *const *x) {
  return tg_min(x[0], 0, true, NULL);
}
static tg_tensor *apply_softmax(tg_tensor *const *x) {
  return tg_softmax(x[0], 1);
}
static tg_tensor *apply_log_softmax(tg_tensor *const *x) {
  return tg_log_softmax(x[0], -1);
}
static tg_tensor *apply_view(tg_tensor *const *x) {
  return tg_reshape(x[0], TG_SHAPE(4, -1));
}
static tg_tensor *apply_permute(tg_tensor *const *x) {
  return tg_permute(x[0], TG_DIMS(2, 0, 1));
}
static tg_tensor *apply_expand(tg_tensor *const *x) {
  return tg_expand(x[0], TG_SHAPE(2, 3, 4));
}
static tg_tensor *apply_slice(tg_tensor *const *x) {
  return tg_slice(x[0], 1, 1, 4, 2);
}
/* slice_backward is slice's gradient: x[0] scattered into a (3, 5) zero
 * tensor. It is reached through a recorded backward of slice, so the tape
 * is on for it even while gradcheck evaluates without one. */
static tg_tensor *apply_slice_backward(tg_tensor *const *x) {
  tg_scope_begin();
  bool mode = tg_set_grad_enabled(true);
  tg_tensor *base = tg_requires_grad_(tg_zeros(TG_SHAPE(3, 5), TG_FLOAT64), true);
  tg_tensor *grad;
  tg_autograd_grad(tg_slice(base, 1, 1, 4, 2), x[0], 1, &base, &grad, TG_CREATE_GRAPH);
  tg_set_grad_enabled(mode);
  return tg_scope_return(mode ? grad : tg_detach(grad));
}
static tg_tensor *apply_index_select(tg_tensor *const *x) {
  int64_t idx[4] = {2, 0, 2, 1};
  tg_scope_begin();
  return tg_scope_return(
      tg_index_select(x[0], 0, tg_from_data(idx, TG_SHAPE(4), TG_INT64)));
}
static tg_tensor *apply_gather(tg_tensor *const *x) {
  int64_t idx[6] = {0, 3, 1, 1, 2, 0};
  tg_scope_begin();
  return tg_scope_return(tg_gather(x[0], 1, tg_from_data(idx, TG_SHAPE(3, 2), TG_INT64)));
}
static tg_tensor *apply_scatter_add(tg_tensor *const *x) {
  int64_t idx[6] = {0, 3, 1, 1, 2, 0};
  tg_scope_begin();
  tg_tensor *index = tg_from_data(idx, TG_SHAPE(3, 2), TG_INT64);
  return tg_scope_return(tg_scatter_add(x[0], 1, index, x[1]));
}
static tg_tensor *apply_where(tg_tensor *const *x) {
  tg_scope_begin();
  return tg_scope_return(tg_where(tg_gt_scalar(x[0], 0), x[0], x[1]));
}
static tg_tensor *apply_cat(tg_tensor *const *x) {
  return tg_cat(x, 2, 1);
}
static tg_tensor *apply_mm(tg_tensor *const *x) {
  return tg_matmul(x[0], x[1]);
}
static tg_tensor *apply_linear(tg_tensor *const *x) {
  return tg_linear(x[0], x[1], x[2]);
}
/* In-place writes on a non-leaf (x * 1), recorded by rebasing its grad_fn;
 * the random fills reseed so the function is deterministic. */
static tg_tensor *written(tg_tensor *x) {
  return tg_mul_scalar(x, 1.0);
}
static tg_tensor *apply_add_inplace(tg_tensor *const *x) {
  tg_tensor *y = written(x[0]);
  tg_add_(y, x[1], -0.5);
  return y;
}
static tg_tensor *apply_mul_inplace(tg_tensor *const *x) {
  tg_tensor *y = written(x[0]);
  tg_mul_scalar_(y, 3.0);
  return y;
}
static tg_tensor *apply_fill_inplace(tg_tensor *const *x) {
  tg_tensor *y = written(x[0]);
  tg_fill_(y, 2.0);
  return tg_mul(y, x[0]);
}
static tg_tensor *apply_zero_inplace(tg_tensor *const *x) {
  tg_tensor *y = written(x[0]);
  tg_zero_(y);
  return tg_add(y, x[0]);
}
static tg_tensor *apply_copy_inplace(tg_tensor *const *x) {
  tg_tensor *y = written(x[0]);
  tg_copy_(y, x[1]);
  return tg_mul(y, x[0]);
}
static tg_tensor *apply_normal_inplace(tg_tensor *const *x) {
  tg_tensor *y = written(x[0]);
  tg_manual_seed(3);
  tg_normal_(y, 0, 1);
  return tg_mul(y, x[0]);
}
static tg_tensor *apply_uniform_inplace(tg_tensor *const *x) {
  tg_tensor *y = written(x[0]);
  tg_manual_seed(3);
  tg_uniform_(y, -1, 1);
  return tg_mul(y, x[0]);
}
static tg_tensor *apply_set_inplace(tg_tensor *const *x) {
  tg_tensor *y = written(x[0]);
  tg_set(y, (int64_t[]){1, 0}, 5.0);
  return tg_mul(y, x[0]);
}
static tg_tensor *apply_unfold(tg_tensor *const *x) {
  return tg_unfold(x[0], 2, 2, 1);
}
/* fold to 3x4 with k=2, s=1, p=1: 4x5 windows of 2 channels x 2x2 */
static tg_tensor *apply_fold(tg_tensor *const *x) {
  return tg_fold(x[0], 3, 4, 2, 1, 1);
}
/* Three convolutions by the input's shape: conv2d with groups 2, unequal
 * strides, paddings and dilations; conv1d with padding='same' (1 before,
 * 2 after); depthwise conv2d 'same' with an even kernel width (0, 1). */
static tg_tensor *apply_convolution(tg_tensor *const *x) {
  tg_conv_opts same = {.padding_rule = TG_PADDING_SAME, .groups = x[1]->shape[0]};
  if (x[0]->ndim == 3)
    return tg_conv1d(x[0], x[1], x[2], &(tg_conv_opts){.padding_rule = TG_PADDING_SAME});
  if (x[1]->shape[1] == 1) return tg_conv2d(x[0], x[1], x[2], &same);
  tg_conv_opts o = {.stride = {2, 1}, .padding = {1, 0}, .dilation = {1, 2}, .groups = 2};
  return tg_conv2d(x[0], x[1], x[2], &o);
}
/* The convolution's two backward products as ops of their own (the first
 * case above: x (2, 4, 5, 6), w (4, 2, 2, 3), output (2, 4, 3, 2)). */
static tg_tensor *conv_grad_of(tg_tensor *x, tg_tensor *w, tg_tensor *gout, int wrt) {
  tg_scope_begin();
  bool mode = tg_set_grad_enabled(true);
  tg_tensor *leaf =
      tg_requires_grad_(tg_zeros(tg_shape_of(wrt ? w : x), TG_FLOAT64), true);
  tg_tensor *grad;
  tg_conv_opts o = {.stride = {2, 1}, .padding = {1, 0}, .dilation = {1, 2}, .groups = 2};
  tg_tensor *y = tg_conv2d(wrt ? x : leaf, wrt ? leaf : w, NULL, &o);
  tg_autograd_grad(y, gout, 1, &leaf, &grad, TG_CREATE_GRAPH);
  tg_set_grad_enabled(mode);
  return tg_scope_return(mode ? grad : tg_detach(grad));
}
static tg_tensor *apply_conv_input_grad(tg_tensor *const *x) {
  tg_scope_begin();
  tg_tensor *x_shape = tg_zeros(TG_SHAPE(2, 4, 5, 6), TG_FLOAT64);
  return tg_scope_return(conv_grad_of(x_shape, x[1], x[0], 0));
}
static tg_tensor *apply_conv_weight_grad(tg_tensor *const *x) {
  tg_scope_begin();
  tg_tensor *w_shape = tg_zeros(TG_SHAPE(4, 2, 2, 3), TG_FLOAT64);
  return tg_scope_return(conv_grad_of(x[0], w_shape, x[1], 1));
}
/* Every option at once: rectangular windows, strides and padding,
 * dilation along W, ceil_mode. */
static const tg_pool_opts max_pool_sweep = {.kernel_size = {3, 2},
                                            .stride = {2, 1},
                                            .padding = {1, 1},
                                            .dilation = {1, 2},
                                            .ceil_mode = true};
static const tg_pool_opts avg_pool_sweep = {.kernel_size = {3, 2},
                                            .stride = {2, 1},
                                            .padding = {1, 1},
                                            .ceil_mode = true,
                                            .no_count_include_pad = true};
static tg_tensor *apply_max_pool2d(tg_tensor *const *x) {
  return tg_max_pool2d(x[0], &max_pool_sweep, NULL);
}
static tg_tensor *apply_adaptive_max_pool2d(tg_tensor *const *x) {
  return tg_adaptive_max_pool2d(x[0], 3, 4, NULL);
}
static tg_tensor *apply_avg_pool2d(tg_tensor *const *x) {
  return tg_avg_pool2d(x[0], &avg_pool_sweep);
}
static tg_tensor *apply_adaptive_avg_pool2d(tg_tensor *const *x) {
  return tg_adaptive_avg_pool2d(x[0], 3, 4);
}
/* The pooling backward ops are reached through a recorded backward of the
 * pooling of a fixed (2, 2, 5, 6) input with distinct values, x[0] being
 * the gradient of the output. */
static tg_tensor *pooling_gradient(tg_tensor *(*pool)(tg_tensor *), tg_tensor *g) {
  tg_scope_begin();
  bool mode = tg_set_grad_enabled(true);
  tg_tensor *base = tg_sin(tg_mul_scalar(tg_arange(0, 120, 1, TG_FLOAT64), 1.7));
  base = tg_requires_grad_(tg_reshape(base, TG_SHAPE(2, 2, 5, 6)), true);
  tg_tensor *grad;
  tg_autograd_grad(pool(base), g, 1, &base, &grad, TG_CREATE_GRAPH);
  tg_set_grad_enabled(mode);
  return tg_scope_return(mode ? grad : tg_detach(grad));
}
static tg_tensor *max_pool_sweep_of(tg_tensor *x) {
  return tg_max_pool2d(x, &max_pool_sweep, NULL);
}
static tg_tensor *avg_pool_sweep_of(tg_tensor *x) {
  return tg_avg_pool2d(x, &avg_pool_sweep);
}
static tg_tensor *adaptive_max_pool_of(tg_tensor *x) {
  return tg_adaptive_max_pool2d(x, 3, 4, NULL);
}
static tg_tensor *adaptive_avg_pool_of(tg_tensor *x) {
  return tg_adaptive_avg_pool2d(x, 3, 4);
}
static tg_tensor *apply_adaptive_max_pool2d_backward(tg_tensor *const *x) {
  return pooling_gradient(adaptive_max_pool_of, x[0]);
}
static tg_tensor *apply_adaptive_avg_pool2d_backward(tg_tensor *const *x) {
  return pooling_gradient(adaptive_avg_pool_of, x[0]);
}
static tg_tensor *apply_max_pool2d_backward(tg_tensor *const *x) {
  return pooling_gradient(max_pool_sweep_of, x[0]);
}
static tg_tensor *apply_avg_pool2d_backward(tg_tensor *const *x) {
  return pooling_gradient(avg_pool_sweep_of, x[0]);
}
static tg_tensor *apply_binary_cross_entropy(tg_tensor *const *x) {
  tg_loss_opts opts = {TG_NONE};
  return tg_bce_loss(x[0], x[1], &opts);
}
/* Every reduction at once, on targets with an ignored row, so one gradcheck
 * covers the three backward paths. */
/* x[1], x[2] = weight and bias, of the normalised shape */
static tg_tensor *apply_layer_norm(tg_tensor *const *x) {
  return tg_layer_norm(x[0], tg_shape_of(x[1]), x[1], x[2], 1e-5);
}
/* x[1], x[2] = weight and bias, per channel: training (batch statistics)
 * plus eval (fixed running statistics), so one check covers both */
static tg_tensor *apply_batch_norm(tg_tensor *const *x) {
  int64_t c = x[1]->shape[0];
  tg_scope_begin();
  tg_tensor *running_mean = tg_mul_scalar(tg_arange(0, (double)c, 1, TG_FLOAT64), 0.3);
  tg_tensor *running_var = tg_add_scalar(running_mean, 0.5);
  tg_tensor *train = tg_batch_norm(x[0], NULL, NULL, x[1], x[2], true, 0.1, 1e-5);
  tg_tensor *eval =
      tg_batch_norm(x[0], running_mean, running_var, x[1], x[2], false, 0.1, 1e-5);
  return tg_scope_return(tg_add(train, eval));
}
/* attention under an additive float mask (a causal one, and one that
 * only shifts), which the softmax op adds itself */
static tg_tensor *apply_masked_softmax(tg_tensor *const *x) {
  int64_t L = x[0]->shape[x[0]->ndim - 2], S = x[1]->shape[x[1]->ndim - 2];
  tg_scope_begin();
  tg_tensor *mask = tg_zeros(TG_SHAPE(L, S), TG_FLOAT64);
  for (int64_t i = 0; i < L; i++)
    for (int64_t j = 0; j < S; j++)
      tg_set(mask, (int64_t[]){i, j}, j > i ? -INFINITY : 0.25 * (double)(i - j));
  tg_tensor *y = tg_scaled_dot_product_attention(x[0], x[1], x[2], mask, 0, false);
  return tg_scope_return(y);
}
/* x[0] = a packed (L, N, 3E) projection, x[1], x[2] = k, v (N, S, E): two
 * heads of self-attention on x[0] (time-major, a causal mask that also
 * shifts) and of cross-attention from x[0]'s q (batch-major, no mask) */
static tg_tensor *apply_heads_attention(tg_tensor *const *x) {
  int64_t L = x[0]->shape[0], E = x[1]->shape[2];
  tg_scope_begin();
  tg_tensor *mask = tg_zeros(TG_SHAPE(L, L), TG_FLOAT64);
  for (int64_t i = 0; i < L; i++)
    for (int64_t j = 0; j < L; j++)
      tg_set(mask, (int64_t[]){i, j}, j > i ? -INFINITY : 0.5 * (double)(i - j));
  tg_tensor *self = tg_nn_heads_attention(x[0], NULL, NULL, 2, mask, false);
  tg_tensor *q = tg_transpose(tg_narrow(x[0], -1, 0, E), 0, 1);
  tg_tensor *cross = tg_nn_heads_attention(q, x[1], x[2], 2, NULL, true);
  tg_tensor *both[2] = {tg_flatten(self, 0, -1), tg_flatten(cross, 0, -1)};
  return tg_scope_return(tg_cat(both, 2, 0));
}
static tg_tensor *apply_gelu(tg_tensor *const *x) {
  return tg_gelu(x[0], false);
}
/* x[0..4] = xw, h0, c0, w_hh, b_hh: forwards, backwards and without bias */
static tg_tensor *apply_lstm_layer(tg_tensor *const *x) {
  tg_scope_begin();
  tg_tensor *runs[3] = {tg_nn_lstm_layer(x[0], x[1], x[2], x[3], x[4], false),
                        tg_nn_lstm_layer(x[0], x[1], x[2], x[3], x[4], true),
                        tg_nn_lstm_layer(x[0], x[1], x[2], x[3], NULL, false)};
  return tg_scope_return(tg_cat(runs, 3, 0));
}
static tg_tensor *apply_cross_entropy(tg_tensor *const *x) {
  int64_t n = x[0]->shape[0], c = x[0]->shape[1];
  tg_scope_begin();
  tg_tensor *target = tg_empty(TG_SHAPE(n), TG_INT64);
  int64_t *t = tg_data_i64(target);
  for (int64_t i = 0; i < n; i++) t[i] = i == 1 ? -100 : (3 * i + 1) % c;
  tg_tensor *parts[3];
  for (int r = TG_MEAN; r <= TG_NONE; r++) {
    tg_loss_opts opts = {
        .reduction = (tg_reduction)r, .has_ignore_index = true, .ignore_index = -100};
    parts[r] = tg_reshape(tg_cross_entropy_loss(x[0], target, &opts), TG_SHAPE(-1));
  }
  return tg_scope_return(tg_cat(parts, 3, 0));
}

/* ---- the shapes ---- */

/* elementwise unary ops: a matrix and a 3-D tensor */
#define UNARY_SHAPES .n_shapes = 2, .shapes = {{TG_SHAPE(3, 4)}, {TG_SHAPE(2, 3, 2)}}
/* binary ops: equal, broadcast against a row, and both sides broadcast */
#define BINARY_SHAPES                                                                    \
  .n_shapes = 3, .shapes = {                                                             \
                     {TG_SHAPE(3, 4), TG_SHAPE(3, 4)},                                   \
                     {TG_SHAPE(3, 4), TG_SHAPE(4)},                                      \
                     {TG_SHAPE(3, 1), TG_SHAPE(1, 4)},                                   \
  }
/* reductions along a dim: a matrix and a 3-D tensor */
#define REDUCE_SHAPES .n_shapes = 2, .shapes = {{TG_SHAPE(3, 4)}, {TG_SHAPE(2, 3, 4)}}

const op_case op_table[] = {
    /* conversions */
    {OP(clone), .apply = apply_clone, .n_inputs = 1, .n_shapes = 1,
     .shapes = {{TG_SHAPE(3, 4)}}, .low = -1, .high = 1},
    /* The round trip through float32 is linear, so a large step keeps
     * float32 rounding out of the finite differences. */
    {OP(to), .apply = apply_to, .n_inputs = 1, .n_shapes = 1,
     .shapes = {{TG_SHAPE(2, 3)}}, .low = -1, .high = 1, .eps = 1e-2},

    /* binary elementwise */
    {OP(add), .apply = apply_add, .n_inputs = 2, BINARY_SHAPES, .low = -2, .high = 2},
    {OP(sub), .apply = apply_sub, .n_inputs = 2, BINARY_SHAPES, .low = -2, .high = 2},
    {OP(mul), .apply = apply_mul, .n_inputs = 2, BINARY_SHAPES, .low = -2, .high = 2,
     .second_order = true},
    {OP(div), .apply = apply_div, .n_inputs = 2, BINARY_SHAPES, .low = -2, .high = 2,
     .min_abs = 0.5, .second_order = true},
    {OP(pow), .apply = apply_pow, .n_inputs = 2, BINARY_SHAPES, .low = 0.5, .high = 2,
     .second_order = true},
    {OP(maximum), .apply = apply_maximum, .n_inputs = 2, BINARY_SHAPES, .low = -2,
     .high = 2},
    {OP(minimum), .apply = apply_minimum, .n_inputs = 2, BINARY_SHAPES, .low = -2,
     .high = 2},

    /* unary elementwise */
    {OP(neg), .apply = apply_neg, .n_inputs = 1, UNARY_SHAPES, .low = -2, .high = 2},
    {OP(exp), .apply = apply_exp, .n_inputs = 1, UNARY_SHAPES, .low = -2, .high = 2,
     .second_order = true},
    {OP(log), .apply = apply_log, .n_inputs = 1, UNARY_SHAPES, .low = 0.5, .high = 2,
     .second_order = true},
    {OP(log1p), .apply = apply_log1p, .n_inputs = 1, UNARY_SHAPES, .low = -0.5, .high = 2,
     .second_order = true},
    {OP(sqrt), .apply = apply_sqrt, .n_inputs = 1, UNARY_SHAPES, .low = 0.5, .high = 2,
     .second_order = true},
    {OP(abs), .apply = apply_abs, .n_inputs = 1, UNARY_SHAPES, .low = -2, .high = 2,
     .min_abs = 0.1},
    {OP(sigmoid), .apply = apply_sigmoid, .n_inputs = 1, UNARY_SHAPES, .low = -3,
     .high = 3, .second_order = true},
    {OP(tanh), .apply = apply_tanh, .n_inputs = 1, UNARY_SHAPES, .low = -2, .high = 2,
     .second_order = true},
    {OP(erf), .apply = apply_erf, .n_inputs = 1, UNARY_SHAPES, .low = -2, .high = 2,
     .second_order = true},
    {OP(relu), .apply = apply_relu, .n_inputs = 1, UNARY_SHAPES, .low = -2, .high = 2,
     .min_abs = 0.1},
    {OP(leaky_relu), .apply = apply_leaky_relu, .n_inputs = 1, UNARY_SHAPES, .low = -2,
     .high = 2, .min_abs = 0.1},
    {OP(clamp), .apply = apply_clamp, .n_inputs = 1, UNARY_SHAPES, .low = -2, .high = 2},
    {OP(pow_scalar), .apply = apply_pow_scalar, .n_inputs = 1, UNARY_SHAPES, .low = 0.5,
     .high = 2, .second_order = true},
    {OP(sin), .apply = apply_sin, .n_inputs = 1, UNARY_SHAPES, .low = -3, .high = 3,
     .second_order = true},
    {OP(cos), .apply = apply_cos, .n_inputs = 1, UNARY_SHAPES, .low = -3, .high = 3,
     .second_order = true},
    /* the steps away from the integers (and round from the halves) */
    {OP(floor), .apply = apply_floor, .n_inputs = 1, UNARY_SHAPES, .low = 0.1,
     .high = 0.9},
    {OP(ceil), .apply = apply_ceil, .n_inputs = 1, UNARY_SHAPES, .low = 0.1, .high = 0.9},
    {OP(round), .apply = apply_round, .n_inputs = 1, UNARY_SHAPES, .low = 0.1,
     .high = 0.4},
    {OP(silu), .apply = apply_silu, .n_inputs = 1, UNARY_SHAPES, .low = -3, .high = 3,
     .second_order = true},
    {OP(softplus), .apply = apply_softplus, .n_inputs = 1, UNARY_SHAPES, .low = -2,
     .high = 2, .second_order = true},
    {OP(elu), .apply = apply_elu, .n_inputs = 1, UNARY_SHAPES, .low = -2, .high = 2,
     .min_abs = 0.1, .second_order = true},
    {OP(cumsum), .apply = apply_cumsum, .n_inputs = 1, UNARY_SHAPES, .low = -2, .high = 2,
     .second_order = true},
    {OP(hardtanh), .apply = apply_hardtanh, .n_inputs = 1, UNARY_SHAPES, .low = -2,
     .high = 2},

    /* reductions */
    {OP(sum), .apply = apply_sum, .n_inputs = 1, REDUCE_SHAPES, .low = -2, .high = 2},
    {OP(max_all), .apply = apply_max_all, .n_inputs = 1, .n_shapes = 1,
     .shapes = {{TG_SHAPE(3, 4)}}, .low = -2, .high = 2},
    {OP(min_all), .apply = apply_min_all, .n_inputs = 1, .n_shapes = 1,
     .shapes = {{TG_SHAPE(3, 4)}}, .low = -2, .high = 2},
    {OP(var), .apply = apply_var, .n_inputs = 1, REDUCE_SHAPES, .low = -2, .high = 2,
     .second_order = true},
    {OP(std), .apply = apply_std, .n_inputs = 1, .n_shapes = 1,
     .shapes = {{TG_SHAPE(3, 4)}}, .low = -2, .high = 2, .second_order = true},
    {OP(max), .apply = apply_max, .n_inputs = 1, REDUCE_SHAPES, .low = -2, .high = 2},
    {OP(min), .apply = apply_min, .n_inputs = 1, REDUCE_SHAPES, .low = -2, .high = 2},
    {OP(softmax), .apply = apply_softmax, .n_inputs = 1, .n_shapes = 2,
     .shapes = {{TG_SHAPE(3, 4)}, {TG_SHAPE(2, 3, 2)}}, .low = -2, .high = 2,
     .second_order = true},
    {OP(log_softmax), .apply = apply_log_softmax, .n_inputs = 1, .n_shapes = 2,
     .shapes = {{TG_SHAPE(3, 4)}, {TG_SHAPE(2, 3, 2)}}, .low = -2, .high = 2,
     .second_order = true},

    /* views */
    {OP(view), .apply = apply_view, .n_inputs = 1, .n_shapes = 1,
     .shapes = {{TG_SHAPE(2, 3, 2)}}, .low = -2, .high = 2},
    {OP(permute), .apply = apply_permute, .n_inputs = 1, .n_shapes = 1,
     .shapes = {{TG_SHAPE(2, 3, 4)}}, .low = -2, .high = 2},
    {OP(expand), .apply = apply_expand, .n_inputs = 1, .n_shapes = 1,
     .shapes = {{TG_SHAPE(3, 1)}}, .low = -2, .high = 2},
    {OP(slice), .apply = apply_slice, .n_inputs = 1, .n_shapes = 1,
     .shapes = {{TG_SHAPE(3, 5)}}, .low = -2, .high = 2},
    {OP(slice_backward), .apply = apply_slice_backward, .n_inputs = 1, .n_shapes = 1,
     .shapes = {{TG_SHAPE(3, 2)}}, .low = -2, .high = 2},

    /* indexing and joining */
    {OP(index_select), .apply = apply_index_select, .n_inputs = 1, .n_shapes = 1,
     .shapes = {{TG_SHAPE(3, 4)}}, .low = -2, .high = 2},
    {OP(gather), .apply = apply_gather, .n_inputs = 1, .n_shapes = 1,
     .shapes = {{TG_SHAPE(3, 4)}}, .low = -2, .high = 2},
    {OP(scatter_add), .apply = apply_scatter_add, .n_inputs = 2, .n_shapes = 1,
     .shapes = {{TG_SHAPE(3, 4), TG_SHAPE(3, 2)}}, .low = -2, .high = 2},
    {OP(where), .apply = apply_where, .n_inputs = 2, .n_shapes = 2,
     .shapes = {{TG_SHAPE(3, 4), TG_SHAPE(3, 4)}, {TG_SHAPE(3, 4), TG_SHAPE(4)}},
     .low = -2, .high = 2, .min_abs = 0.1},
    {OP(cat), .apply = apply_cat, .n_inputs = 2, .n_shapes = 1,
     .shapes = {{TG_SHAPE(3, 2), TG_SHAPE(3, 4)}}, .low = -2, .high = 2},

    /* products */
    {OP(mm), .apply = apply_mm, .n_inputs = 2, .n_shapes = 3,
     .shapes = {{TG_SHAPE(3, 4), TG_SHAPE(4, 2)},
                {TG_SHAPE(2, 3, 4), TG_SHAPE(4, 2)},
                {TG_SHAPE(2, 1, 2, 3), TG_SHAPE(3, 3, 2)}},
     .low = -2, .high = 2, .second_order = true},
    {OP(linear), .apply = apply_linear, .n_inputs = 3, .n_shapes = 2,
     .shapes = {{TG_SHAPE(5, 3), TG_SHAPE(4, 3), TG_SHAPE(4)},
                {TG_SHAPE(2, 2, 3), TG_SHAPE(2, 3), TG_SHAPE(2)}},
     .low = -2, .high = 2, .second_order = true},

    /* nn: convolution windows, pooling, losses */
    {OP(unfold), .apply = apply_unfold, .n_inputs = 1, .n_shapes = 2,
     .shapes = {{TG_SHAPE(2, 2, 3, 3)}, {TG_SHAPE(1, 3, 4, 5)}}, .low = -2, .high = 2,
     .second_order = true},
    {OP(fold), .apply = apply_fold, .n_inputs = 1, .n_shapes = 1,
     .shapes = {{TG_SHAPE(2, 8, 20)}}, .low = -2, .high = 2, .second_order = true},
    {OP(convolution), .apply = apply_convolution, .n_inputs = 3, .n_shapes = 3,
     .shapes = {{TG_SHAPE(2, 4, 5, 6), TG_SHAPE(4, 2, 2, 3), TG_SHAPE(4)},
                {TG_SHAPE(2, 2, 7), TG_SHAPE(3, 2, 4), TG_SHAPE(3)},
                {TG_SHAPE(1, 3, 4, 4), TG_SHAPE(3, 1, 3, 2), TG_SHAPE(3)}},
     .low = -2, .high = 2, .second_order = true},
    {OP(conv_input_grad), .apply = apply_conv_input_grad, .n_inputs = 2, .n_shapes = 1,
     .shapes = {{TG_SHAPE(2, 4, 3, 2), TG_SHAPE(4, 2, 2, 3)}}, .low = -2, .high = 2,
     .second_order = true},
    {OP(conv_weight_grad), .apply = apply_conv_weight_grad, .n_inputs = 2, .n_shapes = 1,
     .shapes = {{TG_SHAPE(2, 4, 5, 6), TG_SHAPE(2, 4, 3, 2)}}, .low = -2, .high = 2,
     .second_order = true},
    {OP(max_pool2d), .apply = apply_max_pool2d, .n_inputs = 1, .n_shapes = 2,
     .shapes = {{TG_SHAPE(2, 2, 5, 6)}, {TG_SHAPE(3, 5, 4)}}, .low = -2, .high = 2,
     .second_order = true},
    {OP(max_pool2d_backward), .apply = apply_max_pool2d_backward, .n_inputs = 1,
     .n_shapes = 1, .shapes = {{TG_SHAPE(2, 2, 3, 6)}}, .low = -2, .high = 2,
     .second_order = true},
    {OP(adaptive_max_pool2d), .apply = apply_adaptive_max_pool2d, .n_inputs = 1,
     .n_shapes = 2, .shapes = {{TG_SHAPE(2, 2, 5, 7)}, {TG_SHAPE(3, 4, 6)}}, .low = -2,
     .high = 2, .second_order = true},
    {OP(adaptive_max_pool2d_backward), .apply = apply_adaptive_max_pool2d_backward,
     .n_inputs = 1, .n_shapes = 1, .shapes = {{TG_SHAPE(2, 2, 3, 4)}}, .low = -2,
     .high = 2, .second_order = true},
    {OP(avg_pool2d), .apply = apply_avg_pool2d, .n_inputs = 1, .n_shapes = 2,
     .shapes = {{TG_SHAPE(2, 2, 5, 6)}, {TG_SHAPE(3, 5, 4)}}, .low = -2, .high = 2,
     .second_order = true},
    {OP(avg_pool2d_backward), .apply = apply_avg_pool2d_backward, .n_inputs = 1,
     .n_shapes = 1, .shapes = {{TG_SHAPE(2, 2, 3, 7)}}, .low = -2, .high = 2,
     .second_order = true},
    {OP(adaptive_avg_pool2d_backward), .apply = apply_adaptive_avg_pool2d_backward,
     .n_inputs = 1, .n_shapes = 1, .shapes = {{TG_SHAPE(2, 2, 3, 4)}}, .low = -2,
     .high = 2, .second_order = true},
    {OP(adaptive_avg_pool2d), .apply = apply_adaptive_avg_pool2d, .n_inputs = 1,
     .n_shapes = 2, .shapes = {{TG_SHAPE(2, 2, 5, 7)}, {TG_SHAPE(3, 4, 6)}}, .low = -2,
     .high = 2, .second_order = true},
    {OP(binary_cross_entropy), .apply = apply_binary_cross_entropy, .n_inputs = 2,
     .n_shapes = 2,
     .shapes = {{TG_SHAPE(3, 4), TG_SHAPE(3, 4)}, {TG_SHAPE(5), TG_SHAPE(5)}},
     .low = 0.05, .high = 0.95, .second_order = true},
    {OP(cross_entropy), .apply = apply_cross_entropy, .n_inputs = 1, .n_shapes = 3,
     .shapes = {{TG_SHAPE(4, 3)}, {TG_SHAPE(3, 5)}, {TG_SHAPE(1, 4)}}, .low = -2,
     .high = 2, .second_order = true},
    {OP(layer_norm), .apply = apply_layer_norm, .n_inputs = 3, .n_shapes = 2,
     .shapes = {{TG_SHAPE(3, 4), TG_SHAPE(4), TG_SHAPE(4)},
                {TG_SHAPE(2, 2, 3), TG_SHAPE(2, 3), TG_SHAPE(2, 3)}},
     .low = -2, .high = 2},
    {OP(batch_norm), .apply = apply_batch_norm, .n_inputs = 3, .n_shapes = 3,
     .shapes = {{TG_SHAPE(4, 3), TG_SHAPE(3), TG_SHAPE(3)},
                {TG_SHAPE(3, 2, 5), TG_SHAPE(2), TG_SHAPE(2)},
                {TG_SHAPE(2, 3, 3, 4), TG_SHAPE(3), TG_SHAPE(3)}},
     .low = -2, .high = 2, .second_order = true},
    {OP(masked_softmax), .apply = apply_masked_softmax, .n_inputs = 3, .n_shapes = 2,
     .shapes = {{TG_SHAPE(3, 2), TG_SHAPE(3, 2), TG_SHAPE(3, 2)},
                {TG_SHAPE(2, 3, 4), TG_SHAPE(2, 3, 4), TG_SHAPE(2, 3, 2)}},
     .low = -2, .high = 2},
    {OP(gelu), .apply = apply_gelu, .n_inputs = 1, .n_shapes = 2,
     .shapes = {{TG_SHAPE(3, 4)}, {TG_SHAPE(2, 3, 2)}}, .low = -3, .high = 3},
    {OP(heads_attention), .apply = apply_heads_attention, .n_inputs = 3, .n_shapes = 2,
     .shapes = {{TG_SHAPE(3, 2, 12), TG_SHAPE(2, 4, 4), TG_SHAPE(2, 4, 4)},
                {TG_SHAPE(2, 1, 24), TG_SHAPE(1, 3, 8), TG_SHAPE(1, 3, 8)}},
     .low = -1, .high = 1},
    {OP(lstm_layer), .apply = apply_lstm_layer, .n_inputs = 5, .n_shapes = 2,
     .shapes = {{TG_SHAPE(3, 2, 8), TG_SHAPE(2, 2), TG_SHAPE(2, 2), TG_SHAPE(8, 2),
                 TG_SHAPE(8)},
                {TG_SHAPE(1, 2, 12), TG_SHAPE(2, 3), TG_SHAPE(2, 3), TG_SHAPE(12, 3),
                 TG_SHAPE(12)}},
     .low = -1, .high = 1},

    /* in-place writes, recorded on the tape */
    {OP(add_inplace), .apply = apply_add_inplace, .n_inputs = 2, .n_shapes = 2,
     .shapes = {{TG_SHAPE(3, 4), TG_SHAPE(3, 4)}, {TG_SHAPE(3, 4), TG_SHAPE(4)}},
     .low = -2, .high = 2, .second_order = true},
    {OP(mul_inplace), .apply = apply_mul_inplace, .n_inputs = 1, .n_shapes = 1,
     .shapes = {{TG_SHAPE(3, 4)}}, .low = -2, .high = 2, .second_order = true},
    {OP(fill_inplace), .apply = apply_fill_inplace, .n_inputs = 1, .n_shapes = 1,
     .shapes = {{TG_SHAPE(3, 4)}}, .low = -2, .high = 2, .second_order = true},
    {OP(zero_inplace), .apply = apply_zero_inplace, .n_inputs = 1, .n_shapes = 1,
     .shapes = {{TG_SHAPE(3, 4)}}, .low = -2, .high = 2, .second_order = true},
    {OP(copy_inplace), .apply = apply_copy_inplace, .n_inputs = 2, .n_shapes = 2,
     .shapes = {{TG_SHAPE(3, 4), TG_SHAPE(3, 4)}, {TG_SHAPE(3, 4), TG_SHAPE(1, 4)}},
     .low = -2, .high = 2, .second_order = true},
    {OP(normal_inplace), .apply = apply_normal_inplace, .n_inputs = 1, .n_shapes = 1,
     .shapes = {{TG_SHAPE(4, 5)}}, .low = -2, .high = 2, .second_order = true},
    {OP(uniform_inplace), .apply = apply_uniform_inplace, .n_inputs = 1, .n_shapes = 1,
     .shapes = {{TG_SHAPE(3, 4)}}, .low = -2, .high = 2, .second_order = true},
    {OP(set_inplace), .apply = apply_set_inplace, .n_inputs = 1, .n_shapes = 1,
     .shapes = {{TG_SHAPE(3, 4)}}, .low = -2, .high = 2, .second_order = true},
};

const int op_table_size = (int)(sizeof op_table / sizeof op_table[0]);

void op_case_fill(tg_tensor *t, const op_case *c) {
  double *d = tg_data_f64(t);
  for (int64_t i = 0; i < tg_numel(t); i++) {
    double v;
    do {
      v = c->low + (c->high - c->low) * (double)tg_random_u32() / 4294967296.0;
    } while (fabs(v) < c->min_abs);
    d[i] = v;
  }
}
