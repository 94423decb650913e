/* The instruction-set paths of the hand-written kernels (tensor/simd.h):
 * every path this CPU has gives the baseline path's results bit for bit,
 * on the small GEMMs (edges, odd sizes, transposes, alpha and beta, a bias
 * row, a strided C), the fused activation gradients, tg_add_, the column
 * sums, every optimizer's step and the nn fused kernels (LayerNorm, GELU,
 * masked softmax, the LSTM cell, MaxPool2d(2)); and $TG_ISA picks the path. A path the
 * CPU lacks or TG_ISA excludes is skipped, saying so (valgrind runs set
 * TG_ISA=avx2). The
 * products libxsmm computes (when built with it) are held to float32
 * rounding of a float64 product instead. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ops/ops.h"
#include "tensorgrad/nn.h"
#include "test_util.h"

/* Whether the CPU has the path and TG_ISA allows it (CTest's valgrind runs
 * set TG_ISA=avx2); says once that it is skipped if not. */
static bool available(tg_isa isa) {
  static bool said[TG_ISA_COUNT];
  if (isa <= tg_simd_best()) return true;
  if (!said[isa])
    printf("test_simd: the %s path is not available (CPU or TG_ISA); skipped\n",
           tg_simd_name(isa));
  said[isa] = true;
  return false;
}

/* Runs check(isa) on every path the CPU has; check compares with the
 * baseline path's results. Leaves the CPU's own path chosen. */
static void on_every_path(void (*check)(tg_isa isa)) {
  for (int isa = TG_ISA_BASELINE; isa < TG_ISA_COUNT; isa++) {
    if (!available((tg_isa)isa)) continue;
    tg_simd_force((tg_isa)isa);
    check((tg_isa)isa);
  }
  tg_simd_force(tg_simd_best());
}

/* ---- small GEMMs, against the baseline path and a float64 reference ---- */

/* Deterministic values in [-1, 1), some exact zeros and negative zeros. */
static void fill(float *x, int64_t n, uint32_t seed) {
  uint32_t s = seed * 2654435761u + 1;
  for (int64_t i = 0; i < n; i++) {
    s = s * 1664525u + 1013904223u;
    x[i] = (float)(s >> 8) / (float)(1 << 23) - 1.0f;
    if (s % 17 == 0) x[i] = (s & 64) ? 0.0f : -0.0f;
  }
}

typedef struct gemm_case {
  int64_t m, n, k;
  bool a_t, b_t; /* op(A) = A^T, op(B) = B^T */
  float alpha, beta;
  bool bias; /* D is a bias row instead of C */
} gemm_case;

enum { PAD = 3 }; /* C's rows are n + PAD long: the padding must stay */
static const float SENTINEL = 12345.0f;

/* The operands' strides: A^T is stored k x m, B^T n x k. */
typedef struct strides {
  int64_t a_rs, a_cs, b_rs, b_cs;
} strides;

static strides strides_of(const gemm_case *g) {
  return (strides){g->a_t ? 1 : g->k, g->a_t ? g->m : 1, g->b_t ? 1 : g->n,
                   g->b_t ? g->k : 1};
}

/* Whether libxsmm computes the case (within float32 rounding, not bit for
 * bit) on the current path. */
static bool by_library(const gemm_case *g) {
  strides st = strides_of(g);
  return tg_sgemm_small_by_library(g->m, g->n, g->k, g->alpha, st.a_rs, st.a_cs, st.b_rs,
                                   st.b_cs, g->beta, !g->bias, g->n + PAD);
}

/* C for one case on the current path, in a fresh buffer (free it). */
static float *gemm_on_path(const gemm_case *g) {
  int64_t m = g->m, n = g->n, k = g->k, ldc = n + PAD;
  float *a = malloc(sizeof(float) * (size_t)(m * k));
  float *b = malloc(sizeof(float) * (size_t)(k * n));
  float *d = malloc(sizeof(float) * (size_t)n);
  float *c = malloc(sizeof(float) * (size_t)(m * ldc));
  fill(a, m * k, 1), fill(b, k * n, 2), fill(d, n, 3), fill(c, m * ldc, 4);
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = n; j < ldc; j++) c[i * ldc + j] = SENTINEL;
  strides st = strides_of(g);
  int64_t a_rs = st.a_rs, a_cs = st.a_cs, b_rs = st.b_rs, b_cs = st.b_cs;
  bool small = tg_sgemm_small(m, n, k, g->alpha, a, a_rs, a_cs, b, b_rs, b_cs, g->beta,
                              g->bias ? d : NULL, 0, 1, c, ldc);
  ck_assert_msg(small, "%ldx%ldx%ld went to BLAS", (long)m, (long)n, (long)k);
  /* within float32 rounding of the float64 product */
  float *c0 = malloc(sizeof(float) * (size_t)(m * ldc));
  fill(c0, m * ldc, 4);
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      double sum = 0, size = 0;
      for (int64_t p = 0; p < k; p++) {
        double t = (double)a[i * a_rs + p * a_cs] * b[p * b_rs + j * b_cs];
        sum += t, size += fabs(t);
      }
      double dij = g->bias ? d[j] : c0[i * ldc + j];
      double want = g->alpha * sum + (g->beta == 0 ? 0 : g->beta * dij);
      double tol = 1e-6 * (fabs(g->alpha) * size + fabs(g->beta * dij)) + 1e-30;
      ck_assert_msg(fabs(c[i * ldc + j] - want) <= tol,
                    "%ldx%ldx%ld C[%ld][%ld] = %.9g, want %.9g", (long)m, (long)n,
                    (long)k, (long)i, (long)j, c[i * ldc + j], want);
    }
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = n; j < ldc; j++)
      ck_assert_msg(c[i * ldc + j] == SENTINEL, "the padding of C's row %ld was written",
                    (long)i);
  free(a), free(b), free(d), free(c0);
  return c;
}

/* Sizes around the tiles' edges (4 rows; 16 and 32 columns; 8 and 32 dot
 * lanes), and the lecture nets' shapes (batch 16 through 2-1000-1). */
static const int64_t sizes[] = {1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 32, 33, 47, 64, 65};
static const int64_t lecture[][3] = {{16, 1000, 2}, {16, 1, 1000}, {2, 1000, 16},
                                     {1000, 1, 16}, {16, 1000, 1}, {10, 100, 50},
                                     {32, 128, 64}, {64, 128, 32}, {1, 3, 300},
                                     {3, 2, 1000},  {120, 50, 4},  {10, 3, 100}};
static const float scalars[][2] = {{1, 0}, {1, 1}, {0.5f, 0}, {-2, 0.25f}};

/* Bit for bit the baseline path's C, unless libxsmm computed it: then
 * gemm_on_path has checked it within float32 rounding. Returns whether
 * libxsmm did. */
static bool check_gemm_case(const gemm_case *g, const float *baseline, tg_isa isa) {
  float *c = gemm_on_path(g);
  if (by_library(g)) {
    free(c);
    return true;
  }
  size_t bytes = sizeof(float) * (size_t)(g->m * (g->n + PAD));
  ck_assert_msg(
      memcmp(c, baseline, bytes) == 0,
      "%s path: %ldx%ldx%ld (a_t %d, b_t %d, alpha %g, beta %g, bias %d) differs "
      "from the baseline path",
      tg_simd_name(isa), (long)g->m, (long)g->n, (long)g->k, g->a_t, g->b_t, g->alpha,
      g->beta, g->bias);
  free(c);
  return false;
}

/* Every case on the baseline path first, then on each other path. */
static void check_gemm_cases(const gemm_case *cases, int n_cases) {
  float **baseline = malloc(sizeof(float *) * (size_t)n_cases);
  tg_simd_force(TG_ISA_BASELINE);
  for (int i = 0; i < n_cases; i++) baseline[i] = gemm_on_path(&cases[i]);
  for (int isa = TG_ISA_AVX2; isa < TG_ISA_COUNT; isa++) {
    if (!available((tg_isa)isa)) continue;
    tg_simd_force((tg_isa)isa);
    int library = 0;
    for (int i = 0; i < n_cases; i++)
      library += check_gemm_case(&cases[i], baseline[i], (tg_isa)isa);
    if (library)
      printf(
          "test_simd: %s path: libxsmm computed %d of %d products (float32 rounding)\n",
          tg_simd_name(isa), library, n_cases);
  }
  tg_simd_force(tg_simd_best());
  for (int i = 0; i < n_cases; i++) free(baseline[i]);
  free(baseline);
}

/* The edges: every size triple from a stride through `sizes`, each
 * transpose, store kind and D. */
START_TEST(test_gemm_edges) {
  int n_sizes = (int)(sizeof sizes / sizeof *sizes);
  int per_size = 4 * 4 * 2, count = 0;
  gemm_case *cases = malloc(sizeof(gemm_case) * (size_t)(n_sizes * per_size));
  for (int s = 0; s < n_sizes; s++) {
    /* m, n and k walk the sizes at different rates, so all meet */
    int64_t m = sizes[s], n = sizes[(s * 5 + 3) % n_sizes],
            k = sizes[(s * 7 + 1) % n_sizes];
    for (int t = 0; t < 4; t++)
      for (int a = 0; a < 4; a++)
        for (int bias = 0; bias < 2; bias++)
          cases[count++] = (gemm_case){
              m, n, k, t & 1, (t >> 1) & 1, scalars[a][0], scalars[a][1], bias};
  }
  check_gemm_cases(cases, count);
  free(cases);
}
END_TEST

START_TEST(test_gemm_lecture_shapes) {
  int n_shapes = (int)(sizeof lecture / sizeof *lecture), count = 0;
  gemm_case *cases = malloc(sizeof(gemm_case) * (size_t)(n_shapes * 4 * 2));
  for (int s = 0; s < n_shapes; s++)
    for (int t = 0; t < 4; t++)
      for (int bias = 0; bias < 2; bias++)
        cases[count++] = (gemm_case){lecture[s][0], lecture[s][1], lecture[s][2],
                                     t & 1,         (t >> 1) & 1,  1,
                                     (float)bias,   bias};
  check_gemm_cases(cases, count);
  free(cases);
}
END_TEST

/* ---- the fused kernels, through the public API ---- */

/* The bytes of a contiguous tensor, copied (free them). */
static void *bytes_of(const tg_tensor *t, size_t *n) {
  *n = (size_t)tg_numel(t) * tg_dtype_size(t->dtype);
  void *copy = malloc(*n);
  const void *data = t->dtype == TG_FLOAT32 ? (const void *)tg_cdata_f32(t)
                                            : (const void *)tg_cdata_f64(t);
  memcpy(copy, data, *n);
  return copy;
}

/* The tensor run() returns on every path has the bytes the baseline
 * path's has. */
static tg_tensor *(*run_case)(tg_dtype);
static tg_dtype case_dtype;
static const char *case_name = ""; /* for the message */
static void *case_baseline;
static size_t case_bytes;

static void compare_with_baseline(tg_isa isa) {
  tg_scope_begin();
  size_t n;
  void *got = bytes_of(run_case(case_dtype), &n);
  if (isa == TG_ISA_BASELINE) {
    case_baseline = got, case_bytes = n;
  } else {
    ck_assert_msg(n == case_bytes && memcmp(got, case_baseline, n) == 0,
                  "%s path differs from the baseline path (%s%s)", tg_simd_name(isa),
                  case_name, tg_dtype_name(case_dtype));
    free(got);
  }
  tg_scope_end();
}

static void same_on_every_path(tg_tensor *(*run)(tg_dtype)) {
  tg_dtype dtypes[] = {TG_FLOAT32, TG_FLOAT64};
  for (int i = 0; i < 2; i++) {
    run_case = run, case_dtype = dtypes[i];
    on_every_path(compare_with_baseline);
    free(case_baseline);
    case_baseline = NULL;
  }
}

static tg_tensor *input(tg_shape shape, tg_dtype dtype, uint64_t seed) {
  tg_manual_seed(seed);
  return tg_requires_grad_(tg_randn(shape, dtype), true);
}

/* d/dx sum(f(x) * w): f's fused gradient loop over an odd length */
static tg_tensor *activation_grad(tg_tensor *(*f)(tg_tensor *), tg_dtype dtype) {
  tg_tensor *x = input(TG_SHAPE(7, 149), dtype, 1);
  tg_tensor *w = tg_randn(TG_SHAPE(7, 149), dtype);
  tg_backward(tg_sum(tg_mul(f(x), w), TG_ALL_DIMS, false), NULL, 0);
  return tg_grad(x);
}
static tg_tensor *relu_grad(tg_dtype dtype) {
  return activation_grad(tg_relu, dtype);
}
static tg_tensor *sigmoid_grad(tg_dtype dtype) {
  return activation_grad(tg_sigmoid, dtype);
}

START_TEST(test_activation_gradients) {
  same_on_every_path(relu_grad);
  same_on_every_path(sigmoid_grad);
}
END_TEST

/* y += alpha x (a gradient added into .grad), and column sums: whole
 * blocks of 32 columns and a rest, over more rows than one cascade chunk */
static tg_tensor *add_in_place(tg_dtype dtype) {
  tg_tensor *y = tg_detach(input(TG_SHAPE(1037), dtype, 2));
  tg_add_(y, tg_randn(TG_SHAPE(1037), dtype), -0.37);
  return y;
}
static tg_tensor *column_sums(tg_dtype dtype) {
  tg_tensor *x = tg_detach(input(TG_SHAPE(300, 77), dtype, 3));
  return tg_cat((tg_tensor *[]){tg_sum(x, TG_SHAPE(0), false),
                                tg_sum(tg_narrow(x, 0, 0, 37), TG_SHAPE(0), false)},
                2, 0);
}

START_TEST(test_add_and_sums) {
  same_on_every_path(add_in_place);
  same_on_every_path(column_sums);
}
END_TEST

/* A parameter after three steps of `make`'s optimizer on sum(p^2 w). */
static tg_optimizer *(*make_optimizer)(tg_params);
static tg_tensor *optimized(tg_dtype dtype) {
  tg_tensor *p = input(TG_SHAPE(1037), dtype, 4);
  tg_tensor *w = tg_randn(TG_SHAPE(1037), dtype);
  tg_optimizer *opt = make_optimizer((tg_params){&p, 1});
  for (int step = 0; step < 3; step++) {
    tg_scope_begin();
    tg_optimizer_zero_grad(opt, true);
    tg_backward(tg_sum(tg_mul(tg_mul(p, p), w), TG_ALL_DIMS, false), NULL, 0);
    tg_optimizer_step(opt);
    tg_scope_end();
  }
  tg_optimizer_free(opt);
  return tg_detach(p);
}

static tg_optimizer *sgd(tg_params p) {
  return tg_sgd(p,
                (tg_sgd_options){
                    .lr = 0.1, .momentum = 0.9, .nesterov = true, .weight_decay = 0.01});
}
static tg_optimizer *adam(tg_params p) {
  tg_adam_options o = TG_ADAM_DEFAULTS;
  o.amsgrad = true, o.weight_decay = 0.01;
  return tg_adam(p, o);
}
static tg_optimizer *adamw(tg_params p) {
  tg_adam_options o = TG_ADAM_DEFAULTS;
  o.weight_decay = 0.01;
  return tg_adamw(p, o);
}
static tg_optimizer *rmsprop(tg_params p) {
  tg_rmsprop_options o = TG_RMSPROP_DEFAULTS;
  o.centered = true, o.momentum = 0.5;
  return tg_rmsprop(p, o);
}
static tg_optimizer *adagrad(tg_params p) {
  return tg_adagrad(p, TG_ADAGRAD_DEFAULTS);
}
static tg_optimizer *nadam(tg_params p) {
  return tg_nadam(p, TG_NADAM_DEFAULTS);
}
static tg_optimizer *radam(tg_params p) {
  return tg_radam(p, TG_RADAM_DEFAULTS);
}

START_TEST(test_optimizer_steps) {
  tg_optimizer *(*makers[])(tg_params) = {sgd,     adam,  adamw, rmsprop,
                                          adagrad, nadam, radam};
  for (size_t i = 0; i < sizeof makers / sizeof *makers; i++) {
    make_optimizer = makers[i];
    same_on_every_path(optimized);
  }
}
END_TEST

/* ---- the nn fused kernels (nn/vector_math.h's users) ----
 * LayerNorm's rows, GELU's loops, the attention's masked softmax and the
 * LSTM cell's sigmoid/tanh runs promise the same bits on every path: their
 * sums run in a fixed lane order every clone keeps, and exp/erf/tanh are
 * written with fmaf, which the baseline copy calls from libm and the wide
 * copies compile to one instruction, rounding the same. So each is held to
 * the baseline bit for bit, forward and backward, float32 and float64.
 * The products around them keep under 16 columns, so that gemm_small
 * (bit for bit on every path, above) computes them and not libxsmm (float32
 * rounding only, on the wide paths). */

/* Results and gradients flattened into one tensor, to compare at once. */
static tg_tensor *flat_cat(tg_tensor **parts, int n) {
  tg_tensor *flat[8];
  for (int i = 0; i < n; i++) flat[i] = tg_reshape(parts[i], TG_SHAPE(-1));
  return tg_cat(flat, n, 0);
}

/* LayerNorm over an odd width (vector tails), with weight and bias */
static tg_tensor *layer_norm_case(tg_dtype dtype) {
  tg_tensor *x = input(TG_SHAPE(6, 4, 37), dtype, 11);
  tg_tensor *w = input(TG_SHAPE(37), dtype, 12), *b = input(TG_SHAPE(37), dtype, 13);
  tg_tensor *y = tg_layer_norm(x, TG_SHAPE(37), w, b, 1e-5);
  tg_backward(y, tg_randn(tg_shape_of(y), dtype), 0);
  return flat_cat((tg_tensor *[]){y, tg_grad(x), tg_grad(w), tg_grad(b)}, 4);
}

/* exact GELU forward and backward, over a large input range */
static tg_tensor *gelu_case(tg_dtype dtype) {
  tg_tensor *x = tg_requires_grad_(
      tg_mul_scalar(tg_detach(input(TG_SHAPE(7, 149), dtype, 14)), 4), true);
  tg_tensor *y = tg_gelu(x, false);
  tg_backward(y, tg_randn(tg_shape_of(y), dtype), 0);
  return flat_cat((tg_tensor *[]){y, tg_grad(x)}, 2);
}

/* attention's fused mask + softmax, causal and with an additive mask */
static tg_tensor *masked_softmax_case(tg_dtype dtype) {
  tg_tensor *q = input(TG_SHAPE(2, 3, 9, 12), dtype, 15);
  tg_tensor *k = input(TG_SHAPE(2, 3, 11, 12), dtype, 16);
  tg_tensor *v = input(TG_SHAPE(2, 3, 11, 5), dtype, 17);
  tg_tensor *mask = tg_mul_scalar(tg_randn(TG_SHAPE(9, 11), dtype), 3);
  tg_tensor *causal = tg_scaled_dot_product_attention(q, q, q, NULL, 0, true);
  tg_tensor *added = tg_scaled_dot_product_attention(q, k, v, mask, 0, false);
  tg_backward(tg_add(tg_sum(causal, TG_ALL_DIMS, false),
                     tg_sum(tg_mul(added, tg_randn(tg_shape_of(added), dtype)),
                            TG_ALL_DIMS, false)),
              NULL, 0);
  return flat_cat((tg_tensor *[]){causal, added, tg_grad(q), tg_grad(k), tg_grad(v)}, 5);
}

/* the fused LSTM layer's cell (sigmoid and tanh runs) through time */
static tg_tensor *lstm_case(tg_dtype dtype) {
  tg_manual_seed(18);
  tg_module *lstm = tg_nn_lstm(8, 13, NULL);
  tg_module_to(lstm, dtype);
  tg_tensor *x = input(TG_SHAPE(5, 3, 8), dtype, 19), *h_n, *c_n;
  tg_tensor *y = tg_rnn_forward(lstm, x, NULL, NULL, &h_n, &c_n);
  tg_backward(
      tg_add(tg_sum(tg_mul(y, tg_randn(tg_shape_of(y), dtype)), TG_ALL_DIMS, false),
             tg_sum(c_n, TG_ALL_DIMS, false)),
      NULL, 0);
  tg_tensor *w = tg_module_parameters(lstm).items[0];
  tg_tensor *out = flat_cat((tg_tensor *[]){y, h_n, c_n, tg_grad(x), tg_grad(w)}, 5);
  tg_module_free(lstm);
  return out;
}

/* MaxPool2d(2)'s vector loops (nn/max_pool_2x2.c): output, indices and
 * the input gradient, over rows of 37 windows and an odd last column */
static tg_tensor *max_pool_2x2_case(tg_dtype dtype) {
  tg_tensor *x = input(TG_SHAPE(3, 5, 9, 75), dtype, 20), *indices;
  tg_tensor *y = tg_max_pool2d(x, &(tg_pool_opts){.kernel_size = {2, 2}}, &indices);
  tg_backward(y, tg_randn(tg_shape_of(y), dtype), 0);
  return flat_cat((tg_tensor *[]){y, tg_to(indices, dtype), tg_grad(x)}, 3);
}

START_TEST(test_nn_fused_kernels) {
  tg_tensor *(*cases[])(tg_dtype) = {layer_norm_case, gelu_case, masked_softmax_case,
                                     lstm_case, max_pool_2x2_case};
  const char *names[] = {"LayerNorm, ", "GELU, ", "masked softmax, ", "LSTM, ",
                         "MaxPool2d(2), "};
  for (int i = 0; i < 5; i++) {
    case_name = names[i];
    same_on_every_path(cases[i]);
  }
  case_name = "";
}
END_TEST

/* ---- the same kernels split over threads ----
 * LayerNorm's rows (and the pieces its weight and bias gradients are
 * summed in), GELU's runs, the masked softmax's rows and the big products
 * around them are split over the pool at sizes like the transformer row's:
 * each case gives the same bits at 1, 2 and 3 threads. */

static tg_tensor *layer_norm_rows_case(tg_dtype dtype) {
  tg_tensor *x = input(TG_SHAPE(30, 32, 37), dtype, 21);
  tg_tensor *w = input(TG_SHAPE(37), dtype, 22), *b = input(TG_SHAPE(37), dtype, 23);
  tg_tensor *y = tg_layer_norm(x, TG_SHAPE(37), w, b, 1e-5);
  tg_backward(y, tg_randn(tg_shape_of(y), dtype), 0);
  return flat_cat((tg_tensor *[]){y, tg_grad(x), tg_grad(w), tg_grad(b)}, 4);
}

static tg_tensor *gelu_runs_case(tg_dtype dtype) {
  tg_tensor *x = input(TG_SHAPE(61, 1049), dtype, 24);
  tg_tensor *y = tg_gelu(x, false);
  tg_backward(y, tg_randn(tg_shape_of(y), dtype), 0);
  return flat_cat((tg_tensor *[]){y, tg_grad(x)}, 2);
}

/* scaled_dot_product_attention's softmax rows, causal and with a mask
 * whose rows do not line up with the chunks */
static tg_tensor *softmax_rows_case(tg_dtype dtype) {
  tg_tensor *q = input(TG_SHAPE(5, 5, 64, 12), dtype, 25);
  tg_tensor *k = input(TG_SHAPE(5, 5, 11, 12), dtype, 26);
  tg_tensor *mask = tg_mul_scalar(tg_randn(TG_SHAPE(64, 11), dtype), 3);
  tg_tensor *causal = tg_scaled_dot_product_attention(q, q, q, NULL, 0, true);
  tg_tensor *added = tg_scaled_dot_product_attention(q, k, k, mask, 0, false);
  tg_backward(tg_add(tg_sum(tg_mul(causal, causal), TG_ALL_DIMS, false),
                     tg_sum(tg_mul(added, tg_randn(tg_shape_of(added), dtype)),
                            TG_ALL_DIMS, false)),
              NULL, 0);
  return flat_cat((tg_tensor *[]){causal, added, tg_grad(q), tg_grad(k)}, 4);
}

START_TEST(test_nn_kernels_same_at_any_thread_count) {
  tg_tensor *(*cases[])(tg_dtype) = {layer_norm_rows_case, gelu_runs_case,
                                     softmax_rows_case};
  const char *names[] = {"LayerNorm", "GELU", "masked softmax"};
  tg_dtype dtypes[] = {TG_FLOAT32, TG_FLOAT64};
  for (int i = 0; i < 3; i++)
    for (int d = 0; d < 2; d++) {
      tg_scope_begin();
      size_t n, m;
      tg_set_num_threads(1);
      void *one = bytes_of(cases[i](dtypes[d]), &n);
      for (int threads = 2; threads <= 3; threads++) {
        tg_set_num_threads(threads);
        void *many = bytes_of(cases[i](dtypes[d]), &m);
        ck_assert_msg(m == n && memcmp(one, many, n) == 0,
                      "%s, %s: %d threads differ from 1", names[i],
                      tg_dtype_name(dtypes[d]), threads);
        free(many);
      }
      free(one);
      tg_scope_end();
    }
  tg_set_num_threads(1);
}
END_TEST

/* ---- choosing the path ---- */

/* The path chosen afresh with TG_ISA = value (NULL: unset); what it wrote
 * on stderr goes to `message` (256 bytes). */
static const char *path_from_environment(const char *value, char *message) {
  if (value)
    setenv("TG_ISA", value, 1);
  else
    unsetenv("TG_ISA");
  fflush(stderr);
  int saved = dup(STDERR_FILENO);
  FILE *capture = tmpfile();
  ck_assert_ptr_nonnull(capture);
  dup2(fileno(capture), STDERR_FILENO);
  atomic_store(&tg_simd_chosen, -1); /* as at the first kernel call */
  const char *path = tg_simd_path();
  fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  rewind(capture);
  size_t n = fread(message, 1, 255, capture);
  message[n] = 0;
  fclose(capture);
  unsetenv("TG_ISA");
  return path;
}

START_TEST(test_environment_picks_the_path) {
  char message[256], *outer = getenv("TG_ISA") ? strdup(getenv("TG_ISA")) : NULL;
  unsetenv("TG_ISA");
  const char *best = tg_simd_name(tg_simd_best());
  ck_assert_str_eq(path_from_environment(NULL, message), best);
  ck_assert_str_eq(message, "");
  ck_assert_str_eq(path_from_environment("baseline", message), "baseline");
  ck_assert_str_eq(message, "");
  for (int isa = TG_ISA_AVX2; isa < TG_ISA_COUNT; isa++) {
    const char *name = tg_simd_name((tg_isa)isa);
    if (isa <= (int)tg_simd_best()) {
      ck_assert_str_eq(path_from_environment(name, message), name);
      ck_assert_str_eq(message, "");
    } else {
      ck_assert_str_eq(path_from_environment(name, message), best);
      ck_assert_ptr_nonnull(strstr(message, "lacks it"));
    }
  }
  ck_assert_str_eq(path_from_environment("sse9", message), best);
  char want[128];
  snprintf(want, sizeof want,
           "tensorgrad: TG_ISA=sse9 is not baseline, avx2 or avx512; using %s\n", best);
  ck_assert_str_eq(message, want);
  if (outer) setenv("TG_ISA", outer, 1);
  free(outer);
  tg_simd_force(tg_simd_best());
}
END_TEST

int main(void) {
  Suite *s = suite_create("simd");
  TCase *tc = tcase_create("paths");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, test_gemm_edges);
  tcase_add_test(tc, test_gemm_lecture_shapes);
  tcase_add_test(tc, test_activation_gradients);
  tcase_add_test(tc, test_add_and_sums);
  tcase_add_test(tc, test_optimizer_steps);
  tcase_add_test(tc, test_nn_fused_kernels);
  tcase_add_test(tc, test_nn_kernels_same_at_any_thread_count);
  tcase_add_test(tc, test_environment_picks_the_path);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
