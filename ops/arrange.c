/* Rearranging ops users reach for after the basics: flip, repeat, tril and
 * triu, chunk and split, bmm; and the logical and encoding helpers any,
 * all and one_hot. Each is a composite of recorded ops (index_select,
 * expand, reshape, where, narrow, matmul), so each is differentiable where
 * PyTorch's is, through those ops' backwards. */
#include <stdio.h>

#include "ops/ops.h"

/* torch.flip(t, dims): each listed dim reversed. */
tg_tensor *tg_flip(tg_tensor *t, tg_shape dims) {
  unsigned mask =
      tg_dims_mask("tg_flip", dims, t->ndim); /* a dim twice would undo itself */
  tg_scope_begin();
  tg_tensor *out = t;
  for (int d = 0; d < t->ndim; d++) {
    if (!(mask & (1u << d))) continue;
    int64_t n = t->shape[d];
    tg_tensor *reversed = tg_arange((double)n - 1, -1, -1, TG_INT64);
    out = tg_index_select(out, d, reversed);
  }
  if (out == t) out = tg_clone(t); /* flip always returns a new tensor */
  return tg_scope_return(out);
}

/* Tensor.repeat(repeats): the tensor tiled repeats[i] times along dim i;
 * repeats may have more dims than t (leading ones are added). Each dim of
 * size s becomes (r, s) by expand, then r * s by reshape. */
tg_tensor *tg_repeat(tg_tensor *t, tg_shape repeats) {
  int n = repeats.ndim, lead = n - t->ndim;
  if (lead < 0)
    tg_error("tg_repeat: number of dimensions of repeat dims (%d) can not be smaller "
             "than number of dimensions of tensor (%d)",
             n, t->ndim);
  if (2 * n > TG_MAX_DIMS)
    tg_error("tg_repeat: %d repeat dims need %d interleaved dims; at most %d", n, 2 * n,
             TG_MAX_DIMS);
  for (int i = 0; i < n; i++)
    if (repeats.d[i] < 0)
      tg_error("tg_repeat: repeats can not be negative, got %lld at %d",
               (long long)repeats.d[i], i);
  tg_shape pairs = {.ndim = 2 * n}, expanded = {.ndim = 2 * n}, out = {.ndim = n};
  for (int i = 0; i < n; i++) {
    int64_t s = i < lead ? 1 : t->shape[i - lead];
    pairs.d[2 * i] = 1;
    pairs.d[2 * i + 1] = s;
    expanded.d[2 * i] = repeats.d[i];
    expanded.d[2 * i + 1] = s;
    out.d[i] = repeats.d[i] * s;
  }
  tg_scope_begin();
  tg_tensor *r = tg_reshape(tg_expand(tg_reshape(t, pairs), expanded), out);
  return tg_scope_return(r);
}

/* The (rows, cols) mask of col - row >= diagonal (upper) or <= (lower). */
static tg_tensor *triangle(const char *op, tg_tensor *t, int64_t diagonal, bool upper) {
  if (t->ndim < 2)
    tg_error("%s: input tensor must have at least 2 dimensions, got %d", op, t->ndim);
  int64_t rows = t->shape[t->ndim - 2], cols = t->shape[t->ndim - 1];
  tg_scope_begin();
  tg_tensor *r = tg_reshape(tg_arange(0, (double)rows, 1, TG_INT64), TG_SHAPE(rows, 1));
  tg_tensor *c = tg_arange(0, (double)cols, 1, TG_INT64);
  tg_tensor *offset = tg_sub(c, r); /* col - row, (rows, cols) */
  tg_tensor *keep = upper ? tg_ge_scalar(offset, (double)diagonal)
                          : tg_le_scalar(offset, (double)diagonal);
  tg_tensor *out = tg_where(keep, t, tg_zeros(TG_SCALAR_SHAPE, t->dtype));
  return tg_scope_return(out);
}

tg_tensor *tg_tril(tg_tensor *t, int64_t diagonal) {
  return triangle("tg_tril", t, diagonal, false);
}

tg_tensor *tg_triu(tg_tensor *t, int64_t diagonal) {
  return triangle("tg_triu", t, diagonal, true);
}

/* torch.split(t, split_size, dim): pieces of split_size (the last may be
 * smaller), as narrow views. */
int tg_split(tg_tensor *t, int64_t split_size, int dim, tg_tensor **out, int max_out) {
  int d = tg_wrap_dim("tg_split", dim, t->ndim);
  int64_t size = t->shape[d];
  if (split_size <= 0 && !(split_size == 0 && size == 0))
    tg_error("tg_split: split_size can only be 0 if dimension size is 0, but got "
             "split_size %lld for a dim of size %lld",
             (long long)split_size, (long long)size);
  int64_t n = split_size ? (size + split_size - 1) / split_size : 1;
  if (n > max_out)
    tg_error("tg_split: %lld pieces of size %lld along dim %d do not fit in %d outputs",
             (long long)n, (long long)split_size, d, max_out);
  for (int64_t i = 0; i < n; i++) {
    int64_t start = i * split_size;
    int64_t len = start + split_size > size ? size - start : split_size;
    out[i] = tg_narrow(t, d, start, len);
  }
  return (int)n;
}

/* torch.chunk(t, chunks, dim): split with size ceil(size / chunks), which
 * can give fewer than `chunks` pieces, as PyTorch's does. */
int tg_chunk(tg_tensor *t, int chunks, int dim, tg_tensor **out) {
  if (chunks <= 0)
    tg_error("tg_chunk: chunk expects `chunks` to be greater than 0, got %d", chunks);
  int d = tg_wrap_dim("tg_chunk", dim, t->ndim);
  int64_t size = t->shape[d];
  int64_t split_size = (size + chunks - 1) / chunks;
  if (split_size == 0 && size != 0) split_size = 1;
  return tg_split(t, split_size, d, out, chunks);
}

/* torch.bmm: (b, n, m) @ (b, m, p), nothing broadcast. */
tg_tensor *tg_bmm(tg_tensor *a, tg_tensor *b) {
  char sa[TG_SHAPE_STR_MAX], sb[TG_SHAPE_STR_MAX];
  if (a->ndim != 3 || b->ndim != 3 || a->shape[0] != b->shape[0] ||
      a->shape[2] != b->shape[1])
    tg_error("tg_bmm: expected (b, n, m) and (b, m, p) tensors, got %s and %s",
             tg_shape_str(tg_shape_of(a), sa), tg_shape_str(tg_shape_of(b), sb));
  return tg_matmul(a, b);
}

/* ---- logical and encoding (never recorded) ---- */

/* The number of nonzero elements over dims, as int64. */
static tg_tensor *count_nonzero(tg_tensor *t, tg_shape dims, bool keepdim) {
  return tg_sum(tg_to(tg_ne_scalar(t, 0), TG_INT64), dims, keepdim);
}

/* torch.any / torch.all over dims (TG_ALL_DIMS: every dim), as bool. */
tg_tensor *tg_any(tg_tensor *t, tg_shape dims, bool keepdim) {
  tg_scope_begin();
  return tg_scope_return(tg_gt_scalar(count_nonzero(t, dims, keepdim), 0));
}

tg_tensor *tg_all(tg_tensor *t, tg_shape dims, bool keepdim) {
  tg_scope_begin();
  tg_tensor *zeros = tg_sum(tg_to(tg_eq_scalar(t, 0), TG_INT64), dims, keepdim);
  return tg_scope_return(tg_eq_scalar(zeros, 0));
}

/* F.one_hot: int64 labels -> (..., num_classes) int64; num_classes -1
 * means max + 1. */
tg_tensor *tg_one_hot(tg_tensor *labels, int64_t num_classes) {
  if (labels->dtype != TG_INT64)
    tg_error("tg_one_hot: one_hot is only applicable to index tensor (int64), got %s",
             tg_dtype_name(labels->dtype));
  if (labels->ndim >= TG_MAX_DIMS)
    tg_error("tg_one_hot: labels have %d dims; at most %d", labels->ndim,
             TG_MAX_DIMS - 1);
  int64_t n = tg_numel(labels), max = -1, min = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t v = (int64_t)tg_get_flat(labels, i);
    max = v > max ? v : max;
    min = v < min ? v : min;
  }
  if (min < 0)
    tg_error("tg_one_hot: Class values must be non-negative, got %lld", (long long)min);
  if (num_classes == -1) num_classes = max + 1;
  if (num_classes < 1 || max >= num_classes)
    tg_error("tg_one_hot: Class values must be smaller than num_classes (%lld), got %lld",
             (long long)num_classes, (long long)max);
  tg_shape shape = tg_shape_of(labels);
  shape.d[shape.ndim++] = num_classes;
  tg_tensor *out = tg_zeros(shape, TG_INT64);
  int64_t *o = tg_data_i64(out);
  for (int64_t i = 0; i < n; i++)
    o[i * num_classes + (int64_t)tg_get_flat(labels, i)] = 1;
  return out;
}
