/* tensorboard/summary_values.c - Summary messages for scalars, histograms, images,
 * text and PR curves, field for field as PyTorch 1.13's
 * torch.utils.tensorboard.summary builds them (so the bytes match), with
 * proto3's rule that scalar fields at their default are not written. */
#include "summary_values.h"

#include <float.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tensorgrad/png.h"
#include "tensorgrad/tensor.h"

enum { SUMMARY_VALUE = 1 };
enum {
  VALUE_TAG = 1,
  VALUE_SIMPLE = 2,
  VALUE_IMAGE = 4,
  VALUE_HISTO = 5,
  VALUE_TENSOR = 8,
  VALUE_METADATA = 9
};
enum { IMAGE_HEIGHT = 1, IMAGE_WIDTH = 2, IMAGE_COLORSPACE = 3, IMAGE_ENCODED = 4 };
enum {
  HISTO_MIN = 1,
  HISTO_MAX = 2,
  HISTO_NUM = 3,
  HISTO_SUM = 4,
  HISTO_SUM_SQUARES = 5,
  HISTO_BUCKET_LIMIT = 6,
  HISTO_BUCKET = 7
};
enum { METADATA_PLUGIN_DATA = 1, PLUGIN_NAME = 1, PLUGIN_CONTENT = 2 };
enum { TENSOR_DTYPE = 1, TENSOR_SHAPE = 2, TENSOR_FLOAT_VAL = 5, TENSOR_STRING_VAL = 8 };
enum { SHAPE_DIM = 2, DIM_SIZE = 1 };
enum { DT_FLOAT = 1, DT_STRING = 7 };
enum { PR_NUM_THRESHOLDS = 2 };

#define PR_MAX_THRESHOLDS 127 /* PyTorch caps num_thresholds here */
#define PR_MIN_COUNT 1e-7     /* keeps precision and recall finite at 0/0 */

static int out_of_memory(const char *what, const char *tag) {
  tg_set_last_error("%s: tag \"%s\": out of memory", what, tag);
  return -1;
}

/* Wraps one built Summary.Value (already holding its tag) into a Summary. */
static int finish(tg_bytes *out, tg_bytes *value, const char *what, const char *tag) {
  tg_pb_put_message(out, SUMMARY_VALUE, value);
  tg_bytes_free(value);
  return out->failed ? out_of_memory(what, tag) : 0;
}

int tg_summary_scalar(tg_bytes *out, const char *tag, float value) {
  tg_bytes v = TG_BYTES_INIT;
  tg_pb_put_string(&v, VALUE_TAG, tag);
  tg_pb_put_float(&v, VALUE_SIMPLE, value); /* in a oneof: written even when 0 */
  return finish(out, &v, "tg_summary_writer_add_scalar", tag);
}

/* ---- histogram ----------------------------------------------------------------- */

double *tg_histogram_default_edges(size_t *n) {
  size_t positives = 0;
  for (double v = 1e-12; v < 1e20; v *= 1.1) positives++;
  size_t count = 2 * positives + 2;
  double *edges = malloc(count * sizeof *edges);
  if (!edges) return NULL;
  size_t i = 0;
  /* Repeated multiplication, not pow, so the edges equal PyTorch's bit for bit. */
  for (double v = 1e-12; v < 1e20; v *= 1.1, i++) {
    edges[positives - 1 - i] = -v;
    edges[positives + 1 + i] = v;
  }
  edges[positives] = 0.0;
  edges[count - 1] = DBL_MAX;
  *n = count;
  return edges;
}

/* Index of the bucket (edges[i-1], edges[i]] holding v: the first edge >= v. */
static size_t bucket_of(const double *edges, size_t n, double v) {
  size_t lo = 0, hi = n - 1;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (edges[mid] >= v)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

static void put_histogram(tg_bytes *h, const double *values, size_t n,
                          const double *edges, double *counts, size_t nedges) {
  double lo = values[0], hi = values[0], sum = 0, sum_sq = 0;
  for (size_t i = 0; i < n; i++) {
    lo = fmin(lo, values[i]);
    hi = fmax(hi, values[i]);
    sum += values[i];
    sum_sq += values[i] * values[i];
    counts[bucket_of(edges, nedges, values[i])] += 1;
  }
  /* Keep the buckets from the first to the last non-empty one, plus one
   * empty bucket on the left so the leftmost limit shows, as PyTorch does. */
  size_t first = 0, last = nedges - 1;
  while (counts[first] == 0) first++;
  while (counts[last] == 0) last--;
  if (first > 0) first--;
  if (lo != 0) tg_pb_put_double(h, HISTO_MIN, lo);
  if (hi != 0) tg_pb_put_double(h, HISTO_MAX, hi);
  tg_pb_put_double(h, HISTO_NUM, (double)n);
  if (sum != 0) tg_pb_put_double(h, HISTO_SUM, sum);
  if (sum_sq != 0) tg_pb_put_double(h, HISTO_SUM_SQUARES, sum_sq);
  tg_pb_put_packed_double(h, HISTO_BUCKET_LIMIT, edges + first, last - first + 1);
  tg_pb_put_packed_double(h, HISTO_BUCKET, counts + first, last - first + 1);
}

int tg_summary_histogram(tg_bytes *out, const char *tag, const double *values, size_t n) {
  if (n == 0) {
    tg_set_last_error("tg_summary_writer_add_histogram: tag \"%s\": no values", tag);
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(values[i])) {
      tg_set_last_error("tg_summary_writer_add_histogram: tag \"%s\": value %zu is %g",
                        tag, i, values[i]);
      return -1;
    }
  }
  size_t nedges = 0;
  double *edges = tg_histogram_default_edges(&nedges);
  double *counts = edges ? calloc(nedges, sizeof *counts) : NULL;
  if (!counts) {
    free(edges);
    return out_of_memory("tg_summary_writer_add_histogram", tag);
  }
  tg_bytes h = TG_BYTES_INIT, v = TG_BYTES_INIT;
  put_histogram(&h, values, n, edges, counts, nedges);
  free(edges);
  free(counts);
  tg_pb_put_string(&v, VALUE_TAG, tag);
  tg_pb_put_message(&v, VALUE_HISTO, &h);
  tg_bytes_free(&h);
  return finish(out, &v, "tg_summary_writer_add_histogram", tag);
}

/* ---- image ---------------------------------------------------------------------- */

void tg_summary_check_image(const char *op, const char *tag, int channels, int height,
                            int width) {
  if (channels != 1 && channels != 3 && channels != 4)
    tg_error("%s: tag \"%s\": channels must be 1, 3 or 4, got %d", op, tag, channels);
  if (height <= 0 || width <= 0 || (size_t)height > SIZE_MAX / (size_t)width / 4)
    tg_error("%s: tag \"%s\": bad size %dx%d", op, tag, height, width);
}

int tg_summary_image(tg_bytes *out, const char *tag, const uint8_t *pixels, int height,
                     int width, int channels) {
  uint8_t *png = NULL;
  size_t png_len = 0;
  if (tg_png_encode(pixels, width, height, channels, &png, &png_len) != 0) {
    char reason[512];
    snprintf(reason, sizeof reason, "%s", tg_last_error());
    tg_set_last_error("tg_summary_writer_add_image: tag \"%s\": %s", tag, reason);
    return -1;
  }
  tg_bytes img = TG_BYTES_INIT, v = TG_BYTES_INIT;
  tg_pb_put_varint(&img, IMAGE_HEIGHT, (uint64_t)height);
  tg_pb_put_varint(&img, IMAGE_WIDTH, (uint64_t)width);
  tg_pb_put_varint(&img, IMAGE_COLORSPACE, (uint64_t)channels);
  tg_pb_put_bytes(&img, IMAGE_ENCODED, png, png_len);
  free(png);
  tg_pb_put_string(&v, VALUE_TAG, tag);
  tg_pb_put_message(&v, VALUE_IMAGE, &img);
  tg_bytes_free(&img);
  return finish(out, &v, "tg_summary_writer_add_image", tag);
}

/* ---- plugin tensors: text and PR curves ---------------------------------------- */

void tg_summary_put_plugin_metadata(tg_bytes *v, const char *plugin,
                                    const tg_bytes *content) {
  tg_bytes data = TG_BYTES_INIT, meta = TG_BYTES_INIT;
  tg_pb_put_string(&data, PLUGIN_NAME, plugin);
  if (content->len) tg_pb_put_message(&data, PLUGIN_CONTENT, content);
  if (content->failed) data.failed = true;
  tg_pb_put_message(&meta, METADATA_PLUGIN_DATA, &data);
  tg_pb_put_message(v, VALUE_METADATA, &meta);
  tg_bytes_free(&data);
  tg_bytes_free(&meta);
}

static void put_shape(tg_bytes *tensor, const int64_t *dims, int ndim) {
  tg_bytes shape = TG_BYTES_INIT;
  for (int i = 0; i < ndim; i++) {
    tg_bytes dim = TG_BYTES_INIT;
    if (dims[i] != 0) tg_pb_put_varint(&dim, DIM_SIZE, (uint64_t)dims[i]);
    tg_pb_put_message(&shape, SHAPE_DIM, &dim);
    tg_bytes_free(&dim);
  }
  tg_pb_put_message(tensor, TENSOR_SHAPE, &shape);
  tg_bytes_free(&shape);
}

int tg_summary_text(tg_bytes *out, const char *tag, const char *text) {
  size_t tag_len = strlen(tag);
  char *full_tag = malloc(tag_len + sizeof "/text_summary");
  if (!full_tag) return out_of_memory("tg_summary_writer_add_text", tag);
  memcpy(full_tag, tag, tag_len);
  memcpy(full_tag + tag_len, "/text_summary", sizeof "/text_summary");
  tg_bytes v = TG_BYTES_INIT, tensor = TG_BYTES_INIT, no_content = TG_BYTES_INIT;
  tg_pb_put_string(&v, VALUE_TAG, full_tag);
  free(full_tag);
  tg_pb_put_varint(&tensor, TENSOR_DTYPE, DT_STRING);
  put_shape(&tensor, (const int64_t[]){1}, 1);
  tg_pb_put_string(&tensor, TENSOR_STRING_VAL, text);
  tg_pb_put_message(&v, VALUE_TENSOR, &tensor);
  tg_bytes_free(&tensor);
  tg_summary_put_plugin_metadata(&v, "text", &no_content);
  return finish(out, &v, "tg_summary_writer_add_text", tag);
}

/* Fills rows TP, FP, TN, FN, precision, recall (6 x n, row-major) from
 * per-threshold-bucket weights of positives and negatives. */
static void pr_rows(float *rows, const double *pos, const double *neg, int n) {
  /* Reverse cumulative sums: everything at or above threshold i counts as
   * predicted positive. Always summed from the top, the order numpy's
   * cumsum uses, so totals round exactly as PyTorch's tp[0] and fp[0]. */
  double tp_total = 0, fp_total = 0;
  for (int i = n - 1; i >= 0; i--) tp_total += pos[i], fp_total += neg[i];
  double tp = 0, fp = 0;
  for (int i = n - 1; i >= 0; i--) {
    tp += pos[i];
    fp += neg[i];
    double tn = fp_total - fp, fn = tp_total - tp;
    rows[0 * n + i] = (float)tp;
    rows[1 * n + i] = (float)fp;
    rows[2 * n + i] = (float)tn;
    rows[3 * n + i] = (float)fn;
    rows[4 * n + i] = (float)(tp / fmax(PR_MIN_COUNT, tp + fp));
    rows[5 * n + i] = (float)(tp / fmax(PR_MIN_COUNT, tp + fn));
  }
}

void tg_summary_check_pr_thresholds(const char *op, const char *tag, int num_thresholds) {
  if (num_thresholds == 1)
    tg_error("%s: tag \"%s\": num_thresholds must be >= 2, got 1", op, tag);
}

int tg_summary_pr_curve(tg_bytes *out, const char *tag, const float *labels,
                        const float *predictions, size_t count, int num_thresholds) {
  if (num_thresholds < 2)
    tg_error("tg_summary_writer_add_pr_curve: tag \"%s\": num_thresholds must be >= 2, "
             "got %d",
             tag, num_thresholds);
  int n = num_thresholds > PR_MAX_THRESHOLDS ? PR_MAX_THRESHOLDS : num_thresholds;
  double *pos = calloc((size_t)n * 2, sizeof *pos);
  float *rows = malloc((size_t)n * 6 * sizeof *rows);
  if (!pos || !rows) {
    free(pos);
    free(rows);
    return out_of_memory("tg_summary_writer_add_pr_curve", tag);
  }
  double *neg = pos + n;
  for (size_t i = 0; i < count; i++) {
    /* float arithmetic and floor, as numpy does on a float32 array; a
     * prediction outside [0, 1] falls outside every bucket and is dropped. */
    float bucket = floorf(predictions[i] * (float)(n - 1));
    if (!(bucket >= 0 && bucket <= (float)(n - 1))) continue;
    pos[(int)bucket] += labels[i];
    neg[(int)bucket] += 1.0 - labels[i];
  }
  pr_rows(rows, pos, neg, n);
  free(pos);

  tg_bytes v = TG_BYTES_INIT, tensor = TG_BYTES_INIT, content = TG_BYTES_INIT;
  tg_pb_put_string(&v, VALUE_TAG, tag);
  tg_pb_put_varint(&tensor, TENSOR_DTYPE, DT_FLOAT);
  put_shape(&tensor, (const int64_t[]){6, n}, 2);
  tg_pb_put_packed_float(&tensor, TENSOR_FLOAT_VAL, rows, (size_t)n * 6);
  free(rows);
  tg_pb_put_message(&v, VALUE_TENSOR, &tensor);
  tg_bytes_free(&tensor);
  /* PrCurvePluginData {version 0 (a default, so not written), num_thresholds} */
  tg_pb_put_varint(&content, PR_NUM_THRESHOLDS, (uint64_t)n);
  tg_summary_put_plugin_metadata(&v, "pr_curves", &content);
  tg_bytes_free(&content);
  return finish(out, &v, "tg_summary_writer_add_pr_curve", tag);
}
