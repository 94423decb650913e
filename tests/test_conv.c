/* Convolution: F.conv1d / F.conv2d against PyTorch 1.13 over a sweep of
 * options (tests/golden/conv.py: forward and every gradient, float64 at
 * 1e-10, float32 at 1e-5), nn.Conv1d / nn.Conv2d's initialisation and repr,
 * the BLAS path against unfold + matmul, deterministic threads,
 * the double backward's grad_fn names, and every error a user can hit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensorgrad/nn.h"
#include "test_util.h"

static tg_golden *golden;

static void setup(void) {
  golden = tg_golden_load(TG_TEST_DIR "/golden/conv.txt");
}
static void teardown(void) {
  tg_golden_free(golden);
}

static tg_tensor *entry(int i, const char *dtype_name, const char *what, tg_dtype dtype) {
  char key[128];
  if (dtype_name)
    snprintf(key, sizeof key, "case.%d.%s.%s", i, dtype_name, what);
  else
    snprintf(key, sizeof key, "case.%d.%s", i, what);
  return tg_golden_tensor(golden, key, dtype);
}

static tg_tensor *leaf(int i, const char *what, tg_dtype dtype) {
  return tg_requires_grad_(entry(i, NULL, what, dtype), true);
}

/* The options of a case's params entry (see conv.py). */
static tg_conv_opts case_options(const double *p) {
  return (tg_conv_opts){.stride = {(int64_t)p[3], (int64_t)p[4]},
                        .padding = {(int64_t)p[5], (int64_t)p[6]},
                        .dilation = {(int64_t)p[7], (int64_t)p[8]},
                        .groups = (int64_t)p[9],
                        .padding_rule = (tg_padding_rule)p[10]};
}

static void check_case(int i, tg_dtype dtype) {
  const char *name = dtype == TG_FLOAT64 ? "f64" : "f32";
  double tol = dtype == TG_FLOAT64 ? 1e-10 : 1e-5;
  char key[64], what[64];
  snprintf(key, sizeof key, "case.%d.params", i);
  const double *p = tg_golden_get(golden, key, NULL, NULL);
  int spatial = (int)p[0];
  tg_conv_opts o = case_options(p);
  if (spatial == 1) { /* conv1d's int is element 0 */
    o.stride[0] = o.stride[1];
    o.padding[0] = o.padding[1];
    o.dilation[0] = o.dilation[1];
  }
  tg_scope_begin();
  tg_tensor *x = leaf(i, "x", dtype), *w = leaf(i, "w", dtype);
  tg_tensor *b = p[11] ? leaf(i, "b", dtype) : NULL;
  tg_tensor *y = spatial == 2 ? tg_conv2d(x, w, b, &o) : tg_conv1d(x, w, b, &o);
  snprintf(what, sizeof what, "case %d %s", i, name);
  tg_assert_close(y, entry(i, name, "y", dtype), tol, tol, what);
  ck_assert_str_eq(tg_grad_fn_name(y),
                   p[12] ? "SqueezeBackward1" : "ConvolutionBackward0");
  tg_backward(y, entry(i, NULL, "g", dtype), 0);
  tg_assert_close(tg_grad(x), entry(i, name, "gx", dtype), tol, tol, what);
  tg_assert_close(tg_grad(w), entry(i, name, "gw", dtype), tol, tol, what);
  if (b) tg_assert_close(tg_grad(b), entry(i, name, "gb", dtype), tol, tol, what);
  tg_scope_end();
}

START_TEST(test_conv_golden_sweep) {
  int cases = 0;
  for (int i = 0;; i++) {
    char key[64];
    snprintf(key, sizeof key, "case.%d.params", i);
    if (!tg_golden_has(golden, key)) break;
    check_case(i, TG_FLOAT64);
    check_case(i, TG_FLOAT32);
    cases++;
  }
  ck_assert_int_ge(cases, 17);
}
END_TEST

/* Same seed, same numbers as PyTorch's reset_parameters (fan_in counts the
 * input channels of one group). */
START_TEST(test_conv_modules_init_and_repr) {
  tg_scope_begin();
  tg_manual_seed(0);
  tg_conv_opts o2 = {
      .stride = {2, 1}, .padding = {1, 0}, .dilation = {1, 2}, .groups = 2};
  tg_module *c2 = tg_nn_conv2d_opts(6, 4, 3, 2, true, &o2);
  tg_conv_opts o1 = {.groups = 3, .padding_rule = TG_PADDING_SAME};
  tg_module *c1 = tg_nn_conv1d(3, 6, 5, false, &o1);
  tg_assert_close(tg_module_parameter(c2, "weight"),
                  tg_golden_tensor(golden, "init.conv2d.weight", TG_FLOAT32), 0, 0,
                  "conv2d weight");
  tg_assert_close(tg_module_parameter(c2, "bias"),
                  tg_golden_tensor(golden, "init.conv2d.bias", TG_FLOAT32), 0, 0,
                  "conv2d bias");
  tg_assert_close(tg_module_parameter(c1, "weight"),
                  tg_golden_tensor(golden, "init.conv1d.weight", TG_FLOAT32), 0, 0,
                  "conv1d weight");
  const char *expected[] = {
      "Conv2d(6, 4, kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), "
      "groups=2)",
      "Conv1d(3, 6, kernel_size=(5,), stride=(1,), padding=same, groups=3, bias=False)",
      "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))",
      "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=valid)"};
  tg_module *valid = tg_nn_conv2d_opts(1, 6, 5, 5, true,
                                       &(tg_conv_opts){.padding_rule = TG_PADDING_VALID});
  tg_module *modules[] = {c2, c1, tg_nn_conv2d(1, 6, 5, 1, 2, true), valid};
  for (int i = 0; i < 4; i++) {
    char *repr = tg_module_repr(modules[i]);
    ck_assert_str_eq(repr, expected[i]);
    free(repr);
  }
  /* the module runs its options: 'same' keeps the length */
  tg_tensor *y = tg_module_forward(c1, tg_randn(TG_SHAPE(2, 3, 7), TG_FLOAT32));
  tg_assert_shape(y, TG_SHAPE(2, 6, 7));
  for (int i = 0; i < 4; i++) tg_module_free(modules[i]);
  tg_scope_end();
}
END_TEST

/* A product big enough for BLAS (and the pool, at 2 threads) equals the
 * im2col written out with unfold and matmul, gradients included. */
START_TEST(test_conv_blas_path_matches_unfold_matmul) {
  tg_scope_begin();
  tg_manual_seed(4);
  tg_tensor *x = tg_requires_grad_(tg_randn(TG_SHAPE(3, 8, 32, 32), TG_FLOAT32), true);
  tg_tensor *w = tg_requires_grad_(tg_randn(TG_SHAPE(16, 8, 3, 3), TG_FLOAT32), true);
  tg_tensor *b = tg_requires_grad_(tg_randn(TG_SHAPE(16), TG_FLOAT32), true);
  tg_tensor *x2 = tg_requires_grad_(tg_detach(x), true);
  tg_tensor *w2 = tg_requires_grad_(tg_detach(w), true);
  tg_tensor *b2 = tg_requires_grad_(tg_detach(b), true);
  tg_tensor *g = tg_randn(TG_SHAPE(3, 16, 32, 32), TG_FLOAT32);
  tg_backward(tg_conv2d(x, w, b, &(tg_conv_opts){.padding = {1, 1}}), g, 0);
  tg_tensor *cols = tg_unfold(x2, 3, 1, 1);
  tg_tensor *ref = tg_add(tg_matmul(tg_reshape(w2, TG_SHAPE(16, -1)), cols),
                          tg_view(b2, TG_SHAPE(16, 1)));
  tg_backward(tg_reshape(ref, TG_SHAPE(3, 16, 32, 32)), g, 0);
  tg_assert_close(tg_grad(x), tg_grad(x2), 1e-4, 1e-4, "grad x");
  tg_assert_close(tg_grad(w), tg_grad(w2), 1e-4, 1e-3, "grad w");
  tg_assert_close(tg_grad(b), tg_grad(b2), 1e-4, 1e-3, "grad b");
  tg_scope_end();
}
END_TEST

/* One forward and backward of LeNet's second convolution, whose column
 * copies the pool splits and whose GEMMs OpenBLAS threads at 2 threads. */
static void lenet_conv(int threads, tg_tensor **out) {
  tg_set_num_threads(threads);
  tg_manual_seed(9);
  tg_tensor *x = tg_requires_grad_(tg_randn(TG_SHAPE(13, 6, 14, 14), TG_FLOAT32), true);
  tg_tensor *w = tg_requires_grad_(tg_randn(TG_SHAPE(16, 6, 5, 5), TG_FLOAT32), true);
  tg_tensor *y = tg_conv2d(x, w, NULL, NULL);
  tg_backward(y, tg_randn(tg_shape_of(y), TG_FLOAT32), 0);
  out[0] = y;
  out[1] = tg_grad(x);
  out[2] = tg_grad(w);
  tg_set_num_threads(1);
}

/* Runs at 2 threads give the same bits each time (the blocks and the
 * order of the weight's sums are fixed by the shapes); 1 and 2 threads
 * agree to float32 rounding (OpenBLAS splits its products by threads). */
START_TEST(test_conv_threads_deterministic) {
  tg_scope_begin();
  tg_tensor *one[3], *two[3], *again[3];
  lenet_conv(1, one);
  lenet_conv(2, two);
  lenet_conv(2, again);
  for (int i = 0; i < 3; i++) {
    tg_assert_close(two[i], again[i], 0, 0, "2 threads twice");
    tg_assert_close(one[i], two[i], 1e-5, 1e-4, "1 vs 2 threads");
  }
  tg_scope_end();
}
END_TEST

/* The weight gradient of a convolution wider than the direct kernels take
 * (the column kernels' GEMM, its input channels split over the threads),
 * at 1, 2 and 3 threads: the same bits. The first shape is the
 * Fashion-MNIST CNN's second convolution; OpenBLAS's own two threads gave
 * the second one other bits than one thread before. */
static tg_tensor *wide_weight_grad(int threads, tg_shape xs, tg_shape ws) {
  tg_set_num_threads(threads);
  tg_manual_seed(5);
  tg_tensor *x = tg_randn(xs, TG_FLOAT32);
  tg_tensor *w = tg_requires_grad_(tg_randn(ws, TG_FLOAT32), true);
  tg_tensor *y = tg_conv2d(x, w, NULL, &(tg_conv_opts){.padding = {1, 1}});
  tg_backward(y, tg_randn(tg_shape_of(y), TG_FLOAT32), 0);
  tg_set_num_threads(1);
  return tg_grad(w);
}

START_TEST(test_conv_wide_weight_grad_threads) {
  tg_shape xs[2] = {TG_SHAPE(5, 32, 14, 14), TG_SHAPE(8, 16, 10, 10)};
  tg_shape ws[2] = {TG_SHAPE(64, 32, 3, 3), TG_SHAPE(40, 16, 3, 3)};
  tg_scope_begin();
  for (int c = 0; c < 2; c++) {
    tg_tensor *one = wide_weight_grad(1, xs[c], ws[c]);
    for (int threads = 2; threads <= 3; threads++)
      tg_assert_close(wide_weight_grad(threads, xs[c], ws[c]), one, 0, 0,
                      "wide weight gradient, 1 thread against 2 and 3");
  }
  tg_scope_end();
}
END_TEST

/* create_graph: the gradients are themselves convolutions on the tape,
 * named as PyTorch names them, and differentiate again. */
START_TEST(test_conv_double_backward) {
  tg_scope_begin();
  tg_manual_seed(2);
  tg_tensor *x = tg_requires_grad_(tg_randn(TG_SHAPE(2, 3, 5, 5), TG_FLOAT64), true);
  tg_tensor *w = tg_requires_grad_(tg_randn(TG_SHAPE(4, 3, 3, 3), TG_FLOAT64), true);
  tg_tensor *y = tg_conv2d(x, w, NULL, NULL);
  tg_tensor *inputs[2] = {x, w}, *grads[2];
  tg_autograd_grad(y, tg_ones_like(y), 2, inputs, grads, TG_CREATE_GRAPH);
  ck_assert_str_eq(tg_grad_fn_name(grads[0]), "ConvolutionBackwardBackward0");
  ck_assert_str_eq(tg_grad_fn_name(grads[1]), "ConvolutionBackwardBackward0");
  tg_backward(tg_add(tg_sum(tg_mul(grads[0], grads[0]), TG_ALL_DIMS, false),
                     tg_sum(tg_mul(grads[1], grads[1]), TG_ALL_DIMS, false)),
              NULL, 0);
  ck_assert_ptr_nonnull(tg_grad(x));
  ck_assert_ptr_nonnull(tg_grad(w));
  tg_scope_end();
}
END_TEST

/* An empty batch gives an empty output and zero gradients; no input
 * channels a zero output (PyTorch 1.13 returns (N, 0, H, W) there). */
START_TEST(test_conv_empty) {
  tg_scope_begin();
  tg_shape xs[2] = {TG_SHAPE(0, 2, 5, 5), TG_SHAPE(2, 0, 5, 5)};
  tg_shape ws[2] = {TG_SHAPE(3, 2, 3, 3), TG_SHAPE(3, 0, 3, 3)};
  tg_shape ys[2] = {TG_SHAPE(0, 3, 3, 3), TG_SHAPE(2, 3, 3, 3)};
  for (int i = 0; i < 2; i++) {
    tg_tensor *x = tg_requires_grad_(tg_ones(xs[i], TG_FLOAT64), true);
    tg_tensor *w = tg_requires_grad_(tg_ones(ws[i], TG_FLOAT64), true);
    tg_tensor *y = tg_conv2d(x, w, NULL, NULL);
    tg_assert_close(y, tg_zeros(ys[i], TG_FLOAT64), 0, 0, "empty conv");
    tg_backward(tg_sum(y, TG_ALL_DIMS, false), NULL, 0);
    tg_assert_close(tg_grad(x), tg_zeros(xs[i], TG_FLOAT64), 0, 0, "empty grad x");
    tg_assert_close(tg_grad(w), tg_zeros(ws[i], TG_FLOAT64), 0, 0, "empty grad w");
  }
  tg_scope_end();
}
END_TEST

START_TEST(test_conv_errors) {
  tg_scope_begin();
  tg_tensor *x = tg_ones(TG_SHAPE(2, 3, 5, 5), TG_FLOAT32);
  tg_tensor *w = tg_ones(TG_SHAPE(4, 3, 3, 3), TG_FLOAT32);
  TG_EXPECT_ERROR(
      tg_conv2d(tg_ones(TG_SHAPE(2, 3), TG_FLOAT32), w, NULL, NULL),
      "tg_conv2d: Expected 3D (unbatched) or 4D (batched) input to conv2d, but "
      "got input of size: (2x3)");
  TG_EXPECT_ERROR(
      tg_conv1d(x, tg_ones(TG_SHAPE(4, 3, 3), TG_FLOAT32), NULL, NULL),
      "tg_conv1d: Expected 2D (unbatched) or 3D (batched) input to conv1d, but "
      "got input of size: (2x3x5x5)");
  TG_EXPECT_ERROR(
      tg_conv2d(x, tg_ones(TG_SHAPE(4, 3, 3), TG_FLOAT32), NULL, NULL),
      "tg_conv2d: expected a 4D weight (out_channels, in_channels / groups, kH, "
      "kW), got weight of size (4x3x3)");
  TG_EXPECT_ERROR(tg_conv2d(x, tg_ones(TG_SHAPE(0, 3, 3, 3), TG_FLOAT32), NULL, NULL),
                  "tg_conv2d: Given groups=1, expected weight to be at least 1 at "
                  "dimension 0, but got weight of size (0x3x3x3) instead");
  TG_EXPECT_ERROR(tg_conv2d(x, tg_ones(TG_SHAPE(3, 3, 3, 3), TG_FLOAT32), NULL,
                            &(tg_conv_opts){.groups = 2}),
                  "tg_conv2d: Given groups=2, expected weight to be divisible by 2 at "
                  "dimension 0, but got weight of size (3x3x3x3) instead");
  TG_EXPECT_ERROR(tg_conv2d(x, tg_ones(TG_SHAPE(4, 2, 3, 3), TG_FLOAT32), NULL, NULL),
                  "tg_conv2d: Given groups=1, weight of size (4x2x3x3), expected "
                  "input(2x3x5x5) to have 2 channels, but got 3 channels instead");
  TG_EXPECT_ERROR(tg_conv2d(x, w, tg_ones(TG_SHAPE(3), TG_FLOAT32), NULL),
                  "tg_conv2d: Given weight of size (4x3x3x3), expected bias to be "
                  "1-dimensional with 4 elements, but got bias of size (3) instead");
  TG_EXPECT_ERROR(tg_conv2d(x, tg_ones(TG_SHAPE(4, 3, 6, 6), TG_FLOAT32), NULL, NULL),
                  "tg_conv2d: Calculated padded input size per channel: (5 x 5). Kernel "
                  "size: (6 x 6). Kernel size can't be greater than actual input size");
  TG_EXPECT_ERROR(tg_conv2d(x, w, NULL, &(tg_conv_opts){.dilation = {3, 1}}),
                  "tg_conv2d: Calculated padded input size per channel: (5 x 5). Kernel "
                  "size: (7 x 3). Kernel size can't be greater than actual input size");
  TG_EXPECT_ERROR(tg_conv1d(tg_ones(TG_SHAPE(2, 3, 4), TG_FLOAT32),
                            tg_ones(TG_SHAPE(2, 3, 6), TG_FLOAT32), NULL, NULL),
                  "tg_conv1d: Calculated padded input size per channel: (4). Kernel "
                  "size: (6). Kernel "
                  "size can't be greater than actual input size");
  TG_EXPECT_ERROR(
      tg_conv2d(x, w, NULL,
                &(tg_conv_opts){.stride = {2, 2}, .padding_rule = TG_PADDING_SAME}),
      "tg_conv2d: padding='same' is not supported for strided convolutions");
  TG_EXPECT_ERROR(tg_conv2d(x, w, NULL, &(tg_conv_opts){.stride = {-1, 1}}),
                  "tg_conv2d: non-positive stride is not supported");
  TG_EXPECT_ERROR(tg_conv2d(x, w, NULL, &(tg_conv_opts){.padding = {0, -1}}),
                  "tg_conv2d: negative padding is not supported");
  TG_EXPECT_ERROR(tg_conv2d(x, w, NULL, &(tg_conv_opts){.dilation = {-2, 1}}),
                  "tg_conv2d: dilation should be greater than zero");
  TG_EXPECT_ERROR(tg_conv2d(x, w, NULL, &(tg_conv_opts){.groups = -1}),
                  "tg_conv2d: non-positive groups is not supported");
  TG_EXPECT_ERROR(
      tg_conv2d(x, w, NULL, &(tg_conv_opts){.padding_rule = 7}),
      "tg_conv2d: padding_rule 7 is not TG_PADDING_EXPLICIT, _VALID or _SAME");
  TG_EXPECT_ERROR(tg_conv2d(x, tg_ones(TG_SHAPE(4, 3, 3, 3), TG_FLOAT64), NULL, NULL),
                  "tg_conv2d: input, weight and bias must be float32 or float64 of one "
                  "dtype, got float32, float64 and no bias");
  TG_EXPECT_ERROR(
      tg_nn_conv2d(0, 1, 3, 1, 0, true),
      "tg_nn_conv2d: in_channels (0), out_channels (1) and kernel_size (3, 3) "
      "must be positive");
  TG_EXPECT_ERROR(
      tg_nn_conv2d(1, 1, 3, 0, 0, true),
      "tg_nn_conv2d: stride (0) must be positive and padding (0) not negative");
  TG_EXPECT_ERROR(tg_nn_conv2d_opts(3, 4, 3, 3, true, &(tg_conv_opts){.groups = 2}),
                  "tg_nn_conv2d: in_channels must be divisible by groups");
  TG_EXPECT_ERROR(tg_nn_conv1d(4, 3, 3, true, &(tg_conv_opts){.groups = 2}),
                  "tg_nn_conv1d: out_channels must be divisible by groups");
  TG_EXPECT_ERROR(tg_nn_conv1d(4, 4, 3, true, &(tg_conv_opts){.groups = -2}),
                  "tg_nn_conv1d: groups must be a positive integer");
  TG_EXPECT_ERROR(
      tg_nn_conv1d(4, 4, 3, true,
                   &(tg_conv_opts){.stride = {2}, .padding_rule = TG_PADDING_SAME}),
      "tg_nn_conv1d: padding='same' is not supported for strided convolutions");
  TG_EXPECT_ERROR(tg_nn_conv1d(4, 4, 3, true, &(tg_conv_opts){.padding = {-1}}),
                  "tg_nn_conv1d: stride and dilation must be positive and padding not "
                  "negative");
  tg_scope_end();
}
END_TEST

int main(void) {
  Suite *s = suite_create("conv");
  TCase *tc = tcase_create("conv");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_conv_golden_sweep);
  tcase_add_test(tc, test_conv_modules_init_and_repr);
  tcase_add_test(tc, test_conv_blas_path_matches_unfold_matmul);
  tcase_add_test(tc, test_conv_threads_deterministic);
  tcase_add_test(tc, test_conv_wide_weight_grad_threads);
  tcase_add_test(tc, test_conv_double_backward);
  tcase_add_test(tc, test_conv_empty);
  tcase_add_test(tc, test_conv_errors);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
