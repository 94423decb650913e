/* data/: the Dataset interface, TensorDataset, Subset, ConcatDataset,
 * random_split and the DataLoader. Shuffling and splitting are checked
 * against PyTorch 1.13's exact index orders and against the state of the
 * global generator afterwards (tests/golden/data.py). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensorgrad/data.h"
#include "test_util.h"

static tg_golden *golden;

static void load_golden(void) {
  golden = tg_golden_load(TG_TEST_DIR "/golden/data.txt");
}
static void free_golden(void) {
  tg_golden_free(golden);
  golden = NULL;
}

static const double *golden_values(const char *name, int64_t *n) {
  return tg_golden_get(golden, name, n, NULL);
}

/* The global generator's next 4 float64 uniforms must be PyTorch's: proves
 * the step before drew exactly as many numbers as PyTorch did. */
static void assert_generator_after(const char *name) {
  char key[128];
  snprintf(key, sizeof key, "%s_after", name);
  int64_t n;
  const double *want = golden_values(key, &n);
  tg_tensor *next = tg_rand(TG_SHAPE(4), TG_FLOAT64);
  tg_assert_close_data(next, want, n, 0, 0, key);
  tg_release(next);
}

/* A dataset whose X is arange(n) (as int64) and Y = 10 * X. */
static tg_dataset *index_dataset(int64_t n) {
  tg_tensor *x = tg_arange(0, (double)n, 1, TG_INT64);
  tg_tensor *y = tg_mul_scalar(x, 10);
  tg_dataset *ds = tg_tensor_dataset_new(x, y);
  tg_release(x);
  tg_release(y);
  return ds;
}

/* Runs one epoch, writing the sample order (read from X) into order and the
 * batch sizes into sizes; returns the number of batches. */
static int64_t run_epoch(tg_dataloader *loader, int64_t *order, int64_t *sizes) {
  tg_loader_iter it = tg_loader_begin(loader);
  tg_tensor *X, *Y;
  int64_t batches = 0, k = 0;
  while (tg_loader_next(&it, &X, &Y)) {
    tg_scope_begin();
    ck_assert_int_eq(Y->ndim, 1);
    for (int64_t i = 0; i < tg_size(X, 0); i++) {
      ck_assert_int_eq((int64_t)tg_get_flat(Y, i), 10 * (int64_t)tg_get_flat(X, i));
      order[k++] = (int64_t)tg_get_flat(X, i);
    }
    sizes[batches++] = tg_size(X, 0);
    tg_scope_end();
  }
  return batches;
}

/* ---- a user dataset, as the lecture's MoonsDataSet -------------------------------- */

typedef struct moons_dataset {
  tg_dataset base;
  tg_tensor *X, *Y;
} moons_dataset;

static int64_t moons_len(tg_dataset *d) {
  return tg_size(((moons_dataset *)d)->X, 0);
}

static void moons_get(tg_dataset *d, int64_t index, tg_tensor **x, tg_tensor **y) {
  moons_dataset *m = (moons_dataset *)d;
  *x = tg_select(m->X, 0, index);
  *y = tg_select(m->Y, 0, index);
}

static void moons_free(tg_dataset *d) {
  moons_dataset *m = (moons_dataset *)d;
  tg_release(m->X);
  tg_release(m->Y);
  free(m);
}

static const tg_dataset_vtable moons_vtable = {
    .name = "MoonsDataSet", .len = moons_len, .get_item = moons_get, .free = moons_free};

static tg_dataset *moons_new(tg_tensor *X, tg_tensor *Y) {
  moons_dataset *m = malloc(sizeof *m);
  ck_assert_ptr_nonnull(m);
  tg_dataset_init(&m->base, &moons_vtable);
  m->X = tg_retain(X);
  m->Y = tg_retain(Y);
  return &m->base;
}

START_TEST(test_user_dataset_batches_like_the_lecture) {
  tg_manual_seed(1);
  tg_tensor *X = tg_randn(TG_SHAPE(50, 2), TG_FLOAT32);
  tg_tensor *Y = tg_rand(TG_SHAPE(50, 1), TG_FLOAT32);
  tg_dataset *ds = moons_new(X, Y);
  ck_assert_int_eq(tg_dataset_len(ds), 50);
  tg_dataloader *loader = tg_dataloader_new(ds, 16, false, false);
  tg_dataset_release(ds); /* the loader keeps it alive */
  ck_assert_int_eq(tg_dataloader_len(loader), 4);
  int64_t sizes[] = {16, 16, 16, 2}, b = 0, row = 0;
  tg_loader_iter it = tg_loader_begin(loader);
  tg_tensor *Xb, *Yb;
  while (tg_loader_next(&it, &Xb, &Yb)) {
    tg_assert_shape(Xb, TG_SHAPE(sizes[b], 2)); /* "Size of X_train?" */
    tg_assert_shape(Yb, TG_SHAPE(sizes[b], 1));
    ck_assert_int_eq(Xb->dtype, TG_FLOAT32);
    for (int64_t i = 0; i < sizes[b]; i++, row++)
      for (int64_t j = 0; j < 2; j++)
        ck_assert(tg_get(Xb, (int64_t[]){i, j}) == tg_get(X, (int64_t[]){row, j}));
    b++;
  }
  ck_assert_int_eq(b, 4);
  ck_assert(!tg_loader_next(&it, &Xb, &Yb)); /* stays finished */
  ck_assert_ptr_null(Xb);
  tg_dataloader_free(loader);
  tg_release(X);
  tg_release(Y);
}
END_TEST

/* One shuffled epoch of (X, Y) values, flattened into x and y. */
static void epoch_values(tg_dataloader *loader, uint64_t seed, double *x, double *y) {
  tg_manual_seed(seed);
  tg_loader_iter it = tg_loader_begin(loader);
  tg_tensor *X, *Y;
  while (tg_loader_next(&it, &X, &Y)) {
    tg_copy_to_f64(X, x);
    tg_copy_to_f64(Y, y);
    x += tg_numel(X);
    y += tg_numel(Y);
    ck_assert_int_eq(Y->dtype, TG_INT64);
  }
}

/* The gather fast path of TensorDataset gives the same batches as stacking
 * a user dataset's samples one by one. */
START_TEST(test_gather_equals_stacking) {
  tg_manual_seed(2);
  tg_tensor *X = tg_randn(TG_SHAPE(23, 3), TG_FLOAT64);
  tg_tensor *Y = tg_randint(0, 3, TG_SHAPE(23, 1));
  tg_dataset *user = moons_new(X, Y), *tensors = tg_tensor_dataset_new(X, Y);
  tg_dataloader *a = tg_dataloader_new(user, 5, true, false);
  tg_dataloader *b = tg_dataloader_new(tensors, 5, true, false);
  double xa[69], ya[23], xb[69], yb[23];
  epoch_values(a, 9, xa, ya);
  epoch_values(b, 9, xb, yb);
  ck_assert(memcmp(xa, xb, sizeof xa) == 0);
  ck_assert(memcmp(ya, yb, sizeof ya) == 0);
  epoch_values(b, 10, xb, yb); /* and the test can fail: another seed differs */
  ck_assert(memcmp(xa, xb, sizeof xa) != 0);
  tg_dataloader_free(a);
  tg_dataloader_free(b);
  tg_dataset_release(user);
  tg_dataset_release(tensors);
  tg_release(X);
  tg_release(Y);
}
END_TEST

/* ---- TensorDataset, Subset, ConcatDataset -------------------------------------------
 */

START_TEST(test_tensor_dataset_items) {
  tg_dataset *ds = index_dataset(6);
  tg_scope_begin();
  tg_tensor *x, *y;
  tg_dataset_get(ds, 4, &x, &y);
  ck_assert_int_eq(x->ndim, 0);
  ck_assert_int_eq((int64_t)tg_item(x), 4);
  ck_assert_int_eq((int64_t)tg_item(y), 40);
  tg_dataset_get(ds, -1, &x, &y); /* Python's negative index */
  ck_assert_int_eq((int64_t)tg_item(x), 5);
  TG_EXPECT_ERROR(
      tg_dataset_get(ds, 6, &x, &y),
      "tg_dataset_get: index 6 is out of range for TensorDataset of length 6");
  TG_EXPECT_ERROR(tg_dataset_get(ds, -7, &x, &y), "index -7 is out of range");
  tg_dataset_get_batch(ds, (int64_t[]){5, -6, 2}, 3, &x, &y);
  tg_assert_close_data(y, (double[]){50, 0, 20}, 3, 0, 0, "batch y");
  TG_EXPECT_ERROR(tg_dataset_get_batch(ds, (int64_t[]){1}, 0, &x, &y),
                  "tg_dataset_get_batch: a batch needs 1 to 2147483647 samples, got 0");
  TG_EXPECT_ERROR(
      tg_dataset_get_batch(ds, (int64_t[]){1, 9}, 2, &x, &y),
      "tg_dataset_get_batch: index 9 is out of range for TensorDataset of length 6");
  tg_scope_end();
  tg_dataset_release(ds);
}
END_TEST

START_TEST(test_tensor_dataset_errors_and_unlabelled) {
  tg_tensor *x = tg_zeros(TG_SHAPE(4, 2), TG_FLOAT32),
            *y = tg_zeros(TG_SHAPE(3), TG_INT64);
  tg_tensor *scalar = tg_scalar(1, TG_FLOAT32);
  TG_EXPECT_ERROR(
      tg_tensor_dataset_new(x, y),
      "tg_tensor_dataset_new: size mismatch between tensors: X has 4 samples but "
      "Y has 3");
  TG_EXPECT_ERROR(tg_tensor_dataset_new(scalar, NULL),
                  "tg_tensor_dataset_new: X must have at least one dimension");
  tg_dataset *ds = tg_tensor_dataset_new(x, NULL);
  tg_dataloader *loader = tg_dataloader_new(ds, 3, false, false);
  tg_loader_iter it = tg_loader_begin(loader);
  tg_tensor *X, *Y;
  ck_assert(tg_loader_next(&it, &X, &Y));
  tg_assert_shape(X, TG_SHAPE(3, 2));
  ck_assert_ptr_null(Y);
  tg_loader_end(&it);
  tg_loader_end(&it); /* idempotent */
  ck_assert(!tg_loader_next(&it, &X, &Y));
  tg_dataloader_free(loader);
  tg_dataset_release(ds);
  tg_release(x);
  tg_release(y);
  tg_release(scalar);
}
END_TEST

START_TEST(test_subset_and_concat) {
  tg_dataset *a = index_dataset(4), *b = index_dataset(3), *empty = index_dataset(0);
  tg_dataset *sub = tg_subset_new(a, (int64_t[]){3, -4, 2}, 3);
  tg_dataset *parts[] = {sub, empty, b};
  tg_dataset *cat = tg_concat_dataset_new(parts, 3);
  tg_dataset_release(a); /* the subset holds a */
  ck_assert_int_eq(tg_dataset_len(cat), 6);
  int64_t want[] = {3, 0, 2, 0, 1, 2};
  tg_scope_begin();
  for (int64_t i = 0; i < 6; i++) {
    tg_tensor *x, *y;
    tg_dataset_get(cat, i, &x, &y);
    ck_assert_int_eq((int64_t)tg_item(x), want[i]);
  }
  tg_tensor *x, *y; /* the stacking path (ConcatDataset has no gather) */
  tg_dataset_get_batch(cat, (int64_t[]){5, 0, 3}, 3, &x, &y);
  tg_assert_close_data(x, (double[]){2, 3, 0}, 3, 0, 0, "concat batch");
  tg_assert_close_data(y, (double[]){20, 30, 0}, 3, 0, 0, "concat batch y");
  tg_dataset_get_batch(sub, (int64_t[]){2, 0}, 2, &x, &y); /* forwarded to a's gather */
  tg_assert_close_data(x, (double[]){2, 3}, 2, 0, 0, "subset batch");
  tg_scope_end();
  TG_EXPECT_ERROR(tg_subset_new(b, (int64_t[]){0, 3}, 2),
                  "tg_subset_new: index 3 (entry 1) is out of range for TensorDataset of "
                  "length 3");
  TG_EXPECT_ERROR(tg_concat_dataset_new(parts, 0),
                  "tg_concat_dataset_new: datasets should not be an empty list");
  tg_dataset_release(sub);
  tg_dataset_release(b);
  tg_dataset_release(empty);
  tg_dataset_release(cat);
}
END_TEST

/* Samples the default collate cannot stack are reported with the dataset. */
START_TEST(test_collate_mismatch) {
  tg_tensor *x2 = tg_zeros(TG_SHAPE(2, 2), TG_FLOAT32),
            *x3 = tg_zeros(TG_SHAPE(2, 3), TG_FLOAT32);
  tg_tensor *y = tg_zeros(TG_SHAPE(2), TG_INT64);
  tg_dataset *a = tg_tensor_dataset_new(x2, y), *b = tg_tensor_dataset_new(x3, y);
  tg_dataset *c = tg_tensor_dataset_new(x2, NULL);
  tg_dataset *shapes[] = {a, b}, *labels[] = {a, c};
  tg_dataset *cat_shapes = tg_concat_dataset_new(shapes, 2);
  tg_dataset *cat_labels = tg_concat_dataset_new(labels, 2);
  tg_tensor *X, *Y;
  TG_EXPECT_ERROR(
      tg_dataset_get_batch(cat_shapes, (int64_t[]){0, 3}, 2, &X, &Y),
      "tg_dataset_get_batch: cannot stack samples 0 and 3 of ConcatDataset: they "
      "differ in x shapes");
  TG_EXPECT_ERROR(tg_dataset_get_batch(cat_labels, (int64_t[]){1, 2}, 2, &X, &Y),
                  "differ in whether y is present");
  tg_dataloader *loader = tg_dataloader_new(cat_shapes, 4, false, false);
  tg_loader_iter it = tg_loader_begin(loader);
  TG_EXPECT_ERROR(tg_loader_next(&it, &X, &Y), "cannot stack samples 0 and 2");
  tg_loader_end(&it);
  tg_dataloader_free(loader);
  tg_dataset *all[] = {a, b, c, cat_shapes, cat_labels};
  for (int i = 0; i < 5; i++) tg_dataset_release(all[i]);
  tg_release(x2);
  tg_release(x3);
  tg_release(y);
}
END_TEST

/* ---- random_split
 * ---------------------------------------------------------------------- */

typedef struct split_case {
  const char *name;
  int64_t n;
  int n_parts;
  double lengths[3];
  uint64_t seed;
} split_case;

static const split_case split_cases[] = {
    {"counts", 10, 2, {3, 7}, 0},
    {"fractions", 30, 3, {0.3, 0.3, 0.4}, 42},
    {"remainder", 11, 2, {0.5, 0.5}, 5},
    {"three", 7, 3, {2, 0, 5}, 9},
};

START_TEST(test_random_split_golden) {
  const split_case *c = &split_cases[_i];
  tg_dataset *ds = index_dataset(c->n), *parts[3];
  tg_manual_seed(c->seed);
  tg_random_split(ds, c->lengths, c->n_parts, parts);
  char name[128];
  snprintf(name, sizeof name, "split_%s", c->name);
  assert_generator_after(name);
  tg_dataset_release(ds); /* the subsets keep it */
  for (int i = 0; i < c->n_parts; i++) {
    snprintf(name, sizeof name, "split_%s_%d", c->name, i);
    int64_t n;
    const double *want = golden_values(name, &n);
    if (n == 1 && want[0] == -1) n = 0; /* an empty split */
    ck_assert_int_eq(tg_dataset_len(parts[i]), n);
    tg_scope_begin();
    for (int64_t k = 0; k < n; k++) {
      tg_tensor *x, *y;
      tg_dataset_get(parts[i], k, &x, &y);
      ck_assert_int_eq((int64_t)tg_item(x), (int64_t)want[k]);
    }
    tg_scope_end();
    tg_dataset_release(parts[i]);
  }
}
END_TEST

START_TEST(test_random_split_errors) {
  tg_dataset *ds = index_dataset(10), *parts[3];
  TG_EXPECT_ERROR(
      tg_random_split(ds, (double[]){3, 6}, 2, parts),
      "tg_random_split: sum of input lengths (9) does not equal the length of the "
      "input dataset (10)");
  TG_EXPECT_ERROR(tg_random_split(ds, (double[]){1.5, -0.5}, 2, parts),
                  "tg_random_split: fraction at index 0 (1.5) is not between 0 and 1");
  TG_EXPECT_ERROR(
      tg_random_split(ds, (double[]){2.5, 7.5}, 2, parts),
      "tg_random_split: length at index 0 is 2.5; lengths are whole counts, or "
      "fractions that sum to 1");
  TG_EXPECT_ERROR(tg_random_split(ds, (double[]){12, -2}, 2, parts),
                  "length at index 1 is -2");
  TG_EXPECT_ERROR(tg_random_split(ds, NULL, 0, parts),
                  "tg_random_split: needs at least one length, got 0");
  tg_dataset_release(ds);
}
END_TEST

/* ---- the DataLoader -------------------------------------------------------------------
 */

START_TEST(test_loader_errors) {
  tg_dataset *ds = index_dataset(5), *empty = index_dataset(0);
  TG_EXPECT_ERROR(tg_dataloader_new(ds, 0, false, false),
                  "tg_dataloader_new: batch_size should be a positive integer, got 0");
  TG_EXPECT_ERROR(tg_dataloader_new(ds, -3, true, false), "got -3");
  TG_EXPECT_ERROR(tg_dataloader_new(empty, 4, true, false),
                  "tg_dataloader_new: the dataset (TensorDataset) is empty; a DataLoader "
                  "needs at least one sample");
  TG_EXPECT_ERROR(tg_dataloader_new(NULL, 4, true, false),
                  "tg_dataloader_new: the dataset is NULL");
  tg_dataset_release(ds);
  tg_dataset_release(empty);
}
END_TEST

/* Every sample once per epoch, the short last batch, drop_last. */
START_TEST(test_epoch_covers_every_sample) {
  tg_dataset *ds = index_dataset(37);
  tg_manual_seed(5);
  for (int drop_last = 0; drop_last <= 1; drop_last++) {
    tg_dataloader *loader = tg_dataloader_new(ds, 8, true, drop_last);
    ck_assert_int_eq(tg_dataloader_len(loader), drop_last ? 4 : 5);
    for (int epoch = 0; epoch < 3; epoch++) {
      int64_t order[37], sizes[5], seen[37] = {0};
      int64_t batches = run_epoch(loader, order, sizes);
      ck_assert_int_eq(batches, tg_dataloader_len(loader));
      for (int b = 0; b < 4; b++) ck_assert_int_eq(sizes[b], 8);
      if (!drop_last) ck_assert_int_eq(sizes[4], 5);
      int64_t total = drop_last ? 32 : 37;
      for (int64_t k = 0; k < total; k++) seen[order[k]]++;
      int64_t once = 0;
      for (int64_t k = 0; k < 37; k++) {
        ck_assert_int_le(seen[k], 1);
        once += seen[k];
      }
      ck_assert_int_eq(once, total);
    }
    tg_dataloader_free(loader);
  }
  /* batch larger than the data: one short batch, or none with drop_last */
  tg_dataloader *big = tg_dataloader_new(ds, 100, false, false);
  tg_dataloader *none = tg_dataloader_new(ds, 100, false, true);
  int64_t order[37], sizes[1];
  ck_assert_int_eq(run_epoch(big, order, sizes), 1);
  ck_assert_int_eq(sizes[0], 37);
  for (int64_t k = 0; k < 37; k++) ck_assert_int_eq(order[k], k); /* unshuffled */
  ck_assert_int_eq(tg_dataloader_len(none), 0);
  ck_assert_int_eq(run_epoch(none, order, sizes), 0);
  tg_dataloader_free(big);
  tg_dataloader_free(none);
  tg_dataset_release(ds);
}
END_TEST

START_TEST(test_shuffle_differs_per_epoch_and_repeats_per_seed) {
  tg_dataset *ds = index_dataset(20);
  tg_dataloader *loader = tg_dataloader_new(ds, 6, true, false);
  int64_t first[2][20], again[2][20], sizes[4];
  for (int run = 0; run < 2; run++) {
    tg_manual_seed(77);
    run_epoch(loader, run == 0 ? first[0] : again[0], sizes);
    run_epoch(loader, run == 0 ? first[1] : again[1], sizes);
  }
  ck_assert(memcmp(first, again, sizeof first) == 0);
  ck_assert(memcmp(first[0], first[1], sizeof first[0]) != 0);
  tg_dataloader_free(loader);
  tg_dataset_release(ds);
}
END_TEST

/* The raw draws the loader is built on: int64 random_() and randperm on a
 * private generator seeded with a 63-bit seed. */
START_TEST(test_torch_draws_golden) {
  static const uint64_t seeds[] = {0, 42, 1234};
  for (int s = 0; s < 3; s++) {
    char name[64];
    int64_t n;
    tg_manual_seed(seeds[s]);
    snprintf(name, sizeof name, "int64_random_%llu", (unsigned long long)seeds[s]);
    const double *want = golden_values(name, &n);
    for (int64_t i = 0; i < n; i++) {
      /* %.17g of a number below 2^63 is exact to 2^10; compare as doubles */
      uint64_t got = tg_random_u64() % (1ull << 63);
      ck_assert_msg((double)got == want[i], "%s[%lld]", name, (long long)i);
    }
  }
}
END_TEST

static void assert_order(const int64_t *got, const char *name, int64_t offset,
                         int64_t n) {
  int64_t total;
  const double *want = golden_values(name, &total);
  ck_assert_int_ge(total, offset + n);
  for (int64_t k = 0; k < n; k++)
    ck_assert_msg(got[k] == (int64_t)want[offset + k], "%s[%lld]: %lld, expected %lld",
                  name, (long long)(offset + k), (long long)got[k],
                  (long long)want[offset + k]);
}

/* The sampler's private generator: torch.Generator().manual_seed(s) then
 * randperm(13), randperm(40), for a seed above 2^32 (only its low 32 bits
 * count, as in PyTorch's mt19937). */
START_TEST(test_private_generator_golden) {
  static const uint64_t seeds[] = {0, 42, 1234};
  for (int s = 0; s < 3; s++) {
    tg_generator *gen = tg_generator_new((1ull << 62) + 12345 * seeds[s] + 7);
    int64_t perm[53];
    tg_randperm_into(gen, 13, perm);
    tg_randperm_into(gen, 40, perm + 13);
    tg_generator_free(gen);
    char name[64];
    snprintf(name, sizeof name, "private_randperm_%llu", (unsigned long long)seeds[s]);
    assert_order(perm, name, 0, 53);
  }
}
END_TEST

typedef struct shuffle_case {
  uint64_t seed;
  int64_t n, batch;
} shuffle_case;

static const shuffle_case shuffle_cases[] = {{0, 10, 4}, {42, 37, 8}, {1234, 100, 16}};

START_TEST(test_shuffle_golden) {
  const shuffle_case *c = &shuffle_cases[_i];
  char name[64];
  snprintf(name, sizeof name, "shuffle_s%llu_n%lld_b%lld", (unsigned long long)c->seed,
           (long long)c->n, (long long)c->batch);
  int64_t n;
  const double *want = golden_values(name, &n);
  ck_assert_int_eq(n, 3 * c->n);
  tg_dataset *ds = index_dataset(c->n);
  tg_dataloader *loader = tg_dataloader_new(ds, c->batch, true, false);
  tg_manual_seed(c->seed);
  int64_t *order = malloc(sizeof *order * (size_t)c->n), sizes[16];
  ck_assert_ptr_nonnull(order);
  for (int epoch = 0; epoch < 3; epoch++) {
    run_epoch(loader, order, sizes);
    for (int64_t k = 0; k < c->n; k++)
      ck_assert_msg(order[k] == (int64_t)want[epoch * c->n + k],
                    "%s epoch %d position %lld", name, epoch, (long long)k);
  }
  assert_generator_after(name);
  free(order);
  tg_dataloader_free(loader);
  tg_dataset_release(ds);
}
END_TEST

/* next(iter(loader)), len(iter(loader)), training epochs with a validation
 * pass after each: every iterator PyTorch creates draws, and so do we. */
START_TEST(test_lecture_pattern_golden) {
  tg_dataset *train_ds = index_dataset(23), *val_ds = index_dataset(6);
  tg_dataloader *train = tg_dataloader_new(train_ds, 5, true, false);
  tg_dataloader *val = tg_dataloader_new(val_ds, 4, false, false);
  tg_manual_seed(7);
  tg_loader_iter it = tg_loader_begin(train); /* test_batch = next(iter(train_loader)) */
  tg_tensor *X, *Y;
  ck_assert(tg_loader_next(&it, &X, &Y));
  int64_t peek[5];
  for (int k = 0; k < 5; k++) peek[k] = (int64_t)tg_get_flat(X, k);
  tg_loader_end(&it);
  assert_order(peek, "lecture_peek", 0, 5);
  it = tg_loader_begin(train); /* len(iter(train_loader)) */
  ck_assert_int_eq(tg_dataloader_len(train), 5);
  tg_loader_end(&it);
  for (int epoch = 0; epoch < 2; epoch++) {
    int64_t order[23], sizes[5], val_order[6], val_sizes[2];
    run_epoch(train, order, sizes);
    assert_order(order, "lecture_orders", epoch * 23, 23);
    run_epoch(val, val_order, val_sizes);
  }
  assert_generator_after("lecture");
  tg_dataloader_free(train);
  tg_dataloader_free(val);
  tg_dataset_release(train_ds);
  tg_dataset_release(val_ds);
}
END_TEST

START_TEST(test_break_and_drop_last_golden) {
  tg_dataset *ds = index_dataset(9);
  tg_dataloader *loader = tg_dataloader_new(ds, 2, true, true);
  tg_manual_seed(3);
  tg_loader_iter it = tg_loader_begin(loader);
  tg_tensor *X, *Y;
  ck_assert(tg_loader_next(&it, &X, &Y));
  int64_t first[2] = {(int64_t)tg_get_flat(X, 0), (int64_t)tg_get_flat(X, 1)};
  tg_loader_end(&it); /* break */
  assert_order(first, "break_first", 0, 2);
  int64_t order[9], sizes[4];
  ck_assert_int_eq(run_epoch(loader, order, sizes), 4);
  assert_order(order, "drop_last_epoch", 0, 8);
  assert_generator_after("break");
  tg_dataloader_free(loader);
  tg_dataset_release(ds);
}
END_TEST

/* The lecture's moons notebook end to end: make_moons, train_test_split,
 * StandardScaler fitted on the training rows, float tensors, a shuffled
 * loader of 16: the first batch is PyTorch's, bit for bit. */
START_TEST(test_moons_pipeline_golden) {
  tg_tensor *X, *y, *X_train, *X_val, *y_train, *y_val;
  ck_assert_int_eq(tg_make_moons_tensors(&X, &y, 10000, true, 0.3, 0), 0);
  tg_split_options split = tg_split_defaults();
  split.test_size = 0.2;
  split.random_state = 13;
  ck_assert_int_eq(
      tg_train_test_split_tensors(X, y, &split, &X_train, &X_val, &y_train, &y_val), 0);
  tg_assert_shape(X_val, TG_SHAPE(2000, 2));
  tg_standard_scaler *sc = tg_standard_scaler_new(true, true);
  tg_standard_scaler_fit(sc, X_train);
  tg_tensor *scaled = tg_standard_scaler_transform(sc, X_train);
  tg_tensor *x_train_tensor = tg_to(scaled, TG_FLOAT32);
  tg_tensor *y_column = tg_view(y_train, TG_SHAPE(-1, 1));
  tg_tensor *y_train_tensor = tg_to(y_column, TG_FLOAT32);
  tg_dataset *train = tg_tensor_dataset_new(x_train_tensor, y_train_tensor);
  tg_dataloader *loader = tg_dataloader_new(train, 16, true, false);
  ck_assert_int_eq(tg_dataloader_len(loader),
                   (int64_t)golden_values("moons_batches", &(int64_t){0})[0]);
  tg_manual_seed(0);
  tg_loader_iter it = tg_loader_begin(loader);
  tg_tensor *Xb, *Yb;
  ck_assert(tg_loader_next(&it, &Xb, &Yb));
  int64_t n;
  const double *want_x = golden_values("moons_first_X", &n);
  tg_assert_close_data(Xb, want_x, n, 0, 0, "first X batch");
  const double *want_y = golden_values("moons_first_Y", &n);
  tg_assert_close_data(Yb, want_y, n, 0, 0, "first Y batch");
  tg_loader_end(&it);
  tg_dataloader_free(loader);
  tg_dataset_release(train);
  tg_standard_scaler_free(sc);
  tg_tensor *all[] = {X,     y,      X_train,        X_val,    y_train,
                      y_val, scaled, x_train_tensor, y_column, y_train_tensor};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) tg_release(all[i]);
}
END_TEST

/* ---- ownership
 * -------------------------------------------------------------------------- */

/* The iterator owns each batch: a retained batch is ours alone once the
 * iterator moves on, and nothing is left behind after many epochs (run the
 * suite under valgrind to see the "nothing"). */
START_TEST(test_batches_are_released) {
  tg_dataset *ds = index_dataset(50);
  tg_dataloader *loader = tg_dataloader_new(ds, 7, true, false);
  tg_loader_iter it = tg_loader_begin(loader);
  tg_tensor *X, *Y;
  ck_assert(tg_loader_next(&it, &X, &Y));
  tg_tensor *kept = tg_retain(X);
  ck_assert_int_eq(kept->refcount, 2);
  ck_assert(tg_loader_next(&it, &X, &Y));
  ck_assert_int_eq(kept->refcount, 1);
  tg_release(kept);
  tg_loader_end(&it);
  tg_scope_begin(); /* an enclosing scope (an epoch scope) must not own batches */
  for (int epoch = 0; epoch < 200; epoch++) {
    it = tg_loader_begin(loader);
    int batches = 0;
    while (tg_loader_next(&it, &X, &Y)) {
      tg_scope_begin();
      tg_tensor *loss =
          tg_sum(tg_mul_scalar(tg_to(X, TG_FLOAT32), 2), TG_ALL_DIMS, false);
      ck_assert(tg_item(loss) >= 0);
      tg_scope_end();
      if (epoch % 3 == 0 && ++batches == 2) break;
    }
    tg_loader_end(&it);
  }
  ck_assert_int_eq(tg_scope_depth(), 1);
  tg_scope_end();
  tg_dataloader_free(loader);
  tg_dataset_release(ds);
}
END_TEST

/* ---- tensors from datasets.h
 * ----------------------------------------------------------------- */

START_TEST(test_dataset_tensors) {
  tg_bunch b = {0};
  ck_assert_int_eq(tg_make_moons(&b, 30, true, 0.1, 4), 0);
  tg_tensor *X, *y;
  ck_assert_int_eq(tg_make_moons_tensors(&X, &y, 30, true, 0.1, 4), 0);
  tg_assert_shape(X, TG_SHAPE(30, 2));
  ck_assert_int_eq(X->dtype, TG_FLOAT64);
  ck_assert_int_eq(y->dtype, TG_INT64);
  tg_assert_close_data(X, b.X, 60, 0, 0, "moons X");
  for (int64_t i = 0; i < 30; i++) ck_assert_int_eq((int64_t)tg_get_flat(y, i), b.y[i]);
  tg_bunch_free(&b);
  tg_release(X);
  tg_release(y);

  ck_assert_int_eq(tg_load_iris_tensors(&X, &y), 0);
  tg_assert_shape(X, TG_SHAPE(150, 4));
  tg_assert_shape(y, TG_SHAPE(150));
  ck_assert_int_eq((int64_t)tg_get_flat(y, 149), 2);
  /* train_test_split on tensors picks the rows the index split picks */
  tg_split_options opt = tg_split_defaults();
  opt.test_size = 0.2;
  opt.random_state = 13;
  int64_t *train, *test, n_train, n_test;
  ck_assert_int_eq(tg_train_test_split(150, &opt, &train, &n_train, &test, &n_test), 0);
  tg_tensor *X_train, *X_test, *y_train, *y_test;
  ck_assert_int_eq(
      tg_train_test_split_tensors(X, y, &opt, &X_train, &X_test, &y_train, &y_test), 0);
  tg_assert_shape(X_train, TG_SHAPE(n_train, 4));
  tg_assert_shape(y_test, TG_SHAPE(n_test));
  for (int64_t i = 0; i < n_test; i++) {
    ck_assert(tg_get(X_test, (int64_t[]){i, 2}) == tg_get(X, (int64_t[]){test[i], 2}));
    ck_assert(tg_get_flat(y_test, i) == tg_get_flat(y, test[i]));
  }
  ck_assert(tg_get_flat(y_train, 0) == tg_get_flat(y, train[0]));
  free(train);
  free(test);
  tg_tensor *y_short = tg_narrow(y, 0, 0, 149);
  TG_EXPECT_ERROR(
      tg_train_test_split_tensors(X, y_short, NULL, &X_train, &X_test, &y_train, &y_test),
      "tg_train_test_split_tensors: found input variables with inconsistent "
      "numbers of samples: [150, 149]");
  opt.test_size = 500;
  tg_tensor *a = NULL, *c = NULL;
  ck_assert_int_eq(tg_train_test_split_tensors(X, NULL, &opt, &a, &c, NULL, NULL), -1);
  ck_assert_ptr_null(a);
  ck_assert_ptr_nonnull(strstr(tg_last_error(), "test_size"));
  TG_EXPECT_ERROR(tg_make_moons_tensors(&a, &c, -1, true, 0, 0),
                  "tg_make_moons: n_samples must be >= 1, got -1");
  ck_assert_ptr_null(a);
  ck_assert_ptr_null(c);
  tg_tensor *all[] = {X, y, X_train, X_test, y_train, y_test, y_short};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) tg_release(all[i]);
}
END_TEST

#define COUNT(a) ((int)(sizeof(a) / sizeof *(a)))

int main(void) {
  Suite *s = suite_create("dataloader");
  TCase *datasets = tcase_create("datasets");
  tcase_add_test(datasets, test_user_dataset_batches_like_the_lecture);
  tcase_add_test(datasets, test_gather_equals_stacking);
  tcase_add_test(datasets, test_tensor_dataset_items);
  tcase_add_test(datasets, test_tensor_dataset_errors_and_unlabelled);
  tcase_add_test(datasets, test_subset_and_concat);
  tcase_add_test(datasets, test_collate_mismatch);
  tcase_add_test(datasets, test_random_split_errors);
  tcase_add_test(datasets, test_dataset_tensors);
  suite_add_tcase(s, datasets);

  TCase *loader = tcase_create("loader");
  tcase_add_test(loader, test_loader_errors);
  tcase_add_test(loader, test_epoch_covers_every_sample);
  tcase_add_test(loader, test_shuffle_differs_per_epoch_and_repeats_per_seed);
  tcase_add_test(loader, test_batches_are_released);
  suite_add_tcase(s, loader);

  TCase *torch = tcase_create("pytorch");
  tcase_add_unchecked_fixture(torch, load_golden, free_golden);
  tcase_add_test(torch, test_torch_draws_golden);
  tcase_add_test(torch, test_private_generator_golden);
  tcase_add_loop_test(torch, test_shuffle_golden, 0, COUNT(shuffle_cases));
  tcase_add_test(torch, test_lecture_pattern_golden);
  tcase_add_test(torch, test_break_and_drop_last_golden);
  tcase_add_loop_test(torch, test_random_split_golden, 0, COUNT(split_cases));
  tcase_add_test(torch, test_moons_pipeline_golden);
  suite_add_tcase(s, torch);
  return tg_test_run(s);
}
