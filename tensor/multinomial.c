/* torch.multinomial as PyTorch 1.13's CPU kernels draw it, so a seeded
 * sampler (makemore's generated words) gives the same indices as Python.
 *
 * Without replacement PyTorch uses the Gumbel trick in its exponential
 * form: q ~ Exp(1) per category (one 53-bit uniform u each, q = -log(1 - u)
 * in double, rounded to the probabilities' dtype), and the samples are the
 * indices of the largest p / q. With replacement (even for one sample) it
 * binary-searches the normalised cumulative sum (kept in the probabilities'
 * dtype) with one 53-bit uniform per sample. */
#include <math.h>
#include <stdlib.h>

#include "tensor/core.h"

static double uniform_53(void) {
  return (double)(tg_random_u64() & ((1ull << 53) - 1)) * (1.0 / 9007199254740992.0);
}

/* Values are rounded to float after each step when the dtype is float32. */
static double in_dtype(double v, bool f32) {
  return f32 ? (double)(float)v : v;
}

/* Every row is checked before anything is allocated (an error may unwind). */
static void check_row(const tg_tensor *probs, int64_t row, int64_t n_cat) {
  double sum = 0;
  for (int64_t j = 0; j < n_cat; j++) {
    double p = tg_get_flat(probs, row * n_cat + j);
    if (!isfinite(p) || p < 0)
      tg_error("tg_multinomial: probability tensor contains either inf, nan or "
               "element < 0 (got %g in probs of shape %s)",
               p, tg_shape_str(tg_shape_of(probs), (char[TG_SHAPE_STR_MAX]){0}));
    sum += p;
  }
  if (sum <= 0)
    tg_error("tg_multinomial: invalid multinomial distribution (sum of probabilities <= "
             "0) in probs of shape %s",
             tg_shape_str(tg_shape_of(probs), (char[TG_SHAPE_STR_MAX]){0}));
}

/* argmax / top-k of p / q, q ~ Exp(1): largest first, ties to the lower index. */
static void sample_exponential(const double *p, int64_t n_cat, int64_t k, bool f32,
                               double *key, int64_t *out) {
  for (int64_t j = 0; j < n_cat; j++) {
    double q = in_dtype(-log(1.0 - uniform_53()), f32);
    key[j] = in_dtype(p[j] / q, f32);
  }
  for (int64_t s = 0; s < k; s++) {
    int64_t best = -1;
    for (int64_t j = 0; j < n_cat; j++)
      if (key[j] >= 0 && (best < 0 || key[j] > key[best])) best = j;
    out[s] = best;
    key[best] = -1; /* taken: keys are otherwise >= 0 */
  }
}

static void sample_cumulative(const double *p, int64_t n_cat, int64_t k, bool f32,
                              double *cum, int64_t *out) {
  double sum = 0;
  for (int64_t j = 0; j < n_cat; j++) cum[j] = sum = in_dtype(sum + p[j], f32);
  for (int64_t j = 0; j < n_cat; j++) cum[j] = in_dtype(cum[j] / sum, f32);
  cum[n_cat - 1] = 1;
  for (int64_t s = 0; s < k; s++) {
    double u = uniform_53();
    int64_t left = 0, right = n_cat;
    while (right > left) {
      int64_t mid = left + (right - left) / 2;
      if (cum[mid] < u)
        left = mid + 1;
      else
        right = mid;
    }
    out[s] = left;
  }
}

tg_tensor *tg_multinomial(tg_tensor *probs, int64_t num_samples, bool replacement) {
  tg_check_floating("tg_multinomial", probs);
  char shape[TG_SHAPE_STR_MAX];
  if (probs->ndim != 1 && probs->ndim != 2)
    tg_error("tg_multinomial: prob_dist must be 1 or 2 dim, got probs of shape %s",
             tg_shape_str(tg_shape_of(probs), shape));
  int64_t n_cat = tg_size(probs, -1), n_dist = probs->ndim == 2 ? tg_size(probs, 0) : 1;
  if (n_cat == 0)
    tg_error("tg_multinomial: probs of shape %s has no categories",
             tg_shape_str(tg_shape_of(probs), shape));
  if (num_samples <= 0)
    tg_error("tg_multinomial: cannot sample %lld samples (num_samples must be positive)",
             (long long)num_samples);
  if (!replacement && num_samples > n_cat)
    tg_error("tg_multinomial: cannot sample n_sample (%lld) > prob_dist.size(-1) (%lld) "
             "samples without replacement",
             (long long)num_samples, (long long)n_cat);
  for (int64_t i = 0; i < n_dist; i++) check_row(probs, i, n_cat);
  tg_tensor *out = tg_alloc(
      probs->ndim == 2 ? TG_SHAPE(n_dist, num_samples) : TG_SHAPE(num_samples), TG_INT64);
  double *row = malloc((size_t)n_cat * 2 * sizeof *row);
  if (!row)
    tg_error("tg_multinomial: out of memory for %lld categories", (long long)n_cat);
  bool f32 = probs->dtype == TG_FLOAT32;
  int64_t *samples = (int64_t *)tg_ptr(out);
  for (int64_t i = 0; i < n_dist; i++) {
    for (int64_t j = 0; j < n_cat; j++) row[j] = tg_get_flat(probs, i * n_cat + j);
    int64_t *dst = samples + i * num_samples;
    if (!replacement)
      sample_exponential(row, n_cat, num_samples, f32, row + n_cat, dst);
    else
      sample_cumulative(row, n_cat, num_samples, f32, row + n_cat, dst);
  }
  free(row);
  return out;
}
