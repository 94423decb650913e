/* The stride-1 float32 convolution kernels (nn/conv_direct.c) beside the
 * im2col + GEMM kernels they replace there, which still compute float64
 * and strided convolutions (the golden and gradcheck tests cover those and
 * the float32 results end to end):
 * - forward, input gradient and weight gradient within float32 rounding of
 *   the float64 path, over geometries that reach every edge of the padded
 *   planes (padding past the kernel's reach, 'same' with an even kernel,
 *   dilation, groups, conv1d, one output pixel, a 1x1 kernel; a wide one
 *   whose weight gradient goes to the column kernels);
 * - the AVX2 and AVX-512 paths bit for bit the same (both fuse their
 *   multiply-adds), the baseline path within float32 rounding, and the
 *   weight gradient the same bits on every path;
 * - the same bits at 1, 2 and 3 threads;
 * - infinities in the input give the weight gradient's NaN, inf and finite
 *   elements where the float64 column kernels give them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/conv.h"
#include "test_util.h"

/* Deterministic values in [-1, 1). */
static void fill(float *x, int64_t n, uint32_t seed) {
  uint32_t s = seed * 2654435761u + 1;
  for (int64_t i = 0; i < n; i++) {
    s = s * 1664525u + 1013904223u;
    x[i] = (float)(s >> 8) / (float)(1 << 23) - 1.0f;
  }
}

/* A geometry from input, kernel, padding (top, bottom, left, right),
 * dilation and groups; stride 1. */
typedef struct conv_case {
  int64_t n, c, h, w, o, kh, kw, pt, pb, pl, pr, dh, dw, groups;
} conv_case;

static tg_conv_geometry geometry(conv_case k) {
  tg_conv_geometry g = {.n = k.n,
                        .c = k.c,
                        .h = k.h,
                        .w = k.w,
                        .o = k.o,
                        .kh = k.kh,
                        .kw = k.kw,
                        .sh = 1,
                        .sw = 1,
                        .dh = k.dh,
                        .dw = k.dw,
                        .pt = k.pt,
                        .pl = k.pl,
                        .groups = k.groups,
                        .spatial = k.h == 1 && k.kh == 1 ? 1 : 2};
  g.oh = k.h + k.pt + k.pb - k.dh * (k.kh - 1);
  g.ow = k.w + k.pl + k.pr - k.dw * (k.kw - 1);
  return g;
}

static const conv_case cases[] = {
    {2, 1, 28, 28, 6, 5, 5, 2, 2, 2, 2, 1, 1, 1},  /* LeNet conv1 */
    {3, 6, 14, 14, 16, 5, 5, 0, 0, 0, 0, 1, 1, 1}, /* LeNet conv2 */
    {2, 3, 9, 7, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1},    /* odd sizes, 5 channels */
    {2, 4, 8, 9, 6, 4, 4, 1, 2, 1, 2, 1, 1, 2},    /* 'same', even kernel, groups */
    {1, 2, 6, 5, 3, 3, 3, 4, 4, 5, 5, 1, 1, 1},    /* padding past the reach */
    {2, 3, 10, 11, 4, 3, 2, 2, 2, 1, 1, 2, 3, 1},  /* dilation */
    {3, 4, 1, 40, 9, 1, 5, 0, 0, 2, 2, 1, 1, 1},   /* conv1d */
    {2, 3, 5, 5, 2, 5, 5, 0, 0, 0, 0, 1, 1, 1},    /* one output pixel */
    {2, 6, 7, 7, 12, 1, 1, 0, 0, 0, 0, 1, 1, 3},   /* 1x1 kernel, groups 3 */
    {2, 4, 6, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 4},    /* depthwise */
    {2, 2, 12, 12, 17, 3, 3, 1, 1, 1, 1, 1, 1, 1}, /* rows past a tile */
    {2, 32, 6, 6, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1},  /* wide: gw by the columns' GEMM */
};

/* The three products of one case in float32 (the direct kernels, on the
 * path chosen now) or float64 (the column kernels), as float64. */
typedef struct products {
  double *out, *gx, *gw;
  int64_t n_out, n_gx, n_gw;
} products;

static double *widen(const float *x, int64_t n) {
  double *d = malloc((size_t)n * sizeof(double));
  for (int64_t i = 0; i < n; i++) d[i] = x[i];
  return d;
}

static products run(const tg_conv_geometry *g, tg_dtype dtype, uint32_t seed) {
  int64_t nx = g->n * g->c * g->h * g->w, nw = g->o * tg_nn_conv_col_rows(g);
  int64_t ny = g->n * g->o * g->oh * g->ow;
  float *x = malloc((size_t)nx * 4), *w = malloc((size_t)nw * 4),
        *b = malloc((size_t)g->o * 4), *gy = malloc((size_t)ny * 4);
  fill(x, nx, seed), fill(w, nw, seed + 1), fill(b, g->o, seed + 2),
      fill(gy, ny, seed + 3);
  products p = {.n_out = ny, .n_gx = nx, .n_gw = nw};
  if (dtype == TG_FLOAT32) {
    float *out = malloc((size_t)ny * 4), *gx = malloc((size_t)nx * 4),
          *gw = malloc((size_t)nw * 4);
    ck_assert(tg_nn_conv_direct_applies(g, TG_FLOAT32));
    tg_nn_conv_forward(g, TG_FLOAT32, x, w, b, out);
    tg_nn_conv_input_grad(g, TG_FLOAT32, gy, w, gx);
    tg_nn_conv_weight_grad(g, TG_FLOAT32, x, gy, gw);
    p.out = widen(out, ny), p.gx = widen(gx, nx), p.gw = widen(gw, nw);
    free(out), free(gx), free(gw);
  } else {
    double *dx = widen(x, nx), *dw = widen(w, nw), *db = widen(b, g->o),
           *dgy = widen(gy, ny);
    p.out = malloc((size_t)ny * 8), p.gx = malloc((size_t)nx * 8),
    p.gw = malloc((size_t)nw * 8);
    ck_assert(!tg_nn_conv_direct_applies(g, TG_FLOAT64));
    tg_nn_conv_forward(g, TG_FLOAT64, dx, dw, db, p.out);
    tg_nn_conv_input_grad(g, TG_FLOAT64, dgy, dw, p.gx);
    tg_nn_conv_weight_grad(g, TG_FLOAT64, dx, dgy, p.gw);
    free(dx), free(dw), free(db), free(dgy);
  }
  free(x), free(w), free(b), free(gy);
  return p;
}

static void products_free(products *p) {
  free(p->out), free(p->gx), free(p->gw);
}

/* Within float32 rounding of sums of `terms` products of values in [-1, 1). */
static void expect_close(const char *what, int c, const double *a, const double *b,
                         int64_t n, int64_t terms) {
  double tol = 4e-7 * (double)terms + 1e-6;
  for (int64_t i = 0; i < n; i++)
    ck_assert_msg(fabs(a[i] - b[i]) <= tol, "case %d %s[%lld]: %.9g vs %.9g", c, what,
                  (long long)i, a[i], b[i]);
}

static void expect_same(const char *what, int c, const double *a, const double *b,
                        int64_t n) {
  ck_assert_msg(memcmp(a, b, (size_t)n * sizeof(double)) == 0, "case %d: %s differs", c,
                what);
}

static void expect_products_close(int c, const tg_conv_geometry *g, const products *a,
                                  const products *b) {
  int64_t k = tg_nn_conv_col_rows(g);
  expect_close("out", c, a->out, b->out, a->n_out, k);
  expect_close("gx", c, a->gx, b->gx, a->n_gx, g->o / g->groups * g->kh * g->kw);
  expect_close("gw", c, a->gw, b->gw, a->n_gw, g->n * g->oh * g->ow);
}

static void expect_products_same(int c, const products *a, const products *b) {
  expect_same("out", c, a->out, b->out, a->n_out);
  expect_same("gx", c, a->gx, b->gx, a->n_gx);
  expect_same("gw", c, a->gw, b->gw, a->n_gw);
}

static const int n_cases = (int)(sizeof cases / sizeof cases[0]);

/* LeNet's thin weight products take the lanes kernel, the wide case the
 * columns' GEMM. */
START_TEST(test_direct_weight_routing) {
  tg_conv_geometry lenet1 = geometry(cases[0]), lenet2 = geometry(cases[1]);
  tg_conv_geometry wide = geometry(cases[n_cases - 1]);
  ck_assert(tg_nn_conv_direct_weight_applies(&lenet1, TG_FLOAT32));
  ck_assert(tg_nn_conv_direct_weight_applies(&lenet2, TG_FLOAT32));
  ck_assert(!tg_nn_conv_direct_weight_applies(&wide, TG_FLOAT32));
  ck_assert(!tg_nn_conv_direct_weight_applies(&lenet2, TG_FLOAT64));
}
END_TEST

START_TEST(test_direct_matches_columns) {
  for (int c = 0; c < n_cases; c++) {
    tg_conv_geometry g = geometry(cases[c]);
    products f32 = run(&g, TG_FLOAT32, (uint32_t)c),
             f64 = run(&g, TG_FLOAT64, (uint32_t)c);
    expect_products_close(c, &g, &f32, &f64);
    products_free(&f32), products_free(&f64);
  }
}
END_TEST

/* The forward and input products: AVX2 and AVX-512 bit for bit (both fuse
 * their multiply-adds), the baseline within rounding; the weight gradient
 * (no fused multiply-add) bit for bit on every path. */
START_TEST(test_direct_paths) {
  for (int c = 0; c < n_cases; c++) {
    tg_conv_geometry g = geometry(cases[c]);
    products base = {0}, fused = {0};
    bool have_fused = false;
    for (int isa = TG_ISA_BASELINE; isa < TG_ISA_COUNT; isa++) {
      if (isa > (int)tg_simd_best()) break;
      tg_simd_force((tg_isa)isa);
      products p = run(&g, TG_FLOAT32, (uint32_t)c + 7);
      if (isa == TG_ISA_BASELINE) {
        products f64 = run(&g, TG_FLOAT64, (uint32_t)c + 7);
        expect_products_close(c, &g, &p, &f64);
        products_free(&f64);
        base = p;
        continue;
      }
      expect_same("gw", c, p.gw, base.gw, p.n_gw);
      if (!have_fused) {
        fused = p, have_fused = true;
        continue;
      }
      expect_products_same(c, &p, &fused);
      products_free(&p);
    }
    products_free(&base);
    if (have_fused) products_free(&fused);
  }
  tg_simd_force(tg_simd_best());
}
END_TEST

/* A batch large enough to split over the images and the weight
 * gradient's blocks, at 1, 2 and 3 threads. */
START_TEST(test_direct_threads) {
  conv_case big[] = {{37, 1, 28, 28, 6, 5, 5, 2, 2, 2, 2, 1, 1, 1},
                     /* 21 blocks of 3 images: runs of 2 blocks per partial sum */
                     {61, 6, 14, 14, 16, 5, 5, 0, 0, 0, 0, 1, 1, 1},
                     {13, 8, 14, 14, 16, 3, 3, 1, 1, 1, 1, 1, 1, 2}};
  for (int c = 0; c < 3; c++) {
    tg_conv_geometry g = geometry(big[c]);
    tg_set_num_threads(1);
    products one = run(&g, TG_FLOAT32, 99);
    for (int threads = 2; threads <= 3; threads++) {
      tg_set_num_threads(threads);
      products many = run(&g, TG_FLOAT32, 99);
      expect_products_same(c, &many, &one);
      products_free(&many);
    }
    products_free(&one);
  }
  tg_set_num_threads(1);
}
END_TEST

/* An input with infinities: the lanes multiply the zero gradients past
 * each row's end by the input they read, and 0 x inf had made NaN of
 * elements whose sum over the real pixels is finite (PyTorch's is). The
 * float32 weight gradient holds NaN, inf and the finite values where the
 * float64 column kernels (real pixels only) do. */
START_TEST(test_direct_weight_grad_infinities) {
  for (int c = 0; c < 4; c++) {
    tg_conv_geometry g = geometry(cases[c]);
    int64_t nx = g.n * g.c * g.h * g.w, nw = g.o * tg_nn_conv_col_rows(&g);
    int64_t ny = g.n * g.o * g.oh * g.ow;
    float *x = malloc((size_t)nx * 4), *gy = malloc((size_t)ny * 4),
          *gw = malloc((size_t)nw * 4);
    fill(x, nx, 31), fill(gy, ny, 32);
    /* the last column of a first row: read by the taps of the column to its
     * right only past a row's end (the taps of rows below it never) */
    x[g.w - 1] = INFINITY;
    x[nx - g.h * g.w + g.w - 1] = -INFINITY;
    double *dx = widen(x, nx), *dgy = widen(gy, ny);
    double *want = malloc((size_t)nw * 8);
    tg_nn_conv_weight_grad(&g, TG_FLOAT32, x, gy, gw);
    tg_nn_conv_weight_grad(&g, TG_FLOAT64, dx, dgy, want);
    int finite = 0;
    for (int64_t e = 0; e < nw; e++) {
      if (isnan(want[e]) || isinf(want[e])) {
        ck_assert_msg(isnan(want[e]) ? isnan(gw[e]) : gw[e] == want[e],
                      "case %d gw[%lld]: %g, the columns' %g", c, (long long)e, gw[e],
                      want[e]);
        continue;
      }
      finite++;
      ck_assert_msg(fabs(gw[e] - want[e]) <= 4e-7 * (double)(g.n * g.oh * g.ow) + 1e-6,
                    "case %d gw[%lld]: %.9g, the columns' %.9g", c, (long long)e, gw[e],
                    want[e]);
    }
    ck_assert_int_gt(finite, 0);
    free(x), free(gy), free(gw), free(dx), free(dgy), free(want);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("conv_direct");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, test_direct_weight_routing);
  tcase_add_test(tc, test_direct_matches_columns);
  tcase_add_test(tc, test_direct_paths);
  tcase_add_test(tc, test_direct_threads);
  tcase_add_test(tc, test_direct_weight_grad_infinities);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
