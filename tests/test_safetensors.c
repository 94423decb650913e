/* safetensors: exact bytes against the reference implementation's own test
 * vectors, round trips, every rejection rule of docs/formats.md (section 1) with
 * its message, and atomic saves surviving SIGKILL at random moments. */
#include "test_util.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tensorgrad/safetensors.h"

/* ---- exact bytes --------------------------------------------------------------------
 */

static const float six_floats[] = {0, 1, 2, 3, 4, 5};

static void assert_written_bytes(const tg_st_tensor *t, size_t n, const tg_st_meta *meta,
                                 size_t nmeta, const char *header, size_t header_len) {
  char *dir = tg_test_temp_dir("tg_st"), path[600];
  snprintf(path, sizeof path, "%s/t.safetensors", dir);
  ck_assert_msg(tg_safetensors_write(path, t, n, meta, nmeta) == 0, "%s",
                tg_last_error());
  size_t len;
  uint8_t *bytes = tg_test_read_file(path, &len);
  size_t data_len = 0;
  for (size_t i = 0; i < n; i++) data_len += t[i].nbytes;
  ck_assert_uint_eq(len, 8 + header_len + data_len);
  for (int i = 0; i < 8; i++) ck_assert_uint_eq(bytes[i], (header_len >> (8 * i)) & 0xFF);
  ck_assert_msg(memcmp(bytes + 8, header, header_len) == 0, "header: %.*s",
                (int)header_len, bytes + 8);
  free(bytes);
  tg_st_file *f;
  ck_assert_msg(tg_safetensors_read(path, &f) == 0, "%s", tg_last_error());
  ck_assert_uint_eq(f->ntensors, n);
  ck_assert_uint_eq(f->nmeta, nmeta);
  tg_safetensors_free(f);
  tg_test_remove_tree(dir);
  free(dir);
}

START_TEST(test_reference_vectors) {
  /* The reference implementation's serialization tests, byte for byte. */
  const int64_t shape3[] = {1, 2, 3}, shape4[] = {1, 1, 2, 3};
  tg_st_tensor t = {"attn.0", TG_ST_F32, 3, shape3, six_floats, sizeof six_floats};
  const char *h1 =
      "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}";
  ck_assert_uint_eq(strlen(h1), 64);
  assert_written_bytes(&t, 1, NULL, 0, h1, 64);
  t = (tg_st_tensor){"attn0", TG_ST_F32, 4, shape4, six_floats, sizeof six_floats};
  const char *h2 = "{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":["
                   "0,24]}}       ";
  ck_assert_uint_eq(strlen(h2), 72);
  assert_written_bytes(&t, 1, NULL, 0, h2, 72);
  assert_written_bytes(NULL, 0, NULL, 0, "{}      ", 8);
  const tg_st_meta meta = {"framework", "pt"};
  const char *h3 = "{\"__metadata__\":{\"framework\":\"pt\"}}     ";
  ck_assert_uint_eq(strlen(h3), 40);
  assert_written_bytes(NULL, 0, &meta, 1, h3, 40);
}
END_TEST

START_TEST(test_layout_order) {
  /* Widest alignment first in the reference's dtype order, then by name. */
  const uint8_t zeros[8] = {0};
  const int64_t one[] = {1};
  tg_st_tensor t[] = {
      {"b", TG_ST_F32, 1, one, zeros, 4},  {"a", TG_ST_I64, 1, one, zeros, 8},
      {"c", TG_ST_F64, 1, one, zeros, 8},  {"d", TG_ST_BOOL, 1, one, zeros, 1},
      {"e", TG_ST_I32, 1, one, zeros, 4},  {"f", TG_ST_U8, 1, one, zeros, 1},
      {"g", TG_ST_F16, 1, one, zeros, 2},  {"h", TG_ST_BF16, 1, one, zeros, 2},
      {"i", TG_ST_I16, 1, one, zeros, 2},  {"j", TG_ST_I8, 1, one, zeros, 1},
      {"a2", TG_ST_I64, 1, one, zeros, 8},
  };
  char *dir = tg_test_temp_dir("tg_st"), path[600];
  snprintf(path, sizeof path, "%s/order.safetensors", dir);
  ck_assert_int_eq(tg_safetensors_write(path, t, 11, NULL, 0), 0);
  tg_st_file *f;
  ck_assert_msg(tg_safetensors_read(path, &f) == 0, "%s", tg_last_error());
  const char *expected[] = {"a", "a2", "c", "b", "e", "h", "g", "i", "j", "f", "d"};
  ck_assert_uint_eq(f->ntensors, 11);
  for (int i = 0; i < 11; i++) ck_assert_str_eq(f->tensors[i].name, expected[i]);
  tg_safetensors_free(f);
  tg_test_remove_tree(dir);
  free(dir);
}
END_TEST

/* ---- round trip -----------------------------------------------------------------------
 */

START_TEST(test_round_trip) {
  const double w[2][3] = {{1.5, -2, 3}, {4, 5e-300, -6}};
  const int64_t labels[] = {3, -1, 7};
  const uint8_t flag = 1;
  const uint16_t halves[] = {0x3C00, 0xC000};
  const int64_t s23[] = {2, 3}, s3[] = {3}, s2[] = {2}, s04[] = {0, 4};
  tg_st_tensor t[] = {
      {"layer.weight", TG_ST_F64, 2, s23, w, sizeof w},
      {"labels", TG_ST_I64, 1, s3, labels, sizeof labels},
      {"scalar flag", TG_ST_BOOL, 0, NULL, &flag, 1},
      {"empty", TG_ST_F32, 2, s04, NULL, 0},
      {"h\xc3\xa9\"\\\n", TG_ST_F16, 1, s2, halves, sizeof halves},
  };
  const tg_st_meta meta[] = {{"format", "pt"}, {"note", "quote \" and tab \t"}};
  char *dir = tg_test_temp_dir("tg_st"), path[600];
  snprintf(path, sizeof path, "%s/model.safetensors", dir);
  ck_assert_int_eq(tg_safetensors_write(path, t, 5, meta, 2), 0);
  tg_st_file *f;
  ck_assert_msg(tg_safetensors_read(path, &f) == 0, "%s", tg_last_error());
  ck_assert_uint_eq(f->ntensors, 5);
  for (int i = 0; i < 5; i++) {
    const tg_st_tensor *got = tg_safetensors_find(f, t[i].name);
    ck_assert_msg(got != NULL, "%s missing", t[i].name);
    ck_assert_int_eq(got->dtype, t[i].dtype);
    ck_assert_int_eq(got->ndim, t[i].ndim);
    for (int d = 0; d < t[i].ndim; d++) ck_assert_int_eq(got->shape[d], t[i].shape[d]);
    ck_assert_uint_eq(got->nbytes, t[i].nbytes);
    if (t[i].nbytes) ck_assert_mem_eq(got->data, t[i].data, t[i].nbytes);
  }
  ck_assert_ptr_null(tg_safetensors_find(f, "nope"));
  ck_assert_uint_eq(f->nmeta, 2);
  ck_assert_str_eq(tg_safetensors_meta_get(f, "format"), "pt");
  ck_assert_str_eq(tg_safetensors_meta_get(f, "note"), "quote \" and tab \t");
  ck_assert_ptr_null(tg_safetensors_meta_get(f, "other"));
  tg_safetensors_free(f);
  /* No temporary file is left behind. */
  DIR *d = opendir(dir);
  struct dirent *e;
  int files = 0;
  while ((e = readdir(d))) files += e->d_name[0] != '.';
  closedir(d);
  ck_assert_int_eq(files, 1);
  tg_test_remove_tree(dir);
  free(dir);
}
END_TEST

/* ---- rejection rules
 * ------------------------------------------------------------------- */

/* Parses u64(header_len) | header | data_len zero bytes; expects failure with
 * exactly `message` after "crafted: ". */
static void expect_reject_len(uint64_t header_len, const char *header, size_t data_len,
                              const char *message) {
  size_t hl = strlen(header), n = 8 + hl + data_len;
  uint8_t *bytes = calloc(n, 1);
  for (int i = 0; i < 8; i++) bytes[i] = (uint8_t)(header_len >> (8 * i));
  memcpy(bytes + 8, header, hl);
  tg_st_file *f = (tg_st_file *)1;
  ck_assert_msg(tg_safetensors_parse(bytes, n, "crafted", &f) == -1, "accepted: %s",
                header);
  ck_assert_ptr_null(f);
  char expected[512];
  snprintf(expected, sizeof expected, "crafted: %s", message);
  ck_assert_str_eq(tg_last_error(), expected);
  free(bytes);
}

static void expect_reject(const char *header, size_t data_len, const char *message) {
  expect_reject_len(strlen(header), header, data_len, message);
}

#define T(name, dtype, shape, offsets)                                                   \
  "\"" name "\":{\"dtype\":\"" dtype "\",\"shape\":" shape ",\"data_offsets\":" offsets  \
  "}"

START_TEST(test_reject_framing) {
  tg_st_file *f;
  ck_assert_int_eq(tg_safetensors_parse("abcde", 5, "tiny", &f), -1);
  ck_assert_str_eq(
      tg_last_error(),
      "tiny: file is 5 bytes, too short for the 8-byte header length (at byte 0)");
  expect_reject_len(
      100000001, "{}", 0,
      "header length 100000001 exceeds the limit of 100000000 bytes (at byte 0)");
  expect_reject_len(
      UINT64_MAX, "{}", 0,
      "header length 18446744073709551615 exceeds the limit of 100000000 bytes "
      "(at byte 0)");
  expect_reject_len(64, "{}", 10,
                    "header length 64 runs past the end of the 20-byte file "
                    "(at byte 0)");
  expect_reject("{\"a\xff\":1}", 0, "header is not valid UTF-8 (at byte 11)");
  expect_reject("{\"\xc0\xaf\":1}", 0, "header is not valid UTF-8 (at byte 10)");
  expect_reject("{\"\xed\xa0\x80\":1}", 0, "header is not valid UTF-8 (at byte 10)");
  expect_reject("{\"\xf4\x90\x80\x80\":1}", 0, "header is not valid UTF-8 (at byte 10)");
  expect_reject("{\"\xe2\x82\":1}", 0, "header is not valid UTF-8 (at byte 10)");
  expect_reject("", 0,
                "header ends where '{' starting the header was expected (at byte 8)");
}
END_TEST

START_TEST(test_reject_json) {
  expect_reject("[]", 0, "expected '{' starting the header (at byte 8)");
  expect_reject("{}x", 0, "unexpected bytes after the header's JSON object (at byte 10)");
  expect_reject("{} {}", 0,
                "unexpected bytes after the header's JSON object (at byte 11)");
  expect_reject("{\"a", 0, "unterminated string (at byte 11)");
  expect_reject("{\"a\\q\":1}", 0, "invalid escape \\q (at byte 11)");
  expect_reject("{\"a\\ud800\":1}", 0,
                "high surrogate not followed by a low one (at byte 11)");
  expect_reject("{\"a\\udc00\":1}", 0, "lone low surrogate in \\u escape (at byte 11)");
  expect_reject("{\"a\\u00g0\":1}", 0, "bad hex digit in \\u escape (at byte 15)");
  expect_reject("{\"a\tb\":1}", 0, "raw control character 0x09 in a string (at byte 11)");
  expect_reject("{\"a\\u0000b\":{}}", 0, "tensor name holds a NUL character (at byte 9)");
  expect_reject("{\"a\" 1}", 0, "expected ':' after a key (at byte 13)");
  expect_reject("{\"a\":[]}", 0, "expected '{' starting a tensor entry (at byte 13)");
  expect_reject("{" T("a", "F32", "[1]", "[0,4]") ", \"b\"}", 4,
                "expected ':' after a key (at byte 66)");
  expect_reject("{" T("a", "F32", "[1]", "[0,4]") "", 4,
                "header ends where ',' or '}' after an entry was expected (at byte 61)");
}
END_TEST

START_TEST(test_reject_schema) {
  expect_reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4,
                "tensor \"a\": no \"data_offsets\" field (at byte 13)");
  expect_reject("{\"a\":{}}", 0, "tensor \"a\": no \"dtype\" field (at byte 13)");
  expect_reject("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\"}}", 0,
                "tensor \"a\": repeated field \"dtype\" (at byte 28)");
  expect_reject("{\"a\":{\"dtype\":\"F32\",\"kind\":1}}", 0,
                "tensor \"a\": unknown field \"kind\" (at byte 28)");
  expect_reject("{" T("a", "Q4", "[1]", "[0,4]") "}", 4,
                "tensor \"a\": unknown dtype \"Q4\" (at byte 22)");
  expect_reject("{" T("a", "F32", "[-1]", "[0,4]") "}", 4,
                "expected a non-negative integer, got a negative number (at byte 37)");
  expect_reject("{" T("a", "F32", "[1.0]", "[0,4]") "}", 4,
                "expected an integer, got a fraction or exponent (at byte 37)");
  expect_reject("{" T("a", "F32", "[01]", "[0,4]") "}", 4,
                "integer with a leading zero (at byte 37)");
  expect_reject("{" T("a", "F32", "[99999999999999999999]", "[0,4]") "}", 4,
                "integer too large (at byte 37)");
  expect_reject("{" T("a", "F32", "[9223372036854775808]", "[0,4]") "}", 4,
                "tensor \"a\": dimension 9223372036854775808 too large (at byte 37)");
  expect_reject("{" T("a", "F32", "[1]", "[0,4,8]") "}", 4,
                "expected ']' after the two data_offsets (at byte 59)");
  expect_reject("{" T("a", "F32", "\"1\"", "[0,4]") "}", 4,
                "expected '[' starting a shape (at byte 36)");
}
END_TEST

START_TEST(test_reject_table) {
  expect_reject(
      "{" T("__metadata__", "F32", "[1]", "[0,4]") "}", 4,
      "__metadata__ must map strings to strings (\"shape\" does not; no tensor may "
      "be named __metadata__) (at byte 47)");
  expect_reject("{\"__metadata__\":{},\"__metadata__\":{}}", 0,
                "__metadata__ given twice (at byte 27)");
  expect_reject("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0,
                "duplicate __metadata__ key \"k\" (at byte 8)");
  expect_reject("{" T("a", "F32", "[1]", "[0,4]") "," T("a", "F32", "[1]", "[4,8]") "}",
                8, "duplicate tensor name \"a\" (at byte 62)");
  expect_reject("{" T("a", "F32", "[1]", "[4,8]") "}", 8,
                "gap of 4 bytes before tensor \"a\" (at byte 9)");
  expect_reject("{" T("a", "F32", "[1]", "[0,4]") "," T("b", "F32", "[1]", "[6,10]") "}",
                10, "gap of 2 bytes before tensor \"b\" (at byte 62)");
  expect_reject("{" T("a", "F32", "[2]", "[0,8]") "," T("b", "F32", "[1]", "[4,8]") "}",
                8, "tensor \"b\" overlaps the tensor before it (at byte 62)");
  expect_reject("{" T("a", "F32", "[0]", "[8,4]") "}", 8,
                "tensor \"a\": data_offsets [8, 4] end before they begin (at byte 9)");
  expect_reject("{" T("a", "F64", "[4294967296,4294967296,0]", "[0,0]") "}", 0,
                "tensor \"a\": shape times dtype size overflows (at byte 9)");
  expect_reject(
      "{" T("a", "F32", "[2]", "[0,4]") "}", 4,
      "tensor \"a\": shape and dtype make 8 bytes but data_offsets span 4 (at byte 9)");
  expect_reject("{" T("a", "F32", "[2]", "[0,8]") "}", 4,
                "tensor \"a\": data_offsets end 8 is past the end of the data (4 bytes) "
                "(at byte 9)");
  expect_reject("{" T("a", "F32", "[1]", "[0,4]") "}", 7,
                "3 trailing bytes after the last tensor (at byte 66)");
  expect_reject("{}", 1, "1 trailing bytes after the last tensor (at byte 10)");
}
END_TEST

START_TEST(test_accept_edge_cases) {
  /* Out-of-order entries, whitespace, rank 0, zero-size, empty file body. */
  const char *header =
      " {\n\"b\": {\"data_offsets\": [4, 6], \"shape\": [], \"dtype\": \"BF16\"},"
      "\t\"a\":{\"dtype\":\"I32\",\"shape\":[1,0],\"data_offsets\":[0,0]},"
      "\"c\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
      "\"__metadata__\":{}}   ";
  size_t hl = strlen(header), n = 8 + hl + 6;
  uint8_t *bytes = calloc(n, 1);
  bytes[0] = (uint8_t)hl;
  memcpy(bytes + 8, header, hl);
  memcpy(bytes + 8 + hl, "\x01\x02\x03\x04\x80\x3f", 6);
  tg_st_file *f;
  ck_assert_msg(tg_safetensors_parse(bytes, n, "ok", &f) == 0, "%s", tg_last_error());
  ck_assert_uint_eq(f->ntensors, 3);
  ck_assert_uint_eq(f->nmeta, 0);
  ck_assert_str_eq(f->tensors[2].name, "b"); /* file order: by offset */
  const tg_st_tensor *b = tg_safetensors_find(f, "b");
  ck_assert_int_eq(b->ndim, 0);
  ck_assert_int_eq(b->dtype, TG_ST_BF16);
  ck_assert_ptr_eq(b->data, bytes + 8 + hl + 4);
  ck_assert_uint_eq(tg_safetensors_find(f, "a")->nbytes, 0);
  ck_assert_mem_eq(tg_safetensors_find(f, "c")->data, "\x01\x02\x03\x04", 4);
  tg_safetensors_free(f);
  free(bytes);
}
END_TEST

START_TEST(test_file_errors) {
  tg_st_file *f;
  ck_assert_int_eq(tg_safetensors_read("/nonexistent/x.safetensors", &f), -1);
  ck_assert_str_eq(tg_last_error(),
                   "/nonexistent/x.safetensors: cannot open: No such file or directory");
  char *dir = tg_test_temp_dir("tg_st"), path[600];
  ck_assert_int_eq(tg_safetensors_read(dir, &f), -1);
  snprintf(path, sizeof path, "%s: not a regular file", dir);
  ck_assert_str_eq(tg_last_error(), path);
  snprintf(path, sizeof path, "%s/short.safetensors", dir);
  FILE *fp = fopen(path, "wb");
  ck_assert(fp && fwrite("\x02\0\0\0\0\0\0\0{", 1, 9, fp) == 9 && fclose(fp) == 0);
  ck_assert_int_eq(tg_safetensors_read(path, &f), -1);
  char expected[700];
  snprintf(expected, sizeof expected,
           "%s: header length 2 runs past the end of the 9-byte file (at byte 0)", path);
  ck_assert_str_eq(tg_last_error(), expected);
  tg_test_remove_tree(dir);
  free(dir);
}
END_TEST

/* A writer argument that would make a file readers reject: a tg_error whose
 * message names the writer, the path, the tensor and what is wrong. */
static void expect_writer_misuse(const char *path, const tg_st_tensor *tensors, size_t n,
                                 const tg_st_meta *meta, size_t nmeta, const char *what) {
  char expected[800];
  snprintf(expected, sizeof expected, "tg_safetensors_write: %s: %s", path, what);
  TG_EXPECT_ERROR(tg_safetensors_write(path, tensors, n, meta, nmeta), expected);
}

START_TEST(test_writer_errors) {
  char *dir = tg_test_temp_dir("tg_st"), path[600], expected[800], what[100];
  snprintf(path, sizeof path, "%s/w.safetensors", dir);
  const int64_t s2[] = {2}, neg[] = {-1};
  const float x[2] = {1, 2};
  tg_st_tensor dup[] = {{"a", TG_ST_F32, 1, s2, x, 8}, {"a", TG_ST_I32, 1, s2, x, 8}};
  expect_writer_misuse(path, dup, 2, NULL, 0, "tensor \"a\": name given twice");
  tg_st_tensor bad[] = {
      {"__metadata__", TG_ST_F32, 1, s2, x, 8}, {"a", TG_ST_F32, 1, s2, x, 4},
      {"a", TG_ST_F32, 1, neg, x, 8},           {"\xff", TG_ST_F32, 1, s2, x, 8},
      {"a", (tg_st_dtype)42, 1, s2, x, 8},      {"a", TG_ST_F32, 1, s2, NULL, 8},
  };
  const char *messages[] = {"the name __metadata__ is reserved",
                            "nbytes is 4, but shape and dtype make 8",
                            "negative dimension",
                            "name is not valid UTF-8",
                            "invalid dtype",
                            "data is NULL"};
  for (int i = 0; i < 6; i++) {
    snprintf(what, sizeof what, "tensor \"%s\": %s", bad[i].name, messages[i]);
    expect_writer_misuse(path, &bad[i], 1, NULL, 0, what);
  }
  const tg_st_meta meta = {"k", NULL};
  expect_writer_misuse(path, NULL, 0, &meta, 1,
                       "metadata entry 0 is NULL or not valid UTF-8");
  struct stat st;
  ck_assert_int_eq(stat(path, &st), -1); /* nothing was created */
  snprintf(path, sizeof path, "%s/missing/w.safetensors", dir);
  ck_assert_int_eq(tg_safetensors_write(path, NULL, 0, NULL, 0), -1);
  snprintf(
      expected, sizeof expected,
      "tg_safetensors_write: %s: cannot create temporary file: No such file or directory",
      path);
  ck_assert_str_eq(tg_last_error(), expected);
  tg_test_remove_tree(dir);
  free(dir);
}
END_TEST

/* ---- atomic saves under SIGKILL -------------------------------------------------------
 */

#define BIG_ELEMENTS (2 << 20) /* 2 Mi float32 = 8 MiB */

/* Saves the big file with every byte equal to `fill`. */
static int save_version(const char *path, uint8_t *buffer, uint8_t fill) {
  memset(buffer, fill, (size_t)BIG_ELEMENTS * 4);
  const int64_t shape[] = {BIG_ELEMENTS};
  const tg_st_tensor t = {"big", TG_ST_F32, 1, shape, buffer, (size_t)BIG_ELEMENTS * 4};
  const tg_st_meta meta = {"format", "pt"};
  return tg_safetensors_write(path, &t, 1, &meta, 1);
}

/* The file loads, and holds one whole version (all bytes alike). */
static uint8_t assert_intact(const char *path) {
  tg_st_file *f;
  ck_assert_msg(tg_safetensors_read(path, &f) == 0, "%s", tg_last_error());
  const tg_st_tensor *t = tg_safetensors_find(f, "big");
  ck_assert(t && t->nbytes == (size_t)BIG_ELEMENTS * 4);
  const uint8_t *d = t->data;
  size_t i = 1;
  while (i < t->nbytes && d[i] == d[0]) i++;
  ck_assert_msg(i == t->nbytes, "mixed versions at byte %zu", i);
  uint8_t version = d[0];
  tg_safetensors_free(f);
  return version;
}

START_TEST(test_atomic_save_survives_sigkill) {
  char *dir = tg_test_temp_dir("tg_st"), path[600];
  snprintf(path, sizeof path, "%s/ckpt.safetensors", dir);
  uint8_t *buffer = malloc((size_t)BIG_ELEMENTS * 4);
  ck_assert(buffer != NULL);
  /* Kill points spread uniformly over about three saves, so they land in
   * the header, the data, the fsync and the rename alike. */
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  ck_assert_int_eq(save_version(path, buffer, 1), 0);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long save_us =
      (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000 + 1;
  srand((unsigned)time(NULL));
  uint8_t last = 1;
  int kills = 0, changes = 0;
  /* Valgrind runs (TG_TEST_QUICK) are ~50x slower: fewer rounds there. */
  int rounds = getenv("TG_TEST_QUICK") ? 6 : 25;
  for (int round = 0; round < rounds; round++) {
    pid_t child = fork();
    ck_assert(child >= 0);
    if (child == 0) {
      /* Save newer versions back to back until killed. */
      for (int v = 0;; v++)
        if (save_version(path, buffer, (uint8_t)(2 + (round * 7 + v) % 250)) != 0)
          _exit(1);
    }
    long us = (long)((double)rand() / RAND_MAX * 3.0 * (double)save_us);
    struct timespec pause = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&pause, NULL);
    ck_assert_int_eq(kill(child, SIGKILL), 0);
    int status;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert_msg(WIFSIGNALED(status), "the writer exited by itself (status %d)", status);
    kills++;
    uint8_t now = assert_intact(path);
    ck_assert(now == last || now >= 2);
    changes += now != last;
    last = now;
  }
  ck_assert_int_eq(kills, rounds);
  ck_assert_msg(changes > 0, "no save ever completed: the kills proved nothing");
  /* The killed saves may leave temporaries; never a damaged target. */
  free(buffer);
  tg_test_remove_tree(dir);
  free(dir);
}
END_TEST

int main(void) {
  Suite *s = suite_create("safetensors");
  TCase *tc = tcase_create("format");
  tcase_add_test(tc, test_reference_vectors);
  tcase_add_test(tc, test_layout_order);
  tcase_add_test(tc, test_round_trip);
  tcase_add_test(tc, test_reject_framing);
  tcase_add_test(tc, test_reject_json);
  tcase_add_test(tc, test_reject_schema);
  tcase_add_test(tc, test_reject_table);
  tcase_add_test(tc, test_accept_edge_cases);
  tcase_add_test(tc, test_file_errors);
  tcase_add_test(tc, test_writer_errors);
  suite_add_tcase(s, tc);
  TCase *atomic = tcase_create("atomic");
  tcase_set_timeout(atomic, 300);
  tcase_add_test(atomic, test_atomic_save_survives_sigkill);
  suite_add_tcase(s, atomic);
  return tg_test_run(s);
}
