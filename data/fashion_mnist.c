/* torchvision.datasets.FashionMNIST over the four IDX files: the images stay
 * bytes (47 MB for the training set) until a sample is asked for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tensor/core.h"
#include "tensorgrad/vision.h"

const char *const tg_fashion_mnist_classes[10] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

typedef struct fashion_mnist {
  tg_dataset base;
  tg_idx images, labels; /* owner's, when there is one */
  tg_transform *transform;
  tg_dataset *owner; /* the FashionMNIST whose files these are, or NULL */
} fashion_mnist;

static int64_t fm_len(tg_dataset *d) {
  return ((fashion_mnist *)d)->labels.numel;
}

/* Sample i's bytes as a float32 (n, 1, 28, 28) block: the raw values. */
static void copy_images(const fashion_mnist *fm, const int64_t *indices, int64_t n,
                        float *out) {
  int64_t pixels = fm->images.dims[1] * fm->images.dims[2];
  const unsigned char *bytes = fm->images.data;
  for (int64_t k = 0; k < n; k++)
    for (int64_t p = 0; p < pixels; p++)
      out[k * pixels + p] = bytes[indices[k] * pixels + p];
}

static void fm_batch(tg_dataset *d, const int64_t *indices, int64_t n, tg_tensor **x,
                     tg_tensor **y) {
  fashion_mnist *fm = (fashion_mnist *)d;
  int64_t h = fm->images.dims[1], w = fm->images.dims[2];
  tg_scope_begin();
  tg_tensor *images = tg_empty(TG_SHAPE(n, 1, h, w), TG_FLOAT32);
  copy_images(fm, indices, n, tg_data_f32(images));
  if (fm->transform) { /* one sample at a time: the random draws go in sample order */
    tg_tensor **each = malloc(sizeof *each * (size_t)n);
    if (!each) tg_error("FashionMNIST: out of memory for a batch of %lld", (long long)n);
    for (int64_t k = 0; k < n; k++)
      each[k] = tg_transform_apply(fm->transform, tg_select(images, 0, k));
    images = tg_stack(each, (int)n, 0);
    free(each);
  }
  tg_tensor *labels = tg_empty(TG_SHAPE(n), TG_INT64);
  int64_t *l = tg_data_i64(labels);
  for (int64_t k = 0; k < n; k++)
    l[k] = ((const unsigned char *)fm->labels.data)[indices[k]];
  tg_keep(images);
  tg_keep(labels);
  tg_scope_end();
  *x = images;
  *y = labels;
}

static void fm_item(tg_dataset *d, int64_t i, tg_tensor **x, tg_tensor **y) {
  tg_scope_begin();
  tg_tensor *xs, *ys;
  fm_batch(d, &i, 1, &xs, &ys);
  *x = tg_keep(tg_select(xs, 0, 0));
  *y = tg_keep(tg_select(ys, 0, 0));
  tg_scope_end();
}

static void fm_free(tg_dataset *d) {
  fashion_mnist *fm = (fashion_mnist *)d;
  if (fm->owner) {
    tg_dataset_release(fm->owner);
  } else {
    tg_idx_free(&fm->images);
    tg_idx_free(&fm->labels);
  }
  tg_transform_free(fm->transform);
  free(fm);
}

static const tg_dataset_vtable fm_vtable = {.name = "FashionMNIST",
                                            .len = fm_len,
                                            .get_item = fm_item,
                                            .free = fm_free,
                                            .get_batch = fm_batch};

/* root/name.gz if it is there, else root/name. */
static int read_part(const char *root, const char *name, tg_idx *out) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.gz", root, name);
  if (access(path, R_OK) != 0) snprintf(path, sizeof path, "%s/%s", root, name);
  return tg_idx_read(path, out);
}

/* The shapes and types torchvision's read_sn3_pascalvincent_tensor expects. */
static int check_parts(const char *root, const fashion_mnist *fm) {
  const tg_idx *im = &fm->images, *lb = &fm->labels;
  if (im->type != TG_IDX_UBYTE || im->ndim != 3 || lb->type != TG_IDX_UBYTE ||
      lb->ndim != 1) {
    tg_set_last_error("FashionMNIST: %s: expected ubyte images (N, H, W) and ubyte "
                      "labels (N), got types 0x%02x with %d dims and 0x%02x with %d dims",
                      root, im->type, im->ndim, lb->type, lb->ndim);
    return -1;
  }
  if (im->dims[0] != lb->dims[0]) {
    tg_set_last_error("FashionMNIST: %s: %lld images but %lld labels", root,
                      (long long)im->dims[0], (long long)lb->dims[0]);
    return -1;
  }
  const unsigned char *l = lb->data;
  for (int64_t i = 0; i < lb->numel; i++)
    if (l[i] > 9) {
      tg_set_last_error("FashionMNIST: %s: label %d at byte %lld of the labels is not a "
                        "class (0 .. 9)",
                        root, l[i], (long long)(8 + i));
      return -1;
    }
  return 0;
}

int tg_fashion_mnist(const char *root, bool train, tg_transform *transform,
                     tg_dataset **out) {
  *out = NULL;
  if (!root) root = TG_FASHION_MNIST_ROOT;
  fashion_mnist *fm = calloc(1, sizeof *fm);
  if (!fm) {
    tg_transform_free(transform);
    tg_set_last_error("FashionMNIST: out of memory");
    return -1;
  }
  fm->transform = transform; /* ours from here on, even when loading fails */
  const char *split = train ? "train" : "t10k";
  char images[64], labels[64];
  snprintf(images, sizeof images, "%s-images-idx3-ubyte", split);
  snprintf(labels, sizeof labels, "%s-labels-idx1-ubyte", split);
  if (read_part(root, images, &fm->images) || read_part(root, labels, &fm->labels) ||
      check_parts(root, fm)) {
    fm_free(&fm->base);
    return -1;
  }
  tg_dataset_init(&fm->base, &fm_vtable);
  *out = &fm->base;
  return 0;
}

tg_dataset *tg_fashion_mnist_with_transform(tg_dataset *fashion,
                                            tg_transform *transform) {
  if (!fashion || fashion->vtable != &fm_vtable) {
    tg_transform_free(transform);
    tg_error("tg_fashion_mnist_with_transform: expected a FashionMNIST dataset, got %s",
             fashion ? fashion->vtable->name : "NULL");
  }
  const fashion_mnist *src = (const fashion_mnist *)fashion;
  fashion_mnist *fm = calloc(1, sizeof *fm);
  if (!fm) {
    tg_transform_free(transform);
    tg_error("tg_fashion_mnist_with_transform: out of memory");
  }
  fm->images = src->images;
  fm->labels = src->labels;
  fm->transform = transform;
  fm->owner = tg_dataset_retain(src->owner ? src->owner : fashion);
  tg_dataset_init(&fm->base, &fm_vtable);
  return &fm->base;
}
