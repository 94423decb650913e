/* metrics/: every metric against scikit-learn 1.2's values for the same
 * inputs (tests/golden/metrics.py), plus every error message. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensorgrad/metrics.h"
#include "test_util.h"

static tg_golden *golden;

static void load_golden(void) {
  golden = tg_golden_load(TG_TEST_DIR "/golden/metrics.txt");
}
static void free_golden(void) {
  tg_golden_free(golden);
  golden = NULL;
}

/* ---- golden access ---- */

static const double *values(const char *name, int64_t *n) {
  return tg_golden_get(golden, name, n, NULL);
}

static const double *valuesf(int64_t *n, const char *fmt, const char *a, const char *b) {
  char name[256];
  snprintf(name, sizeof name, fmt, a, b);
  return values(name, n);
}

static bool has(const char *fmt, const char *a, const char *b) {
  char name[256];
  snprintf(name, sizeof name, fmt, a, b);
  return tg_golden_has(golden, name);
}

/* An int64 copy of entry `name` (the caller frees). */
static int64_t *labels_of(const char *name, int64_t *n) {
  const double *v = values(name, n);
  int64_t *out = malloc(sizeof(int64_t) * (size_t)*n);
  ck_assert_ptr_nonnull(out);
  for (int64_t i = 0; i < *n; i++) out[i] = (int64_t)v[i];
  return out;
}

static int64_t *case_labels(const char *c, const char *what, int64_t *n) {
  char name[256];
  snprintf(name, sizeof name, "%s_%s", c, what);
  return labels_of(name, n);
}

/* |got - want| <= tol, NaN only equal to NaN; tol 0 is bit-exact equality. */
static void expect_close(const double *got, const double *want, int64_t n, double tol,
                         const char *what) {
  for (int64_t i = 0; i < n; i++) {
    bool ok = isnan(want[i]) ? isnan(got[i]) : fabs(got[i] - want[i]) <= tol;
    ck_assert_msg(ok, "%s[%lld] = %.17g, sklearn %.17g", what, (long long)i, got[i],
                  want[i]);
  }
}

static void expect_i64(const int64_t *got, const double *want, int64_t n,
                       const char *what) {
  for (int64_t i = 0; i < n; i++)
    ck_assert_msg((double)got[i] == want[i], "%s[%lld] = %lld, sklearn %.17g", what,
                  (long long)i, (long long)got[i], want[i]);
}

/* The last error names the function and says what is wrong. */
static void expect_error(int rc, const char *message) {
  ck_assert_int_eq(rc, -1);
  ck_assert_msg(strstr(tg_last_error(), message) != NULL,
                "error \"%s\" does not contain \"%s\"", tg_last_error(), message);
}

/* ---- binary curves ---- */

typedef struct curve_case {
  const char *name;
  int64_t pos_label;
} curve_case;

static const curve_case curve_cases[] = {{"rand", 1}, {"tied", 1},   {"imb", 1},
                                         {"pm", -1},  {"allpos", 1}, {"allneg", 1}};

static void check_roc(const curve_case *c, const int64_t *y, const double *score,
                      int64_t n, bool drop) {
  tg_roc roc;
  ck_assert_int_eq(tg_roc_curve(y, score, n, c->pos_label, drop, &roc), 0);
  int64_t m;
  const double *want = valuesf(&m, drop ? "%s_roc1%s" : "%s_roc0%s", c->name, "");
  ck_assert_int_eq(roc.n * 3, m);
  expect_close(roc.fpr, want, roc.n, 0, "fpr");
  expect_close(roc.tpr, want + roc.n, roc.n, 0, "tpr");
  expect_close(roc.thresholds, want + 2 * roc.n, roc.n, 0, "thresholds");
  tg_roc_free(&roc);
  ck_assert_ptr_null(roc.fpr);
}

START_TEST(test_curves) {
  const curve_case *c = &curve_cases[_i];
  int64_t n, n_score;
  int64_t *y = case_labels(c->name, "y_true", &n);
  const double *score = valuesf(&n_score, "%s_y_score%s", c->name, "");
  ck_assert_int_eq(n, n_score);
  check_roc(c, y, score, n, true);
  check_roc(c, y, score, n, false);

  tg_pr pr;
  ck_assert_int_eq(tg_precision_recall_curve(y, score, n, c->pos_label, &pr), 0);
  int64_t m;
  const double *points = valuesf(&m, "%s_pr_points%s", c->name, "");
  ck_assert_int_eq(pr.n_points * 2, m);
  expect_close(pr.precision, points, pr.n_points, 0, "precision");
  expect_close(pr.recall, points + pr.n_points, pr.n_points, 0, "recall");
  const double *thresholds = valuesf(&m, "%s_pr_thresholds%s", c->name, "");
  ck_assert_int_eq(pr.n_thresholds, m);
  ck_assert_int_eq(pr.n_points, pr.n_thresholds + 1);
  expect_close(pr.thresholds, thresholds, m, 0, "pr thresholds");
  tg_pr_free(&pr);

  double ap;
  ck_assert_int_eq(tg_average_precision_score(y, score, n, c->pos_label, &ap), 0);
  expect_close(&ap, valuesf(&m, "%s_ap%s", c->name, ""), 1, 1e-12, "average precision");
  if (has("%s_auc%s", c->name, "")) {
    double auc;
    ck_assert_int_eq(tg_roc_auc_score(y, score, n, &auc), 0);
    expect_close(&auc, valuesf(&m, "%s_auc%s", c->name, ""), 1, 1e-12, "roc auc");
  }
  free(y);
}
END_TEST

START_TEST(test_roc_drops_collinear_points) {
  int64_t n, m;
  int64_t *y = case_labels("rand", "y_true", &n);
  const double *score = values("rand_y_score", &m);
  tg_roc full, dropped;
  ck_assert_int_eq(tg_roc_curve(y, score, n, 1, false, &full), 0);
  ck_assert_int_eq(tg_roc_curve(y, score, n, 1, true, &dropped), 0);
  /* 200 distinct scores: 201 points, of which sklearn keeps 52 corners */
  ck_assert_int_eq(full.n, 201);
  ck_assert_int_eq(dropped.n, 52);
  double max_score = -INFINITY;
  for (int64_t i = 0; i < n; i++) max_score = fmax(max_score, score[i]);
  ck_assert(dropped.thresholds[0] == max_score + 1.0); /* sklearn 1.2, not +inf */
  ck_assert(dropped.fpr[0] == 0.0 && dropped.tpr[0] == 0.0);
  ck_assert(dropped.fpr[51] == 1.0 && dropped.tpr[51] == 1.0);
  tg_roc_free(&full);
  tg_roc_free(&dropped);
  free(y);
}
END_TEST

/* ---- scores from labels ---- */

typedef struct score_case {
  const char *name;
  int64_t pos_label;
} score_case;

static const score_case score_cases[] = {{"rand", 1},  {"tied", 1},     {"imb", 1},
                                         {"pm", -1},   {"allneg", 1},   {"allzero", 1},
                                         {"multi", 1}, {"nosupport", 1}};

static void check_confusion(const char *c, const int64_t *y, const int64_t *p,
                            int64_t n) {
  const char *norm_names[] = {"true", "pred", "all"};
  const tg_normalize norms[] = {TG_NORMALIZE_TRUE, TG_NORMALIZE_PRED, TG_NORMALIZE_ALL};
  int64_t k, m;
  int64_t *labels = case_labels(c, "cm_labels", &k);
  tg_confusion cm;
  ck_assert_int_eq(tg_confusion_matrix(y, p, n, NULL, 0, TG_NORMALIZE_NONE, &cm), 0);
  ck_assert_int_eq(cm.n_labels, k);
  ck_assert_mem_eq(cm.labels, labels, sizeof(int64_t) * (size_t)k);
  expect_i64(cm.counts, valuesf(&m, "%s_cm%s", c, ""), k * k, "confusion counts");
  ck_assert_ptr_null(cm.values);
  tg_confusion_free(&cm);
  for (int i = 0; i < 3; i++) {
    ck_assert_int_eq(tg_confusion_matrix(y, p, n, NULL, 0, norms[i], &cm), 0);
    expect_close(cm.values, valuesf(&m, "%s_cm_%s", c, norm_names[i]), k * k, 0,
                 norm_names[i]);
    tg_confusion_free(&cm);
  }
  free(labels);
  if (has("%s_cm_explicit%s", c, "")) {
    labels = case_labels(c, "labels", &k);
    ck_assert_int_eq(tg_confusion_matrix(y, p, n, labels, k, TG_NORMALIZE_NONE, &cm), 0);
    ck_assert_mem_eq(cm.labels, labels, sizeof(int64_t) * (size_t)k);
    expect_i64(cm.counts, valuesf(&m, "%s_cm_explicit%s", c, ""), k * k,
               "explicit-label counts");
    tg_confusion_free(&cm);
    free(labels);
  }
}

static void check_per_class(const char *prefix, const int64_t *y, const int64_t *p,
                            int64_t n, const int64_t *labels, int64_t k,
                            tg_zero_division zd) {
  tg_class_scores s;
  ck_assert_int_eq(tg_precision_recall_fscore_support(y, p, n, labels, k, zd, &s), 0);
  int64_t m;
  const double *want = valuesf(&m, "%s_per_class%s", prefix, "");
  ck_assert_int_eq(m, 4 * s.n_labels);
  int64_t L = s.n_labels;
  expect_close(s.precision, want, L, 0, "precision");
  expect_close(s.recall, want + L, L, 0, "recall");
  expect_close(s.f1, want + 2 * L, L, 0, "f1");
  expect_close(s.fpr, want + 3 * L, L, 0, "fpr");
  expect_i64(s.support, valuesf(&m, "%s_support%s", prefix, ""), L, "support");
  tg_class_scores_free(&s);
}

static void check_averages(const char *prefix, const int64_t *y, const int64_t *p,
                           int64_t n, tg_average_options o) {
  const char *names[] = {"binary", "micro", "macro", "weighted"};
  const tg_average averages[] = {TG_AVERAGE_BINARY, TG_AVERAGE_MICRO, TG_AVERAGE_MACRO,
                                 TG_AVERAGE_WEIGHTED};
  for (int a = 0; a < 4; a++) {
    if (!has("%s_%s", prefix, names[a])) continue;
    o.average = averages[a];
    tg_scores s;
    ck_assert_int_eq(tg_classification_scores(y, p, n, &o, &s), 0);
    int64_t m;
    const double *want = valuesf(&m, "%s_%s", prefix, names[a]);
    double got[4] = {s.precision, s.recall, s.f1, s.fpr};
    expect_close(got, want, 4, 1e-12, names[a]);
    /* the one-number getters agree with the combined call */
    double one[4];
    ck_assert_int_eq(tg_precision_score(y, p, n, &o, &one[0]), 0);
    ck_assert_int_eq(tg_recall_score(y, p, n, &o, &one[1]), 0);
    ck_assert_int_eq(tg_f1_score(y, p, n, &o, &one[2]), 0);
    ck_assert_int_eq(tg_fpr_score(y, p, n, &o, &one[3]), 0);
    expect_close(one, got, 4, 0, "getters");
  }
}

START_TEST(test_scores) {
  const score_case *c = &score_cases[_i];
  int64_t n, np_, k = 0, m;
  int64_t *y = case_labels(c->name, "y_true", &n);
  int64_t *p = case_labels(c->name, "y_pred", &np_);
  ck_assert_int_eq(n, np_);
  double acc;
  ck_assert_int_eq(tg_accuracy_score(y, p, n, &acc), 0);
  expect_close(&acc, valuesf(&m, "%s_accuracy%s", c->name, ""), 1, 0, "accuracy");
  check_confusion(c->name, y, p, n);

  int64_t *labels =
      has("%s_labels%s", c->name, "") ? case_labels(c->name, "labels", &k) : NULL;
  const char *zd_names[] = {"warn", "0", "1"};
  const tg_zero_division zds[] = {TG_ZERO_DIVISION_WARN, TG_ZERO_DIVISION_0,
                                  TG_ZERO_DIVISION_1};
  for (int z = 0; z < 3; z++) {
    char prefix[128];
    tg_average_options o = tg_average_options_default();
    o.pos_label = c->pos_label;
    o.zero_division = zds[z];
    snprintf(prefix, sizeof prefix, "%s_all_zd%s", c->name, zd_names[z]);
    check_per_class(prefix, y, p, n, NULL, 0, zds[z]);
    check_averages(prefix, y, p, n, o);
    if (!labels) continue;
    snprintf(prefix, sizeof prefix, "%s_explicit_zd%s", c->name, zd_names[z]);
    check_per_class(prefix, y, p, n, labels, k, zds[z]);
    o.labels = labels;
    o.n_labels = k;
    check_averages(prefix, y, p, n, o);
  }
  free(labels);
  free(y);
  free(p);
}
END_TEST

START_TEST(test_scores_defaults_are_sklearns) {
  /* NULL options = average="binary", pos_label=1, zero_division="warn" */
  int64_t n, m;
  int64_t *y = case_labels("rand", "y_true", &n);
  int64_t *p = case_labels("rand", "y_pred", &n);
  tg_scores s;
  ck_assert_int_eq(tg_classification_scores(y, p, n, NULL, &s), 0);
  const double *want = values("rand_all_zdwarn_binary", &m);
  ck_assert(s.precision == want[0] && s.recall == want[1] && s.f1 == want[2]);
  free(y);
  free(p);
}
END_TEST

START_TEST(test_binary_confusion_unpacks_like_ravel) {
  int64_t n, m;
  int64_t *y = case_labels("rand", "y_true", &n);
  int64_t *p = case_labels("rand", "y_pred", &n);
  const double *cm = values("rand_cm", &m);
  tg_binary_counts c;
  ck_assert_int_eq(tg_binary_confusion(y, p, n, NULL, &c), 0);
  ck_assert(c.tn == cm[0] && c.fp == cm[1] && c.fn == cm[2] && c.tp == cm[3]);
  /* explicit {positive, negative} swaps the roles, as labels=[1, 0] does */
  const int64_t swapped[2] = {1, 0};
  ck_assert_int_eq(tg_binary_confusion(y, p, n, swapped, &c), 0);
  ck_assert(c.tn == cm[3] && c.fp == cm[2] && c.fn == cm[1] && c.tp == cm[0]);
  /* one class only works with explicit labels */
  const int64_t zeros[3] = {0, 0, 0}, zero_one[2] = {0, 1};
  ck_assert_int_eq(tg_binary_confusion(zeros, zeros, 3, zero_one, &c), 0);
  ck_assert(c.tn == 3 && c.fp == 0 && c.fn == 0 && c.tp == 0);
  free(y);
  free(p);
}
END_TEST

START_TEST(test_multiclass_ovr_auc) {
  int64_t n, m;
  int64_t *y = case_labels("multi", "y_true", &n);
  tg_shape shape;
  const double *proba = tg_golden_get(golden, "multi_proba", &m, &shape);
  ck_assert_int_eq(shape.d[0], n);
  double auc;
  ck_assert_int_eq(tg_roc_auc_score_ovr(y, proba, n, shape.d[1], TG_AVERAGE_MACRO, &auc),
                   0);
  expect_close(&auc, values("multi_auc_macro", &m), 1, 1e-12, "ovr macro auc");
  ck_assert_int_eq(
      tg_roc_auc_score_ovr(y, proba, n, shape.d[1], TG_AVERAGE_WEIGHTED, &auc), 0);
  expect_close(&auc, values("multi_auc_weighted", &m), 1, 1e-12, "ovr weighted auc");
  free(y);
}
END_TEST

START_TEST(test_auc_trapezoid) {
  const double x[] = {0, 0.5, 1}, y[] = {0, 1, 1}, x_down[] = {1, 0.5, 0},
               y_down[] = {1, 1, 0};
  double area;
  ck_assert_int_eq(tg_auc(x, y, 3, &area), 0);
  ck_assert(area == 0.75);
  ck_assert_int_eq(tg_auc(x_down, y_down, 3, &area), 0); /* decreasing x: positive */
  ck_assert(area == 0.75);
}
END_TEST

/* ---- classification_report ---- */

typedef struct report_case {
  const char *name, *inputs;
  const int64_t *labels;
  int64_t n_labels;
  const char *const *names;
  int digits;
  tg_zero_division zero_division;
} report_case;

static const int64_t subset_labels[] = {11, 2, 9};
static const char *const subset_names[] = {"eleven", "two", "nine (absent)"};
static const char *const binary_names[] = {"negative", "positive"};
static const char *const doc_names[] = {"class 0", "class 1", "class 2"};

static const report_case report_cases[] = {
    {"rand", "rand", NULL, 0, NULL, 2, TG_ZERO_DIVISION_WARN},
    {"rand_names", "rand", NULL, 0, binary_names, 4, TG_ZERO_DIVISION_WARN},
    {"imb", "imb", NULL, 0, NULL, 2, TG_ZERO_DIVISION_WARN},
    {"multi", "multi", NULL, 0, NULL, 2, TG_ZERO_DIVISION_WARN},
    {"multi_zd1", "multi", NULL, 0, NULL, 3, TG_ZERO_DIVISION_1},
    {"multi_subset", "multi", subset_labels, 3, subset_names, 2, TG_ZERO_DIVISION_WARN},
    {"multi_d0", "multi", NULL, 0, NULL, 0, TG_ZERO_DIVISION_WARN},
    {"doc", "doc", NULL, 0, doc_names, 2, TG_ZERO_DIVISION_WARN},
};

static char *golden_text(const char *name) {
  char key[128];
  snprintf(key, sizeof key, "%s_report", name);
  int64_t n;
  const double *codes = values(key, &n);
  char *text = malloc((size_t)n + 1);
  ck_assert_ptr_nonnull(text);
  for (int64_t i = 0; i < n; i++) text[i] = (char)(int)codes[i];
  text[n] = '\0';
  return text;
}

START_TEST(test_report) {
  const report_case *c = &report_cases[_i];
  int64_t n;
  int64_t *y = case_labels(c->inputs, "y_true", &n);
  int64_t *p = case_labels(c->inputs, "y_pred", &n);
  tg_report_options o = tg_report_options_default();
  o.labels = c->labels;
  o.n_labels = c->n_labels;
  o.target_names = c->names;
  o.digits = c->digits;
  o.zero_division = c->zero_division;
  char *want = golden_text(c->name), *got;
  ck_assert_int_eq(tg_classification_report(y, p, n, &o, &got), 0);
  ck_assert_str_eq(got, want);
  free(got);

  /* the FILE* flavour writes the same bytes */
  FILE *f = tmpfile();
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(tg_classification_report_fprint(f, y, p, n, &o), 0);
  long len = ftell(f);
  ck_assert_int_eq(len, (long)strlen(want));
  rewind(f);
  char *back = calloc((size_t)len + 1, 1);
  ck_assert_int_eq(fread(back, 1, (size_t)len, f), (size_t)len);
  ck_assert_str_eq(back, want);
  fclose(f);
  free(back);
  free(want);
  free(y);
  free(p);
}
END_TEST

START_TEST(test_report_null_options_is_default) {
  int64_t n;
  int64_t *y = case_labels("multi", "y_true", &n);
  int64_t *p = case_labels("multi", "y_pred", &n);
  char *want = golden_text("multi"), *got;
  ck_assert_int_eq(tg_classification_report(y, p, n, NULL, &got), 0);
  ck_assert_str_eq(got, want);
  free(got);
  free(want);
  free(y);
  free(p);
}
END_TEST

/* ---- errors ---- */

static const int64_t y01[] = {0, 1, 1, 0}, p01[] = {0, 1, 0, 0}, y012[] = {0, 1, 2, 2},
                     ones[] = {1, 1, 1, 1};
static const double s4[] = {0.1, 0.8, 0.6, 0.3};

START_TEST(test_errors_labels_and_scores) {
  double v;
  tg_confusion cm;
  tg_binary_counts bc;
  tg_class_scores cs;
  tg_scores sc;
  tg_average_options o = tg_average_options_default();
  expect_error(tg_accuracy_score(y01, p01, 0, &v),
               "tg_accuracy_score: need at least one sample, got n = 0");
  TG_EXPECT_ERROR(tg_accuracy_score(y01, p01, 4, NULL),
                  "tg_accuracy_score: accuracy is NULL");
  TG_EXPECT_ERROR(tg_accuracy_score(NULL, p01, 4, &v),
                  "tg_accuracy_score: y_true is NULL");
  TG_EXPECT_ERROR(tg_accuracy_score(y01, NULL, 4, &v),
                  "tg_accuracy_score: y_pred is NULL");

  const int64_t absent[] = {7}, dup[] = {1, 0, 1};
  expect_error(tg_confusion_matrix(y01, p01, 4, absent, 1, TG_NORMALIZE_NONE, &cm),
               "tg_confusion_matrix: at least one label specified must be in y_true");
  TG_EXPECT_ERROR(tg_confusion_matrix(y01, p01, 4, absent, 0, TG_NORMALIZE_NONE, &cm),
                  "tg_confusion_matrix: 'labels' should contain at least one label");
  TG_EXPECT_ERROR(tg_confusion_matrix(y01, p01, 4, dup, 3, TG_NORMALIZE_NONE, &cm),
                  "tg_confusion_matrix: label 1 appears twice in 'labels'");
  TG_EXPECT_ERROR(
      tg_confusion_matrix(y01, p01, 4, NULL, 0, (tg_normalize)9, &cm),
      "tg_confusion_matrix: normalize must be NONE, TRUE, PRED or ALL, got 9");
  TG_EXPECT_ERROR(tg_confusion_matrix(y01, p01, -1, NULL, 0, TG_NORMALIZE_NONE, &cm),
                  "tg_confusion_matrix: n must be >= 0, got -1");
  expect_error(tg_confusion_matrix(y01, p01, 0, NULL, 0, TG_NORMALIZE_NONE, &cm),
               "tg_confusion_matrix: need at least one sample, got n = 0");
  TG_EXPECT_ERROR(tg_confusion_matrix(y01, p01, 4, NULL, 0, TG_NORMALIZE_NONE, NULL),
                  "tg_confusion_matrix: out is NULL");
  expect_error(tg_binary_confusion(ones, ones, 4, NULL, &bc),
               "tg_binary_confusion: y_true and y_pred hold 1 distinct label(s), need "
               "exactly 2");
  expect_error(tg_binary_confusion(y012, y01, 4, NULL, &bc),
               "tg_binary_confusion: y_true and y_pred hold 3 distinct label(s)");
  const int64_t absent_pair[2] = {7, 8};
  expect_error(tg_binary_confusion(y01, p01, 4, absent_pair, &bc),
               "tg_binary_confusion: at least one label specified must be in y_true");
  TG_EXPECT_ERROR(tg_binary_confusion(y01, p01, 4, NULL, NULL),
                  "tg_binary_confusion: out is NULL");

  expect_error(tg_precision_score(y012, y01, 4, NULL, &v),
               "tg_precision_score: target is multiclass (3 labels) but average is "
               "BINARY; choose MICRO, MACRO or WEIGHTED");
  o.pos_label = 2;
  expect_error(tg_recall_score(y01, p01, 4, &o, &v),
               "tg_recall_score: pos_label=2 is not a valid label; it should be one of "
               "[0, 1]");
  o = tg_average_options_default();
  o.average = (tg_average)7;
  TG_EXPECT_ERROR(tg_f1_score(y01, p01, 4, &o, &v),
                  "tg_f1_score: average must be BINARY, MICRO, MACRO or WEIGHTED, got 7");
  o = tg_average_options_default();
  o.zero_division = (tg_zero_division)5;
  TG_EXPECT_ERROR(tg_fpr_score(y01, p01, 4, &o, &v),
                  "tg_fpr_score: zero_division must be WARN, 0 or 1, got 5");
  expect_error(tg_f1_score(y01, p01, 0, NULL, &v),
               "tg_f1_score: need at least one sample, got n = 0");
  TG_EXPECT_ERROR(tg_precision_score(y01, p01, 4, NULL, NULL),
                  "tg_precision_score: out is NULL");
  TG_EXPECT_ERROR(tg_classification_scores(y01, p01, 4, NULL, NULL),
                  "tg_classification_scores: out is NULL");
  o = tg_average_options_default();
  o.average = TG_AVERAGE_MACRO;
  o.labels = dup;
  o.n_labels = 3;
  TG_EXPECT_ERROR(tg_classification_scores(y01, p01, 4, &o, &sc),
                  "tg_classification_scores: label 1 appears twice in 'labels'");
  TG_EXPECT_ERROR(
      tg_precision_recall_fscore_support(y01, p01, 4, NULL, 0, (tg_zero_division)3, &cs),
      "tg_precision_recall_fscore_support: zero_division must be WARN, 0 or 1");
  TG_EXPECT_ERROR(
      tg_precision_recall_fscore_support(y01, NULL, 4, NULL, 0, TG_ZERO_DIVISION_0, &cs),
      "tg_precision_recall_fscore_support: y_pred is NULL");
  TG_EXPECT_ERROR(
      tg_precision_recall_fscore_support(y01, p01, 4, NULL, 0, TG_ZERO_DIVISION_0, NULL),
      "tg_precision_recall_fscore_support: out is NULL");
}
END_TEST

START_TEST(test_errors_report) {
  char *text = (char *)"untouched";
  tg_report_options o = tg_report_options_default();
  o.digits = -1;
  TG_EXPECT_ERROR(tg_classification_report(y01, p01, 4, &o, &text),
                  "tg_classification_report: digits must be in [0, 15], got -1");
  ck_assert_ptr_null(text);
  const char *const names[] = {"zero", NULL};
  o = tg_report_options_default();
  o.target_names = names;
  TG_EXPECT_ERROR(tg_classification_report(y01, p01, 4, &o, &text),
                  "tg_classification_report: target_names[1] is NULL");
  expect_error(tg_classification_report(y01, p01, 0, NULL, &text),
               "tg_classification_report: need at least one sample, got n = 0");
  TG_EXPECT_ERROR(tg_classification_report(y01, p01, 4, NULL, NULL),
                  "tg_classification_report: text is NULL");
  TG_EXPECT_ERROR(tg_classification_report_fprint(NULL, y01, p01, 4, NULL),
                  "tg_classification_report_fprint: file is NULL");
  expect_error(tg_classification_report_fprint(stdout, y01, p01, 0, NULL),
               "tg_classification_report_fprint: need at least one sample");
  FILE *read_only = fopen("/dev/null", "r");
  ck_assert_ptr_nonnull(read_only);
  expect_error(tg_classification_report_fprint(read_only, y01, p01, 4, NULL),
               "tg_classification_report_fprint: write failed");
  fclose(read_only);
}
END_TEST

START_TEST(test_errors_curves_and_areas) {
  tg_roc roc;
  tg_pr pr;
  double v;
  const double with_nan[] = {0.1, 0.2, NAN, 0.4}, with_inf[] = {INFINITY, 0.2, 0.3, 0.4};
  expect_error(tg_roc_curve(y01, with_nan, 4, 1, true, &roc),
               "tg_roc_curve: y_score[2] is nan; scores must be finite");
  ck_assert_ptr_null(roc.fpr);
  expect_error(tg_roc_curve(y01, s4, 0, 1, true, &roc),
               "tg_roc_curve: need at least one sample, got n = 0");
  TG_EXPECT_ERROR(tg_roc_curve(y01, NULL, 4, 1, true, &roc),
                  "tg_roc_curve: y_score is NULL");
  TG_EXPECT_ERROR(tg_roc_curve(y01, s4, 4, 1, true, NULL), "tg_roc_curve: out is NULL");
  expect_error(tg_precision_recall_curve(y01, with_inf, 4, 1, &pr),
               "tg_precision_recall_curve: y_score[0] is inf; scores must be finite");
  TG_EXPECT_ERROR(tg_precision_recall_curve(y01, s4, 4, 1, NULL),
                  "tg_precision_recall_curve: out is NULL");

  expect_error(tg_roc_auc_score(ones, s4, 4, &v),
               "tg_roc_auc_score: only one class present in y_true");
  expect_error(tg_roc_auc_score(y012, s4, 4, &v),
               "tg_roc_auc_score: y_true holds 3 classes; use tg_roc_auc_score_ovr");
  expect_error(tg_roc_auc_score(y01, with_nan, 4, &v),
               "tg_roc_auc_score: y_score[2] is nan");
  TG_EXPECT_ERROR(tg_roc_auc_score(y01, s4, 4, NULL), "tg_roc_auc_score: auc is NULL");

  const double proba[] = {0.2, 0.3, 0.5, 0.1, 0.1, 0.8, 0.6, 0.3, 0.1, 0.3, 0.3, 0.3};
  expect_error(tg_roc_auc_score_ovr(y012, proba, 4, 3, TG_AVERAGE_MACRO, &v),
               "tg_roc_auc_score_ovr: row 3 of proba sums to 0.8999");
  expect_error(tg_roc_auc_score_ovr(y01, proba, 3, 3, TG_AVERAGE_MACRO, &v),
               "tg_roc_auc_score_ovr: y_true holds 2 classes but proba has 3 columns");
  TG_EXPECT_ERROR(tg_roc_auc_score_ovr(y01, proba, 4, 2, TG_AVERAGE_MACRO, &v),
                  "tg_roc_auc_score_ovr: need n_classes >= 3, got 2");
  TG_EXPECT_ERROR(tg_roc_auc_score_ovr(y012, proba, 3, 3, TG_AVERAGE_MICRO, &v),
                  "tg_roc_auc_score_ovr: average must be MACRO or WEIGHTED, got 1");
  TG_EXPECT_ERROR(tg_roc_auc_score_ovr(y012, NULL, 3, 3, TG_AVERAGE_MACRO, &v),
                  "tg_roc_auc_score_ovr: proba is NULL");
  TG_EXPECT_ERROR(tg_roc_auc_score_ovr(y012, proba, 3, 3, TG_AVERAGE_MACRO, NULL),
                  "tg_roc_auc_score_ovr: auc is NULL");

  expect_error(tg_average_precision_score(y012, s4, 4, 1, &v),
               "tg_average_precision_score: y_true holds 3 classes; multiclass is not "
               "supported");
  expect_error(tg_average_precision_score(y01, s4, 4, 5, &v),
               "tg_average_precision_score: pos_label=5 is not a valid label; it should "
               "be one of [0, 1]");
  TG_EXPECT_ERROR(tg_average_precision_score(y01, s4, 4, 1, NULL),
                  "tg_average_precision_score: ap is NULL");

  const double x_bad[] = {0, 1, 0.5};
  expect_error(tg_auc(x_bad, s4, 3, &v),
               "tg_auc: x is neither increasing nor decreasing");
  expect_error(tg_auc(x_bad, s4, 1, &v),
               "tg_auc: at least 2 points are needed to compute area under curve, got 1");
  expect_error(tg_auc(x_bad, with_nan, 3, &v), "tg_auc: y[2] is nan");
  TG_EXPECT_ERROR(tg_auc(x_bad, s4, 3, NULL), "tg_auc: area is NULL");
}
END_TEST

START_TEST(test_free_functions_accept_null_and_zeroed) {
  tg_confusion cm = {0};
  tg_class_scores cs = {0};
  tg_roc roc = {0};
  tg_pr pr = {0};
  tg_confusion_free(&cm);
  tg_confusion_free(NULL);
  tg_class_scores_free(&cs);
  tg_class_scores_free(NULL);
  tg_roc_free(&roc);
  tg_roc_free(NULL);
  tg_pr_free(&pr);
  tg_pr_free(NULL);
}
END_TEST

/* ---- tensor wrappers ---- */

static tg_tensor *tensor_1d(const void *data, int64_t n, tg_dtype dtype) {
  return tg_from_data(data, TG_SHAPE(n), dtype);
}

START_TEST(test_tensor_wrappers_match_arrays) {
  int64_t n, m;
  const double *y = values("rand_y_true", &n);
  const double *score = values("rand_y_score", &m);
  const double *pred = values("rand_y_pred", &m);
  /* labels as float64 (integral values), a (n, 1) column and a bool tensor */
  tg_tensor *t_true = tensor_1d(y, n, TG_FLOAT64);
  tg_tensor *t_column = tg_from_data(y, TG_SHAPE(n, 1), TG_FLOAT64);
  tg_tensor *t_score = tensor_1d(score, n, TG_FLOAT64);
  bool *pred_bool = malloc(sizeof(bool) * (size_t)n);
  ck_assert_ptr_nonnull(pred_bool);
  for (int64_t i = 0; i < n; i++) pred_bool[i] = pred[i] != 0;
  tg_tensor *t_pred = tensor_1d(pred_bool, n, TG_BOOL);

  double v;
  ck_assert_int_eq(tg_accuracy_score_tensor(t_column, t_pred, &v), 0);
  expect_close(&v, values("rand_accuracy", &m), 1, 0, "tensor accuracy");
  ck_assert_int_eq(tg_roc_auc_score_tensor(t_true, t_score, &v), 0);
  expect_close(&v, values("rand_auc", &m), 1, 1e-12, "tensor roc auc");
  ck_assert_int_eq(tg_average_precision_score_tensor(t_true, t_score, 1, &v), 0);
  expect_close(&v, values("rand_ap", &m), 1, 1e-12, "tensor average precision");

  tg_confusion cm;
  ck_assert_int_eq(tg_confusion_matrix_tensor(t_true, t_pred, TG_NORMALIZE_NONE, &cm), 0);
  expect_i64(cm.counts, values("rand_cm", &m), 4, "tensor confusion");
  tg_confusion_free(&cm);
  tg_scores sc;
  ck_assert_int_eq(tg_classification_scores_tensor(t_true, t_pred, NULL, &sc), 0);
  const double *want = values("rand_all_zdwarn_binary", &m);
  ck_assert(sc.precision == want[0] && sc.recall == want[1] && sc.f1 == want[2]);
  char *text, *golden_report = golden_text("rand");
  ck_assert_int_eq(tg_classification_report_tensor(t_true, t_pred, NULL, &text), 0);
  ck_assert_str_eq(text, golden_report);
  free(text);
  free(golden_report);

  tg_roc roc;
  ck_assert_int_eq(tg_roc_curve_tensor(t_true, t_score, 1, true, &roc), 0);
  want = values("rand_roc1", &m);
  ck_assert_int_eq(3 * roc.n, m);
  expect_close(roc.thresholds, want + 2 * roc.n, roc.n, 0, "tensor roc thresholds");
  tg_roc_free(&roc);
  tg_pr pr;
  ck_assert_int_eq(tg_precision_recall_curve_tensor(t_true, t_score, 1, &pr), 0);
  expect_close(pr.precision, values("rand_pr_points", &m), pr.n_points, 0,
               "tensor pr precision");
  tg_pr_free(&pr);

  tg_shape shape;
  const double *proba = tg_golden_get(golden, "multi_proba", &m, &shape);
  const double *multi_y = values("multi_y_true", &n);
  tg_tensor *t_proba = tg_from_data(proba, shape, TG_FLOAT64);
  tg_tensor *t_multi = tensor_1d(multi_y, n, TG_FLOAT64);
  ck_assert_int_eq(tg_roc_auc_score_ovr_tensor(t_multi, t_proba, TG_AVERAGE_MACRO, &v),
                   0);
  expect_close(&v, values("multi_auc_macro", &m), 1, 1e-12, "tensor ovr auc");

  tg_release(t_true);
  tg_release(t_column);
  tg_release(t_score);
  tg_release(t_pred);
  tg_release(t_proba);
  tg_release(t_multi);
  free(pred_bool);
}
END_TEST

START_TEST(test_errors_tensor_wrappers) {
  const double half[] = {0, 0.5, 1, 1}, big[] = {0, 1e19, 1, 0};
  const int64_t three[] = {0, 1, 1};
  tg_tensor *t_y = tensor_1d(y01, 4, TG_INT64), *t_three = tensor_1d(three, 3, TG_INT64);
  tg_tensor *t_half = tensor_1d(half, 4, TG_FLOAT64),
            *t_big = tensor_1d(big, 4, TG_FLOAT64);
  tg_tensor *t_s4 = tensor_1d(s4, 4, TG_FLOAT64);
  double v;
  tg_roc roc;
  TG_EXPECT_ERROR(tg_accuracy_score_tensor(t_y, t_three, &v),
                  "tg_accuracy_score_tensor: y_true has 4 elements but y_pred has 3");
  expect_error(tg_accuracy_score_tensor(t_y, t_half, &v),
               "tg_accuracy_score_tensor: y_pred[1] = 0.5 is not an integer label");
  expect_error(tg_accuracy_score_tensor(t_big, t_y, &v),
               "tg_accuracy_score_tensor: y_true[1] = 1e+19 is not an integer label");
  TG_EXPECT_ERROR(tg_accuracy_score_tensor(NULL, t_y, &v),
                  "tg_accuracy_score_tensor: y_true is NULL");
  TG_EXPECT_ERROR(tg_roc_curve_tensor(t_y, NULL, 1, true, &roc),
                  "tg_roc_curve_tensor: y_score is NULL");
  TG_EXPECT_ERROR(tg_roc_auc_score_tensor(t_three, t_s4, &v),
                  "tg_roc_auc_score_tensor: y_true has 3 elements but y_score has 4");
  TG_EXPECT_ERROR(
      tg_roc_auc_score_ovr_tensor(t_y, t_s4, TG_AVERAGE_MACRO, &v),
      "tg_roc_auc_score_ovr_tensor: proba must be 2-D (n, n_classes), got 1 dims");
  const double proba[] = {0.2, 0.3, 0.5, 0.1, 0.1, 0.8, 0.6, 0.3, 0.1};
  tg_tensor *t_proba = tg_from_data(proba, TG_SHAPE(3, 3), TG_FLOAT64);
  TG_EXPECT_ERROR(
      tg_roc_auc_score_ovr_tensor(t_y, t_proba, TG_AVERAGE_MACRO, &v),
      "tg_roc_auc_score_ovr_tensor: y_true has 4 elements but proba has 3 rows");
  TG_EXPECT_ERROR(
      tg_average_precision_score_tensor(t_y, t_three, 1, &v),
      "tg_average_precision_score_tensor: y_true has 4 elements but y_score has 3");
  /* an empty tensor is data (a split that left nothing): a status */
  tg_tensor *t_empty = tg_zeros(TG_SHAPE(0), TG_INT64);
  expect_error(tg_accuracy_score_tensor(t_empty, t_empty, &v),
               "tg_accuracy_score_tensor: y_true is empty");
  TG_EXPECT_ERROR(tg_accuracy_score_tensor(t_y, t_y, NULL),
                  "tg_accuracy_score_tensor: accuracy is NULL");
  tg_release(t_empty);
  tg_release(t_y);
  tg_release(t_three);
  tg_release(t_half);
  tg_release(t_big);
  tg_release(t_s4);
  tg_release(t_proba);
}
END_TEST

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *metrics_suite(void) {
  Suite *s = suite_create("metrics");
  TCase *golden_tc = tcase_create("sklearn");
  tcase_add_unchecked_fixture(golden_tc, load_golden, free_golden);
  tcase_add_loop_test(golden_tc, test_curves, 0, COUNT(curve_cases));
  tcase_add_test(golden_tc, test_roc_drops_collinear_points);
  tcase_add_loop_test(golden_tc, test_scores, 0, COUNT(score_cases));
  tcase_add_test(golden_tc, test_scores_defaults_are_sklearns);
  tcase_add_test(golden_tc, test_binary_confusion_unpacks_like_ravel);
  tcase_add_test(golden_tc, test_multiclass_ovr_auc);
  tcase_add_loop_test(golden_tc, test_report, 0, COUNT(report_cases));
  tcase_add_test(golden_tc, test_report_null_options_is_default);
  tcase_add_test(golden_tc, test_tensor_wrappers_match_arrays);
  suite_add_tcase(s, golden_tc);

  TCase *plain = tcase_create("plain");
  tcase_add_test(plain, test_auc_trapezoid);
  tcase_add_test(plain, test_errors_labels_and_scores);
  tcase_add_test(plain, test_errors_report);
  tcase_add_test(plain, test_errors_curves_and_areas);
  tcase_add_test(plain, test_free_functions_accept_null_and_zeroed);
  tcase_add_test(plain, test_errors_tensor_wrappers);
  suite_add_tcase(s, plain);
  return s;
}

int main(void) {
  return tg_test_run(metrics_suite());
}
