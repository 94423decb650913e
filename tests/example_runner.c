#include "example_runner.h"

#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensorboard/crc32c.h"
#include "tensorgrad.h"
#include "test_util.h"

void example_run_start(example_run *run, const char *name, const char *args) {
  memset(run, 0, sizeof *run);
  snprintf(run->out_dir, sizeof run->out_dir, "/tmp/tg_example_%s_XXXXXX", name);
  ck_assert_ptr_nonnull(mkdtemp(run->out_dir));
  char command[1024];
  snprintf(command, sizeof command, "%s/examples/%s %s --out %s 2>/dev/null",
           TG_BUILD_DIR, name, args, run->out_dir);
  FILE *p = popen(command, "r");
  ck_assert_msg(p != NULL, "cannot run %s", command);
  size_t cap = 4096, len = 0;
  run->output = malloc(cap);
  size_t got;
  while (run->output && (got = fread(run->output + len, 1, cap - len - 1, p)) > 0) {
    len += got;
    if (len + 1 == cap) run->output = realloc(run->output, cap *= 2);
  }
  ck_assert_ptr_nonnull(run->output);
  run->output[len] = '\0';
  int status = pclose(p);
  run->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  ck_assert_msg(run->exit_code == 0, "%s exited with %d; output:\n%s", command,
                run->exit_code, run->output);
  /* the last non-empty line */
  char *end = run->output + len;
  while (end > run->output && end[-1] == '\n') end--;
  char *start = end;
  while (start > run->output && start[-1] != '\n') start--;
  snprintf(run->summary, sizeof run->summary, "%.*s", (int)(end - start), start);
  char prefix[64];
  snprintf(prefix, sizeof prefix, "%s: ", name);
  ck_assert_msg(strncmp(run->summary, prefix, strlen(prefix)) == 0,
                "summary line \"%s\" does not start with \"%s\"", run->summary, prefix);
}

void example_run_free(example_run *run) {
  if (run->out_dir[0]) tg_test_remove_tree(run->out_dir);
  free(run->output);
  memset(run, 0, sizeof *run);
}

double example_summary_value(const example_run *run, const char *key) {
  char pattern[128];
  snprintf(pattern, sizeof pattern, " %s=", key);
  const char *at = strstr(run->summary, pattern);
  ck_assert_msg(at != NULL, "summary \"%s\" has no %s=", run->summary, key);
  char *end;
  double v = strtod(at + strlen(pattern), &end);
  ck_assert_msg(end != at + strlen(pattern), "summary %s= is not a number", key);
  return v;
}

void example_expect_png(const example_run *run, const char *relpath) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", run->out_dir, relpath);
  uint8_t *pixels = NULL;
  int w = 0, h = 0, c = 0;
  ck_assert_msg(tg_png_read(path, &pixels, &w, &h, &c) == 0, "%s", tg_last_error());
  ck_assert_msg(w >= 100 && h >= 100, "%s is only %dx%d", relpath, w, h);
  free(pixels);
}

void example_expect_safetensors(const example_run *run, const char *relpath) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", run->out_dir, relpath);
  tg_st_file *f = NULL;
  ck_assert_msg(tg_safetensors_read(path, &f) == 0, "%s", tg_last_error());
  ck_assert_msg(f->ntensors > 0, "%s holds no tensors", relpath);
  tg_safetensors_free(f);
}

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

/* Walks the TFRecord framing of one file; returns its record count. */
static int check_event_file(const char *path) {
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  int records = 0;
  uint8_t head[12];
  while (fread(head, 1, 12, f) == 12) {
    uint64_t len = 0;
    for (int i = 7; i >= 0; i--) len = len << 8 | head[i];
    ck_assert_msg(tg_crc32c_mask(tg_crc32c(head, 8)) == le32(head + 8),
                  "%s: bad length CRC in record %d", path, records);
    ck_assert_msg(len < (1u << 26), "%s: record %d is %llu bytes", path, records,
                  (unsigned long long)len);
    uint8_t *data = malloc(len + 4);
    ck_assert(data != NULL && fread(data, 1, len + 4, f) == len + 4);
    ck_assert_msg(tg_crc32c_mask(tg_crc32c(data, len)) == le32(data + len),
                  "%s: bad data CRC in record %d", path, records);
    free(data);
    records++;
  }
  fclose(f);
  ck_assert_msg(records >= 1, "%s has no records", path);
  return records;
}

int example_expect_events(const example_run *run, const char *reldir) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/%s", run->out_dir, reldir);
  DIR *d = opendir(dir);
  ck_assert_msg(d != NULL, "no directory %s", dir);
  int records = 0, files = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, "events.out.tfevents.", 20) != 0) continue;
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    records += check_event_file(path);
    files++;
  }
  closedir(d);
  ck_assert_msg(files > 0, "no event file in %s", dir);
  return records;
}
