#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

jmp_buf tg_test_jmp;
char tg_test_message[1024];
static int saved_scope_depth;
static bool saved_grad_mode;

static void longjmp_handler(const char *message, void *user) {
  (void)user;
  snprintf(tg_test_message, sizeof tg_test_message, "%s", message);
  longjmp(tg_test_jmp, 1);
}

void tg_test_catch_begin(void) {
  tg_test_message[0] = '\0';
  saved_scope_depth = tg_scope_depth();
  saved_grad_mode = tg_is_grad_enabled();
  tg_set_error_handler(longjmp_handler, NULL);
}

void tg_test_catch_end(void) {
  tg_set_error_handler(NULL, NULL);
  tg_scope_unwind(saved_scope_depth);
  tg_set_grad_enabled(saved_grad_mode);
}

static bool close_enough(double a, double b, double rtol, double atol) {
  if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
  if (isinf(a) || isinf(b)) return a == b;
  return fabs(a - b) <= atol + rtol * fabs(b);
}

void tg_assert_close_data(const tg_tensor *t, const double *expected, int64_t n,
                          double rtol, double atol, const char *what) {
  ck_assert_msg(tg_numel(t) == n, "%s: %lld elements, expected %lld", what,
                (long long)tg_numel(t), (long long)n);
  for (int64_t i = 0; i < n; i++) {
    double v = tg_get_flat(t, i);
    ck_assert_msg(close_enough(v, expected[i], rtol, atol),
                  "%s: element %lld is %.17g, expected %.17g", what, (long long)i, v,
                  expected[i]);
  }
}

void tg_assert_close(const tg_tensor *a, const tg_tensor *b, double rtol, double atol,
                     const char *what) {
  int64_t n = tg_numel(b);
  double *values = malloc(sizeof(double) * (size_t)(n ? n : 1));
  tg_copy_to_f64(b, values);
  tg_assert_close_data(a, values, n, rtol, atol, what);
  free(values);
}

void tg_assert_shape(const tg_tensor *t, tg_shape shape) {
  char got[TG_SHAPE_STR_MAX], want[TG_SHAPE_STR_MAX];
  bool same = t->ndim == shape.ndim;
  for (int i = 0; same && i < shape.ndim; i++) same = t->shape[i] == shape.d[i];
  ck_assert_msg(same, "shape %s, expected %s", tg_shape_str(tg_shape_of(t), got),
                tg_shape_str(shape, want));
}

/* ---- golden files ---- */

typedef struct golden_entry {
  char *name;
  tg_shape shape;
  int64_t numel;
  double *values;
} golden_entry;

struct tg_golden {
  golden_entry *entries;
  int count, capacity;
};

static bool read_entry(FILE *f, golden_entry *e) {
  char name[256];
  if (fscanf(f, "%255s", name) != 1) return false;
  ck_assert_msg(fscanf(f, "%d", &e->shape.ndim) == 1 && e->shape.ndim >= 0 &&
                    e->shape.ndim <= TG_MAX_DIMS,
                "golden entry %s: bad ndim", name);
  e->numel = 1;
  for (int i = 0; i < e->shape.ndim; i++) {
    long long d;
    ck_assert_msg(fscanf(f, "%lld", &d) == 1, "golden entry %s: bad shape", name);
    e->shape.d[i] = d;
    e->numel *= d;
  }
  e->values = malloc(sizeof(double) * (size_t)(e->numel ? e->numel : 1));
  for (int64_t i = 0; i < e->numel; i++) {
    char word[64];
    ck_assert_msg(fscanf(f, "%63s", word) == 1, "golden entry %s: short", name);
    e->values[i] = strtod(word, NULL); /* accepts nan, inf, -inf */
  }
  e->name = strdup(name);
  return true;
}

tg_golden *tg_golden_load(const char *path) {
  FILE *f = fopen(path, "r");
  ck_assert_msg(f != NULL, "cannot open golden file %s", path);
  tg_golden *g = calloc(1, sizeof *g);
  golden_entry e;
  while (read_entry(f, &e)) {
    if (g->count == g->capacity) {
      g->capacity = g->capacity ? 2 * g->capacity : 64;
      g->entries = realloc(g->entries, sizeof(golden_entry) * (size_t)g->capacity);
    }
    g->entries[g->count++] = e;
  }
  fclose(f);
  return g;
}

void tg_golden_free(tg_golden *g) {
  if (!g) return;
  for (int i = 0; i < g->count; i++) {
    free(g->entries[i].name);
    free(g->entries[i].values);
  }
  free(g->entries);
  free(g);
}

static const golden_entry *find_entry(const tg_golden *g, const char *name) {
  for (int i = 0; i < g->count; i++)
    if (strcmp(g->entries[i].name, name) == 0) return &g->entries[i];
  return NULL;
}

bool tg_golden_has(const tg_golden *g, const char *name) {
  return find_entry(g, name) != NULL;
}

const double *tg_golden_get(const tg_golden *g, const char *name, int64_t *numel,
                            tg_shape *shape) {
  const golden_entry *e = find_entry(g, name);
  ck_assert_msg(e != NULL, "golden entry %s missing", name);
  if (numel) *numel = e->numel;
  if (shape) *shape = e->shape;
  return e->values;
}

tg_tensor *tg_golden_tensor(const tg_golden *g, const char *name, tg_dtype dtype) {
  int64_t n;
  tg_shape shape;
  const double *v = tg_golden_get(g, name, &n, &shape);
  tg_scope_begin();
  tg_tensor *t = tg_to(tg_from_data(v, shape, TG_FLOAT64), dtype);
  return tg_scope_return(t);
}

int tg_test_iterations(int full) {
  const char *quick = getenv("TG_TEST_QUICK");
  return quick && *quick ? (full + 99) / 100 : full;
}

char *tg_test_temp_dir(const char *prefix) {
  char tmpl[256];
  snprintf(tmpl, sizeof tmpl, "/tmp/%s_XXXXXX", prefix);
  ck_assert(mkdtemp(tmpl) != NULL);
  return strdup(tmpl);
}

void tg_test_remove_tree(const char *path) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
  ck_assert_int_eq(system(cmd), 0);
}

char *tg_test_words_fixture(const char *dir, int n_words) {
  static const char *const skipped[] = {"Aachen", "abbot's", "caf\xc3\xa9", "", "x-ray"};
  char path[512];
  snprintf(path, sizeof path, "%s/words.txt", dir);
  FILE *f = fopen(path, "w");
  ck_assert_msg(f != NULL, "cannot write %s", path);
  uint32_t state = 12345;
  for (int i = 0; i < n_words; i++) {
    if (i % 10 == 0) fprintf(f, "%s\n", skipped[(i / 10) % 5]);
    state = state * 1664525u + 1013904223u;
    int len = 2 + (int)((state >> 24) % 8);
    for (int k = 0; k < len; k++) {
      state = state * 1664525u + 1013904223u;
      /* vowels every other letter: word-like, so a model has something to learn */
      const char *letters = k % 2 ? "aeiouy" : "bcdfghjklmnprstvwz";
      fputc(letters[(state >> 16) % strlen(letters)], f);
    }
    fputs(i % 7 == 0 ? "\r\n" : "\n", f);
  }
  ck_assert_int_eq(fclose(f), 0);
  return strdup(path);
}

uint8_t *tg_test_read_file(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = malloc((size_t)size + 1);
  ck_assert(buf && fread(buf, 1, (size_t)size, f) == (size_t)size);
  fclose(f);
  *n = (size_t)size;
  return buf;
}

int tg_test_run(Suite *suite) {
  SRunner *runner = srunner_create(suite);
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* ---- IDX fixtures ---------------------------------------------------------------- */

void tg_test_write_idx(const char *path, int type, int ndim, const uint32_t *dims,
                       const void *data, size_t n_bytes, bool gzip) {
  uint8_t header[4 + 4 * 8] = {0, 0, (uint8_t)type, (uint8_t)ndim};
  for (int d = 0; d < ndim; d++)
    for (int b = 0; b < 4; b++)
      header[4 + 4 * d + b] = (uint8_t)(dims[d] >> (24 - 8 * b));
  size_t header_len = 4 + 4 * (size_t)ndim;
  if (gzip) {
    gzFile f = gzopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    ck_assert(gzwrite(f, header, (unsigned)header_len) == (int)header_len);
    if (n_bytes) ck_assert(gzwrite(f, data, (unsigned)n_bytes) == (int)n_bytes);
    ck_assert(gzclose(f) == Z_OK);
  } else {
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    ck_assert(fwrite(header, 1, header_len, f) == header_len);
    if (n_bytes) ck_assert(fwrite(data, 1, n_bytes, f) == n_bytes);
    ck_assert(fclose(f) == 0);
  }
}

/* Class c's images: a bright band whose row depends on c, over noise. */
static void fixture_split(const char *dir, const char *split, uint32_t n, uint32_t seed) {
  uint8_t *images = malloc((size_t)n * 28 * 28), *labels = malloc(n ? n : 1);
  ck_assert(images && labels);
  uint32_t state = seed;
  for (uint32_t i = 0; i < n; i++) {
    labels[i] = (uint8_t)(i % 10);
    for (int p = 0; p < 28 * 28; p++) {
      state = state * 1664525u + 1013904223u;
      int row = p / 28, band = 2 + 2 * labels[i];
      images[(size_t)i * 784 + (size_t)p] =
          (uint8_t)(row >= band && row < band + 3 ? 200 + (state >> 28) : state >> 26);
    }
  }
  char path[512];
  snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte.gz", dir, split);
  tg_test_write_idx(path, 0x08, 3, (uint32_t[]){n, 28, 28}, images, (size_t)n * 784,
                    true);
  snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte.gz", dir, split);
  tg_test_write_idx(path, 0x08, 1, (uint32_t[]){n}, labels, n, true);
  free(images);
  free(labels);
}

void tg_test_write_fashion_fixture(const char *dir, uint32_t n_train, uint32_t n_test) {
  fixture_split(dir, "train", n_train, 1);
  fixture_split(dir, "t10k", n_test, 2);
}

char *tg_test_dir;

void tg_test_dir_make(void) {
  tg_test_dir = tg_test_temp_dir("tg_test");
}

void tg_test_dir_remove(void) {
  tg_test_remove_tree(tg_test_dir);
  free(tg_test_dir);
  tg_test_dir = NULL;
}

const char *tg_test_dir_path(const char *name, char *buf) {
  snprintf(buf, 512, "%s/%s", tg_test_dir, name);
  return buf;
}

/* ---- layers against golden values ---- */

static tg_tensor *layer_entry(const tg_golden *golden, const char *layer,
                              const char *what, tg_dtype dtype) {
  char key[512];
  snprintf(key, sizeof key, "layer.%s.%s", layer, what);
  return tg_golden_tensor(golden, key, dtype);
}

/* Loads the golden parameters into m, runs x through it (seeding the
 * generator first when seed >= 0), backpropagates gy and compares the
 * output, every gradient and every buffer with PyTorch's. Frees m. */
void tg_check_layer(const tg_golden *golden, const char *name, tg_module *m,
                    tg_dtype dtype, int64_t seed) {
  double rtol = dtype == TG_FLOAT64 ? 1e-10 : 1e-5,
         atol = dtype == TG_FLOAT64 ? 1e-12 : 1e-6;
  tg_module_to(m, dtype);
  tg_scope_begin();
  tg_tensor_dict *params = tg_module_named_parameters(m);
  char what[200];
  for (int i = 0; i < params->n; i++) {
    snprintf(what, sizeof what, "param.%s", params->items[i].name);
    tg_no_grad_begin(); /* parameters are leaves that require grad */
    tg_copy_(params->items[i].tensor, layer_entry(golden, name, what, dtype));
    tg_no_grad_end();
  }
  tg_tensor *x = tg_requires_grad_(layer_entry(golden, name, "x", dtype), true);
  if (seed >= 0) tg_manual_seed((uint64_t)seed);
  tg_tensor *y = tg_module_forward(m, x);
  tg_backward(y, layer_entry(golden, name, "gy", dtype), 0);
  snprintf(what, sizeof what, "%s forward", name);
  tg_assert_close(y, layer_entry(golden, name, "y", dtype), rtol, atol, what);
  snprintf(what, sizeof what, "%s input grad", name);
  tg_assert_close(tg_grad(x), layer_entry(golden, name, "gx", dtype), rtol, atol, what);
  for (int i = 0; i < params->n; i++) {
    snprintf(what, sizeof what, "grad.%s", params->items[i].name);
    tg_assert_close(tg_grad(params->items[i].tensor),
                    layer_entry(golden, name, what, dtype), rtol, atol, what);
  }
  tg_tensor_dict *buffers = tg_module_named_buffers(m);
  for (int i = 0; i < buffers->n; i++) {
    snprintf(what, sizeof what, "buffer.%s", buffers->items[i].name);
    tg_tensor *b = buffers->items[i].tensor;
    tg_assert_close(
        b, layer_entry(golden, name, what, b->dtype == TG_INT64 ? TG_INT64 : dtype), rtol,
        atol, what);
  }
  tg_tensor_dict_free(buffers);
  tg_tensor_dict_free(params);
  tg_scope_end();
  tg_module_free(m);
}

typedef struct layer_ctx {
  tg_module *m;
  int64_t seed;
} layer_ctx;

static tg_tensor *run_layer(tg_tensor *const *inputs, void *ctx) {
  layer_ctx *c = ctx;
  if (c->seed >= 0)
    tg_manual_seed((uint64_t)c->seed);       /* the same dropout mask every call */
  return tg_module_forward(c->m, inputs[0]); /* inputs[1..] are m's own parameters */
}

void tg_gradcheck_layer(tg_module *m, tg_shape x_shape, int64_t seed, bool second_order) {
  tg_module_to(m, TG_FLOAT64);
  tg_scope_begin();
  tg_tensor_dict *params = tg_module_named_parameters(m);
  tg_tensor *inputs[8];
  int n = 0;
  inputs[n++] = tg_requires_grad_(tg_randn(x_shape, TG_FLOAT64), true);
  for (int i = 0; i < params->n && n < 8; i++) inputs[n++] = params->items[i].tensor;
  layer_ctx ctx = {m, seed};
  char report[512] = "";
  ck_assert_msg(tg_gradcheck(run_layer, &ctx, n, inputs, NULL, report, sizeof report),
                "%s: %s", m->vtable->type_name, report);
  if (second_order)
    ck_assert_msg(
        tg_gradgradcheck(run_layer, &ctx, n, inputs, NULL, report, sizeof report),
        "%s second order: %s", m->vtable->type_name, report);
  tg_tensor_dict_free(params);
  tg_scope_end();
  tg_module_free(m);
}
