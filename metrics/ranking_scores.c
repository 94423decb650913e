/* Areas under curves: auc, roc_auc_score (binary and one-vs-rest) and
 * average_precision_score, following sklearn 1.2. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics_internal.h"
#include "tensorgrad/tensor.h"

/* np.trapz, negated for a decreasing x, as sklearn's auc. */
static int trapezoid(const char *fn, const double *x, const double *y, int64_t n,
                     double *area) {
  if (n < 2) {
    tg_set_last_error("%s: at least 2 points are needed to compute area under curve, "
                      "got %lld",
                      fn, (long long)n);
    return -1;
  }
  bool any_down = false, any_up = false;
  for (int64_t i = 1; i < n; i++) {
    any_down = any_down || x[i] < x[i - 1];
    any_up = any_up || x[i] > x[i - 1];
  }
  if (any_down && any_up) {
    tg_set_last_error("%s: x is neither increasing nor decreasing", fn);
    return -1;
  }
  double sum = 0;
  for (int64_t i = 1; i < n; i++) sum += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2.0;
  *area = any_down ? -sum : sum;
  return 0;
}

int tg_auc(const double *x, const double *y, int64_t n, double *area) {
  const char *fn = "tg_auc";
  tg_metrics_check_out(fn, area, "area");
  if (tg_metrics_check_arrays(fn, n, x, "x", y, "y") != 0 ||
      tg_metrics_check_finite(fn, x, n, "x") != 0 ||
      tg_metrics_check_finite(fn, y, n, "y") != 0)
    return -1;
  return trapezoid(fn, x, y, n, area);
}

/* Area under the ROC curve of `pos_label` vs the rest. */
static int binary_roc_auc(const char *fn, const int64_t *y_true, const double *y_score,
                          int64_t n, int64_t pos_label, double *auc) {
  tg_roc roc;
  if (tg_metrics_roc_compute(fn, y_true, y_score, n, pos_label, true, &roc) != 0)
    return -1;
  int rc = trapezoid(fn, roc.fpr, roc.tpr, roc.n, auc);
  tg_roc_free(&roc);
  return rc;
}

/* The distinct labels of y_true, sorted. */
static int true_labels(const char *fn, const int64_t *y_true, int64_t n, label_set *set) {
  return tg_metrics_label_set_union(fn, y_true, n, NULL, 0, set);
}

int tg_roc_auc_score(const int64_t *y_true, const double *y_score, int64_t n,
                     double *auc) {
  const char *fn = "tg_roc_auc_score";
  label_set classes;
  tg_metrics_check_out(fn, auc, "auc");
  if (tg_metrics_check_arrays(fn, n, y_true, "y_true", y_score, "y_score") != 0 ||
      true_labels(fn, y_true, n, &classes) != 0)
    return -1;
  int64_t k = classes.n, positive = classes.sorted[k - 1];
  tg_metrics_label_set_free(&classes);
  if (k == 1) {
    tg_set_last_error("%s: only one class present in y_true; ROC AUC is not defined", fn);
    return -1;
  }
  if (k > 2) {
    tg_set_last_error("%s: y_true holds %lld classes; use tg_roc_auc_score_ovr with a "
                      "probability matrix",
                      fn, (long long)k);
    return -1;
  }
  return binary_roc_auc(fn, y_true, y_score, n, positive, auc);
}

/* sklearn demands np.allclose(1, row sum): |1 - s| <= 1e-8 + 1e-5 |s|. */
static int check_rows_sum_to_one(const char *fn, const double *proba, int64_t n,
                                 int64_t k) {
  for (int64_t i = 0; i < n; i++) {
    double s = 0;
    for (int64_t j = 0; j < k; j++) s += proba[i * k + j];
    if (!(fabs(1.0 - s) <= 1e-8 + 1e-5 * fabs(s))) {
      tg_set_last_error("%s: row %lld of proba sums to %.17g; target scores need to be "
                        "probabilities that sum to 1 over classes",
                        fn, (long long)i, s);
      return -1;
    }
  }
  return 0;
}

/* The one-vs-rest AUC of every class, and each class's true count. */
static int ovr_scores(const char *fn, const int64_t *y_true, const double *proba,
                      int64_t n, const label_set *classes, double *auc,
                      int64_t *support) {
  int64_t k = classes->n;
  double *column = tg_metrics_alloc(fn, n, sizeof(double));
  if (!column) return -1;
  int rc = 0;
  for (int64_t j = 0; rc == 0 && j < k; j++) {
    support[j] = 0;
    for (int64_t i = 0; i < n; i++) {
      column[i] = proba[i * k + j];
      support[j] += y_true[i] == classes->sorted[j];
    }
    rc = binary_roc_auc(fn, y_true, column, n, classes->sorted[j], &auc[j]);
  }
  free(column);
  return rc;
}

int tg_roc_auc_score_ovr(const int64_t *y_true, const double *proba, int64_t n,
                         int64_t n_classes, tg_average average, double *auc) {
  const char *fn = "tg_roc_auc_score_ovr";
  tg_metrics_check_out(fn, auc, "auc");
  if (average != TG_AVERAGE_MACRO && average != TG_AVERAGE_WEIGHTED)
    tg_error("%s: average must be MACRO or WEIGHTED, got %d", fn, (int)average);
  if (n_classes < 3)
    tg_error("%s: need n_classes >= 3, got %lld; use tg_roc_auc_score for two classes",
             fn, (long long)n_classes);
  if (tg_metrics_check_arrays(fn, n, y_true, "y_true", proba, "proba") != 0) return -1;
  if (n > INT64_MAX / n_classes) tg_error("%s: n x n_classes overflows", fn);
  if (tg_metrics_check_finite(fn, proba, n * n_classes, "proba") != 0 ||
      check_rows_sum_to_one(fn, proba, n, n_classes) != 0)
    return -1;
  label_set classes;
  if (true_labels(fn, y_true, n, &classes) != 0) return -1;
  if (classes.n != n_classes) {
    tg_set_last_error("%s: y_true holds %lld classes but proba has %lld columns", fn,
                      (long long)classes.n, (long long)n_classes);
    tg_metrics_label_set_free(&classes);
    return -1;
  }
  double *scores = tg_metrics_alloc(fn, n_classes, sizeof(double));
  int64_t *support = tg_metrics_alloc(fn, n_classes, sizeof(int64_t));
  int rc = scores && support ? ovr_scores(fn, y_true, proba, n, &classes, scores, support)
                             : -1;
  if (rc == 0) {
    double sum = 0, total = 0;
    for (int64_t j = 0; j < n_classes; j++) {
      double w = average == TG_AVERAGE_WEIGHTED ? (double)support[j] : 1.0;
      sum += scores[j] * w;
      total += w;
    }
    *auc = sum / total;
  }
  free(scores);
  free(support);
  tg_metrics_label_set_free(&classes);
  return rc;
}

int tg_average_precision_score(const int64_t *y_true, const double *y_score, int64_t n,
                               int64_t pos_label, double *ap) {
  const char *fn = "tg_average_precision_score";
  label_set classes;
  tg_metrics_check_out(fn, ap, "ap");
  if (tg_metrics_check_arrays(fn, n, y_true, "y_true", y_score, "y_score") != 0 ||
      true_labels(fn, y_true, n, &classes) != 0)
    return -1;
  int64_t k = classes.n, a = classes.sorted[0], b = classes.sorted[k - 1];
  bool has_pos = tg_metrics_label_set_find(&classes, pos_label) >= 0;
  tg_metrics_label_set_free(&classes);
  if (k > 2) {
    tg_set_last_error("%s: y_true holds %lld classes; multiclass is not supported", fn,
                      (long long)k);
    return -1;
  }
  if (k == 2 && !has_pos) {
    tg_set_last_error("%s: pos_label=%lld is not a valid label; it should be one of "
                      "[%lld, %lld]",
                      fn, (long long)pos_label, (long long)a, (long long)b);
    return -1;
  }
  tg_pr pr;
  if (tg_metrics_pr_compute(fn, y_true, y_score, n, pos_label, &pr) != 0) return -1;
  /* -sum(diff(recall) * precision[:-1]): the last point's precision is 1. */
  double sum = 0;
  for (int64_t i = 0; i + 1 < pr.n_points; i++)
    sum += (pr.recall[i + 1] - pr.recall[i]) * pr.precision[i];
  *ap = -sum;
  tg_pr_free(&pr);
  return 0;
}
