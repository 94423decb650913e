/* tensorboard/summary_values.h - the Summary messages PyTorch's SummaryWriter writes,
 * one Summary {value: [Value]} per call. Private to tensorboard/.
 *
 * Each function appends a complete Summary to `out` and returns 0, or -1
 * with tg_last_error set (values that cannot be summarised, out of memory).
 * The calling code's mistakes go to tg_error, checked by the two functions
 * below before anything is allocated. */
#ifndef TG_TENSORBOARD_SUMMARY_VALUES_H
#define TG_TENSORBOARD_SUMMARY_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protobuf.h"
#include "tensorgrad/tensorboard.h"

/* tg_error unless channels is 1, 3 or 4 and the size is positive (and fits). */
void tg_summary_check_image(const char *op, const char *tag, int channels, int height,
                            int width);
/* tg_error for a PR curve of 1 threshold (<= 0 means the default). */
void tg_summary_check_pr_thresholds(const char *op, const char *tag, int num_thresholds);

int tg_summary_scalar(tg_bytes *out, const char *tag, float value);
int tg_summary_histogram(tg_bytes *out, const char *tag, const double *values, size_t n);
/* pixels: height x width x channels, interleaved (HWC). */
int tg_summary_image(tg_bytes *out, const char *tag, const uint8_t *pixels, int height,
                     int width, int channels);
int tg_summary_text(tg_bytes *out, const char *tag, const char *text);
int tg_summary_pr_curve(tg_bytes *out, const char *tag, const float *labels,
                        const float *predictions, size_t n, int num_thresholds);

/* Summary.Value.metadata = SummaryMetadata {plugin_data {plugin_name,
 * content (omitted when empty)}}, appended to the Value being built in v. */
void tg_summary_put_plugin_metadata(tg_bytes *v, const char *plugin,
                                    const tg_bytes *content);

/* The hparams plugin's three Summaries (add_hparams): the experiment (the
 * hparams' names and types, the metrics' tags), the session start (the
 * values) and the session end (status success). */
struct tg_hparam;
int tg_summary_hparams(tg_bytes *experiment, tg_bytes *session_start,
                       tg_bytes *session_end, const struct tg_hparam *hparams,
                       size_t n_hparams, const char *const *metric_tags,
                       size_t n_metrics);

/* TensorBoard's default histogram edges, as PyTorch's bins="tensorflow":
 * -1e20 .. -1e-12, 0, 1e-12 .. 1e20 growing by 1.1, then DBL_MAX so every
 * finite value has a bucket. malloc'd; *n receives the count. */
double *tg_histogram_default_edges(size_t *n);

/* Misuse checks at the top of every tg_summary_writer_add_* (summary_writer.c). */
void tg_summary_check_call(const char *fn, const tg_summary_writer *w, const char *tag,
                           bool has_tag);

#endif
