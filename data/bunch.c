/* tg_bunch: X, y and their names as plain C arrays (see datasets.h). */
#include "tensorgrad/datasets.h"
#include "tensorgrad/tensor.h"
#include "data/bunch.h"
#include "data/numpy_random.h"

#include <stdlib.h>
#include <string.h>

static void free_names(char **names, int64_t n) {
  if (!names) return;
  for (int64_t i = 0; i < n; i++) free(names[i]);
  free(names);
}

void tg_bunch_free(tg_bunch *b) {
  if (!b) return;
  free(b->X);
  free(b->y);
  free_names(b->feature_names, b->n_features);
  free_names(b->target_names, b->n_classes);
  memset(b, 0, sizeof *b);
}

int tg_bunch_alloc(tg_bunch *b, int64_t n_samples, int64_t n_features, bool labels,
                   const char *who) {
  memset(b, 0, sizeof *b);
  b->n_samples = n_samples;
  b->n_features = n_features;
  size_t cells = (size_t)n_samples * (size_t)n_features;
  b->X = malloc(sizeof(double) * (cells ? cells : 1));
  b->y = labels ? malloc(sizeof(int64_t) * (size_t)(n_samples ? n_samples : 1)) : NULL;
  if (!b->X || (labels && !b->y)) {
    tg_bunch_free(b);
    tg_set_last_error("%s: out of memory for %lld x %lld samples", who,
                      (long long)n_samples, (long long)n_features);
    return -1;
  }
  return 0;
}

char **tg_names_copy(const char *const *names, int64_t n) {
  char **copy = calloc((size_t)(n ? n : 1), sizeof *copy);
  if (!copy) return NULL;
  for (int64_t i = 0; i < n; i++) {
    copy[i] = strdup(names[i]);
    if (!copy[i]) {
      free_names(copy, i);
      return NULL;
    }
  }
  return copy;
}

int tg_bunch_take(const tg_bunch *src, const int64_t *rows, int64_t n_rows,
                  tg_bunch *out) {
  memset(out, 0, sizeof *out);
  if (n_rows < 0)
    tg_error("tg_bunch_take: n_rows must be >= 0, got %lld", (long long)n_rows);
  for (int64_t i = 0; i < n_rows; i++)
    if (rows[i] < 0 || rows[i] >= src->n_samples)
      tg_error("tg_bunch_take: row index %lld out of range for %lld samples",
               (long long)rows[i], (long long)src->n_samples);
  if (tg_bunch_alloc(out, n_rows, src->n_features, src->y != NULL, "tg_bunch_take"))
    return -1;
  size_t row_bytes = sizeof(double) * (size_t)src->n_features;
  for (int64_t i = 0; i < n_rows; i++) {
    memcpy(out->X + i * src->n_features, src->X + rows[i] * src->n_features, row_bytes);
    if (src->y) out->y[i] = src->y[rows[i]];
  }
  if (src->feature_names &&
      !(out->feature_names =
            tg_names_copy((const char *const *)src->feature_names, src->n_features)))
    goto oom;
  if (src->target_names) {
    out->n_classes = src->n_classes;
    out->target_names =
        tg_names_copy((const char *const *)src->target_names, src->n_classes);
    if (!out->target_names) goto oom;
  }
  return 0;
oom:
  tg_bunch_free(out);
  tg_set_last_error("tg_bunch_take: out of memory copying names");
  return -1;
}

int tg_bunch_shuffle_rows(tg_bunch *b, tg_np_random *rs, const char *who) {
  int64_t n = b->n_samples, d = b->n_features;
  int64_t *perm = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
  double *X = malloc(sizeof(double) * (size_t)(n * d > 0 ? n * d : 1));
  int64_t *y = b->y ? malloc(sizeof(int64_t) * (size_t)(n ? n : 1)) : NULL;
  if (!perm || !X || (b->y && !y)) {
    free(perm);
    free(X);
    free(y);
    tg_set_last_error("%s: out of memory shuffling %lld samples", who, (long long)n);
    return -1;
  }
  tg_np_permutation(rs, perm, n);
  for (int64_t i = 0; i < n; i++) {
    memcpy(X + i * d, b->X + perm[i] * d, sizeof(double) * (size_t)d);
    if (y) y[i] = b->y[perm[i]];
  }
  free(perm);
  free(b->X);
  free(b->y);
  b->X = X;
  b->y = y;
  return 0;
}
