/* Workload 7: the data path at scale, each family beside scikit-learn (or
 * PyTorch's DataLoader) in pytorch/data.py: StandardScaler.fit_transform of
 * N x 16 float64, train_test_split of it, roc_auc_score,
 * average_precision_score and accuracy_score of N scores, and one
 * shuffled pass of a DataLoader (batch 256) over a TensorDataset of N/10
 * float32 rows. N = 10^6, or $TG_BENCH_DATA_N (10000000 for issue 14's
 * 10^7 rows); one RESULT line per family, named with N (standard_scaler_1M,
 * _10M). */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "tensorgrad.h"

enum { FEATURES = 16, BATCH = 256 };
static int64_t N = 1000000; /* samples; the loader's data set has N / 10 */

/* "1M", "10M", "100k": how the row names and table.py spell a size */
static const char *size_name(int64_t n, char *buf, size_t size) {
  if (n % 1000000 == 0)
    snprintf(buf, size, "%lldM", (long long)(n / 1000000));
  else if (n % 1000 == 0)
    snprintf(buf, size, "%lldk", (long long)(n / 1000));
  else
    snprintf(buf, size, "%lld", (long long)n);
  return buf;
}

typedef struct data {
  tg_tensor *X, *y, *X32;
  double *scores;
  int64_t *labels, *predicted;
} data;

static void scaler(void *ctx) {
  data *d = ctx;
  tg_scope_begin();
  tg_standard_scaler *s = tg_standard_scaler_new(true, true);
  tg_standard_scaler_fit_transform(s, d->X);
  tg_standard_scaler_free(s);
  tg_scope_end();
}

static void split(void *ctx) {
  data *d = ctx;
  tg_scope_begin();
  tg_tensor *X_train, *X_test, *y_train, *y_test;
  tg_split_options opt = tg_split_defaults();
  opt.test_size = 0.2;
  opt.random_state = 42;
  bench_check(
      tg_train_test_split_tensors(d->X, d->y, &opt, &X_train, &X_test, &y_train, &y_test),
      "train_test_split");
  tg_scope_end();
}

static void roc_auc(void *ctx) {
  data *d = ctx;
  double auc;
  bench_check(tg_roc_auc_score(d->labels, d->scores, N, &auc), "roc_auc_score");
}

static void average_precision(void *ctx) {
  data *d = ctx;
  double ap;
  bench_check(tg_average_precision_score(d->labels, d->scores, N, 1, &ap),
              "average_precision_score");
}

static void accuracy(void *ctx) {
  data *d = ctx;
  double acc;
  bench_check(tg_accuracy_score(d->labels, d->predicted, N, &acc), "accuracy_score");
}

static void loader_pass(void *ctx) {
  data *d = ctx;
  tg_dataset *ds = tg_tensor_dataset_new(d->X32, NULL);
  tg_dataloader *loader = tg_dataloader_new(ds, BATCH, true, false);
  tg_loader_iter it = tg_loader_begin(loader);
  tg_tensor *X, *Y;
  while (tg_loader_next(&it, &X, &Y)) {
  }
  tg_dataloader_free(loader);
  tg_dataset_release(ds);
}

int main(int argc, char **argv) {
  bench_args a = bench_parse(argc, argv);
  const char *n_env = getenv("TG_BENCH_DATA_N");
  if (n_env && atoll(n_env) >= 10) N = atoll(n_env);
  const int64_t LOADER_N = N / 10;
  tg_manual_seed(0);
  data d;
  d.X = tg_randn(TG_SHAPE(N, FEATURES), TG_FLOAT64);
  d.y = tg_randint(0, 2, TG_SHAPE(N));
  d.X32 = tg_to(tg_narrow(d.X, 0, 0, LOADER_N), TG_FLOAT32);
  d.scores = malloc(sizeof *d.scores * N);
  d.predicted = malloc(sizeof *d.predicted * N);
  if (!d.scores || !d.predicted) bench_check(-1, "allocating the scores");
  d.labels = tg_data_i64(d.y);
  tg_copy_to_f64(tg_select(d.X, 1, 0), d.scores);
  for (int64_t i = 0; i < N; i++) d.predicted[i] = d.scores[i] > 0;
  struct {
    const char *name;
    void (*fn)(void *);
  } rows[] = {{"standard_scaler", scaler},  {"train_test_split", split},
              {"roc_auc_score", roc_auc},   {"average_precision", average_precision},
              {"accuracy_score", accuracy}, {"dataloader", loader_pass}};
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    char name[64], n_name[24];
    bool loader = rows[i].fn == loader_pass;
    snprintf(name, sizeof name, "%s_%s%s", rows[i].name,
             size_name(loader ? LOADER_N : N, n_name, sizeof n_name),
             loader ? "_b256" : "");
    bench_report(name, a.threads, bench_time(rows[i].fn, &d, a.reps), 0);
  }
  free(d.scores);
  free(d.predicted);
  tg_release(d.X);
  tg_release(d.y);
  tg_release(d.X32);
  return 0;
}
