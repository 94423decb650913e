/* sklearn 1.2's make_moons, make_circles and make_blobs, drawing from the
 * legacy RandomState in sklearn's order so the numbers match Python's. */
#include "tensorgrad/datasets.h"
#include "tensorgrad/tensor.h"
#include "data/bunch.h"
#include "data/numpy_random.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Element i of np.linspace(start, stop, num, endpoint), computed the way
 * NumPy 1.24 does (i * step + start, exact stop at the end). */
static double linspace_at(double start, double stop, int64_t num, bool endpoint,
                          int64_t i) {
  int64_t div = endpoint ? num - 1 : num;
  double delta = stop - start, v;
  if (div > 0) {
    double step = delta / (double)div;
    v = step == 0 ? (double)i / (double)div * delta : (double)i * step;
  } else {
    v = (double)i * delta;
  }
  v += start;
  if (endpoint && num > 1 && i == num - 1) v = stop;
  return v;
}

static void check_common(const char *who, int64_t n_samples, double noise) {
  if (n_samples < 1)
    tg_error("%s: n_samples must be >= 1, got %lld", who, (long long)n_samples);
  if (!(noise >= 0) || isinf(noise))
    tg_error("%s: noise must be a finite value >= 0, got %g", who, noise);
}

/* The shared tail of make_moons and make_circles: seed, shuffle, then add
 * noise. On failure frees b. */
static int shuffle_and_noise(tg_bunch *b, uint32_t random_state, bool shuffle,
                             double noise, const char *who) {
  tg_np_random rs;
  tg_np_seed(&rs, random_state);
  if (shuffle && tg_bunch_shuffle_rows(b, &rs, who)) {
    tg_bunch_free(b);
    return -1;
  }
  if (noise > 0)
    for (int64_t i = 0; i < b->n_samples * 2; i++)
      b->X[i] += tg_np_normal(&rs, 0.0, noise);
  return 0;
}

int tg_make_moons(tg_bunch *out, int64_t n_samples, bool shuffle, double noise,
                  uint32_t random_state) {
  memset(out, 0, sizeof *out);
  const char *who = "tg_make_moons";
  check_common(who, n_samples, noise);
  if (tg_bunch_alloc(out, n_samples, 2, true, who)) return -1;
  int64_t n_out = n_samples / 2, n_in = n_samples - n_out;
  for (int64_t i = 0; i < n_out; i++) {
    double t = linspace_at(0, M_PI, n_out, true, i);
    out->X[2 * i] = cos(t);
    out->X[2 * i + 1] = sin(t);
    out->y[i] = 0;
  }
  for (int64_t i = 0; i < n_in; i++) {
    double t = linspace_at(0, M_PI, n_in, true, i);
    out->X[2 * (n_out + i)] = 1 - cos(t);
    out->X[2 * (n_out + i) + 1] = 1 - sin(t) - 0.5;
    out->y[n_out + i] = 1;
  }
  return shuffle_and_noise(out, random_state, shuffle, noise, who);
}

int tg_make_circles(tg_bunch *out, int64_t n_samples, bool shuffle, double noise,
                    double factor, uint32_t random_state) {
  memset(out, 0, sizeof *out);
  const char *who = "tg_make_circles";
  check_common(who, n_samples, noise);
  if (!(factor >= 0 && factor < 1))
    tg_error("%s: factor must be in [0, 1), got %g", who, factor);
  if (tg_bunch_alloc(out, n_samples, 2, true, who)) return -1;
  int64_t n_out = n_samples / 2, n_in = n_samples - n_out;
  for (int64_t i = 0; i < n_out; i++) {
    double t = linspace_at(0, 2 * M_PI, n_out, false, i);
    out->X[2 * i] = cos(t);
    out->X[2 * i + 1] = sin(t);
    out->y[i] = 0;
  }
  for (int64_t i = 0; i < n_in; i++) {
    double t = linspace_at(0, 2 * M_PI, n_in, false, i);
    out->X[2 * (n_out + i)] = cos(t) * factor;
    out->X[2 * (n_out + i) + 1] = sin(t) * factor;
    out->y[n_out + i] = 1;
  }
  return shuffle_and_noise(out, random_state, shuffle, noise, who);
}

tg_blobs_options tg_blobs_defaults(void) {
  return (tg_blobs_options){.n_samples = 100,
                            .n_features = 2,
                            .n_centers = 3,
                            .centers = NULL,
                            .cluster_std = 1.0,
                            .center_box = {-10.0, 10.0},
                            .shuffle = true,
                            .random_state = 0};
}

static void check_blobs(const tg_blobs_options *o) {
  const char *who = "tg_make_blobs";
  if (o->n_samples < 1 || o->n_features < 1 || o->n_centers < 1)
    tg_error("%s: n_samples, n_features and n_centers must be >= 1, got %lld, "
             "%lld and %lld",
             who, (long long)o->n_samples, (long long)o->n_features,
             (long long)o->n_centers);
  if (!(o->cluster_std >= 0) || isinf(o->cluster_std))
    tg_error("%s: cluster_std must be a finite value >= 0, got %g", who, o->cluster_std);
  if (!o->centers && !(isfinite(o->center_box[0]) && isfinite(o->center_box[1]) &&
                       o->center_box[0] <= o->center_box[1]))
    tg_error("%s: center_box must be finite with low <= high, got (%g, %g)", who,
             o->center_box[0], o->center_box[1]);
}

int tg_make_blobs(tg_bunch *out, const tg_blobs_options *o) {
  memset(out, 0, sizeof *out);
  const char *who = "tg_make_blobs";
  check_blobs(o);
  int64_t k = o->n_centers, d = o->n_features;
  double *centers = malloc(sizeof(double) * (size_t)(k * d));
  if (!centers || tg_bunch_alloc(out, o->n_samples, d, true, who)) {
    free(centers);
    if (!centers)
      tg_set_last_error("%s: out of memory for %lld centers", who, (long long)k);
    return -1;
  }
  tg_np_random rs;
  tg_np_seed(&rs, o->random_state);
  for (int64_t i = 0; i < k * d; i++)
    centers[i] = o->centers ? o->centers[i]
                            : tg_np_uniform(&rs, o->center_box[0], o->center_box[1]);
  /* n_samples // k each, the first n_samples % k centers one more. */
  int64_t row = 0;
  for (int64_t c = 0; c < k; c++) {
    int64_t rows = o->n_samples / k + (c < o->n_samples % k ? 1 : 0);
    for (int64_t r = 0; r < rows; r++, row++) {
      for (int64_t j = 0; j < d; j++)
        out->X[row * d + j] = tg_np_normal(&rs, centers[c * d + j], o->cluster_std);
      out->y[row] = c;
    }
  }
  free(centers);
  if (o->shuffle && tg_bunch_shuffle_rows(out, &rs, who)) {
    tg_bunch_free(out);
    return -1;
  }
  return 0;
}
