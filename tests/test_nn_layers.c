/* Every layer against PyTorch 1.13 (forward, input and parameter
 * gradients, buffers; float64 at 1e-10, float32 at 1e-5), a float64
 * gradcheck of each, torch.nn.init bit for bit, and the layers' errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tensorgrad/nn.h"
#include "test_util.h"

static tg_golden *golden;

static void setup(void) {
  golden = tg_golden_load(TG_TEST_DIR "/golden/nn.txt");
}
static void teardown(void) {
  tg_golden_free(golden);
}

static void check_layer(const char *name, tg_module *m, tg_dtype dtype, int64_t seed) {
  tg_check_layer(golden, name, m, dtype, seed);
}

START_TEST(test_linear_and_conv_float64_and_float32) {
  const tg_dtype dtypes[2] = {TG_FLOAT64, TG_FLOAT32};
  const char *suffix[2] = {"", "_f32"};
  for (int k = 0; k < 2; k++) {
    char name[40];
    snprintf(name, sizeof name, "linear%s", suffix[k]);
    check_layer(name, tg_nn_linear(4, 5, true), dtypes[k], -1);
    snprintf(name, sizeof name, "linear3d%s", suffix[k]);
    check_layer(name, tg_nn_linear(3, 2, true), dtypes[k], -1);
    snprintf(name, sizeof name, "conv%s", suffix[k]);
    check_layer(name, tg_nn_conv2d(3, 4, 3, 2, 1, true), dtypes[k], -1);
    snprintf(name, sizeof name, "bn2d%s", suffix[k]);
    check_layer(name, tg_nn_batch_norm2d(3, 1e-5, 0.1, true, true), dtypes[k], -1);
  }
  check_layer("conv_nobias", tg_nn_conv2d(2, 3, 2, 1, 0, false), TG_FLOAT64, -1);
}
END_TEST

START_TEST(test_activations_and_shapes) {
  check_layer("relu", tg_nn_relu(), TG_FLOAT64, -1);
  check_layer("leaky_relu", tg_nn_leaky_relu(0.2), TG_FLOAT64, -1);
  check_layer("sigmoid", tg_nn_sigmoid(), TG_FLOAT64, -1);
  check_layer("tanh", tg_nn_tanh(), TG_FLOAT64, -1);
  check_layer("silu", tg_nn_silu(), TG_FLOAT64, -1);
  check_layer("softplus", tg_nn_softplus(1, 20), TG_FLOAT64, -1);
  check_layer("softplus_beta", tg_nn_softplus(2, 1.5), TG_FLOAT64, -1);
  check_layer("elu", tg_nn_elu(0.5), TG_FLOAT64, -1);
  check_layer("hardtanh", tg_nn_hardtanh(-0.5, 0.75), TG_FLOAT64, -1);
  check_layer("softmax", tg_nn_softmax(1), TG_FLOAT64, -1);
  check_layer("log_softmax", tg_nn_log_softmax(0), TG_FLOAT64, -1);
  check_layer("flatten", tg_nn_flatten(1, -1), TG_FLOAT64, -1);
  check_layer("identity", tg_nn_identity(), TG_FLOAT64, -1);
  check_layer("sequential",
              tg_nn_sequential(tg_nn_linear(3, 4, true), tg_nn_tanh(),
                               tg_nn_linear(4, 2, true), NULL),
              TG_FLOAT64, -1);
}
END_TEST

START_TEST(test_dropout_mask_matches_torch) {
  check_layer("dropout", tg_nn_dropout(0.3), TG_FLOAT64, 11);
  check_layer("dropout_f32", tg_nn_dropout(0.3), TG_FLOAT32, 12);
}
END_TEST

START_TEST(test_dropout_eval_and_edges) {
  tg_scope_begin();
  tg_tensor *x = tg_randn(TG_SHAPE(50), TG_FLOAT32);
  tg_module *d = tg_nn_dropout(0.5);
  tg_module_eval(d);
  ck_assert_ptr_eq(tg_module_forward(d, x), x); /* the input itself, like PyTorch */
  tg_assert_close(tg_dropout(x, 1, true), tg_zeros_like(x), 0, 0, "p=1 drops all");
  tg_assert_close(tg_dropout(x, 0, true), x, 0, 0, "p=0 keeps all");
  /* kept values are scaled by exactly 1 / (1 - p) */
  tg_tensor *y = tg_dropout(tg_ones(TG_SHAPE(1000), TG_FLOAT64), 0.25, true);
  int64_t kept = 0;
  for (int64_t i = 0; i < 1000; i++) {
    double v = tg_get_flat(y, i);
    ck_assert(v == 0 || v == 1 / 0.75);
    kept += v != 0;
  }
  ck_assert(kept > 700 && kept < 800);
  TG_EXPECT_ERROR(
      tg_dropout(x, 1.5, true),
      "tg_dropout: dropout probability has to be between 0 and 1, but got 1.5");
  TG_EXPECT_ERROR(tg_nn_dropout(-0.1),
                  "tg_nn_dropout: dropout probability has to be between 0 and 1");
  tg_module_free(d);
  tg_scope_end();
}
END_TEST

START_TEST(test_max_pool) {
  check_layer("maxpool", tg_nn_max_pool2d(&(tg_pool_opts){.kernel_size = {2, 2}}),
              TG_FLOAT64, -1);
  check_layer("maxpool_pad",
              tg_nn_max_pool2d(&(tg_pool_opts){
                  .kernel_size = {3, 3}, .stride = {2, 2}, .padding = {1, 1}}),
              TG_FLOAT64, -1);
}
END_TEST

START_TEST(test_batch_norm_train_and_eval) {
  check_layer("bn1d", tg_nn_batch_norm1d(3, 1e-5, 0.1, true, true), TG_FLOAT64, -1);
  check_layer("bn1d_3d", tg_nn_batch_norm1d(3, 1e-3, 0.3, true, true), TG_FLOAT64, -1);
  check_layer("bn1d_noaffine", tg_nn_batch_norm1d(3, 1e-5, 0.1, false, true), TG_FLOAT64,
              -1);
  /* two training batches move the running stats; eval then uses them */
  tg_module *bn = tg_nn_batch_norm2d(3, 1e-5, 0.1, true, true);
  tg_module_to(bn, TG_FLOAT64);
  tg_scope_begin();
  tg_module_forward(bn, tg_golden_tensor(golden, "layer.bn2d_eval.batch0", TG_FLOAT64));
  tg_module_forward(bn, tg_golden_tensor(golden, "layer.bn2d_eval.batch1", TG_FLOAT64));
  tg_scope_end();
  tg_module_eval(bn);
  check_layer("bn2d_eval", bn, TG_FLOAT64, -1);
}
END_TEST

/* ---- gradcheck of every layer: input and parameters, float64 ---- */

static void gradcheck_layer(tg_module *m, tg_shape x_shape, int64_t seed,
                            bool second_order) {
  tg_gradcheck_layer(m, x_shape, seed, second_order);
}

START_TEST(test_gradcheck_every_layer) {
  tg_manual_seed(3);
  gradcheck_layer(tg_nn_linear(3, 2, true), TG_SHAPE(4, 3), -1, true);
  gradcheck_layer(tg_nn_conv2d(2, 3, 3, 2, 1, true), TG_SHAPE(2, 2, 5, 4), -1, true);
  gradcheck_layer(tg_nn_conv2d(1, 2, 2, 1, 0, false), TG_SHAPE(1, 1, 3, 3), -1, false);
  gradcheck_layer(
      tg_nn_max_pool2d(&(tg_pool_opts){.kernel_size = {2, 2}, .stride = {1, 1}}),
      TG_SHAPE(1, 2, 3, 3), -1, true);
  gradcheck_layer(tg_nn_batch_norm1d(3, 1e-5, 0.1, true, true), TG_SHAPE(5, 3), -1, true);
  gradcheck_layer(tg_nn_batch_norm2d(2, 1e-5, 0.1, true, true), TG_SHAPE(3, 2, 2, 2), -1,
                  true);
  tg_module *bn = tg_nn_batch_norm2d(2, 1e-5, 0.1, true, true);
  tg_module_eval(bn);
  gradcheck_layer(bn, TG_SHAPE(3, 2, 2, 2), -1, false);
  gradcheck_layer(tg_nn_dropout(0.4), TG_SHAPE(4, 5), 9, false);
  gradcheck_layer(tg_nn_leaky_relu(0.1), TG_SHAPE(3, 4), -1, false);
  gradcheck_layer(tg_nn_sigmoid(), TG_SHAPE(3, 4), -1, true);
  gradcheck_layer(tg_nn_tanh(), TG_SHAPE(3, 4), -1, true);
  gradcheck_layer(tg_nn_softmax(0), TG_SHAPE(3, 4), -1, true);
  gradcheck_layer(tg_nn_log_softmax(1), TG_SHAPE(3, 4), -1, true);
  gradcheck_layer(tg_nn_flatten(0, 1), TG_SHAPE(2, 3, 2), -1, false);
  gradcheck_layer(tg_nn_sequential(tg_nn_linear(2, 3, true), tg_nn_tanh(), NULL),
                  TG_SHAPE(4, 2), -1, true);
}
END_TEST

/* conv2d equals a direct sum over the window, on a case worked by hand */
START_TEST(test_conv2d_direct) {
  tg_scope_begin();
  double xs[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, ws[4] = {1, 0, 0, -1}, bs[1] = {0.5};
  tg_tensor *x = tg_from_data(xs, TG_SHAPE(1, 1, 3, 3), TG_FLOAT64);
  tg_tensor *w = tg_from_data(ws, TG_SHAPE(1, 1, 2, 2), TG_FLOAT64);
  tg_tensor *b = tg_from_data(bs, TG_SHAPE(1), TG_FLOAT64);
  double expected[4] = {-3.5, -3.5, -3.5, -3.5}; /* x[i][j] - x[i+1][j+1] + 0.5 */
  tg_assert_close_data(tg_conv2d(x, w, b, NULL), expected, 4, 0, 0, "conv2d");
  /* padding 1, stride 2: the corners see one weight each */
  double padded[4] = {-1 + 0.5, -3 + 0.5, -7 + 0.5, 5 - 9 + 0.5};
  tg_conv_opts o = {.stride = {2, 2}, .padding = {1, 1}};
  tg_assert_close_data(tg_conv2d(x, w, b, &o), padded, 4, 0, 0, "padded conv2d");
  tg_scope_end();
}
END_TEST

START_TEST(test_layer_errors) {
  tg_scope_begin();
  tg_tensor *x3 = tg_ones(TG_SHAPE(2, 3, 4), TG_FLOAT32);
  tg_tensor *x4 = tg_ones(TG_SHAPE(1, 2, 4, 4), TG_FLOAT32);
  TG_EXPECT_ERROR(
      tg_fold(tg_ones(TG_SHAPE(1, 5, 4), TG_FLOAT32), 3, 3, 2, 1, 0),
      "tg_fold: expected patches of shape (N, C*4, 4) for a 3x3 image, got (1x5x4)");
  tg_module *bn1 = tg_nn_batch_norm1d(3, 1e-5, 0.1, true, true),
            *bn2 = tg_nn_batch_norm2d(2, 1e-5, 0.1, true, true);
  TG_EXPECT_ERROR(
      tg_module_forward(bn1, x4),
      "BatchNorm1d: expected 2D (N, C) or 3D (N, C, L) input, got shape (1x2x4x4)");
  TG_EXPECT_ERROR(tg_module_forward(bn2, x3),
                  "BatchNorm2d: expected 4D (N, C, H, W) input, got shape (2x3x4)");
  TG_EXPECT_ERROR(tg_module_forward(bn1, tg_ones(TG_SHAPE(1, 3), TG_FLOAT32)),
                  "tg_batch_norm: expected more than 1 value per channel when training, "
                  "got input of shape (1x3)");
  TG_EXPECT_ERROR(tg_module_forward(bn1, tg_ones(TG_SHAPE(4, 2), TG_FLOAT32)),
                  "tg_batch_norm: weight of shape (3) does not match 2 channels");
  TG_EXPECT_ERROR(tg_batch_norm(x3, NULL, NULL, NULL, NULL, false, 0.1, 1e-5),
                  "tg_batch_norm: eval mode needs running_mean and running_var");
  TG_EXPECT_ERROR(
      tg_nn_batch_norm1d(0, 1e-5, 0.1, true, true),
      "tg_nn_batch_norm1d: need num_features >= 1 and eps > 0, got 0 and 1e-05");
  TG_EXPECT_ERROR(
      tg_nn_linear(-1, 2, true),
      "tg_nn_linear: in_features (-1) and out_features (2) must not be negative");
  tg_module_free(bn1);
  tg_module_free(bn2);
  tg_scope_end();
}
END_TEST

/* ---- torch.nn.init ---- */

static void assert_golden_within(tg_tensor *t, const char *key, double rtol) {
  tg_scope_begin();
  tg_assert_close(t, tg_golden_tensor(golden, key, t->dtype), rtol, 0, key);
  tg_scope_end();
}

static void assert_golden_exact(tg_tensor *t, const char *key) {
  assert_golden_within(t, key, 0);
}

/* float32 normals of 16 or more elements come from torch's vectorised
 * Box-Muller (SLEEF's logf/cosf), which tg_normal_ reproduces to an ulp or two */
static const double one_ulp = 3e-7;

START_TEST(test_init_functions_match_torch) {
  tg_scope_begin();
  tg_manual_seed(3);
  tg_module *conv = tg_nn_conv2d(3, 4, 3, 1, 0, true);
  assert_golden_exact(tg_module_parameter(conv, "weight"), "init.conv.weight");
  assert_golden_exact(tg_module_parameter(conv, "bias"), "init.conv.bias");
  tg_module_free(conv);

  tg_manual_seed(5);
  tg_tensor *t = tg_empty(TG_SHAPE(3, 4), TG_FLOAT32);
  tg_init_uniform_(t, -2, 3);
  assert_golden_exact(t, "init.uniform");
  t = tg_empty(TG_SHAPE(5, 7), TG_FLOAT32);
  tg_init_normal_(t, 1, 2);
  assert_golden_within(t, "init.normal", one_ulp);
  t = tg_empty(TG_SHAPE(6, 5), TG_FLOAT32);
  tg_init_xavier_uniform_(t, 1.5);
  assert_golden_exact(t, "init.xavier_uniform");
  t = tg_empty(TG_SHAPE(4, 6), TG_FLOAT32);
  tg_init_xavier_normal_(t, 1);
  assert_golden_within(t, "init.xavier_normal", one_ulp);
  t = tg_empty(TG_SHAPE(4, 3, 2, 2), TG_FLOAT32);
  tg_init_kaiming_uniform_(t, 0.1, TG_FAN_OUT, "leaky_relu");
  assert_golden_exact(t, "init.kaiming_uniform");
  t = tg_empty(TG_SHAPE(20, 10), TG_FLOAT32);
  tg_init_kaiming_normal_(t, 0, TG_FAN_IN, "relu");
  assert_golden_within(t, "init.kaiming_normal", one_ulp);
  t = tg_empty(TG_SHAPE(3, 5), TG_FLOAT64);
  tg_init_kaiming_normal_(t, 0, TG_FAN_IN, "leaky_relu");
  assert_golden_exact(t, "init.kaiming_normal_f64");

  double gains[8] = {
      tg_calculate_gain("linear", NAN),     tg_calculate_gain("conv2d", NAN),
      tg_calculate_gain("sigmoid", NAN),    tg_calculate_gain("tanh", NAN),
      tg_calculate_gain("relu", NAN),       tg_calculate_gain("selu", NAN),
      tg_calculate_gain("leaky_relu", NAN), tg_calculate_gain("leaky_relu", 0.2)};
  assert_golden_exact(tg_from_data(gains, TG_SHAPE(8), TG_FLOAT64), "init.gains");

  t = tg_empty(TG_SHAPE(2, 3), TG_FLOAT32);
  tg_init_constant_(t, 2.5);
  ck_assert_double_eq(tg_item(tg_min_all(t)), 2.5);
  tg_init_ones_(t);
  ck_assert_double_eq(tg_item(tg_sum(t, TG_ALL_DIMS, false)), 6);
  tg_init_zeros_(t);
  ck_assert_double_eq(tg_item(tg_max_all(tg_abs(t))), 0);
  int64_t fan_in, fan_out;
  tg_calculate_fan_in_and_fan_out(tg_empty(TG_SHAPE(4, 3, 2, 5), TG_FLOAT32), &fan_in,
                                  &fan_out);
  ck_assert_int_eq(fan_in, 30);
  ck_assert_int_eq(fan_out, 40);
  TG_EXPECT_ERROR(tg_init_xavier_uniform_(tg_empty(TG_SHAPE(5), TG_FLOAT32), 1),
                  "tg_calculate_fan_in_and_fan_out: fan in and fan out can not be "
                  "computed for a tensor with fewer than 2 dimensions, got shape (5)");
  TG_EXPECT_ERROR(tg_calculate_gain("swish", NAN),
                  "tg_calculate_gain: unsupported nonlinearity \"swish\"");
  TG_EXPECT_ERROR(tg_init_uniform_(tg_empty(TG_SHAPE(2), TG_INT64), 0, 1),
                  "tg_init_uniform_: expected a floating tensor, got int64");
  tg_scope_end();
}
END_TEST

int main(void) {
  Suite *s = suite_create("nn_layers");
  TCase *tc = tcase_create("layers");
  tcase_set_timeout(tc, 300);
  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_linear_and_conv_float64_and_float32);
  tcase_add_test(tc, test_activations_and_shapes);
  tcase_add_test(tc, test_dropout_mask_matches_torch);
  tcase_add_test(tc, test_dropout_eval_and_edges);
  tcase_add_test(tc, test_max_pool);
  tcase_add_test(tc, test_batch_norm_train_and_eval);
  tcase_add_test(tc, test_gradcheck_every_layer);
  tcase_add_test(tc, test_conv2d_direct);
  tcase_add_test(tc, test_layer_errors);
  tcase_add_test(tc, test_init_functions_match_torch);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
