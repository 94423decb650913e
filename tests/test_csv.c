/* tg_load_csv: good files in their variants, and every kind of bad input
 * (malformed, ragged, truncated, empty, missing, binary, corrupt gzip), each
 * with the message it must give. */
#include "test_util.h"
#include "tensorgrad/datasets.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static char dir[] = "/tmp/tg_csv_XXXXXX";
static char path[512];

static void make_dir(void) {
  ck_assert_ptr_nonnull(mkdtemp(dir));
}
static void remove_dir(void) {
  rmdir(dir);
}

/* Writes `len` bytes (strlen when len < 0) to <dir>/<name>, sets `path`. */
static const char *write_file(const char *name, const char *bytes, long len) {
  snprintf(path, sizeof path, "%s/%s", dir, name);
  unlink(path); /* a fresh file: ext4 flushes files truncated and rewritten */
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  size_t n = len < 0 ? strlen(bytes) : (size_t)len;
  ck_assert_uint_eq(fwrite(bytes, 1, n, f), n);
  ck_assert_int_eq(fclose(f), 0);
  return path;
}

/* Loading `text` fails with a message "<path><suffix>". */
static void expect_failure(const char *text, const tg_csv_options *o,
                           const char *suffix) {
  const char *p = write_file("bad.csv", text, -1);
  tg_bunch b;
  ck_assert_int_eq(tg_load_csv(p, o, &b), -1);
  ck_assert_ptr_null(b.X);
  char want[1024];
  snprintf(want, sizeof want, "%s%s", p, suffix);
  ck_assert_str_eq(tg_last_error(), want);
  unlink(p);
}

START_TEST(test_header_and_label) {
  const char *p = write_file("iris.csv",
                             "sepal,\"petal, \"\"long\"\"\",class\n"
                             "5.1, 3.5 ,0\r\n"
                             "\n"
                             "  \n"
                             "4.9,\"3.0\",2\r\n"
                             "-1e-3,+2.5E2,1", /* last line without newline */
                             -1);
  tg_bunch b;
  tg_csv_options o = tg_csv_defaults();
  ck_assert_int_eq(tg_load_csv(p, &o, &b), 0);
  ck_assert_int_eq(b.n_samples, 3);
  ck_assert_int_eq(b.n_features, 2);
  const double X[] = {5.1, 3.5, 4.9, 3.0, -1e-3, 250};
  for (int i = 0; i < 6; i++) ck_assert_double_eq(b.X[i], X[i]);
  ck_assert_int_eq(b.y[0], 0);
  ck_assert_int_eq(b.y[1], 2);
  ck_assert_int_eq(b.y[2], 1);
  ck_assert_str_eq(b.feature_names[0], "sepal");
  ck_assert_str_eq(b.feature_names[1], "petal, \"long\"");
  ck_assert_ptr_null(b.target_names);
  tg_bunch_free(&b);
  unlink(p);
}
END_TEST

START_TEST(test_no_header_no_label_delimiter) {
  const char *p = write_file("semi.csv", "# a comment line to skip\n1;2;3\n4;5;6\n", -1);
  tg_bunch b;
  tg_csv_options o = {
      .delimiter = ';', .header = false, .label_column = TG_CSV_NO_LABEL, .skip_rows = 1};
  ck_assert_int_eq(tg_load_csv(p, &o, &b), 0);
  ck_assert_int_eq(b.n_samples, 2);
  ck_assert_int_eq(b.n_features, 3);
  ck_assert_ptr_null(b.y);
  ck_assert_ptr_null(b.feature_names);
  ck_assert_double_eq(b.X[5], 6);
  tg_bunch_free(&b);
  p = write_file("tabs.tsv", "7\t1\t8\n9\t0\t10\n", -1);
  o = (tg_csv_options){.delimiter = '\t', .header = false, .label_column = 1};
  ck_assert_int_eq(tg_load_csv(p, &o, &b), 0); /* a middle label column */
  ck_assert_int_eq(b.n_features, 2);
  ck_assert_double_eq(b.X[1], 8);
  ck_assert_double_eq(b.X[3], 10);
  ck_assert_int_eq(b.y[1], 0);
  tg_bunch_free(&b);
  o.label_column = -3; /* from the end: the first column */
  ck_assert_int_eq(tg_load_csv(p, &o, &b), 0);
  ck_assert_int_eq(b.y[1], 9);
  tg_bunch_free(&b);
  unlink(p);
  unlink(write_file("semi.csv", "", 0));
}
END_TEST

START_TEST(test_gzip) {
  snprintf(path, sizeof path, "%s/data.csv.gz", dir);
  gzFile f = gzopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  const char *text = "x,y\n1.5,1\n2.5,0\n";
  ck_assert_int_eq(gzwrite(f, text, (unsigned)strlen(text)), (int)strlen(text));
  ck_assert_int_eq(gzclose(f), Z_OK);
  tg_bunch b;
  tg_csv_options o = tg_csv_defaults();
  ck_assert_int_eq(tg_load_csv(path, &o, &b), 0);
  ck_assert_int_eq(b.n_samples, 2);
  ck_assert_double_eq(b.X[1], 2.5);
  ck_assert_int_eq(b.y[0], 1);
  tg_bunch_free(&b);

  /* the same file cut in half, and with its deflate body overwritten */
  FILE *raw = fopen(path, "rb");
  char bytes[256];
  size_t n = fread(bytes, 1, sizeof bytes, raw);
  fclose(raw);
  char gz_path[600];
  snprintf(gz_path, sizeof gz_path, "%s", write_file("cut.csv.gz", bytes, (long)n / 2));
  ck_assert_int_eq(tg_load_csv(gz_path, &o, &b), -1);
  ck_assert_msg(strstr(tg_last_error(), gz_path) == tg_last_error(), "%s",
                tg_last_error());
  unlink(gz_path);
  memset(bytes + 10, 0xff, n - 18); /* a reserved deflate block type */
  write_file("bad.csv.gz", bytes, (long)n);
  ck_assert_int_eq(tg_load_csv(path, &o, &b), -1);
  ck_assert_msg(strstr(tg_last_error(), "read error") != NULL, "%s", tg_last_error());
  unlink(path);
  snprintf(path, sizeof path, "%s/data.csv.gz", dir);
  unlink(path);
}
END_TEST

START_TEST(test_malformed_rows) {
  tg_csv_options o = tg_csv_defaults();
  expect_failure("a,b,c,d,label\n1,2,3,4,0\n1,2,3,4,0\n1,2,3,4,0\n1,2,3,4,0\n1,2,3,4,0\n"
                 "1,2,abc,4,0\n",
                 &o, ":7: column 3: 'abc' is not a number");
  expect_failure("a,b,c\n1,2,0\n3,4\n", &o, ":3: expected 3 columns, found 2");
  expect_failure("a,b,c\n1,2,0\n3,4,5,6\n", &o, ":3: expected 3 columns, found 4");
  expect_failure("a,b,c\n1,,0\n", &o, ":2: column 2: empty field");
  expect_failure("a,b,c\n1,2,1.5\n", &o, ":2: column 3: label '1.5' is not an integer");
  expect_failure("a,b,c\n1,2,nan\n", &o, ":2: column 3: label 'nan' is not an integer");
  expect_failure("a,b,c\n1,1e999,0\n", &o,
                 ":2: column 2: '1e999' is too large for a double");
  expect_failure("a,b,c\n1,\"2,0\n4,5,6\n", &o,
                 ":2: column 2: unterminated quoted field");
  expect_failure("a,b,c\n1,\"2\"x,0\n", &o,
                 ":2: column 2: unexpected 'x' after a closing quote");
  expect_failure("a,b,c\n1,2,3\n4,5", &o,
                 ":3: expected 3 columns, found 2"); /* truncated */
  expect_failure("a,b,c\n1,2,3\n4,5,", &o, ":3: column 3: empty field");
  expect_failure("a,b,c\n1,0x1p3 z,0\n", &o, ":2: column 2: '0x1p3 z' is not a number");
  expect_failure(
      "a,b\n1,xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", &o,
      ":2: column 2: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' is not a number");
}
END_TEST

START_TEST(test_empty_and_missing) {
  tg_csv_options o = tg_csv_defaults();
  expect_failure("", &o, ": file is empty");
  expect_failure("\n \n\r\n", &o, ": no header row");
  expect_failure("a,b,c\n", &o, ": no data rows");
  o.header = false;
  expect_failure("\n\n", &o, ": no data rows");
  o = tg_csv_defaults();
  o.label_column = 3;
  expect_failure("a,b,c\n1,2,3\n", &o,
                 ": label_column 3 does not leave a label and a feature among 3 columns");
  o.label_column = -1;
  expect_failure(
      "a\n1\n", &o,
      ": label_column -1 does not leave a label and a feature among 1 columns");
  o.delimiter = '"';
  tg_bunch bad;
  TG_EXPECT_ERROR(
      tg_load_csv("never-read.csv", &o, &bad),
      "tg_load_csv: never-read.csv: bad CSV options (delimiter 34, skip_rows 0)");
  tg_bunch b;
  o = tg_csv_defaults();
  snprintf(path, sizeof path, "%s/missing.csv", dir);
  ck_assert_int_eq(tg_load_csv(path, &o, &b), -1);
  char want[600];
  snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
  ck_assert_str_eq(tg_last_error(), want);
}
END_TEST

START_TEST(test_binary_bytes) {
  tg_csv_options o = tg_csv_defaults();
  o.header = false;
  const char bytes[] = "1,2\n3\0004,1\n";
  write_file("nul.csv", bytes, sizeof bytes - 1);
  tg_bunch b;
  ck_assert_int_eq(tg_load_csv(path, &o, &b), -1);
  ck_assert_msg(strstr(tg_last_error(), ":2: column 1: '3?4' is not a number") != NULL,
                "%s", tg_last_error());
  unlink(path);
}
END_TEST

/* A valid file with a few bytes replaced by characters CSV cares about and
 * cut at a random length: every variant must load or fail cleanly (under
 * ASan/valgrind this also proves there is no bad access). */
START_TEST(test_fuzz_never_crashes) {
  static const char alphabet[] = "0123456789.,\n\"\r -+eE\tnaix;\0";
  static const char valid[] = "a,b,c\n1.5,-2e3,0\n\"3\",4,1\n5,6,2\n7,8,0\n9,10,1\n";
  uint64_t state = 12345;
  char text[sizeof valid];
  int loaded = 0, failed = 0;
  for (int round = 0; round < 3000; round++) {
    memcpy(text, valid, sizeof valid);
    int mutations = round % 4;
    for (int m = 0; m <= mutations; m++) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      size_t at = (state >> 20) % (sizeof valid - 1);
      text[at] = alphabet[(state >> 40) % (sizeof alphabet - 1)];
    }
    long len = round % 5 ? (long)sizeof valid - 1 : (long)((state >> 50) % sizeof valid);
    write_file("fuzz.csv", text, len);
    tg_csv_options o = tg_csv_defaults();
    o.header = round % 7 != 0;
    o.label_column = round % 3 ? -1 : TG_CSV_NO_LABEL;
    tg_bunch b;
    int status = tg_load_csv(path, &o, &b);
    ck_assert(status == 0 || status == -1);
    if (status == 0) {
      loaded++;
      ck_assert(b.n_samples >= 1 && b.n_features >= 1);
    } else {
      failed++;
      ck_assert_ptr_null(b.X);
      ck_assert(strncmp(tg_last_error(), path, strlen(path)) == 0);
    }
    tg_bunch_free(&b);
  }
  ck_assert_int_gt(loaded, 50);
  ck_assert_int_gt(failed, 100);
  unlink(path);
}
END_TEST

static Suite *csv_suite(void) {
  Suite *s = suite_create("csv");
  TCase *tc = tcase_create("csv");
  tcase_add_unchecked_fixture(tc, make_dir, remove_dir);
  tcase_add_test(tc, test_header_and_label);
  tcase_add_test(tc, test_no_header_no_label_delimiter);
  tcase_add_test(tc, test_gzip);
  tcase_add_test(tc, test_malformed_rows);
  tcase_add_test(tc, test_empty_and_missing);
  tcase_add_test(tc, test_binary_bytes);
  tcase_add_test(tc, test_fuzz_never_crashes);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  return tg_test_run(csv_suite());
}
