/* A numeric CSV reader that never trusts its input: every malformed byte
 * becomes an error naming the file, line and column (see datasets.h). */
#include "tensorgrad/datasets.h"
#include "tensorgrad/tensor.h"
#include "data/bunch.h"
#include "data/read_file.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

tg_csv_options tg_csv_defaults(void) {
  return (tg_csv_options){
      .delimiter = ',', .header = true, .label_column = -1, .skip_rows = 0};
}

/* ---- splitting records ---------------------------------------------------- */

typedef struct {
  const char *path;
  const char *p, *end;
  int64_t line; /* line of the next byte, 1-based */
  char delim;
} cursor;

/* One record's fields, unquoted, each NUL-terminated inside `text`. */
typedef struct {
  char *text;
  size_t len, cap;
  size_t *start;
  int64_t n, cap_fields;
  int64_t line; /* where the record began */
} record;

static bool push_char(record *r, char ch) {
  if (r->len == r->cap) {
    size_t cap = r->cap ? 2 * r->cap : 256;
    char *t = realloc(r->text, cap);
    if (!t) return false;
    r->text = t;
    r->cap = cap;
  }
  r->text[r->len++] = ch;
  return true;
}

static bool begin_field(record *r) {
  if (r->n == r->cap_fields) {
    int64_t cap = r->cap_fields ? 2 * r->cap_fields : 16;
    size_t *s = realloc(r->start, sizeof(size_t) * (size_t)cap);
    if (!s) return false;
    r->start = s;
    r->cap_fields = cap;
  }
  r->start[r->n++] = r->len;
  return true;
}

static const char *field(const record *r, int64_t i) {
  return r->text + r->start[i];
}

/* Field length without its terminator; fields may hold NUL bytes. */
static size_t field_len(const record *r, int64_t i) {
  size_t next = i + 1 < r->n ? r->start[i + 1] : r->len;
  return next - r->start[i] - 1;
}

static int oom(const cursor *c) {
  tg_set_last_error("%s:%lld: out of memory", c->path, (long long)c->line);
  return -1;
}

/* Spaces and tabs around a field, unless they are the delimiter. */
static void skip_blanks(cursor *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t') && *c->p != c->delim) c->p++;
}

/* A "quoted ""field""" starting at the opening quote. */
static int read_quoted(cursor *c, record *r) {
  c->p++;
  for (;;) {
    if (c->p == c->end) {
      tg_set_last_error("%s:%lld: column %lld: unterminated quoted field", c->path,
                        (long long)r->line, (long long)r->n);
      return -1;
    }
    char ch = *c->p++;
    if (ch == '"') {
      if (c->p == c->end || *c->p != '"') break;
      c->p++;
    }
    if (ch == '\n') c->line++;
    if (!push_char(r, ch)) return oom(c);
  }
  skip_blanks(c);
  if (c->p < c->end && *c->p != c->delim && *c->p != '\n' && *c->p != '\r') {
    tg_set_last_error("%s:%lld: column %lld: unexpected '%c' after a closing quote",
                      c->path, (long long)c->line, (long long)r->n,
                      isprint((unsigned char)*c->p) ? *c->p : '?');
    return -1;
  }
  return 0;
}

static bool blank_line(const cursor *c) {
  for (const char *q = c->p; q < c->end && *q != '\n'; q++)
    if (!isspace((unsigned char)*q)) return false;
  return true;
}

static void skip_line(cursor *c) {
  while (c->p < c->end && *c->p != '\n') c->p++;
  if (c->p < c->end) c->p++;
  c->line++;
}

/* The next non-blank record: 1 when read, 0 at the end, -1 on error. */
static int read_record(cursor *c, record *r) {
  while (c->p < c->end && blank_line(c)) skip_line(c);
  if (c->p == c->end) return 0;
  r->len = 0;
  r->n = 0;
  r->line = c->line;
  for (;;) {
    if (!begin_field(r)) return oom(c);
    skip_blanks(c);
    if (c->p < c->end && *c->p == '"') {
      if (read_quoted(c, r)) return -1;
    } else {
      while (c->p < c->end && *c->p != c->delim && *c->p != '\n')
        if (!push_char(r, *c->p++)) return oom(c);
      if (r->len > r->start[r->n - 1] && r->text[r->len - 1] == '\r') r->len--;
    }
    if (!push_char(r, '\0')) return oom(c);
    if (c->p < c->end && *c->p == c->delim) {
      c->p++;
      continue;
    }
    while (c->p < c->end && *c->p == '\r') c->p++;
    if (c->p < c->end) { /* the newline */
      c->p++;
      c->line++;
    }
    return 1;
  }
}

/* ---- numbers -------------------------------------------------------------- */

/* Field i as it may be shown in a message: printable, at most 40 chars. */
static const char *shown(const record *r, int64_t i, char buf[48]) {
  const char *s = field(r, i);
  size_t n = field_len(r, i), k = 0;
  for (; k < n && k < 40; k++) buf[k] = isprint((unsigned char)s[k]) ? s[k] : '?';
  strcpy(buf + k, k < n ? "..." : "");
  return buf;
}

/* A decimal number: digits, sign, point and exponent only. strtod would
 * also take "nan", "inf" and hex floats, which no feature should be. */
static bool decimal_chars(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!strchr("0123456789+-.eE", s[i]) || s[i] == '\0') return false;
  return true;
}

static int parse_number(const cursor *c, const record *r, int64_t col, bool feature,
                        double *value) {
  const char *s = field(r, col), *stop = s + field_len(r, col);
  char show[48];
  while (s < stop && isspace((unsigned char)*s)) s++;
  size_t n = (size_t)(stop - s);
  while (n > 0 && isspace((unsigned char)s[n - 1])) n--;
  if (n == 0) {
    tg_set_last_error("%s:%lld: column %lld: empty field", c->path, (long long)r->line,
                      (long long)col + 1);
    return -1;
  }
  char *end;
  errno = 0;
  *value = strtod(s, &end);
  if (end != s + n) {
    tg_set_last_error("%s:%lld: column %lld: '%s' is not a number", c->path,
                      (long long)r->line, (long long)col + 1, shown(r, col, show));
    return -1;
  }
  if (feature && !decimal_chars(s, n)) {
    tg_set_last_error("%s:%lld: column %lld: '%s' is not a finite decimal number (nan, "
                      "inf and hex floats are not accepted)",
                      c->path, (long long)r->line, (long long)col + 1,
                      shown(r, col, show));
    return -1;
  }
  if (errno == ERANGE && isinf(*value)) {
    tg_set_last_error("%s:%lld: column %lld: '%s' is too large for a double", c->path,
                      (long long)r->line, (long long)col + 1, shown(r, col, show));
    return -1;
  }
  return 0;
}

static int parse_label(const cursor *c, const record *r, int64_t col, int64_t *label) {
  double v;
  if (parse_number(c, r, col, false, &v)) return -1;
  if (!(v == floor(v) && fabs(v) < 9.2e18)) {
    char show[48];
    tg_set_last_error("%s:%lld: column %lld: label '%s' is not an integer", c->path,
                      (long long)r->line, (long long)col + 1, shown(r, col, show));
    return -1;
  }
  *label = (int64_t)v;
  return 0;
}

/* ---- the table ------------------------------------------------------------ */

typedef struct {
  double *X;
  int64_t *y;
  int64_t rows, cap;
} table;

static bool table_grow(table *t, int64_t n_features, bool labels) {
  if (t->rows < t->cap) return true;
  int64_t cap = t->cap ? 2 * t->cap : 64, cells;
  if (__builtin_mul_overflow(cap, n_features, &cells) ||
      (uint64_t)cells > SIZE_MAX / sizeof(double))
    return false;
  double *X = realloc(t->X, sizeof(double) * (size_t)cells);
  if (X) t->X = X;
  int64_t *y = labels ? realloc(t->y, sizeof(int64_t) * (size_t)cap) : NULL;
  if (y) t->y = y;
  if (!X || (labels && !y)) return false;
  t->cap = cap;
  return true;
}

static int add_row(const cursor *c, const record *r, int64_t n_cols, int64_t label_col,
                   table *t) {
  if (r->n != n_cols) {
    tg_set_last_error("%s:%lld: expected %lld columns, found %lld", c->path,
                      (long long)r->line, (long long)n_cols, (long long)r->n);
    return -1;
  }
  int64_t n_features = n_cols - (label_col >= 0);
  if (!table_grow(t, n_features, label_col >= 0)) return oom(c);
  double *x = t->X + t->rows * n_features;
  for (int64_t col = 0, j = 0; col < n_cols; col++) {
    if (col == label_col) {
      if (parse_label(c, r, col, &t->y[t->rows])) return -1;
    } else if (parse_number(c, r, col, true, &x[j++])) {
      return -1;
    }
  }
  t->rows++;
  return 0;
}

/* The options are the calling code's: a bad one is a tg_error. */
static void check_options(const char *path, const tg_csv_options *o) {
  char d = o->delimiter;
  if (d == '\0' || d == '"' || d == '\n' || d == '\r' || o->skip_rows < 0)
    tg_error("tg_load_csv: %s: bad CSV options (delimiter %d, skip_rows %lld)", path, d,
             (long long)o->skip_rows);
}

/* label_column resolved against n_cols: -1 for none. */
static int resolve_label(const char *path, const tg_csv_options *o, int64_t n_cols,
                         int64_t *label_col) {
  if (o->label_column == TG_CSV_NO_LABEL) {
    *label_col = -1;
    return 0;
  }
  int64_t lc = o->label_column < 0 ? n_cols + o->label_column : o->label_column;
  if (lc < 0 || lc >= n_cols || n_cols < 2) {
    tg_set_last_error("%s: label_column %lld does not leave a label and a feature among "
                      "%lld columns",
                      path, (long long)o->label_column, (long long)n_cols);
    return -1;
  }
  *label_col = lc;
  return 0;
}

static char **header_names(const record *h, int64_t label_col) {
  char **names = calloc((size_t)h->n, sizeof *names);
  if (!names) return NULL;
  for (int64_t col = 0, j = 0; col < h->n; col++) {
    if (col == label_col) continue;
    names[j] = strdup(field(h, col));
    if (!names[j++]) {
      for (int64_t i = 0; i < j; i++) free(names[i]);
      free(names);
      return NULL;
    }
  }
  return names;
}

static int parse_text(cursor *c, const tg_csv_options *o, tg_bunch *out) {
  record r = {0}, header = {0};
  table t = {0};
  int status = -1, got = 0;
  int64_t n_cols = 0, label_col = -1;
  for (int64_t i = 0; i < o->skip_rows && c->p < c->end; i++) skip_line(c);
  if (o->header) {
    got = read_record(c, &header);
    if (got == 0) tg_set_last_error("%s: no header row", c->path);
    if (got <= 0) goto done;
  }
  while ((got = read_record(c, &r)) > 0) {
    if (t.rows == 0) {
      n_cols = o->header ? header.n : r.n;
      if (resolve_label(c->path, o, n_cols, &label_col)) goto done;
    }
    if (add_row(c, &r, n_cols, label_col, &t)) goto done;
  }
  if (got < 0) goto done;
  if (t.rows == 0) {
    tg_set_last_error("%s: no data rows", c->path);
    goto done;
  }
  out->n_samples = t.rows;
  out->n_features = n_cols - (label_col >= 0);
  out->X = t.X;
  out->y = t.y;
  t.X = NULL;
  t.y = NULL;
  if (o->header && !(out->feature_names = header_names(&header, label_col))) {
    tg_bunch_free(out);
    oom(c);
    goto done;
  }
  status = 0;
done:
  free(r.text);
  free(r.start);
  free(header.text);
  free(header.start);
  free(t.X);
  free(t.y);
  return status;
}

int tg_load_csv(const char *path, const tg_csv_options *opt, tg_bunch *out) {
  if (!path || !out) tg_error("tg_load_csv: %s is NULL", path ? "out" : "path");
  memset(out, 0, sizeof *out);
  tg_csv_options defaults = tg_csv_defaults();
  if (!opt) opt = &defaults; /* NULL means the defaults */
  char *text;
  size_t len;
  check_options(path, opt);
  if (tg_read_whole_file(path, &text, &len)) return -1;
  /* A UTF-8 byte order mark (Excel writes one) is not part of the first name. */
  size_t bom = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
  if (len == bom) {
    free(text);
    tg_set_last_error("%s: file is empty", path);
    return -1;
  }
  cursor c = {.path = path,
              .p = text + bom,
              .end = text + len,
              .line = 1,
              .delim = opt->delimiter};
  int status = parse_text(&c, opt, out);
  free(text);
  return status;
}
