/* io/safetensors.c - dtypes, the writer, lookup and freeing of safetensors
 * files (the validating reader is safetensors_read.c). */
#include "tensorgrad/safetensors.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "json.h"
#include "tensorgrad/tensor.h"

#define WRITER "tg_safetensors_write"

/* `rank` is the dtype's place in the reference implementation's Dtype enum,
 * which is ordered by alignment; its writer lays tensors out by descending
 * rank, then by name, and so does ours, so files come out byte-identical. */
static const struct {
  const char *name;
  size_t size;
  int rank;
} dtypes[] = {
    [TG_ST_F64] = {"F64", 8, 12}, [TG_ST_F32] = {"F32", 4, 11},
    [TG_ST_F16] = {"F16", 2, 7},  [TG_ST_BF16] = {"BF16", 2, 8},
    [TG_ST_I64] = {"I64", 8, 13}, [TG_ST_I32] = {"I32", 4, 9},
    [TG_ST_I16] = {"I16", 2, 5},  [TG_ST_I8] = {"I8", 1, 2},
    [TG_ST_U8] = {"U8", 1, 1},    [TG_ST_BOOL] = {"BOOL", 1, 0},
};

static bool dtype_valid(tg_st_dtype d) {
  return (unsigned)d < sizeof dtypes / sizeof dtypes[0];
}

const char *tg_st_dtype_name(tg_st_dtype d) {
  return dtype_valid(d) ? dtypes[d].name : NULL;
}
size_t tg_st_dtype_size(tg_st_dtype d) {
  return dtype_valid(d) ? dtypes[d].size : 0;
}

/* ---- writing ------------------------------------------------------------------- */

/* The tensors and metadata are the calling code's: a bad one is a tg_error. */
static _Noreturn void misuse(const char *path, const char *name, const char *what) {
  tg_error(WRITER ": %s: tensor \"%s\": %s", path, name, what);
}

static bool valid_utf8(const char *s) {
  size_t n = strlen(s);
  return tg_utf8_invalid_at((const uint8_t *)s, n) == n;
}

/* Checks one tensor the caller handed us: a bad one must not produce a file
 * that readers (ours included) would reject. */
static void check_tensor(const char *path, const tg_st_tensor *t) {
  if (!t->name) misuse(path, "(null)", "name is NULL");
  if (!valid_utf8(t->name)) misuse(path, t->name, "name is not valid UTF-8");
  if (strcmp(t->name, "__metadata__") == 0)
    misuse(path, t->name, "the name __metadata__ is reserved");
  if (!dtype_valid(t->dtype)) misuse(path, t->name, "invalid dtype");
  if (t->ndim < 0 || (t->ndim > 0 && !t->shape))
    misuse(path, t->name, "invalid ndim or NULL shape");
  uint64_t bytes = dtypes[t->dtype].size;
  bool overflow = false;
  for (int i = 0; i < t->ndim; i++) {
    if (t->shape[i] < 0) misuse(path, t->name, "negative dimension");
    uint64_t d = (uint64_t)t->shape[i];
    if (d != 0 && bytes > UINT64_MAX / d)
      overflow = true;
    else
      bytes *= d;
  }
  if (overflow) misuse(path, t->name, "shape and dtype make over 2^64 bytes");
  if (bytes != t->nbytes) {
    char what[96];
    snprintf(what, sizeof what, "nbytes is %zu, but shape and dtype make %" PRIu64,
             t->nbytes, bytes);
    misuse(path, t->name, what);
  }
  if (t->nbytes && !t->data) misuse(path, t->name, "data is NULL");
}

static int by_layout(const void *a, const void *b) {
  const tg_st_tensor *x = *(const tg_st_tensor *const *)a,
                     *y = *(const tg_st_tensor *const *)b;
  int rx = dtypes[x->dtype].rank, ry = dtypes[y->dtype].rank;
  if (rx != ry) return ry - rx;
  return strcmp(x->name, y->name);
}

static int by_name(const void *a, const void *b) {
  return strcmp((*(const tg_st_tensor *const *)a)->name,
                (*(const tg_st_tensor *const *)b)->name);
}

/* Checks everything, then returns the tensors in file order (malloc'd), or
 * NULL with tg_last_error set when memory runs out. */
static const tg_st_tensor **plan_layout(const char *path, const tg_st_tensor *tensors,
                                        size_t n, const tg_st_meta *meta, size_t nmeta) {
  for (size_t i = 0; i < n; i++) check_tensor(path, &tensors[i]);
  for (size_t i = 0; i < nmeta; i++)
    if (!meta[i].key || !meta[i].value || !valid_utf8(meta[i].key) ||
        !valid_utf8(meta[i].value))
      tg_error(WRITER ": %s: metadata entry %zu is NULL or not valid UTF-8", path, i);
  const tg_st_tensor **order = malloc((n ? n : 1) * sizeof *order);
  if (!order) {
    tg_set_last_error(WRITER ": %s: out of memory", path);
    return NULL;
  }
  for (size_t i = 0; i < n; i++) order[i] = &tensors[i];
  qsort(order, n, sizeof *order, by_name);
  for (size_t i = 1; i < n; i++) {
    if (strcmp(order[i - 1]->name, order[i]->name) == 0) {
      const char *twice = order[i]->name; /* the caller's string */
      free(order);
      misuse(path, twice, "name given twice");
    }
  }
  qsort(order, n, sizeof *order, by_layout);
  return order;
}

static void put_uint(tg_bytes *out, uint64_t v) {
  char digits[24];
  int len = snprintf(digits, sizeof digits, "%" PRIu64, v);
  tg_bytes_append(out, digits, (size_t)len);
}

/* Compact JSON like serde_json's, padded with spaces to a multiple of 8. */
static void build_header(tg_bytes *h, const tg_st_tensor **order, size_t n,
                         const tg_st_meta *meta, size_t nmeta) {
  tg_bytes_append(h, "{", 1);
  if (nmeta) {
    tg_bytes_append(h, "\"__metadata__\":{", 16);
    for (size_t i = 0; i < nmeta; i++) {
      if (i) tg_bytes_append(h, ",", 1);
      tg_json_put_string(h, meta[i].key);
      tg_bytes_append(h, ":", 1);
      tg_json_put_string(h, meta[i].value);
    }
    tg_bytes_append(h, "}", 1);
  }
  uint64_t offset = 0;
  for (size_t i = 0; i < n; i++) {
    const tg_st_tensor *t = order[i];
    if (i || nmeta) tg_bytes_append(h, ",", 1);
    tg_json_put_string(h, t->name);
    tg_bytes_append(h, ":{\"dtype\":", 10);
    tg_json_put_string(h, dtypes[t->dtype].name);
    tg_bytes_append(h, ",\"shape\":[", 10);
    for (int d = 0; d < t->ndim; d++) {
      if (d) tg_bytes_append(h, ",", 1);
      put_uint(h, (uint64_t)t->shape[d]);
    }
    tg_bytes_append(h, "],\"data_offsets\":[", 18);
    put_uint(h, offset);
    tg_bytes_append(h, ",", 1);
    offset += t->nbytes;
    put_uint(h, offset);
    tg_bytes_append(h, "]}", 2);
  }
  tg_bytes_append(h, "}", 1);
  while (h->len % 8) tg_bytes_append(h, " ", 1);
}

int tg_safetensors_write(const char *path, const tg_st_tensor *tensors, size_t n,
                         const tg_st_meta *meta, size_t nmeta) {
  if (!path) tg_error("tg_safetensors_write: path is NULL");
  const tg_st_tensor **order = plan_layout(path, tensors, n, meta, nmeta);
  if (!order) return -1;
  tg_bytes header = TG_BYTES_INIT, length = TG_BYTES_INIT;
  build_header(&header, order, n, meta, nmeta);
  tg_bytes_append_u64le(&length, header.len);
  int status = -1;
  tg_atomic_file f;
  if (header.failed || length.failed) {
    tg_set_last_error(WRITER ": %s: out of memory", path);
  } else if (tg_atomic_open(&f, path, WRITER) == 0) {
    status = tg_atomic_write(&f, length.data, length.len);
    if (status == 0) status = tg_atomic_write(&f, header.data, header.len);
    for (size_t i = 0; i < n && status == 0; i++)
      status = tg_atomic_write(&f, order[i]->data, order[i]->nbytes);
    status = status == 0 ? tg_atomic_commit(&f) : (tg_atomic_abort(&f), -1);
  }
  tg_bytes_free(&header);
  tg_bytes_free(&length);
  free(order);
  return status;
}

/* ---- lookup and freeing --------------------------------------------------------- */

const tg_st_tensor *tg_safetensors_find(const tg_st_file *f, const char *name) {
  for (size_t i = 0; i < f->ntensors; i++)
    if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
  return NULL;
}

const char *tg_safetensors_meta_get(const tg_st_file *f, const char *key) {
  for (size_t i = 0; i < f->nmeta; i++)
    if (strcmp(f->meta[i].key, key) == 0) return f->meta[i].value;
  return NULL;
}

void tg_safetensors_free(tg_st_file *f) {
  if (!f) return;
  /* The reader allocated every name, shape and string; const is for users. */
  for (size_t i = 0; i < f->ntensors; i++) {
    free((void *)f->tensors[i].name);
    free((void *)f->tensors[i].shape);
  }
  for (size_t i = 0; i < f->nmeta; i++) {
    free((void *)f->meta[i].key);
    free((void *)f->meta[i].value);
  }
  free(f->tensors);
  free(f->meta);
  free(f->owned_bytes);
  free(f);
}
