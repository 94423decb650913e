/* Private helpers shared by the metrics/ files: argument checks, label sets
 * and the per-label counts that precision/recall/F1 are made of. */
#ifndef TG_METRICS_INTERNAL_H
#define TG_METRICS_INTERNAL_H

#include <stdint.h>

#include "tensorgrad/metrics.h"

/* The rule of every metric: the calling code's mistakes (a NULL array or
 * result pointer, a negative n, an option out of its range, an explicit
 * label list that is empty or repeats a label, tensors whose sizes differ)
 * go to tg_error; what the data's values decide (no sample, one class where
 * two are needed, a non-finite score, a label that is not an integer)
 * returns -1 with tg_last_error() set. */

/* tg_error for a NULL array or n < 0; -1 (status) for n == 0; else 0. */
int tg_metrics_check_arrays(const char *fn, int64_t n, const void *a, const char *a_name,
                            const void *b, const char *b_name);
/* tg_error when the result pointer `name` is NULL. */
void tg_metrics_check_out(const char *fn, const void *out, const char *name);
/* 0 when every score is finite, else -1 naming the first bad index. */
int tg_metrics_check_finite(const char *fn, const double *v, int64_t n, const char *name);
/* malloc that sets "<fn>: out of memory" on failure; count 0 allocates 1. */
void *tg_metrics_alloc(const char *fn, int64_t count, size_t size);

/* An ordered label list with a sorted lookup table beside it. */
typedef struct label_set {
  int64_t n;
  int64_t *labels; /* in the order rows/columns use */
  int64_t *sorted; /* ascending copy of labels */
  int64_t *index;  /* index[k] = position in `labels` of sorted[k] */
} label_set;

/* Sorted distinct union of a[0..na) and b[0..nb) (b may be NULL). */
int tg_metrics_label_set_union(const char *fn, const int64_t *a, int64_t na,
                               const int64_t *b, int64_t nb, label_set *out);
/* The caller's list, kept in its order; an empty list or a duplicate is a
 * tg_error. */
int tg_metrics_label_set_explicit(const char *fn, const int64_t *labels, int64_t n,
                                  label_set *out);
/* Position of `label` in the set, or -1 when absent. O(log n). */
int64_t tg_metrics_label_set_find(const label_set *s, int64_t label);
void tg_metrics_label_set_free(label_set *s);

/* Per-label counts over all samples (sklearn's multilabel_confusion_matrix):
 * tp, pred (tp + fp) and truth (tp + fn) for each label of the set, plus the
 * sample count, so TN = n_samples - tp - fp - fn. */
typedef struct label_counts {
  int64_t n_labels;
  int64_t *tp, *pred, *truth;
  int64_t n_samples;
} label_counts;

int tg_metrics_label_counts_compute(const char *fn, const int64_t *y_true,
                                    const int64_t *y_pred, int64_t n,
                                    const label_set *set, label_counts *out);
void tg_metrics_label_counts_free(label_counts *c);

/* num / den, or the zero_division value when den == 0. */
double tg_metrics_ratio(int64_t num, int64_t den, tg_zero_division zero_division);
/* tg_error unless zero_division is one of the enum's values. */
void tg_metrics_check_zero_division(const char *fn, tg_zero_division zero_division);

/* Per-label counts and scores for the labels of `set`; on success both are
 * filled (free them with tg_metrics_label_counts_free / tg_class_scores_free). */
int tg_metrics_prf_compute(const char *fn, const int64_t *y_true, const int64_t *y_pred,
                           int64_t n, const label_set *set,
                           tg_zero_division zero_division, label_counts *counts,
                           tg_class_scores *scores);
/* The MICRO, MACRO or WEIGHTED average of per-label results. */
tg_scores tg_metrics_prf_average(const label_counts *counts,
                                 const tg_class_scores *scores, tg_average average,
                                 tg_zero_division zero_division);

/* sklearn's _binary_clf_curve: with samples sorted by decreasing score, one
 * entry per distinct score (decreasing), counting the positives (tps) and
 * negatives (fps) scored >= that threshold. */
typedef struct clf_curve {
  int64_t n;
  int64_t *fps, *tps;
  double *thresholds;
} clf_curve;

int tg_metrics_clf_curve_compute(const char *fn, const int64_t *y_true,
                                 const double *y_score, int64_t n, int64_t pos_label,
                                 clf_curve *out);
void tg_metrics_clf_curve_free(clf_curve *c);

/* tg_roc_curve / tg_precision_recall_curve with errors under the name `fn`. */
int tg_metrics_roc_compute(const char *fn, const int64_t *y_true, const double *y_score,
                           int64_t n, int64_t pos_label, bool drop_intermediate,
                           tg_roc *out);
int tg_metrics_pr_compute(const char *fn, const int64_t *y_true, const double *y_score,
                          int64_t n, int64_t pos_label, tg_pr *out);

#endif
