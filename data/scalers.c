/* StandardScaler and MinMaxScaler with scikit-learn 1.2's arithmetic: the
 * statistics in float64 (the variance by the corrected two-pass formula
 * sklearn uses), NaNs ignored when fitting and kept when transforming, and
 * near-constant features given a scale of 1 so they map to 0 (or to the
 * bottom of the feature range) instead of dividing by zero. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "tensorgrad/data.h"

/* ---- shared checks and plumbing -------------------------------------------------- */

enum { FITTING = -1 };

/* X must be 2-D (f64_copy checks it is finite); when transforming (fitted_features
 * >= 0) the scaler must be fitted on as many features as X has. */
static void check_input(const char *fn, const char *name, tg_tensor *X,
                        int64_t fitted_features) {
  char s[TG_SHAPE_STR_MAX];
  if (fitted_features == 0)
    tg_error("%s: this %s is not fitted yet; call fit first", fn, name);
  if (X->ndim != 2)
    tg_error(
        "%s: expected a 2-D tensor (samples x features), got shape %s; reshape a single "
        "feature to (-1, 1)",
        fn, tg_shape_str(tg_shape_of(X), s));
  if (X->shape[0] == 0 || X->shape[1] == 0)
    tg_error("%s: found shape %s; at least 1 sample and 1 feature are required", fn,
             tg_shape_str(tg_shape_of(X), s));
  if (fitted_features > 0 && X->shape[1] != fitted_features)
    tg_error("%s: X has %lld features, but the scaler was fitted with %lld features", fn,
             (long long)X->shape[1], (long long)fitted_features);
}

/* Stops at the first infinity among x's n values (f per row), naming its
 * place; NaN is allowed. */
static void check_finite(const char *fn, const double *x, int64_t n, int64_t f) {
  bool any_inf = false;
  for (int64_t i = 0; i < n; i++) any_inf |= isinf(x[i]); /* one vectorised pass */
  for (int64_t i = 0; any_inf && i < n; i++)
    if (isinf(x[i]))
      tg_error("%s: X contains infinity at row %lld, feature %lld", fn,
               (long long)(i / f), (long long)(i % f));
}

/* X's values as float64 for reading: X's own data when it is a contiguous
 * float64 tensor (no copy of a 10^7-row X), else a copy owned by the
 * current scope. Infinities are the caller's to check. */
static const double *f64_values(tg_tensor *X) {
  if (X->dtype == TG_FLOAT64 && tg_is_contiguous(X)) return tg_cdata_f64(X);
  double *x = tg_data_f64(tg_empty(tg_shape_of(X), TG_FLOAT64));
  tg_copy_to_f64(X, x);
  return x;
}

/* A fresh float64 tensor of X's shape for a transform's result, and in *in
 * where to read X: X's own data when it is contiguous float64, else the
 * result itself holding a copy (transformed in place). Checks that X is
 * finite. */
static tg_tensor *f64_result(const char *fn, tg_tensor *X, const double **in) {
  tg_tensor *out = tg_empty(tg_shape_of(X), TG_FLOAT64);
  bool direct = X->dtype == TG_FLOAT64 && tg_is_contiguous(X);
  if (!direct) tg_copy_to_f64(X, tg_data_f64(out));
  *in = direct ? tg_cdata_f64(X) : tg_cdata_f64(out);
  check_finite(fn, *in, tg_numel(X), X->shape[1]);
  return out;
}

/* The result in X's dtype when that is floating (sklearn keeps float32),
 * float64 otherwise. */
static tg_tensor *as_result(tg_tensor *work, tg_dtype dtype) {
  return dtype == TG_FLOAT32 ? tg_to(work, TG_FLOAT32) : work;
}

static double *new_array(const char *fn, int64_t n) {
  double *a = malloc(sizeof *a * (size_t)n);
  if (!a) tg_error("%s: out of memory for %lld features", fn, (long long)n);
  return a;
}

/* _handle_zeros_in_scale without a precomputed mask. */
static double nonzero_scale(double scale) {
  return scale < 10 * DBL_EPSILON ? 1.0 : scale;
}

/* ---- StandardScaler
 * --------------------------------------------------------------------- */

tg_standard_scaler *tg_standard_scaler_new(bool with_mean, bool with_std) {
  tg_standard_scaler *s = calloc(1, sizeof *s);
  if (!s) tg_error("tg_standard_scaler_new: out of memory");
  s->with_mean = with_mean;
  s->with_std = with_std;
  return s;
}

static void standard_clear(tg_standard_scaler *s) {
  free(s->mean_);
  free(s->var_);
  free(s->scale_);
  s->mean_ = s->var_ = s->scale_ = NULL;
  s->n_features_in = s->n_samples_seen = 0;
}

void tg_standard_scaler_free(tg_standard_scaler *s) {
  if (!s) return;
  standard_clear(s);
  free(s);
}

/* sklearn's _is_constant_feature: a variance within the rounding error bound
 * of the two-pass algorithm is indistinguishable from 0. */
static bool is_constant_feature(double var, double mean, double count) {
  double bound = count * DBL_EPSILON * var + pow(count * mean * DBL_EPSILON, 2);
  return var <= bound;
}

/* Means and variances of the columns of the n x f array x, skipping NaNs,
 * by _incremental_mean_and_var's first pass: the mean, then the squared
 * deviations with the rounding error of the mean taken back out. Each
 * column adds its rows in order, as numpy does; walking the rows outside
 * keeps both passes streaming through memory. */
static void column_moments(const char *fn, const double *x, int64_t n, int64_t f,
                           double *mean, double *var, double *count) {
  /* scope-owned: an infinity in X raises an error from the first pass */
  double *correction = tg_data_f64(tg_zeros(TG_SHAPE(f), TG_FLOAT64)),
         *squares = tg_data_f64(tg_zeros(TG_SHAPE(f), TG_FLOAT64));
  for (int64_t j = 0; j < f; j++) mean[j] = count[j] = 0;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < f; j++) {
      double v = x[i * f + j];
      mean[j] += isnan(v) ? 0 : v;
      count[j] += !isnan(v);
    }
  /* an infinity leaves its column's sum infinite or NaN: only then look */
  bool suspect = false;
  for (int64_t j = 0; j < f; j++) suspect |= count[j] > 0 && !isfinite(mean[j]);
  if (suspect) check_finite(fn, x, n * f, f);
  for (int64_t j = 0; j < f; j++) mean[j] /= count[j];
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < f; j++) {
      double d = x[i * f + j] - mean[j];
      correction[j] += isnan(d) ? 0 : d;
      squares[j] += isnan(d) ? 0 : d * d;
    }
  for (int64_t j = 0; j < f; j++)
    var[j] = (squares[j] - correction[j] * correction[j] / count[j]) / count[j];
}

void tg_standard_scaler_fit(tg_standard_scaler *s, tg_tensor *X) {
  const char *fn = "tg_standard_scaler_fit";
  check_input(fn, "StandardScaler", X, FITTING);
  standard_clear(s);
  int64_t n = X->shape[0], f = X->shape[1];
  s->n_features_in = f;
  s->n_samples_seen = n;
  if (!s->with_mean && !s->with_std) return; /* nothing to learn, as in sklearn */
  s->mean_ = new_array(fn, f);
  if (s->with_std) {
    s->var_ = new_array(fn, f);
    s->scale_ = new_array(fn, f);
  }
  tg_scope_begin();
  const double *x = f64_values(X);
  double *var = tg_data_f64(tg_empty(TG_SHAPE(f), TG_FLOAT64));
  double *count = tg_data_f64(tg_empty(TG_SHAPE(f), TG_FLOAT64));
  column_moments(fn, x, n, f, s->mean_, var, count);
  for (int64_t j = 0; s->with_std && j < f; j++) {
    s->var_[j] = var[j];
    s->scale_[j] =
        is_constant_feature(var[j], s->mean_[j], count[j]) ? 1.0 : sqrt(var[j]);
  }
  tg_scope_end();
}

/* Shared by transform and its inverse; `inverse` undoes (x - mean) / scale. */
static tg_tensor *standard_apply(const char *fn, const tg_standard_scaler *s,
                                 tg_tensor *X, bool inverse) {
  check_input(fn, "StandardScaler", X, s->n_features_in);
  tg_scope_begin();
  const double *in;
  tg_tensor *work = f64_result(fn, X, &in);
  double *out = tg_data_f64(work);
  int64_t n = X->shape[0], f = X->shape[1];
  const double *mean = s->with_mean ? s->mean_ : NULL,
               *scale = s->with_std ? s->scale_ : NULL;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < f; j++) {
      double v = in[i * f + j];
      if (inverse) {
        if (scale) v *= scale[j];
        if (mean) v += mean[j];
      } else {
        if (mean) v -= mean[j];
        if (scale) v /= scale[j];
      }
      out[i * f + j] = v;
    }
  return tg_scope_return(as_result(work, X->dtype));
}

tg_tensor *tg_standard_scaler_transform(const tg_standard_scaler *s, tg_tensor *X) {
  return standard_apply("tg_standard_scaler_transform", s, X, false);
}

tg_tensor *tg_standard_scaler_inverse_transform(const tg_standard_scaler *s,
                                                tg_tensor *X) {
  return standard_apply("tg_standard_scaler_inverse_transform", s, X, true);
}

tg_tensor *tg_standard_scaler_fit_transform(tg_standard_scaler *s, tg_tensor *X) {
  tg_standard_scaler_fit(s, X);
  return tg_standard_scaler_transform(s, X);
}

/* ---- MinMaxScaler
 * --------------------------------------------------------------------------- */

tg_minmax_scaler *tg_minmax_scaler_new(double lo, double hi) {
  if (!(lo < hi))
    tg_error(
        "tg_minmax_scaler_new: minimum of desired feature range must be smaller than "
        "maximum, got (%g, %g)",
        lo, hi);
  tg_minmax_scaler *s = calloc(1, sizeof *s);
  if (!s) tg_error("tg_minmax_scaler_new: out of memory");
  s->feature_range[0] = lo;
  s->feature_range[1] = hi;
  return s;
}

static void minmax_clear(tg_minmax_scaler *s) {
  double **arrays[] = {&s->data_min_, &s->data_max_, &s->data_range_, &s->scale_,
                       &s->min_};
  for (size_t k = 0; k < sizeof arrays / sizeof *arrays; k++) {
    free(*arrays[k]);
    *arrays[k] = NULL;
  }
  s->n_features_in = s->n_samples_seen = 0;
}

void tg_minmax_scaler_free(tg_minmax_scaler *s) {
  if (!s) return;
  minmax_clear(s);
  free(s);
}

/* np.nanmin / np.nanmax of each column: NaN only when every value is NaN. */
static void column_ranges(const double *x, int64_t n, int64_t f, double *lo, double *hi) {
  for (int64_t j = 0; j < f; j++) lo[j] = hi[j] = NAN;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < f; j++) {
      double v = x[i * f + j];
      if (isnan(v)) continue;
      if (isnan(lo[j]) || v < lo[j]) lo[j] = v;
      if (isnan(hi[j]) || v > hi[j]) hi[j] = v;
    }
}

void tg_minmax_scaler_fit(tg_minmax_scaler *s, tg_tensor *X) {
  const char *fn = "tg_minmax_scaler_fit";
  check_input(fn, "MinMaxScaler", X, FITTING);
  minmax_clear(s);
  int64_t n = X->shape[0], f = X->shape[1];
  double **arrays[] = {&s->data_min_, &s->data_max_, &s->data_range_, &s->scale_,
                       &s->min_};
  for (size_t k = 0; k < sizeof arrays / sizeof *arrays; k++)
    *arrays[k] = new_array(fn, f);
  s->n_features_in = f;
  s->n_samples_seen = n;
  double lo = s->feature_range[0], hi = s->feature_range[1];
  tg_scope_begin();
  const double *x = f64_values(X);
  check_finite(fn, x, n * f, f);
  column_ranges(x, n, f, s->data_min_, s->data_max_);
  for (int64_t j = 0; j < f; j++) {
    s->data_range_[j] = s->data_max_[j] - s->data_min_[j];
    s->scale_[j] = (hi - lo) / nonzero_scale(s->data_range_[j]);
    s->min_[j] = lo - s->data_min_[j] * s->scale_[j];
  }
  tg_scope_end();
}

static tg_tensor *minmax_apply(const char *fn, const tg_minmax_scaler *s, tg_tensor *X,
                               bool inverse) {
  check_input(fn, "MinMaxScaler", X, s->n_features_in);
  tg_scope_begin();
  const double *in;
  tg_tensor *work = f64_result(fn, X, &in);
  double *out = tg_data_f64(work);
  const double *min = s->min_, *scale = s->scale_;
  int64_t n = X->shape[0], f = X->shape[1];
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < f; j++) {
      double v = in[i * f + j];
      out[i * f + j] = inverse ? (v - min[j]) / scale[j] : v * scale[j] + min[j];
    }
  return tg_scope_return(as_result(work, X->dtype));
}

tg_tensor *tg_minmax_scaler_transform(const tg_minmax_scaler *s, tg_tensor *X) {
  return minmax_apply("tg_minmax_scaler_transform", s, X, false);
}

tg_tensor *tg_minmax_scaler_inverse_transform(const tg_minmax_scaler *s, tg_tensor *X) {
  return minmax_apply("tg_minmax_scaler_inverse_transform", s, X, true);
}

tg_tensor *tg_minmax_scaler_fit_transform(tg_minmax_scaler *s, tg_tensor *X) {
  tg_minmax_scaler_fit(s, X);
  return tg_minmax_scaler_transform(s, X);
}
