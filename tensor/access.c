/* Reading and writing elements, and the in-place operations that optimizers
 * and initialisers use. In-place writes are never recorded on the tape, and
 * each bumps the storage version so a backward that needs the old values
 * can refuse to run. */
#include <math.h>
#include <string.h>

#include "tensor/core.h"

char *tg_flat_ptr(const tg_tensor *t, int64_t i) {
  int64_t off = t->offset;
  for (int d = t->ndim - 1; d >= 0; d--) {
    int64_t size = t->shape[d];
    off += (i % size) * t->strides[d];
    i /= size;
  }
  return tg_storage_ptr(t, off);
}

double tg_get_flat(const tg_tensor *t, int64_t i) {
  int64_t n = tg_numel(t);
  if (i < 0 || i >= n)
    tg_error("tg_get_flat: index %lld is out of bounds for a tensor of %lld elements",
             (long long)i, (long long)n);
  return tg_load(tg_flat_ptr(t, i), t->dtype);
}

double tg_item(const tg_tensor *t) {
  if (tg_numel(t) != 1) {
    char s[TG_SHAPE_STR_MAX];
    tg_error("tg_item: a tensor with %lld elements (shape %s) cannot be converted to "
             "a scalar",
             (long long)tg_numel(t), tg_shape_str(tg_shape_of(t), s));
  }
  return tg_load(tg_ptr(t), t->dtype);
}

static int64_t index_offset(const char *op, const tg_tensor *t, const int64_t *index) {
  tg_use(t, op);
  int64_t off = t->offset;
  for (int d = 0; d < t->ndim; d++) {
    if (index[d] < -t->shape[d] || index[d] >= t->shape[d])
      tg_error("%s: index %lld is out of bounds for dimension %d with size %lld", op,
               (long long)index[d], d, (long long)t->shape[d]);
    int64_t i = index[d] < 0 ? index[d] + t->shape[d] : index[d];
    off += i * t->strides[d];
  }
  return off;
}

double tg_get(const tg_tensor *t, const int64_t *index) {
  return tg_load(tg_storage_ptr(t, index_offset("tg_get", t, index)), t->dtype);
}

void tg_set(tg_tensor *t, const int64_t *index, double value) {
  char *p = tg_storage_ptr(t, index_offset("tg_set", t, index));
  bool record = tg_inplace_prepare("tg_set", t, NULL);
  tg_store(p, t->dtype, value);
  tg_bump_version(t);
  if (record)
    tg_inplace_set_args(tg_inplace_record(&tg_op_set_inplace, t, NULL), index, t->ndim);
}

static void *typed_data(const tg_tensor *t, tg_dtype dtype, const char *op) {
  tg_use(t, op);
  if (t->dtype != dtype)
    tg_error("%s: the tensor is %s, not %s", op, tg_dtype_name(t->dtype),
             tg_dtype_name(dtype));
  if (!tg_is_contiguous(t))
    tg_error("%s: the tensor is not contiguous (call tg_contiguous first)", op);
  return tg_ptr(t);
}

/* A writable pointer may be written through. Checked mode counts that as
 * a write: a tensor a recorded op saved then fails backward's version
 * check instead of giving a wrong gradient. Readers use tg_cdata_*. */
static void *writable_data(tg_tensor *t, tg_dtype dtype, const char *op) {
  void *data = typed_data(t, dtype, op);
  TG_CHECKED_HOOK(tg_bump_version(t));
  return data;
}

float *tg_data_f32(tg_tensor *t) {
  return writable_data(t, TG_FLOAT32, "tg_data_f32");
}
double *tg_data_f64(tg_tensor *t) {
  return writable_data(t, TG_FLOAT64, "tg_data_f64");
}
int64_t *tg_data_i64(tg_tensor *t) {
  return writable_data(t, TG_INT64, "tg_data_i64");
}
bool *tg_data_bool(tg_tensor *t) {
  return writable_data(t, TG_BOOL, "tg_data_bool");
}

const float *tg_cdata_f32(const tg_tensor *t) {
  return typed_data(t, TG_FLOAT32, "tg_cdata_f32");
}
const double *tg_cdata_f64(const tg_tensor *t) {
  return typed_data(t, TG_FLOAT64, "tg_cdata_f64");
}
const int64_t *tg_cdata_i64(const tg_tensor *t) {
  return typed_data(t, TG_INT64, "tg_cdata_i64");
}
const bool *tg_cdata_bool(const tg_tensor *t) {
  return typed_data(t, TG_BOOL, "tg_cdata_bool");
}

void tg_copy_to_f64(const tg_tensor *t, double *out) {
  int64_t n = tg_numel(t);
  bool contiguous = tg_is_contiguous(t);
  if (contiguous && t->dtype == TG_FLOAT64) {
    memcpy(out, tg_ptr(t), sizeof(double) * (size_t)n);
    return;
  }
  if (contiguous && t->dtype == TG_FLOAT32) { /* a batch's predictions, say */
    const float *x = (const float *)tg_ptr(t);
    for (int64_t i = 0; i < n; i++) out[i] = x[i];
    return;
  }
  for (int64_t i = 0; i < n; i++) out[i] = tg_load(tg_flat_ptr(t, i), t->dtype);
}

/* ---- copying between any two layouts ---- */

/* n elements of `size` bytes between two strided runs. Inlined with a
 * constant size, each memcpy compiles to one move: no call per element. */
TG_INLINE void copy_run(char **p, const int64_t *s, int64_t n, size_t size) {
  for (int64_t i = 0; i < n; i++) memcpy(p[0] + i * s[0], p[1] + i * s[1], size);
}

static void copy_same_dtype(char **p, const int64_t *s, int64_t n, void *ctx) {
  size_t elem = *(const size_t *)ctx;
  if (s[0] == (int64_t)elem && s[1] == (int64_t)elem)
    memcpy(p[0], p[1], elem * (size_t)n);
  else if (elem == sizeof(uint64_t))
    copy_run(p, s, n, sizeof(uint64_t));
  else if (elem == sizeof(uint32_t))
    copy_run(p, s, n, sizeof(uint32_t));
  else
    copy_run(p, s, n, elem);
}

typedef struct convert_ctx {
  tg_dtype to, from;
} convert_ctx;

static void copy_convert(char **p, const int64_t *s, int64_t n, void *ctx) {
  const convert_ctx *c = ctx;
  for (int64_t i = 0; i < n; i++)
    tg_store(p[0] + i * s[0], c->to, tg_load(p[1] + i * s[1], c->from));
}

void tg_copy_into(tg_tensor *dst, const tg_tensor *src) {
  tg_shape shape = tg_shape_of(dst);
  tg_broadcast_shapes("tg_copy_", tg_shape_of(src), shape); /* checks */
  if (src->ndim > dst->ndim) {
    char a[TG_SHAPE_STR_MAX], b[TG_SHAPE_STR_MAX];
    tg_error("tg_copy_: source of shape %s cannot be copied into shape %s",
             tg_shape_str(tg_shape_of(src), a), tg_shape_str(shape, b));
  }
  tg_tensor *ops[2] = {dst, (tg_tensor *)src};
  if (dst->dtype == src->dtype) {
    size_t elem = tg_dtype_size(dst->dtype);
    tg_run_elementwise(shape, 2, ops, copy_same_dtype, &elem);
  } else {
    convert_ctx c = {dst->dtype, src->dtype};
    tg_run_elementwise(shape, 2, ops, copy_convert, &c);
  }
}

/* ---- in-place ---- */

void tg_copy_(tg_tensor *dst, const tg_tensor *src) {
  for (int i = 0; i < src->ndim && i < dst->ndim; i++) {
    int64_t ds = dst->shape[dst->ndim - 1 - i], ss = src->shape[src->ndim - 1 - i];
    if (ss != ds && ss != 1) {
      char a[TG_SHAPE_STR_MAX], b[TG_SHAPE_STR_MAX];
      tg_error("tg_copy_: source of shape %s cannot be copied into shape %s",
               tg_shape_str(tg_shape_of(src), a), tg_shape_str(tg_shape_of(dst), b));
    }
  }
  bool record = tg_inplace_prepare("tg_copy_", dst, src);
  tg_copy_into(dst, src);
  tg_bump_version(dst);
  if (record) tg_inplace_record(&tg_op_copy_inplace, dst, (tg_tensor *)src);
}

/* One element's bytes, repeated: typed stores the compiler can vectorise
 * for contiguous runs of 8- and 4-byte elements, memcpy for the rest. */
static void fill_loop(char **p, const int64_t *s, int64_t n, void *ctx) {
  const tg_tensor *value = ctx; /* a one-element tensor of the right dtype */
  const void *bytes = value->storage->data;
  size_t elem = tg_dtype_size(value->dtype);
  if (elem == sizeof(uint64_t) && s[0] == (int64_t)elem) {
    uint64_t v, *restrict out = (uint64_t *)p[0];
    memcpy(&v, bytes, sizeof v);
    for (int64_t i = 0; i < n; i++) out[i] = v;
  } else if (elem == sizeof(uint32_t) && s[0] == (int64_t)elem) {
    uint32_t v, *restrict out = (uint32_t *)p[0];
    memcpy(&v, bytes, sizeof v);
    for (int64_t i = 0; i < n; i++) out[i] = v;
  } else {
    for (int64_t i = 0; i < n; i++) memcpy(p[0] + i * s[0], bytes, elem);
  }
}

/* Bytes [begin, end) of a block set to zero: large zero_grads on threads. */
static void zero_bytes(int64_t begin, int64_t end, void *data) {
  memset((char *)data + begin, 0, (size_t)(end - begin));
}

static void fill_values(tg_tensor *t, double value) {
  tg_tensor cell = {0};
  char bytes[sizeof(double)];
  tg_storage storage = {1, bytes, sizeof bytes, 0};
  cell.dtype = t->dtype;
  cell.storage = &storage;
  tg_store(bytes, t->dtype, value);
  if (value == 0 && !signbit(value) &&
      tg_is_contiguous(t)) { /* zero_grad: all-zero bits */
    int64_t elem = (int64_t)tg_dtype_size(t->dtype);
    tg_parallel_for(tg_numel(t) * elem, tg_parallel_grain() * elem, zero_bytes,
                    tg_ptr(t));
    tg_bump_version(t);
    return;
  }
  tg_run_elementwise(tg_shape_of(t), 1, &t, fill_loop, &cell);
  tg_bump_version(t);
}

void tg_fill_(tg_tensor *t, double value) {
  bool record = tg_inplace_prepare("tg_fill_", t, NULL);
  fill_values(t, value);
  if (record) tg_inplace_record(&tg_op_fill_inplace, t, NULL);
}

void tg_zero_(tg_tensor *t) {
  bool record = tg_inplace_prepare("tg_zero_", t, NULL);
  fill_values(t, 0.0);
  if (record) tg_inplace_record(&tg_op_zero_inplace, t, NULL);
}
