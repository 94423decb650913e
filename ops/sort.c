/* sort, argsort and topk. The order is computed here (a stable merge sort
 * of each line along the dim); the values are then gathered with the
 * recorded gather op, so they are differentiable through its backward. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/ops.h"

typedef struct sort_line {
  const double *v; /* the line's values */
  bool descending;
} sort_line;

/* Whether value a goes strictly before value b: NaN is the largest. */
static bool before(const sort_line *l, int64_t a, int64_t b) {
  double x = l->v[a], y = l->v[b];
  if (l->descending) return (isnan(x) && !isnan(y)) || x > y;
  return (!isnan(x) && isnan(y)) || x < y;
}

/* Stable merge sort of the positions idx[0..n) by their values. */
static void merge_sort(const sort_line *l, int64_t *idx, int64_t *tmp, int64_t n) {
  if (n < 2) return;
  int64_t half = n / 2;
  merge_sort(l, idx, tmp, half);
  merge_sort(l, idx + half, tmp, n - half);
  int64_t i = 0, j = half, k = 0;
  while (i < half && j < n) tmp[k++] = before(l, idx[j], idx[i]) ? idx[j++] : idx[i++];
  while (i < half) tmp[k++] = idx[i++];
  while (j < n) tmp[k++] = idx[j++];
  memcpy(idx, tmp, sizeof *idx * (size_t)n);
}

/* The int64 tensor of t's shape holding each line's sorted positions. */
static tg_tensor *sorted_positions(tg_tensor *t, int d, bool descending) {
  int64_t size = t->ndim ? t->shape[d] : 1, outer = 1, inner = 1;
  for (int i = 0; i < d; i++) outer *= t->shape[i];
  for (int i = d + 1; i < t->ndim; i++) inner *= t->shape[i];
  tg_tensor *out = tg_alloc(tg_shape_of(t), TG_INT64);
  int64_t *o = tg_data_i64(out);
  double *vals = malloc(sizeof *vals * (size_t)(size ? size : 1));
  int64_t *idx = malloc(sizeof *idx * (size_t)(size ? size : 1));
  int64_t *tmp = malloc(sizeof *tmp * (size_t)(size ? size : 1));
  if (!vals || !idx || !tmp) {
    free(vals), free(idx), free(tmp);
    tg_error("tg_sort: out of memory for a line of %lld", (long long)size);
  }
  sort_line line = {vals, descending};
  for (int64_t a = 0; a < outer; a++)
    for (int64_t n = 0; n < inner; n++) {
      for (int64_t i = 0; i < size; i++) {
        vals[i] = tg_get_flat(t, (a * size + i) * inner + n);
        idx[i] = i;
      }
      merge_sort(&line, idx, tmp, size);
      for (int64_t i = 0; i < size; i++) o[(a * size + i) * inner + n] = idx[i];
    }
  free(vals), free(idx), free(tmp);
  return out;
}

tg_tensor *tg_sort(tg_tensor *t, int dim, bool descending, tg_tensor **indices) {
  int d = tg_wrap_dim("tg_sort", dim, t->ndim > 0 ? t->ndim : 1);
  tg_scope_begin();
  tg_tensor *idx = sorted_positions(t, d, descending);
  tg_tensor *values = t->ndim ? tg_gather(t, d, idx) : tg_clone(t);
  if (indices) *indices = tg_keep(idx);
  return tg_scope_return(values);
}

tg_tensor *tg_argsort(tg_tensor *t, int dim, bool descending) {
  int d = tg_wrap_dim("tg_argsort", dim, t->ndim > 0 ? t->ndim : 1);
  return sorted_positions(t, d, descending);
}

tg_tensor *tg_topk(tg_tensor *t, int64_t k, int dim, bool largest, tg_tensor **indices) {
  int d = tg_wrap_dim("tg_topk", dim, t->ndim > 0 ? t->ndim : 1);
  int64_t size = t->ndim ? t->shape[d] : 1;
  if (k < 0 || k > size)
    tg_error("tg_topk: k (%lld) out of range for a dim of size %lld", (long long)k,
             (long long)size);
  tg_scope_begin();
  tg_tensor *idx = tg_contiguous(tg_narrow(sorted_positions(t, d, largest), d, 0, k));
  tg_tensor *values = tg_gather(t, d, idx);
  if (indices) *indices = tg_keep(idx);
  return tg_scope_return(values);
}
