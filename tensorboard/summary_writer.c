/* tensorboard/summary_writer.c - tg_summary_writer: a run directory with its event
 * file, plus the per-series runs that tg_add_scalars creates. */
#include "tensorgrad/tensorboard.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "event_file.h"
#include "summary_values.h"
#include "tensorgrad/plot.h"
#include "tensorgrad/tensor.h"

#define DEFAULT_PR_THRESHOLDS 127

/* An add_scalars series: its own run directory and event file. */
typedef struct series_run {
  char *dir;
  tg_event_file *file;
} series_run;

struct tg_summary_writer {
  char *logdir;
  tg_event_file *file;
  series_run *series;
  size_t nseries, series_cap;
};

/* A malloc'd printf: NULL when out of memory. */
__attribute__((format(printf, 1, 2))) static char *format_string(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *s = n < 0 ? NULL : malloc((size_t)n + 1);
  if (s) {
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
  }
  return s;
}

/* runs/<Mon><DD>_<HH>-<MM>-<SS>_<host>, the name PyTorch gives an unnamed run
 * (English month names whatever the locale, as Python's C locale gives). */
static char *default_logdir(void) {
  static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char host[HOST_NAME_MAX + 1] = "localhost";
  if (gethostname(host, sizeof host) != 0) strcpy(host, "localhost");
  host[HOST_NAME_MAX] = '\0';
  time_t now = time(NULL);
  struct tm tm;
  if (!localtime_r(&now, &tm)) return format_string("runs/%s", host);
  return format_string("runs/%s%02d_%02d-%02d-%02d_%s", months[tm.tm_mon], tm.tm_mday,
                       tm.tm_hour, tm.tm_min, tm.tm_sec, host);
}

tg_summary_writer *tg_summary_writer_open(const char *logdir) {
  tg_summary_writer *w = calloc(1, sizeof *w);
  if (w) w->logdir = logdir ? format_string("%s", logdir) : default_logdir();
  if (!w || !w->logdir) {
    tg_set_last_error("tg_summary_writer_open: out of memory");
    free(w);
    return NULL;
  }
  w->file = tg_event_file_open(w->logdir);
  if (!w->file) {
    free(w->logdir);
    free(w);
    return NULL;
  }
  return w;
}

const char *tg_summary_writer_logdir(const tg_summary_writer *w) {
  return w->logdir;
}

/* Writes one Summary built by `build` as the next Event of `file`. */
static int write_summary(tg_event_file *file, tg_bytes *summary, int built,
                         int64_t step) {
  int status = built == 0 ? tg_event_file_write(file, summary, step) : -1;
  tg_bytes_free(summary);
  return status;
}

/* A writer whose open failed is NULL, and a tag must be a string: misuse
 * (tg_error) instead of a crash inside the encoder. */
void tg_summary_check_call(const char *fn, const tg_summary_writer *w, const char *tag,
                           bool has_tag) {
  if (!w) tg_error("%s: the writer is NULL (did tg_summary_writer_open fail?)", fn);
  if (has_tag && !tag) tg_error("%s: tag is NULL", fn);
}

int tg_summary_writer_add_scalar(tg_summary_writer *w, const char *tag, double value,
                                 int64_t step) {
  tg_summary_check_call("tg_summary_writer_add_scalar", w, tag, true);
  tg_bytes s = TG_BYTES_INIT;
  return write_summary(w->file, &s, tg_summary_scalar(&s, tag, (float)value), step);
}

/* The event file of the series run <logdir>/<main_tag>_<name>, opened on
 * first use and kept for later calls. */
static tg_event_file *series_file(tg_summary_writer *w, const char *main_tag,
                                  const char *name) {
  char *dir = format_string("%s/%s_%s", w->logdir, main_tag, name);
  if (!dir) {
    tg_set_last_error("tg_summary_writer_add_scalars: out of memory");
    return NULL;
  }
  /* '/' in the main tag would nest directories; PyTorch flattens it to '_'. */
  for (char *p = dir + strlen(w->logdir) + 1, *end = p + strlen(main_tag); p < end; p++)
    if (*p == '/') *p = '_';
  for (size_t i = 0; i < w->nseries; i++) {
    if (strcmp(w->series[i].dir, dir) == 0) {
      free(dir);
      return w->series[i].file;
    }
  }
  if (w->nseries == w->series_cap) {
    size_t cap = w->series_cap ? 2 * w->series_cap : 4;
    series_run *grown = realloc(w->series, cap * sizeof *grown);
    if (!grown) {
      free(dir);
      tg_set_last_error("tg_summary_writer_add_scalars: out of memory");
      return NULL;
    }
    w->series = grown;
    w->series_cap = cap;
  }
  tg_event_file *file = tg_event_file_open(dir);
  if (!file) {
    free(dir);
    return NULL;
  }
  w->series[w->nseries++] = (series_run){dir, file};
  return file;
}

int tg_summary_writer_add_scalars(tg_summary_writer *w, const char *main_tag,
                                  const char *const *names, const double *values,
                                  size_t n, int64_t step) {
  tg_summary_check_call("tg_summary_writer_add_scalars", w, main_tag, true);
  for (size_t i = 0; i < n; i++) {
    tg_event_file *file = series_file(w, main_tag, names[i]);
    if (!file) return -1;
    tg_bytes s = TG_BYTES_INIT;
    if (write_summary(file, &s, tg_summary_scalar(&s, main_tag, (float)values[i]), step))
      return -1;
  }
  return 0;
}

int tg_summary_writer_add_histogram(tg_summary_writer *w, const char *tag,
                                    const double *values, size_t n, int64_t step) {
  tg_summary_check_call("tg_summary_writer_add_histogram", w, tag, true);
  tg_bytes s = TG_BYTES_INIT;
  return write_summary(w->file, &s, tg_summary_histogram(&s, tag, values, n), step);
}

int tg_summary_writer_add_image(tg_summary_writer *w, const char *tag,
                                const uint8_t *pixels, int channels, int height,
                                int width, tg_image_layout layout, int64_t step) {
  tg_summary_check_call("tg_summary_writer_add_image", w, tag, true);
  tg_summary_check_image("tg_summary_writer_add_image", tag, channels, height, width);
  size_t plane = (size_t)height * (size_t)width;
  uint8_t *hwc = (uint8_t *)pixels;
  if (layout == TG_IMAGE_CHW && channels > 1) {
    hwc = malloc(plane * (size_t)channels);
    if (!hwc) {
      tg_set_last_error("tg_summary_writer_add_image: tag \"%s\": out of memory", tag);
      return -1;
    }
    for (size_t p = 0; p < plane; p++)
      for (int c = 0; c < channels; c++) hwc[p * channels + c] = pixels[c * plane + p];
  }
  tg_bytes s = TG_BYTES_INIT;
  int built = tg_summary_image(&s, tag, hwc, height, width, channels);
  if (hwc != pixels) free(hwc);
  return write_summary(w->file, &s, built, step);
}

int tg_summary_writer_add_pr_curve(tg_summary_writer *w, const char *tag,
                                   const float *labels, const float *predictions,
                                   size_t n, int num_thresholds, int64_t step) {
  tg_summary_check_call("tg_summary_writer_add_pr_curve", w, tag, true);
  tg_summary_check_pr_thresholds("tg_summary_writer_add_pr_curve", tag, num_thresholds);
  if (num_thresholds <= 0) num_thresholds = DEFAULT_PR_THRESHOLDS;
  tg_bytes s = TG_BYTES_INIT;
  int built = tg_summary_pr_curve(&s, tag, labels, predictions, n, num_thresholds);
  return write_summary(w->file, &s, built, step);
}

int tg_summary_writer_add_text(tg_summary_writer *w, const char *tag, const char *text,
                               int64_t step) {
  tg_summary_check_call("tg_summary_writer_add_text", w, tag, true);
  tg_bytes s = TG_BYTES_INIT;
  return write_summary(w->file, &s, tg_summary_text(&s, tag, text), step);
}

/* The experiment, session start and end, then the metrics, in this order:
 * the plugin reads the metrics' tags from the experiment. */
static int write_hparams_run(tg_event_file *file, const tg_hparam *hparams,
                             size_t n_hparams, const char *const *metric_names,
                             const double *metric_values, size_t n_metrics) {
  tg_bytes records[3] = {TG_BYTES_INIT, TG_BYTES_INIT, TG_BYTES_INIT};
  int status = tg_summary_hparams(&records[0], &records[1], &records[2], hparams,
                                  n_hparams, metric_names, n_metrics);
  for (int i = 0; i < 3; i++) {
    if (status == 0) status = tg_event_file_write(file, &records[i], 0);
    tg_bytes_free(&records[i]);
  }
  for (size_t i = 0; i < n_metrics && status == 0; i++) {
    tg_bytes s = TG_BYTES_INIT;
    status = write_summary(
        file, &s, tg_summary_scalar(&s, metric_names[i], (float)metric_values[i]), 0);
  }
  return status;
}

int tg_summary_writer_add_hparams(tg_summary_writer *w, const tg_hparam *hparams,
                                  size_t n_hparams, const char *const *metric_names,
                                  const double *metric_values, size_t n_metrics,
                                  const char *run_name) {
  tg_summary_check_call("tg_summary_writer_add_hparams", w, NULL, false);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  char *dir = run_name ? format_string("%s/%s", w->logdir, run_name)
                       : format_string("%s/%.7f", w->logdir,
                                       (double)now.tv_sec + now.tv_nsec * 1e-9);
  if (!dir) {
    tg_set_last_error("tg_summary_writer_add_hparams: out of memory");
    return -1;
  }
  tg_event_file *file = tg_event_file_open(dir);
  free(dir);
  if (!file) return -1;
  int status =
      write_hparams_run(file, hparams, n_hparams, metric_names, metric_values, n_metrics);
  if (tg_event_file_close(file) != 0) status = -1;
  return status;
}

int tg_summary_writer_add_figure(tg_summary_writer *w, const char *tag, tg_figure *figure,
                                 int64_t step) {
  tg_summary_check_call("tg_summary_writer_add_figure", w, tag, true);
  uint8_t *rgb;
  int width, height;
  if (tg_figure_render(figure, &rgb, &width, &height) != 0) return -1;
  int status =
      tg_summary_writer_add_image(w, tag, rgb, 3, height, width, TG_IMAGE_HWC, step);
  free(rgb);
  return status;
}

int tg_summary_writer_add_graph(tg_summary_writer *w, struct tg_module *model,
                                struct tg_tensor *input) {
  tg_summary_check_call("tg_summary_writer_add_graph", w, NULL, false);
  return tg_event_file_write_module_graph(w->file, model, input);
}

int tg_summary_writer_flush(tg_summary_writer *w) {
  tg_summary_check_call("tg_summary_writer_flush", w, NULL, false);
  int status = tg_event_file_flush(w->file);
  for (size_t i = 0; i < w->nseries; i++)
    if (tg_event_file_flush(w->series[i].file) != 0) status = -1;
  return status;
}

int tg_summary_writer_close(tg_summary_writer *w) {
  if (!w) return 0;
  int status = tg_event_file_close(w->file);
  for (size_t i = 0; i < w->nseries; i++) {
    if (tg_event_file_close(w->series[i].file) != 0) status = -1;
    free(w->series[i].dir);
  }
  free(w->series);
  free(w->logdir);
  free(w);
  return status;
}
