/* io/safetensors_read.c - the validating safetensors reader.
 *
 * Order of checks: the 8-byte length, the header's bounds, UTF-8, then the
 * JSON walked against the schema, then the table as a whole (names unique,
 * offsets tiling the data exactly, sizes matching shapes). Nothing is
 * allocated before the bytes that justify it have been seen, so a hostile
 * header cannot make us allocate more than it is long. */
#include "tensorgrad/safetensors.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <unistd.h>

#include "atomic_file.h"
#include "json.h"
#include "tensorgrad/tensor.h"

#define MAX_HEADER 100000000u /* the reference implementation's limit */
#define HEADER_START 8        /* JSON byte i is file byte 8 + i */

/* Where each tensor's bytes are, and where its entry is in the header. */
typedef struct {
  uint64_t begin, end;
  size_t key_at;
} placement;

typedef struct {
  tg_json j;
  tg_st_file *file;
  placement *where; /* parallel to file->tensors */
  size_t tensor_cap, meta_cap;
} parser;

static bool grow(parser *p, void **array, size_t *cap, size_t count, size_t elem) {
  if (count < *cap) return true;
  size_t new_cap = *cap ? 2 * *cap : 8;
  void *grown = realloc(*array, new_cap * elem);
  if (!grown) return tg_json_fail(&p->j, p->j.at, "out of memory");
  *array = grown;
  *cap = new_cap;
  return true;
}

/* ---- the JSON schema ------------------------------------------------------------- */

static bool parse_dtype(parser *p, tg_st_tensor *t) {
  size_t at = p->j.at, len;
  char *name = tg_json_string(&p->j, &len);
  if (!name) return false;
  for (int d = 0; tg_st_dtype_name((tg_st_dtype)d); d++) {
    if (strcmp(name, tg_st_dtype_name((tg_st_dtype)d)) == 0 && strlen(name) == len) {
      t->dtype = (tg_st_dtype)d;
      free(name);
      return true;
    }
  }
  tg_json_skip_ws(&p->j);
  tg_json_fail(&p->j, at, "tensor \"%s\": unknown dtype \"%.40s\"", t->name, name);
  free(name);
  return false;
}

static bool parse_shape(parser *p, tg_st_tensor *t) {
  int64_t *shape = NULL;
  size_t cap = 0, n = 0;
  bool ok = tg_json_expect(&p->j, '[', "'[' starting a shape");
  if (ok && !tg_json_accept(&p->j, ']')) {
    do {
      uint64_t d;
      size_t at = (tg_json_skip_ws(&p->j), p->j.at);
      ok = grow(p, (void **)&shape, &cap, n, sizeof *shape) && tg_json_uint(&p->j, &d);
      if (ok && d > INT64_MAX)
        ok = tg_json_fail(&p->j, at, "tensor \"%s\": dimension %" PRIu64 " too large",
                          t->name, d);
      if (ok && n >= INT32_MAX) ok = tg_json_fail(&p->j, at, "too many dimensions");
      if (ok) shape[n++] = (int64_t)d;
    } while (ok && tg_json_accept(&p->j, ','));
    ok = ok && tg_json_expect(&p->j, ']', "',' or ']' in a shape");
  }
  if (!ok) {
    free(shape);
    return false;
  }
  t->shape = shape;
  t->ndim = (int)n;
  return true;
}

static bool parse_offsets(parser *p, placement *w) {
  return tg_json_expect(&p->j, '[', "'[' starting data_offsets") &&
         tg_json_uint(&p->j, &w->begin) &&
         tg_json_expect(&p->j, ',', "',' between the two data_offsets") &&
         tg_json_uint(&p->j, &w->end) &&
         tg_json_expect(&p->j, ']', "']' after the two data_offsets");
}

/* {"dtype": ..., "shape": [...], "data_offsets": [b, e]}: each field once,
 * no others. t->name is set; fills the rest of t and w. */
static bool parse_tensor_info(parser *p, tg_st_tensor *t, placement *w) {
  static const char *const fields[] = {"dtype", "shape", "data_offsets"};
  bool seen[3] = {false, false, false};
  size_t start = (tg_json_skip_ws(&p->j), p->j.at);
  if (!tg_json_expect(&p->j, '{', "'{' starting a tensor entry")) return false;
  if (tg_json_accept(&p->j, '}')) goto check_missing;
  do {
    size_t at = (tg_json_skip_ws(&p->j), p->j.at), len;
    char *key = tg_json_string(&p->j, &len);
    if (!key || !tg_json_expect(&p->j, ':', "':' after a key")) {
      free(key);
      return false;
    }
    int f = 0;
    while (f < 3 && strcmp(key, fields[f]) != 0) f++;
    if (f == 3 || seen[f] || strlen(key) != len) {
      tg_json_fail(&p->j, at, "tensor \"%s\": %s field \"%.40s\"", t->name,
                   f < 3 && seen[f] ? "repeated" : "unknown", key);
      free(key);
      return false;
    }
    free(key);
    seen[f] = true;
    bool ok = f == 0   ? parse_dtype(p, t)
              : f == 1 ? parse_shape(p, t)
                       : parse_offsets(p, w);
    if (!ok) return false;
  } while (tg_json_accept(&p->j, ','));
  if (!tg_json_expect(&p->j, '}', "',' or '}' in a tensor entry")) return false;
check_missing:
  for (int f = 0; f < 3; f++)
    if (!seen[f])
      return tg_json_fail(&p->j, start, "tensor \"%s\": no \"%s\" field", t->name,
                          fields[f]);
  return true;
}

static bool parse_tensor(parser *p, char *name, size_t key_at) {
  tg_st_file *f = p->file;
  size_t cap = p->tensor_cap;
  if (!grow(p, (void **)&f->tensors, &p->tensor_cap, f->ntensors, sizeof *f->tensors) ||
      !grow(p, (void **)&p->where, &cap, f->ntensors, sizeof *p->where)) {
    free(name);
    return false;
  }
  tg_st_tensor *t = &f->tensors[f->ntensors];
  placement *w = &p->where[f->ntensors];
  *t = (tg_st_tensor){.name = name};
  *w = (placement){.key_at = key_at};
  f->ntensors++; /* counted now so that tg_safetensors_free releases it */
  return parse_tensor_info(p, t, w);
}

/* "__metadata__": {"key": "value", ...}, strings only. */
static bool parse_metadata(parser *p) {
  tg_st_file *f = p->file;
  if (!tg_json_expect(&p->j, '{', "'{' starting __metadata__")) return false;
  if (tg_json_accept(&p->j, '}')) return true;
  do {
    if (!grow(p, (void **)&f->meta, &p->meta_cap, f->nmeta, sizeof *f->meta))
      return false;
    size_t len;
    char *key = tg_json_string(&p->j, &len);
    if (!key) return false;
    f->meta[f->nmeta++] = (tg_st_meta){key, NULL};
    if (strlen(key) != len)
      return tg_json_fail(&p->j, p->j.at, "__metadata__ key holds a NUL character");
    if (!tg_json_expect(&p->j, ':', "':' after a key")) return false;
    tg_json_skip_ws(&p->j);
    if (p->j.at < p->j.n && p->j.p[p->j.at] != '"')
      return tg_json_fail(&p->j, p->j.at,
                          "__metadata__ must map strings to strings (\"%.40s\" does not; "
                          "no tensor may be named __metadata__)",
                          key);
    char *value = tg_json_string(&p->j, &len);
    if (!value) return false;
    f->meta[f->nmeta - 1].value = value;
  } while (tg_json_accept(&p->j, ','));
  return tg_json_expect(&p->j, '}', "',' or '}' in __metadata__");
}

static bool parse_header(parser *p) {
  bool seen_metadata = false;
  if (!tg_json_expect(&p->j, '{', "'{' starting the header")) return false;
  if (!tg_json_accept(&p->j, '}')) {
    do {
      size_t at = (tg_json_skip_ws(&p->j), p->j.at), len;
      char *name = tg_json_string(&p->j, &len);
      if (!name) return false;
      if (strlen(name) != len) {
        free(name);
        return tg_json_fail(&p->j, at, "tensor name holds a NUL character");
      }
      if (!tg_json_expect(&p->j, ':', "':' after a key")) {
        free(name);
        return false;
      }
      if (strcmp(name, "__metadata__") != 0) {
        if (!parse_tensor(p, name, at)) return false;
        continue;
      }
      free(name);
      if (seen_metadata) return tg_json_fail(&p->j, at, "__metadata__ given twice");
      seen_metadata = true;
      if (!parse_metadata(p)) return false;
    } while (tg_json_accept(&p->j, ','));
    if (!tg_json_expect(&p->j, '}', "',' or '}' after an entry")) return false;
  }
  tg_json_skip_ws(&p->j);
  if (p->j.at < p->j.n)
    return tg_json_fail(&p->j, p->j.at,
                        "unexpected bytes after the header's JSON object");
  return true;
}

/* ---- the table as a whole --------------------------------------------------------- */

static int by_name(const void *a, const void *b) {
  return strcmp((*(const tg_st_tensor *const *)a)->name,
                (*(const tg_st_tensor *const *)b)->name);
}

static int by_key(const void *a, const void *b) {
  return strcmp(((const tg_st_meta *)a)->key, ((const tg_st_meta *)b)->key);
}

static bool check_unique(parser *p) {
  tg_st_file *f = p->file;
  size_t n = f->ntensors;
  const tg_st_tensor **sorted = malloc((n ? n : 1) * sizeof *sorted);
  if (!sorted) return tg_json_fail(&p->j, 0, "out of memory");
  for (size_t i = 0; i < n; i++) sorted[i] = &f->tensors[i];
  qsort(sorted, n, sizeof *sorted, by_name);
  for (size_t i = 1; i < n; i++) {
    if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0) {
      /* Report the later of the two entries in the header. */
      size_t a = (size_t)(sorted[i - 1] - f->tensors),
             b = (size_t)(sorted[i] - f->tensors);
      size_t second = a > b ? a : b;
      tg_json_fail(&p->j, p->where[second].key_at, "duplicate tensor name \"%s\"",
                   sorted[i]->name);
      break;
    }
  }
  free(sorted);
  if (p->j.failed) return false;
  /* Metadata order is kept for the user; check a sorted copy. */
  tg_st_meta *keys = malloc((f->nmeta ? f->nmeta : 1) * sizeof *keys);
  if (!keys) return tg_json_fail(&p->j, 0, "out of memory");
  if (f->nmeta) memcpy(keys, f->meta, f->nmeta * sizeof *keys);
  qsort(keys, f->nmeta, sizeof *keys, by_key);
  for (size_t i = 1; i < f->nmeta; i++) {
    if (strcmp(keys[i - 1].key, keys[i].key) == 0) {
      tg_json_fail(&p->j, 0, "duplicate __metadata__ key \"%s\"", keys[i].key);
      break;
    }
  }
  free(keys);
  return !p->j.failed;
}

/* prod(shape) * element size, or false if that overflows 64 bits. */
static bool tensor_bytes(const tg_st_tensor *t, uint64_t *bytes) {
  *bytes = tg_st_dtype_size(t->dtype);
  bool overflow = false;
  for (int i = 0; i < t->ndim; i++) {
    uint64_t d = (uint64_t)t->shape[i];
    if (d != 0 && *bytes > UINT64_MAX / d) overflow = true;
    *bytes *= d;
  }
  /* Strict like the reference: overflow is an error even if a later
   * dimension is 0. */
  return !overflow;
}

static bool check_tensor(parser *p, size_t i, uint64_t data_len) {
  const tg_st_tensor *t = &p->file->tensors[i];
  const placement *w = &p->where[i];
  uint64_t bytes;
  if (w->end < w->begin)
    return tg_json_fail(&p->j, w->key_at,
                        "tensor \"%s\": data_offsets [%" PRIu64 ", %" PRIu64
                        "] end before they begin",
                        t->name, w->begin, w->end);
  if (!tensor_bytes(t, &bytes))
    return tg_json_fail(&p->j, w->key_at,
                        "tensor \"%s\": shape times dtype size overflows", t->name);
  if (bytes != w->end - w->begin)
    return tg_json_fail(&p->j, w->key_at,
                        "tensor \"%s\": shape and dtype make %" PRIu64
                        " bytes but data_offsets span %" PRIu64,
                        t->name, bytes, w->end - w->begin);
  if (w->end > data_len)
    return tg_json_fail(&p->j, w->key_at,
                        "tensor \"%s\": data_offsets end %" PRIu64
                        " is past the end of the data (%" PRIu64 " bytes)",
                        t->name, w->end, data_len);
  return true;
}

static int by_begin(const void *a, const void *b, void *where) {
  const placement *w = where;
  const placement *x = &w[*(const size_t *)a], *y = &w[*(const size_t *)b];
  if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
  return (x->end > y->end) - (x->end < y->end);
}

/* The tensors must tile [0, data_len) exactly: sorted by offset, each starts
 * where the previous ended. Reorders the tensors (and p->where) that way. */
static bool check_layout(parser *p, uint64_t data_len) {
  tg_st_file *f = p->file;
  size_t n = f->ntensors, m = n ? n : 1;
  size_t *order = malloc(m * sizeof *order);
  tg_st_tensor *tensors = malloc(m * sizeof *tensors);
  placement *where = malloc(m * sizeof *where);
  if (!order || !tensors || !where) {
    free(order);
    free(tensors);
    free(where);
    return tg_json_fail(&p->j, 0, "out of memory");
  }
  for (size_t i = 0; i < n; i++) order[i] = i;
  qsort_r(order, n, sizeof *order, by_begin, p->where);
  uint64_t expected = 0;
  for (size_t k = 0; k < n && !p->j.failed; k++) {
    size_t i = order[k];
    const placement *w = &p->where[i];
    if (!check_tensor(p, i, data_len)) break;
    if (w->begin > expected)
      tg_json_fail(&p->j, w->key_at, "gap of %" PRIu64 " bytes before tensor \"%s\"",
                   w->begin - expected, f->tensors[i].name);
    else if (w->begin < expected)
      tg_json_fail(&p->j, w->key_at, "tensor \"%s\" overlaps the tensor before it",
                   f->tensors[i].name);
    expected = w->end;
    tensors[k] = f->tensors[i];
    where[k] = *w;
  }
  if (!p->j.failed && expected != data_len)
    tg_json_fail(&p->j, p->j.n + expected,
                 "%" PRIu64 " trailing bytes after the last tensor", data_len - expected);
  if (!p->j.failed && n) {
    memcpy(f->tensors, tensors, n * sizeof *tensors);
    memcpy(p->where, where, n * sizeof *where);
  }
  free(order);
  free(tensors);
  free(where);
  return !p->j.failed;
}

/* ---- entry points -------------------------------------------------------------------
 */

static int fail_at(const char *origin, uint64_t at, const char *what) {
  tg_set_last_error("%s: %s (at byte %" PRIu64 ")", origin, what, at);
  return -1;
}

int tg_safetensors_parse(const void *bytes, size_t n, const char *origin,
                         tg_st_file **out) {
  if ((!bytes && n) || !out)
    tg_error("tg_safetensors_parse: %s is NULL", out ? "bytes" : "out");
  const uint8_t *b = bytes;
  char what[160];
  *out = NULL;
  if (n < 8) {
    snprintf(what, sizeof what,
             "file is %zu bytes, too short for the 8-byte header length", n);
    return fail_at(origin, 0, what);
  }
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; i--) header_len = header_len << 8 | b[i];
  if (header_len > MAX_HEADER) {
    snprintf(what, sizeof what, "header length %" PRIu64 " exceeds the limit of %u bytes",
             header_len, MAX_HEADER);
    return fail_at(origin, 0, what);
  }
  if (header_len > n - HEADER_START) {
    snprintf(what, sizeof what,
             "header length %" PRIu64 " runs past the end of the %zu-byte file",
             header_len, n);
    return fail_at(origin, 0, what);
  }
  size_t bad = tg_utf8_invalid_at(b + HEADER_START, header_len);
  if (bad != header_len)
    return fail_at(origin, HEADER_START + bad, "header is not valid UTF-8");

  parser p = {.j = {.p = b + HEADER_START, .n = header_len}};
  p.file = calloc(1, sizeof *p.file);
  if (!p.file) return fail_at(origin, 0, "out of memory");
  bool ok = parse_header(&p) && check_unique(&p) &&
            check_layout(&p, n - HEADER_START - header_len);
  if (!ok) {
    tg_set_last_error("%s: %s (at byte %zu)", origin, p.j.error,
                      HEADER_START + p.j.error_at);
    free(p.where);
    tg_safetensors_free(p.file);
    return -1;
  }
  const uint8_t *data = b + HEADER_START + header_len;
  for (size_t i = 0; i < p.file->ntensors; i++) {
    p.file->tensors[i].data = data + p.where[i].begin;
    p.file->tensors[i].nbytes = p.where[i].end - p.where[i].begin;
  }
  free(p.where);
  *out = p.file;
  return 0;
}

int tg_safetensors_read(const char *path, tg_st_file **out) {
  if (!path || !out) tg_error("tg_safetensors_read: %s is NULL", path ? "out" : "path");
  *out = NULL;
  tg_atomic_clean_stale(path);
  int fd = tg_open_regular(path);
  FILE *fp = fd < 0 ? NULL : fdopen(fd, "rb");
  if (!fp) {
    if (fd >= 0) close(fd);
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    tg_set_last_error("%s: cannot stat: %s", path, strerror(errno));
    fclose(fp);
    return -1;
  }
  size_t n = (size_t)st.st_size;
  uint8_t *bytes = malloc(n ? n : 1);
  if (!bytes || fread(bytes, 1, n, fp) != n) {
    tg_set_last_error("%s: %s", path, bytes ? "read failed" : "out of memory");
    free(bytes);
    fclose(fp);
    return -1;
  }
  fclose(fp);
  if (tg_safetensors_parse(bytes, n, path, out) != 0) {
    free(bytes);
    return -1;
  }
  (*out)->owned_bytes = bytes;
  return 0;
}
