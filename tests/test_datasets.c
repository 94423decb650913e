/* The data sources against NumPy 1.24 / scikit-learn 1.2: the legacy
 * RandomState bit for bit, the make_* generators and train_test_split to
 * 1e-12 (most exactly), the built-in data sets, and every error message.
 * Golden values: tests/golden/datasets.py. */
#include "test_util.h"
#include "tensorgrad/datasets.h"
#include "../data/numpy_random.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static tg_golden *golden;

static void load_golden(void) {
  golden = tg_golden_load("golden/datasets.txt");
}
static void free_golden(void) {
  tg_golden_free(golden);
}

/* got[0..n) against golden entry `name`: same length, |a-b| <= tol*max(1,|b|). */
static void expect_values(const char *name, const double *got, int64_t n, double tol) {
  int64_t m;
  const double *want = tg_golden_get(golden, name, &m, NULL);
  ck_assert_msg(m == n, "%s: %lld values, golden has %lld", name, (long long)n,
                (long long)m);
  for (int64_t i = 0; i < n; i++)
    ck_assert_msg(fabs(got[i] - want[i]) <= tol * fmax(1.0, fabs(want[i])),
                  "%s[%lld] = %.17g, expected %.17g", name, (long long)i, got[i],
                  want[i]);
}

static void expect_ints(const char *name, const int64_t *got, int64_t n) {
  double *d = malloc(sizeof(double) * (size_t)(n ? n : 1));
  for (int64_t i = 0; i < n; i++) d[i] = (double)got[i];
  expect_values(name, d, n, 0);
  free(d);
}

/* X to tol and y exactly against <name>_X and <name>_y. */
static void expect_bunch(const char *name, const tg_bunch *b, double tol) {
  char key[128];
  snprintf(key, sizeof key, "%s_X", name);
  expect_values(key, b->X, b->n_samples * b->n_features, tol);
  snprintf(key, sizeof key, "%s_y", name);
  expect_ints(key, b->y, b->n_samples);
}

static void expect_error(int status, const char *substring) {
  ck_assert_int_eq(status, -1);
  ck_assert_msg(strstr(tg_last_error(), substring) != NULL,
                "error \"%s\" does not contain \"%s\"", tg_last_error(), substring);
}

/* ---- RandomState ----------------------------------------------------------- */

static void expect_samples(const char *name, uint32_t seed, int n) {
  tg_np_random rs;
  tg_np_seed(&rs, seed);
  double v[700];
  for (int i = 0; i < n; i++) v[i] = tg_np_random_sample(&rs);
  expect_values(name, v, n, 0);
}

START_TEST(test_rng_random_sample) {
  expect_samples("rng_sample_0", 0, 10);
  expect_samples("rng_sample_42", 42, 10);
  expect_samples("rng_sample_4294967295", 4294967295u, 10);
  expect_samples("rng_sample_700", 0, 700);
}
END_TEST

START_TEST(test_rng_normal_and_uniform) {
  tg_np_random rs;
  double v[1000];
  tg_np_seed(&rs, 7); /* 5 normals leave one cached across 3 uniforms */
  for (int i = 0; i < 5; i++) v[i] = tg_np_standard_normal(&rs);
  for (int i = 5; i < 8; i++) v[i] = tg_np_random_sample(&rs);
  for (int i = 8; i < 11; i++) v[i] = tg_np_standard_normal(&rs);
  expect_values("rng_normal_mixed", v, 11, 0);
  tg_np_seed(&rs, 8);
  for (int i = 0; i < 1000; i++) v[i] = tg_np_standard_normal(&rs);
  expect_values("rng_normal_1000", v, 1000, 0);
  tg_np_seed(&rs, 1);
  for (int i = 0; i < 6; i++) v[i] = tg_np_uniform(&rs, -3, 5);
  expect_values("rng_uniform", v, 6, 0);
}
END_TEST

static void expect_randint(const char *name, uint32_t seed, int64_t lo, int64_t hi,
                           int n) {
  tg_np_random rs;
  tg_np_seed(&rs, seed);
  int64_t v[32];
  for (int i = 0; i < n; i++) v[i] = tg_np_randint(&rs, lo, hi);
  expect_ints(name, v, n);
}

START_TEST(test_rng_randint) {
  expect_randint("rng_randint_small", 3, 0, 10, 20);
  expect_randint("rng_randint_wide", 3, -5, 1000000, 8);
  expect_randint("rng_randint_64", 5, 0, INT64_C(1) << 40, 6);
  tg_np_random rs;
  tg_np_seed(&rs, 6);
  int64_t v[2] = {tg_np_randint(&rs, 7, 8), 0};
  v[1] = tg_np_randint(&rs, 0, 5);
  expect_ints("rng_randint_empty", v, 2);
}
END_TEST

START_TEST(test_rng_permutation_and_shuffle) {
  tg_np_random rs;
  int64_t v[1000];
  tg_np_seed(&rs, 11);
  tg_np_permutation(&rs, v, 1000);
  expect_ints("rng_permutation", v, 1000);
  tg_np_seed(&rs, 12);
  for (int i = 0; i < 50; i++) v[i] = i;
  tg_np_shuffle(&rs, v, 50);
  tg_np_permutation(&rs, v + 50, 5);
  expect_ints("rng_shuffle", v, 55);
}
END_TEST

/* ---- generators ---------------------------------------------------------------- */

START_TEST(test_make_moons) {
  tg_bunch b;
  ck_assert_int_eq(tg_make_moons(&b, 100, true, 0, 0), 0);
  expect_bunch("moons_default", &b, 1e-12);
  tg_bunch_free(&b);
  ck_assert_int_eq(tg_make_moons(&b, 1001, true, 0.1, 5), 0);
  expect_bunch("moons_noise", &b, 1e-12);
  tg_bunch_free(&b);
  ck_assert_int_eq(tg_make_moons(&b, 7, false, 0, 0), 0);
  expect_bunch("moons_plain", &b, 1e-12);
  tg_bunch_free(&b);
}
END_TEST

START_TEST(test_make_moons_lecture) {
  tg_bunch b;
  ck_assert_int_eq(tg_make_moons(&b, 10000, true, 0.3, 0), 0);
  ck_assert_int_eq(b.n_samples, 10000);
  ck_assert_int_eq(b.n_features, 2);
  expect_values("moons_lecture_head", b.X, 100, 1e-12);
  expect_values("moons_lecture_tail", b.X + 2 * 9950, 100, 1e-12);
  double sum[2] = {0, 0}, sumsq[2] = {0, 0};
  for (int64_t i = 0; i < 20000; i++) {
    sum[i % 2] += b.X[i];
    sumsq[i % 2] += b.X[i] * b.X[i];
  }
  expect_values("moons_lecture_sum", sum, 2, 1e-9);
  expect_values("moons_lecture_sumsq", sumsq, 2, 1e-12);
  expect_ints("moons_lecture_y", b.y, 10000);
  tg_bunch_free(&b);
}
END_TEST

START_TEST(test_make_circles) {
  tg_bunch b;
  ck_assert_int_eq(tg_make_circles(&b, 200, true, 0.05, 0.5, 3), 0);
  expect_bunch("circles_noise", &b, 1e-12);
  tg_bunch_free(&b);
  ck_assert_int_eq(tg_make_circles(&b, 11, false, 0, 0.3, 0), 0);
  expect_bunch("circles_plain", &b, 1e-12);
  tg_bunch_free(&b);
}
END_TEST

START_TEST(test_make_blobs) {
  tg_bunch b;
  tg_blobs_options o = tg_blobs_defaults();
  ck_assert_int_eq(tg_make_blobs(&b, &o), 0);
  expect_bunch("blobs_default", &b, 1e-12);
  tg_bunch_free(&b);
  o = (tg_blobs_options){.n_samples = 103,
                         .n_features = 3,
                         .n_centers = 4,
                         .cluster_std = 1.5,
                         .center_box = {-5, 20},
                         .shuffle = true,
                         .random_state = 2};
  ck_assert_int_eq(tg_make_blobs(&b, &o), 0);
  expect_bunch("blobs_custom", &b, 1e-12);
  tg_bunch_free(&b);
  const double centers[] = {0, 0, 5, 5};
  o = tg_blobs_defaults();
  o.n_samples = 10;
  o.n_centers = 2;
  o.centers = centers;
  o.cluster_std = 0.5;
  o.random_state = 1;
  ck_assert_int_eq(tg_make_blobs(&b, &o), 0);
  expect_bunch("blobs_fixed", &b, 1e-12);
  tg_bunch_free(&b);
}
END_TEST

START_TEST(test_make_classification) {
  tg_bunch b;
  tg_classification_options o = tg_classification_defaults();
  ck_assert_int_eq(tg_make_classification(&b, &o), 0);
  expect_bunch("clf_default", &b, 1e-12);
  tg_bunch_free(&b);

  o = tg_classification_defaults();
  o.n_samples = 200, o.n_features = 8, o.n_informative = 3, o.n_redundant = 2;
  o.n_repeated = 1, o.n_classes = 3, o.n_clusters_per_class = 1, o.flip_y = 0.05;
  o.class_sep = 2.0, o.hypercube = false, o.random_shift = true, o.random_scale = true;
  o.random_state = 7;
  ck_assert_int_eq(tg_make_classification(&b, &o), 0);
  expect_bunch("clf_custom", &b, 1e-12);
  tg_bunch_free(&b);

  o = tg_classification_defaults(); /* > 30 informative: randint bits + tracking */
  o.n_samples = 50, o.n_features = 40, o.n_informative = 35, o.n_redundant = 0;
  o.n_classes = 4, o.random_state = 3;
  ck_assert_int_eq(tg_make_classification(&b, &o), 0);
  expect_bunch("clf_wide", &b, 1e-12);
  tg_bunch_free(&b);

  o = tg_classification_defaults();
  o.n_samples = 30, o.n_features = 5, o.n_informative = 2, o.n_redundant = 1;
  o.n_repeated = 1, o.flip_y = 0.2, o.shuffle = false, o.random_state = 11;
  ck_assert_int_eq(tg_make_classification(&b, &o), 0);
  expect_bunch("clf_noshuffle", &b, 1e-12);
  tg_bunch_free(&b);
}
END_TEST

START_TEST(test_generator_errors) {
  tg_bunch b;
  TG_EXPECT_ERROR(tg_make_moons(&b, 0, true, 0, 0),
                  "tg_make_moons: n_samples must be >= 1, got 0");
  TG_EXPECT_ERROR(tg_make_moons(&b, 10, true, -0.5, 0), "tg_make_moons: noise must be");
  TG_EXPECT_ERROR(tg_make_circles(&b, 10, true, NAN, 0.5, 0), "tg_make_circles: noise");
  TG_EXPECT_ERROR(tg_make_circles(&b, 10, true, 0, 1.0, 0),
                  "tg_make_circles: factor must be in [0, 1), got 1");
  tg_blobs_options bo = tg_blobs_defaults();
  bo.n_centers = 0;
  TG_EXPECT_ERROR(tg_make_blobs(&b, &bo),
                  "tg_make_blobs: n_samples, n_features and n_centers");
  bo = tg_blobs_defaults();
  bo.cluster_std = -1;
  TG_EXPECT_ERROR(tg_make_blobs(&b, &bo),
                  "tg_make_blobs: cluster_std must be a finite value >= 0, got -1");
  bo = tg_blobs_defaults();
  bo.center_box[0] = 3, bo.center_box[1] = 2;
  TG_EXPECT_ERROR(tg_make_blobs(&b, &bo),
                  "center_box must be finite with low <= high, got (3, 2)");
  tg_classification_options co = tg_classification_defaults();
  co.n_features = 3;
  TG_EXPECT_ERROR(tg_make_classification(&b, &co),
                  "n_informative + n_redundant + n_repeated = 4 exceeds n_features = 3");
  co = tg_classification_defaults();
  co.n_classes = 3;
  TG_EXPECT_ERROR(
      tg_make_classification(&b, &co),
      "n_classes(3) * n_clusters_per_class(2) must be <= 2**n_informative(2)");
  co = tg_classification_defaults();
  co.flip_y = 1.5;
  TG_EXPECT_ERROR(tg_make_classification(&b, &co),
                  "flip_y must be <= 1 and class_sep, shift, "
                  "scale finite (got flip_y=1.5 class_sep=1");
  co = tg_classification_defaults();
  co.n_samples = 0;
  TG_EXPECT_ERROR(tg_make_classification(&b, &co),
                  "tg_make_classification: need n_samples");
  ck_assert_ptr_null(b.X); /* failures leave the bunch empty */
}
END_TEST

/* ---- train_test_split ---------------------------------------------------------- */

static void expect_split(const char *name, int64_t n, const tg_split_options *o) {
  int64_t *tr, *te, ntr, nte;
  ck_assert_int_eq(tg_train_test_split(n, o, &tr, &ntr, &te, &nte), 0);
  char key[128];
  snprintf(key, sizeof key, "split_%s_train", name);
  expect_ints(key, tr, ntr);
  snprintf(key, sizeof key, "split_%s_test", name);
  expect_ints(key, te, nte);
  free(tr);
  free(te);
}

START_TEST(test_split_lecture_moons) {
  tg_split_options o = tg_split_defaults();
  o.test_size = 0.2;
  o.random_state = 13;
  expect_split("lecture", 10000, &o);
  /* X_train = X[train] as the lecture does, through tg_bunch_take */
  tg_bunch moons, train;
  int64_t *tr, *te, ntr, nte;
  ck_assert_int_eq(tg_make_moons(&moons, 10000, true, 0.3, 0), 0);
  ck_assert_int_eq(tg_train_test_split(10000, &o, &tr, &ntr, &te, &nte), 0);
  ck_assert_int_eq(ntr, 8000);
  ck_assert_int_eq(nte, 2000);
  ck_assert_int_eq(tg_bunch_take(&moons, tr, ntr, &train), 0);
  ck_assert_int_eq(train.n_samples, 8000);
  ck_assert(train.X[2 * 5 + 1] == moons.X[2 * tr[5] + 1] &&
            train.y[7999] == moons.y[tr[7999]]);
  tg_bunch_free(&train);
  tg_bunch_free(&moons);
  free(tr);
  free(te);
}
END_TEST

START_TEST(test_split_iris) {
  tg_split_options o = tg_split_defaults();
  o.test_size = 0.2;
  o.random_state = 13;
  expect_split("iris", 150, &o);
  tg_bunch iris;
  ck_assert_int_eq(tg_load_iris(&iris), 0);
  o.test_size = 0.3;
  o.random_state = 1;
  o.stratify = iris.y;
  expect_split("iris_strat", 150, &o);
  tg_bunch_free(&iris);
}
END_TEST

START_TEST(test_split_stratified_uneven) {
  int64_t n;
  const double *labels = tg_golden_get(golden, "split_uneven_labels", &n, NULL);
  int64_t y[34];
  ck_assert_int_eq(n, 34);
  for (int i = 0; i < 34; i++) y[i] = (int64_t)labels[i];
  tg_split_options o = tg_split_defaults();
  o.test_size = 0.25;
  o.random_state = 4;
  o.stratify = y;
  expect_split("uneven", 34, &o);
}
END_TEST

START_TEST(test_split_sizes_and_noshuffle) {
  tg_split_options o = tg_split_defaults();
  o.test_size = 10;
  o.train_size = 0.5;
  o.random_state = 3;
  expect_split("sizes", 50, &o);
  o = tg_split_defaults();
  o.test_size = 3;
  o.shuffle = false;
  expect_split("noshuffle", 10, &o);
  int64_t *tr, *te, ntr, nte; /* the default test_size is 0.25, rounded up */
  o = tg_split_defaults();
  ck_assert_int_eq(tg_train_test_split(10, &o, &tr, &ntr, &te, &nte), 0);
  ck_assert_int_eq(nte, 3);
  ck_assert_int_eq(ntr, 7);
  free(tr);
  free(te);
}
END_TEST

START_TEST(test_split_errors) {
  int64_t *tr, *te, ntr, nte;
  tg_split_options o = tg_split_defaults();
  o.test_size = 1.5;
  TG_EXPECT_ERROR(
      tg_train_test_split(10, &o, &tr, &ntr, &te, &nte),
      "tg_train_test_split: test_size=1.5 should be a fraction in (0, 1) or a "
      "whole count");
  o.test_size = -0.2;
  TG_EXPECT_ERROR(tg_train_test_split(10, &o, &tr, &ntr, &te, &nte), "test_size=-0.2");
  /* a whole count the data has no room for is a status */
  o.test_size = 10;
  expect_error(tg_train_test_split(10, &o, &tr, &ntr, &te, &nte),
               "test_size=10 should be a fraction in (0, 1) or a whole count in [1, 10)");
  ck_assert_ptr_null(tr);
  o = tg_split_defaults();
  o.train_size = 1.0 / 0.0;
  TG_EXPECT_ERROR(tg_train_test_split(10, &o, &tr, &ntr, &te, &nte), "train_size=inf");
  o = tg_split_defaults();
  o.test_size = 0.6, o.train_size = 0.5;
  TG_EXPECT_ERROR(tg_train_test_split(10, &o, &tr, &ntr, &te, &nte),
                  "test_size + train_size = 1.1 should be in (0, 1)");
  o.test_size = 6, o.train_size = 5;
  expect_error(tg_train_test_split(10, &o, &tr, &ntr, &te, &nte),
               "train_size + test_size = 11 should be at most the number of samples 10");
  o = tg_split_defaults();
  o.test_size = 0.99;
  expect_error(tg_train_test_split(10, &o, &tr, &ntr, &te, &nte),
               "train set would be empty");
  expect_error(tg_train_test_split(0, &o, &tr, &ntr, &te, &nte),
               "tg_train_test_split: n must be >= 1, got 0");
  int64_t y[10] = {0, 0, 0, 0, 0, 1, 1, 1, 1, 2};
  o = tg_split_defaults();
  o.stratify = y;
  expect_error(tg_train_test_split(10, &o, &tr, &ntr, &te, &nte),
               "the least populated class in stratify has only 1 member");
  y[9] = 1;
  o.test_size = 1;
  expect_error(tg_train_test_split(10, &o, &tr, &ntr, &te, &nte),
               "train size 9 and test size 1 must each be >= the number of classes 2");
  o.test_size = 0.2;
  o.shuffle = false;
  TG_EXPECT_ERROR(tg_train_test_split(10, &o, &tr, &ntr, &te, &nte),
                  "stratified splits need shuffle=true");
}
END_TEST

/* ---- built-in data sets --------------------------------------------------------------
 */

START_TEST(test_load_iris) {
  tg_bunch b;
  ck_assert_int_eq(tg_load_iris(&b), 0);
  ck_assert_int_eq(b.n_samples, 150);
  ck_assert_int_eq(b.n_features, 4);
  expect_bunch("iris", &b, 0);
  ck_assert_str_eq(b.feature_names[0], "sepal length (cm)");
  ck_assert_str_eq(b.feature_names[3], "petal width (cm)");
  ck_assert_int_eq(b.n_classes, 3);
  ck_assert_str_eq(b.target_names[0], "setosa");
  ck_assert_str_eq(b.target_names[1], "versicolor");
  ck_assert_str_eq(b.target_names[2], "virginica");
  tg_bunch_free(&b);
  ck_assert_ptr_null(b.X);
}
END_TEST

static void column_sums(const tg_bunch *b, double *sums) {
  for (int64_t j = 0; j < b->n_features; j++) sums[j] = 0;
  for (int64_t i = 0; i < b->n_samples; i++)
    for (int64_t j = 0; j < b->n_features; j++) sums[j] += b->X[i * b->n_features + j];
}

START_TEST(test_load_breast_cancer) {
  tg_bunch b;
  ck_assert_int_eq(tg_load_breast_cancer(&b), 0);
  double shape[2] = {(double)b.n_samples, (double)b.n_features}, rows[90], sums[30];
  expect_values("cancer_shape", shape, 2, 0);
  memcpy(rows, b.X, 60 * sizeof(double));
  memcpy(rows + 60, b.X + 568 * 30, 30 * sizeof(double));
  expect_values("cancer_rows", rows, 90, 0);
  column_sums(&b, sums);
  expect_values("cancer_colsum", sums, 30, 1e-12);
  expect_ints("cancer_y", b.y, b.n_samples);
  ck_assert_str_eq(b.feature_names[0], "mean radius");
  ck_assert_str_eq(b.feature_names[29], "worst fractal dimension");
  ck_assert_int_eq(b.n_classes, 2);
  ck_assert_str_eq(b.target_names[0], "malignant");
  ck_assert_str_eq(b.target_names[1], "benign");
  tg_bunch_free(&b);
}
END_TEST

START_TEST(test_load_digits) {
  tg_bunch b;
  ck_assert_int_eq(tg_load_digits(&b, 10), 0);
  double shape[2] = {(double)b.n_samples, (double)b.n_features}, rows[192], sums[64];
  expect_values("digits_shape", shape, 2, 0);
  memcpy(rows, b.X, 128 * sizeof(double));
  memcpy(rows + 128, b.X + 1796 * 64, 64 * sizeof(double));
  expect_values("digits_rows", rows, 192, 0);
  column_sums(&b, sums);
  expect_values("digits_colsum", sums, 64, 0);
  expect_ints("digits_y", b.y, b.n_samples);
  ck_assert_str_eq(b.feature_names[0], "pixel_0_0");
  ck_assert_str_eq(b.feature_names[10], "pixel_1_2");
  ck_assert_str_eq(b.feature_names[63], "pixel_7_7");
  ck_assert_int_eq(b.n_classes, 10);
  ck_assert_str_eq(b.target_names[9], "9");
  tg_bunch_free(&b);
  ck_assert_int_eq(tg_load_digits(&b, 5), 0);
  shape[0] = (double)b.n_samples, shape[1] = (double)b.n_features;
  expect_values("digits5_shape", shape, 2, 0);
  expect_ints("digits5_y", b.y, b.n_samples);
  column_sums(&b, sums);
  expect_values("digits5_colsum", sums, 64, 0);
  tg_bunch_free(&b);
  TG_EXPECT_ERROR(tg_load_digits(&b, 11),
                  "tg_load_digits: n_class must be in 1..10, got 11");
}
END_TEST

START_TEST(test_data_dir_lookup) {
  /* $TENSORGRAD_DATA comes first: a directory holding a broken iris.csv is used */
  char dir[] = "/tmp/tg_data_XXXXXX", path[256];
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/iris.csv", dir);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs("3,4,a,b\n1,2,3,4,0\n1,2,3,4,1\n", f);
  fclose(f);
  setenv("TENSORGRAD_DATA", dir, 1);
  tg_bunch b;
  expect_error(tg_load_iris(&b), "iris.csv: holds 2 x 4 values, its header says 3 x 4");
  f = fopen(path, "w");
  fputs("2,4,a,b\n1,2,3,4,0\n1,2,3,4,2\n", f);
  fclose(f);
  expect_error(tg_load_iris(&b), "sample 1 has label 2, outside the 2 classes");
  f = fopen(path, "w");
  fputs("two,4,a,b\n", f);
  fclose(f);
  expect_error(tg_load_iris(&b),
               "iris.csv:1: header must start with n_samples,n_features");
  f = fopen(path, "w");
  fclose(f);
  expect_error(tg_load_iris(&b), "iris.csv:1: missing or overlong header line");
  f = fopen(path, "w");
  fputs("1,1,a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q\n", f);
  fclose(f);
  expect_error(tg_load_iris(&b), "iris.csv:1: too many target names or out of memory");
  remove(path);
  snprintf(path, sizeof path, "%s/digits.csv.gz", dir); /* zlib reads plain text too */
  f = fopen(path, "w");
  fputs("1,2,3\n", f);
  fclose(f);
  expect_error(tg_load_digits(&b, 10),
               "digits.csv.gz: expected 64 pixel columns, found 2");
  remove(path);
  /* missing there: falls back to the source tree (this runs in the build tree) */
  ck_assert_int_eq(tg_load_iris(&b), 0);
  ck_assert_int_eq(b.n_samples, 150);
  tg_bunch_free(&b);
  remove(dir);
  unsetenv("TENSORGRAD_DATA");
}
END_TEST

START_TEST(test_bunch_take_errors) {
  tg_bunch b, out;
  ck_assert_int_eq(tg_make_moons(&b, 10, false, 0, 0), 0);
  int64_t rows[2] = {3, 10};
  TG_EXPECT_ERROR(tg_bunch_take(&b, rows, 2, &out),
                  "tg_bunch_take: row index 10 out of range for 10 samples");
  TG_EXPECT_ERROR(tg_bunch_take(&b, rows, -1, &out),
                  "tg_bunch_take: n_rows must be >= 0, got -1");
  tg_bunch_free(&b);
}
END_TEST

static Suite *datasets_suite(void) {
  Suite *s = suite_create("datasets");
  TCase *rng = tcase_create("numpy_random");
  tcase_add_unchecked_fixture(rng, load_golden, free_golden);
  tcase_add_test(rng, test_rng_random_sample);
  tcase_add_test(rng, test_rng_normal_and_uniform);
  tcase_add_test(rng, test_rng_randint);
  tcase_add_test(rng, test_rng_permutation_and_shuffle);
  suite_add_tcase(s, rng);
  TCase *make = tcase_create("generators");
  tcase_add_unchecked_fixture(make, load_golden, free_golden);
  tcase_add_test(make, test_make_moons);
  tcase_add_test(make, test_make_moons_lecture);
  tcase_add_test(make, test_make_circles);
  tcase_add_test(make, test_make_blobs);
  tcase_add_test(make, test_make_classification);
  tcase_add_test(make, test_generator_errors);
  suite_add_tcase(s, make);
  TCase *split = tcase_create("split");
  tcase_add_unchecked_fixture(split, load_golden, free_golden);
  tcase_add_test(split, test_split_lecture_moons);
  tcase_add_test(split, test_split_iris);
  tcase_add_test(split, test_split_stratified_uneven);
  tcase_add_test(split, test_split_sizes_and_noshuffle);
  tcase_add_test(split, test_split_errors);
  suite_add_tcase(s, split);
  TCase *load = tcase_create("load");
  tcase_add_unchecked_fixture(load, load_golden, free_golden);
  tcase_add_test(load, test_load_iris);
  tcase_add_test(load, test_load_breast_cancer);
  tcase_add_test(load, test_load_digits);
  tcase_add_test(load, test_data_dir_lookup);
  tcase_add_test(load, test_bunch_take_errors);
  suite_add_tcase(s, load);
  return s;
}

int main(void) {
  return tg_test_run(datasets_suite());
}
