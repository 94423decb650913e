/* Label sets (sklearn's unique_labels or an explicit list) and the per-label
 * TP / predicted / true counts every set-wise score is built from. */
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics_internal.h"
#include "tensorgrad/tensor.h"

static int compare_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Fills s->sorted and s->index from s->labels (already set). */
static int build_lookup(const char *fn, label_set *s) {
  s->sorted = tg_metrics_alloc(fn, s->n, sizeof(int64_t));
  s->index = tg_metrics_alloc(fn, s->n, sizeof(int64_t));
  if (!s->sorted || !s->index) return -1;
  /* Each label's slot in the sorted copy is found by bsearch; a duplicate
   * (rejected by the caller) only leaves one slot unused. */
  memcpy(s->sorted, s->labels, sizeof(int64_t) * (size_t)s->n);
  qsort(s->sorted, (size_t)s->n, sizeof(int64_t), compare_i64);
  for (int64_t i = 0; i < s->n; i++) {
    const int64_t *hit =
        bsearch(&s->labels[i], s->sorted, (size_t)s->n, sizeof(int64_t), compare_i64);
    s->index[hit - s->sorted] = i;
  }
  return 0;
}

enum { FEW_LABELS = 64 };

/* Adds v to the ascending distinct list d of *n values, unless present;
 * false when that would make more than FEW_LABELS. */
static bool add_distinct(int64_t *d, int64_t *n, int64_t v) {
  int64_t lo = 0, hi = *n;
  while (lo < hi) {
    int64_t mid = (lo + hi) / 2;
    if (d[mid] < v)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < *n && d[lo] == v) return true;
  if (*n == FEW_LABELS) return false;
  memmove(d + lo + 1, d + lo, sizeof(int64_t) * (size_t)(*n - lo));
  d[lo] = v;
  (*n)++;
  return true;
}

/* The ascending distinct labels of a and b into out, when there are at
 * most FEW_LABELS (classification's usual case: no sort of every sample);
 * else -1. Consecutive repeats, the common case, skip the search. */
static int64_t few_distinct(const int64_t *a, int64_t na, int64_t nb, const int64_t *b,
                            int64_t *out) {
  int64_t n = 0;
  for (int part = 0; part < 2; part++) {
    const int64_t *x = part ? b : a;
    int64_t len = part ? nb : na;
    for (int64_t i = 0; i < len; i++)
      if ((i == 0 || x[i] != x[i - 1]) && !add_distinct(out, &n, x[i])) return -1;
  }
  return n;
}

int tg_metrics_label_set_union(const char *fn, const int64_t *a, int64_t na,
                               const int64_t *b, int64_t nb, label_set *out) {
  memset(out, 0, sizeof *out);
  int64_t total = na + (b ? nb : 0);
  int64_t *all = tg_metrics_alloc(fn, total, sizeof(int64_t));
  if (!all) return -1;
  int64_t distinct = few_distinct(a, na, b ? nb : 0, b, all);
  if (distinct < 0) { /* many labels: sort them all */
    memcpy(all, a, sizeof(int64_t) * (size_t)na);
    if (b) memcpy(all + na, b, sizeof(int64_t) * (size_t)nb);
    qsort(all, (size_t)total, sizeof(int64_t), compare_i64);
    distinct = 0;
    for (int64_t i = 0; i < total; i++)
      if (i == 0 || all[i] != all[distinct - 1]) all[distinct++] = all[i];
  }
  out->n = distinct;
  out->labels = all;
  if (build_lookup(fn, out) != 0) {
    tg_metrics_label_set_free(out);
    return -1;
  }
  return 0;
}

int tg_metrics_label_set_explicit(const char *fn, const int64_t *labels, int64_t n,
                                  label_set *out) {
  memset(out, 0, sizeof *out);
  if (n <= 0 || !labels) tg_error("%s: 'labels' should contain at least one label", fn);
  out->n = n;
  out->labels = tg_metrics_alloc(fn, n, sizeof(int64_t));
  if (!out->labels) return -1;
  memcpy(out->labels, labels, sizeof(int64_t) * (size_t)n);
  if (build_lookup(fn, out) != 0) {
    tg_metrics_label_set_free(out);
    return -1;
  }
  for (int64_t k = 1; k < n; k++) {
    if (out->sorted[k] == out->sorted[k - 1]) {
      long long twice = (long long)out->sorted[k];
      tg_metrics_label_set_free(out);
      tg_error("%s: label %lld appears twice in 'labels'", fn, twice);
    }
  }
  return 0;
}

int64_t tg_metrics_label_set_find(const label_set *s, int64_t label) {
  int64_t lo = 0, hi = s->n;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (s->sorted[mid] < label)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < s->n && s->sorted[lo] == label ? s->index[lo] : -1;
}

void tg_metrics_label_set_free(label_set *s) {
  free(s->labels);
  free(s->sorted);
  free(s->index);
  memset(s, 0, sizeof *s);
}

int tg_metrics_label_counts_compute(const char *fn, const int64_t *y_true,
                                    const int64_t *y_pred, int64_t n,
                                    const label_set *set, label_counts *out) {
  memset(out, 0, sizeof *out);
  out->n_labels = set->n;
  out->n_samples = n;
  out->tp = calloc((size_t)set->n, sizeof(int64_t));
  out->pred = calloc((size_t)set->n, sizeof(int64_t));
  out->truth = calloc((size_t)set->n, sizeof(int64_t));
  if (!out->tp || !out->pred || !out->truth) {
    tg_set_last_error("%s: out of memory", fn);
    tg_metrics_label_counts_free(out);
    return -1;
  }
  for (int64_t i = 0; i < n; i++) {
    int64_t t = tg_metrics_label_set_find(set, y_true[i]),
            p = tg_metrics_label_set_find(set, y_pred[i]);
    if (t >= 0) out->truth[t]++;
    if (p >= 0) out->pred[p]++;
    if (t >= 0 && y_true[i] == y_pred[i]) out->tp[t]++;
  }
  return 0;
}

void tg_metrics_label_counts_free(label_counts *c) {
  free(c->tp);
  free(c->pred);
  free(c->truth);
  memset(c, 0, sizeof *c);
}
