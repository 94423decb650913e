/* datasets.h's generators, loaders and train/test split on tensors: the
 * arrays come out as torch.as_tensor would give them (X float64, y int64). */
#include <stdlib.h>

#include "tensorgrad/data.h"

void tg_bunch_tensors(const tg_bunch *b, tg_tensor **X, tg_tensor **y) {
  *X = tg_from_data(b->X, TG_SHAPE(b->n_samples, b->n_features), TG_FLOAT64);
  *y = b->y ? tg_from_data(b->y, TG_SHAPE(b->n_samples), TG_INT64) : NULL;
}

/* Converts the bunch a datasets.h call filled (when it succeeded) and frees it. */
static int from_bunch(int status, tg_bunch *b, tg_tensor **X, tg_tensor **y) {
  *X = *y = NULL;
  if (status == 0) tg_bunch_tensors(b, X, y);
  tg_bunch_free(b);
  return status;
}

int tg_make_moons_tensors(tg_tensor **X, tg_tensor **y, int64_t n_samples, bool shuffle,
                          double noise, uint32_t random_state) {
  tg_bunch b = {0};
  return from_bunch(tg_make_moons(&b, n_samples, shuffle, noise, random_state), &b, X, y);
}

int tg_make_circles_tensors(tg_tensor **X, tg_tensor **y, int64_t n_samples, bool shuffle,
                            double noise, double factor, uint32_t random_state) {
  tg_bunch b = {0};
  return from_bunch(tg_make_circles(&b, n_samples, shuffle, noise, factor, random_state),
                    &b, X, y);
}

int tg_make_blobs_tensors(tg_tensor **X, tg_tensor **y, const tg_blobs_options *opt) {
  tg_bunch b = {0};
  return from_bunch(tg_make_blobs(&b, opt), &b, X, y);
}

int tg_make_classification_tensors(tg_tensor **X, tg_tensor **y,
                                   const tg_classification_options *opt) {
  tg_bunch b = {0};
  return from_bunch(tg_make_classification(&b, opt), &b, X, y);
}

int tg_load_iris_tensors(tg_tensor **X, tg_tensor **y) {
  tg_bunch b = {0};
  return from_bunch(tg_load_iris(&b), &b, X, y);
}

int tg_load_breast_cancer_tensors(tg_tensor **X, tg_tensor **y) {
  tg_bunch b = {0};
  return from_bunch(tg_load_breast_cancer(&b), &b, X, y);
}

int tg_load_digits_tensors(tg_tensor **X, tg_tensor **y, int n_class) {
  tg_bunch b = {0};
  return from_bunch(tg_load_digits(&b, n_class), &b, X, y);
}

int tg_train_test_split_tensors(tg_tensor *X, tg_tensor *y, const tg_split_options *opt,
                                tg_tensor **X_train, tg_tensor **X_test,
                                tg_tensor **y_train, tg_tensor **y_test) {
  if (X->ndim == 0 || (y && y->ndim == 0))
    tg_error(
        "tg_train_test_split_tensors: X and y need a sample dimension; got a 0-d tensor");
  if (y && y->shape[0] != X->shape[0])
    tg_error(
        "tg_train_test_split_tensors: found input variables with inconsistent numbers "
        "of samples: [%lld, %lld]",
        (long long)X->shape[0], (long long)y->shape[0]);
  tg_split_options defaults = tg_split_defaults();
  int64_t *train, *test, n_train, n_test;
  if (tg_train_test_split(X->shape[0], opt ? opt : &defaults, &train, &n_train, &test,
                          &n_test) != 0)
    return -1;
  tg_scope_begin();
  tg_tensor *train_rows = tg_from_data(train, TG_SHAPE(n_train), TG_INT64);
  tg_tensor *test_rows = tg_from_data(test, TG_SHAPE(n_test), TG_INT64);
  free(train);
  free(test);
  *X_train = tg_keep(tg_index_select(X, 0, train_rows));
  *X_test = tg_keep(tg_index_select(X, 0, test_rows));
  if (y) {
    *y_train = tg_keep(tg_index_select(y, 0, train_rows));
    *y_test = tg_keep(tg_index_select(y, 0, test_rows));
  }
  tg_scope_end();
  return 0;
}
