/* tensorgrad/metrics.h - classification metrics with scikit-learn 1.2's
 * semantics, on plain C arrays.
 *
 * Labels are int64_t, scores and probabilities double. Errors follow the
 * library's rule by cause (README, "Errors"):
 * - what the data's values decide returns -1 with the reason in
 *   tg_last_error(), naming the function: no sample (n == 0), one class
 *   where two are needed, a non-finite score, a label a tensor holds that is
 *   not an integer, an explicit label list none of whose labels occurs:
 *     "tg_roc_auc_score: only one class present in y_true"
 * - the calling code's mistakes go to tg_error: a NULL array or result
 *   pointer, n < 0, an enum or option out of its range, an explicit label
 *   list that is empty or repeats a label, tensors whose sizes differ.
 * Every function returns 0 on success.
 *
 * Ownership: results that have a variable size come back in a small struct
 * the caller declares (on the stack is fine); the library mallocs its arrays
 * and the caller releases them with the matching tg_..._free, which also
 * zeroes the struct (freeing a zeroed struct is a no-op). On error nothing is
 * allocated and the struct is zeroed. classification_report's text is one
 * malloc'd string the caller frees with free().
 *
 * Label order is scikit-learn's: the sorted union of the labels present in
 * y_true and y_pred, unless the caller passes an explicit list (then that
 * order, and samples whose true or predicted label is not in it are ignored).
 */
#ifndef TENSORGRAD_METRICS_H
#define TENSORGRAD_METRICS_H

#include "tensorgrad/export.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tensorgrad/tensor.h"

TG_API_BEGIN

/* What a ratio with a zero denominator becomes. sklearn's default "warn"
 * gives 0 (sklearn also prints a warning; tensorgrad stays silent). */
typedef enum {
  TG_ZERO_DIVISION_WARN = 0,
  TG_ZERO_DIVISION_0,
  TG_ZERO_DIVISION_1
} tg_zero_division;

typedef enum {
  TG_AVERAGE_BINARY = 0, /* the pos_label class only; needs <= 2 labels */
  TG_AVERAGE_MICRO,      /* global TP/FP/FN counts */
  TG_AVERAGE_MACRO,      /* unweighted mean over labels */
  TG_AVERAGE_WEIGHTED    /* mean weighted by support (true count) */
} tg_average;

/* ---- accuracy ------------------------------------------------------------ */

/* Fraction of samples with y_pred[i] == y_true[i]. */
int tg_accuracy_score(const int64_t *y_true, const int64_t *y_pred, int64_t n,
                      double *accuracy);

/* ---- confusion matrix -------------------------------------------------------- */

typedef enum {
  TG_NORMALIZE_NONE = 0,
  TG_NORMALIZE_TRUE, /* each row sums to 1 */
  TG_NORMALIZE_PRED, /* each column sums to 1 */
  TG_NORMALIZE_ALL   /* the whole matrix sums to 1 */
} tg_normalize;

typedef struct tg_confusion {
  int64_t n_labels;
  int64_t *labels; /* row/column i stands for labels[i] */
  int64_t *counts; /* n_labels x n_labels, row-major: row = true, col = predicted */
  double *values;  /* normalized counts (0 where a sum is 0); NULL for NONE */
} tg_confusion;

/* labels may be NULL (sorted union) or an explicit list of n_labels distinct
 * labels, at least one of which occurs in y_true. */
int tg_confusion_matrix(const int64_t *y_true, const int64_t *y_pred, int64_t n,
                        const int64_t *labels, int64_t n_labels, tg_normalize normalize,
                        tg_confusion *out);
void tg_confusion_free(tg_confusion *cm);

typedef struct tg_binary_counts {
  int64_t tn, fp, fn, tp;
} tg_binary_counts;

/* TN, FP, FN, TP = confusion_matrix(y_true, y_pred, labels=labels).ravel().
 * labels is {negative, positive}, or NULL for the sorted union, which must
 * then hold exactly two labels. */
int tg_binary_confusion(const int64_t *y_true, const int64_t *y_pred, int64_t n,
                        const int64_t labels[2], tg_binary_counts *out);

/* ---- precision, recall (TPR), FPR, F1 ------------------------------------------- */

typedef struct tg_average_options {
  tg_average average;
  int64_t pos_label;     /* for TG_AVERAGE_BINARY */
  const int64_t *labels; /* optional explicit label list (not for BINARY) */
  int64_t n_labels;
  tg_zero_division zero_division;
} tg_average_options;

/* sklearn's defaults: average="binary", pos_label=1, zero_division="warn". */
tg_average_options tg_average_options_default(void);

typedef struct tg_scores {
  double precision, recall, f1, fpr;
} tg_scores;

/* Averaged scores; options may be NULL for the defaults. FPR = FP / (FP + TN)
 * per label (not in sklearn), averaged like recall; zero_division applies to
 * it too. */
int tg_classification_scores(const int64_t *y_true, const int64_t *y_pred, int64_t n,
                             const tg_average_options *options, tg_scores *out);
int tg_precision_score(const int64_t *y_true, const int64_t *y_pred, int64_t n,
                       const tg_average_options *options, double *out);
int tg_recall_score(const int64_t *y_true, const int64_t *y_pred, int64_t n,
                    const tg_average_options *options, double *out);
int tg_f1_score(const int64_t *y_true, const int64_t *y_pred, int64_t n,
                const tg_average_options *options, double *out);
int tg_fpr_score(const int64_t *y_true, const int64_t *y_pred, int64_t n,
                 const tg_average_options *options, double *out);

/* Per-label scores (sklearn's precision_recall_fscore_support, average=None). */
typedef struct tg_class_scores {
  int64_t n_labels;
  int64_t *labels;
  double *precision, *recall, *f1, *fpr;
  int64_t *support; /* number of true samples of each label */
} tg_class_scores;

int tg_precision_recall_fscore_support(const int64_t *y_true, const int64_t *y_pred,
                                       int64_t n, const int64_t *labels, int64_t n_labels,
                                       tg_zero_division zero_division,
                                       tg_class_scores *out);
void tg_class_scores_free(tg_class_scores *s);

/* ---- classification report ------------------------------------------------------- */

typedef struct tg_report_options {
  const int64_t *labels; /* optional explicit label list */
  int64_t n_labels;
  const char *const *target_names; /* optional, one per label */
  int digits;                      /* 0..15 */
  tg_zero_division zero_division;
} tg_report_options;

/* sklearn's defaults: all labels, labels as names, digits=2, "warn". */
tg_report_options tg_report_options_default(void);

/* sklearn's text layout, byte for byte. *text is malloc'd; the caller frees
 * it. options may be NULL. */
int tg_classification_report(const int64_t *y_true, const int64_t *y_pred, int64_t n,
                             const tg_report_options *options, char **text);
/* The same text written to `file`. */
int tg_classification_report_fprint(FILE *file, const int64_t *y_true,
                                    const int64_t *y_pred, int64_t n,
                                    const tg_report_options *options);

/* ---- curves (binary: y_true == pos_label is the positive class) -------------------- */

/* ROC points at decreasing thresholds. thresholds[0] = max score + 1 (the
 * "predict nothing" point, as in sklearn 1.2). fpr (tpr) is NaN everywhere
 * when y_true has no negatives (positives), as in sklearn. */
typedef struct tg_roc {
  int64_t n; /* points */
  double *fpr, *tpr, *thresholds;
} tg_roc;

int tg_roc_curve(const int64_t *y_true, const double *y_score, int64_t n,
                 int64_t pos_label, bool drop_intermediate, tg_roc *out);
void tg_roc_free(tg_roc *roc);

/* n_points = n_thresholds + 1: thresholds increase, recall decreases, and
 * the last point is (precision 1, recall 0) with no threshold. With no
 * positive sample recall is 1 at every threshold. */
typedef struct tg_pr {
  int64_t n_points, n_thresholds;
  double *precision, *recall, *thresholds;
} tg_pr;

int tg_precision_recall_curve(const int64_t *y_true, const double *y_score, int64_t n,
                              int64_t pos_label, tg_pr *out);
void tg_pr_free(tg_pr *pr);

/* ---- areas ---------------------------------------------------------------------- */

/* Trapezoidal area under y(x); x monotonic (increasing or decreasing), n >= 2. */
int tg_auc(const double *x, const double *y, int64_t n, double *area);

/* Binary ROC AUC; y_true must hold exactly two labels, the larger one is the
 * positive class (sklearn's label_binarize). */
int tg_roc_auc_score(const int64_t *y_true, const double *y_score, int64_t n,
                     double *auc);

/* One-vs-rest ROC AUC from an n x n_classes row-major probability matrix
 * whose rows sum to 1; column j is the sorted j-th label of y_true, which
 * must hold exactly n_classes >= 3 labels. average: MACRO or WEIGHTED. */
int tg_roc_auc_score_ovr(const int64_t *y_true, const double *proba, int64_t n,
                         int64_t n_classes, tg_average average, double *auc);

/* Step-wise average precision, sum (R_k - R_{k-1}) P_k. */
int tg_average_precision_score(const int64_t *y_true, const double *y_score, int64_t n,
                               int64_t pos_label, double *ap);

/* ---- tensor wrappers ------------------------------------------------------------
 * The same metrics on tensors of any dtype and shape, read in logical order
 * (so an (n, 1) column works like n labels). Labels must hold integral values
 * (a bool tensor such as yhat >= 0.5 is fine); y_true and y_pred/y_score
 * must have the same number of elements; proba must be 2-D (n, n_classes). */

int tg_accuracy_score_tensor(const tg_tensor *y_true, const tg_tensor *y_pred,
                             double *accuracy);
int tg_confusion_matrix_tensor(const tg_tensor *y_true, const tg_tensor *y_pred,
                               tg_normalize normalize, tg_confusion *out);
int tg_classification_scores_tensor(const tg_tensor *y_true, const tg_tensor *y_pred,
                                    const tg_average_options *options, tg_scores *out);
int tg_classification_report_tensor(const tg_tensor *y_true, const tg_tensor *y_pred,
                                    const tg_report_options *options, char **text);
int tg_roc_curve_tensor(const tg_tensor *y_true, const tg_tensor *y_score,
                        int64_t pos_label, bool drop_intermediate, tg_roc *out);
int tg_precision_recall_curve_tensor(const tg_tensor *y_true, const tg_tensor *y_score,
                                     int64_t pos_label, tg_pr *out);
int tg_roc_auc_score_tensor(const tg_tensor *y_true, const tg_tensor *y_score,
                            double *auc);
int tg_roc_auc_score_ovr_tensor(const tg_tensor *y_true, const tg_tensor *proba,
                                tg_average average, double *auc);
int tg_average_precision_score_tensor(const tg_tensor *y_true, const tg_tensor *y_score,
                                      int64_t pos_label, double *ap);

TG_API_END
#endif
