/* Hostile files found by the outside-style audit: each test failed before
 * its fix. A loader returns -1 with tg_last_error() naming the file (and
 * the byte offset where there is one); it never aborts, crashes, blocks or
 * hands back something the tensor layer then refuses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "data/read_file.h"
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

/* A PNG chunk: length, type, data, CRC. */
static size_t put_chunk(uint8_t *out, const char *type, const uint8_t *data, uint32_t n) {
  uint8_t *p = out;
  for (int b = 3; b >= 0; b--) *p++ = (uint8_t)(n >> (8 * b));
  memcpy(p, type, 4);
  if (n) memcpy(p + 4, data, n);
  uint32_t crc = (uint32_t)crc32(crc32(0, p, 4), data, n);
  p += 4 + n;
  for (int b = 3; b >= 0; b--) *p++ = (uint8_t)(crc >> (8 * b));
  return (size_t)(p - out);
}

/* A 69-byte PNG whose header says 16000 x 16000 RGBA: the reader asked
 * for 1 GiB before finding out the data was not there. The header is now
 * checked against what the file's bytes can inflate to. */
START_TEST(test_png_header_larger_than_its_file) {
  uint8_t file[128] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  uint8_t ihdr[13] = {0, 0, 0x3e, 0x80, 0, 0, 0x3e, 0x80, 8, 6, 0, 0, 0};
  uint8_t idat[16];
  uLongf idat_len = sizeof idat;
  ck_assert(compress(idat, &idat_len, (const Bytef *)"\0\0\0\0", 4) == Z_OK);
  size_t n = 8;
  n += put_chunk(file + n, "IHDR", ihdr, sizeof ihdr);
  n += put_chunk(file + n, "IDAT", idat, (uint32_t)idat_len);
  n += put_chunk(file + n, "IEND", NULL, 0);
  char path[512];
  tg_test_dir_path("huge_header.png", path);
  write_bytes(path, file, n);
  uint8_t *pixels;
  int w, h, c;
  char message[64];
  snprintf(message, sizeof message, "16000x16000 pixels cannot come from %zu bytes", n);
  expect_load_error(tg_png_read(path, &pixels, &w, &h, &c), path, message);
  /* a real image of that header's kind still loads */
  uint8_t rgba[2 * 3 * 4] = {0};
  tg_test_dir_path("small.png", path);
  ck_assert_int_eq(tg_png_write(path, rgba, 2, 3, 4), 0);
  ck_assert_int_eq(tg_png_read(path, &pixels, &w, &h, &c), 0);
  ck_assert(w == 2 && h == 3 && c == 4);
  free(pixels);
}
END_TEST

/* A gzip file inflates up to a thousandfold, and the data loaders read
 * whole files: a small hostile one (a gzip bomb) made them allocate without
 * bound. Content past the limit is refused with the file and its offset. */
START_TEST(test_data_files_have_a_size_limit) {
  char path[512];
  tg_test_dir_path("bomb.csv.gz", path);
  gzFile gz = gzopen(path, "wb9");
  static char zeros[1 << 16];
  memset(zeros, '0', sizeof zeros);
  for (int i = 0; i < 64; i++)
    ck_assert(gzwrite(gz, zeros, sizeof zeros) == (int)sizeof zeros);
  ck_assert(gzclose(gz) == Z_OK); /* 4 MiB of content in a few KiB */
  char *text;
  size_t len;
  expect_load_error(tg_read_whole_file_limited(path, 1 << 20, &text, &len), path,
                    "more than 1048576 bytes of content");
  ck_assert_int_eq(tg_read_whole_file_limited(path, 4 << 20, &text, &len), 0);
  ck_assert_uint_eq(len, 4 << 20);
  free(text);
}
END_TEST

int main(void) {
  Suite *s = suite_create("audit_files");
  TCase *tc = tcase_create("files");
  tcase_add_checked_fixture(tc, tg_test_dir_make, tg_test_dir_remove);
  tcase_add_test(tc, test_idx_dims_that_make_no_tensor);
  tcase_add_test(tc, test_word_lists_are_regular_files_without_nul_bytes);
  tcase_add_test(tc, test_png_header_larger_than_its_file);
  tcase_add_test(tc, test_data_files_have_a_size_limit);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
