/* The second audit's nn parity cases (tests/golden/audit2_nn.py): module
 * options together - convolutions with groups, dilation, stride and
 * padding at once, pooling with ceil_mode, padding and dilation, adaptive
 * pools at sizes that do not divide, every loss with its weights,
 * ignore_index, label smoothing and reductions, embeddings with negative
 * padding_idx. Each case is compared with PyTorch's values and gradients
 * by tests/parity_runner.c. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "parity_runner.h"

/* ---- constants the script writes into its lambdas ---- */
static tg_tensor *w3(void) {
  return tg_from_data((double[]){0.5, 2.0, 1.0}, TG_SHAPE(3), TG_FLOAT64);
}
static tg_tensor *w4(void) {
  return tg_from_data((double[]){0.2, 1.0, 3.0, 0.5}, TG_SHAPE(4), TG_FLOAT64);
}

/* ---- convolutions ---- */
static tg_tensor *c_conv2d_all(tg_tensor *const *x) {
  tg_conv_opts o = {.stride = {2, 3}, .padding = {1, 2}, .dilation = {2, 1}, .groups = 2};
  return tg_conv2d(x[0], x[1], x[2], &o);
}
static tg_tensor *c_conv2d_same_even(tg_tensor *const *x) {
  tg_conv_opts o = {.dilation = {2, 3}, .padding_rule = TG_PADDING_SAME};
  return tg_conv2d(x[0], x[1], x[2], &o);
}
static tg_tensor *c_conv2d_same_groups(tg_tensor *const *x) {
  tg_conv_opts o = {.groups = 4, .padding_rule = TG_PADDING_SAME};
  return tg_conv2d(x[0], x[1], NULL, &o);
}
static tg_tensor *c_conv2d_depthwise_mult(tg_tensor *const *x) {
  tg_conv_opts o = {.stride = {2, 2}, .padding = {1, 1}, .groups = 3};
  return tg_conv2d(x[0], x[1], x[2], &o);
}
static tg_tensor *c_conv2d_out_one(tg_tensor *const *x) {
  return tg_conv2d(x[0], x[1], NULL, NULL);
}
static tg_tensor *c_conv2d_pad_wider(tg_tensor *const *x) {
  tg_conv_opts o = {.stride = {2, 2}, .padding = {3, 3}};
  return tg_conv2d(x[0], x[1], x[2], &o);
}
static tg_tensor *c_conv2d_unbatched(tg_tensor *const *x) {
  tg_conv_opts o = {.stride = {1, 2}, .dilation = {2, 2}};
  return tg_conv2d(x[0], x[1], x[2], &o);
}
static tg_tensor *c_conv1d_all(tg_tensor *const *x) {
  tg_conv_opts o = {.stride = {2}, .padding = {3}, .dilation = {2}, .groups = 3};
  return tg_conv1d(x[0], x[1], x[2], &o);
}
static tg_tensor *c_conv1d_same_even(tg_tensor *const *x) {
  tg_conv_opts o = {.dilation = {3}, .padding_rule = TG_PADDING_SAME};
  return tg_conv1d(x[0], x[1], x[2], &o);
}
static tg_tensor *c_conv1d_unbatched(tg_tensor *const *x) {
  tg_conv_opts o = {.stride = {3}, .groups = 2};
  return tg_conv1d(x[0], x[1], NULL, &o);
}

/* ---- pooling ---- */
static tg_tensor *c_max_pool2d_all(tg_tensor *const *x) {
  tg_pool_opts o = {.kernel_size = {3, 3},
                    .stride = {2, 2},
                    .padding = {1, 1},
                    .dilation = {2, 2},
                    .ceil_mode = true};
  return tg_max_pool2d(x[0], &o, NULL);
}
static tg_tensor *c_max_pool2d_ceil_pad(tg_tensor *const *x) {
  tg_pool_opts o = {
      .kernel_size = {2, 3}, .stride = {2, 2}, .padding = {1, 1}, .ceil_mode = true};
  return tg_max_pool2d(x[0], &o, NULL);
}
static tg_tensor *c_max_pool2d_ceil_indices(tg_tensor *const *x) {
  tg_pool_opts o = {.kernel_size = {2, 2}, .stride = {2, 2}, .ceil_mode = true};
  tg_tensor *indices;
  tg_max_pool2d(x[0], &o, &indices);
  return indices;
}
static tg_tensor *c_max_pool1d_all(tg_tensor *const *x) {
  tg_pool_opts o = {.kernel_size = {3},
                    .stride = {3},
                    .padding = {1},
                    .dilation = {2},
                    .ceil_mode = true};
  return tg_max_pool1d(x[0], &o, NULL);
}
static tg_tensor *c_max_pool1d_indices(tg_tensor *const *x) {
  tg_pool_opts o = {.kernel_size = {4}, .stride = {3}, .padding = {2}, .ceil_mode = true};
  tg_tensor *indices;
  tg_max_pool1d(x[0], &o, &indices);
  return indices;
}
static tg_tensor *c_avg_pool2d_ceil_pad(tg_tensor *const *x) {
  tg_pool_opts o = {
      .kernel_size = {3, 3}, .stride = {2, 2}, .padding = {1, 1}, .ceil_mode = true};
  return tg_avg_pool2d(x[0], &o);
}
static tg_tensor *c_avg_pool2d_ceil_pad_exclude(tg_tensor *const *x) {
  tg_pool_opts o = {.kernel_size = {3, 3},
                    .stride = {2, 2},
                    .padding = {1, 1},
                    .ceil_mode = true,
                    .no_count_include_pad = true};
  return tg_avg_pool2d(x[0], &o);
}
static tg_tensor *c_avg_pool2d_ceil_nopad(tg_tensor *const *x) {
  tg_pool_opts o = {.kernel_size = {3, 2}, .stride = {2, 3}, .ceil_mode = true};
  return tg_avg_pool2d(x[0], &o);
}
static tg_tensor *c_avg_pool2d_divisor(tg_tensor *const *x) {
  tg_pool_opts o = {.kernel_size = {3, 3},
                    .stride = {2, 2},
                    .padding = {1, 1},
                    .ceil_mode = true,
                    .divisor_override = 4};
  return tg_avg_pool2d(x[0], &o);
}
static tg_tensor *c_adaptive_avg_3_4(tg_tensor *const *x) {
  return tg_adaptive_avg_pool2d(x[0], 3, 4);
}
static tg_tensor *c_adaptive_avg_5_3(tg_tensor *const *x) {
  return tg_adaptive_avg_pool2d(x[0], 5, 3);
}
static tg_tensor *c_adaptive_max_3_2(tg_tensor *const *x) {
  return tg_adaptive_max_pool2d(x[0], 3, 2, NULL);
}
static tg_tensor *c_adaptive_max_3_5(tg_tensor *const *x) {
  return tg_adaptive_max_pool2d(x[0], 3, 5, NULL);
}
static tg_tensor *c_adaptive_max_indices(tg_tensor *const *x) {
  tg_tensor *indices;
  tg_adaptive_max_pool2d(x[0], 3, 2, &indices);
  return indices;
}

/* ---- losses ---- */
static tg_tensor *ce(tg_tensor *const *x, tg_loss_opts o) {
  return tg_cross_entropy_loss(x[0], x[1], &o);
}
static tg_tensor *c_ce_weight_smooth(tg_tensor *const *x) {
  return ce(x, (tg_loss_opts){.weight = w4(), .label_smoothing = 0.3});
}
static tg_tensor *c_ce_weight_smooth_ignore(tg_tensor *const *x) {
  return ce(x, (tg_loss_opts){.weight = w4(), .label_smoothing = 0.2});
}
static tg_tensor *c_ce_weight_smooth_sum(tg_tensor *const *x) {
  return ce(x, (tg_loss_opts){.weight = w4(),
                              .label_smoothing = 0.2,
                              .reduction = TG_SUM,
                              .has_ignore_index = true,
                              .ignore_index = 2});
}
static tg_tensor *c_ce_weight_smooth_none(tg_tensor *const *x) {
  return ce(x, (tg_loss_opts){.weight = w4(),
                              .label_smoothing = 0.2,
                              .reduction = TG_NONE,
                              .has_ignore_index = true,
                              .ignore_index = 1});
}
static tg_tensor *c_ce_spatial_weight_ignore(tg_tensor *const *x) {
  return ce(x, (tg_loss_opts){.weight = w3(),
                              .label_smoothing = 0.1,
                              .has_ignore_index = true,
                              .ignore_index = 5});
}
static tg_tensor *c_ce_probs_weight_smooth(tg_tensor *const *x) {
  tg_loss_opts o = {.weight = w3(), .label_smoothing = 0.25};
  return tg_cross_entropy_loss(x[0], tg_detach(x[1]), &o);
}
static tg_tensor *c_ce_probs_none(tg_tensor *const *x) {
  tg_loss_opts o = {.reduction = TG_NONE};
  return tg_cross_entropy_loss(x[0], tg_detach(x[1]), &o);
}
static tg_tensor *c_ce_probs_target_grad(tg_tensor *const *x) {
  return ce(x,
            (tg_loss_opts){.weight = w4(), .label_smoothing = 0.1, .reduction = TG_SUM});
}
static tg_tensor *c_ce_unbatched_probs(tg_tensor *const *x) {
  return ce(x, (tg_loss_opts){.label_smoothing = 0.2});
}
static tg_tensor *c_ce_unbatched_smooth(tg_tensor *const *x) {
  /* the golden file stores the 0-d target as (1) */
  tg_loss_opts o = {.weight = w4(), .label_smoothing = 0.4};
  return tg_cross_entropy_loss(x[0], tg_squeeze(x[1], 0), &o);
}
static tg_tensor *c_ce(tg_tensor *const *x) {
  return ce(x, (tg_loss_opts){0});
}
static tg_tensor *c_ce_smooth_01(tg_tensor *const *x) {
  return ce(x, (tg_loss_opts){.label_smoothing = 0.1});
}
static tg_tensor *c_ce_none(tg_tensor *const *x) {
  return ce(x, (tg_loss_opts){.reduction = TG_NONE});
}
static tg_tensor *c_nll_weight_ignore_mean(tg_tensor *const *x) {
  tg_loss_opts o = {.weight = w3(), .has_ignore_index = true, .ignore_index = 0};
  return tg_nll_loss(x[0], x[1], &o);
}
static tg_tensor *c_nll_all_ignored(tg_tensor *const *x) {
  tg_loss_opts o = {.has_ignore_index = true, .ignore_index = 1};
  return tg_nll_loss(x[0], x[1], &o);
}
static tg_tensor *c_nll_spatial_sum(tg_tensor *const *x) {
  tg_loss_opts o = {.weight = w3(), .reduction = TG_SUM};
  return tg_nll_loss(x[0], x[1], &o);
}
static tg_tensor *c_bce_logits_pos_weight(tg_tensor *const *x) {
  tg_tensor *rows = tg_from_data((double[]){1.0, 0.0, 2.0}, TG_SHAPE(3, 1), TG_FLOAT64);
  tg_loss_opts o = {.weight = rows, .pos_weight = w4()};
  return tg_bce_with_logits_loss(x[0], x[1], &o);
}
static tg_tensor *c_bce_logits_pos_weight_none(tg_tensor *const *x) {
  tg_loss_opts o = {.pos_weight = tg_to(w3(), TG_FLOAT32), .reduction = TG_NONE};
  return tg_bce_with_logits_loss(x[0], x[1], &o);
}
static tg_tensor *c_bce_logits_huge(tg_tensor *const *x) {
  tg_tensor *two = tg_from_data((double[]){2.0}, TG_SHAPE(1), TG_FLOAT64);
  tg_loss_opts o = {.pos_weight = two, .reduction = TG_SUM};
  return tg_bce_with_logits_loss(x[0], x[1], &o);
}
static tg_tensor *c_bce_edges(tg_tensor *const *x) {
  tg_tensor *y =
      tg_from_data((double[]){0.0, 1.0, 1.0, 0.3, 0.0}, TG_SHAPE(5), TG_FLOAT64);
  tg_loss_opts o = {.reduction = TG_NONE};
  return tg_bce_loss(x[0], y, &o);
}
static tg_tensor *c_bce_weight_broadcast(tg_tensor *const *x) {
  tg_tensor *y = tg_from_data((double[]){1, 0, 0, 1, 1, 1}, TG_SHAPE(3, 2), TG_FLOAT64);
  tg_tensor *w = tg_from_data((double[]){0.5, 3.0}, TG_SHAPE(2), TG_FLOAT64);
  tg_loss_opts o = {.weight = w, .reduction = TG_SUM};
  return tg_bce_loss(x[0], y, &o);
}
static tg_tensor *c_mse_none(tg_tensor *const *x) {
  tg_loss_opts o = {.reduction = TG_NONE};
  return tg_mse_loss(x[0], x[1], &o);
}
static tg_tensor *c_l1_sum(tg_tensor *const *x) {
  tg_loss_opts o = {.reduction = TG_SUM};
  return tg_l1_loss(x[0], x[1], &o);
}

/* ---- embeddings ---- */
static tg_tensor *c_embedding_neg_padding(tg_tensor *const *x) {
  return tg_embedding(x[0], x[1], -1);
}
static tg_tensor *c_embedding(tg_tensor *const *x) {
  return tg_embedding(x[0], x[1], TG_NO_PADDING_IDX);
}

/* ---- normalisation and attention ---- */
static tg_tensor *c_group_norm_one_group(tg_tensor *const *x) {
  return tg_group_norm(x[0], 1, x[1], x[2], 1e-3);
}
static tg_tensor *c_group_norm_per_channel(tg_tensor *const *x) {
  return tg_group_norm(x[0], 4, NULL, NULL, 1e-5);
}
static tg_tensor *c_layer_norm_two_dims(tg_tensor *const *x) {
  return tg_layer_norm(x[0], TG_SHAPE(3, 4), x[1], x[2], 1e-2);
}
static tg_tensor *c_layer_norm_constant_row(tg_tensor *const *x) {
  return tg_layer_norm(x[0], TG_SHAPE(3), NULL, NULL, 1e-5);
}
static tg_tensor *c_batch_norm_train(tg_tensor *const *x) {
  return tg_batch_norm(x[0], NULL, NULL, x[1], x[2], true, 0.1, 1e-3);
}
static tg_tensor *c_batch_norm_eval_stats(tg_tensor *const *x) {
  tg_tensor *mean = tg_from_data((double[]){0.5, -1.0, 2.0}, TG_SHAPE(3), TG_FLOAT64);
  tg_tensor *var = tg_from_data((double[]){1.5, 0.25, 4.0}, TG_SHAPE(3), TG_FLOAT64);
  return tg_batch_norm(x[0], mean, var, NULL, NULL, false, 0.1, 1e-5);
}
static tg_tensor *c_sdpa_bool_mask(tg_tensor *const *x) {
  bool m[] = {1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1};
  tg_tensor *mask = tg_from_data(m, TG_SHAPE(3, 5), TG_BOOL);
  return tg_scaled_dot_product_attention(x[0], x[1], x[2], mask, 0, false);
}
static tg_tensor *c_sdpa_causal(tg_tensor *const *x) {
  return tg_scaled_dot_product_attention(x[0], x[1], x[2], NULL, 0, true);
}
static tg_tensor *c_sdpa_float_mask(tg_tensor *const *x) {
  tg_tensor *mask = tg_from_data((double[]){0.0, -1.0, 2.0, 0.5, -3.0, 0.0},
                                 TG_SHAPE(3, 2), TG_FLOAT64);
  return tg_scaled_dot_product_attention(x[0], x[1], x[2], mask, 0, false);
}

static const tg_parity_case cases[] = {
    {"conv2d_all", c_conv2d_all},
    {"conv2d_same_even", c_conv2d_same_even},
    {"conv2d_same_groups", c_conv2d_same_groups},
    {"conv2d_depthwise_mult", c_conv2d_depthwise_mult},
    {"conv2d_out_one", c_conv2d_out_one},
    {"conv2d_pad_wider", c_conv2d_pad_wider},
    {"conv2d_unbatched_f32", c_conv2d_unbatched},
    {"conv1d_all", c_conv1d_all},
    {"conv1d_same_even", c_conv1d_same_even},
    {"conv1d_unbatched", c_conv1d_unbatched},
    {"max_pool2d_all", c_max_pool2d_all},
    {"max_pool2d_ceil_pad", c_max_pool2d_ceil_pad},
    {"max_pool2d_ceil_indices", c_max_pool2d_ceil_indices},
    {"max_pool1d_all", c_max_pool1d_all},
    {"max_pool1d_indices", c_max_pool1d_indices},
    {"avg_pool2d_ceil_pad", c_avg_pool2d_ceil_pad},
    {"avg_pool2d_ceil_pad_exclude", c_avg_pool2d_ceil_pad_exclude},
    {"avg_pool2d_ceil_nopad", c_avg_pool2d_ceil_nopad},
    {"avg_pool2d_divisor", c_avg_pool2d_divisor},
    {"adaptive_avg_odd", c_adaptive_avg_3_4},
    {"adaptive_avg_grow", c_adaptive_avg_5_3},
    {"adaptive_max_odd", c_adaptive_max_3_2},
    {"adaptive_max_grow", c_adaptive_max_3_5},
    {"adaptive_max_indices", c_adaptive_max_indices},
    {"ce_weight_smooth", c_ce_weight_smooth},
    {"ce_weight_smooth_ignore", c_ce_weight_smooth_ignore},
    {"ce_weight_smooth_sum", c_ce_weight_smooth_sum},
    {"ce_weight_smooth_none", c_ce_weight_smooth_none},
    {"ce_spatial_weight_ignore", c_ce_spatial_weight_ignore},
    {"ce_probs_weight_smooth", c_ce_probs_weight_smooth},
    {"ce_probs_none", c_ce_probs_none},
    {"ce_probs_target_grad", c_ce_probs_target_grad},
    {"ce_unbatched_probs", c_ce_unbatched_probs},
    {"ce_unbatched_smooth", c_ce_unbatched_smooth},
    {"ce_all_ignored", c_ce},
    {"ce_all_ignored_smooth", c_ce_smooth_01},
    {"ce_huge_logits", c_ce_none},
    {"nll_weight_ignore_mean", c_nll_weight_ignore_mean},
    {"nll_all_ignored", c_nll_all_ignored},
    {"nll_spatial_sum", c_nll_spatial_sum},
    {"bce_logits_pos_weight", c_bce_logits_pos_weight},
    {"bce_logits_pos_weight_none", c_bce_logits_pos_weight_none},
    {"bce_logits_huge", c_bce_logits_huge},
    {"bce_edges", c_bce_edges},
    {"bce_weight_broadcast", c_bce_weight_broadcast},
    {"mse_none", c_mse_none},
    {"l1_sum_at_zero", c_l1_sum},
    {"embedding_neg_padding", c_embedding_neg_padding},
    {"embedding_repeats", c_embedding},
    {"group_norm_one_group", c_group_norm_one_group},
    {"group_norm_per_channel", c_group_norm_per_channel},
    {"layer_norm_two_dims", c_layer_norm_two_dims},
    {"layer_norm_constant_row", c_layer_norm_constant_row},
    {"batch_norm_train_f64", c_batch_norm_train},
    {"batch_norm_eval_stats", c_batch_norm_eval_stats},
    {"sdpa_bool_mask", c_sdpa_bool_mask},
    {"sdpa_float_mask_causal_shape", c_sdpa_causal},
    {"sdpa_float_mask", c_sdpa_float_mask},
};

int main(void) {
  return tg_test_run(tg_parity_suite("audit2_nn", TG_TEST_DIR "/golden/audit2_nn.txt",
                                     cases, (int)(sizeof cases / sizeof cases[0])));
}
