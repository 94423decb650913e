/* Tensor front-ends for the array metrics: copy the tensors out (any dtype,
 * any layout) with tg_copy_to_f64, check them, call the array version. */
#include <math.h>
#include <stdlib.h>

#include "metrics/metrics_internal.h"
#include "tensorgrad/tensor.h"

static void check_tensor(const char *fn, const tg_tensor *t, const char *name) {
  if (!t) tg_error("%s: %s is NULL", fn, name);
}

/* The elements of t as doubles (malloc'd), or NULL with the error set. */
static double *tensor_values(const char *fn, const tg_tensor *t, const char *name,
                             int64_t *n) {
  *n = tg_numel(t);
  if (*n == 0) {
    tg_set_last_error("%s: %s is empty", fn, name);
    return NULL;
  }
  double *v = tg_metrics_alloc(fn, *n, sizeof(double));
  if (v) tg_copy_to_f64(t, v);
  return v;
}

/* The elements of t as int64 labels, refusing non-integral values. */
static int64_t *tensor_labels(const char *fn, const tg_tensor *t, const char *name,
                              int64_t *n) {
  double *v = tensor_values(fn, t, name, n);
  if (!v) return NULL;
  int64_t *labels = tg_metrics_alloc(fn, *n, sizeof(int64_t));
  for (int64_t i = 0; labels && i < *n; i++) {
    /* 2^63 itself does not fit; every double below it that is whole does */
    if (!(v[i] == floor(v[i]) && fabs(v[i]) < 9223372036854775808.0)) {
      tg_set_last_error("%s: %s[%lld] = %g is not an integer label", fn, name,
                        (long long)i, v[i]);
      free(labels);
      labels = NULL;
      break;
    }
    labels[i] = (int64_t)v[i];
  }
  free(v);
  return labels;
}

/* A pair of tensors read out: true labels plus predicted labels or scores. */
typedef struct tensor_pair {
  int64_t n;
  int64_t *y_true;
  int64_t *y_pred; /* when the second tensor holds labels */
  double *score;   /* when it holds scores */
} tensor_pair;

static void pair_free(tensor_pair *p) {
  free(p->y_true);
  free(p->y_pred);
  free(p->score);
}

static int read_pair(const char *fn, const tg_tensor *y_true, const tg_tensor *other,
                     const char *other_name, bool other_is_labels, tensor_pair *p) {
  *p = (tensor_pair){0};
  check_tensor(fn, y_true, "y_true");
  check_tensor(fn, other, other_name);
  if (tg_numel(other) != tg_numel(y_true))
    tg_error("%s: y_true has %lld elements but %s has %lld", fn,
             (long long)tg_numel(y_true), other_name, (long long)tg_numel(other));
  int64_t n_other = 0;
  p->y_true = tensor_labels(fn, y_true, "y_true", &p->n);
  if (!p->y_true) return -1;
  if (other_is_labels)
    p->y_pred = tensor_labels(fn, other, other_name, &n_other);
  else
    p->score = tensor_values(fn, other, other_name, &n_other);
  if (!p->y_pred && !p->score) {
    pair_free(p);
    return -1;
  }
  return 0;
}

int tg_accuracy_score_tensor(const tg_tensor *y_true, const tg_tensor *y_pred,
                             double *accuracy) {
  tg_metrics_check_out("tg_accuracy_score_tensor", accuracy, "accuracy");
  tensor_pair p;
  if (read_pair("tg_accuracy_score_tensor", y_true, y_pred, "y_pred", true, &p) != 0)
    return -1;
  int rc = tg_accuracy_score(p.y_true, p.y_pred, p.n, accuracy);
  pair_free(&p);
  return rc;
}

int tg_confusion_matrix_tensor(const tg_tensor *y_true, const tg_tensor *y_pred,
                               tg_normalize normalize, tg_confusion *out) {
  tg_metrics_check_out("tg_confusion_matrix_tensor", out, "out");
  tensor_pair p;
  if (read_pair("tg_confusion_matrix_tensor", y_true, y_pred, "y_pred", true, &p) != 0)
    return -1;
  int rc = tg_confusion_matrix(p.y_true, p.y_pred, p.n, NULL, 0, normalize, out);
  pair_free(&p);
  return rc;
}

int tg_classification_scores_tensor(const tg_tensor *y_true, const tg_tensor *y_pred,
                                    const tg_average_options *options, tg_scores *out) {
  tg_metrics_check_out("tg_classification_scores_tensor", out, "out");
  tensor_pair p;
  if (read_pair("tg_classification_scores_tensor", y_true, y_pred, "y_pred", true, &p) !=
      0)
    return -1;
  int rc = tg_classification_scores(p.y_true, p.y_pred, p.n, options, out);
  pair_free(&p);
  return rc;
}

int tg_classification_report_tensor(const tg_tensor *y_true, const tg_tensor *y_pred,
                                    const tg_report_options *options, char **text) {
  tg_metrics_check_out("tg_classification_report_tensor", text, "text");
  tensor_pair p;
  if (read_pair("tg_classification_report_tensor", y_true, y_pred, "y_pred", true, &p) !=
      0)
    return -1;
  int rc = tg_classification_report(p.y_true, p.y_pred, p.n, options, text);
  pair_free(&p);
  return rc;
}

int tg_roc_curve_tensor(const tg_tensor *y_true, const tg_tensor *y_score,
                        int64_t pos_label, bool drop_intermediate, tg_roc *out) {
  tg_metrics_check_out("tg_roc_curve_tensor", out, "out");
  tensor_pair p;
  if (read_pair("tg_roc_curve_tensor", y_true, y_score, "y_score", false, &p) != 0)
    return -1;
  int rc = tg_roc_curve(p.y_true, p.score, p.n, pos_label, drop_intermediate, out);
  pair_free(&p);
  return rc;
}

int tg_precision_recall_curve_tensor(const tg_tensor *y_true, const tg_tensor *y_score,
                                     int64_t pos_label, tg_pr *out) {
  tg_metrics_check_out("tg_precision_recall_curve_tensor", out, "out");
  tensor_pair p;
  if (read_pair("tg_precision_recall_curve_tensor", y_true, y_score, "y_score", false,
                &p) != 0)
    return -1;
  int rc = tg_precision_recall_curve(p.y_true, p.score, p.n, pos_label, out);
  pair_free(&p);
  return rc;
}

int tg_roc_auc_score_tensor(const tg_tensor *y_true, const tg_tensor *y_score,
                            double *auc) {
  tg_metrics_check_out("tg_roc_auc_score_tensor", auc, "auc");
  tensor_pair p;
  if (read_pair("tg_roc_auc_score_tensor", y_true, y_score, "y_score", false, &p) != 0)
    return -1;
  int rc = tg_roc_auc_score(p.y_true, p.score, p.n, auc);
  pair_free(&p);
  return rc;
}

int tg_roc_auc_score_ovr_tensor(const tg_tensor *y_true, const tg_tensor *proba,
                                tg_average average, double *auc) {
  const char *fn = "tg_roc_auc_score_ovr_tensor";
  tg_metrics_check_out(fn, auc, "auc");
  check_tensor(fn, y_true, "y_true");
  check_tensor(fn, proba, "proba");
  if (proba->ndim != 2)
    tg_error("%s: proba must be 2-D (n, n_classes), got %d dims", fn, proba->ndim);
  if (proba->shape[0] != tg_numel(y_true))
    tg_error("%s: y_true has %lld elements but proba has %lld rows", fn,
             (long long)tg_numel(y_true), (long long)proba->shape[0]);
  int64_t n, n_values;
  int64_t *labels = tensor_labels(fn, y_true, "y_true", &n);
  double *values = labels ? tensor_values(fn, proba, "proba", &n_values) : NULL;
  int rc = -1;
  if (values) rc = tg_roc_auc_score_ovr(labels, values, n, proba->shape[1], average, auc);
  free(labels);
  free(values);
  return rc;
}

int tg_average_precision_score_tensor(const tg_tensor *y_true, const tg_tensor *y_score,
                                      int64_t pos_label, double *ap) {
  tg_metrics_check_out("tg_average_precision_score_tensor", ap, "ap");
  tensor_pair p;
  if (read_pair("tg_average_precision_score_tensor", y_true, y_score, "y_score", false,
                &p) != 0)
    return -1;
  int rc = tg_average_precision_score(p.y_true, p.score, p.n, pos_label, ap);
  pair_free(&p);
  return rc;
}
