/* A growing NUL-terminated string for the text formats (SVG, JSON). */
#include "plot.h"

#include <stdio.h>
#include <stdlib.h>

void tg_plot_buf_reserve(plot_buf *b, size_t extra) {
  if (b->failed || b->len + extra + 1 <= b->cap) return;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + extra + 1) cap *= 2;
  char *grown = realloc(b->data, cap);
  if (!grown) {
    b->failed = true;
    return;
  }
  b->data = grown;
  b->cap = cap;
}

void tg_plot_buf_printf(plot_buf *b, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  int n = vsnprintf(NULL, 0, fmt, args);
  va_end(args);
  if (n < 0) return;
  tg_plot_buf_reserve(b, (size_t)n);
  if (b->failed) return;
  va_start(args, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, args);
  va_end(args);
  b->len += (size_t)n;
}

void tg_plot_buf_free(plot_buf *b) {
  free(b->data);
  *b = (plot_buf){0};
}
