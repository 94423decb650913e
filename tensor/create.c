/* Creating tensors: filled, from data, ranges. */
#include <math.h>
#include <string.h>

#include "tensor/core.h"

tg_tensor *tg_empty(tg_shape shape, tg_dtype dtype) {
  return tg_alloc(shape, dtype);
}

tg_tensor *tg_full(tg_shape shape, double value, tg_dtype dtype) {
  tg_tensor *t = tg_alloc(shape, dtype);
  tg_fill_(t, value);
  return t;
}

tg_tensor *tg_zeros(tg_shape shape, tg_dtype dtype) {
  tg_tensor *t = tg_alloc(shape, dtype);
  memset(t->storage->data, 0, t->storage->nbytes);
  return t;
}

tg_tensor *tg_ones(tg_shape shape, tg_dtype dtype) {
  return tg_full(shape, 1.0, dtype);
}

tg_tensor *tg_scalar(double value, tg_dtype dtype) {
  return tg_full(TG_SCALAR_SHAPE, value, dtype);
}

tg_tensor *tg_from_data(const void *data, tg_shape shape, tg_dtype dtype) {
  bool empty = false;
  for (int i = 0; i < shape.ndim && i < TG_MAX_DIMS; i++) empty |= shape.d[i] == 0;
  if (!data && !empty) tg_error("tg_from_data: data is NULL");
  tg_tensor *t = tg_alloc(shape, dtype);
  if (t->storage->nbytes) memcpy(t->storage->data, data, t->storage->nbytes);
  return t;
}

tg_tensor *tg_empty_like(const tg_tensor *t) {
  return tg_alloc(tg_shape_of(t), t->dtype);
}
tg_tensor *tg_zeros_like(const tg_tensor *t) {
  return tg_zeros(tg_shape_of(t), t->dtype);
}
tg_tensor *tg_ones_like(const tg_tensor *t) {
  return tg_ones(tg_shape_of(t), t->dtype);
}
tg_tensor *tg_full_like(const tg_tensor *t, double value) {
  return tg_full(tg_shape_of(t), value, t->dtype);
}

tg_tensor *tg_arange(double start, double end, double step, tg_dtype dtype) {
  if (dtype == TG_BOOL) tg_error("tg_arange: \"arange_cpu\" not implemented for 'Bool'");
  if (dtype == TG_INT64) { /* PyTorch casts the three to int64 first: 1.5 steps by 1 */
    if (!(fabs(start) < 0x1p62 && fabs(end) < 0x1p62 && fabs(step) < 0x1p62))
      tg_error("tg_arange: start %g, end %g and step %g must fit int64", start, end,
               step);
    start = trunc(start), end = trunc(end), step = trunc(step);
  }
  if (step == 0 || !isfinite(start) || !isfinite(end) || !isfinite(step))
    tg_error("tg_arange: step must be nonzero and bounds finite (start %g, end %g, "
             "step %g)",
             start, end, step);
  if ((end - start) / step < 0)
    tg_error("tg_arange: upper bound and step sign are inconsistent (start %g, end "
             "%g, step %g)",
             start, end, step);
  double count = ceil((end - start) / step);
  if (!(count < 0x1p62)) /* also catches an overflow to inf */
    tg_error("tg_arange: %g elements (start %g, end %g, step %g) is more than a tensor "
             "can hold",
             count, start, end, step);
  int64_t n = (int64_t)count;
  tg_tensor *t = tg_alloc(TG_SHAPE(n), dtype);
  for (int64_t i = 0; i < n; i++)
    tg_store(tg_storage_ptr(t, i), dtype, start + (double)i * step);
  return t;
}

tg_tensor *tg_linspace(double start, double end, int64_t steps, tg_dtype dtype) {
  if (steps < 0)
    tg_error("tg_linspace: number of steps must be non-negative, got %lld",
             (long long)steps);
  tg_tensor *t = tg_alloc(TG_SHAPE(steps), dtype);
  double step = steps > 1 ? (end - start) / (double)(steps - 1) : 0;
  /* as PyTorch: the second half counts back from end, so end is exact */
  int64_t half = steps / 2;
  for (int64_t i = 0; i < steps; i++) {
    double v = (i < half || steps == 1) ? start + step * (double)i
                                        : end - step * (double)(steps - 1 - i);
    tg_store(tg_storage_ptr(t, i), dtype, v);
  }
  return t;
}

tg_tensor *tg_eye(int64_t n, tg_dtype dtype) {
  tg_tensor *t = tg_zeros(TG_SHAPE(n, n), dtype);
  for (int64_t i = 0; i < n; i++) tg_store(tg_storage_ptr(t, i * n + i), dtype, 1.0);
  return t;
}
