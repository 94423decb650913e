/* print(model): PyTorch's nested module repr, built from each module's
 * type name, extra_repr and children. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

void tg_nn_float_repr(double v, char *buf, size_t size) {
  if (isnan(v)) {
    snprintf(buf, size, "nan");
    return;
  }
  if (isinf(v)) {
    snprintf(buf, size, v < 0 ? "-inf" : "inf");
    return;
  }
  /* the fewest significant digits that read back as the same double */
  int digits = 1;
  for (; digits < 17; digits++) {
    snprintf(buf, size, "%.*e", digits - 1, v);
    if (strtod(buf, NULL) == v) break;
  }
  snprintf(buf, size, "%.*e", digits - 1, v);
  int exponent = atoi(strchr(buf, 'e') + 1);
  /* like repr(): positional from 1e-4 up to 1e16, always with a '.' */
  if (exponent >= -4 && exponent < 16) {
    int decimals = digits - 1 - exponent;
    snprintf(buf, size, "%.*f", decimals > 0 ? decimals : 0, v);
    if (decimals <= 0 && strlen(buf) + 3 <= size) strcat(buf, ".0");
  }
}

void tg_nn_text_put(tg_nn_text *t, const char *s) {
  size_t n = strlen(s);
  if (t->len + n + 1 > t->cap) {
    size_t cap = t->cap ? t->cap : 256;
    while (t->len + n + 1 > cap) cap *= 2;
    char *bigger = realloc(t->data, cap);
    if (!bigger) tg_error("tensorgrad nn: out of memory building text");
    t->data = bigger;
    t->cap = cap;
  }
  memcpy(t->data + t->len, s, n + 1);
  t->len += n;
}

/* Puts text with every line after the first indented by two spaces
 * (PyTorch's _addindent). */
static void put_indented(tg_nn_text *s, const char *text) {
  for (const char *p = text; *p; p++) {
    char c[2] = {*p, 0};
    tg_nn_text_put(s, c);
    if (*p == '\n') tg_nn_text_put(s, "  ");
  }
}

static void repr_into(tg_nn_text *s, const tg_module *m) {
  char extra[512] = "";
  if (m->vtable->extra_repr) m->vtable->extra_repr(m, extra, sizeof extra);
  tg_nn_text_put(s, m->vtable->type_name);
  tg_nn_text_put(s, "(");
  if (m->n_children == 0) {
    tg_nn_text_put(s, extra); /* one line, no newline: "Linear(in_features=2, ...)" */
    tg_nn_text_put(s, ")");
    return;
  }
  if (*extra) {
    tg_nn_text_put(s, "\n  ");
    put_indented(s, extra);
  }
  for (int i = 0; i < m->n_children; i++) {
    tg_nn_text child = {NULL, 0, 0};
    repr_into(&child, m->children[i].module);
    tg_nn_text_put(s, "\n  (");
    tg_nn_text_put(s, m->children[i].name);
    tg_nn_text_put(s, "): ");
    put_indented(s, child.data);
    free(child.data);
  }
  tg_nn_text_put(s, "\n)");
}

char *tg_module_repr(const tg_module *m) {
  if (!m) tg_error("tg_module_repr: module is NULL");
  tg_nn_text s = {NULL, 0, 0};
  repr_into(&s, m);
  return s.data;
}

void tg_module_fprint(FILE *f, const tg_module *m) {
  char *text = tg_module_repr(m);
  fprintf(f, "%s\n", text);
  free(text);
}

void tg_module_print(const tg_module *m) {
  tg_module_fprint(stdout, m);
}
