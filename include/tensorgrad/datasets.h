/* tensorgrad/datasets.h - data sources: scikit-learn's toy data generators,
 * train/test splits, the built-in data sets and a CSV loader.
 *
 * Everything here works on plain C arrays held in a tg_bunch (scikit-learn's
 * name for "X, y and their names"). The generators and the split reproduce
 * scikit-learn 1.2 exactly: they drive a private copy of NumPy's legacy
 * np.random.RandomState in the same order, so the same random_state gives the
 * same numbers as Python (tests/golden/datasets.py proves it).
 *
 * Errors follow the library's rule by cause (README, "Errors"). What comes
 * from outside or depends on the data returns -1 with tg_last_error() set to
 * a message naming the function (or the file and line) and the bad value: a
 * missing or malformed file, a split the number of samples has no room for,
 * a stratify class with one member, out of memory. On failure the output is
 * left empty, so tg_bunch_free is always safe. The calling code's mistakes
 * go to tg_error: a generator parameter out of range (n_samples 0, noise
 * -1), a test_size that is neither a fraction nor a whole count, bad CSV
 * options, a row index out of range, load_digits' n_class outside 1..10.
 */
#ifndef TENSORGRAD_DATASETS_H
#define TENSORGRAD_DATASETS_H

#include "tensorgrad/export.h"

#include <stdbool.h>
#include <stdint.h>

TG_API_BEGIN

/* ---- the container ------------------------------------------------------- */

typedef struct tg_bunch {
  int64_t n_samples;
  int64_t n_features;
  double *X;            /* n_samples x n_features, row-major */
  int64_t *y;           /* n_samples class labels, or NULL when there are none */
  char **feature_names; /* n_features strings, or NULL */
  int64_t n_classes;    /* length of target_names (0 when unnamed) */
  char **target_names;  /* n_classes strings, or NULL */
} tg_bunch;

/* Frees everything the bunch owns and zeroes it. NULL or empty is fine. */
void tg_bunch_free(tg_bunch *b);

/* out = the rows `rows[0..n_rows)` of src (X[rows], y[rows]), names copied:
 * how X_train is made from the indices tg_train_test_split returns. */
int tg_bunch_take(const tg_bunch *src, const int64_t *rows, int64_t n_rows,
                  tg_bunch *out);

/* ---- generators (sklearn.datasets.make_*) --------------------------------- */

/* noise is the std of the Gaussian noise added to X; 0 adds none (sklearn's
 * noise=None). random_state seeds np.random.RandomState(random_state). */
int tg_make_moons(tg_bunch *out, int64_t n_samples, bool shuffle, double noise,
                  uint32_t random_state);
/* factor: radius of the inner circle relative to the outer one, in [0, 1). */
int tg_make_circles(tg_bunch *out, int64_t n_samples, bool shuffle, double noise,
                    double factor, uint32_t random_state);

typedef struct tg_blobs_options {
  int64_t n_samples;     /* 100 */
  int64_t n_features;    /* 2 */
  int64_t n_centers;     /* 3 */
  const double *centers; /* NULL: drawn uniformly from center_box; else
                            n_centers x n_features fixed centers */
  double cluster_std;    /* 1.0 */
  double center_box[2];  /* (-10, 10) */
  bool shuffle;          /* true */
  uint32_t random_state; /* 0 */
} tg_blobs_options;
tg_blobs_options tg_blobs_defaults(void); /* sklearn's defaults, as above */
int tg_make_blobs(tg_bunch *out, const tg_blobs_options *opt);

typedef struct tg_classification_options {
  int64_t n_samples;            /* 100 */
  int64_t n_features;           /* 20 */
  int64_t n_informative;        /* 2 */
  int64_t n_redundant;          /* 2 */
  int64_t n_repeated;           /* 0 */
  int64_t n_classes;            /* 2 */
  int64_t n_clusters_per_class; /* 2 */
  double flip_y;                /* 0.01: fraction of labels replaced at random */
  double class_sep;             /* 1.0 */
  bool hypercube;               /* true */
  double shift;                 /* 0.0, added to every feature ... */
  bool random_shift;            /* ... unless true: sklearn's shift=None */
  double scale;                 /* 1.0, multiplies every feature ... */
  bool random_scale;            /* ... unless true: sklearn's scale=None */
  bool shuffle;                 /* true */
  uint32_t random_state;        /* 0 */
} tg_classification_options;
tg_classification_options tg_classification_defaults(void);
int tg_make_classification(tg_bunch *out, const tg_classification_options *opt);

/* ---- train/test split (sklearn.model_selection.train_test_split) --------- */

typedef struct tg_split_options {
  /* A size below 1 is a fraction of n (test rounds up, train rounds down, as
   * in sklearn); a whole number >= 1 is a count. 0 means "not given": the
   * other set's complement, and test_size 0.25 when both are 0. */
  double test_size;
  double train_size;
  bool shuffle;            /* true; false takes the first rows for training */
  uint32_t random_state;   /* 0 */
  const int64_t *stratify; /* n class labels to keep the class proportions, or NULL */
} tg_split_options;
tg_split_options tg_split_defaults(void);

/* Fills *train and *test with freshly malloc'd index arrays (free them with
 * free()) in exactly the order sklearn returns them. */
int tg_train_test_split(int64_t n, const tg_split_options *opt, int64_t **train,
                        int64_t *n_train, int64_t **test, int64_t *n_test);

/* ---- built-in data sets (sklearn.datasets.load_*) -------------------------
 * The files are looked up in $TENSORGRAD_DATA, then in the share/tensorgrad
 * of the install tree the library was loaded from (wherever that tree was
 * moved), then, for a build tree, the source tree's data/files, then the
 * configured install folder. A program that links the static library of a
 * moved install sets $TENSORGRAD_DATA. */

int tg_load_iris(tg_bunch *out);          /* 150 x 4, 3 classes */
int tg_load_breast_cancer(tg_bunch *out); /* 569 x 30, 2 classes */
/* 1797 x 64 (8x8 images, pixel_<row>_<col>); n_class in 1..10 keeps the
 * digits 0..n_class-1 as sklearn's load_digits(n_class=...) does. */
int tg_load_digits(tg_bunch *out, int n_class);

/* ---- CSV ------------------------------------------------------------------ */

#define TG_CSV_NO_LABEL INT64_MIN

typedef struct tg_csv_options {
  char delimiter;       /* ',' */
  bool header;          /* true: the first row names the columns */
  int64_t label_column; /* column of integer class labels, 0-based, negative
                           counts from the end (-1 = last); TG_CSV_NO_LABEL
                           makes every column a feature. Default -1. */
  int64_t skip_rows;    /* lines to ignore before the header/data (0) */
} tg_csv_options;
tg_csv_options tg_csv_defaults(void);

/* Reads a numeric CSV file (gzip-compressed files are read transparently;
 * content past 2 GiB, once inflated, is refused rather than allocated).
 * Fields may be double-quoted; blank lines are skipped; the last line may
 * lack its newline. Errors name the place, e.g.
 *   data.csv:7: column 3: 'abc' is not a number
 * With a header, feature_names holds the header's feature columns. */
int tg_load_csv(const char *path, const tg_csv_options *opt, tg_bunch *out);

TG_API_END

#endif
