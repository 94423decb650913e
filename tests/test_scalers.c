/* data/scalers.c: StandardScaler and MinMaxScaler against scikit-learn 1.2
 * (tests/golden/data.py) to 1e-12, including lecture 6's Quiz 3, plus the
 * dtype rules, NaN handling and every error message. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tensorgrad/data.h"
#include "test_util.h"

static tg_golden *golden;

static void load_golden(void) {
  golden = tg_golden_load(TG_TEST_DIR "/golden/data.txt");
}
static void free_golden(void) {
  tg_golden_free(golden);
  golden = NULL;
}

static const double RTOL = 1e-12, ATOL = 1e-12;

static void assert_golden(const tg_tensor *t, const char *prefix, const char *what) {
  char name[128];
  snprintf(name, sizeof name, "%s_%s", prefix, what);
  tg_scope_begin();
  tg_tensor *want = tg_golden_tensor(golden, name, TG_FLOAT64);
  tg_assert_shape(t, tg_shape_of(want));
  tg_assert_close(t, want, RTOL, ATOL, name);
  tg_scope_end();
}

static void assert_array(const double *got, int64_t n, const char *prefix,
                         const char *what) {
  tg_scope_begin();
  assert_golden(tg_from_data(got, TG_SHAPE(n), TG_FLOAT64), prefix, what);
  tg_scope_end();
}

/* fit_transform on X, transform and inverse_transform on X_val, one scaler
 * type; the fitted attributes are checked by the callers. */
typedef struct scaler_ops {
  tg_tensor *(*fit_transform)(void *s, tg_tensor *X);
  tg_tensor *(*transform)(const void *s, tg_tensor *X);
  tg_tensor *(*inverse)(const void *s, tg_tensor *X);
} scaler_ops;

static void assert_scaler_golden(void *scaler, const scaler_ops *ops,
                                 const char *prefix) {
  tg_scope_begin();
  tg_tensor *X = tg_golden_tensor(golden, "X", TG_FLOAT64);
  tg_tensor *X_val = tg_golden_tensor(golden, "X_val", TG_FLOAT64);
  assert_golden(ops->fit_transform(scaler, X), prefix, "fit_transform");
  assert_golden(ops->transform(scaler, X_val), prefix, "transform");
  assert_golden(ops->inverse(scaler, X_val), prefix, "inverse");
  tg_scope_end();
}

/* Adapters from the typed scaler functions to scaler_ops. */
#define OPS(kind)                                                                        \
  static tg_tensor *kind##_fit_transform(void *s, tg_tensor *X) {                        \
    return tg_##kind##_scaler_fit_transform(s, X);                                       \
  }                                                                                      \
  static tg_tensor *kind##_transform(const void *s, tg_tensor *X) {                      \
    return tg_##kind##_scaler_transform(s, X);                                           \
  }                                                                                      \
  static tg_tensor *kind##_inverse(const void *s, tg_tensor *X) {                        \
    return tg_##kind##_scaler_inverse_transform(s, X);                                   \
  }                                                                                      \
  static const scaler_ops kind##_ops = {kind##_fit_transform, kind##_transform,          \
                                        kind##_inverse};
OPS(standard)
OPS(minmax)

/* ---- StandardScaler ---------------------------------------------------------------- */

START_TEST(test_standard_golden) {
  tg_standard_scaler *s = tg_standard_scaler_new(true, true);
  assert_scaler_golden(s, &standard_ops, "std");
  ck_assert_int_eq(s->n_features_in, 4);
  ck_assert_int_eq(s->n_samples_seen, 20);
  assert_array(s->mean_, 4, "std", "mean_");
  assert_array(s->var_, 4, "std", "var_");
  assert_array(s->scale_, 4, "std", "scale_");
  ck_assert(s->scale_[3] == 1.0); /* the constant feature */
  tg_standard_scaler_free(s);
}
END_TEST

START_TEST(test_standard_options_golden) {
  tg_standard_scaler *s = tg_standard_scaler_new(false, true);
  assert_scaler_golden(s, &standard_ops, "std_nomean");
  assert_array(s->scale_, 4, "std_nomean", "scale_");
  tg_standard_scaler_free(s);

  s = tg_standard_scaler_new(true, false);
  assert_scaler_golden(s, &standard_ops, "std_nostd");
  assert_array(s->mean_, 4, "std_nostd", "mean_");
  ck_assert_ptr_null(s->scale_);
  ck_assert_ptr_null(s->var_);
  tg_standard_scaler_free(s);

  s = tg_standard_scaler_new(false, false);
  assert_scaler_golden(s, &standard_ops, "std_none");
  ck_assert_ptr_null(s->mean_);
  tg_standard_scaler_free(s);
}
END_TEST

/* Values that differ only by rounding noise count as constant (scale 1). */
START_TEST(test_standard_near_constant_golden) {
  tg_standard_scaler *s = tg_standard_scaler_new(true, true);
  tg_tensor *near = tg_golden_tensor(golden, "near_constant", TG_FLOAT64);
  tg_standard_scaler_fit(s, near);
  assert_array(s->scale_, 1, "near_constant", "scale");
  ck_assert(s->scale_[0] == 1.0);
  ck_assert(s->var_[0] > 0); /* not exactly constant, yet treated so */
  tg_release(near);
  tg_standard_scaler_free(s);
}
END_TEST

/* float32 stays float32 (computed in float64, rounded once); integers
 * become float64. */
START_TEST(test_standard_dtypes) {
  tg_standard_scaler *s = tg_standard_scaler_new(true, true);
  tg_scope_begin();
  tg_tensor *X = tg_to(tg_golden_tensor(golden, "X", TG_FLOAT64), TG_FLOAT32);
  tg_tensor *X_val = tg_to(tg_golden_tensor(golden, "X_val", TG_FLOAT64), TG_FLOAT32);
  tg_standard_scaler_fit(s, X);
  tg_tensor *out = tg_standard_scaler_transform(s, X_val);
  ck_assert_int_eq(out->dtype, TG_FLOAT32);
  tg_tensor *want = tg_golden_tensor(golden, "std_f32", TG_FLOAT64);
  tg_assert_close(out, want, 1e-6, 1e-6, "float32 transform");
  tg_tensor *ints =
      tg_from_data((int64_t[]){1, 10, 3, 10, 5, 10}, TG_SHAPE(3, 2), TG_INT64);
  tg_tensor *z = tg_standard_scaler_fit_transform(s, ints);
  ck_assert_int_eq(z->dtype, TG_FLOAT64);
  double sd = sqrt(8.0 / 3.0);
  tg_assert_close_data(z, (double[]){-2 / sd, 0, 0, 0, 2 / sd, 0}, 6, RTOL, ATOL,
                       "int64 X");
  tg_scope_end();
  tg_standard_scaler_free(s);
}
END_TEST

/* NaNs are left out of the statistics and kept by transform, as in sklearn. */
START_TEST(test_nan_ignored_when_fitting) {
  double nan = NAN;
  tg_tensor *X =
      tg_from_data((double[]){1, nan, 3, 4, nan, 6}, TG_SHAPE(3, 2), TG_FLOAT64);
  tg_standard_scaler *s = tg_standard_scaler_new(true, true);
  tg_minmax_scaler *m = tg_minmax_scaler_new(0, 1);
  tg_scope_begin();
  tg_tensor *z = tg_standard_scaler_fit_transform(s, X);
  tg_assert_close_data(z, (double[]){-1, nan, 1, -1, nan, 1}, 6, RTOL, ATOL, "standard");
  ck_assert(s->mean_[0] == 2 && s->mean_[1] == 5 && s->var_[1] == 1);
  tg_assert_close_data(tg_minmax_scaler_fit_transform(m, X),
                       (double[]){0, nan, 1, 0, nan, 1}, 6, RTOL, ATOL, "minmax");
  tg_scope_end();
  tg_standard_scaler_free(s);
  tg_minmax_scaler_free(m);
  tg_release(X);
}
END_TEST

/* ---- MinMaxScaler ---------------------------------------------------------------------
 */

START_TEST(test_minmax_golden) {
  tg_minmax_scaler *s = tg_minmax_scaler_new(0, 1);
  assert_scaler_golden(s, &minmax_ops, "minmax");
  assert_array(s->data_min_, 4, "minmax", "data_min_");
  assert_array(s->data_max_, 4, "minmax", "data_max_");
  assert_array(s->scale_, 4, "minmax", "scale_");
  assert_array(s->min_, 4, "minmax", "min_");
  ck_assert(s->data_range_[3] == 0 && s->scale_[3] == 1); /* constant: range taken as 1 */
  tg_minmax_scaler_free(s);

  s = tg_minmax_scaler_new(-1, 1);
  assert_scaler_golden(s, &minmax_ops, "minmax_pm1");
  assert_array(s->scale_, 4, "minmax_pm1", "scale_");
  assert_array(s->min_, 4, "minmax_pm1", "min_");
  tg_minmax_scaler_free(s);
}
END_TEST

/* Lecture 6, Quiz 3: X = [-2, 0.7, 3] as a single feature. */
START_TEST(test_quiz3_golden) {
  tg_tensor *X = tg_from_data((double[]){-2, 0.7, 3}, TG_SHAPE(3, 1), TG_FLOAT64);
  tg_standard_scaler *sc = tg_standard_scaler_new(true, true);
  tg_minmax_scaler *mm = tg_minmax_scaler_new(0, 1);
  tg_scope_begin();
  tg_tensor *z = tg_standard_scaler_fit_transform(sc, X),
            *n = tg_minmax_scaler_fit_transform(mm, X);
  assert_golden(z, "quiz3", "standard");
  assert_golden(n, "quiz3", "minmax");
  /* by hand: mean 0.5667, population std 2.0434; (x - min) / 5 */
  tg_assert_close_data(n, (double[]){0, 0.54, 1}, 3, RTOL, ATOL, "minmax by hand");
  ck_assert(fabs(tg_get_flat(z, 0) + 1.2561) < 1e-4);
  tg_assert_close(tg_standard_scaler_inverse_transform(sc, z), X, RTOL, ATOL,
                  "round trip");
  tg_scope_end();
  tg_standard_scaler_free(sc);
  tg_minmax_scaler_free(mm);
  tg_release(X);
}
END_TEST

/* ---- errors ---------------------------------------------------------------------------
 */

START_TEST(test_errors) {
  tg_standard_scaler *s = tg_standard_scaler_new(true, true);
  tg_minmax_scaler *m = tg_minmax_scaler_new(0, 1);
  tg_tensor *two = tg_zeros(TG_SHAPE(4, 2), TG_FLOAT64),
            *three = tg_zeros(TG_SHAPE(4, 3), TG_FLOAT64);
  tg_tensor *flat = tg_zeros(TG_SHAPE(3), TG_FLOAT64),
            *none = tg_zeros(TG_SHAPE(0, 2), TG_FLOAT64);
  tg_tensor *inf =
      tg_from_data((double[]){1, 2, INFINITY, 4}, TG_SHAPE(2, 2), TG_FLOAT64);
  TG_EXPECT_ERROR(
      tg_standard_scaler_transform(s, two),
      "tg_standard_scaler_transform: this StandardScaler is not fitted yet; call "
      "fit first");
  TG_EXPECT_ERROR(
      tg_minmax_scaler_inverse_transform(m, two),
      "tg_minmax_scaler_inverse_transform: this MinMaxScaler is not fitted yet");
  tg_standard_scaler_fit(s, two);
  tg_minmax_scaler_fit(m, two);
  TG_EXPECT_ERROR(
      tg_standard_scaler_transform(s, three),
      "tg_standard_scaler_transform: X has 3 features, but the scaler was fitted "
      "with 2 features");
  TG_EXPECT_ERROR(
      tg_standard_scaler_inverse_transform(s, three),
      "tg_standard_scaler_inverse_transform: X has 3 features, but the scaler was "
      "fitted with 2 features");
  TG_EXPECT_ERROR(
      tg_minmax_scaler_transform(m, three),
      "tg_minmax_scaler_transform: X has 3 features, but the scaler was fitted "
      "with 2 features");
  TG_EXPECT_ERROR(
      tg_standard_scaler_fit(s, flat),
      "tg_standard_scaler_fit: expected a 2-D tensor (samples x features), got "
      "shape (3); reshape a single feature to (-1, 1)");
  TG_EXPECT_ERROR(
      tg_minmax_scaler_fit(m, none),
      "tg_minmax_scaler_fit: found shape (0x2); at least 1 sample and 1 feature "
      "are required");
  TG_EXPECT_ERROR(tg_standard_scaler_fit_transform(s, inf),
                  "tg_standard_scaler_fit: X contains infinity at row 1, feature 0");
  TG_EXPECT_ERROR(
      tg_minmax_scaler_new(1, 0),
      "tg_minmax_scaler_new: minimum of desired feature range must be smaller than "
      "maximum, got (1, 0)");
  /* a failed fit leaves the earlier fit in place */
  ck_assert_int_eq(s->n_features_in, 2);
  tg_standard_scaler_free(s);
  tg_minmax_scaler_free(m);
  tg_standard_scaler_free(NULL);
  tg_minmax_scaler_free(NULL);
  tg_tensor *all[] = {two, three, flat, none, inf};
  for (int i = 0; i < 5; i++) tg_release(all[i]);
}
END_TEST

/* Refitting replaces the statistics (and the feature count). */
START_TEST(test_refit) {
  tg_minmax_scaler *m = tg_minmax_scaler_new(0, 1);
  tg_tensor *a = tg_from_data((double[]){0, 10}, TG_SHAPE(2, 1), TG_FLOAT64);
  tg_tensor *b = tg_from_data((double[]){0, 1, 2, 3, 4, 5}, TG_SHAPE(2, 3), TG_FLOAT64);
  tg_minmax_scaler_fit(m, a);
  ck_assert(m->data_max_[0] == 10);
  tg_minmax_scaler_fit(m, b);
  ck_assert_int_eq(m->n_features_in, 3);
  ck_assert(m->data_max_[0] == 3 && m->data_min_[2] == 2);
  tg_minmax_scaler_free(m);
  tg_release(a);
  tg_release(b);
}
END_TEST

int main(void) {
  Suite *s = suite_create("scalers");
  TCase *tc = tcase_create("sklearn");
  tcase_add_unchecked_fixture(tc, load_golden, free_golden);
  tcase_add_test(tc, test_standard_golden);
  tcase_add_test(tc, test_standard_options_golden);
  tcase_add_test(tc, test_standard_near_constant_golden);
  tcase_add_test(tc, test_standard_dtypes);
  tcase_add_test(tc, test_nan_ignored_when_fitting);
  tcase_add_test(tc, test_minmax_golden);
  tcase_add_test(tc, test_quiz3_golden);
  tcase_add_test(tc, test_errors);
  tcase_add_test(tc, test_refit);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
