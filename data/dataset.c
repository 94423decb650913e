/* The Dataset interface (reference counting, checked indexing, batching by
 * stacking) and the two datasets that hold or join data: TensorDataset and
 * ConcatDataset. Subset and random_split are in subset.c. */
#include <stdlib.h>
#include <string.h>

#include "tensorgrad/data.h"

void tg_dataset_init(tg_dataset *ds, const tg_dataset_vtable *vtable) {
  if (!vtable || !vtable->name || !vtable->len || !vtable->get_item || !vtable->free)
    tg_error("tg_dataset_init: the vtable needs a name, len, get_item and free");
  ds->vtable = vtable;
  ds->refcount = 1;
}

tg_dataset *tg_dataset_retain(tg_dataset *ds) {
  ds->refcount++;
  return ds;
}

void tg_dataset_release(tg_dataset *ds) {
  if (ds && --ds->refcount == 0) ds->vtable->free(ds);
}

int64_t tg_dataset_len(tg_dataset *ds) {
  return ds->vtable->len(ds);
}

/* Python's index rules: -len <= index < len. */
static int64_t checked_index(const char *fn, tg_dataset *ds, int64_t index) {
  int64_t n = tg_dataset_len(ds);
  if (index < -n || index >= n)
    tg_error("%s: index %lld is out of range for %s of length %lld", fn, (long long)index,
             ds->vtable->name, (long long)n);
  return index < 0 ? index + n : index;
}

void tg_dataset_get(tg_dataset *ds, int64_t index, tg_tensor **x, tg_tensor **y) {
  index = checked_index("tg_dataset_get", ds, index);
  *x = *y = NULL;
  ds->vtable->get_item(ds, index, x, y);
}

static bool same_shape(const tg_tensor *a, const tg_tensor *b) {
  return a->ndim == b->ndim &&
         memcmp(a->shape, b->shape, sizeof(int64_t) * (size_t)a->ndim) == 0;
}

/* Why samples i and 0 cannot be stacked, or NULL when they can. */
static const char *collate_mismatch(tg_tensor *const *xs, tg_tensor *const *ys, int i) {
  if (!same_shape(xs[i], xs[0])) return "x shapes";
  if ((ys[i] == NULL) != (ys[0] == NULL)) return "whether y is present";
  if (ys[0] && !same_shape(ys[i], ys[0])) return "y shapes";
  return NULL;
}

/* default_collate: torch.stack of the samples, made in the caller's scope.
 * Samples that cannot be stacked are reported here, naming the dataset,
 * after the pointer arrays are freed. */
static void stack_samples(tg_dataset *ds, const int64_t *indices, int n, tg_tensor **x,
                          tg_tensor **y) {
  tg_tensor **xs = malloc(sizeof *xs * (size_t)n), **ys = malloc(sizeof *ys * (size_t)n);
  if (!xs || !ys) {
    free(xs);
    free(ys);
    tg_error("tg_dataset_get_batch: out of memory for %d samples", n);
  }
  const char *mismatch = NULL;
  int bad = 0;
  for (int i = 0; i < n && !mismatch; i++) {
    xs[i] = ys[i] = NULL;
    ds->vtable->get_item(ds, indices[i], &xs[i], &ys[i]);
    mismatch = collate_mismatch(xs, ys, i);
    bad = i;
  }
  if (!mismatch) {
    *x = tg_keep(tg_stack(xs, n, 0));
    *y = ys[0] ? tg_keep(tg_stack(ys, n, 0)) : NULL;
  }
  free(xs);
  free(ys);
  if (mismatch)
    tg_error(
        "tg_dataset_get_batch: cannot stack samples %lld and %lld of %s: they differ "
        "in %s",
        (long long)indices[0], (long long)indices[bad], ds->vtable->name, mismatch);
}

void tg_dataset_get_batch(tg_dataset *ds, const int64_t *indices, int64_t n,
                          tg_tensor **x, tg_tensor **y) {
  if (n <= 0 || n > INT32_MAX)
    tg_error("tg_dataset_get_batch: a batch needs 1 to %d samples, got %lld", INT32_MAX,
             (long long)n);
  *x = *y = NULL;
  tg_scope_begin();
  /* The wrapped indices live in a scope-owned tensor, so an error raised
   * while batching (and unwound by the caller) leaks nothing. */
  tg_tensor *wrapped = tg_empty(TG_SHAPE(n), TG_INT64);
  int64_t *w = tg_data_i64(wrapped);
  for (int64_t i = 0; i < n; i++)
    w[i] = checked_index("tg_dataset_get_batch", ds, indices[i]);
  if (ds->vtable->get_batch) {
    ds->vtable->get_batch(ds, w, n, x, y);
    tg_keep(*x);
    if (*y) tg_keep(*y);
  } else {
    stack_samples(ds, w, (int)n, x, y);
  }
  tg_scope_end();
}

/* ---- TensorDataset --------------------------------------------------------- */

typedef struct tensor_dataset {
  tg_dataset base;
  tg_tensor *X, *Y;
} tensor_dataset;

static int64_t tensor_len(tg_dataset *ds) {
  return tg_size(((tensor_dataset *)ds)->X, 0);
}

static void tensor_get_item(tg_dataset *ds, int64_t index, tg_tensor **x, tg_tensor **y) {
  tensor_dataset *td = (tensor_dataset *)ds;
  *x = tg_select(td->X, 0, index);
  *y = td->Y ? tg_select(td->Y, 0, index) : NULL;
}

/* One gather per tensor instead of B selects and a stack. */
static void tensor_get_batch(tg_dataset *ds, const int64_t *indices, int64_t n,
                             tg_tensor **x, tg_tensor **y) {
  tensor_dataset *td = (tensor_dataset *)ds;
  tg_tensor *rows = tg_from_data(indices, TG_SHAPE(n), TG_INT64);
  *x = tg_index_select(td->X, 0, rows);
  *y = td->Y ? tg_index_select(td->Y, 0, rows) : NULL;
}

static void tensor_free(tg_dataset *ds) {
  tensor_dataset *td = (tensor_dataset *)ds;
  tg_release(td->X);
  tg_release(td->Y);
  free(td);
}

static const tg_dataset_vtable tensor_vtable = {
    "TensorDataset", tensor_len, tensor_get_item, tensor_free, tensor_get_batch};

tg_dataset *tg_tensor_dataset_new(tg_tensor *X, tg_tensor *Y) {
  if (!X || X->ndim == 0 || (Y && Y->ndim == 0))
    tg_error("tg_tensor_dataset_new: X%s must have at least one dimension (the samples)",
             Y ? " and Y" : "");
  if (Y && Y->shape[0] != X->shape[0])
    tg_error(
        "tg_tensor_dataset_new: size mismatch between tensors: X has %lld samples but "
        "Y has %lld",
        (long long)X->shape[0], (long long)Y->shape[0]);
  tensor_dataset *td = malloc(sizeof *td);
  if (!td) tg_error("tg_tensor_dataset_new: out of memory");
  tg_dataset_init(&td->base, &tensor_vtable);
  td->X = tg_retain(X);
  td->Y = Y ? tg_retain(Y) : NULL;
  return &td->base;
}

/* ---- ConcatDataset ------------------------------------------------------------ */

typedef struct concat_dataset {
  tg_dataset base;
  int n_parts;
  tg_dataset **parts;
  int64_t *ends; /* ends[i]: samples in parts[0..i] (cumulative_sizes) */
} concat_dataset;

static int64_t concat_len(tg_dataset *ds) {
  concat_dataset *cd = (concat_dataset *)ds;
  return cd->ends[cd->n_parts - 1];
}

static void concat_get_item(tg_dataset *ds, int64_t index, tg_tensor **x, tg_tensor **y) {
  concat_dataset *cd = (concat_dataset *)ds;
  int lo = 0, hi = cd->n_parts - 1; /* the first part whose end is past index */
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (cd->ends[mid] > index)
      hi = mid;
    else
      lo = mid + 1;
  }
  int64_t start = lo == 0 ? 0 : cd->ends[lo - 1];
  cd->parts[lo]->vtable->get_item(cd->parts[lo], index - start, x, y);
}

static void concat_free(tg_dataset *ds) {
  concat_dataset *cd = (concat_dataset *)ds;
  for (int i = 0; i < cd->n_parts; i++) tg_dataset_release(cd->parts[i]);
  free(cd->parts);
  free(cd->ends);
  free(cd);
}

static const tg_dataset_vtable concat_vtable = {"ConcatDataset", concat_len,
                                                concat_get_item, concat_free, NULL};

tg_dataset *tg_concat_dataset_new(tg_dataset *const *parts, int n) {
  if (n <= 0) tg_error("tg_concat_dataset_new: datasets should not be an empty list");
  concat_dataset *cd = malloc(sizeof *cd);
  tg_dataset **kept = malloc(sizeof *kept * (size_t)n);
  int64_t *ends = malloc(sizeof *ends * (size_t)n);
  if (!cd || !kept || !ends) {
    free(cd);
    free(kept);
    free(ends);
    tg_error("tg_concat_dataset_new: out of memory for %d datasets", n);
  }
  int64_t total = 0;
  for (int i = 0; i < n; i++) {
    kept[i] = tg_dataset_retain(parts[i]);
    ends[i] = total += tg_dataset_len(parts[i]);
  }
  tg_dataset_init(&cd->base, &concat_vtable);
  cd->n_parts = n;
  cd->parts = kept;
  cd->ends = ends;
  return &cd->base;
}
