/* The data sets scikit-learn ships (load_iris, load_breast_cancer,
 * load_digits), read from copies of its data files in data/files. */
#include "tensorgrad/datasets.h"
#include "tensorgrad/tensor.h"
#include "data/bunch.h"
#include "io/atomic_file.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* Set by CMakeLists.txt: the data folder relative to the library's folder in
 * the install tree, the configured install folder, the build tree and the
 * source tree's copy of the files. */
#ifndef TG_DATA_RELATIVE_DIR
#define TG_DATA_RELATIVE_DIR ""
#endif
#ifndef TG_DATA_INSTALL_DIR
#define TG_DATA_INSTALL_DIR ""
#endif
#ifndef TG_DATA_BUILD_DIR
#define TG_DATA_BUILD_DIR ""
#endif
#ifndef TG_DATA_SOURCE_DIR
#define TG_DATA_SOURCE_DIR ""
#endif

enum { MAX_TARGETS = 16, MAX_DATA_DIRS = 4 };

/* ---- where the data files are --------------------------------------------- */

/* The folder of the file this code was loaded from: libtensorgrad.so, or the
 * program itself when it links the static library. */
static bool code_dir(char dir[PATH_MAX]) {
  static const char anchor = 0;
  Dl_info info;
  const char *file = dladdr(&anchor, &info) && info.dli_fname ? info.dli_fname : "";
  /* glibc names the main program by its argv[0], which has no '/' when the
   * program was found on $PATH */
  if (!strchr(file, '/')) file = "/proc/self/exe";
  if (!realpath(file, dir)) return false;
  *strrchr(dir, '/') = '\0';
  return true;
}

static bool is_inside(const char *path, const char *dir) {
  char real[PATH_MAX];
  if (!*dir || !realpath(dir, real)) return false;
  size_t n = strlen(real);
  return strncmp(path, real, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

typedef struct {
  int n;
  const char *dir[MAX_DATA_DIRS];
  char beside_code[PATH_MAX + sizeof TG_DATA_RELATIVE_DIR];
} data_dirs;

static void add_dir(data_dirs *d, const char *dir) {
  if (dir && *dir) d->dir[d->n++] = dir;
}

/* $TENSORGRAD_DATA; the install tree's share/tensorgrad found from the
 * library, wherever the tree was moved; the source tree's data/files for code
 * running from the build tree (never for an installed copy); the configured
 * install folder (a program that links the static library of an install that
 * was not moved). */
static void data_dirs_find(data_dirs *d) {
  d->n = 0;
  add_dir(d, getenv("TENSORGRAD_DATA"));
  char code[PATH_MAX];
  if (code_dir(code)) {
    snprintf(d->beside_code, sizeof d->beside_code, "%s/%s", code, TG_DATA_RELATIVE_DIR);
    add_dir(d, d->beside_code);
    if (is_inside(code, TG_DATA_BUILD_DIR)) add_dir(d, TG_DATA_SOURCE_DIR);
  }
  add_dir(d, TG_DATA_INSTALL_DIR);
}

static int find_data_file(const char *who, const char *name, char path[PATH_MAX]) {
  data_dirs d;
  data_dirs_find(&d);
  char tried[1024] = "";
  for (int i = 0; i < d.n; i++) {
    int n = snprintf(path, PATH_MAX, "%s/%s", d.dir[i], name);
    if (n > 0 && n < PATH_MAX && access(path, R_OK) == 0) return 0;
    size_t used = strlen(tried); /* the list is cut short rather than overflow */
    snprintf(tried + used, sizeof tried - used, "%s%s", i ? ", " : "", d.dir[i]);
  }
  tg_set_last_error("%s: %s not found in %s (set $TENSORGRAD_DATA to the folder "
                    "holding it)",
                    who, name, tried);
  return -1;
}

/* ---- sklearn's CSV layout: "n_samples,n_features,target names..." first -- */

typedef struct {
  long long n_samples, n_features;
  int n_targets;
  char *targets[MAX_TARGETS];
} sklearn_header;

static void header_free(sklearn_header *h) {
  for (int i = 0; i < h->n_targets; i++) free(h->targets[i]);
}

static bool parse_count(const char *s, long long *value) {
  char *end;
  errno = 0;
  *value = strtoll(s, &end, 10);
  return end != s && *end == '\0' && errno == 0 && *value > 0;
}

static int read_sklearn_header(const char *path, sklearn_header *h) {
  memset(h, 0, sizeof *h);
  char line[1024];
  int fd = tg_open_regular(path);
  if (fd < 0) return -1;
  gzFile f = gzdopen(fd, "rb");
  if (!f) close(fd);
  bool ok = f && gzgets(f, line, sizeof line) && strchr(line, '\n');
  if (f) gzclose(f);
  if (!ok) {
    tg_set_last_error("%s:1: missing or overlong header line", path);
    return -1;
  }
  line[strcspn(line, "\r\n")] = '\0';
  char *save = NULL, *count1 = strtok_r(line, ",", &save),
       *count2 = strtok_r(NULL, ",", &save);
  if (!count1 || !count2 || !parse_count(count1, &h->n_samples) ||
      !parse_count(count2, &h->n_features)) {
    tg_set_last_error("%s:1: header must start with n_samples,n_features", path);
    return -1;
  }
  for (char *name; (name = strtok_r(NULL, ",", &save));) {
    if (h->n_targets == MAX_TARGETS || !(h->targets[h->n_targets] = strdup(name))) {
      header_free(h);
      tg_set_last_error("%s:1: too many target names or out of memory", path);
      return -1;
    }
    h->n_targets++;
  }
  return 0;
}

static int check_labels(const char *path, const tg_bunch *b, int64_t n_classes) {
  for (int64_t i = 0; i < b->n_samples; i++)
    if (b->y[i] < 0 || b->y[i] >= n_classes) {
      tg_set_last_error("%s: sample %lld has label %lld, outside the %lld classes", path,
                        (long long)i, (long long)b->y[i], (long long)n_classes);
      return -1;
    }
  return 0;
}

/* sklearn.datasets._base.load_csv_data plus the data set's feature names. */
static int load_sklearn_csv(const char *who, const char *file,
                            const char *const *feature_names, int64_t n_names,
                            tg_bunch *out) {
  memset(out, 0, sizeof *out);
  char path[PATH_MAX];
  sklearn_header h;
  if (find_data_file(who, file, path) || read_sklearn_header(path, &h)) return -1;
  tg_csv_options opt = tg_csv_defaults();
  opt.header = false;
  opt.skip_rows = 1;
  int status = tg_load_csv(path, &opt, out);
  if (status == 0 && (out->n_samples != h.n_samples || out->n_features != h.n_features ||
                      out->n_features != n_names)) {
    tg_set_last_error("%s: holds %lld x %lld values, its header says %lld x %lld", path,
                      (long long)out->n_samples, (long long)out->n_features, h.n_samples,
                      h.n_features);
    status = -1;
  }
  if (status == 0) status = check_labels(path, out, h.n_targets);
  if (status == 0) {
    out->feature_names = tg_names_copy(feature_names, n_names);
    out->target_names = tg_names_copy((const char *const *)h.targets, h.n_targets);
    out->n_classes = out->target_names ? h.n_targets : 0;
    if (!out->feature_names || !out->target_names) {
      tg_set_last_error("%s: out of memory", who);
      status = -1;
    }
  }
  header_free(&h);
  if (status) tg_bunch_free(out);
  return status;
}

int tg_load_iris(tg_bunch *out) {
  static const char *const names[] = {"sepal length (cm)", "sepal width (cm)",
                                      "petal length (cm)", "petal width (cm)"};
  return load_sklearn_csv("tg_load_iris", "iris.csv", names, 4, out);
}

int tg_load_breast_cancer(tg_bunch *out) {
  static const char *const names[] = {"mean radius",      "mean texture",
                                      "mean perimeter",   "mean area",
                                      "mean smoothness",  "mean compactness",
                                      "mean concavity",   "mean concave points",
                                      "mean symmetry",    "mean fractal dimension",
                                      "radius error",     "texture error",
                                      "perimeter error",  "area error",
                                      "smoothness error", "compactness error",
                                      "concavity error",  "concave points error",
                                      "symmetry error",   "fractal dimension error",
                                      "worst radius",     "worst texture",
                                      "worst perimeter",  "worst area",
                                      "worst smoothness", "worst compactness",
                                      "worst concavity",  "worst concave points",
                                      "worst symmetry",   "worst fractal dimension"};
  return load_sklearn_csv("tg_load_breast_cancer", "breast_cancer.csv", names, 30, out);
}

/* ---- digits: 64 pixel columns and the digit, gzip-compressed -------------- */

static int name_digits(tg_bunch *b) {
  b->feature_names = calloc(64, sizeof(char *));
  b->target_names = calloc(10, sizeof(char *));
  if (!b->feature_names || !b->target_names) return -1;
  b->n_classes = 10;
  for (int i = 0; i < 64; i++) {
    char name[24];
    snprintf(name, sizeof name, "pixel_%d_%d", i / 8, i % 8);
    if (!(b->feature_names[i] = strdup(name))) return -1;
  }
  for (int d = 0; d < 10; d++) {
    char name[2] = {(char)('0' + d), '\0'};
    if (!(b->target_names[d] = strdup(name))) return -1;
  }
  return 0;
}

/* Keeps the samples whose digit is below n_class, in order. */
static void keep_digits_below(tg_bunch *b, int n_class) {
  int64_t kept = 0;
  for (int64_t i = 0; i < b->n_samples; i++) {
    if (b->y[i] >= n_class) continue;
    memmove(b->X + kept * 64, b->X + i * 64, 64 * sizeof(double));
    b->y[kept++] = b->y[i];
  }
  b->n_samples = kept;
}

int tg_load_digits(tg_bunch *out, int n_class) {
  const char *who = "tg_load_digits";
  memset(out, 0, sizeof *out);
  if (n_class < 1 || n_class > 10)
    tg_error("%s: n_class must be in 1..10, got %d", who, n_class);
  char path[PATH_MAX];
  tg_csv_options opt = tg_csv_defaults();
  opt.header = false;
  if (find_data_file(who, "digits.csv.gz", path) || tg_load_csv(path, &opt, out))
    return -1;
  if (out->n_features != 64 || check_labels(path, out, 10)) {
    if (out->n_features != 64)
      tg_set_last_error("%s: expected 64 pixel columns, found %lld", path,
                        (long long)out->n_features);
    tg_bunch_free(out);
    return -1;
  }
  keep_digits_below(out, n_class);
  if (name_digits(out)) {
    tg_bunch_free(out);
    tg_set_last_error("%s: out of memory", who);
    return -1;
  }
  return 0;
}
