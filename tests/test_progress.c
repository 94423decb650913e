/* The progress bar: its text (counts, percentage, elapsed<remaining, rate,
 * postfix), when it redraws on a terminal and when it prints plain lines
 * otherwise, all driven by a fake clock into memory streams. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensorgrad/progress.h"
#include "test_util.h"

static double fake_now;
static double fake_clock(void) {
  return fake_now;
}

/* A memory stream and what has been written to it so far. */
typedef struct {
  FILE *f;
  char *text;
  size_t size;
} capture;

static void capture_open(capture *c) {
  c->text = NULL;
  c->size = 0;
  c->f = open_memstream(&c->text, &c->size);
  ck_assert_ptr_nonnull(c->f);
}

static const char *capture_text(capture *c) {
  fflush(c->f);
  return c->text;
}

static void capture_close(capture *c) {
  fclose(c->f);
  free(c->text);
}

static int count_char(const char *s, char ch) {
  int n = 0;
  for (; *s; s++) n += *s == ch;
  return n;
}

static tg_progress_options options(capture *c, tg_progress_mode mode) {
  fake_now = 1000; /* any origin: only differences matter */
  return (tg_progress_options){
      .desc = "train", .stream = c->f, .mode = mode, .clock = fake_clock};
}

/* ---- the text ---------------------------------------------------------------- */

START_TEST(test_format_counts_times_rate_postfix) {
  capture c;
  capture_open(&c);
  tg_progress_options o = options(&c, TG_PROGRESS_OFF);
  o.columns = 90;
  tg_progress p;
  tg_progress_begin(&p, 200, &o);
  char line[512];
  tg_progress_format(&p, false, line, sizeof line);
  ck_assert_str_eq(line, "train:   0% 0/200 [00:00<?, ?it/s]");
  fake_now += 2;
  tg_progress_update(&p, 90);
  tg_progress_set_postfix(&p, "loss=%.4f acc=%.3f", 0.31234, 0.875);
  tg_progress_format(&p, false, line, sizeof line);
  /* 45 it/s, 110 left: 2.4 s */
  ck_assert_str_eq(line,
                   "train:  45% 90/200 [00:02<00:02, 45.00it/s, loss=0.3123 acc=0.875]");
  tg_progress_format(&p, true, line, sizeof line);
  ck_assert_str_eq(line, "train:  45%|#########            | 90/200 [00:02<00:02, "
                         "45.00it/s, loss=0.3123 acc=0.875]");
  ck_assert_int_eq((int)strlen(line), 89); /* fills the width, minus the last column */
  ck_assert_str_eq(capture_text(&c), "");  /* OFF draws nothing */
  capture_close(&c);
}
END_TEST

START_TEST(test_format_slow_long_unknown_total) {
  capture c;
  capture_open(&c);
  tg_progress_options o = options(&c, TG_PROGRESS_OFF);
  o.unit = "epoch";
  o.desc = NULL;
  tg_progress p;
  tg_progress_begin(&p, 10, &o);
  fake_now += 4000; /* 1:06:40 for 2 epochs: 2000 s an epoch, 8 to go */
  tg_progress_update(&p, 2);
  char line[512];
  tg_progress_format(&p, false, line, sizeof line);
  ck_assert_str_eq(line, " 20% 2/10 [1:06:40<4:26:40, 2000.00s/epoch]");
  tg_progress_begin(&p, 0, &o); /* unknown total: no percentage, no remaining */
  fake_now += 4;
  tg_progress_update(&p, 10);
  tg_progress_format(&p, true, line, sizeof line);
  ck_assert_str_eq(line, "10epoch [00:04, 2.50epoch/s]");
  capture_close(&c);
}
END_TEST

/* Resuming at 50 of 100: the rate counts only the steps of this run. */
START_TEST(test_initial_count) {
  capture c;
  capture_open(&c);
  tg_progress_options o = options(&c, TG_PROGRESS_OFF);
  o.initial = 50;
  tg_progress p;
  tg_progress_begin(&p, 100, &o);
  fake_now += 5;
  tg_progress_update(&p, 10);
  char line[512];
  tg_progress_format(&p, false, line, sizeof line);
  ck_assert_str_eq(line, "train:  60% 60/100 [00:05<00:20, 2.00it/s]");
  capture_close(&c);
}
END_TEST

START_TEST(test_postfix_is_cut_not_overflowed) {
  capture c;
  capture_open(&c);
  tg_progress_options o = options(&c, TG_PROGRESS_OFF);
  tg_progress p;
  tg_progress_begin(&p, 10, &o);
  char long_text[600];
  memset(long_text, 'x', sizeof long_text - 1);
  long_text[sizeof long_text - 1] = '\0';
  tg_progress_set_postfix(&p, "%s", long_text);
  ck_assert_uint_eq(strlen(p.postfix), sizeof p.postfix - 1);
  capture_close(&c);
}
END_TEST

/* ---- not a terminal: occasional plain lines -----------------------------------------
 */

START_TEST(test_lines_every_ten_percent) {
  capture c;
  capture_open(&c);
  tg_progress_options o = options(&c, TG_PROGRESS_AUTO); /* a memstream is no tty */
  tg_progress p;
  tg_progress_begin(&p, 100, &o);
  for (int i = 0; i < 100; i++) {
    fake_now += 0.5;
    tg_progress_set_postfix(&p, "step=%d", i);
    tg_progress_update(&p, 1);
  }
  tg_progress_end(&p); /* 100% is already out: no repeat */
  const char *text = capture_text(&c);
  ck_assert_int_eq(count_char(text, '\n'), 10);
  ck_assert_int_eq(count_char(text, '\r'), 0);
  ck_assert_ptr_null(strchr(text, '|')); /* no bar graphic in logs */
  ck_assert(strncmp(text, "train:  10% 10/100 [00:05<00:45, 2.00it/s, step=9]\n", 51) ==
            0);
  ck_assert_ptr_nonnull(
      strstr(text, "train:  50% 50/100 [00:25<00:25, 2.00it/s, step=49]\n"));
  const char *last = text + strlen(text) - 1;
  while (last > text && last[-1] != '\n') last--;
  ck_assert_str_eq(last, "train: 100% 100/100 [00:50<00:00, 2.00it/s, step=99]\n");
  capture_close(&c);
}
END_TEST

/* Slow steps with no total: a line every `interval` seconds, and the final one. */
START_TEST(test_lines_every_interval_and_final) {
  capture c;
  capture_open(&c);
  tg_progress_options o = options(&c, TG_PROGRESS_LINES);
  o.interval = 10;
  tg_progress p;
  tg_progress_begin(&p, 0, &o);
  for (int i = 0; i < 9; i++) { /* t = 3, 6, ..., 27: lines at 12 and 24 */
    fake_now += 3;
    tg_progress_update(&p, 1);
  }
  tg_progress_end(&p);
  ck_assert_str_eq(capture_text(&c), "train: 4it [00:12, 3.00s/it]\n"
                                     "train: 8it [00:24, 3.00s/it]\n"
                                     "train: 9it [00:27, 3.00s/it]\n");
  capture_close(&c);
}
END_TEST

/* ---- a terminal: redrawn in place ----------------------------------------------------
 */

START_TEST(test_tty_redraws_at_most_every_tenth_second) {
  capture c;
  capture_open(&c);
  tg_progress_options o = options(&c, TG_PROGRESS_TTY);
  o.columns = 70;
  tg_progress p;
  tg_progress_begin(&p, 20, &o); /* draws 0% at once */
  for (int i = 0; i < 20; i++) {
    fake_now += 0.0625; /* two updates per redraw (exact in binary) */
    tg_progress_update(&p, 1);
  }
  tg_progress_end(&p);
  const char *text = capture_text(&c);
  ck_assert_int_eq(count_char(text, '\r'), 1 + 10 + 1);
  ck_assert_int_eq(count_char(text, '\n'), 1); /* one line, ended by tg_progress_end */
  ck_assert(strncmp(text, "\rtrain:   0%|", 13) == 0);
  const char *last = strrchr(text, '\r');
  ck_assert(strncmp(last, "\rtrain: 100%|##########", 22) == 0);
  ck_assert_ptr_nonnull(strstr(last, "| 20/20 [00:01<00:00, 16.00it/s]\033[K\n"));
  ck_assert_uint_eq(strlen(last), 1 + 69 + 3 + 1); /* \r, 69 columns, \033[K, \n */
  capture_close(&c);
}
END_TEST

/* A line wider than the terminal would wrap and break '\r': it is cut. */
START_TEST(test_tty_cuts_long_lines) {
  capture c;
  capture_open(&c);
  tg_progress_options o = options(&c, TG_PROGRESS_TTY);
  o.columns = 40;
  tg_progress p;
  tg_progress_begin(&p, 5, &o);
  tg_progress_set_postfix(&p, "a postfix far too long for forty columns");
  fake_now += 1;
  tg_progress_update(&p, 5);
  const char *last = strrchr(capture_text(&c), '\r');
  ck_assert_str_eq(last, "\rtrain: 100% 5/5 [00:01<00:00, 5.00it/s,\033[K");
  tg_progress_end(&p);
  capture_close(&c);
}
END_TEST

/* tqdm.write: the bar is cleared, the text goes out, the bar comes back. */
START_TEST(test_write_lifts_the_bar) {
  capture bar, out;
  capture_open(&bar);
  capture_open(&out);
  tg_progress_options o = options(&bar, TG_PROGRESS_TTY);
  o.columns = 50;
  tg_progress p;
  tg_progress_begin(&p, 4, &o);
  size_t before = strlen(capture_text(&bar));
  tg_progress_write(&p, out.f, "epoch %d loss=%.2f\n", 1, 0.5);
  ck_assert_str_eq(capture_text(&out), "epoch 1 loss=0.50\n");
  const char *after = capture_text(&bar) + before;
  ck_assert(strncmp(after, "\r\033[K\rtrain:   0%|", 17) == 0);
  tg_progress_end(&p);
  capture_close(&out);
  capture_close(&bar);

  capture_open(&bar); /* not a terminal: the text only */
  capture_open(&out);
  o = options(&bar, TG_PROGRESS_LINES);
  tg_progress_begin(&p, 4, &o);
  tg_progress_write(&p, out.f, "hello\n");
  ck_assert_str_eq(capture_text(&out), "hello\n");
  ck_assert_str_eq(capture_text(&bar), "");
  tg_progress_end(&p);
  ck_assert_str_eq(capture_text(&bar), "train:   0% 0/4 [00:00<?, ?it/s]\n");
  capture_close(&out);
  capture_close(&bar);
}
END_TEST

int main(void) {
  Suite *s = suite_create("progress");
  TCase *text = tcase_create("text");
  tcase_add_test(text, test_format_counts_times_rate_postfix);
  tcase_add_test(text, test_format_slow_long_unknown_total);
  tcase_add_test(text, test_initial_count);
  tcase_add_test(text, test_postfix_is_cut_not_overflowed);
  suite_add_tcase(s, text);
  TCase *lines = tcase_create("lines");
  tcase_add_test(lines, test_lines_every_ten_percent);
  tcase_add_test(lines, test_lines_every_interval_and_final);
  suite_add_tcase(s, lines);
  TCase *tty = tcase_create("tty");
  tcase_add_test(tty, test_tty_redraws_at_most_every_tenth_second);
  tcase_add_test(tty, test_tty_cuts_long_lines);
  tcase_add_test(tty, test_write_lifts_the_bar);
  suite_add_tcase(s, tty);
  return tg_test_run(s);
}
