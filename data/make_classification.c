/* sklearn 1.2's make_classification: Gaussian clusters on the vertices of a
 * hypercube, plus redundant, repeated and useless features. Every draw is
 * made in sklearn's order on the legacy RandomState, so the output matches
 * Python's up to the rounding of its BLAS matrix products. */
#include "tensorgrad/datasets.h"
#include "tensorgrad/tensor.h"
#include "data/bunch.h"
#include "data/numpy_random.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

tg_classification_options tg_classification_defaults(void) {
  return (tg_classification_options){.n_samples = 100,
                                     .n_features = 20,
                                     .n_informative = 2,
                                     .n_redundant = 2,
                                     .n_repeated = 0,
                                     .n_classes = 2,
                                     .n_clusters_per_class = 2,
                                     .flip_y = 0.01,
                                     .class_sep = 1.0,
                                     .hypercube = true,
                                     .shift = 0.0,
                                     .random_shift = false,
                                     .scale = 1.0,
                                     .random_scale = false,
                                     .shuffle = true,
                                     .random_state = 0};
}

static void check_options(const tg_classification_options *o) {
  const char *who = "tg_make_classification";
  if (o->n_samples < 1 || o->n_features < 1 || o->n_informative < 1 ||
      o->n_redundant < 0 || o->n_repeated < 0 || o->n_classes < 1 ||
      o->n_clusters_per_class < 1)
    tg_error("%s: need n_samples, n_features, n_informative, n_classes, "
             "n_clusters_per_class >= 1 and n_redundant, n_repeated >= 0",
             who);
  if (o->n_informative + o->n_redundant + o->n_repeated > o->n_features)
    tg_error("%s: n_informative + n_redundant + n_repeated = %lld exceeds "
             "n_features = %lld",
             who, (long long)(o->n_informative + o->n_redundant + o->n_repeated),
             (long long)o->n_features);
  /* sklearn: n_informative >= log2(n_classes * n_clusters_per_class); the
   * clusters must fit on distinct hypercube vertices. */
  if (o->n_informative < 62 &&
      o->n_classes * o->n_clusters_per_class > (INT64_C(1) << o->n_informative))
    tg_error("%s: n_classes(%lld) * n_clusters_per_class(%lld) must be <= "
             "2**n_informative(%lld)",
             who, (long long)o->n_classes, (long long)o->n_clusters_per_class,
             (long long)o->n_informative);
  if (!(o->flip_y <= 1) || !isfinite(o->class_sep) || !isfinite(o->shift) ||
      !isfinite(o->scale))
    tg_error("%s: flip_y must be <= 1 and class_sep, shift, scale finite "
             "(got flip_y=%g class_sep=%g shift=%g scale=%g)",
             who, o->flip_y, o->class_sep, o->shift, o->scale);
}

static bool contains(const int64_t *v, int64_t n, int64_t x) {
  for (int64_t i = 0; i < n; i++)
    if (v[i] == x) return true;
  return false;
}

/* sklearn.utils.random.sample_without_replacement(n_pop, k, method="auto"). */
static int sample_without_replacement(tg_np_random *rs, int64_t n_pop, int64_t k,
                                      int64_t *out) {
  double ratio = (double)k / (double)n_pop;
  if (ratio > 0.01 && ratio < 0.99) {
    int64_t *perm = malloc(sizeof(int64_t) * (size_t)n_pop);
    if (!perm) return -1;
    tg_np_permutation(rs, perm, n_pop);
    memcpy(out, perm, sizeof(int64_t) * (size_t)k);
    free(perm);
  } else if (ratio < 0.2) { /* tracking selection: redraw repeats */
    for (int64_t i = 0; i < k; i++) {
      do out[i] = tg_np_randint(rs, 0, n_pop);
      while (contains(out, i, out[i]));
    }
  } else { /* reservoir sampling */
    for (int64_t i = 0; i < k; i++) out[i] = i;
    for (int64_t i = k; i < n_pop; i++) {
      int64_t j = tg_np_randint(rs, 0, i + 1);
      if (j < k) out[j] = i;
    }
  }
  return 0;
}

/* _generate_hypercube: k distinct vertices of {0,1}^dims, row-major in
 * out[k * dims]. Beyond 30 dims sklearn draws the leading bits with randint
 * and recurses on the last 30. */
static int generate_hypercube(tg_np_random *rs, int64_t k, int64_t dims, int64_t stride,
                              double *out) {
  if (dims > 30) {
    for (int64_t i = 0; i < k; i++)
      for (int64_t j = 0; j < dims - 30; j++)
        out[i * stride + j] = (double)tg_np_randint(rs, 0, 2);
    return generate_hypercube(rs, k, 30, stride, out + (dims - 30));
  }
  int64_t *vertex = malloc(sizeof(int64_t) * (size_t)k);
  if (!vertex || sample_without_replacement(rs, INT64_C(1) << dims, k, vertex)) {
    free(vertex);
    return -1;
  }
  for (int64_t i = 0; i < k; i++) /* most significant bit first, as unpackbits */
    for (int64_t j = 0; j < dims; j++)
      out[i * stride + j] = (double)((vertex[i] >> (dims - 1 - j)) & 1);
  free(vertex);
  return 0;
}

static double *uniforms(tg_np_random *rs, int64_t n) {
  double *u = malloc(sizeof(double) * (size_t)(n ? n : 1));
  if (u)
    for (int64_t i = 0; i < n; i++) u[i] = tg_np_random_sample(rs);
  return u;
}

/* The informative block: one Gaussian cluster per hypercube vertex, each with
 * its own random covariance. Fills X[:, :n_inf] and y. */
static int informative_clusters(const tg_classification_options *o, tg_np_random *rs,
                                tg_bunch *b) {
  int64_t n_inf = o->n_informative, d = o->n_features, n = o->n_samples;
  int64_t n_clusters = o->n_classes * o->n_clusters_per_class;
  double *centroids = malloc(sizeof(double) * (size_t)(n_clusters * n_inf));
  double *A = malloc(sizeof(double) * (size_t)(n_inf * n_inf));
  double *row = malloc(sizeof(double) * (size_t)n_inf);
  int64_t *counts = malloc(sizeof(int64_t) * (size_t)n_clusters);
  int status = -1;
  if (!centroids || !A || !row || !counts) goto done;
  int64_t total = 0; /* int(n * weight / n_clusters_per_class), equal weights */
  for (int64_t c = 0; c < n_clusters; c++) {
    counts[c] = (int64_t)((double)n * (1.0 / (double)o->n_classes) /
                          (double)o->n_clusters_per_class);
    total += counts[c];
  }
  for (int64_t i = 0; i < n - total; i++) counts[i % n_clusters]++;

  if (generate_hypercube(rs, n_clusters, n_inf, n_inf, centroids)) goto done;
  for (int64_t i = 0; i < n_clusters * n_inf; i++)
    centroids[i] = centroids[i] * (2 * o->class_sep) - o->class_sep;
  if (!o->hypercube) {
    double *per_cluster = uniforms(rs, n_clusters);
    double *per_dim = per_cluster ? uniforms(rs, n_inf) : NULL;
    if (per_dim)
      for (int64_t c = 0; c < n_clusters; c++)
        for (int64_t j = 0; j < n_inf; j++)
          centroids[c * n_inf + j] =
              centroids[c * n_inf + j] * per_cluster[c] * per_dim[j];
    free(per_cluster);
    free(per_dim);
    if (!per_dim) goto done;
  }
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < n_inf; j++) b->X[i * d + j] = tg_np_standard_normal(rs);

  int64_t start = 0;
  for (int64_t c = 0; c < n_clusters; c++) {
    for (int64_t i = 0; i < n_inf * n_inf; i++) A[i] = 2 * tg_np_random_sample(rs) - 1;
    for (int64_t i = start; i < start + counts[c]; i++) {
      double *x = b->X + i * d;
      for (int64_t j = 0; j < n_inf; j++) {
        double s = 0;
        for (int64_t t = 0; t < n_inf; t++) s += x[t] * A[t * n_inf + j];
        row[j] = s;
      }
      for (int64_t j = 0; j < n_inf; j++) x[j] = row[j] + centroids[c * n_inf + j];
      b->y[i] = c % o->n_classes;
    }
    start += counts[c];
  }
  status = 0;
done:
  free(centroids);
  free(A);
  free(row);
  free(counts);
  return status;
}

/* Redundant features are random linear combinations of the informative
 * ones; repeated ones copy random earlier columns; useless ones are noise. */
static int derived_features(const tg_classification_options *o, tg_np_random *rs,
                            tg_bunch *b) {
  int64_t n_inf = o->n_informative, n_red = o->n_redundant, d = o->n_features;
  if (n_red > 0) {
    double *B = malloc(sizeof(double) * (size_t)(n_inf * n_red));
    if (!B) return -1;
    for (int64_t i = 0; i < n_inf * n_red; i++) B[i] = 2 * tg_np_random_sample(rs) - 1;
    for (int64_t i = 0; i < b->n_samples; i++)
      for (int64_t j = 0; j < n_red; j++) {
        double s = 0;
        for (int64_t t = 0; t < n_inf; t++) s += b->X[i * d + t] * B[t * n_red + j];
        b->X[i * d + n_inf + j] = s;
      }
    free(B);
  }
  int64_t base = n_inf + n_red;
  for (int64_t r = 0; r < o->n_repeated; r++) {
    int64_t src = (int64_t)((double)(base - 1) * tg_np_random_sample(rs) + 0.5);
    for (int64_t i = 0; i < b->n_samples; i++) b->X[i * d + base + r] = b->X[i * d + src];
  }
  int64_t first_useless = base + o->n_repeated;
  for (int64_t i = 0; i < b->n_samples; i++)
    for (int64_t j = first_useless; j < d; j++)
      b->X[i * d + j] = tg_np_standard_normal(rs);
  return 0;
}

/* flip_y, then shift and scale (random per feature when asked). */
static int flip_shift_scale(const tg_classification_options *o, tg_np_random *rs,
                            tg_bunch *b) {
  int64_t n = b->n_samples, d = b->n_features;
  if (o->flip_y >= 0) {
    bool *flip = malloc(sizeof(bool) * (size_t)n);
    if (!flip) return -1;
    for (int64_t i = 0; i < n; i++) flip[i] = tg_np_random_sample(rs) < o->flip_y;
    for (int64_t i = 0; i < n; i++)
      if (flip[i]) b->y[i] = tg_np_randint(rs, 0, o->n_classes);
    free(flip);
  }
  double *shift = malloc(sizeof(double) * (size_t)d),
         *scale = malloc(sizeof(double) * (size_t)d);
  if (!shift || !scale) {
    free(shift);
    free(scale);
    return -1;
  }
  for (int64_t j = 0; j < d; j++)
    shift[j] =
        o->random_shift ? (2 * tg_np_random_sample(rs) - 1) * o->class_sep : o->shift;
  for (int64_t j = 0; j < d; j++)
    scale[j] = o->random_scale ? 1 + 100 * tg_np_random_sample(rs) : o->scale;
  for (int64_t i = 0; i < n * d; i++) b->X[i] += shift[i % d];
  for (int64_t i = 0; i < n * d; i++) b->X[i] *= scale[i % d];
  free(shift);
  free(scale);
  return 0;
}

/* Shuffles the rows, then the columns with a second permutation. */
static int shuffle_rows_and_columns(tg_np_random *rs, tg_bunch *b, const char *who) {
  if (tg_bunch_shuffle_rows(b, rs, who)) return -1;
  int64_t d = b->n_features;
  int64_t *cols = malloc(sizeof(int64_t) * (size_t)d);
  double *row = malloc(sizeof(double) * (size_t)d);
  if (!cols || !row) {
    free(cols);
    free(row);
    return -1;
  }
  tg_np_permutation(rs, cols, d);
  for (int64_t i = 0; i < b->n_samples; i++) {
    double *x = b->X + i * d;
    for (int64_t j = 0; j < d; j++) row[j] = x[cols[j]];
    memcpy(x, row, sizeof(double) * (size_t)d);
  }
  free(cols);
  free(row);
  return 0;
}

int tg_make_classification(tg_bunch *out, const tg_classification_options *o) {
  memset(out, 0, sizeof *out);
  const char *who = "tg_make_classification";
  check_options(o);
  if (tg_bunch_alloc(out, o->n_samples, o->n_features, true, who)) return -1;
  tg_np_random rs;
  tg_np_seed(&rs, o->random_state);
  if (informative_clusters(o, &rs, out) || derived_features(o, &rs, out) ||
      flip_shift_scale(o, &rs, out) ||
      (o->shuffle && shuffle_rows_and_columns(&rs, out, who))) {
    tg_bunch_free(out);
    tg_set_last_error("%s: out of memory for %lld x %lld samples", who,
                      (long long)o->n_samples, (long long)o->n_features);
    return -1;
  }
  return 0;
}
