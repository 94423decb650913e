/* classification_report: sklearn 1.2's text table, byte for byte. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics_internal.h"
#include "tensorgrad/tensor.h"

tg_report_options tg_report_options_default(void) {
  return (tg_report_options){NULL, 0, NULL, 2, TG_ZERO_DIVISION_WARN};
}

/* A growing malloc'd string. */
typedef struct text {
  char *data;
  size_t len, cap;
  bool failed;
} text;

static void append(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append(text *t, const char *fmt, ...) {
  if (t->failed) return;
  va_list ap;
  va_start(ap, fmt);
  int need = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (need < 0) {
    t->failed = true;
    return;
  }
  if (t->len + (size_t)need + 1 > t->cap) {
    size_t cap = 2 * (t->len + (size_t)need + 1);
    char *grown = realloc(t->data, cap);
    if (!grown) {
      t->failed = true;
      return;
    }
    t->data = grown;
    t->cap = cap;
  }
  va_start(ap, fmt);
  vsnprintf(t->data + t->len, t->cap - t->len, fmt, ap);
  va_end(ap);
  t->len += (size_t)need;
}

/* sklearn's default target names are str(label). */
static char **label_names(const tg_class_scores *s) {
  char **names = calloc((size_t)s->n_labels, sizeof(char *));
  if (!names) return NULL;
  for (int64_t j = 0; j < s->n_labels; j++) {
    names[j] = malloc(24); /* "-9223372036854775808" fits */
    if (names[j]) snprintf(names[j], 24, "%lld", (long long)s->labels[j]);
    if (!names[j]) {
      for (int64_t i = 0; i < j; i++) free(names[i]);
      free(names);
      return NULL;
    }
  }
  return names;
}

/* micro average is labelled "accuracy" (and shows only F1 = accuracy) when the
 * report covers exactly the labels present in y_true and y_pred. */
static int micro_is_accuracy(const char *fn, const int64_t *y_true, const int64_t *y_pred,
                             int64_t n, const label_set *set, bool labels_given,
                             bool *answer) {
  *answer = true;
  if (!labels_given) return 0;
  label_set present;
  if (tg_metrics_label_set_union(fn, y_true, n, y_pred, n, &present) != 0) return -1;
  *answer = present.n == set->n;
  for (int64_t j = 0; *answer && j < present.n; j++)
    *answer = tg_metrics_label_set_find(set, present.labels[j]) >= 0;
  tg_metrics_label_set_free(&present);
  return 0;
}

/* Display width as Python counts it: code points, not UTF-8 bytes. */
static int text_width(const char *s) {
  int width = 0;
  for (; *s; s++) width += ((unsigned char)*s & 0xC0) != 0x80;
  return width;
}

/* Right-aligns `s` in `width` columns, like Python's "{:>{width}s}". */
static void append_right(text *t, const char *s, int width) {
  append(t, "%*s%s", width > text_width(s) ? width - text_width(s) : 0, "", s);
}

static void write_table(text *t, const label_counts *c, const tg_class_scores *s,
                        const char *const *names, int digits, bool accuracy_row,
                        tg_zero_division zero_division) {
  const char *headers[] = {"precision", "recall", "f1-score", "support"};
  int width = text_width("weighted avg");
  if (digits > width) width = digits;
  for (int64_t j = 0; j < s->n_labels; j++)
    if (text_width(names[j]) > width) width = text_width(names[j]);
  append(t, "%*s ", width, "");
  for (int h = 0; h < 4; h++) append(t, " %9s", headers[h]);
  append(t, "\n\n");
  int64_t total = 0;
  for (int64_t j = 0; j < s->n_labels; j++) {
    append_right(t, names[j], width);
    append(t, "  %9.*f %9.*f %9.*f %9lld\n", digits, s->precision[j], digits,
           s->recall[j], digits, s->f1[j], (long long)s->support[j]);
    total += s->support[j];
  }
  append(t, "\n");
  const tg_average averages[] = {TG_AVERAGE_MICRO, TG_AVERAGE_MACRO, TG_AVERAGE_WEIGHTED};
  const char *headings[] = {"micro avg", "macro avg", "weighted avg"};
  for (int a = 0; a < 3; a++) {
    tg_scores avg = tg_metrics_prf_average(c, s, averages[a], zero_division);
    if (a == 0 && accuracy_row) {
      append(t, "%*s  %9s %9s %9.*f %9lld\n", width, "accuracy", "", "", digits, avg.f1,
             (long long)total);
    } else {
      append(t, "%*s  %9.*f %9.*f %9.*f %9lld\n", width, headings[a], digits,
             avg.precision, digits, avg.recall, digits, avg.f1, (long long)total);
    }
  }
}

/* The report, with errors reported under the public name `fn`. */
static int report_build(const char *fn, const int64_t *y_true, const int64_t *y_pred,
                        int64_t n, const tg_report_options *options, char **out) {
  tg_report_options o = options ? *options : tg_report_options_default();
  tg_metrics_check_out(fn, out, "text");
  *out = NULL;
  tg_metrics_check_zero_division(fn, o.zero_division);
  if (o.digits < 0 || o.digits > 15)
    tg_error("%s: digits must be in [0, 15], got %d", fn, o.digits);
  if (tg_metrics_check_arrays(fn, n, y_true, "y_true", y_pred, "y_pred") != 0) return -1;
  label_set set;
  int rc = o.labels ? tg_metrics_label_set_explicit(fn, o.labels, o.n_labels, &set)
                    : tg_metrics_label_set_union(fn, y_true, n, y_pred, n, &set);
  if (rc != 0) return -1;
  if (o.target_names) {
    for (int64_t j = 0; j < set.n; j++) {
      if (!o.target_names[j]) {
        tg_metrics_label_set_free(&set);
        tg_error("%s: target_names[%lld] is NULL", fn, (long long)j);
      }
    }
  }
  label_counts counts;
  tg_class_scores scores;
  bool accuracy_row;
  rc = micro_is_accuracy(fn, y_true, y_pred, n, &set, o.labels != NULL, &accuracy_row);
  if (rc == 0)
    rc = tg_metrics_prf_compute(fn, y_true, y_pred, n, &set, o.zero_division, &counts,
                                &scores);
  tg_metrics_label_set_free(&set);
  if (rc != 0) return -1;
  char **own_names = o.target_names ? NULL : label_names(&scores);
  text t = {0};
  t.failed = !o.target_names && !own_names;
  if (!t.failed)
    write_table(&t, &counts, &scores,
                o.target_names ? o.target_names : (const char *const *)own_names,
                o.digits, accuracy_row, o.zero_division);
  if (own_names)
    for (int64_t j = 0; j < scores.n_labels; j++) free(own_names[j]);
  free(own_names);
  tg_metrics_label_counts_free(&counts);
  tg_class_scores_free(&scores);
  if (t.failed) {
    free(t.data);
    tg_set_last_error("%s: out of memory", fn);
    return -1;
  }
  *out = t.data;
  return 0;
}

int tg_classification_report(const int64_t *y_true, const int64_t *y_pred, int64_t n,
                             const tg_report_options *options, char **report) {
  return report_build("tg_classification_report", y_true, y_pred, n, options, report);
}

int tg_classification_report_fprint(FILE *file, const int64_t *y_true,
                                    const int64_t *y_pred, int64_t n,
                                    const tg_report_options *options) {
  const char *fn = "tg_classification_report_fprint";
  tg_metrics_check_out(fn, file, "file");
  char *report;
  if (report_build(fn, y_true, y_pred, n, options, &report) != 0) return -1;
  size_t len = strlen(report);
  bool ok = fwrite(report, 1, len, file) == len;
  free(report);
  if (!ok) {
    tg_set_last_error("%s: write failed", fn);
    return -1;
  }
  return 0;
}
