/* Printing like print(tensor) in PyTorch (torch/_tensor_str.py):
 *   tensor([[ 0.1000, -2.0000],
 *           [ 3.5000,  4.0000]], grad_fn=<MulBackward0>)
 * Floats get 4 decimals, whole-valued floats print as "2.", and scientific
 * notation takes over when magnitudes span more than 1000x (or pass 1e8,
 * or, for fractions, fall under 1e-4). Every element is padded to one
 * width; a row wraps at 80 columns; a tensor of more than 1000 elements is
 * summarised with "..." around the first and last 3 entries of each dim. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor/core.h"

enum { SUMMARY_THRESHOLD = 1000, EDGE_ITEMS = 3, LINE_WIDTH = 80 };

typedef enum { FMT_FIXED, FMT_WHOLE, FMT_SCI } float_format;

typedef struct printer {
  FILE *f;
  const tg_tensor *t;
  float_format format;
  bool summarize;
  int width; /* of the widest element */
  int indent;
} printer;

static double value_at(const tg_tensor *t, int64_t offset) {
  return tg_load(tg_storage_ptr(t, offset), t->dtype);
}

static void format_value(const printer *p, double v, char *buf, size_t size) {
  if (p->t->dtype == TG_BOOL) {
    snprintf(buf, size, "%s", v != 0 ? "True" : "False");
  } else if (p->t->dtype == TG_INT64) {
    snprintf(buf, size, "%lld", (long long)v);
  } else if (isnan(v)) {
    snprintf(buf, size, "nan");
  } else if (isinf(v)) {
    snprintf(buf, size, v > 0 ? "inf" : "-inf");
  } else if (p->format == FMT_SCI) {
    snprintf(buf, size, "%.4e", v);
  } else if (p->format == FMT_WHOLE) {
    snprintf(buf, size, "%.0f.", v);
  } else {
    snprintf(buf, size, "%.4f", v);
  }
}

static bool skipped(const printer *p, int64_t size, int64_t i) {
  return p->summarize && size > 2 * EDGE_ITEMS && i >= EDGE_ITEMS &&
         i < size - EDGE_ITEMS;
}

/* Visits the elements that will be shown. */
typedef void (*visit_fn)(printer *p, double v);

static void visit_shown(printer *p, int dim, int64_t offset, visit_fn visit) {
  const tg_tensor *t = p->t;
  if (dim == t->ndim) {
    visit(p, value_at(t, offset));
    return;
  }
  for (int64_t i = 0; i < t->shape[dim]; i++)
    if (!skipped(p, t->shape[dim], i))
      visit_shown(p, dim + 1, offset + i * t->strides[dim], visit);
}

/* PyTorch measures the width on the nonzero finite values of a float
 * tensor only: nan, inf and -0 may stick out. */
static void measure(printer *p, double v) {
  if (tg_is_floating(p->t->dtype) && (!isfinite(v) || v == 0)) return;
  char buf[64];
  format_value(p, v, buf, sizeof buf);
  int len = (int)strlen(buf);
  if (len > p->width) p->width = len;
}

/* PyTorch's choice of format, from the shown nonzero finite magnitudes. */
typedef struct range {
  double lo, hi;
  bool whole;
} range;

static _Thread_local range shown_range; /* filled by one print on its thread */

static void track(printer *p, double v) {
  double a = fabs(v);
  if (!isfinite(v) || a == 0) return;
  if (a < shown_range.lo) shown_range.lo = a;
  if (a > shown_range.hi) shown_range.hi = a;
  if (v != ceil(v)) shown_range.whole = false;
}

static float_format choose_format(printer *p) {
  if (!tg_is_floating(p->t->dtype) || tg_numel(p->t) == 0) return FMT_FIXED;
  shown_range = (range){INFINITY, 0, true};
  visit_shown(p, 0, p->t->offset, track);
  range r = shown_range;
  if (r.hi == 0)
    return shown_range.whole ? FMT_WHOLE : FMT_FIXED; /* all zero or non-finite */
  bool spread = r.hi / r.lo > 1000 || r.hi > 1e8;
  if (r.whole) return spread ? FMT_SCI : FMT_WHOLE;
  return spread || r.lo < 1e-4 ? FMT_SCI : FMT_FIXED;
}

/* One innermost row, wrapped so that no line passes LINE_WIDTH. */
static void print_row(printer *p, int64_t offset, int64_t stride, int64_t size) {
  int per_line = (LINE_WIDTH - p->indent) / (p->width + 2);
  if (per_line < 1) per_line = 1;
  int on_line = 0;
  for (int64_t i = 0; i < size; i++) {
    if (skipped(p, size, i)) {
      if (i == EDGE_ITEMS) fputs("  ...,", p->f), on_line++; /* " ..." as an element */
      continue;
    }
    if (on_line == per_line) {
      fprintf(p->f, "\n%*s", p->indent + p->t->ndim, "");
      on_line = 0;
    } else if (i > 0) {
      fputc(' ', p->f);
    }
    char buf[64];
    format_value(p, value_at(p->t, offset + i * stride), buf, sizeof buf);
    int pad = p->width - (int)strlen(buf); /* nan, inf, -0. may be wider */
    fprintf(p->f, "%*s%s", pad > 0 ? pad : 0, "", buf);
    if (i + 1 < size) fputc(',', p->f);
    on_line++;
  }
}

static void print_dim(printer *p, int dim, int64_t offset) {
  const tg_tensor *t = p->t;
  fputc('[', p->f);
  int64_t size = t->shape[dim];
  if (dim == t->ndim - 1) {
    print_row(p, offset, t->strides[dim], size);
  } else {
    const char *gap = t->ndim - dim > 2 ? "\n\n" : "\n";
    for (int64_t i = 0; i < size; i++) {
      if (skipped(p, size, i)) {
        if (i == EDGE_ITEMS) fprintf(p->f, "...,%s%*s", gap, p->indent + dim + 1, "");
        continue;
      }
      print_dim(p, dim + 1, offset + i * t->strides[dim]);
      if (i + 1 < size) fprintf(p->f, ",%s%*s", gap, p->indent + dim + 1, "");
    }
  }
  fputc(']', p->f);
}

/* The elements: "[...]" or a 0-d value, into f. */
static void print_body(FILE *f, const tg_tensor *t) {
  printer p = {f, t, FMT_FIXED, tg_numel(t) > SUMMARY_THRESHOLD, 1, 7 /* "tensor(" */};
  p.format = choose_format(&p);
  if (tg_numel(t) == 0) {
    fputs("[]", f);
    return;
  }
  visit_shown(&p, 0, t->offset, measure);
  if (t->ndim == 0) {
    char buf[64];
    format_value(&p, value_at(t, t->offset), buf, sizeof buf);
    fputs(buf, f);
  } else {
    print_dim(&p, 0, t->offset);
  }
}

/* PyTorch's suffixes: the size of an empty tensor that is not 1-D, the
 * dtype unless it is the default one (float32, or int64 / bool with
 * elements to show it), then grad_fn or requires_grad. */
static int suffixes_of(const tg_tensor *t, char suffixes[][128]) {
  int n = 0;
  bool empty = tg_numel(t) == 0;
  if (empty && t->ndim != 1) {
    int len = snprintf(suffixes[n], 128, "size=(");
    for (int d = 0; d < t->ndim; d++)
      len += snprintf(suffixes[n] + len, (size_t)(128 - len), d ? ", %lld" : "%lld",
                      (long long)t->shape[d]);
    snprintf(suffixes[n++] + len, (size_t)(128 - len), ")");
  }
  bool default_dtype = t->dtype == TG_FLOAT32 || (!empty && t->dtype != TG_FLOAT64);
  if (!default_dtype) {
    static const char *names[] = {"torch.bool", "torch.int64", "torch.float32",
                                  "torch.float64"};
    snprintf(suffixes[n++], 128, "dtype=%s", names[t->dtype]);
  }
  if (t->grad_fn)
    snprintf(suffixes[n++], 128, "grad_fn=<%s>", tg_node_name(t->grad_fn));
  else if (t->requires_grad)
    snprintf(suffixes[n++], 128, "requires_grad=True");
  return n;
}

/* torch/_tensor_str.py's _add_suffixes: a suffix that would pass column 80
 * starts a new line, indented under the first element. */
void tg_fprint(void *file, const tg_tensor *t) {
  FILE *f = file;
  if (!t) { /* print(None): tg_grad before any backward is NULL */
    fputs("None\n", f);
    return;
  }
  tg_use(t, "tg_print");
  char *body = NULL;
  size_t size = 0;
  FILE *mem = open_memstream(&body, &size);
  if (!mem) tg_error("tg_print: out of memory");
  fputs("tensor(", mem);
  print_body(mem, t);
  fclose(mem);
  fputs(body, f);
  const char *last_line = strrchr(body, '\n');
  size_t line_len = last_line ? strlen(last_line) + 1 : strlen(body) + 2;
  free(body);
  char suffixes[4][128];
  int n = suffixes_of(t, suffixes);
  for (int i = 0; i < n; i++) {
    size_t len = strlen(suffixes[i]);
    if (line_len + len + 2 > LINE_WIDTH) {
      fprintf(f, ",\n       %s", suffixes[i]);
      line_len = 7 + len;
    } else {
      fprintf(f, ", %s", suffixes[i]);
      line_len += len + 2;
    }
  }
  fputs(")\n", f);
}

void tg_print(const tg_tensor *t) {
  tg_fprint(stdout, t);
}
