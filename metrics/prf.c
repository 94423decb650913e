/* precision, recall (TPR), F1 and FPR per label and averaged, following
 * sklearn 1.2's precision_recall_fscore_support (beta = 1). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics_internal.h"
#include "tensorgrad/tensor.h"

static double zero_division_value(tg_zero_division zero_division) {
  return zero_division == TG_ZERO_DIVISION_1 ? 1.0 : 0.0;
}

/* sklearn's F-beta with beta = 1: (1 + 1) * p * r / (p + r), where a zero
 * denominator is replaced by 1 (so F = 0 unless zero_division made p = r = 1). */
static double f1_of(double precision, double recall) {
  double denom = precision + recall;
  if (denom == 0.0) denom = 1.0;
  return 2.0 * precision * recall / denom;
}

int tg_metrics_prf_compute(const char *fn, const int64_t *y_true, const int64_t *y_pred,
                           int64_t n, const label_set *set,
                           tg_zero_division zero_division, label_counts *counts,
                           tg_class_scores *s) {
  int64_t k = set->n;
  memset(s, 0, sizeof *s);
  if (tg_metrics_label_counts_compute(fn, y_true, y_pred, n, set, counts) != 0) return -1;
  s->n_labels = k;
  s->labels = tg_metrics_alloc(fn, k, sizeof(int64_t));
  s->precision = tg_metrics_alloc(fn, k, sizeof(double));
  s->recall = tg_metrics_alloc(fn, k, sizeof(double));
  s->f1 = tg_metrics_alloc(fn, k, sizeof(double));
  s->fpr = tg_metrics_alloc(fn, k, sizeof(double));
  s->support = tg_metrics_alloc(fn, k, sizeof(int64_t));
  if (!s->labels || !s->precision || !s->recall || !s->f1 || !s->fpr || !s->support) {
    tg_metrics_label_counts_free(counts);
    tg_class_scores_free(s);
    return -1;
  }
  memcpy(s->labels, set->labels, sizeof(int64_t) * (size_t)k);
  for (int64_t j = 0; j < k; j++) {
    int64_t tp = counts->tp[j], fp = counts->pred[j] - tp;
    s->precision[j] = tg_metrics_ratio(tp, counts->pred[j], zero_division);
    s->recall[j] = tg_metrics_ratio(tp, counts->truth[j], zero_division);
    s->f1[j] = f1_of(s->precision[j], s->recall[j]);
    s->fpr[j] = tg_metrics_ratio(fp, n - counts->truth[j], zero_division);
    s->support[j] = counts->truth[j];
  }
  return 0;
}

static tg_scores micro_average(const label_counts *c, tg_zero_division zero_division) {
  int64_t tp = 0, pred = 0, truth = 0, negatives = 0;
  for (int64_t j = 0; j < c->n_labels; j++) {
    tp += c->tp[j];
    pred += c->pred[j];
    truth += c->truth[j];
    negatives += c->n_samples - c->truth[j]; /* FP + TN of label j */
  }
  tg_scores out;
  out.precision = tg_metrics_ratio(tp, pred, zero_division);
  out.recall = tg_metrics_ratio(tp, truth, zero_division);
  out.f1 = f1_of(out.precision, out.recall);
  out.fpr = tg_metrics_ratio(pred - tp, negatives, zero_division);
  return out;
}

/* np.average(x, weights=w) for each score; w == NULL is the plain mean. */
static tg_scores weighted_mean(const tg_class_scores *s, const int64_t *w) {
  tg_scores sum = {0, 0, 0, 0};
  double total = 0;
  for (int64_t j = 0; j < s->n_labels; j++) {
    double wj = w ? (double)w[j] : 1.0;
    sum.precision += s->precision[j] * wj;
    sum.recall += s->recall[j] * wj;
    sum.f1 += s->f1[j] * wj;
    sum.fpr += s->fpr[j] * wj;
    total += wj;
  }
  return (tg_scores){sum.precision / total, sum.recall / total, sum.f1 / total,
                     sum.fpr / total};
}

tg_scores tg_metrics_prf_average(const label_counts *c, const tg_class_scores *s,
                                 tg_average average, tg_zero_division zero_division) {
  if (average == TG_AVERAGE_MICRO) return micro_average(c, zero_division);
  if (average != TG_AVERAGE_WEIGHTED) return weighted_mean(s, NULL);
  int64_t support = 0, predicted = 0;
  for (int64_t j = 0; j < c->n_labels; j++) {
    support += c->truth[j];
    predicted += c->pred[j];
  }
  if (support > 0) return weighted_mean(s, c->truth);
  /* No true sample of any chosen label: sklearn returns zero_division for
   * precision only when nothing was predicted either; FPR, undefined too,
   * gets zero_division. */
  double z = zero_division_value(zero_division);
  if (predicted == 0) return (tg_scores){z, z, z, z};
  return (tg_scores){0.0, z, 0.0, z};
}

int tg_precision_recall_fscore_support(const int64_t *y_true, const int64_t *y_pred,
                                       int64_t n, const int64_t *labels, int64_t n_labels,
                                       tg_zero_division zero_division,
                                       tg_class_scores *out) {
  const char *fn = "tg_precision_recall_fscore_support";
  tg_metrics_check_out(fn, out, "out");
  memset(out, 0, sizeof *out);
  tg_metrics_check_zero_division(fn, zero_division);
  if (tg_metrics_check_arrays(fn, n, y_true, "y_true", y_pred, "y_pred") != 0) return -1;
  label_set set;
  int rc = labels ? tg_metrics_label_set_explicit(fn, labels, n_labels, &set)
                  : tg_metrics_label_set_union(fn, y_true, n, y_pred, n, &set);
  if (rc != 0) return -1;
  label_counts counts;
  rc = tg_metrics_prf_compute(fn, y_true, y_pred, n, &set, zero_division, &counts, out);
  tg_metrics_label_set_free(&set);
  if (rc == 0) tg_metrics_label_counts_free(&counts);
  return rc;
}

void tg_class_scores_free(tg_class_scores *s) {
  if (!s) return;
  free(s->labels);
  free(s->precision);
  free(s->recall);
  free(s->f1);
  free(s->fpr);
  free(s->support);
  memset(s, 0, sizeof *s);
}

tg_average_options tg_average_options_default(void) {
  return (tg_average_options){TG_AVERAGE_BINARY, 1, NULL, 0, TG_ZERO_DIVISION_WARN};
}

/* The labels an average runs over: [pos_label] for BINARY (after sklearn's
 * checks that the target is binary and pos_label fits), else the caller's
 * list or the sorted union. */
static int averaging_labels(const char *fn, const int64_t *y_true, const int64_t *y_pred,
                            int64_t n, const tg_average_options *o, label_set *set) {
  if (o->average != TG_AVERAGE_BINARY) {
    if (o->labels) return tg_metrics_label_set_explicit(fn, o->labels, o->n_labels, set);
    return tg_metrics_label_set_union(fn, y_true, n, y_pred, n, set);
  }
  label_set present;
  if (tg_metrics_label_set_union(fn, y_true, n, y_pred, n, &present) != 0) return -1;
  int64_t k = present.n, a = present.sorted[0], b = present.sorted[k - 1];
  bool has_pos = tg_metrics_label_set_find(&present, o->pos_label) >= 0;
  tg_metrics_label_set_free(&present);
  if (k > 2) {
    tg_set_last_error("%s: target is multiclass (%lld labels) but average is BINARY; "
                      "choose MICRO, MACRO or WEIGHTED",
                      fn, (long long)k);
    return -1;
  }
  if (k == 2 && !has_pos) {
    tg_set_last_error("%s: pos_label=%lld is not a valid label; it should be one of "
                      "[%lld, %lld]",
                      fn, (long long)o->pos_label, (long long)a, (long long)b);
    return -1;
  }
  return tg_metrics_label_set_explicit(fn, &o->pos_label, 1, set);
}

static int scores_named(const char *fn, const int64_t *y_true, const int64_t *y_pred,
                        int64_t n, const tg_average_options *options, tg_scores *out) {
  tg_average_options o = options ? *options : tg_average_options_default();
  tg_metrics_check_out(fn, out, "out");
  tg_metrics_check_zero_division(fn, o.zero_division);
  if (o.average < TG_AVERAGE_BINARY || o.average > TG_AVERAGE_WEIGHTED)
    tg_error("%s: average must be BINARY, MICRO, MACRO or WEIGHTED, got %d", fn,
             (int)o.average);
  if (tg_metrics_check_arrays(fn, n, y_true, "y_true", y_pred, "y_pred") != 0) return -1;
  label_set set;
  if (averaging_labels(fn, y_true, y_pred, n, &o, &set) != 0) return -1;
  label_counts counts;
  tg_class_scores scores;
  int rc = tg_metrics_prf_compute(fn, y_true, y_pred, n, &set, o.zero_division, &counts,
                                  &scores);
  tg_metrics_label_set_free(&set);
  if (rc != 0) return -1;
  /* BINARY is the mean over its one label. */
  *out = tg_metrics_prf_average(&counts, &scores, o.average, o.zero_division);
  tg_metrics_label_counts_free(&counts);
  tg_class_scores_free(&scores);
  return 0;
}

int tg_classification_scores(const int64_t *y_true, const int64_t *y_pred, int64_t n,
                             const tg_average_options *options, tg_scores *out) {
  return scores_named("tg_classification_scores", y_true, y_pred, n, options, out);
}

/* One field of the averaged scores (at `offset` in tg_scores), with errors
 * under the caller's name. */
static int score_field(const char *fn, const int64_t *y_true, const int64_t *y_pred,
                       int64_t n, const tg_average_options *options, size_t offset,
                       double *out) {
  tg_scores s;
  tg_metrics_check_out(fn, out, "out");
  if (scores_named(fn, y_true, y_pred, n, options, &s) != 0) return -1;
  memcpy(out, (const char *)&s + offset, sizeof *out);
  return 0;
}

int tg_precision_score(const int64_t *y_true, const int64_t *y_pred, int64_t n,
                       const tg_average_options *options, double *out) {
  return score_field("tg_precision_score", y_true, y_pred, n, options,
                     offsetof(tg_scores, precision), out);
}

int tg_recall_score(const int64_t *y_true, const int64_t *y_pred, int64_t n,
                    const tg_average_options *options, double *out) {
  return score_field("tg_recall_score", y_true, y_pred, n, options,
                     offsetof(tg_scores, recall), out);
}

int tg_f1_score(const int64_t *y_true, const int64_t *y_pred, int64_t n,
                const tg_average_options *options, double *out) {
  return score_field("tg_f1_score", y_true, y_pred, n, options, offsetof(tg_scores, f1),
                     out);
}

int tg_fpr_score(const int64_t *y_true, const int64_t *y_pred, int64_t n,
                 const tg_average_options *options, double *out) {
  return score_field("tg_fpr_score", y_true, y_pred, n, options, offsetof(tg_scores, fpr),
                     out);
}
