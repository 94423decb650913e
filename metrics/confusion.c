/* confusion_matrix with sklearn's label order and normalisations, and the
 * binary TN, FP, FN, TP unpacking of cm.ravel(). */
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics_internal.h"
#include "tensorgrad/tensor.h"

static int make_label_set(const char *fn, const int64_t *y_true, const int64_t *y_pred,
                          int64_t n, const int64_t *labels, int64_t n_labels,
                          label_set *set) {
  if (!labels) return tg_metrics_label_set_union(fn, y_true, n, y_pred, n, set);
  if (tg_metrics_label_set_explicit(fn, labels, n_labels, set) != 0) return -1;
  for (int64_t i = 0; i < n; i++)
    if (tg_metrics_label_set_find(set, y_true[i]) >= 0) return 0;
  tg_set_last_error("%s: at least one label specified must be in y_true", fn);
  tg_metrics_label_set_free(set);
  return -1;
}

/* Divides each count by its row, column or grand total; 0/0 becomes 0 like
 * sklearn's nan_to_num. */
static int normalize_counts(const char *fn, const int64_t *counts, int64_t k,
                            tg_normalize how, double *values) {
  int64_t *rows = calloc((size_t)k, sizeof(int64_t));
  int64_t *cols = calloc((size_t)k, sizeof(int64_t));
  if (!rows || !cols) {
    free(rows);
    free(cols);
    tg_set_last_error("%s: out of memory", fn);
    return -1;
  }
  int64_t total = 0;
  for (int64_t r = 0; r < k; r++) {
    for (int64_t c = 0; c < k; c++) {
      rows[r] += counts[r * k + c];
      cols[c] += counts[r * k + c];
      total += counts[r * k + c];
    }
  }
  for (int64_t r = 0; r < k; r++) {
    for (int64_t c = 0; c < k; c++) {
      int64_t den = how == TG_NORMALIZE_TRUE   ? rows[r]
                    : how == TG_NORMALIZE_PRED ? cols[c]
                                               : total;
      values[r * k + c] = den ? (double)counts[r * k + c] / (double)den : 0.0;
    }
  }
  free(rows);
  free(cols);
  return 0;
}

/* The confusion matrix, with errors reported under the public name `fn`. */
static int confusion_compute(const char *fn, const int64_t *y_true, const int64_t *y_pred,
                             int64_t n, const int64_t *labels, int64_t n_labels,
                             tg_normalize normalize, tg_confusion *out) {
  tg_metrics_check_out(fn, out, "out");
  memset(out, 0, sizeof *out);
  if (normalize < TG_NORMALIZE_NONE || normalize > TG_NORMALIZE_ALL)
    tg_error("%s: normalize must be NONE, TRUE, PRED or ALL, got %d", fn, (int)normalize);
  if (tg_metrics_check_arrays(fn, n, y_true, "y_true", y_pred, "y_pred") != 0) return -1;
  label_set set;
  if (make_label_set(fn, y_true, y_pred, n, labels, n_labels, &set) != 0) return -1;
  int64_t k = set.n;
  out->n_labels = k;
  out->labels = set.labels;
  set.labels = NULL; /* moved into the result */
  out->counts = calloc((size_t)(k * k), sizeof(int64_t));
  if (normalize != TG_NORMALIZE_NONE)
    out->values = tg_metrics_alloc(fn, k * k, sizeof(double));
  if (!out->counts || (normalize != TG_NORMALIZE_NONE && !out->values)) {
    tg_set_last_error("%s: out of memory", fn);
    tg_metrics_label_set_free(&set);
    tg_confusion_free(out);
    return -1;
  }
  for (int64_t i = 0; i < n; i++) {
    int64_t r = tg_metrics_label_set_find(&set, y_true[i]),
            c = tg_metrics_label_set_find(&set, y_pred[i]);
    if (r >= 0 && c >= 0) out->counts[r * k + c]++;
  }
  tg_metrics_label_set_free(&set);
  if (out->values && normalize_counts(fn, out->counts, k, normalize, out->values) != 0) {
    tg_confusion_free(out);
    return -1;
  }
  return 0;
}

int tg_confusion_matrix(const int64_t *y_true, const int64_t *y_pred, int64_t n,
                        const int64_t *labels, int64_t n_labels, tg_normalize normalize,
                        tg_confusion *out) {
  return confusion_compute("tg_confusion_matrix", y_true, y_pred, n, labels, n_labels,
                           normalize, out);
}

void tg_confusion_free(tg_confusion *cm) {
  if (!cm) return;
  free(cm->labels);
  free(cm->counts);
  free(cm->values);
  memset(cm, 0, sizeof *cm);
}

int tg_binary_confusion(const int64_t *y_true, const int64_t *y_pred, int64_t n,
                        const int64_t labels[2], tg_binary_counts *out) {
  const char *fn = "tg_binary_confusion";
  tg_confusion cm;
  tg_metrics_check_out(fn, out, "out");
  if (confusion_compute(fn, y_true, y_pred, n, labels, labels ? 2 : 0, TG_NORMALIZE_NONE,
                        &cm) != 0)
    return -1;
  if (cm.n_labels != 2) {
    tg_set_last_error(
        "%s: y_true and y_pred hold %lld distinct label(s), need exactly 2; "
        "pass labels = {negative, positive}",
        fn, (long long)cm.n_labels);
    tg_confusion_free(&cm);
    return -1;
  }
  *out = (tg_binary_counts){cm.counts[0], cm.counts[1], cm.counts[2], cm.counts[3]};
  tg_confusion_free(&cm);
  return 0;
}
