/* The counting core under ROC and PR curves: a stable O(n log n) sort by
 * decreasing score, then TP/FP counts at each distinct score. */
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics_internal.h"
#include "tensorgrad/tensor.h"

/* A score and where it came from: sorting these pairs reads memory in
 * order, where sorting positions would look every score up at random. */
typedef struct scored {
  double score;
  int64_t index;
} scored;

enum { INSERTION_RUN = 16 };

/* Sorts runs of INSERTION_RUN pairs in place by decreasing score, keeping
 * the input order of equal scores. */
static void sort_runs(scored *p, int64_t n) {
  for (int64_t lo = 0; lo < n; lo += INSERTION_RUN) {
    int64_t hi = lo + INSERTION_RUN < n ? lo + INSERTION_RUN : n;
    for (int64_t i = lo + 1; i < hi; i++) {
      scored x = p[i];
      int64_t j = i;
      for (; j > lo && x.score > p[j - 1].score; j--) p[j] = p[j - 1];
      p[j] = x;
    }
  }
}

/* Bottom-up merge sort of positions by decreasing score; equal scores keep
 * their input order (the counts at distinct scores do not depend on it,
 * but it makes the result independent of the sort). order gets the
 * positions; a and b are scratch for n pairs each. */
static void sort_by_score_desc(const double *score, int64_t *order, scored *a, scored *b,
                               int64_t n) {
  for (int64_t i = 0; i < n; i++) a[i] = (scored){score[i], i};
  sort_runs(a, n);
  for (int64_t run = INSERTION_RUN; run < n; run *= 2) {
    for (int64_t lo = 0; lo < n; lo += 2 * run) {
      int64_t mid = lo + run < n ? lo + run : n;
      int64_t hi = lo + 2 * run < n ? lo + 2 * run : n;
      int64_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) b[k++] = a[j].score > a[i].score ? a[j++] : a[i++];
      while (i < mid) b[k++] = a[i++];
      while (j < hi) b[k++] = a[j++];
    }
    scored *t = a;
    a = b;
    b = t;
  }
  for (int64_t i = 0; i < n; i++) order[i] = a[i].index;
}

int tg_metrics_clf_curve_compute(const char *fn, const int64_t *y_true,
                                 const double *y_score, int64_t n, int64_t pos_label,
                                 clf_curve *out) {
  memset(out, 0, sizeof *out);
  if (tg_metrics_check_arrays(fn, n, y_true, "y_true", y_score, "y_score") != 0 ||
      tg_metrics_check_finite(fn, y_score, n, "y_score") != 0)
    return -1;
  int64_t *order = tg_metrics_alloc(fn, n, sizeof(int64_t));
  scored *pairs = tg_metrics_alloc(fn, n, sizeof(scored));
  scored *tmp = tg_metrics_alloc(fn, n, sizeof(scored));
  out->fps = tg_metrics_alloc(fn, n, sizeof(int64_t));
  out->tps = tg_metrics_alloc(fn, n, sizeof(int64_t));
  out->thresholds = tg_metrics_alloc(fn, n, sizeof(double));
  if (!order || !pairs || !tmp || !out->fps || !out->tps || !out->thresholds) {
    free(order);
    free(pairs);
    free(tmp);
    tg_metrics_clf_curve_free(out);
    return -1;
  }
  sort_by_score_desc(y_score, order, pairs, tmp, n);
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
  free(pairs);
  free(tmp);
  return 0;
}

void tg_metrics_clf_curve_free(clf_curve *c) {
  free(c->fps);
  free(c->tps);
  free(c->thresholds);
  memset(c, 0, sizeof *c);
}
