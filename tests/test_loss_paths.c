/* The fused cross-entropy's instruction-set paths (nn/cross_entropy_kernels.inc,
 * tensor/simd.h): its exponentials are a TG_DISPATCHED kernel, so every path
 * this CPU has must give the baseline path's loss and gradient bit for bit,
 * in float32 (SLEEF's expf algorithm, vectorised) and float64 (libm's exp).
 * The float32 results also stay within 1e-5 of the float64 ones, the
 * tolerance the PyTorch golden tests hold them to. A path the CPU lacks or
 * TG_ISA excludes is skipped (valgrind runs set TG_ISA=avx2). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor/core.h"
#include "test_util.h"

/* One case: logits (rows, classes) from a seed, scaled so that some
 * exponentials saturate, optionally with -inf logits and ignored rows. */
typedef struct ce_case {
  int64_t rows, classes;
  double scale;
  tg_reduction reduction;
  bool ignore_some, minus_inf;
} ce_case;

static const ce_case cases[] = {
    {37, 3, 1, TG_MEAN, false, false},  /* Iris-like: fewer classes than a vector */
    {70, 10, 4, TG_MEAN, true, false},  /* more rows than one block of the forward */
    {5, 27, 30, TG_SUM, false, true},   /* wide rows, large logits, -inf entries */
    {129, 17, 60, TG_NONE, true, true}, /* odd sizes, per-row losses */
};

/* The loss and the logits' gradient of `c` in `dtype`, one after the other
 * as float64 (owned by the caller). */
static double *loss_and_grad(const ce_case *c, tg_dtype dtype, int64_t *n) {
  tg_scope_begin();
  tg_manual_seed(7);
  tg_tensor *x =
      tg_mul_scalar(tg_randn(TG_SHAPE(c->rows, c->classes), TG_FLOAT64), c->scale);
  if (c->minus_inf)
    for (int64_t i = 0; i < c->rows; i += 3)
      tg_data_f64(x)[i * c->classes + 1] = -INFINITY;
  x = tg_requires_grad_(tg_to(x, dtype), true);
  tg_tensor *target = tg_randint(0, c->classes, TG_SHAPE(c->rows));
  if (c->ignore_some)
    for (int64_t i = 0; i < c->rows; i += 5) tg_data_i64(target)[i] = -100;
  tg_tensor *loss =
      tg_cross_entropy_loss(x, target, &(tg_loss_opts){.reduction = c->reduction});
  tg_backward(tg_sum(loss, TG_ALL_DIMS, false), NULL, 0);
  tg_tensor *flat = tg_cat((tg_tensor *[]){tg_reshape(tg_detach(loss), TG_SHAPE(-1)),
                                           tg_reshape(tg_grad(x), TG_SHAPE(-1))},
                           2, 0);
  flat = tg_contiguous(tg_to(flat, TG_FLOAT64));
  *n = tg_numel(flat);
  double *out = malloc((size_t)*n * sizeof *out);
  memcpy(out, tg_cdata_f64(flat), (size_t)*n * sizeof *out);
  tg_scope_end();
  return out;
}

static bool available(tg_isa isa) {
  if (isa <= tg_simd_best()) return true;
  printf("test_loss_paths: the %s path is not available (CPU or TG_ISA); skipped\n",
         tg_simd_name(isa));
  return false;
}

START_TEST(test_cross_entropy_same_on_every_path) {
  tg_dtype dtypes[] = {TG_FLOAT32, TG_FLOAT64};
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    for (int d = 0; d < 2; d++) {
      tg_simd_force(TG_ISA_BASELINE);
      int64_t n, m;
      double *baseline = loss_and_grad(&cases[k], dtypes[d], &n);
      for (int isa = TG_ISA_AVX2; isa < TG_ISA_COUNT; isa++) {
        if (!available((tg_isa)isa)) continue;
        tg_simd_force((tg_isa)isa);
        double *got = loss_and_grad(&cases[k], dtypes[d], &m);
        ck_assert_msg(m == n && memcmp(got, baseline, (size_t)n * sizeof *got) == 0,
                      "case %zu, %s: the %s path differs from the baseline path", k,
                      tg_dtype_name(dtypes[d]), tg_simd_name((tg_isa)isa));
        free(got);
      }
      free(baseline);
    }
  }
  tg_simd_force(tg_simd_best());
}
END_TEST

/* float32 beside float64 on the CPU's own path: within PyTorch parity's 1e-5. */
START_TEST(test_cross_entropy_float32_near_float64) {
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    int64_t n, m;
    double *f32 = loss_and_grad(&cases[k], TG_FLOAT32, &n);
    double *f64 = loss_and_grad(&cases[k], TG_FLOAT64, &m);
    ck_assert_int_eq(n, m);
    for (int64_t i = 0; i < n; i++) {
      if (isinf(f64[i])) {
        ck_assert_msg(f32[i] == f64[i], "case %zu, element %lld: %g, want %g", k,
                      (long long)i, f32[i], f64[i]);
        continue;
      }
      double tol = 1e-5 * (1 + fabs(f64[i]));
      ck_assert_msg(fabs(f32[i] - f64[i]) <= tol,
                    "case %zu, element %lld: %.9g, want %.9g", k, (long long)i, f32[i],
                    f64[i]);
    }
    free(f32);
    free(f64);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("loss_paths");
  TCase *tc = tcase_create("cross_entropy");
  tcase_add_test(tc, test_cross_entropy_same_on_every_path);
  tcase_add_test(tc, test_cross_entropy_float32_near_float64);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
