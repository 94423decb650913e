/* roc_curve and precision_recall_curve with sklearn 1.2's points. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics_internal.h"
#include "tensorgrad/tensor.h"

/* sklearn keeps a point when the second difference of fps or of tps is
 * nonzero there (a corner), plus both ends; collinear points add nothing to
 * the plot or the area. Compacts c in place: step i writes at an index <= i
 * and only ever reads i-1..i+1, which no earlier step has changed. */
static void drop_collinear(clf_curve *c) {
  if (c->n <= 2) return;
  int64_t kept = 1; /* the first point stays */
  for (int64_t i = 1; i < c->n - 1; i++) {
    int64_t d2_fps = c->fps[i + 1] - 2 * c->fps[i] + c->fps[i - 1];
    int64_t d2_tps = c->tps[i + 1] - 2 * c->tps[i] + c->tps[i - 1];
    if (d2_fps == 0 && d2_tps == 0) continue;
    c->fps[kept] = c->fps[i];
    c->tps[kept] = c->tps[i];
    c->thresholds[kept] = c->thresholds[i];
    kept++;
  }
  c->fps[kept] = c->fps[c->n - 1];
  c->tps[kept] = c->tps[c->n - 1];
  c->thresholds[kept] = c->thresholds[c->n - 1];
  c->n = kept + 1;
}

int tg_metrics_roc_compute(const char *fn, const int64_t *y_true, const double *y_score,
                           int64_t n, int64_t pos_label, bool drop_intermediate,
                           tg_roc *out) {
  tg_metrics_check_out(fn, out, "out");
  memset(out, 0, sizeof *out);
  clf_curve c;
  if (tg_metrics_clf_curve_compute(fn, y_true, y_score, n, pos_label, &c) != 0) return -1;
  if (drop_intermediate) drop_collinear(&c);
  int64_t m = c.n + 1;
  out->fpr = tg_metrics_alloc(fn, m, sizeof(double));
  out->tpr = tg_metrics_alloc(fn, m, sizeof(double));
  out->thresholds = tg_metrics_alloc(fn, m, sizeof(double));
  if (!out->fpr || !out->tpr || !out->thresholds) {
    tg_metrics_clf_curve_free(&c);
    tg_roc_free(out);
    return -1;
  }
  out->n = m;
  /* A leading "predict nothing" point at (0, 0); sklearn 1.2 gives it the
   * threshold max(score) + 1 (1.3 changed it to +inf). */
  int64_t negatives = c.fps[c.n - 1], positives = c.tps[c.n - 1];
  for (int64_t i = 0; i < m; i++) {
    int64_t fp = i ? c.fps[i - 1] : 0, tp = i ? c.tps[i - 1] : 0;
    out->fpr[i] = negatives > 0 ? (double)fp / (double)negatives : NAN;
    out->tpr[i] = positives > 0 ? (double)tp / (double)positives : NAN;
    out->thresholds[i] = i ? c.thresholds[i - 1] : c.thresholds[0] + 1.0;
  }
  tg_metrics_clf_curve_free(&c);
  return 0;
}

int tg_roc_curve(const int64_t *y_true, const double *y_score, int64_t n,
                 int64_t pos_label, bool drop_intermediate, tg_roc *out) {
  return tg_metrics_roc_compute("tg_roc_curve", y_true, y_score, n, pos_label,
                                drop_intermediate, out);
}

void tg_roc_free(tg_roc *roc) {
  if (!roc) return;
  free(roc->fpr);
  free(roc->tpr);
  free(roc->thresholds);
  memset(roc, 0, sizeof *roc);
}

int tg_metrics_pr_compute(const char *fn, const int64_t *y_true, const double *y_score,
                          int64_t n, int64_t pos_label, tg_pr *out) {
  tg_metrics_check_out(fn, out, "out");
  memset(out, 0, sizeof *out);
  clf_curve c;
  if (tg_metrics_clf_curve_compute(fn, y_true, y_score, n, pos_label, &c) != 0) return -1;
  int64_t m = c.n;
  out->precision = tg_metrics_alloc(fn, m + 1, sizeof(double));
  out->recall = tg_metrics_alloc(fn, m + 1, sizeof(double));
  out->thresholds = tg_metrics_alloc(fn, m, sizeof(double));
  if (!out->precision || !out->recall || !out->thresholds) {
    tg_metrics_clf_curve_free(&c);
    tg_pr_free(out);
    return -1;
  }
  out->n_thresholds = m;
  out->n_points = m + 1;
  /* sklearn computes at decreasing thresholds and then reverses, so recall
   * decreases along the arrays; every threshold has tps + fps >= 1. */
  int64_t positives = c.tps[m - 1];
  for (int64_t i = 0; i < m; i++) {
    int64_t src = m - 1 - i;
    out->precision[i] = (double)c.tps[src] / (double)(c.tps[src] + c.fps[src]);
    out->recall[i] = positives > 0 ? (double)c.tps[src] / (double)positives : 1.0;
    out->thresholds[i] = c.thresholds[src];
  }
  out->precision[m] = 1.0;
  out->recall[m] = 0.0;
  tg_metrics_clf_curve_free(&c);
  return 0;
}

int tg_precision_recall_curve(const int64_t *y_true, const double *y_score, int64_t n,
                              int64_t pos_label, tg_pr *out) {
  return tg_metrics_pr_compute("tg_precision_recall_curve", y_true, y_score, n, pos_label,
                               out);
}

void tg_pr_free(tg_pr *pr) {
  if (!pr) return;
  free(pr->precision);
  free(pr->recall);
  free(pr->thresholds);
  memset(pr, 0, sizeof *pr);
}
