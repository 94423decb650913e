/* The counting core under ROC and PR curves: a stable O(n log n) sort by
 * decreasing score, then TP/FP counts at each distinct score. */
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics_internal.h"
#include "tensorgrad/tensor.h"

/* Bottom-up merge sort of positions by decreasing score; equal scores keep
 * their input order (the counts at distinct scores do not depend on it). */
static void sort_by_score_desc(const double *score, int64_t *order, int64_t *tmp,
                               int64_t n) {
  for (int64_t i = 0; i < n; i++) order[i] = i;
  for (int64_t run = 1; run < n; run *= 2) {
    for (int64_t lo = 0; lo < n; lo += 2 * run) {
      int64_t mid = lo + run < n ? lo + run : n;
      int64_t hi = lo + 2 * run < n ? lo + 2 * run : n;
      int64_t a = lo, b = mid, k = lo;
      while (a < mid && b < hi)
        tmp[k++] = score[order[b]] > score[order[a]] ? order[b++] : order[a++];
      while (a < mid) tmp[k++] = order[a++];
      while (b < hi) tmp[k++] = order[b++];
    }
    memcpy(order, tmp, sizeof(int64_t) * (size_t)n);
  }
}

int tg_metrics_clf_curve_compute(const char *fn, const int64_t *y_true,
                                 const double *y_score, int64_t n, int64_t pos_label,
                                 clf_curve *out) {
  memset(out, 0, sizeof *out);
  if (tg_metrics_check_arrays(fn, n, y_true, "y_true", y_score, "y_score") != 0 ||
      tg_metrics_check_finite(fn, y_score, n, "y_score") != 0)
    return -1;
  int64_t *order = tg_metrics_alloc(fn, n, sizeof(int64_t));
  int64_t *tmp = tg_metrics_alloc(fn, n, sizeof(int64_t));
  out->fps = tg_metrics_alloc(fn, n, sizeof(int64_t));
  out->tps = tg_metrics_alloc(fn, n, sizeof(int64_t));
  out->thresholds = tg_metrics_alloc(fn, n, sizeof(double));
  if (!order || !tmp || !out->fps || !out->tps || !out->thresholds) {
    free(order);
    free(tmp);
    tg_metrics_clf_curve_free(out);
    return -1;
  }
  sort_by_score_desc(y_score, order, tmp, n);
  int64_t tp = 0;
  for (int64_t i = 0; i < n; i++) {
    tp += y_true[order[i]] == pos_label;
    bool last_of_score = i == n - 1 || y_score[order[i + 1]] != y_score[order[i]];
    if (!last_of_score) continue;
    out->tps[out->n] = tp;
    out->fps[out->n] = i + 1 - tp;
    out->thresholds[out->n] = y_score[order[i]];
    out->n++;
  }
  free(order);
  free(tmp);
  return 0;
}

void tg_metrics_clf_curve_free(clf_curve *c) {
  free(c->fps);
  free(c->tps);
  free(c->thresholds);
  memset(c, 0, sizeof *c);
}
