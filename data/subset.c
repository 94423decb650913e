/* Subset (a view of some samples of another dataset) and random_split. */
#include <math.h>
#include <stdlib.h>

#include "tensorgrad/data.h"

typedef struct subset {
  tg_dataset base;
  tg_dataset *parent;
  int64_t n;
  int64_t *indices; /* into parent, already wrapped to 0 <= i < len(parent) */
} subset;

static int64_t subset_len(tg_dataset *ds) {
  return ((subset *)ds)->n;
}

static void subset_get_item(tg_dataset *ds, int64_t index, tg_tensor **x, tg_tensor **y) {
  subset *s = (subset *)ds;
  s->parent->vtable->get_item(s->parent, s->indices[index], x, y);
}

/* Forwards the batch to the parent, so a Subset of a TensorDataset batches
 * with one gather too. */
static void subset_get_batch(tg_dataset *ds, const int64_t *indices, int64_t n,
                             tg_tensor **x, tg_tensor **y) {
  subset *s = (subset *)ds;
  tg_tensor *mapped = tg_empty(TG_SHAPE(n), TG_INT64);
  int64_t *m = tg_data_i64(mapped);
  for (int64_t i = 0; i < n; i++) m[i] = s->indices[indices[i]];
  tg_dataset_get_batch(s->parent, m, n, x, y);
}

static void subset_free(tg_dataset *ds) {
  subset *s = (subset *)ds;
  tg_dataset_release(s->parent);
  free(s->indices);
  free(s);
}

static const tg_dataset_vtable subset_vtable = {"Subset", subset_len, subset_get_item,
                                                subset_free, subset_get_batch};

tg_dataset *tg_subset_new(tg_dataset *ds, const int64_t *indices, int64_t n) {
  if (n < 0) tg_error("tg_subset_new: n must be non-negative, got %lld", (long long)n);
  int64_t len = tg_dataset_len(ds);
  for (int64_t i = 0; i < n; i++)
    if (indices[i] < -len || indices[i] >= len)
      tg_error(
          "tg_subset_new: index %lld (entry %lld) is out of range for %s of length %lld",
          (long long)indices[i], (long long)i, ds->vtable->name, (long long)len);
  subset *s = malloc(sizeof *s);
  int64_t *kept = malloc(sizeof *kept * (size_t)(n > 0 ? n : 1));
  if (!s || !kept) {
    free(s);
    free(kept);
    tg_error("tg_subset_new: out of memory for %lld indices", (long long)n);
  }
  for (int64_t i = 0; i < n; i++)
    kept[i] = indices[i] < 0 ? indices[i] + len : indices[i];
  tg_dataset_init(&s->base, &subset_vtable);
  s->parent = tg_dataset_retain(ds);
  s->n = n;
  s->indices = kept;
  return &s->base;
}

/* ---- random_split --------------------------------------------------------------- */

/* math.isclose(a, b) with its default rel_tol of 1e-9. */
static bool isclose(double a, double b) {
  return fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b));
}

/* PyTorch's reading of fractions: floor(f * len) each, then the remainder
 * one by one round-robin from the first split. */
static void counts_from_fractions(const double *fractions, int n, int64_t len,
                                  int64_t *counts) {
  int64_t assigned = 0;
  for (int i = 0; i < n; i++) {
    if (!(fractions[i] >= 0 && fractions[i] <= 1))
      tg_error("tg_random_split: fraction at index %d (%g) is not between 0 and 1", i,
               fractions[i]);
    counts[i] = (int64_t)floor((double)len * fractions[i]);
    assigned += counts[i];
  }
  for (int64_t r = 0; r < len - assigned; r++) counts[r % n]++;
}

static void counts_from_lengths(const double *lengths, int n, int64_t *counts) {
  for (int i = 0; i < n; i++) {
    if (!(lengths[i] >= 0 && lengths[i] == floor(lengths[i]) && lengths[i] < 9e18))
      tg_error("tg_random_split: length at index %d is %g; lengths are whole counts, or "
               "fractions that sum to 1",
               i, lengths[i]);
    counts[i] = (int64_t)lengths[i];
  }
}

void tg_random_split(tg_dataset *ds, const double *lengths, int n, tg_dataset **out) {
  if (n <= 0) tg_error("tg_random_split: needs at least one length, got %d", n);
  int64_t len = tg_dataset_len(ds);
  double sum = 0;
  for (int i = 0; i < n; i++) sum += lengths[i];
  tg_scope_begin();
  int64_t *counts = tg_data_i64(tg_empty(TG_SHAPE(n), TG_INT64));
  if (isclose(sum, 1) && sum <= 1)
    counts_from_fractions(lengths, n, len, counts);
  else
    counts_from_lengths(lengths, n, counts);
  int64_t total = 0;
  for (int i = 0; i < n; i++) total += counts[i];
  if (total != len)
    tg_error(
        "tg_random_split: sum of input lengths (%lld) does not equal the length of the "
        "input dataset (%lld)",
        (long long)total, (long long)len);
  const int64_t *perm = tg_data_i64(tg_randperm(len));
  int64_t start = 0;
  for (int i = 0; i < n; i++) {
    out[i] = tg_subset_new(ds, perm + start, counts[i]);
    start += counts[i];
  }
  tg_scope_end();
}
