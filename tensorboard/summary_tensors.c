/* SummaryWriter calls that take tensors: the values are read out in
 * logical order (any layout, any dtype) and handed to the array API. */
#include <math.h>
#include <stdlib.h>

#include "tensorgrad/tensor.h"
#include "tensorgrad/tensorboard.h"
#include "summary_values.h"

/* Every element as double, or NULL with tg_last_error set. */
static double *values_of(const char *op, const tg_tensor *t) {
  double *v = malloc(sizeof(double) * (size_t)(tg_numel(t) + 1));
  if (!v) {
    tg_set_last_error("%s: out of memory", op);
    return NULL;
  }
  tg_copy_to_f64(t, v);
  return v;
}

int tg_summary_writer_add_histogram_tensor(tg_summary_writer *w, const char *tag,
                                           const tg_tensor *values, int64_t step) {
  tg_summary_check_call("tg_summary_writer_add_histogram_tensor", w, tag, true);
  double *v = values_of("tg_summary_writer_add_histogram_tensor", values);
  if (!v) return -1;
  int status = tg_summary_writer_add_histogram(w, tag, v, (size_t)tg_numel(values), step);
  free(v);
  return status;
}

/* PyTorch's conversion: float images times 255, then clip to [0, 255] and
 * truncate to uint8. */
static uint8_t to_byte(double v, bool floating) {
  double scaled = floating ? v * 255.0 : v;
  if (!(scaled > 0)) return 0; /* also NaN */
  return scaled >= 255 ? 255 : (uint8_t)scaled;
}

int tg_summary_writer_add_image_tensor(tg_summary_writer *w, const char *tag,
                                       const tg_tensor *image, tg_image_layout layout,
                                       int64_t step) {
  tg_summary_check_call("tg_summary_writer_add_image_tensor", w, tag, true);
  const char *op = "tg_summary_writer_add_image_tensor";
  int channels, height, width;
  if (image->ndim == 2) {
    channels = 1, height = (int)image->shape[0], width = (int)image->shape[1];
    layout = TG_IMAGE_HWC;
  } else if (image->ndim == 3) {
    int c = layout == TG_IMAGE_CHW ? 0 : 2;
    channels = (int)image->shape[c];
    height = (int)image->shape[layout == TG_IMAGE_CHW ? 1 : 0];
    width = (int)image->shape[layout == TG_IMAGE_CHW ? 2 : 1];
  } else {
    tg_error("%s: %s: expected an image of 2 or 3 dims, got %d", op, tag, image->ndim);
  }
  tg_summary_check_image(op, tag, channels, height, width);
  double *v = values_of(op, image);
  uint8_t *pixels = v ? malloc((size_t)tg_numel(image) + 1) : NULL;
  if (!pixels) {
    free(v);
    if (v) tg_set_last_error("%s: out of memory", op);
    return -1;
  }
  bool floating = tg_is_floating(image->dtype);
  for (int64_t i = 0; i < tg_numel(image); i++) pixels[i] = to_byte(v[i], floating);
  int status =
      tg_summary_writer_add_image(w, tag, pixels, channels, height, width, layout, step);
  free(pixels);
  free(v);
  return status;
}

int tg_summary_writer_add_pr_curve_tensor(tg_summary_writer *w, const char *tag,
                                          const tg_tensor *labels,
                                          const tg_tensor *predictions,
                                          int num_thresholds, int64_t step) {
  tg_summary_check_call("tg_summary_writer_add_pr_curve_tensor", w, tag, true);
  const char *op = "tg_summary_writer_add_pr_curve_tensor";
  int64_t n = tg_numel(labels);
  if (tg_numel(predictions) != n)
    tg_error("%s: %s: %lld labels but %lld predictions", op, tag, (long long)n,
             (long long)tg_numel(predictions));
  tg_summary_check_pr_thresholds(op, tag, num_thresholds);
  double *l = values_of(op, labels), *p = l ? values_of(op, predictions) : NULL;
  float *lf = p ? malloc(sizeof(float) * (size_t)(n + 1)) : NULL;
  float *pf = lf ? malloc(sizeof(float) * (size_t)(n + 1)) : NULL;
  int status = -1;
  if (pf) {
    for (int64_t i = 0; i < n; i++) {
      lf[i] = (float)l[i];
      pf[i] = (float)p[i];
    }
    status =
        tg_summary_writer_add_pr_curve(w, tag, lf, pf, (size_t)n, num_thresholds, step);
  } else if (p) {
    tg_set_last_error("%s: out of memory", op);
  }
  free(l);
  free(p);
  free(lf);
  free(pf);
  return status;
}
