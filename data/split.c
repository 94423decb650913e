/* sklearn 1.2's train_test_split: the sizes from _validate_shuffle_split, the
 * indices from ShuffleSplit or StratifiedShuffleSplit, all on the legacy
 * RandomState in sklearn's order. */
#include "tensorgrad/datasets.h"
#include "tensorgrad/tensor.h"
#include "data/numpy_random.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *WHO = "tg_train_test_split";

tg_split_options tg_split_defaults(void) {
  return (tg_split_options){.test_size = 0,
                            .train_size = 0,
                            .shuffle = true,
                            .random_state = 0,
                            .stratify = NULL};
}

/* A size is "not given" (0), a fraction in (0, 1) or a whole count in [1, n).
 * Anything else is the calling code's mistake; a count that the number of
 * samples (the data) does not leave room for is a status. */
static int check_size(const char *name, double size, int64_t n) {
  bool fraction = size > 0 && size < 1;
  bool whole = size >= 1 && isfinite(size) && size == floor(size);
  if (size != 0 && !fraction && !whole)
    tg_error("%s: %s=%g should be a fraction in (0, 1) or a whole count", WHO, name,
             size);
  if (!whole || size < (double)n) return 0;
  tg_set_last_error("%s: %s=%g should be a fraction in (0, 1) or a whole count in "
                    "[1, %lld) (the number of samples is %lld)",
                    WHO, name, size, (long long)n, (long long)n);
  return -1;
}

static int split_sizes(int64_t n, const tg_split_options *o, int64_t *n_train,
                       int64_t *n_test) {
  if (n < 1) {
    tg_set_last_error("%s: n must be >= 1, got %lld", WHO, (long long)n);
    return -1;
  }
  if (check_size("test_size", o->test_size, n) ||
      check_size("train_size", o->train_size, n))
    return -1;
  double test = o->test_size, train = o->train_size;
  if (test == 0 && train == 0) test = 0.25;
  if (test > 0 && test < 1 && train > 0 && train < 1 && train + test > 1)
    tg_error("%s: test_size + train_size = %g should be in (0, 1)", WHO, train + test);
  int64_t nte = test == 0  ? -1
                : test < 1 ? (int64_t)ceil(test * (double)n)
                           : (int64_t)test;
  int64_t ntr = train == 0  ? -1
                : train < 1 ? (int64_t)floor(train * (double)n)
                            : (int64_t)train;
  if (ntr < 0) ntr = n - nte;
  if (nte < 0) nte = n - ntr;
  if (ntr + nte > n) {
    tg_set_last_error("%s: train_size + test_size = %lld should be at most the number "
                      "of samples %lld",
                      WHO, (long long)(ntr + nte), (long long)n);
    return -1;
  }
  if (ntr == 0) {
    tg_set_last_error("%s: with n=%lld, test_size=%g and train_size=%g the train set "
                      "would be empty",
                      WHO, (long long)n, o->test_size, o->train_size);
    return -1;
  }
  *n_train = ntr;
  *n_test = nte;
  return 0;
}

/* Classes of the stratify labels, as np.unique(y, return_inverse=True) and a
 * stable argsort give them: sorted class values, per-sample class index, and
 * for each class its members in increasing order. */
typedef struct {
  int64_t n_classes;
  int64_t *counts;  /* n_classes */
  int64_t *members; /* n, grouped by class */
  int64_t *first;   /* n_classes: offset of each class in members */
} classes;

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static void classes_free(classes *c) {
  free(c->counts);
  free(c->members);
  free(c->first);
}

static int64_t class_of(const int64_t *values, int64_t n_values, int64_t label) {
  const int64_t *hit = bsearch(&label, values, (size_t)n_values, sizeof *values, cmp_i64);
  return hit - values;
}

static int classes_build(const int64_t *y, int64_t n, classes *c) {
  memset(c, 0, sizeof *c);
  int64_t *values = malloc(sizeof(int64_t) * (size_t)n);
  if (!values) return -1;
  memcpy(values, y, sizeof(int64_t) * (size_t)n);
  qsort(values, (size_t)n, sizeof *values, cmp_i64);
  int64_t k = 0;
  for (int64_t i = 0; i < n; i++)
    if (i == 0 || values[i] != values[k - 1]) values[k++] = values[i];
  c->n_classes = k;
  c->counts = calloc((size_t)k, sizeof(int64_t));
  c->first = malloc(sizeof(int64_t) * (size_t)k);
  c->members = malloc(sizeof(int64_t) * (size_t)n);
  int64_t *fill = calloc((size_t)k, sizeof(int64_t));
  if (!c->counts || !c->first || !c->members || !fill) {
    free(values);
    free(fill);
    classes_free(c);
    return -1;
  }
  for (int64_t i = 0; i < n; i++) c->counts[class_of(values, k, y[i])]++;
  for (int64_t j = 0, offset = 0; j < k; offset += c->counts[j++]) c->first[j] = offset;
  for (int64_t i = 0; i < n; i++) {
    int64_t j = class_of(values, k, y[i]);
    c->members[c->first[j] + fill[j]++] = i;
  }
  free(values);
  free(fill);
  return 0;
}

/* sklearn.utils._approximate_mode: how many of n_draws each class gets, its
 * proportional share rounded down, the remainder going to the largest
 * fractional parts with ties broken by rng.choice (a permutation). */
static int approximate_mode(const int64_t *counts, int64_t k, int64_t n_draws,
                            tg_np_random *rs, int64_t *out) {
  int64_t total = 0, need = n_draws;
  for (int64_t j = 0; j < k; j++) total += counts[j];
  double *rem = malloc(sizeof(double) * (size_t)k);
  int64_t *ties = malloc(sizeof(int64_t) * (size_t)k);
  int64_t *perm = malloc(sizeof(int64_t) * (size_t)k);
  if (!rem || !ties || !perm) {
    free(rem);
    free(ties);
    free(perm);
    return -1;
  }
  for (int64_t j = 0; j < k; j++) {
    double share = (double)counts[j] / (double)total * (double)n_draws;
    out[j] = (int64_t)floor(share);
    rem[j] = share - floor(share);
    need -= out[j];
  }
  double bound = INFINITY; /* remainders are visited largest first */
  while (need > 0) {
    double value = -1;
    for (int64_t j = 0; j < k; j++)
      if (rem[j] < bound && rem[j] > value) value = rem[j];
    int64_t n_ties = 0;
    for (int64_t j = 0; j < k; j++)
      if (rem[j] == value) ties[n_ties++] = j;
    if (n_ties == 0) break; /* rounding left nothing to add to, as in sklearn */
    int64_t add = n_ties < need ? n_ties : need;
    tg_np_permutation(rs, perm, n_ties); /* rng.choice(ties, add, replace=False) */
    for (int64_t t = 0; t < add; t++) out[ties[perm[t]]]++;
    need -= add;
    bound = value;
  }
  free(rem);
  free(ties);
  free(perm);
  return 0;
}

static int check_strata(const classes *c, int64_t n_train, int64_t n_test) {
  for (int64_t j = 0; j < c->n_classes; j++)
    if (c->counts[j] < 2) {
      tg_set_last_error("%s: the least populated class in stratify has only 1 member; "
                        "every class needs at least 2",
                        WHO);
      return -1;
    }
  if (n_train < c->n_classes || n_test < c->n_classes) {
    tg_set_last_error("%s: train size %lld and test size %lld must each be >= the number "
                      "of classes %lld",
                      WHO, (long long)n_train, (long long)n_test,
                      (long long)c->n_classes);
    return -1;
  }
  return 0;
}

/* StratifiedShuffleSplit._iter_indices, first split. Returns 1 for bad
 * strata (message set), -1 when out of memory. */
static int stratified(const int64_t *y, int64_t n, tg_np_random *rs, int64_t *train,
                      int64_t n_train, int64_t *test, int64_t n_test) {
  classes c;
  if (classes_build(y, n, &c)) return -1;
  if (check_strata(&c, n_train, n_test)) {
    classes_free(&c);
    return 1;
  }
  int64_t k = c.n_classes;
  int64_t *n_i = calloc((size_t)k, sizeof(int64_t)),
          *t_i = calloc((size_t)k, sizeof(int64_t));
  int64_t *left = calloc((size_t)k, sizeof(int64_t)),
          *perm = calloc((size_t)n, sizeof(int64_t));
  int status = -1;
  if (!n_i || !t_i || !left || !perm || approximate_mode(c.counts, k, n_train, rs, n_i))
    goto done;
  for (int64_t j = 0; j < k; j++) left[j] = c.counts[j] - n_i[j];
  if (approximate_mode(left, k, n_test, rs, t_i)) goto done;
  int64_t a = 0, b = 0;
  for (int64_t j = 0; j < k; j++) {
    const int64_t *members = c.members + c.first[j];
    tg_np_permutation(rs, perm, c.counts[j]);
    for (int64_t t = 0; t < n_i[j]; t++) train[a++] = members[perm[t]];
    for (int64_t t = n_i[j]; t < n_i[j] + t_i[j]; t++) test[b++] = members[perm[t]];
  }
  tg_np_shuffle(rs, train, n_train); /* rng.permutation(train) */
  tg_np_shuffle(rs, test, n_test);
  status = 0;
done:
  free(n_i);
  free(t_i);
  free(left);
  free(perm);
  classes_free(&c);
  return status;
}

/* ShuffleSplit._iter_indices, first split: test first, then train. */
static int shuffled(int64_t n, tg_np_random *rs, int64_t *train, int64_t n_train,
                    int64_t *test, int64_t n_test) {
  int64_t *perm = malloc(sizeof(int64_t) * (size_t)n);
  if (!perm) return -1;
  tg_np_permutation(rs, perm, n);
  memcpy(test, perm, sizeof(int64_t) * (size_t)n_test);
  memcpy(train, perm + n_test, sizeof(int64_t) * (size_t)n_train);
  free(perm);
  return 0;
}

int tg_train_test_split(int64_t n, const tg_split_options *o, int64_t **train,
                        int64_t *n_train, int64_t **test, int64_t *n_test) {
  *train = *test = NULL;
  *n_train = *n_test = 0;
  if (!o->shuffle && o->stratify)
    tg_error("%s: stratified splits need shuffle=true", WHO);
  int64_t ntr, nte;
  if (split_sizes(n, o, &ntr, &nte)) return -1;
  int64_t *tr = malloc(sizeof(int64_t) * (size_t)ntr);
  int64_t *te = malloc(sizeof(int64_t) * (size_t)(nte ? nte : 1));
  int status = tr && te ? 0 : -1;
  if (status == 0 && !o->shuffle) {
    for (int64_t i = 0; i < ntr; i++) tr[i] = i;
    for (int64_t i = 0; i < nte; i++) te[i] = ntr + i;
  } else if (status == 0) {
    tg_np_random rs;
    tg_np_seed(&rs, o->random_state);
    status = o->stratify ? stratified(o->stratify, n, &rs, tr, ntr, te, nte)
                         : shuffled(n, &rs, tr, ntr, te, nte);
  }
  if (status != 0) {
    free(tr);
    free(te);
    if (status < 0)
      tg_set_last_error("%s: out of memory for %lld samples", WHO, (long long)n);
    return -1;
  }
  *train = tr;
  *test = te;
  *n_train = ntr;
  *n_test = nte;
  return 0;
}
