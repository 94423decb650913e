/* TensorBoard event files: the bytes are decoded by a small reader written
 * here, independently of tensorboard/ (its own CRC-32C, framing and protobuf
 * decoding), and compared with docs/formats.md's worked record and with values
 * computed by hand. */
#include "test_util.h"

#include <dirent.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tensorgrad/nn.h"
#include "tensorgrad/plot.h"
#include "tensorgrad/png.h"
#include "tensorgrad/tensorboard.h"
#include "tensorboard/crc32c.h"
#include "tensorboard/event_file.h"
#include "tensorboard/summary_values.h"

/* ---- the independent reader ---------------------------------------------------- */

/* CRC-32C through a 256-entry table (tensorboard/ computes bit by bit). */
static uint32_t ref_crc32c(const uint8_t *p, size_t n) {
  static uint32_t table[256];
  if (!table[1]) {
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++) c = c & 1 ? 0x82F63B78u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
  }
  uint32_t crc = ~0u;
  while (n--) crc = table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

static uint32_t ref_mask(uint32_t crc) {
  uint32_t rotated = (crc >> 15) | (crc << 17);
  return rotated + 0xA282EAD8u;
}

static uint64_t read_le(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

typedef struct {
  const uint8_t *p;
  size_t n;
} bytes;

typedef struct {
  bytes events[64];
  int count;
  uint8_t *file; /* owns the bytes the events point into */
} event_log;

/* Splits a TFRecord stream; returns -1 at the first bad CRC or truncation. */
static int split_records(const uint8_t *p, size_t n, event_log *log) {
  size_t at = 0;
  log->count = 0;
  while (at < n) {
    if (n - at < 12) return -1;
    uint64_t len = read_le(p + at, 8);
    if (read_le(p + at + 8, 4) != ref_mask(ref_crc32c(p + at, 8))) return -1;
    if (len > n - at - 16) return -1;
    const uint8_t *data = p + at + 12;
    if (read_le(data + len, 4) != ref_mask(ref_crc32c(data, len))) return -1;
    ck_assert(log->count < 64);
    log->events[log->count++] = (bytes){data, len};
    at += 16 + len;
  }
  return 0;
}

static void read_log(const char *path, event_log *log) {
  size_t n;
  log->file = tg_test_read_file(path, &n);
  ck_assert_msg(split_records(log->file, n, log) == 0, "%s: bad framing or CRC", path);
}

/* One protobuf field. */
typedef struct {
  int number, wire;
  uint64_t varint; /* wire 0; wire 1 and 5 raw bits */
  bytes sub;       /* wire 2 */
} pb_field;

static uint64_t get_varint(const uint8_t *p, size_t n, size_t *at) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    ck_assert_msg(*at < n, "varint runs past the message");
    uint8_t b = p[(*at)++];
    v |= (uint64_t)(b & 0x7F) << shift;
    if (!(b & 0x80)) return v;
  }
  ck_abort_msg("varint too long");
  return 0;
}

/* The nth (0-based) occurrence of field `number` in msg; false if absent. */
static bool find_field(bytes msg, int number, int nth, pb_field *out) {
  size_t at = 0;
  while (at < msg.n) {
    uint64_t key = get_varint(msg.p, msg.n, &at);
    pb_field f = {(int)(key >> 3), (int)(key & 7), 0, {NULL, 0}};
    if (f.wire == 0) {
      f.varint = get_varint(msg.p, msg.n, &at);
    } else if (f.wire == 1 || f.wire == 5) {
      int w = f.wire == 1 ? 8 : 4;
      ck_assert(msg.n - at >= (size_t)w);
      f.varint = read_le(msg.p + at, w);
      at += (size_t)w;
    } else {
      ck_assert_int_eq(f.wire, 2);
      uint64_t len = get_varint(msg.p, msg.n, &at);
      ck_assert(len <= msg.n - at);
      f.sub = (bytes){msg.p + at, len};
      at += len;
    }
    if (f.number == number && nth-- == 0) {
      *out = f;
      return true;
    }
  }
  return false;
}

static pb_field field(bytes msg, int number, int wire) {
  pb_field f;
  ck_assert_msg(find_field(msg, number, 0, &f), "field %d missing", number);
  ck_assert_int_eq(f.wire, wire);
  return f;
}

static bool has_field(bytes msg, int number) {
  pb_field f;
  return find_field(msg, number, 0, &f);
}

static bytes sub(bytes msg, int number) {
  return field(msg, number, 2).sub;
}

static double as_double(uint64_t bits) {
  double d;
  memcpy(&d, &bits, 8);
  return d;
}

static float as_float(uint64_t bits) {
  uint32_t b = (uint32_t)bits;
  float f;
  memcpy(&f, &b, 4);
  return f;
}

static double get_double(bytes msg, int number) {
  return as_double(field(msg, number, 1).varint);
}

static void assert_string(bytes s, const char *expected) {
  ck_assert_msg(s.n == strlen(expected) && memcmp(s.p, expected, s.n) == 0,
                "got \"%.*s\", expected \"%s\"", (int)s.n, (const char *)s.p, expected);
}

/* Event -> its only Summary.Value, after checking wall_time and step. */
static bytes event_value(bytes event, int64_t step) {
  double wall = get_double(event, 1);
  ck_assert_msg(fabs(wall - (double)time(NULL)) < 120, "wall_time %f is not now", wall);
  if (step == 0)
    ck_assert(!has_field(event, 2));
  else
    ck_assert_int_eq((int64_t)field(event, 2, 0).varint, step);
  bytes summary = sub(event, 5);
  pb_field second;
  ck_assert(!find_field(summary, 1, 1, &second));
  return sub(summary, 1);
}

/* ---- helpers ------------------------------------------------------------------------
 */

/* The single event file in dir, checked against the naming rule. */
static char *event_file_in(const char *dir) {
  DIR *d = opendir(dir);
  ck_assert_msg(d != NULL, "no directory %s", dir);
  char host[256];
  gethostname(host, sizeof host);
  char pattern[512];
  snprintf(pattern, sizeof pattern,
           "^events\\.out\\.tfevents\\.[0-9]{10}\\.%s\\.%ld\\.[0-9]+$", host,
           (long)getpid());
  regex_t re;
  ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
  char *found = NULL;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strncmp(e->d_name, "events.", 7) != 0) continue;
    ck_assert_msg(found == NULL, "two event files in %s", dir);
    ck_assert_msg(regexec(&re, e->d_name, 0, NULL, 0) == 0, "bad name %s", e->d_name);
    found = malloc(strlen(dir) + strlen(e->d_name) + 2);
    sprintf(found, "%s/%s", dir, e->d_name);
  }
  regfree(&re);
  closedir(d);
  ck_assert_msg(found != NULL, "no event file in %s", dir);
  return found;
}

static void assert_file_version_first(const event_log *log) {
  ck_assert_int_ge(log->count, 1);
  bytes first = log->events[0];
  assert_string(field(first, 3, 2).sub, "brain.Event:2");
  ck_assert(!has_field(first, 2));
  ck_assert(fabs(get_double(first, 1) - (double)time(NULL)) < 120);
}

/* ---- tests
 * ----------------------------------------------------------------------------- */

START_TEST(test_crc32c_check_value) {
  const char *check = "123456789";
  ck_assert_uint_eq(ref_crc32c((const uint8_t *)check, 9), 0xE3069283u);
  ck_assert_uint_eq(ref_mask(0xE3069283u), 0xC78AB0E5u);
  ck_assert_uint_eq(tg_crc32c(check, 9), 0xE3069283u);
  ck_assert_uint_eq(tg_crc32c_mask(tg_crc32c(check, 9)), 0xC78AB0E5u);
  ck_assert_uint_eq(tg_crc32c("", 0), 0);
}
END_TEST

START_TEST(test_worked_record) {
  static const uint8_t expected[] = {
      0x17, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe7, 0xce, 0xf8, 0x1e, 0x09,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x3f, 0x10, 0x03, 0x2a, 0x0a, 0x0a,
      0x08, 0x0a, 0x01, 0x78, 0x15, 0x00, 0x00, 0x00, 0x40, 0x3c, 0x97, 0x4a, 0x1f};
  tg_bytes summary = TG_BYTES_INIT, event = TG_BYTES_INIT, record = TG_BYTES_INIT;
  ck_assert_int_eq(tg_summary_scalar(&summary, "x", 2.0f), 0);
  tg_event_encode(&event, 1.5, 3, NULL, &summary);
  ck_assert_uint_eq(event.len, 23);
  tg_event_frame(&record, event.data, event.len);
  ck_assert_uint_eq(record.len, sizeof expected);
  ck_assert_mem_eq(record.data, expected, sizeof expected);
  /* ...and the reader agrees, and rejects it once a single bit flips. */
  event_log log;
  ck_assert_int_eq(split_records(record.data, record.len, &log), 0);
  ck_assert_int_eq(log.count, 1);
  record.data[30] ^= 1;
  ck_assert_int_eq(split_records(record.data, record.len, &log), -1);
  record.data[30] ^= 1;
  record.data[9] ^= 0x80;
  ck_assert_int_eq(split_records(record.data, record.len, &log), -1);
  tg_bytes_free(&summary);
  tg_bytes_free(&event);
  tg_bytes_free(&record);
}
END_TEST

START_TEST(test_scalar_and_text) {
  char *root = tg_test_temp_dir("tg_tb");
  char logdir[512];
  snprintf(logdir, sizeof logdir, "%s/nested/run1", root);
  tg_summary_writer *w = tg_summary_writer_open(logdir);
  ck_assert_msg(w != NULL, "%s", tg_last_error());
  ck_assert_str_eq(tg_summary_writer_logdir(w), logdir);
  ck_assert_int_eq(tg_summary_writer_add_scalar(w, "loss/train", 0.25, 7), 0);
  ck_assert_int_eq(tg_summary_writer_add_scalar(w, "zero", 0.0, 0), 0);
  ck_assert_int_eq(tg_summary_writer_add_text(w, "note", "héllo *md*", 2), 0);
  ck_assert_int_eq(tg_summary_writer_close(w), 0);

  char *path = event_file_in(logdir);
  event_log log;
  read_log(path, &log);
  ck_assert_int_eq(log.count, 4);
  assert_file_version_first(&log);

  bytes v = event_value(log.events[1], 7);
  assert_string(field(v, 1, 2).sub, "loss/train");
  ck_assert(as_float(field(v, 2, 5).varint) == 0.25f);

  v = event_value(log.events[2], 0); /* step 0 and value 0 still say "scalar" */
  ck_assert(as_float(field(v, 2, 5).varint) == 0.0f);

  v = event_value(log.events[3], 2);
  assert_string(field(v, 1, 2).sub, "note/text_summary");
  bytes plugin = sub(sub(v, 9), 1);
  assert_string(field(plugin, 1, 2).sub, "text");
  ck_assert(!has_field(plugin, 2));
  bytes tensor = sub(v, 8);
  ck_assert_int_eq(field(tensor, 1, 0).varint, 7); /* DT_STRING */
  bytes dim = sub(sub(tensor, 2), 2);
  ck_assert_int_eq(field(dim, 1, 0).varint, 1);
  assert_string(field(tensor, 8, 2).sub, "héllo *md*");
  free(log.file);
  free(path);
  tg_test_remove_tree(root);
  free(root);
}
END_TEST

static bytes open_single_event(const char *logdir, event_log *log, char **path) {
  *path = event_file_in(logdir);
  read_log(*path, log);
  ck_assert_int_eq(log->count, 2);
  assert_file_version_first(log);
  return log->events[1];
}

START_TEST(test_pr_curve) {
  char *root = tg_test_temp_dir("tg_tb");
  tg_summary_writer *w = tg_summary_writer_open(root);
  ck_assert(w != NULL);
  const float labels[] = {1, 0, 1, 1, 0, 1};
  const float preds[] = {0.9f, 0.1f, 0.6f, 0.4f, 0.7f, 1.5f}; /* 1.5: outside, dropped */
  ck_assert_int_eq(tg_summary_writer_add_pr_curve(w, "pr", labels, preds, 6, 5, 1), 0);
  ck_assert_int_eq(tg_summary_writer_close(w), 0);
  event_log log;
  char *path;
  bytes v = event_value(open_single_event(root, &log, &path), 1);
  assert_string(field(v, 1, 2).sub, "pr");
  bytes plugin = sub(sub(v, 9), 1);
  assert_string(field(plugin, 1, 2).sub, "pr_curves");
  bytes content = field(plugin, 2, 2).sub; /* version 0 is a default: absent */
  ck_assert_uint_eq(content.n, 2);
  ck_assert_mem_eq(content.p, "\x10\x05", 2);
  bytes tensor = sub(v, 8);
  ck_assert_int_eq(field(tensor, 1, 0).varint, 1); /* DT_FLOAT */
  pb_field d0, d1;
  ck_assert(find_field(sub(tensor, 2), 2, 0, &d0) &&
            find_field(sub(tensor, 2), 2, 1, &d1));
  ck_assert_int_eq(field(d0.sub, 1, 0).varint, 6);
  ck_assert_int_eq(field(d1.sub, 1, 0).varint, 5);
  /* Buckets floor(p*4): 0.9->3, 0.1->0, 0.6->2, 0.4->1, 0.7->2, worked by hand. */
  const float expected[6][5] = {{3, 3, 2, 1, 0},
                                {2, 1, 1, 0, 0},
                                {0, 1, 1, 2, 2},
                                {0, 0, 1, 2, 3},
                                {3.0f / 5, 3.0f / 4, 2.0f / 3, 1, 0},
                                {1, 1, 2.0f / 3, 1.0f / 3, 0}};
  bytes vals = field(tensor, 5, 2).sub;
  ck_assert_uint_eq(vals.n, 30 * 4);
  for (int i = 0; i < 30; i++) {
    float got = as_float(read_le(vals.p + 4 * i, 4));
    ck_assert_msg(fabsf(got - expected[i / 5][i % 5]) < 1e-6f, "row %d col %d: %g", i / 5,
                  i % 5, got);
  }
  free(log.file);
  free(path);
  tg_test_remove_tree(root);
  free(root);
}
END_TEST

START_TEST(test_histogram) {
  char *root = tg_test_temp_dir("tg_tb");
  tg_summary_writer *w = tg_summary_writer_open(root);
  ck_assert(w != NULL);
  const double values[] = {-1.0, 0.0, 0.5, 2.0, 2.0, 3e-3};
  ck_assert_int_eq(tg_summary_writer_add_histogram(w, "w", values, 6, 4), 0);
  ck_assert_int_eq(tg_summary_writer_close(w), 0);
  event_log log;
  char *path;
  bytes v = event_value(open_single_event(root, &log, &path), 4);
  assert_string(field(v, 1, 2).sub, "w");
  bytes h = sub(v, 5);
  ck_assert(get_double(h, 1) == -1.0);
  ck_assert(get_double(h, 2) == 2.0);
  ck_assert(get_double(h, 3) == 6.0);
  ck_assert(fabs(get_double(h, 4) - 3.503) < 1e-12);
  ck_assert(fabs(get_double(h, 5) - (1 + 0.25 + 8 + 9e-6)) < 1e-12);
  bytes limits = field(h, 6, 2).sub, counts = field(h, 7, 2).sub;
  ck_assert_uint_eq(limits.n, counts.n);
  size_t nb = limits.n / 8;
  /* Recount each value into (limit[i-1], limit[i]] from the decoded limits. */
  double recount[2048] = {0};
  ck_assert(nb < 2048);
  for (int k = 0; k < 6; k++) {
    size_t i = 0;
    while (i < nb && as_double(read_le(limits.p + 8 * i, 8)) < values[k]) i++;
    ck_assert_msg(i < nb && i > 0, "value %g outside the kept buckets", values[k]);
    recount[i] += 1;
  }
  double total = 0, prev = -INFINITY;
  bool zero_limit = false;
  for (size_t i = 0; i < nb; i++) {
    double lim = as_double(read_le(limits.p + 8 * i, 8));
    double c = as_double(read_le(counts.p + 8 * i, 8));
    ck_assert(lim > prev);
    prev = lim;
    zero_limit |= lim == 0.0;
    ck_assert_msg(c == recount[i], "bucket %zu (limit %g): %g, expected %g", i, lim, c,
                  recount[i]);
    total += c;
  }
  ck_assert(zero_limit);
  ck_assert(total == 6);
  /* Trimmed: one empty bucket on the left, none on the right; geometric
   * edges 1.1 apart around the data. */
  ck_assert(as_double(read_le(counts.p, 8)) == 0);
  ck_assert(as_double(read_le(counts.p + 8 * (nb - 1), 8)) == 2);
  double top = as_double(read_le(limits.p + 8 * (nb - 1), 8));
  double below = as_double(read_le(limits.p + 8 * (nb - 2), 8));
  ck_assert(top >= 2.0 && below < 2.0 && fabs(top / below - 1.1) < 1e-9);
  free(log.file);
  free(path);
  tg_test_remove_tree(root);
  free(root);
}
END_TEST

START_TEST(test_image_chw) {
  char *root = tg_test_temp_dir("tg_tb");
  tg_summary_writer *w = tg_summary_writer_open(root);
  ck_assert(w != NULL);
  enum { C = 3, H = 2, W = 3 };
  uint8_t chw[C * H * W];
  for (int i = 0; i < C * H * W; i++) chw[i] = (uint8_t)(i * 13);
  ck_assert_int_eq(tg_summary_writer_add_image(w, "img", chw, C, H, W, TG_IMAGE_CHW, 9),
                   0);
  ck_assert_int_eq(tg_summary_writer_close(w), 0);
  event_log log;
  char *path;
  bytes v = event_value(open_single_event(root, &log, &path), 9);
  assert_string(field(v, 1, 2).sub, "img");
  bytes img = sub(v, 4);
  ck_assert_int_eq(field(img, 1, 0).varint, H);
  ck_assert_int_eq(field(img, 2, 0).varint, W);
  ck_assert_int_eq(field(img, 3, 0).varint, C);
  bytes png = field(img, 4, 2).sub;
  ck_assert_mem_eq(png.p, "\x89PNG\r\n\x1a\n", 8);
  /* Decode the PNG and find the planar pixels interleaved. */
  char png_path[600];
  snprintf(png_path, sizeof png_path, "%s/img.png", root);
  FILE *f = fopen(png_path, "wb");
  ck_assert(f && fwrite(png.p, 1, png.n, f) == png.n && fclose(f) == 0);
  uint8_t *pixels;
  int width, height, channels;
  ck_assert_int_eq(tg_png_read(png_path, &pixels, &width, &height, &channels), 0);
  ck_assert(width == W && height == H && channels == C);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      for (int c = 0; c < C; c++)
        ck_assert_int_eq(pixels[(y * W + x) * C + c], chw[c * H * W + y * W + x]);
  free(pixels);
  free(log.file);
  free(path);
  tg_test_remove_tree(root);
  free(root);
}
END_TEST

static void assert_series(const char *dir, double value) {
  event_log log;
  char *path;
  bytes v = event_value(open_single_event(dir, &log, &path), 5);
  assert_string(field(v, 1, 2).sub, "loss/all");
  ck_assert(as_float(field(v, 2, 5).varint) == (float)value);
  free(log.file);
  free(path);
}

START_TEST(test_add_scalars_runs) {
  char *root = tg_test_temp_dir("tg_tb");
  tg_summary_writer *w = tg_summary_writer_open(root);
  ck_assert(w != NULL);
  const char *names[] = {"train", "val"};
  const double values[] = {1.5, 2.5};
  ck_assert_int_eq(tg_summary_writer_add_scalars(w, "loss/all", names, values, 2, 5), 0);
  ck_assert_int_eq(tg_summary_writer_flush(w), 0);
  ck_assert_int_eq(tg_summary_writer_close(w), 0);
  char dir[600];
  snprintf(dir, sizeof dir, "%s/loss_all_train", root);
  assert_series(dir, 1.5);
  snprintf(dir, sizeof dir, "%s/loss_all_val", root);
  assert_series(dir, 2.5);
  /* The main run has only its file_version record. */
  event_log log;
  char *path = event_file_in(root);
  read_log(path, &log);
  ck_assert_int_eq(log.count, 1);
  free(log.file);
  free(path);
  tg_test_remove_tree(root);
  free(root);
}
END_TEST

START_TEST(test_default_logdir) {
  char *root = tg_test_temp_dir("tg_tb");
  char cwd[1024];
  ck_assert(getcwd(cwd, sizeof cwd) != NULL);
  ck_assert_int_eq(chdir(root), 0);
  tg_summary_writer *w = tg_summary_writer_open(NULL);
  ck_assert(w != NULL);
  char host[256], pattern[512];
  gethostname(host, sizeof host);
  snprintf(pattern, sizeof pattern,
           "^runs/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[0-3][0-9]_"
           "[0-2][0-9]-[0-5][0-9]-[0-6][0-9]_%s$",
           host);
  regex_t re;
  ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
  ck_assert_msg(regexec(&re, tg_summary_writer_logdir(w), 0, NULL, 0) == 0, "logdir %s",
                tg_summary_writer_logdir(w));
  regfree(&re);
  struct stat st;
  ck_assert(stat(tg_summary_writer_logdir(w), &st) == 0 && S_ISDIR(st.st_mode));
  ck_assert_int_eq(tg_summary_writer_close(w), 0);
  ck_assert_int_eq(chdir(cwd), 0);
  tg_test_remove_tree(root);
  free(root);
}
END_TEST

START_TEST(test_errors) {
  char *root = tg_test_temp_dir("tg_tb");
  char path[600];
  snprintf(path, sizeof path, "%s/file", root);
  FILE *f = fopen(path, "w");
  ck_assert(f && fclose(f) == 0);
  snprintf(path, sizeof path, "%s/file/run", root);
  ck_assert(tg_summary_writer_open(path) == NULL);
  ck_assert_msg(strstr(tg_last_error(), "cannot create directory") &&
                    strstr(tg_last_error(), "/file/run"),
                "%s", tg_last_error());
  snprintf(path, sizeof path, "%s/file", root);
  ck_assert(tg_summary_writer_open(path) == NULL);
  ck_assert_msg(strstr(tg_last_error(), "is not a directory"), "%s", tg_last_error());

  tg_summary_writer *w = tg_summary_writer_open(root);
  ck_assert(w != NULL);
  ck_assert_int_eq(tg_summary_writer_add_histogram(w, "h", NULL, 0, 0), -1);
  ck_assert_str_eq(tg_last_error(),
                   "tg_summary_writer_add_histogram: tag \"h\": no values");
  const double bad[] = {1, NAN};
  ck_assert_int_eq(tg_summary_writer_add_histogram(w, "h", bad, 2, 0), -1);
  ck_assert_str_eq(tg_last_error(),
                   "tg_summary_writer_add_histogram: tag \"h\": value 1 is nan");
  const float one = 1;
  /* the calling code's mistakes go to the error handler */
  TG_EXPECT_ERROR(tg_summary_writer_add_pr_curve(w, "p", &one, &one, 1, 1, 0),
                  "tg_summary_writer_add_pr_curve: tag \"p\": "
                  "num_thresholds must be >= 2, got 1");
  uint8_t px[8] = {0};
  TG_EXPECT_ERROR(
      tg_summary_writer_add_image(w, "i", px, 2, 2, 2, TG_IMAGE_HWC, 0),
      "tg_summary_writer_add_image: tag \"i\": channels must be 1, 3 or 4, got 2");
  TG_EXPECT_ERROR(tg_summary_writer_add_image(w, "i", px, 1, 0, 2, TG_IMAGE_HWC, 0),
                  "tg_summary_writer_add_image: tag \"i\": bad size 0x2");
  ck_assert_int_eq(tg_summary_writer_close(w), 0);
  /* Nothing but the file_version record was written. */
  event_log log;
  char *events = event_file_in(root);
  read_log(events, &log);
  ck_assert_int_eq(log.count, 1);
  free(log.file);
  free(events);
  tg_test_remove_tree(root);
  free(root);
}
END_TEST

static tg_tensor *identity_forward(tg_module *m, tg_tensor *x) {
  return x;
}

/* add_hparams, add_graph and add_figure say what is wrong; the records
 * themselves are checked by TensorBoard's own reader (real_readers.py). */
START_TEST(test_plugin_record_errors) {
  char *root = tg_test_temp_dir("tg_tb");
  tg_summary_writer *w = tg_summary_writer_open(root);
  ck_assert(w != NULL);
  tg_hparam unnamed[] = {{"lr", NULL, 0.1}, {"", "adam", 0}};
  ck_assert_int_eq(tg_summary_writer_add_hparams(w, unnamed, 2, NULL, NULL, 0, "r"), -1);
  ck_assert_str_eq(tg_last_error(),
                   "tg_summary_writer_add_hparams: hparam 1 has no name");

  static const tg_module_vtable identity = {"Identity", identity_forward, NULL, NULL};
  tg_module *m = tg_module_new(&identity, sizeof(tg_module));
  tg_scope_begin();
  ck_assert_int_eq(tg_summary_writer_add_graph(w, m, tg_zeros(TG_SHAPE(2), TG_FLOAT32)),
                   -1);
  ck_assert_str_eq(tg_last_error(),
                   "tg_summary_writer_add_graph: Identity's forward recorded no op");
  tg_scope_end();
  tg_module_free(m);

  tg_figure *fig = tg_figure_new(100, 100, 1, 1);
  tg_axes_plot(tg_figure_axes(fig, 0), NULL, NULL, 1, NULL);
  ck_assert_int_eq(tg_summary_writer_add_figure(w, "f", fig, 0), -1);
  ck_assert_str_eq(tg_last_error(), "tg_axes_plot: y is NULL");
  tg_figure_free(fig);
  ck_assert_int_eq(tg_summary_writer_close(w), 0);
  tg_test_remove_tree(root);
  free(root);
}
END_TEST

int main(void) {
  Suite *s = suite_create("tensorboard");
  TCase *tc = tcase_create("event files");
  tcase_add_test(tc, test_crc32c_check_value);
  tcase_add_test(tc, test_worked_record);
  tcase_add_test(tc, test_scalar_and_text);
  tcase_add_test(tc, test_pr_curve);
  tcase_add_test(tc, test_histogram);
  tcase_add_test(tc, test_image_chw);
  tcase_add_test(tc, test_add_scalars_runs);
  tcase_add_test(tc, test_default_logdir);
  tcase_add_test(tc, test_errors);
  tcase_add_test(tc, test_plugin_record_errors);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
