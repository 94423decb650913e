/* tensorgrad/tensorboard.h - TensorBoard event files, like PyTorch's
 * torch.utils.tensorboard.SummaryWriter.
 *
 *   tg_summary_writer *w = tg_summary_writer_open("runs/exp1");
 *   for (int64_t step = 0; ...; step++) tg_summary_writer_add_scalar(w, "loss/train",
 * loss, step); tg_summary_writer_close(w);
 *
 * and `tensorboard --logdir runs` shows it. Each call appends one Event with
 * the real wall-clock time. Events are buffered: tg_summary_writer_flush (or
 * close) makes them visible. Every function returns 0 on success, or -1 with
 * the reason in tg_last_error() when the file system fails it or the values
 * cannot be summarised (a histogram of no or non-finite values); nothing
 * aborts on an I/O failure. The calling code's mistakes (an image whose
 * channels are not 1, 3 or 4 or whose size is not positive, a tensor image
 * of other than 2 or 3 dims, a PR curve of one threshold or with more labels
 * than predictions) go to tg_error. */
#ifndef TENSORGRAD_TENSORBOARD_H
#define TENSORGRAD_TENSORBOARD_H

#include "tensorgrad/export.h"

#include <stddef.h>
#include <stdint.h>

TG_API_BEGIN

typedef struct tg_summary_writer tg_summary_writer;

/* Opens a run directory, creating it and its parents. NULL picks PyTorch's
 * default, runs/<Mon><DD>_<HH>-<MM>-<SS>_<hostname> (local time). Returns
 * NULL with tg_last_error() set if the directory or file cannot be made. */
tg_summary_writer *tg_summary_writer_open(const char *logdir);
const char *tg_summary_writer_logdir(const tg_summary_writer *w);

int tg_summary_writer_add_scalar(tg_summary_writer *w, const char *tag, double value,
                                 int64_t step);

/* One curve per name, all on the chart `main_tag`: series i goes to its own
 * run directory <logdir>/<main_tag with '/' made '_'>_<names[i]>, tag
 * main_tag, as PyTorch's add_scalars does. */
int tg_summary_writer_add_scalars(tg_summary_writer *w, const char *main_tag,
                                  const char *const *names, const double *values,
                                  size_t n, int64_t step);

/* Histogram of n finite values over TensorBoard's default exponential
 * buckets (PyTorch's bins="tensorflow": +-1e-12 * 1.1^k up to 1e20, and 0).
 * bucket[i] counts the values in (bucket_limit[i-1], bucket_limit[i]]; empty
 * buckets at both ends are dropped but one, as PyTorch does. */
int tg_summary_writer_add_histogram(tg_summary_writer *w, const char *tag,
                                    const double *values, size_t n, int64_t step);

typedef enum { TG_IMAGE_CHW, TG_IMAGE_HWC } tg_image_layout;

/* An 8-bit image with 1 (gray), 3 (RGB) or 4 (RGBA) channels, stored
 * channel-planar (CHW, PyTorch's default) or interleaved (HWC); written as
 * a PNG. */
int tg_summary_writer_add_image(tg_summary_writer *w, const char *tag,
                                const uint8_t *pixels, int channels, int height,
                                int width, tg_image_layout layout, int64_t step);

/* Precision-recall curve of n predictions in [0, 1] against labels (1
 * positive, 0 negative; used as weights, as PyTorch does). num_thresholds <=
 * 0 means PyTorch's default 127, the cap; it must be at least 2. */
int tg_summary_writer_add_pr_curve(tg_summary_writer *w, const char *tag,
                                   const float *labels, const float *predictions,
                                   size_t n, int num_thresholds, int64_t step);

/* UTF-8 text (Markdown), shown under tag "<tag>/text_summary". */
int tg_summary_writer_add_text(tg_summary_writer *w, const char *tag, const char *text,
                               int64_t step);

/* add_hparams(hparam_dict, metric_dict, run_name=run_name): one row of the
 * HParams tab. Writes, as PyTorch does, a run of its own <logdir>/<run_name>
 * (NULL: the wall-clock time in seconds, PyTorch's default) holding the
 * hparams plugin's experiment, session start and session end records and
 * each metric as a scalar at step 0. */
typedef struct tg_hparam {
  const char *name;
  const char *text; /* a string value ("adam"), or NULL for `number` */
  double number;
} tg_hparam;
int tg_summary_writer_add_hparams(tg_summary_writer *w, const tg_hparam *hparams,
                                  size_t n_hparams, const char *const *metric_names,
                                  const double *metric_values, size_t n_metrics,
                                  const char *run_name);

/* add_graph(model, input): one forward of model on input (a floating
 * tensor), as the Graphs tab's GraphDef: a node per recorded op, named by
 * the module it ran in ("Net/fc1/linear"), a node per parameter
 * ("Net/fc1/weight") and one for the input ("input/x"), each with its
 * output shape. Grad mode is on during that forward; nothing else changes. */
struct tg_module;
struct tg_tensor;
int tg_summary_writer_add_graph(tg_summary_writer *w, struct tg_module *model,
                                struct tg_tensor *input);

/* add_figure(tag, figure): the figure rendered as an RGB image. */
struct tg_figure;
int tg_summary_writer_add_figure(tg_summary_writer *w, const char *tag,
                                 struct tg_figure *figure, int64_t step);

/* ---- the same from tensors (any shape, dtype and layout) ---- */

/* add_histogram(tag, values): every element of `values`. */
int tg_summary_writer_add_histogram_tensor(tg_summary_writer *w, const char *tag,
                                           const struct tg_tensor *values, int64_t step);
/* add_image(tag, img, dataformats): a (C, H, W) or (H, W, C) tensor, or (H, W)
 * gray; floating images are in [0, 1] and scaled by 255, integer ones are
 * 0..255, both clipped and truncated to 8 bits as PyTorch does. */
int tg_summary_writer_add_image_tensor(tg_summary_writer *w, const char *tag,
                                       const struct tg_tensor *image,
                                       tg_image_layout layout, int64_t step);
/* add_pr_curve(tag, labels, predictions): tensors of equal element count. */
int tg_summary_writer_add_pr_curve_tensor(tg_summary_writer *w, const char *tag,
                                          const struct tg_tensor *labels,
                                          const struct tg_tensor *predictions,
                                          int num_thresholds, int64_t step);

int tg_summary_writer_flush(tg_summary_writer *w);
/* Flushes, closes every file and frees w; NULL is fine. */
int tg_summary_writer_close(tg_summary_writer *w);

TG_API_END

#endif
