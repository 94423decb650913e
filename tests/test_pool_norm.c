/* Pooling (MaxPool1d/2d, AvgPool2d, the adaptive ones), BatchNorm's
 * momentum=None and track_running_stats=False, GroupNorm, Dropout2d and
 * Dropout1d against PyTorch 1.13 (tests/golden/pool_norm.py: forward,
 * gradients, indices, buffers; float64 at 1e-10, float32 at 1e-5), their
 * modules' state_dict keys, train/eval behaviour and reprs, a gradcheck
 * of each module, and every error a user can reach. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor/core.h" /* tg_parallel_set_grain */
#include "tensorgrad/nn.h"
#include "test_util.h"

static tg_golden *golden;

static void setup(void) {
  golden = tg_golden_load(TG_TEST_DIR "/golden/pool_norm.txt");
}
static void teardown(void) {
  tg_golden_free(golden);
}

/* ---- functional pooling across the option sweep ---- */

enum { MAX2D, MAX1D, AVG2D, ADAPTIVE_MAX, ADAPTIVE_AVG };

/* The call a spec names: kind, kernel, stride, padding, dilation (pairs),
 * ceil_mode, count_include_pad, divisor_override, adaptive output size. */
static tg_tensor *run_pool(const double *spec, tg_tensor *x, tg_tensor **indices) {
  tg_pool_opts o = {.kernel_size = {(int64_t)spec[1], (int64_t)spec[2]},
                    .stride = {(int64_t)spec[3], (int64_t)spec[4]},
                    .padding = {(int64_t)spec[5], (int64_t)spec[6]},
                    .dilation = {(int64_t)spec[7], (int64_t)spec[8]},
                    .ceil_mode = spec[9] != 0,
                    .no_count_include_pad = spec[10] == 0,
                    .divisor_override = (int64_t)spec[11]};
  int64_t out_h = (int64_t)spec[12], out_w = (int64_t)spec[13];
  *indices = NULL;
  switch ((int)spec[0]) {
  case MAX2D:
    return tg_max_pool2d(x, &o, indices);
  case MAX1D:
    return tg_max_pool1d(x, &o, indices);
  case AVG2D:
    return tg_avg_pool2d(x, &o);
  case ADAPTIVE_MAX:
    return tg_adaptive_max_pool2d(x, out_h, out_w, indices);
  default:
    return tg_adaptive_avg_pool2d(x, out_h, out_w);
  }
}

static tg_tensor *case_entry(const char *name, const char *what, tg_dtype dtype) {
  char key[128];
  snprintf(key, sizeof key, "%s.%s", name, what);
  return tg_golden_tensor(golden, key, dtype);
}

static void check_pool_case(int i, tg_dtype dtype) {
  double rtol = dtype == TG_FLOAT64 ? 1e-10 : 1e-5,
         atol = dtype == TG_FLOAT64 ? 1e-12 : 1e-6;
  char spec_key[64], name[64], key[128];
  snprintf(spec_key, sizeof spec_key, "pool%d.spec", i);
  snprintf(name, sizeof name, "pool%d%s", i, dtype == TG_FLOAT64 ? "" : "_f32");
  snprintf(key, sizeof key, "%s.x", name);
  if (!tg_golden_has(golden, key)) return; /* the NaN case is float64 only */
  tg_scope_begin();
  const double *spec = tg_golden_get(golden, spec_key, NULL, NULL);
  tg_tensor *x = tg_requires_grad_(case_entry(name, "x", dtype), true);
  tg_tensor *indices;
  tg_tensor *y = run_pool(spec, x, &indices);
  tg_backward(y, case_entry(name, "gy", dtype), 0);
  snprintf(key, sizeof key, "%s forward", name);
  tg_assert_close(y, case_entry(name, "y", dtype), rtol, atol, key);
  snprintf(key, sizeof key, "%s input grad", name);
  tg_assert_close(tg_grad(x), case_entry(name, "gx", dtype), rtol, atol, key);
  if (indices) {
    snprintf(key, sizeof key, "%s indices", name);
    ck_assert_int_eq(indices->dtype, TG_INT64);
    tg_assert_close(indices, case_entry(name, "indices", TG_INT64), 0, 0, key);
  }
  tg_scope_end();
}

START_TEST(test_pooling_matches_torch) {
  int count = (int)tg_golden_get(golden, "pool.count", NULL, NULL)[0];
  ck_assert_int_ge(count, 20);
  for (int i = 0; i < count; i++) {
    check_pool_case(i, TG_FLOAT64);
    check_pool_case(i, TG_FLOAT32);
  }
}
END_TEST

/* A fixed input with a tie, a NaN and padding: values worked by hand. */
START_TEST(test_max_pool_by_hand) {
  tg_scope_begin();
  double xs[8] = {1, 3, 3, -2, NAN, 0, -5, -4};
  tg_tensor *x = tg_from_data(xs, TG_SHAPE(1, 2, 2, 2), TG_FLOAT64), *indices;
  tg_tensor *y = tg_max_pool2d(x, &(tg_pool_opts){.kernel_size = {2, 2}}, &indices);
  ck_assert_double_eq(tg_get_flat(y, 0), 3);
  ck_assert_int_eq((int64_t)tg_get_flat(indices, 0), 1); /* the first of the tie */
  ck_assert(isnan(tg_get_flat(y, 1)));                   /* NaN wins */
  ck_assert_int_eq((int64_t)tg_get_flat(indices, 1), 0);
  /* -inf padding: an all-negative plane keeps its own values at the edges */
  tg_tensor *padded = tg_max_pool2d(
      tg_neg(tg_abs(x)), &(tg_pool_opts){.kernel_size = {2, 2}, .padding = {1, 1}}, NULL);
  tg_assert_shape(padded, TG_SHAPE(1, 2, 2, 2));
  ck_assert_double_eq(tg_get_flat(padded, 4 + 3), -4);
  tg_scope_end();
}
END_TEST

/* ---- pooling on threads ---- */

enum { THREADED_POOLS = 6, POOL_RESULTS = 3 * THREADED_POOLS };

/* Pooling number k of x (forward; indices for the max poolings). */
static tg_tensor *threaded_pool(int k, tg_tensor *x, tg_tensor **indices) {
  *indices = NULL;
  switch (k) {
  case 0: /* MaxPool2d(2): the unrolled 2x2 loop */
    return tg_max_pool2d(x, &(tg_pool_opts){.kernel_size = {2, 2}}, indices);
  case 1: /* overlapping, padded, dilated windows */
    return tg_max_pool2d(x,
                         &(tg_pool_opts){.kernel_size = {3, 3},
                                         .stride = {2, 1},
                                         .padding = {1, 1},
                                         .dilation = {1, 2},
                                         .ceil_mode = true},
                         indices);
  case 2:
    return tg_max_pool1d(tg_reshape(x, TG_SHAPE(x->shape[0], x->shape[1], -1)),
                         &(tg_pool_opts){.kernel_size = {5}, .stride = {3}}, indices);
  case 3:
    return tg_avg_pool2d(x, &(tg_pool_opts){.kernel_size = {3, 2},
                                            .padding = {1, 1},
                                            .ceil_mode = true,
                                            .no_count_include_pad = true});
  case 4:
    return tg_adaptive_max_pool2d(x, 7, 5, indices);
  default:
    return tg_adaptive_avg_pool2d(x, 6, 9);
  }
}

/* Every pooling's output, indices and input gradient at `threads`. */
static void threaded_pools(int threads, tg_tensor *x0, tg_tensor **out) {
  tg_set_num_threads(threads);
  for (int k = 0; k < THREADED_POOLS; k++) {
    tg_tensor *x = tg_requires_grad_(tg_detach(x0), true), *indices;
    tg_tensor *y = threaded_pool(k, x, &indices);
    tg_manual_seed(k);
    tg_backward(y, tg_randn(tg_shape_of(y), y->dtype), 0);
    out[3 * k] = y;
    out[3 * k + 1] = indices ? indices : y;
    out[3 * k + 2] = tg_grad(x);
  }
  tg_set_num_threads(1);
}

/* The threads take whole planes (N * C of them), each pooled as one
 * thread would: the same bits at 1, 2 and 3 threads, forward, indices and
 * backward, in both float dtypes. */
START_TEST(test_pooling_threads_give_the_same_bits) {
  tg_scope_begin();
  tg_parallel_set_grain(1024); /* split planes of this size */
  for (int f64 = 0; f64 <= 1; f64++) {
    tg_manual_seed(7);
    tg_tensor *x = tg_randn(TG_SHAPE(5, 7, 21, 18), f64 ? TG_FLOAT64 : TG_FLOAT32);
    tg_tensor *one[POOL_RESULTS], *many[POOL_RESULTS];
    threaded_pools(1, x, one);
    for (int threads = 2; threads <= 3; threads++) {
      threaded_pools(threads, x, many);
      for (int k = 0; k < POOL_RESULTS; k++) {
        char what[64];
        snprintf(what, sizeof what, "pooling %d result %d, %d threads, %s", k / 3, k % 3,
                 threads, f64 ? "float64" : "float32");
        tg_assert_close(many[k], one[k], 0, 0, what);
      }
    }
  }
  tg_parallel_set_grain(0);
  tg_scope_end();
}
END_TEST

/* ---- the modules against PyTorch ---- */

static void check_layer(const char *name, tg_module *m, tg_dtype dtype, int64_t seed) {
  tg_check_layer(golden, name, m, dtype, seed);
}

/* Runs layer.<name>.batch0 .. batch<n-1> through m in training mode, in
 * float64, as pool_norm.py's warmed_up. */
static tg_module *warmed_up(const char *name, tg_module *m, int batches) {
  tg_module_to(m, TG_FLOAT64);
  tg_no_grad_begin();
  for (int i = 0; i < batches; i++) {
    char key[128];
    snprintf(key, sizeof key, "layer.%s.batch%d", name, i);
    tg_scope_begin();
    tg_module_forward(m, tg_golden_tensor(golden, key, TG_FLOAT64));
    tg_scope_end();
  }
  tg_no_grad_end();
  return m;
}

START_TEST(test_norm_and_dropout_layers_match_torch) {
  const tg_dtype dtypes[2] = {TG_FLOAT64, TG_FLOAT32};
  const char *suffix[2] = {"", "_f32"};
  for (int k = 0; k < 2; k++) {
    char name[64];
#define NAME(base) (snprintf(name, sizeof name, "%s%s", base, suffix[k]), name)
    check_layer(
        NAME("bn_cma"),
        warmed_up(NAME("bn_cma"), tg_nn_batch_norm1d(3, 1e-5, NAN, true, true), 2),
        dtypes[k], -1);
    tg_module *bn =
        warmed_up(NAME("bn2d_cma"), tg_nn_batch_norm2d(2, 1e-5, NAN, true, true), 3);
    tg_module_eval(bn);
    check_layer(NAME("bn2d_cma"), bn, dtypes[k], -1);
    check_layer(NAME("bn_untracked"), tg_nn_batch_norm2d(3, 1e-5, 0.1, true, false),
                dtypes[k], -1);
    bn = tg_nn_batch_norm1d(3, 1e-5, NAN, false, false);
    tg_module_eval(bn);
    check_layer(NAME("bn_untracked_eval"), bn, dtypes[k], -1);
    check_layer(NAME("gn"), tg_nn_group_norm(2, 6, 1e-5, true), dtypes[k], -1);
    check_layer(NAME("gn4d"), tg_nn_group_norm(3, 6, 1e-3, true), dtypes[k], -1);
    check_layer(NAME("gn_noaffine"), tg_nn_group_norm(1, 3, 1e-5, false), dtypes[k], -1);
    check_layer(NAME("dropout2d"), tg_nn_dropout2d(0.4), dtypes[k], 21);
    check_layer(NAME("dropout2d_3d"), tg_nn_dropout2d(0.5), dtypes[k], 22);
    check_layer(NAME("dropout1d"), tg_nn_dropout1d(0.3), dtypes[k], 23);
    check_layer(NAME("bn2d_lanes"), tg_nn_batch_norm2d(4, 1e-5, 0.1, true, true),
                dtypes[k], -1);
    check_layer(NAME("bn1d_lanes"), tg_nn_batch_norm1d(3, 1e-5, 0.1, true, true),
                dtypes[k], -1);
    bn = warmed_up(NAME("bn2d_eval"), tg_nn_batch_norm2d(3, 1e-5, 0.2, true, true), 2);
    tg_module_eval(bn);
    check_layer(NAME("bn2d_eval"), bn, dtypes[k], -1);
    check_layer(NAME("dropout1d_unbatched"), tg_nn_dropout1d(0.3), dtypes[k], 24);
#undef NAME
  }
}
END_TEST

/* ---- state_dict keys, train and eval, repr ---- */

static void assert_state_keys(tg_module *m, const char *expected) {
  tg_tensor_dict *state = tg_state_dict(m);
  char keys[256] = "";
  for (int i = 0; i < state->n; i++)
    snprintf(keys + strlen(keys), sizeof keys - strlen(keys), "%s%s", i ? " " : "",
             state->items[i].name);
  ck_assert_str_eq(keys, expected);
  tg_tensor_dict_free(state);
}

static void assert_repr(tg_module *m, const char *expected) {
  char *repr = tg_module_repr(m);
  ck_assert_str_eq(repr, expected);
  free(repr);
  tg_module_free(m);
}

START_TEST(test_module_state_dict_keys) {
  tg_module *tracked = tg_nn_batch_norm2d(3, 1e-5, NAN, true, true);
  assert_state_keys(tracked, "weight bias running_mean running_var num_batches_tracked");
  tg_module *untracked = tg_nn_batch_norm2d(3, 1e-5, 0.1, true, false);
  assert_state_keys(untracked, "weight bias");
  tg_module *gn = tg_nn_group_norm(2, 4, 1e-5, true),
            *bare = tg_nn_group_norm(1, 3, 1e-5, false);
  assert_state_keys(gn, "weight bias");
  assert_state_keys(bare, "");
  ck_assert_int_eq(tg_module_num_parameters(gn, false), 8);
  tg_module *pool = tg_nn_avg_pool2d(&(tg_pool_opts){.kernel_size = {2, 2}});
  assert_state_keys(pool, "");
  tg_module *modules[6] = {tracked, untracked, gn, bare, pool, NULL};
  for (int i = 0; modules[i]; i++) tg_module_free(modules[i]);
}
END_TEST

START_TEST(test_module_reprs_match_torch) {
  assert_repr(
      tg_nn_max_pool2d(&(tg_pool_opts){.kernel_size = {2, 2}}),
      "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)");
  assert_repr(tg_nn_max_pool2d(&(tg_pool_opts){.kernel_size = {2, 3},
                                               .stride = {1, 1},
                                               .padding = {1, 0},
                                               .dilation = {2, 2}}),
              "MaxPool2d(kernel_size=(2, 3), stride=1, padding=(1, 0), dilation=2, "
              "ceil_mode=False)");
  assert_repr(
      tg_nn_max_pool1d(&(tg_pool_opts){.kernel_size = {3},
                                       .stride = {2},
                                       .padding = {1},
                                       .dilation = {2},
                                       .ceil_mode = true}),
      "MaxPool1d(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True)");
  assert_repr(tg_nn_avg_pool2d(&(tg_pool_opts){.kernel_size = {3, 3}}),
              "AvgPool2d(kernel_size=3, stride=3, padding=0)");
  assert_repr(tg_nn_avg_pool2d(&(tg_pool_opts){
                  .kernel_size = {2, 3}, .stride = {1, 1}, .padding = {1, 0}}),
              "AvgPool2d(kernel_size=(2, 3), stride=1, padding=(1, 0))");
  assert_repr(tg_nn_adaptive_avg_pool2d(0, 3),
              "AdaptiveAvgPool2d(output_size=(None, 3))");
  assert_repr(tg_nn_adaptive_max_pool2d(2, 2), "AdaptiveMaxPool2d(output_size=2)");
  assert_repr(tg_nn_group_norm(2, 4, 1e-5, true),
              "GroupNorm(2, 4, eps=1e-05, affine=True)");
  assert_repr(tg_nn_group_norm(3, 6, 1e-3, false),
              "GroupNorm(3, 6, eps=0.001, affine=False)");
  assert_repr(tg_nn_batch_norm2d(3, 1e-5, NAN, true, false),
              "BatchNorm2d(3, eps=1e-05, momentum=None, affine=True, "
              "track_running_stats=False)");
  assert_repr(
      tg_nn_batch_norm1d(4, 1e-5, 0.2, true, true),
      "BatchNorm1d(4, eps=1e-05, momentum=0.2, affine=True, track_running_stats=True)");
  assert_repr(tg_nn_dropout2d(0.5), "Dropout2d(p=0.5, inplace=False)");
  assert_repr(tg_nn_dropout1d(0.2), "Dropout1d(p=0.2, inplace=False)");
}
END_TEST

/* momentum=None: num_batches_tracked counts training batches only, and
 * the running mean is the plain average of the batch means. */
START_TEST(test_batch_norm_cumulative_average) {
  tg_scope_begin();
  tg_module *bn = tg_nn_batch_norm1d(2, 1e-5, NAN, true, true);
  double means[3][2] = {{1, -2}, {4, 0}, {-2, 5}};
  for (int b = 0; b < 3; b++) {
    double xs[4] = {means[b][0] - 1, means[b][1] - 3, means[b][0] + 1, means[b][1] + 3};
    tg_module_forward(bn, tg_from_data(xs, TG_SHAPE(2, 2), TG_FLOAT64));
  }
  ck_assert_double_eq(tg_item(tg_module_buffer(bn, "num_batches_tracked")), 3);
  tg_tensor *running_mean = tg_module_buffer(bn, "running_mean");
  ck_assert_double_eq_tol(tg_get_flat(running_mean, 0), 1, 1e-6);
  ck_assert_double_eq_tol(tg_get_flat(running_mean, 1), 1, 1e-6);
  tg_module_eval(bn);
  tg_module_forward(bn, tg_ones(TG_SHAPE(2, 2), TG_FLOAT32));
  ck_assert_double_eq(tg_item(tg_module_buffer(bn, "num_batches_tracked")), 3);
  tg_module_free(bn);
  tg_scope_end();
}
END_TEST

/* track_running_stats=False: eval normalises with the batch statistics,
 * exactly as training does. */
START_TEST(test_batch_norm_untracked_eval_uses_batch) {
  tg_scope_begin();
  tg_manual_seed(5);
  tg_module *bn = tg_nn_batch_norm2d(3, 1e-5, 0.1, true, false);
  tg_tensor *x = tg_randn(TG_SHAPE(4, 3, 2, 2), TG_FLOAT32);
  tg_tensor *train = tg_module_forward(bn, x);
  tg_module_eval(bn);
  tg_assert_close(tg_module_forward(bn, x), train, 0, 0, "untracked eval");
  ck_assert_ptr_null(tg_module_buffer(bn, "running_mean"));
  tg_module_free(bn);
  tg_scope_end();
}
END_TEST

/* Every (n, c) plane is either zeroed or scaled by 1 / (1 - p) as a whole;
 * eval returns x itself. */
START_TEST(test_dropout2d_drops_whole_planes) {
  tg_scope_begin();
  tg_manual_seed(7);
  tg_tensor *x = tg_add_scalar(tg_rand(TG_SHAPE(6, 5, 3, 4), TG_FLOAT64), 1);
  tg_tensor *y = tg_dropout2d(x, 0.25, true);
  int dropped = 0;
  for (int64_t plane = 0; plane < 30; plane++) {
    double first = tg_get_flat(y, plane * 12) / tg_get_flat(x, plane * 12);
    ck_assert(first == 0 || fabs(first - 1 / 0.75) < 1e-12);
    dropped += first == 0;
    for (int64_t i = 1; i < 12; i++)
      ck_assert_double_eq_tol(tg_get_flat(y, plane * 12 + i),
                              tg_get_flat(x, plane * 12 + i) * first, 1e-12);
  }
  ck_assert(dropped > 0 && dropped < 30);
  ck_assert_ptr_eq(tg_dropout2d(x, 0.25, false), x);
  tg_tensor *x3 = tg_reshape(x, TG_SHAPE(6, 5, 12));
  ck_assert_ptr_eq(tg_dropout1d(x3, 0.5, false), x3);
  tg_scope_end();
}
END_TEST

/* return_indices through a module: the same indices as the functional. */
START_TEST(test_max_pool_module_indices) {
  tg_scope_begin();
  tg_manual_seed(8);
  tg_tensor *x = tg_randn(TG_SHAPE(2, 3, 6, 5), TG_FLOAT32), *from_module, *from_fn;
  tg_pool_opts o = {
      .kernel_size = {3, 2}, .stride = {2, 2}, .padding = {1, 1}, .ceil_mode = true};
  tg_module *pool = tg_nn_max_pool2d(&o);
  tg_tensor *y = tg_max_pool_forward(pool, x, &from_module);
  tg_assert_close(y, tg_max_pool2d(x, &o, &from_fn), 0, 0, "module output");
  tg_assert_close(from_module, from_fn, 0, 0, "module indices");
  tg_assert_close(tg_module_forward(pool, x), y, 0, 0, "forward");
  tg_module *adaptive = tg_nn_adaptive_max_pool2d(2, 0);
  y = tg_max_pool_forward(adaptive, x, &from_module);
  tg_assert_shape(y, TG_SHAPE(2, 3, 2, 5));
  tg_assert_shape(from_module, TG_SHAPE(2, 3, 2, 5));
  tg_module_free(pool);
  tg_module_free(adaptive);
  tg_scope_end();
}
END_TEST

/* PyTorch's grad_fn names, the backward's own included. */
/* The one-op BatchNorm rounds as ATen's CPU kernel does: in float32 its
 * output, gradients and running statistics equal PyTorch's bit for bit
 * (planes of 8 and more elements, whose backward sums go in 8 lanes). */
static void check_bits(const char *name, tg_module *m) {
  char key[128];
#define KEY(what) (snprintf(key, sizeof key, "layer.%s.%s", name, what), key)
  tg_module_to(m, TG_FLOAT32);
  tg_scope_begin();
  tg_tensor *w = tg_module_parameter(m, "weight"), *b = tg_module_parameter(m, "bias");
  tg_no_grad_begin();
  tg_copy_(w, tg_golden_tensor(golden, KEY("param.weight"), TG_FLOAT32));
  tg_copy_(b, tg_golden_tensor(golden, KEY("param.bias"), TG_FLOAT32));
  tg_no_grad_end();
  tg_tensor *x = tg_requires_grad_(tg_golden_tensor(golden, KEY("x"), TG_FLOAT32), true);
  tg_tensor *y = tg_module_forward(m, x);
  ck_assert_str_eq(tg_grad_fn_name(y), "NativeBatchNormBackward0");
  tg_backward(y, tg_golden_tensor(golden, KEY("gy"), TG_FLOAT32), 0);
  tg_assert_close(y, tg_golden_tensor(golden, KEY("y"), TG_FLOAT32), 0, 0, KEY("y"));
  tg_assert_close(tg_grad(x), tg_golden_tensor(golden, KEY("gx"), TG_FLOAT32), 0, 0,
                  KEY("gx"));
  tg_assert_close(tg_grad(w), tg_golden_tensor(golden, KEY("grad.weight"), TG_FLOAT32), 0,
                  0, KEY("grad.weight"));
  tg_assert_close(tg_grad(b), tg_golden_tensor(golden, KEY("grad.bias"), TG_FLOAT32), 0,
                  0, KEY("grad.bias"));
  const char *stats[2] = {"running_mean", "running_var"};
  for (int i = 0; i < 2; i++) {
    char what[64];
    snprintf(what, sizeof what, "buffer.%s", stats[i]);
    tg_assert_close(tg_module_buffer(m, stats[i]),
                    tg_golden_tensor(golden, KEY(what), TG_FLOAT32), 0, 0, key);
  }
#undef KEY
  tg_scope_end();
  tg_module_free(m);
}

START_TEST(test_batch_norm_rounds_as_aten) {
  check_bits("bn2d_lanes_f32", tg_nn_batch_norm2d(4, 1e-5, 0.1, true, true));
  check_bits("bn1d_lanes_f32", tg_nn_batch_norm1d(3, 1e-5, 0.1, true, true));
  tg_module *bn =
      warmed_up("bn2d_eval_f32", tg_nn_batch_norm2d(3, 1e-5, 0.2, true, true), 2);
  tg_module_eval(bn);
  check_bits("bn2d_eval_f32", bn);
}
END_TEST

/* One BatchNorm step at a thread count: output, gradients and running
 * statistics, each flattened into out. */
static tg_tensor *batch_norm_step(tg_shape shape, int threads, bool training) {
  tg_set_num_threads(threads);
  tg_manual_seed(9);
  tg_module *bn = shape.ndim == 4 ? tg_nn_batch_norm2d(shape.d[1], 1e-5, 0.1, true, true)
                                  : tg_nn_batch_norm1d(shape.d[1], 1e-5, 0.1, true, true);
  tg_module_train(bn, training);
  tg_tensor *x = tg_requires_grad_(tg_randn(shape, TG_FLOAT32), true);
  tg_tensor *y = tg_module_forward(bn, x);
  tg_backward(y, tg_randn(shape, TG_FLOAT32), 0);
  tg_tensor *parts[6] = {tg_flatten(y, 0, -1),
                         tg_flatten(tg_grad(x), 0, -1),
                         tg_grad(tg_module_parameter(bn, "weight")),
                         tg_grad(tg_module_parameter(bn, "bias")),
                         tg_module_buffer(bn, "running_mean"),
                         tg_module_buffer(bn, "running_var")};
  tg_tensor *out = tg_cat(parts, 6, 0);
  tg_module_free(bn);
  return out;
}

/* Channels are split over the pool whole, so any thread count gives the
 * same bits (a tiny grain makes every channel a chunk of its own). */
START_TEST(test_batch_norm_same_bits_at_any_thread_count) {
  tg_scope_begin();
  tg_parallel_set_grain(16);
  const tg_shape shapes[3] = {TG_SHAPE(4, 5, 6, 7), TG_SHAPE(33, 7), TG_SHAPE(3, 6, 10)};
  for (int s = 0; s < 3; s++)
    for (int training = 0; training < 2; training++) {
      tg_tensor *one = batch_norm_step(shapes[s], 1, training);
      for (int threads = 2; threads <= 3; threads++)
        tg_assert_close(batch_norm_step(shapes[s], threads, training), one, 0, 0,
                        "batch norm at 2 and 3 threads");
    }
  tg_parallel_set_grain(0);
  tg_set_num_threads(1);
  tg_scope_end();
}
END_TEST

START_TEST(test_pool_grad_fn_names) {
  tg_scope_begin();
  tg_tensor *x = tg_requires_grad_(tg_randn(TG_SHAPE(1, 1, 4, 4), TG_FLOAT64), true), *g;
  const tg_pool_opts k2 = {.kernel_size = {2, 2}};
  tg_tensor *pooled[4] = {tg_max_pool2d(x, &k2, NULL), tg_avg_pool2d(x, &k2),
                          tg_adaptive_avg_pool2d(x, 2, 2),
                          tg_adaptive_max_pool2d(x, 2, 2, NULL)};
  const char *names[4][2] = {
      {"MaxPool2DWithIndicesBackward0", "MaxPool2DWithIndicesBackwardBackward0"},
      {"AvgPool2DBackward0", "AvgPool2DBackwardBackward0"},
      {"AdaptiveAvgPool2DBackward0", "AdaptiveAvgPool2DBackwardBackward0"},
      {"AdaptiveMaxPool2DBackward0", "AdaptiveMaxPool2DBackwardBackward0"}};
  for (int i = 0; i < 4; i++) {
    ck_assert_str_eq(tg_grad_fn_name(pooled[i]), names[i][0]);
    tg_tensor *gy = tg_requires_grad_(tg_ones_like(pooled[i]), true);
    tg_autograd_grad(pooled[i], gy, 1, &x, &g, TG_CREATE_GRAPH);
    ck_assert_str_eq(tg_grad_fn_name(g), names[i][1]);
  }
  tg_scope_end();
}
END_TEST

/* BatchNorm's gradients under create_graph are PyTorch's one node,
 * NativeBatchNormBackwardBackward0, in training and eval, with and without
 * the affine parameters, and differentiate again. */
START_TEST(test_batch_norm_double_backward_names) {
  tg_scope_begin();
  for (int k = 0; k < 4; k++) {
    bool training = k % 2 == 0, affine = k < 2;
    tg_module *bn = tg_nn_batch_norm2d(3, 1e-5, 0.1, affine, true);
    tg_module_to(bn, TG_FLOAT64);
    tg_module_train(bn, training);
    tg_tensor *x = tg_requires_grad_(tg_randn(TG_SHAPE(2, 3, 4, 4), TG_FLOAT64), true);
    tg_tensor *y = tg_module_forward(bn, x);
    tg_tensor *gy = tg_requires_grad_(tg_randn(TG_SHAPE(2, 3, 4, 4), TG_FLOAT64), true);
    tg_tensor *inputs[3] = {x, tg_module_parameter(bn, "weight"),
                            tg_module_parameter(bn, "bias")},
              *grads[3];
    int n = affine ? 3 : 1;
    tg_autograd_grad(y, gy, n, inputs, grads, TG_CREATE_GRAPH);
    for (int i = 0; i < n; i++)
      ck_assert_str_eq(tg_grad_fn_name(grads[i]), "NativeBatchNormBackwardBackward0");
    tg_backward(tg_sum(tg_mul(grads[0], grads[0]), TG_ALL_DIMS, false), NULL, 0);
    ck_assert_ptr_nonnull(tg_grad(gy));
    tg_module_free(bn);
  }
  tg_scope_end();
}
END_TEST

START_TEST(test_gradcheck_modules) {
  tg_manual_seed(3);
  tg_gradcheck_layer(tg_nn_group_norm(2, 4, 1e-5, true), TG_SHAPE(3, 4, 3), -1, true);
  tg_gradcheck_layer(tg_nn_batch_norm2d(2, 1e-5, NAN, true, false), TG_SHAPE(3, 2, 2, 2),
                     -1, true);
  tg_gradcheck_layer(tg_nn_dropout2d(0.4), TG_SHAPE(3, 4, 2, 2), 9, false);
  tg_gradcheck_layer(tg_nn_dropout1d(0.4), TG_SHAPE(4, 5), 9, false);
  tg_gradcheck_layer(tg_nn_max_pool1d(&(tg_pool_opts){
                         .kernel_size = {3}, .stride = {2}, .padding = {1}}),
                     TG_SHAPE(2, 3, 7), -1, true);
  tg_gradcheck_layer(
      tg_nn_avg_pool2d(&(tg_pool_opts){.kernel_size = {2, 2}, .divisor_override = 3}),
      TG_SHAPE(1, 2, 4, 5), -1, true);
  tg_gradcheck_layer(tg_nn_adaptive_avg_pool2d(2, 3), TG_SHAPE(2, 2, 5, 4), -1, true);
  tg_gradcheck_layer(tg_nn_adaptive_max_pool2d(3, 2), TG_SHAPE(2, 2, 5, 4), -1, true);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_pool_errors) {
  tg_scope_begin();
  tg_tensor *x2 = tg_ones(TG_SHAPE(4, 4), TG_FLOAT32);
  tg_tensor *x4 = tg_ones(TG_SHAPE(1, 2, 4, 4), TG_FLOAT32);
  const tg_pool_opts k2 = {.kernel_size = {2, 2}};
  TG_EXPECT_ERROR(tg_max_pool2d(x2, &k2, NULL),
                  "tg_max_pool2d: expected a non-empty 3-D (C, H, W) or 4-D (N, C, H, W) "
                  "input, got shape (4x4)");
  TG_EXPECT_ERROR(tg_avg_pool2d(tg_ones(TG_SHAPE(2, 0, 4), TG_FLOAT32), &k2),
                  "tg_avg_pool2d: expected a non-empty 3-D (C, H, W) or 4-D (N, C, H, W) "
                  "input, got shape (2x0x4)");
  TG_EXPECT_ERROR(tg_max_pool2d(tg_ones(TG_SHAPE(1, 4, 4), TG_INT64), &k2, NULL),
                  "tg_max_pool2d: expected a float32 or float64 tensor, got int64");
  TG_EXPECT_ERROR(tg_max_pool2d(x4, NULL, NULL),
                  "tg_max_pool2d: opts must not be NULL (kernel_size has no default)");
  TG_EXPECT_ERROR(
      tg_max_pool2d(x4, &(tg_pool_opts){.kernel_size = {0, 2}}, NULL),
      "tg_max_pool2d: kernel_size should be greater than zero, but got (0, 2)");
  TG_EXPECT_ERROR(
      tg_avg_pool2d(x4, &(tg_pool_opts){.kernel_size = {2, 2}, .stride = {-1, 0}}),
      "tg_avg_pool2d: stride should be greater than zero, but got (-1, 2)");
  TG_EXPECT_ERROR(
      tg_max_pool2d(x4, &(tg_pool_opts){.kernel_size = {2, 2}, .dilation = {1, -1}},
                    NULL),
      "tg_max_pool2d: dilation should be greater than zero, but got (1, -1)");
  TG_EXPECT_ERROR(
      tg_max_pool2d(x4, &(tg_pool_opts){.kernel_size = {2, 2}, .padding = {2, 0}}, NULL),
      "tg_max_pool2d: pad should be non-negative and at most half of kernel size, but "
      "got "
      "pad=(2, 0) and kernel_size=(2, 2)");
  TG_EXPECT_ERROR(tg_max_pool2d(x4, &(tg_pool_opts){.kernel_size = {5, 5}}, NULL),
                  "tg_max_pool2d: given input size: (2x4x4). Calculated output size: "
                  "(2x0x0). Output size is too small");
  TG_EXPECT_ERROR(
      tg_avg_pool2d(x4, &(tg_pool_opts){.kernel_size = {2, 2}, .dilation = {2, 2}}),
      "tg_avg_pool2d: average pooling takes no dilation");
  TG_EXPECT_ERROR(
      tg_max_pool1d(tg_ones(TG_SHAPE(4), TG_FLOAT32), &k2, NULL),
      "tg_max_pool1d: expected a non-empty 2-D (C, L) or 3-D (N, C, L) input, got "
      "shape (4)");
  TG_EXPECT_ERROR(
      tg_max_pool1d(tg_ones(TG_SHAPE(3, 0), TG_FLOAT32), &k2, NULL),
      "tg_max_pool1d: expected a non-empty 2-D (C, L) or 3-D (N, C, L) input, got "
      "shape (3x0)");
  TG_EXPECT_ERROR(tg_max_pool1d(x2, NULL, NULL),
                  "tg_max_pool1d: opts must not be NULL (kernel_size has no default)");
  TG_EXPECT_ERROR(tg_max_pool1d(x2, &(tg_pool_opts){.kernel_size = {0}}, NULL),
                  "tg_max_pool1d: kernel_size should be greater than zero, but got 0");
  TG_EXPECT_ERROR(
      tg_max_pool1d(x2, &(tg_pool_opts){.kernel_size = {2}, .padding = {2}}, NULL),
      "tg_max_pool1d: pad should be non-negative and at most half of kernel size, "
      "but got pad=2 and kernel_size=2");
  TG_EXPECT_ERROR(
      tg_adaptive_avg_pool2d(x4, -1, 2),
      "tg_adaptive_avg_pool2d: output_size must be non-negative (0 for None), got "
      "(-1, 2)");
  TG_EXPECT_ERROR(
      tg_adaptive_max_pool2d(x2, 2, 2, NULL),
      "tg_adaptive_max_pool2d: expected a non-empty 3-D (C, H, W) or 4-D (N, C, H, "
      "W) input, got shape (4x4)");
  tg_module *relu = tg_nn_relu();
  TG_EXPECT_ERROR(
      tg_max_pool_forward(relu, x4, NULL),
      "tg_max_pool_forward: expected a MaxPool1d, MaxPool2d or AdaptiveMaxPool2d "
      "module, got ReLU");
  tg_module_free(relu);
  TG_EXPECT_ERROR(tg_nn_max_pool2d(NULL),
                  "tg_nn_max_pool2d: opts must not be NULL (kernel_size has no default)");
  TG_EXPECT_ERROR(tg_nn_max_pool1d(NULL),
                  "tg_nn_max_pool1d: opts must not be NULL (kernel_size has no default)");
  TG_EXPECT_ERROR(tg_nn_avg_pool2d(NULL),
                  "tg_nn_avg_pool2d: opts must not be NULL (kernel_size has no default)");
  tg_scope_end();
}
END_TEST

START_TEST(test_norm_and_dropout_errors) {
  tg_scope_begin();
  tg_tensor *x = tg_ones(TG_SHAPE(2, 6, 4), TG_FLOAT32);
  TG_EXPECT_ERROR(tg_nn_group_norm(4, 6, 1e-5, true),
                  "tg_nn_group_norm: num_channels must be divisible by num_groups, got "
                  "num_groups=4 and num_channels=6");
  TG_EXPECT_ERROR(
      tg_group_norm(x, 4, NULL, NULL, 1e-5),
      "tg_group_norm: expected number of channels in input to be divisible by "
      "num_groups, but got input of shape (2x6x4) and num_groups=4");
  TG_EXPECT_ERROR(tg_group_norm(x, 2, tg_ones(TG_SHAPE(4), TG_FLOAT32), NULL, 1e-5),
                  "tg_group_norm: weight of shape (4) does not match 6 channels");
  TG_EXPECT_ERROR(tg_group_norm(tg_ones(TG_SHAPE(6), TG_FLOAT32), 2, NULL, NULL, 1e-5),
                  "tg_group_norm: expected a floating input of shape (N, C, ...), got "
                  "float32 (6)");
  TG_EXPECT_ERROR(tg_dropout2d(tg_ones(TG_SHAPE(3), TG_FLOAT32), 0.5, true),
                  "tg_dropout2d: feature dropout requires at least 2 dimensions in the "
                  "input, got shape (3)");
  TG_EXPECT_ERROR(tg_dropout2d(tg_ones(TG_SHAPE(2, 3), TG_INT64), 0.5, true),
                  "tg_dropout2d: expected a floating tensor, got int64");
  TG_EXPECT_ERROR(
      tg_dropout2d(x, 1.5, true),
      "tg_dropout2d: dropout probability has to be between 0 and 1, but got 1.5");
  TG_EXPECT_ERROR(tg_dropout1d(tg_ones(TG_SHAPE(2, 3, 4, 5), TG_FLOAT32), 0.5, true),
                  "tg_dropout1d: expected 2D or 3D input, but received shape (2x3x4x5)");
  TG_EXPECT_ERROR(
      tg_nn_dropout2d(-0.1),
      "tg_nn_dropout2d: dropout probability has to be between 0 and 1, but got "
      "-0.1");
  TG_EXPECT_ERROR(
      tg_nn_dropout1d(2),
      "tg_nn_dropout1d: dropout probability has to be between 0 and 1, but got 2");
  tg_module *untracked = tg_nn_batch_norm1d(6, 1e-5, 0.1, true, false);
  tg_module_eval(untracked);
  TG_EXPECT_ERROR(
      tg_module_forward(untracked, tg_ones(TG_SHAPE(1, 6), TG_FLOAT32)),
      "tg_batch_norm: expected more than 1 value per channel when training, got "
      "input of shape (1x6)");
  tg_module_free(untracked);
  tg_scope_end();
}
END_TEST

int main(void) {
  Suite *s = suite_create("pool_norm");
  TCase *tc = tcase_create("pool_norm");
  tcase_set_timeout(tc, 300);
  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_pooling_matches_torch);
  tcase_add_test(tc, test_max_pool_by_hand);
  tcase_add_test(tc, test_pooling_threads_give_the_same_bits);
  tcase_add_test(tc, test_norm_and_dropout_layers_match_torch);
  tcase_add_test(tc, test_module_state_dict_keys);
  tcase_add_test(tc, test_module_reprs_match_torch);
  tcase_add_test(tc, test_batch_norm_cumulative_average);
  tcase_add_test(tc, test_batch_norm_untracked_eval_uses_batch);
  tcase_add_test(tc, test_dropout2d_drops_whole_planes);
  tcase_add_test(tc, test_max_pool_module_indices);
  tcase_add_test(tc, test_pool_grad_fn_names);
  tcase_add_test(tc, test_batch_norm_double_backward_names);
  tcase_add_test(tc, test_batch_norm_rounds_as_aten);
  tcase_add_test(tc, test_batch_norm_same_bits_at_any_thread_count);
  tcase_add_test(tc, test_gradcheck_modules);
  tcase_add_test(tc, test_pool_errors);
  tcase_add_test(tc, test_norm_and_dropout_errors);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
