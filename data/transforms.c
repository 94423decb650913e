/* torchvision.transforms on float32 (C, H, W) images: each transform is a
 * function and its settings; Compose runs a list of them. The random ones
 * draw from the global generator in torchvision 0.14's order. */
#include <stdlib.h>
#include <string.h>

#include "tensor/core.h"
#include "tensorgrad/vision.h"

struct tg_transform {
  const char *name;
  /* The transformed image, a new contiguous float32 tensor. */
  tg_tensor *(*apply)(const tg_transform *t, tg_tensor *image);
  double p;                /* RandomHorizontalFlip */
  int64_t height, width;   /* RandomCrop */
  int64_t padding;         /* RandomCrop */
  double *mean, *std;      /* Normalize, n_channels each */
  int n_channels;          /* Normalize */
  tg_transform **children; /* Compose */
  int n_children;
};

static tg_transform *
transform_new(const char *name, tg_tensor *(*apply)(const tg_transform *, tg_tensor *)) {
  tg_transform *t = calloc(1, sizeof *t);
  if (!t) tg_error("%s: out of memory", name);
  t->name = name;
  t->apply = apply;
  return t;
}

/* The image as a contiguous float32 (C, H, W) copy the transform may write. */
static tg_tensor *float_copy(const tg_transform *t, tg_tensor *image) {
  if (image->ndim != 3) {
    char s[TG_SHAPE_STR_MAX];
    tg_error("%s: expected a (C, H, W) image, got shape %s", t->name,
             tg_shape_str(tg_shape_of(image), s));
  }
  tg_tensor *out = tg_empty(tg_shape_of(image), TG_FLOAT32);
  tg_copy_(out, image);
  return out;
}

/* ---- ToTensor ---- */

static tg_tensor *to_tensor_apply(const tg_transform *t, tg_tensor *image) {
  tg_tensor *out = float_copy(t, image);
  float *x = tg_data_f32(out);
  for (int64_t i = 0, n = tg_numel(out); i < n; i++) x[i] = x[i] / 255.0f;
  return out;
}

tg_transform *tg_to_tensor(void) {
  return transform_new("ToTensor", to_tensor_apply);
}

/* ---- Normalize ---- */

static tg_tensor *normalize_apply(const tg_transform *t, tg_tensor *image) {
  tg_tensor *out = float_copy(t, image);
  int64_t channels = tg_size(out, 0), plane = tg_size(out, 1) * tg_size(out, 2);
  if (channels != t->n_channels)
    tg_error("Normalize: the image has %lld channels, mean and std have %d",
             (long long)channels, t->n_channels);
  float *x = tg_data_f32(out);
  for (int64_t c = 0; c < channels; c++) {
    /* tensor.sub_(mean).div_(std) with mean and std as float32 tensors */
    float mean = (float)t->mean[c], std = (float)t->std[c];
    for (int64_t i = 0; i < plane; i++)
      x[c * plane + i] = (x[c * plane + i] - mean) / std;
  }
  return out;
}

tg_transform *tg_normalize_image(const double *mean, const double *std, int n_channels) {
  if (n_channels < 1 || !mean || !std)
    tg_error("tg_normalize_image: needs mean and std for at least one channel, got %d",
             n_channels);
  for (int c = 0; c < n_channels; c++)
    if (std[c] == 0)
      tg_error(
          "tg_normalize_image: std evaluated to zero for channel %d, leading to division "
          "by zero",
          c);
  tg_transform *t = transform_new("Normalize", normalize_apply);
  t->mean = malloc(sizeof(double) * (size_t)n_channels);
  t->std = malloc(sizeof(double) * (size_t)n_channels);
  if (!t->mean || !t->std) {
    tg_transform_free(t);
    tg_error("tg_normalize_image: out of memory");
  }
  memcpy(t->mean, mean, sizeof(double) * (size_t)n_channels);
  memcpy(t->std, std, sizeof(double) * (size_t)n_channels);
  t->n_channels = n_channels;
  return t;
}

/* ---- RandomHorizontalFlip ---- */

/* One torch.rand(1) draw in float32, compared as PyTorch compares it. */
static bool coin(double p) {
  tg_scope_begin();
  float u = (float)tg_item(tg_rand(TG_SHAPE(1), TG_FLOAT32));
  tg_scope_end();
  return u < (float)p;
}

static tg_tensor *flip_apply(const tg_transform *t, tg_tensor *image) {
  tg_tensor *out = float_copy(t, image);
  if (!coin(t->p)) return out;
  float *x = tg_data_f32(out);
  int64_t rows = tg_size(out, 0) * tg_size(out, 1), w = tg_size(out, 2);
  for (int64_t r = 0; r < rows; r++)
    for (int64_t a = 0, b = w - 1; a < b; a++, b--) {
      float s = x[r * w + a];
      x[r * w + a] = x[r * w + b];
      x[r * w + b] = s;
    }
  return out;
}

tg_transform *tg_random_horizontal_flip(double p) {
  if (!(p >= 0 && p <= 1))
    tg_error("tg_random_horizontal_flip: p must be between 0 and 1, got %g", p);
  tg_transform *t = transform_new("RandomHorizontalFlip", flip_apply);
  t->p = p;
  return t;
}

/* ---- RandomCrop ---- */

/* torch.randint(0, n, (1,)).item() */
static int64_t draw_below(int64_t n) {
  tg_scope_begin();
  int64_t v = (int64_t)tg_item(tg_randint(0, n, TG_SHAPE(1)));
  tg_scope_end();
  return v;
}

static tg_tensor *crop_apply(const tg_transform *t, tg_tensor *image) {
  tg_scope_begin();
  tg_tensor *in = float_copy(t, image);
  int64_t c = tg_size(in, 0), h = tg_size(in, 1), w = tg_size(in, 2), pad = t->padding;
  int64_t ph = h + 2 * pad, pw = w + 2 * pad, th = t->height, tw = t->width;
  if (ph < th || pw < tw)
    tg_error("RandomCrop: required crop size (%lld, %lld) is larger than the padded "
             "image (%lld, %lld)",
             (long long)th, (long long)tw, (long long)ph, (long long)pw);
  int64_t top = 0, left = 0;
  if (ph != th || pw != tw) { /* torchvision draws nothing for a full-size crop */
    top = draw_below(ph - th + 1);
    left = draw_below(pw - tw + 1);
  }
  tg_tensor *out = tg_zeros(TG_SHAPE(c, th, tw), TG_FLOAT32);
  const float *x = tg_data_f32(in);
  float *y = tg_data_f32(out);
  for (int64_t k = 0; k < c; k++)
    for (int64_t i = 0; i < th; i++) {
      int64_t src_row = top + i - pad; /* in the unpadded image */
      if (src_row < 0 || src_row >= h) continue;
      for (int64_t j = 0; j < tw; j++) {
        int64_t src_col = left + j - pad;
        if (src_col >= 0 && src_col < w)
          y[(k * th + i) * tw + j] = x[(k * h + src_row) * w + src_col];
      }
    }
  return tg_scope_return(out);
}

tg_transform *tg_random_crop(int64_t height, int64_t width, int64_t padding) {
  if (height < 1 || width < 1 || padding < 0)
    tg_error("tg_random_crop: size must be positive and padding >= 0, got (%lld, %lld) "
             "and %lld",
             (long long)height, (long long)width, (long long)padding);
  tg_transform *t = transform_new("RandomCrop", crop_apply);
  t->height = height;
  t->width = width;
  t->padding = padding;
  return t;
}

/* ---- Compose ---- */

static tg_tensor *compose_apply(const tg_transform *t, tg_tensor *image) {
  tg_scope_begin();
  tg_tensor *x = float_copy(t, image);
  for (int i = 0; i < t->n_children; i++) x = tg_transform_apply(t->children[i], x);
  return tg_scope_return(x);
}

tg_transform *tg_compose(tg_transform *const *ts, int n) {
  if (n < 0 || (n > 0 && !ts)) tg_error("tg_compose: transforms is NULL with n = %d", n);
  for (int i = 0; i < n; i++)
    if (!ts[i]) tg_error("tg_compose: transform %d is NULL", i);
  tg_transform *t = transform_new("Compose", compose_apply);
  t->children = malloc(sizeof *t->children * (size_t)(n ? n : 1));
  if (!t->children) {
    tg_transform_free(t);
    tg_error("tg_compose: out of memory");
  }
  if (n) memcpy(t->children, ts, sizeof *t->children * (size_t)n);
  t->n_children = n;
  return t;
}

tg_tensor *tg_transform_apply(tg_transform *t, tg_tensor *image) {
  if (!t || !image) tg_error("tg_transform_apply: the transform or the image is NULL");
  return t->apply(t, image);
}

void tg_transform_free(tg_transform *t) {
  if (!t) return;
  for (int i = 0; i < t->n_children; i++) tg_transform_free(t->children[i]);
  free(t->children);
  free(t->mean);
  free(t->std);
  free(t);
}
