/* tensorgrad/data.h - torch.utils.data on tensors: datasets, splits, the
 * DataLoader, and scikit-learn's scalers.
 *
 * Datasets are reference counted (tg_dataset_retain / tg_dataset_release), so
 * a Subset, a ConcatDataset or a DataLoader simply keeps what it reads from
 * alive, as in Python. Every constructor returns a dataset the caller owns.
 *
 * Misuse (batch_size 0, an index out of range, split lengths that do not add
 * up, a scaler fitted on 2 features asked to transform 3) goes through
 * tg_error, with a message naming the function and the numbers.
 *
 * Randomness comes from the global generator (tg_manual_seed) and is drawn
 * exactly as PyTorch 1.13 draws it, so a C program and a Python script with
 * the same seed see the same splits and the same batches.
 */
#ifndef TENSORGRAD_DATA_H
#define TENSORGRAD_DATA_H

#include "tensorgrad/export.h"

#include "tensorgrad/datasets.h"
#include "tensorgrad/tensor.h"

TG_API_BEGIN

/* ---- the Dataset interface ---------------------------------------------------
 * A dataset is a struct whose first member is a tg_dataset, plus a vtable
 * (the lecture's MoonsDataSet; tests/test_dataloader.c has it in full):
 *
 *   typedef struct { tg_dataset base; tg_tensor *X, *Y; } moons;
 *   static int64_t moons_len(tg_dataset *d) {
 *     return tg_size(((moons *)d)->X, 0);       // len(self.X)
 *   }
 *   static void moons_get(tg_dataset *d, int64_t i, tg_tensor **x, tg_tensor **y) {
 *     *x = tg_select(((moons *)d)->X, 0, i);    // self.X[index]
 *     *y = tg_select(((moons *)d)->Y, 0, i);    // self.Y[index]
 *   }
 *   static void moons_free(tg_dataset *d) { ... }   // release X and Y, free(d)
 *   static const tg_dataset_vtable moons_vtable = {
 *       .name = "MoonsDataSet", .len = moons_len, .get_item = moons_get,
 *       .free = moons_free};
 *   ... tg_dataset_init(&m->base, &moons_vtable);
 */
typedef struct tg_dataset tg_dataset;

typedef struct tg_dataset_vtable {
  const char *name; /* for messages, e.g. "TensorDataset" */
  int64_t (*len)(tg_dataset *self);
  /* Sample `index` (already checked: 0 <= index < len) as new references,
   * like any tensor-returning function: owned by the current scope, or by
   * the caller when none is open. y may be set to NULL (unlabelled data). */
  void (*get_item)(tg_dataset *self, int64_t index, tg_tensor **x, tg_tensor **y);
  /* Releases what the dataset holds and frees the struct itself. */
  void (*free)(tg_dataset *self);
  /* Optional (may be NULL): the batch of samples indices[0..n) as (n, ...)
   * tensors, equal to stacking get_item's results but faster. It sets *x,
   * and *y as get_item would. */
  void (*get_batch)(tg_dataset *self, const int64_t *indices, int64_t n, tg_tensor **x,
                    tg_tensor **y);
} tg_dataset_vtable;

struct tg_dataset {
  const tg_dataset_vtable *vtable;
  int refcount;
};

/* Sets the vtable and a reference count of 1 (the creator's). */
void tg_dataset_init(tg_dataset *ds, const tg_dataset_vtable *vtable);
tg_dataset *tg_dataset_retain(tg_dataset *ds);
void tg_dataset_release(tg_dataset *ds); /* NULL is fine */

int64_t tg_dataset_len(tg_dataset *ds);
/* dataset[index]; a negative index counts from the end, as in Python. */
void tg_dataset_get(tg_dataset *ds, int64_t index, tg_tensor **x, tg_tensor **y);
/* The samples indices[0..n) as one batch of (n, ...) tensors (PyTorch's
 * default_collate: the samples stacked), new references like get_item's. */
void tg_dataset_get_batch(tg_dataset *ds, const int64_t *indices, int64_t n,
                          tg_tensor **x, tg_tensor **y);

/* TensorDataset(X, Y): sample i is (X[i], Y[i]). Y may be NULL. Both are
 * retained; their dim-0 sizes must match. */
tg_dataset *tg_tensor_dataset_new(tg_tensor *X, tg_tensor *Y);

/* Subset(dataset, indices): the n listed samples of `ds` (indices copied). */
tg_dataset *tg_subset_new(tg_dataset *ds, const int64_t *indices, int64_t n);

/* ConcatDataset: the samples of parts[0], then parts[1], ... */
tg_dataset *tg_concat_dataset_new(tg_dataset *const *parts, int n);

/* torch.utils.data.random_split(ds, lengths): lengths are either whole counts
 * that sum to len(ds), or fractions that sum to 1 (each floor(f * len), the
 * remainder handed out one by one from the first). The permutation is
 * tg_randperm(len(ds)) on the global generator, as in PyTorch. Fills out[0..n)
 * with new Subsets the caller releases. */
void tg_random_split(tg_dataset *ds, const double *lengths, int n, tg_dataset **out);

/* ---- words and characters (makemore) ------------------------------------------ */

/* A word list, one word a line, in file order. */
typedef struct tg_words {
  int64_t n;
  char **words;    /* n NUL-terminated words (owned) */
  int64_t max_len; /* the longest word's length */
} tg_words;

/* Reads a plain-text word list (Debian's /usr/share/dict/american-english;
 * a regular file, plain or gzip) keeping the lines that are one lowercase
 * a-z word, as makemore's names are (trailing "\r" is dropped; "Aachen",
 * "abbot's" and lines holding a NUL byte are skipped). Returns 0, or -1
 * with tg_last_error(): "<path>: cannot open: <reason>", "<path>: not a
 * regular file", or "<path>: no lowercase a-z words in <n> bytes". */
int tg_words_load(const char *path, tg_words *out);
void tg_words_free(tg_words *w); /* NULL or empty is fine */

/* makemore's split: the words shuffled with tg_randperm(n) on the global
 * generator (torch.randperm(len(words))), then the first floor(0.8 n) are
 * train, the next floor(0.9 n) - floor(0.8 n) val and the rest test. The
 * parts hold copies; free each with tg_words_free. */
void tg_words_split(const tg_words *w, tg_words *train, tg_words *val, tg_words *test);

/* The character vocabulary: index 0 is the boundary token '.', then the
 * distinct characters of the words in sorted order (makemore's stoi). */
typedef struct tg_char_vocab {
  int size;           /* 1 + the number of distinct characters */
  char chars[256];    /* itos: chars[0] == '.' */
  int16_t index[256]; /* stoi: -1 for a character not in the vocabulary */
} tg_char_vocab;

void tg_char_vocab_build(tg_char_vocab *v, const tg_words *w);

/* makemore's CharDataset over the words: sample i is x (block_size) = the
 * boundary token then the word's indices, zero-padded, and y (block_size)
 * = the word's indices, the boundary token, then -1 (ignored by the loss),
 * both int64. block_size must exceed every word's length. */
tg_dataset *tg_words_dataset_new(const tg_words *w, const tg_char_vocab *v,
                                 int64_t block_size);

/* ---- the DataLoader ---------------------------------------------------------- */

typedef struct tg_dataloader tg_dataloader;

/* DataLoader(dataset, batch_size, shuffle, drop_last); retains ds. The
 * default collate stacks the samples: batches are (B, ...) tensors. */
tg_dataloader *tg_dataloader_new(tg_dataset *ds, int64_t batch_size, bool shuffle,
                                 bool drop_last);
void tg_dataloader_free(tg_dataloader *loader); /* NULL is fine */
/* len(loader): batches per epoch, ceil(n / batch_size), or floor with drop_last. */
int64_t tg_dataloader_len(const tg_dataloader *loader);

/* One pass over the data (`for X, Y in loader:`):
 *
 *   tg_loader_iter it = tg_loader_begin(loader);
 *   tg_tensor *X, *Y;
 *   while (tg_loader_next(&it, &X, &Y)) {
 *     tg_scope_begin();
 *     ...                       // X, Y are (B, ...) batches
 *     tg_scope_end();
 *   }
 *
 * Ownership: X and Y belong to the iterator, not to any scope. They stay
 * valid until the next tg_loader_next call, which releases them; the call
 * that returns false releases the last batch and everything else, so a loop
 * that runs to the end needs no cleanup. After a `break`, call
 * tg_loader_end(&it) (safe to call any number of times). tg_retain a batch
 * to keep it longer (e.g. `test_batch = next(iter(loader))`). The loader
 * must outlive its iterators.
 *
 * Random draws, as PyTorch 1.13 makes them: tg_loader_begin draws one 64-bit
 * number from the global generator (PyTorch's worker base seed; drawn even
 * without shuffle), and a shuffling loader's first tg_loader_next draws
 * another that seeds a private generator for the epoch's permutation. So
 * Python's `len(iter(loader))` is tg_loader_begin + tg_loader_end, while
 * tg_dataloader_len, like `len(loader)`, draws nothing. */
typedef struct tg_loader_iter {
  tg_dataloader *loader;
  int64_t *order;   /* the epoch's sample order; NULL until the first batch */
  int64_t next;     /* position in order of the next batch's first sample */
  tg_tensor *X, *Y; /* the current batch (owned) */
  bool done;
} tg_loader_iter;

tg_loader_iter tg_loader_begin(tg_dataloader *loader);
bool tg_loader_next(tg_loader_iter *it, tg_tensor **X, tg_tensor **Y);
void tg_loader_end(tg_loader_iter *it);

/* ---- scalers (sklearn.preprocessing, scikit-learn 1.2) -------------------------
 * X is 2-D (samples x features) of any dtype. Statistics and arithmetic are
 * float64; results have X's dtype when it is floating, float64 otherwise.
 * Fitted attributes are readable (arrays of n_features_in). */

typedef struct tg_standard_scaler {
  bool with_mean, with_std;
  int64_t n_features_in; /* 0 until fitted */
  int64_t n_samples_seen;
  double *mean_;  /* NULL when neither with_mean nor with_std */
  double *var_;   /* population variance; NULL without with_std */
  double *scale_; /* sqrt(var_), 1 for constant features; NULL without with_std */
} tg_standard_scaler;

tg_standard_scaler *tg_standard_scaler_new(bool with_mean, bool with_std);
void tg_standard_scaler_free(tg_standard_scaler *s); /* NULL is fine */
void tg_standard_scaler_fit(tg_standard_scaler *s, tg_tensor *X);
tg_tensor *tg_standard_scaler_transform(const tg_standard_scaler *s, tg_tensor *X);
tg_tensor *tg_standard_scaler_fit_transform(tg_standard_scaler *s, tg_tensor *X);
tg_tensor *tg_standard_scaler_inverse_transform(const tg_standard_scaler *s,
                                                tg_tensor *X);

typedef struct tg_minmax_scaler {
  double feature_range[2];
  int64_t n_features_in; /* 0 until fitted */
  int64_t n_samples_seen;
  double *data_min_, *data_max_, *data_range_;
  double *scale_; /* (hi - lo) / data_range_, with a zero range taken as 1 */
  double *min_;   /* lo - data_min_ * scale_ */
} tg_minmax_scaler;

/* MinMaxScaler(feature_range=(lo, hi)); (0, 1) is sklearn's default. */
tg_minmax_scaler *tg_minmax_scaler_new(double lo, double hi);
void tg_minmax_scaler_free(tg_minmax_scaler *s); /* NULL is fine */
void tg_minmax_scaler_fit(tg_minmax_scaler *s, tg_tensor *X);
tg_tensor *tg_minmax_scaler_transform(const tg_minmax_scaler *s, tg_tensor *X);
tg_tensor *tg_minmax_scaler_fit_transform(tg_minmax_scaler *s, tg_tensor *X);
tg_tensor *tg_minmax_scaler_inverse_transform(const tg_minmax_scaler *s, tg_tensor *X);

/* ---- tensors from datasets.h ------------------------------------------------------
 * The array API of datasets.h with tensors: X float64 (n, n_features), as
 * torch.as_tensor(X) gives it (tg_to(X, TG_FLOAT32) is `.float()`), and y
 * int64 (n). Return 0, or -1 with tg_last_error() set and *X, *y NULL. */

/* X and y of a bunch as new tensors (y NULL when the bunch has no labels). */
void tg_bunch_tensors(const tg_bunch *b, tg_tensor **X, tg_tensor **y);
int tg_make_moons_tensors(tg_tensor **X, tg_tensor **y, int64_t n_samples, bool shuffle,
                          double noise, uint32_t random_state);
int tg_make_circles_tensors(tg_tensor **X, tg_tensor **y, int64_t n_samples, bool shuffle,
                            double noise, double factor, uint32_t random_state);
int tg_make_blobs_tensors(tg_tensor **X, tg_tensor **y, const tg_blobs_options *opt);
int tg_make_classification_tensors(tg_tensor **X, tg_tensor **y,
                                   const tg_classification_options *opt);
int tg_load_iris_tensors(tg_tensor **X, tg_tensor **y);
int tg_load_breast_cancer_tensors(tg_tensor **X, tg_tensor **y);
int tg_load_digits_tensors(tg_tensor **X, tg_tensor **y, int n_class);

/* X_train, X_test, y_train, y_test = train_test_split(X, y, ...) on the rows
 * (dim 0) of X and y; y may be NULL (then y_train / y_test are left alone).
 * opt NULL means tg_split_defaults(). Returns 0, or -1 with tg_last_error(). */
int tg_train_test_split_tensors(tg_tensor *X, tg_tensor *y, const tg_split_options *opt,
                                tg_tensor **X_train, tg_tensor **X_test,
                                tg_tensor **y_train, tg_tensor **y_test);

TG_API_END
#endif
