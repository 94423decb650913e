/* Printing like print(tensor) in PyTorch:
 *   tensor([[ 0.1000, -2.0000],
 *           [ 3.5000,  4.0000]], grad_fn=<MulBackward>)
 * Floats get 4 decimals (scientific when the magnitudes call for it), a
 * tensor of more than 1000 elements is summarised with "..." after the
 * first and before the last 3 entries of each dim. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tensor/internal.h"

enum { SUMMARY_THRESHOLD = 1000, EDGE_ITEMS = 3 };

typedef struct printer {
  FILE *f;
  const tg_tensor *t;
  bool sci, summarize;
  int width;
  int indent;
} printer;

static void format_value(const printer *p, double v, char *buf, size_t size) {
  switch (p->t->dtype) {
  case TG_BOOL: snprintf(buf, size, "%s", v != 0 ? "True" : "False"); return;
  case TG_INT64: snprintf(buf, size, "%lld", (long long)v); return;
  default:
    if (isnan(v)) snprintf(buf, size, "nan");
    else if (isinf(v)) snprintf(buf, size, v > 0 ? "inf" : "-inf");
    else snprintf(buf, size, p->sci ? "%.4e" : "%.4f", v);
  }
}

static bool skipped(const printer *p, int64_t size, int64_t i) {
  return p->summarize && size > 2 * EDGE_ITEMS && i >= EDGE_ITEMS && i < size - EDGE_ITEMS;
}

/* Visits the elements that will be shown, to size the columns. */
static void measure(printer *p, int dim, int64_t offset) {
  const tg_tensor *t = p->t;
  if (dim == t->ndim) {
    char buf[64];
    format_value(p, tg_load((const char *)t->storage->data + offset * (int64_t)tg_dtype_size(t->dtype), t->dtype), buf, sizeof buf);
    int len = (int)strlen(buf);
    if (len > p->width) p->width = len;
    return;
  }
  for (int64_t i = 0; i < t->shape[dim]; i++)
    if (!skipped(p, t->shape[dim], i)) measure(p, dim + 1, offset + i * t->strides[dim]);
}

static void print_dim(printer *p, int dim, int64_t offset) {
  const tg_tensor *t = p->t;
  if (dim == t->ndim) {
    char buf[64];
    format_value(p, tg_load((const char *)t->storage->data + offset * (int64_t)tg_dtype_size(t->dtype), t->dtype), buf, sizeof buf);
    fprintf(p->f, "%*s", p->width, buf);
    return;
  }
  fputc('[', p->f);
  int64_t size = t->shape[dim];
  for (int64_t i = 0; i < size; i++) {
    if (skipped(p, size, i)) {
      if (i == EDGE_ITEMS) fprintf(p->f, dim == t->ndim - 1 ? "..., " : "...,\n%*s", p->indent + dim + 1, "");
      continue;
    }
    print_dim(p, dim + 1, offset + i * t->strides[dim]);
    if (i + 1 < size) {
      if (dim == t->ndim - 1)
        fputs(", ", p->f);
      else
        fprintf(p->f, ",%s%*s", t->ndim - dim > 2 ? "\n\n" : "\n", p->indent + dim + 1, "");
    }
  }
  fputc(']', p->f);
}

/* Scientific notation when the shown floats span too many magnitudes. */
static bool wants_sci(const tg_tensor *t) {
  if (!tg_is_floating(t->dtype)) return false;
  double lo = INFINITY, hi = 0;
  int64_t n = tg_numel(t);
  for (int64_t i = 0; i < n && i < 100000; i++) {
    double a = fabs(tg_get_flat(t, i));
    if (!isfinite(a) || a == 0) continue;
    if (a < lo) lo = a;
    if (a > hi) hi = a;
  }
  return hi > 0 && (hi >= 1e8 || lo < 1e-4 || hi / lo > 1000);
}

/* "log_softmax" -> "LogSoftmaxBackward", like PyTorch's grad_fn names */
static void backward_name(const char *op, char *buf, size_t size) {
  size_t len = 0;
  bool upper = true;
  for (const char *c = op; *c && len + 1 < size; c++) {
    if (*c == '_') {
      upper = true;
      continue;
    }
    buf[len++] = upper ? (char)toupper((unsigned char)*c) : *c;
    upper = false;
  }
  snprintf(buf + len, size - len, "Backward");
}

void tg_fprint(void *file, const tg_tensor *t) {
  FILE *f = file;
  printer p = {f, t, wants_sci(t), tg_numel(t) > SUMMARY_THRESHOLD, 0, 7};
  fputs("tensor(", f);
  if (tg_numel(t) == 0 && t->ndim > 0) {
    fputs("[]", f);
  } else {
    measure(&p, 0, t->offset);
    print_dim(&p, 0, t->offset);
  }
  if (t->dtype == TG_FLOAT64 || t->dtype == TG_BOOL)
    fprintf(f, ", dtype=%s", tg_dtype_name(t->dtype));
  if (tg_numel(t) == 0 && t->ndim > 0) {
    char s[TG_SHAPE_STR_MAX];
    fprintf(f, ", size=%s", tg_shape_str(tg_shape_of(t), s));
  }
  if (t->grad_fn) {
    char name[96];
    backward_name(t->grad_fn->op->name, name, sizeof name);
    fprintf(f, ", grad_fn=<%s>", name);
  } else if (t->requires_grad) {
    fputs(", requires_grad=True", f);
  }
  fputs(")\n", f);
}

void tg_print(const tg_tensor *t) { tg_fprint(stdout, t); }
