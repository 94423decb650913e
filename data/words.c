/* Word lists for character-level language models (makemore): reading a
 * plain-text list, the seeded 80/10/10 split, the character vocabulary and
 * the (x, y) sequences a model learns to continue. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/read_file.h"
#include "tensorgrad/data.h"

static void *xrealloc(void *p, size_t size) {
  p = realloc(p, size ? size : 1);
  if (!p) tg_error("tg_words: out of memory for %zu bytes", size);
  return p;
}

/* A NUL-terminated copy of s[0 .. n). */
static char *xstrndup(const char *s, size_t n) {
  char *copy = xrealloc(NULL, n + 1);
  memcpy(copy, s, n);
  copy[n] = '\0';
  return copy;
}

/* Appends a copy of word[0 .. len). */
static void words_push(tg_words *w, const char *word, size_t len, int64_t *cap) {
  if (w->n == *cap) {
    *cap = *cap ? 2 * *cap : 1024;
    w->words = xrealloc(w->words, (size_t)*cap * sizeof *w->words);
  }
  w->words[w->n++] = xstrndup(word, len);
  if ((int64_t)len > w->max_len) w->max_len = (int64_t)len;
}

/* Whether line[0 .. n) is one lowercase a-z word (a NUL byte, or anything
 * else, makes it some other line). */
static bool is_plain_word(const char *line, size_t n) {
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++)
    if (line[i] < 'a' || line[i] > 'z') return false;
  return true;
}

/* The file is read whole (a regular file only, so a FIFO cannot block the
 * call; gzip or plain), then split at each "\n". */
int tg_words_load(const char *path, tg_words *out) {
  if (!path || !out) tg_error("tg_words_load: %s is NULL", path ? "out" : "path");
  *out = (tg_words){0};
  char *text;
  size_t len;
  if (tg_read_whole_file(path, &text, &len)) return -1;
  int64_t cap = 0;
  for (size_t start = 0; start < len;) {
    const char *newline = memchr(text + start, '\n', len - start);
    size_t end = newline ? (size_t)(newline - text) : len;
    size_t n = end - start;
    if (n > 0 && text[end - 1] == '\r') n--;
    if (is_plain_word(text + start, n)) words_push(out, text + start, n, &cap);
    start = end + 1;
  }
  free(text);
  if (out->n == 0) {
    tg_set_last_error("%s: no lowercase a-z words in %zu bytes", path, len);
    return -1;
  }
  return 0;
}

void tg_words_free(tg_words *w) {
  if (!w) return;
  for (int64_t i = 0; i < w->n; i++) free(w->words[i]);
  free(w->words);
  *w = (tg_words){0};
}

static void copy_range(const tg_words *w, const int64_t *perm, int64_t from, int64_t to,
                       tg_words *out) {
  *out = (tg_words){0};
  int64_t cap = 0;
  for (int64_t i = from; i < to; i++)
    words_push(out, w->words[perm[i]], strlen(w->words[perm[i]]), &cap);
}

void tg_words_split(const tg_words *w, tg_words *train, tg_words *val, tg_words *test) {
  int64_t *perm = xrealloc(NULL, (size_t)w->n * sizeof *perm);
  tg_randperm_into(NULL, w->n, perm);
  int64_t n1 = (int64_t)(0.8 * (double)w->n), n2 = (int64_t)(0.9 * (double)w->n);
  copy_range(w, perm, 0, n1, train);
  copy_range(w, perm, n1, n2, val);
  copy_range(w, perm, n2, w->n, test);
  free(perm);
}

void tg_char_vocab_build(tg_char_vocab *v, const tg_words *w) {
  bool seen[256] = {false};
  for (int64_t i = 0; i < w->n; i++)
    for (const unsigned char *c = (const unsigned char *)w->words[i]; *c; c++)
      seen[*c] = true;
  memset(v->chars, 0, sizeof v->chars);
  for (int c = 0; c < 256; c++) v->index[c] = -1;
  v->size = 1;
  v->chars[0] = '.';
  for (int c = 1; c < 256; c++) {
    if (!seen[c] || c == '.') continue;
    v->index[c] = (int16_t)v->size;
    v->chars[v->size++] = (char)c;
  }
  v->index['.'] = 0;
}

/* One word's x and y rows. */
static void encode_word(const char *word, const tg_char_vocab *v, int64_t block_size,
                        int64_t *x, int64_t *y) {
  int64_t len = (int64_t)strlen(word);
  if (len >= block_size)
    tg_error("tg_words_dataset_new: the word \"%s\" (%lld characters) does not fit "
             "block_size %lld",
             word, (long long)len, (long long)block_size);
  for (int64_t t = 0; t < block_size; t++) {
    x[t] = 0;
    y[t] = t <= len ? 0 : -1; /* the end token at len, then ignored */
  }
  for (int64_t t = 0; t < len; t++) {
    int ix = v->index[(unsigned char)word[t]];
    if (ix < 0)
      tg_error("tg_words_dataset_new: the word \"%s\" has '%c', which is not in the "
               "vocabulary",
               word, word[t]);
    x[t + 1] = ix;
    y[t] = ix;
  }
}

/* makemore's CharDataset: the words themselves, each sample encoded when
 * a batch asks for it, as its __getitem__ does (the encoded (n, block_size)
 * int64 pairs of Debian's word list would hold 33 MB). */
typedef struct words_dataset {
  tg_dataset base;
  tg_words words; /* copies */
  tg_char_vocab vocab;
  int64_t block_size;
} words_dataset;

static int64_t words_len(tg_dataset *ds) {
  return ((words_dataset *)ds)->words.n;
}

/* Samples indices[0..n) into the rows of x and y (block_size int64 each). */
static void encode_rows(const words_dataset *wd, const int64_t *indices, int64_t n,
                        tg_tensor *x, tg_tensor *y) {
  int64_t b = wd->block_size, *xs = tg_data_i64(x), *ys = tg_data_i64(y);
  for (int64_t i = 0; i < n; i++)
    encode_word(wd->words.words[indices[i]], &wd->vocab, b, xs + i * b, ys + i * b);
}

static void words_get_item(tg_dataset *ds, int64_t index, tg_tensor **x, tg_tensor **y) {
  words_dataset *wd = (words_dataset *)ds;
  *x = tg_empty(TG_SHAPE(wd->block_size), TG_INT64);
  *y = tg_empty(TG_SHAPE(wd->block_size), TG_INT64);
  encode_rows(wd, &index, 1, *x, *y);
}

static void words_get_batch(tg_dataset *ds, const int64_t *indices, int64_t n,
                            tg_tensor **x, tg_tensor **y) {
  words_dataset *wd = (words_dataset *)ds;
  *x = tg_empty(TG_SHAPE(n, wd->block_size), TG_INT64);
  *y = tg_empty(TG_SHAPE(n, wd->block_size), TG_INT64);
  encode_rows(wd, indices, n, *x, *y);
}

static void words_dataset_free(tg_dataset *ds) {
  words_dataset *wd = (words_dataset *)ds;
  tg_words_free(&wd->words);
  free(wd);
}

static const tg_dataset_vtable words_vtable = {.name = "CharDataset",
                                               .len = words_len,
                                               .get_item = words_get_item,
                                               .free = words_dataset_free,
                                               .get_batch = words_get_batch};

tg_dataset *tg_words_dataset_new(const tg_words *w, const tg_char_vocab *v,
                                 int64_t block_size) {
  if (block_size <= 0)
    tg_error("tg_words_dataset_new: block_size (%lld) must be positive",
             (long long)block_size);
  /* every word must encode: the errors come here, not from a later batch */
  tg_scope_begin();
  int64_t *row = tg_data_i64(tg_empty(TG_SHAPE(2, block_size), TG_INT64));
  for (int64_t i = 0; i < w->n; i++)
    encode_word(w->words[i], v, block_size, row, row + block_size);
  tg_scope_end();
  words_dataset *wd = xrealloc(NULL, sizeof *wd);
  tg_dataset_init(&wd->base, &words_vtable);
  wd->words = (tg_words){0};
  int64_t cap = 0;
  for (int64_t i = 0; i < w->n; i++)
    words_push(&wd->words, w->words[i], strlen(w->words[i]), &cap);
  wd->vocab = *v;
  wd->block_size = block_size;
  return &wd->base;
}
