/* A tqdm-like progress bar: redrawn in place on a terminal, a few plain lines
 * otherwise. See include/tensorgrad/progress.h. */
#include "tensorgrad/progress.h"

#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

enum { DEFAULT_COLUMNS = 80, LINE_MAX_BYTES = 512 };
static const double TTY_REDRAW_SECONDS = 0.1; /* tqdm's mininterval */
static const double LINES_INTERVAL_SECONDS = 10;

static double monotonic_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now(const tg_progress *p) {
  return p->opt.clock();
}

static int terminal_columns(FILE *stream) {
  struct winsize ws;
  if (ioctl(fileno(stream), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return DEFAULT_COLUMNS;
}

void tg_progress_begin(tg_progress *p, int64_t total, const tg_progress_options *opt) {
  memset(p, 0, sizeof *p);
  if (opt) p->opt = *opt;
  if (!p->opt.unit) p->opt.unit = "it";
  if (!p->opt.stream) p->opt.stream = stderr;
  if (!p->opt.clock) p->opt.clock = monotonic_seconds;
  if (p->opt.interval <= 0) p->opt.interval = LINES_INTERVAL_SECONDS;
  if (p->opt.mode == TG_PROGRESS_AUTO)
    p->opt.mode = isatty(fileno(p->opt.stream)) ? TG_PROGRESS_TTY : TG_PROGRESS_LINES;
  if (p->opt.mode == TG_PROGRESS_TTY && p->opt.columns <= 0)
    p->opt.columns = terminal_columns(p->opt.stream);
  p->total = total > 0 ? total : 0;
  p->n = p->opt.initial;
  p->start = p->last_draw = now(p);
  p->last_decile = p->total ? p->n * 10 / p->total : 0;
  p->last_printed = -1;
  if (p->opt.mode == TG_PROGRESS_TTY) {
    char line[LINE_MAX_BYTES];
    tg_progress_format(p, true, line, sizeof line);
    fprintf(p->opt.stream, "\r%s", line);
    fflush(p->opt.stream);
    p->drawn = true;
  }
}

/* ---- text ------------------------------------------------------------------------ */

/* 75 s -> "01:15", 4000 s -> "1:06:40", as tqdm prints durations. */
static void format_duration(double seconds, char *buf, size_t size) {
  long s = seconds > 0 ? (long)seconds : 0;
  if (s >= 3600)
    snprintf(buf, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else
    snprintf(buf, size, "%02ld:%02ld", s / 60, s % 60);
}

/* "1523.41it/s", or "2.50s/it" below one step a second, "?it/s" before any. */
static void format_rate(double rate, const char *unit, char *buf, size_t size) {
  if (rate <= 0)
    snprintf(buf, size, "?%s/s", unit);
  else if (rate >= 1)
    snprintf(buf, size, "%.2f%s/s", rate, unit);
  else
    snprintf(buf, size, "%.2fs/%s", 1 / rate, unit);
}

/* "[00:02<00:03, 1523.41it/s, loss=0.3]" (the "<remaining" only with a total) */
static void format_times(const tg_progress *p, char *buf, size_t size) {
  double elapsed = now(p) - p->start;
  int64_t done = p->n - p->opt.initial;
  double rate = elapsed > 0 && done > 0 ? (double)done / elapsed : 0;
  char elapsed_text[32], remaining_text[32] = "", rate_text[48];
  format_duration(elapsed, elapsed_text, sizeof elapsed_text);
  format_rate(rate, p->opt.unit, rate_text, sizeof rate_text);
  if (p->total) {
    remaining_text[0] = '<';
    if (rate > 0)
      format_duration((double)(p->total - p->n) / rate, remaining_text + 1,
                      sizeof remaining_text - 1);
    else
      snprintf(remaining_text + 1, sizeof remaining_text - 1, "?");
  }
  snprintf(buf, size, "[%s%s, %s%s%s]", elapsed_text, remaining_text, rate_text,
           p->postfix[0] ? ", " : "", p->postfix);
}

/* |#########           | filling `width` cells in proportion to n/total. */
static void format_bar(const tg_progress *p, int width, char *buf) {
  int64_t n = p->n < p->total ? p->n : p->total;
  int filled = (int)(n * width / p->total);
  buf[0] = '|';
  memset(buf + 1, '#', (size_t)filled);
  memset(buf + 1 + filled, ' ', (size_t)(width - filled));
  buf[width + 1] = '|';
  buf[width + 2] = '\0';
}

void tg_progress_format(const tg_progress *p, bool bar, char *buf, size_t size) {
  char desc[160] = "", times[LINE_MAX_BYTES];
  if (p->opt.desc && p->opt.desc[0]) snprintf(desc, sizeof desc, "%s: ", p->opt.desc);
  format_times(p, times, sizeof times);
  if (!p->total) {
    snprintf(buf, size, "%s%lld%s %s", desc, (long long)p->n, p->opt.unit, times);
    return;
  }
  int64_t n = p->n < p->total ? p->n : p->total;
  char percent[8], counts[48];
  snprintf(percent, sizeof percent, "%3d%%", (int)(n * 100 / p->total));
  snprintf(counts, sizeof counts, "%lld/%lld", (long long)p->n, (long long)p->total);
  /* The bar takes whatever the line leaves of the terminal width, and is
   * dropped when fewer than 10 cells are left. */
  int columns = p->opt.columns > 0 ? p->opt.columns : DEFAULT_COLUMNS;
  int rest = (int)(strlen(desc) + strlen(percent) + strlen(counts) + strlen(times)) + 2;
  int width = columns - 1 - rest - 2;
  if (width > 60) width = 60;
  if (bar && width >= 10) {
    char graphic[64];
    format_bar(p, width, graphic);
    snprintf(buf, size, "%s%s%s %s %s", desc, percent, graphic, counts, times);
  } else {
    snprintf(buf, size, "%s%s %s %s", desc, percent, counts, times);
  }
}

/* ---- drawing ----------------------------------------------------------------------- */

static void draw_tty(tg_progress *p) {
  char line[LINE_MAX_BYTES];
  tg_progress_format(p, true, line, sizeof line);
  /* Wider than the terminal would wrap, and '\r' would then redraw only the
   * last row: cut the line to fit. */
  if (p->opt.columns > 1 && strlen(line) >= (size_t)p->opt.columns)
    line[p->opt.columns - 1] = '\0';
  fprintf(p->opt.stream, "\r%s\033[K", line);
  fflush(p->opt.stream);
  p->drawn = true;
  p->last_draw = now(p);
}

static void print_line(tg_progress *p) {
  char line[LINE_MAX_BYTES];
  tg_progress_format(p, false, line, sizeof line);
  fprintf(p->opt.stream, "%s\n", line);
  fflush(p->opt.stream);
  p->last_printed = p->n;
  p->last_draw = now(p);
}

void tg_progress_update(tg_progress *p, int64_t n) {
  p->n += n;
  bool finished = p->total && p->n >= p->total;
  double since = now(p) - p->last_draw;
  if (p->opt.mode == TG_PROGRESS_TTY) {
    if (finished || since >= TTY_REDRAW_SECONDS) draw_tty(p);
  } else if (p->opt.mode == TG_PROGRESS_LINES) {
    int64_t decile = p->total ? (p->n < p->total ? p->n : p->total) * 10 / p->total : 0;
    if (decile > p->last_decile || since >= p->opt.interval) {
      p->last_decile = decile;
      print_line(p);
    }
  }
}

void tg_progress_set_postfix(tg_progress *p, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->postfix, sizeof p->postfix, fmt, ap);
  va_end(ap);
}

void tg_progress_write(tg_progress *p, FILE *out, const char *fmt, ...) {
  bool lift = p->opt.mode == TG_PROGRESS_TTY && p->drawn;
  if (lift) {
    fputs("\r\033[K", p->opt.stream);
    fflush(p->opt.stream);
  }
  va_list ap;
  va_start(ap, fmt);
  vfprintf(out, fmt, ap);
  va_end(ap);
  fflush(out);
  if (lift) draw_tty(p);
}

void tg_progress_end(tg_progress *p) {
  if (p->opt.mode == TG_PROGRESS_TTY) {
    draw_tty(p);
    fputc('\n', p->opt.stream);
    fflush(p->opt.stream);
    p->drawn = false;
  } else if (p->opt.mode == TG_PROGRESS_LINES && p->last_printed != p->n) {
    print_line(p);
  }
}
