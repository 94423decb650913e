/* Shared helpers for the Check suites: catching tensorgrad errors, comparing
 * tensors, and reading the golden files that the tests/golden scripts write. */
#ifndef TG_TEST_UTIL_H
#define TG_TEST_UTIL_H

#include <check.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tensorgrad.h"

/* ---- errors: TG_EXPECT_ERROR(expr, "substring") -------------------------- */

extern jmp_buf tg_test_jmp;
extern char tg_test_message[1024];
void tg_test_catch_begin(void); /* installs the longjmp handler */
void tg_test_catch_end(void);   /* restores scopes and grad mode */

/* Runs expr, which must raise a tensorgrad error whose message contains
 * `substring`. Scopes opened inside the failing op are unwound. */
#define TG_EXPECT_ERROR(expr, substring)                                                 \
  do {                                                                                   \
    tg_test_catch_begin();                                                               \
    if (setjmp(tg_test_jmp) == 0) {                                                      \
      (void)(expr);                                                                      \
      tg_test_catch_end();                                                               \
      ck_abort_msg("expected an error containing \"%s\"", substring);                    \
    }                                                                                    \
    tg_test_catch_end();                                                                 \
    ck_assert_msg(strstr(tg_test_message, substring) != NULL,                            \
                  "error \"%s\" does not contain \"%s\"", tg_test_message, substring);   \
  } while (0)

/* A parameter list for the tests that catch errors: a compound literal
 * (TG_PARAMS, (tg_params){...}) in a function that calls setjmp lives across
 * it, which GCC's -Wclobbered rejects in Debug builds; a returned value
 * does not. */
static inline tg_params tg_test_params(tg_tensor *const *items, int n) {
  return (tg_params){items, n};
}

/* ---- comparing -------------------------------------------------------------- */

/* Every element of t close to expected[i] (|a-b| <= atol + rtol*|b|). */
void tg_assert_close_data(const tg_tensor *t, const double *expected, int64_t n,
                          double rtol, double atol, const char *what);
void tg_assert_close(const tg_tensor *a, const tg_tensor *b, double rtol, double atol,
                     const char *what);
void tg_assert_shape(const tg_tensor *t, tg_shape shape);

/* ---- golden files ---------------------------------------------------------------
 * Text, one entry a line:  name ndim d0 .. dn-1 v0 v1 ...   (values %.17g) */
typedef struct tg_golden tg_golden;
tg_golden *tg_golden_load(const char *path);
void tg_golden_free(tg_golden *g);
/* Values of entry `name` (aborts the test if missing); shape optional. */
const double *tg_golden_get(const tg_golden *g, const char *name, int64_t *numel,
                            tg_shape *shape);
bool tg_golden_has(const tg_golden *g, const char *name);
/* A tensor (float64 or the given dtype) holding the entry. */
tg_tensor *tg_golden_tensor(const tg_golden *g, const char *name, tg_dtype dtype);

/* Layer checks. tg_check_layer loads the golden parameters
 * layer.<name>.param.* into m, runs layer.<name>.x through it (seeding
 * the generator first when seed >= 0), backpropagates layer.<name>.gy and
 * compares the output, every gradient and every buffer with PyTorch's
 * (float64 at 1e-10, float32 at 1e-5). tg_gradcheck_layer gradchecks m in
 * float64 in its input and parameters (and second order if asked), the
 * generator seeded before every call when seed >= 0. Both free m. */
void tg_check_layer(const tg_golden *golden, const char *name, tg_module *m,
                    tg_dtype dtype, int64_t seed);
void tg_gradcheck_layer(tg_module *m, tg_shape x_shape, int64_t seed, bool second_order);

/* Iterations for a long test: `full`, or full/100 when TG_TEST_QUICK is set
 * (CI's valgrind stage, where every instruction is emulated). */
int tg_test_iterations(int full);

/* ---- files ----------------------------------------------------------------------- */

/* A fresh directory /tmp/<prefix>_XXXXXX (malloc'ed; fails the test if it cannot). */
char *tg_test_temp_dir(const char *prefix);

/* A fresh temporary directory for each test of a case:
 *   tcase_add_checked_fixture(tc, tg_test_dir_make, tg_test_dir_remove);
 * tg_test_dir names it while a test runs. */
extern char *tg_test_dir;
void tg_test_dir_make(void);
void tg_test_dir_remove(void);
/* "<tg_test_dir>/<name>" into buf (512 bytes); returns buf. */
const char *tg_test_dir_path(const char *name, char *buf);
/* rm -rf path; fails the test if that fails. */
void tg_test_remove_tree(const char *path);
/* The whole file (malloc'ed, one spare byte at the end); its size in *n.
 * Fails the test if it cannot be read. */
uint8_t *tg_test_read_file(const char *path, size_t *n);

/* An IDX file: the header for type and dims, then n_bytes of data as given
 * (big-endian already), gzipped or not. */
void tg_test_write_idx(const char *path, int type, int ndim, const uint32_t *dims,
                       const void *data, size_t n_bytes, bool gzip);
/* A Fashion-MNIST look-alike in dir: the four .gz files with n_train and
 * n_test 28x28 images, label i % 10, each class a bright band at its own
 * rows over noise (learnable, so a smoke run can see accuracy rise). */
void tg_test_write_fashion_fixture(const char *dir, uint32_t n_train, uint32_t n_test);
/* A small word list at <dir>/words.txt (malloc'd path): n_words
 * pseudo-random lowercase words of 2 to 9 letters, one a line, mixed with
 * lines the loader must skip (capitals, apostrophes, UTF-8, blank lines,
 * CRLF endings). The same on every run. */
char *tg_test_words_fixture(const char *dir, int n_words);

/* ---- running ----------------------------------------------------------------------- */

/* Runs the suite, prints Check's summary, returns the process exit code. */
int tg_test_run(Suite *suite);

#endif
