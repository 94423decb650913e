/* Hostile files found by the outside-style audit: each test failed before
 * its fix. A loader returns -1 with tg_last_error() naming the file (and
 * the byte offset where there is one); it never aborts, crashes, blocks or
 * hands back something the tensor layer then refuses. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "test_util.h"
#include "tensorgrad/vision.h"

static void write_bytes(const char *path, const void *bytes, size_t n) {
  FILE *f = fopen(path, "wb");
  ck_assert(f && fwrite(bytes, 1, n, f) == n && fclose(f) == 0);
}

static void expect_load_error(int rc, const char *path, const char *message) {
  ck_assert_int_eq(rc, -1);
  ck_assert_msg(strstr(tg_last_error(), path) && strstr(tg_last_error(), message),
                "\"%s\" should name %s and say \"%s\"", tg_last_error(), path, message);
}

/* IDX dims 0 x (2^32 - 1) x (2^32 - 1) x (2^32 - 1): no data, so the size
 * check passed, and tg_idx_tensor then aborted the program ("element count
 * overflows 64 bits"): the strides of such a tensor do not fit. */
START_TEST(test_idx_dims_that_make_no_tensor) {
  char path[512];
  tg_test_dir_path("zero_then_huge.idx", path);
  tg_test_write_idx(path, TG_IDX_UBYTE, 4,
                    (uint32_t[]){0, 0xffffffffu, 0xffffffffu, 0xffffffffu}, NULL, 0,
                    false);
  tg_idx idx;
  expect_load_error(tg_idx_read(path, &idx), path,
                    "the dimensions at bytes 4 to 19 make no tensor: element count "
                    "overflows 64 bits");
  /* zero dims with room for the strides are fine: an empty tensor */
  tg_test_write_idx(path, TG_IDX_UBYTE, 3, (uint32_t[]){0, 28, 28}, NULL, 0, true);
  ck_assert_int_eq(tg_idx_read(path, &idx), 0);
  tg_tensor *t = tg_idx_tensor(&idx, TG_FLOAT32);
  tg_assert_shape(t, TG_SHAPE(0, 28, 28));
  tg_release(t);
  tg_idx_free(&idx);
}
END_TEST

/* tg_words_load opened its file with fopen, so a FIFO blocked the call
 * (every other loader refuses what is not a regular file), and a line with
 * a NUL byte ("ab\0cd") was kept as the word "ab". */
START_TEST(test_word_lists_are_regular_files_without_nul_bytes) {
  char path[512];
  tg_words w;
  tg_test_dir_path("words.fifo", path);
  ck_assert_int_eq(mkfifo(path, 0600), 0);
  alarm(10); /* a regression blocks in open(): fail instead of hanging */
  expect_load_error(tg_words_load(path, &w), path, "not a regular file");
  alarm(0);
  tg_test_dir_path("nul.txt", path);
  write_bytes(path, "ab\0cd\nxyz\r\nq", 12);
  ck_assert_msg(tg_words_load(path, &w) == 0, "%s", tg_last_error());
  ck_assert_int_eq(w.n, 2);
  ck_assert_str_eq(w.words[0], "xyz");
  ck_assert_str_eq(w.words[1], "q");
  ck_assert_int_eq(w.max_len, 3);
  tg_words_free(&w);
  /* gzip, as the other data loaders read it */
  tg_test_dir_path("words.txt.gz", path);
  gzFile gz = gzopen(path, "wb");
  ck_assert(gz && gzputs(gz, "alpha\nBeta\ngamma\n") > 0 && gzclose(gz) == Z_OK);
  ck_assert_msg(tg_words_load(path, &w) == 0, "%s", tg_last_error());
  ck_assert_int_eq(w.n, 2);
  ck_assert_str_eq(w.words[1], "gamma");
  tg_words_free(&w);
}
END_TEST

int main(void) {
  Suite *s = suite_create("audit_files");
  TCase *tc = tcase_create("files");
  tcase_add_checked_fixture(tc, tg_test_dir_make, tg_test_dir_remove);
  tcase_add_test(tc, test_idx_dims_that_make_no_tensor);
  tcase_add_test(tc, test_word_lists_are_regular_files_without_nul_bytes);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
