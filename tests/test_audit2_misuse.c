/* The second audit's misuse cases: options and calls a newcomer writes that
 * PyTorch refuses (or fails on later), which gave NaN or crashed here. Each
 * test failed before its fix. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static tg_optimizer *sgd_on(tg_tensor *w) {
  tg_sgd_options o = TG_SGD_DEFAULTS;
  o.lr = 0.1;
  return tg_sgd(tg_test_params(&w, 1), o);
}

/* LinearLR(start_factor=0) divides by total_iters * start_factor at its
 * first step (PyTorch raises ZeroDivisionError there): every lr after the
 * first was NaN, silently. Refused when built. */
START_TEST(test_linear_lr_start_factor_zero_is_refused) {
  tg_scope_begin();
  tg_tensor *w = tg_requires_grad_(tg_ones(TG_SHAPE(2), TG_FLOAT64), true);
  tg_optimizer *opt = sgd_on(w);
  TG_EXPECT_ERROR(
      tg_linear_lr(opt, 0, 1, 4),
      "tg_linear_lr: start_factor must be greater than 0 and at most 1, got 0");
  tg_lr_scheduler *s = tg_linear_lr(opt, 1e-3, 1, 4);
  for (int i = 0; i < 6; i++) {
    tg_lr_scheduler_step(s);
    ck_assert(isfinite(tg_lr_scheduler_get_last_lr(s)[0]));
  }
  ck_assert_double_eq_tol(tg_lr_scheduler_get_last_lr(s)[0], 0.1, 1e-15);
  tg_lr_scheduler_free(s);
  tg_optimizer_free(opt);
  tg_scope_end();
}
END_TEST

/* A fan mode that is neither TG_FAN_IN nor TG_FAN_OUT was read as fan_out. */
START_TEST(test_kaiming_mode_out_of_range_is_refused) {
  tg_scope_begin();
  tg_tensor *w = tg_empty(TG_SHAPE(3, 4), TG_FLOAT32);
  TG_EXPECT_ERROR(tg_init_kaiming_uniform_(w, 0, (tg_fan_mode)7, "relu"),
                  "kaiming init: mode 7 is neither TG_FAN_IN nor TG_FAN_OUT");
  TG_EXPECT_ERROR(tg_init_kaiming_normal_(w, 0, (tg_fan_mode)-1, "relu"),
                  "kaiming init: mode -1 is neither TG_FAN_IN nor TG_FAN_OUT");
  tg_scope_end();
}
END_TEST

/* A NULL where a tensor, module, optimizer, name or path belongs crashed
 * (SIGSEGV): what a newcomer's program meets first, as tg_grad before any
 * backward, or a lookup of a misspelt name, gives NULL. Each is an error
 * naming the function now; tg_print(NULL) prints None, as print(None). */
START_TEST(test_null_arguments_are_errors) {
  tg_scope_begin();
  tg_tensor *x = tg_ones(TG_SHAPE(2, 3), TG_FLOAT32);
  tg_module *lin = tg_nn_linear(3, 2, true);
  tg_tensor *missing = tg_module_parameter(lin, "wieght");
  ck_assert_ptr_null(missing);
  const char *why = "a tensor argument is NULL (tg_grad before any backward";
  TG_EXPECT_ERROR(tg_add(x, missing), "tg_add: a tensor argument is NULL");
  TG_EXPECT_ERROR(tg_mul(missing, x), why);
  TG_EXPECT_ERROR(tg_sub(x, missing), "tg_sub: a tensor argument is NULL");
  TG_EXPECT_ERROR(tg_mul_scalar(missing, 2), "a tensor argument is NULL");
  TG_EXPECT_ERROR(tg_exp(missing), "exp: a tensor argument is NULL");
  TG_EXPECT_ERROR(tg_eq(x, missing), "tg_eq: a tensor argument is NULL");
  TG_EXPECT_ERROR(tg_sum(missing, TG_ALL_DIMS, false),
                  "tg_sum: a tensor argument is NULL");
  TG_EXPECT_ERROR(tg_matmul(missing, x), "tg_matmul: a tensor argument is NULL");
  TG_EXPECT_ERROR(tg_reshape(missing, TG_SHAPE(6)), why);
  TG_EXPECT_ERROR(tg_item(tg_grad(x)), why);
  TG_EXPECT_ERROR(tg_module_forward(lin, missing), "tg_module_forward: ");
  TG_EXPECT_ERROR(tg_backward(missing, NULL, 0),
                  "tg_backward: a tensor argument is NULL");
  TG_EXPECT_ERROR(tg_mse_loss(missing, x, NULL),
                  "tg_mse_loss: a tensor argument is NULL");
  TG_EXPECT_ERROR(tg_cross_entropy_loss(x, missing, NULL),
                  "tg_cross_entropy_loss: a tensor");
  TG_EXPECT_ERROR(tg_from_data(NULL, TG_SHAPE(2), TG_FLOAT32),
                  "tg_from_data: data is NULL");
  tg_assert_shape(tg_from_data(NULL, TG_SHAPE(0, 2), TG_FLOAT32), TG_SHAPE(0, 2));

  TG_EXPECT_ERROR(tg_optimizer_step(NULL), "tg_optimizer_step: optimizer is NULL");
  TG_EXPECT_ERROR(tg_optimizer_zero_grad(NULL, true),
                  "tg_optimizer_zero_grad: optimizer is NULL");
  TG_EXPECT_ERROR(tg_state_dict(NULL), "tg_state_dict: module is NULL");
  TG_EXPECT_ERROR(tg_module_repr(NULL), "tg_module_repr: module is NULL");
  TG_EXPECT_ERROR(tg_module_parameter(lin, NULL), "module lookup: name is NULL");
  TG_EXPECT_ERROR(tg_calculate_gain(NULL, 0), "tg_calculate_gain: nonlinearity is NULL");
  TG_EXPECT_ERROR(tg_init_kaiming_uniform_(x, 0, TG_FAN_IN, NULL),
                  "tg_calculate_gain: nonlinearity is NULL");
  TG_EXPECT_ERROR(tg_tensor_dict_get(NULL, "a"), "tg_tensor_dict_get: the dict is NULL");
  tg_tensor_dict *d = tg_state_dict(lin);
  TG_EXPECT_ERROR(tg_tensor_dict_get(d, NULL), "tg_tensor_dict_get: name is NULL");
  TG_EXPECT_ERROR(tg_tensor_dict_add(d, NULL, x), "tg_tensor_dict_add: name is NULL");
  TG_EXPECT_ERROR(tg_save_tensors(NULL, d), "tg_safetensors_write: path is NULL");
  tg_tensor_dict_free(d);
  TG_EXPECT_ERROR(tg_save_tensors("/tmp/never.safetensors", NULL),
                  "tg_save_tensors: /tmp/never.safetensors: the tensor dict is NULL");
  tg_tensor_dict *loaded = NULL;
  TG_EXPECT_ERROR(tg_load_tensors(NULL, &loaded), "tg_safetensors_read: path is NULL");
  TG_EXPECT_ERROR(tg_load_state_dict_file(NULL, lin, true),
                  "tg_safetensors_read: path is NULL");
  tg_st_file *file = NULL;
  TG_EXPECT_ERROR(tg_safetensors_parse(NULL, 16, "x", &file),
                  "tg_safetensors_parse: bytes is NULL");
  tg_words words;
  TG_EXPECT_ERROR(tg_words_load(NULL, &words), "tg_words_load: path is NULL");

  char *text = NULL;
  size_t size = 0;
  FILE *out = open_memstream(&text, &size);
  tg_fprint(out, tg_grad(x));
  fclose(out);
  ck_assert_str_eq(text, "None\n");
  free(text);
  tg_module_free(lin);
  tg_scope_end();
}
END_TEST

/* A writer whose open failed (NULL) and a NULL tag crashed every
 * tg_summary_writer_add_*: errors naming the call now. */
START_TEST(test_summary_writer_null_writer_or_tag) {
  TG_EXPECT_ERROR(tg_summary_writer_add_scalar(NULL, "loss", 1.0, 0),
                  "tg_summary_writer_add_scalar: the writer is NULL (did "
                  "tg_summary_writer_open fail?)");
  TG_EXPECT_ERROR(tg_summary_writer_flush(NULL),
                  "tg_summary_writer_flush: the writer is NULL");
  char *dir = tg_test_temp_dir("audit2_tb");
  tg_summary_writer *w = tg_summary_writer_open(dir);
  ck_assert_ptr_nonnull(w);
  TG_EXPECT_ERROR(tg_summary_writer_add_scalar(w, NULL, 1.0, 0),
                  "tg_summary_writer_add_scalar: tag is NULL");
  TG_EXPECT_ERROR(tg_summary_writer_add_text(w, NULL, "hi", 0),
                  "tg_summary_writer_add_text: tag is NULL");
  ck_assert_int_eq(tg_summary_writer_add_scalar(w, "loss", 1.0, 0), 0);
  ck_assert_int_eq(tg_summary_writer_close(w), 0);
  tg_test_remove_tree(dir);
  free(dir);
}
END_TEST

/* Options out of any sane range (from a config file, say) wrapped around
 * int64 in the window arithmetic: a padding of INT64_MAX "fit", a dilation
 * of INT64_MAX gave a garbage kernel extent (signed overflow, UB), a huge
 * stride in ceil mode refused a valid pooling. Errors or exact sizes now. */
START_TEST(test_window_options_do_not_wrap) {
  tg_scope_begin();
  tg_tensor *x = tg_ones(TG_SHAPE(1, 1, 8, 8), TG_FLOAT32);
  tg_tensor *w = tg_ones(TG_SHAPE(1, 1, 3, 3), TG_FLOAT32);
  tg_tensor *x1 = tg_ones(TG_SHAPE(1, 1, 8), TG_FLOAT32);
  tg_tensor *w1 = tg_ones(TG_SHAPE(1, 1, 3), TG_FLOAT32);
  tg_conv_opts pad = {.padding = {INT64_MAX, 1}};
  TG_EXPECT_ERROR(tg_conv2d(x, w, NULL, &pad),
                  "tg_conv2d: size 8 padded by 9223372036854775807 and "
                  "9223372036854775807 does not fit in 64 bits");
  tg_conv_opts dil = {.dilation = {INT64_MAX}};
  TG_EXPECT_ERROR(tg_conv1d(x1, w1, NULL, &dil),
                  "tg_conv1d: kernel size 3 with dilation 9223372036854775807 spans more "
                  "than 64 bits can count");
  dil.padding_rule = TG_PADDING_SAME;
  TG_EXPECT_ERROR(tg_conv1d(x1, w1, NULL, &dil), "spans more than 64 bits can count");
  tg_pool_opts pool = {.kernel_size = {2, 2}, .dilation = {INT64_MAX, 1}};
  TG_EXPECT_ERROR(tg_max_pool2d(x, &pool, NULL),
                  "tg_max_pool2d: kernel size 2 with dilation 9223372036854775807 spans");
  tg_pool_opts avg = {.kernel_size = {2, 2}, .dilation = {INT64_MAX, 1}};
  TG_EXPECT_ERROR(tg_avg_pool2d(x, &avg),
                  "tg_avg_pool2d: average pooling takes no dilation");
  /* ceil mode, one window per stride of INT64_MAX: PyTorch's rule gives 1 row */
  tg_pool_opts far = {.kernel_size = {2, 2}, .stride = {INT64_MAX, 2}, .ceil_mode = true};
  tg_assert_shape(tg_max_pool2d(x, &far, NULL), TG_SHAPE(1, 1, 1, 4));
  tg_pool_opts far_avg = {.kernel_size = {4, 4},
                          .padding = {2, 2},
                          .stride = {INT64_MAX, 4},
                          .ceil_mode = true};
  tg_assert_shape(tg_avg_pool2d(x, &far_avg), TG_SHAPE(1, 1, 1, 3));
  tg_scope_end();
}
END_TEST

/* A layer size no tensor can have (INT64_MAX from a config file) failed in
 * the middle of the constructor and leaked the half-built module (ASan's
 * leak check fails this test without the fix); an LSTM's 4 * hidden_size
 * and MultiheadAttention's 3 * embed_dim wrapped around (UB). */
START_TEST(test_constructors_with_impossible_sizes) {
  TG_EXPECT_ERROR(tg_nn_linear(INT64_MAX, INT64_MAX, true),
                  "element count overflows 64 bits in shape");
  TG_EXPECT_ERROR(tg_nn_conv2d(INT64_MAX, 1, 3, 1, 0, true),
                  "element count overflows 64 bits in shape");
  TG_EXPECT_ERROR(tg_nn_embedding(INT64_MAX, 2, TG_NO_PADDING_IDX),
                  "element count overflows 64 bits in shape");
  TG_EXPECT_ERROR(tg_nn_batch_norm2d(INT64_MAX, 1e-5, 0.1, true, true),
                  "byte size overflows 64 bits in shape");
  TG_EXPECT_ERROR(tg_nn_lstm(3, INT64_MAX / 3, NULL),
                  "tg_nn_lstm: hidden_size 3074457345618258602 is too large");
  TG_EXPECT_ERROR(tg_nn_gru(INT64_MAX, 4, NULL),
                  "element count overflows 64 bits in shape");
  TG_EXPECT_ERROR(
      tg_nn_multihead_attention(INT64_MAX - 1, 1, 0, true, false),
      "tg_nn_multihead_attention: embed_dim (9223372036854775806) is too large");
}
END_TEST

int main(void) {
  Suite *s = suite_create("audit2_misuse");
  TCase *tc = tcase_create("misuse");
  tcase_add_test(tc, test_linear_lr_start_factor_zero_is_refused);
  tcase_add_test(tc, test_kaiming_mode_out_of_range_is_refused);
  tcase_add_test(tc, test_null_arguments_are_errors);
  tcase_add_test(tc, test_summary_writer_null_writer_or_tag);
  tcase_add_test(tc, test_window_options_do_not_wrap);
  tcase_add_test(tc, test_constructors_with_impossible_sizes);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
