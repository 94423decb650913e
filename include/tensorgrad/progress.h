/* tensorgrad/progress.h - a progress bar for training loops, like tqdm.
 *
 *   tg_progress bar;
 *   tg_progress_begin(&bar, epochs * batches, &(tg_progress_options){.desc = "train"});
 *   for (...each batch...) {
 *     ...
 *     tg_progress_set_postfix(&bar, "loss=%.4f", loss);
 *     tg_progress_update(&bar, 1);
 *   }
 *   tg_progress_end(&bar);
 *
 * On a terminal the bar is redrawn in place (at most every 0.1 s):
 *
 *   train  45%|#########           | 3600/8000 [00:02<00:03, 1523.41it/s, loss=0.3121]
 *
 * When the stream is not a terminal (a log file, a pipe, CI) carriage returns
 * would pile up into one huge line, so the bar turns into occasional plain
 * lines instead: one each time another 10% is done or `interval` seconds have
 * passed, and a final one, all without the bar graphic:
 *
 *   train  50% 4000/8000 [00:02<00:02, 1601.10it/s, loss=0.3121]
 *
 * Without a total (total <= 0) the bar shows the count, elapsed time and rate.
 * Text printed while a bar is live goes through tg_progress_write (tqdm.write),
 * which lifts the bar out of the way and draws it again below the text.
 *
 * The bar is a plain struct the caller declares: nothing to allocate, nothing
 * that can fail. Output errors on the stream are ignored, as tqdm ignores
 * them: a progress bar must never stop training.
 */
#ifndef TENSORGRAD_PROGRESS_H
#define TENSORGRAD_PROGRESS_H

#include "tensorgrad/export.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

TG_API_BEGIN

typedef enum {
  TG_PROGRESS_AUTO = 0, /* TTY when the stream is a terminal, LINES otherwise */
  TG_PROGRESS_TTY,      /* redraw in place with '\r' */
  TG_PROGRESS_LINES,    /* occasional plain lines */
  TG_PROGRESS_OFF       /* print nothing */
} tg_progress_mode;

/* Zero means default for every field, so NULL options are fine too. */
typedef struct tg_progress_options {
  const char *desc;      /* text before the bar, e.g. "train" (default none) */
  const char *unit;      /* "it" */
  FILE *stream;          /* stderr */
  tg_progress_mode mode; /* AUTO */
  int64_t initial;       /* count to start from (resuming); the rate counts from it */
  double interval;       /* LINES: seconds between time-driven lines (10) */
  int columns;           /* TTY line width; 0: the terminal's, or 80 */
  /* Seconds from any fixed origin (tests inject a fake one); NULL: the
   * monotonic clock. */
  double (*clock)(void);
} tg_progress_options;

/* The state of one bar. Fields are private; declare it and pass its address. */
typedef struct tg_progress {
  tg_progress_options opt;
  int64_t total, n;
  double start, last_draw;
  int64_t last_decile;  /* LINES: the last 10% step printed */
  int64_t last_printed; /* LINES: count shown by the last line (-1: none) */
  bool drawn;           /* TTY: a bar is on screen */
  char postfix[256];
} tg_progress;

/* Starts a bar over `total` steps (<= 0: unknown) and draws it once (TTY). */
void tg_progress_begin(tg_progress *p, int64_t total, const tg_progress_options *opt);
/* Advances by n steps and redraws when due. */
void tg_progress_update(tg_progress *p, int64_t n);
/* printf-style text shown after the rate, e.g. "loss=%.4f acc=%.3f"
 * (tqdm's set_postfix); shown by the next redraw. Longer than 255 bytes is cut. */
void tg_progress_set_postfix(tg_progress *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* printf-style text (a whole line: add the '\n') to `out`, e.g. stdout, without
 * tearing the bar: on a terminal the bar is cleared first and redrawn after. */
void tg_progress_write(tg_progress *p, FILE *out, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Draws the final state (TTY: and ends its line; LINES: the last line unless
 * it is already out). The struct may be reused with tg_progress_begin. */
void tg_progress_end(tg_progress *p);

/* The text the bar would show now, without the '\r' or '\n' (for tests and
 * custom displays); `bar` false leaves out the |###   | graphic. */
void tg_progress_format(const tg_progress *p, bool bar, char *buf, size_t size);

TG_API_END
#endif
