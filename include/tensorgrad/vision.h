/* tensorgrad/vision.h - what torchvision gives an image classifier: IDX
 * files, the Fashion-MNIST data set, and transforms.
 *
 *   tg_transform *t = tg_compose((tg_transform *[]){
 *       tg_random_horizontal_flip(0.5), tg_random_crop(28, 28, 2), tg_to_tensor(),
 *       tg_normalize_image((double[]){0.2860}, (double[]){0.3530}, 1)}, 4);
 *   tg_dataset *train;
 *   if (tg_fashion_mnist(NULL, true, t, &train)) { ... tg_last_error() ... }
 *
 * Images travel through the transforms as float32 (C, H, W) tensors. Before
 * tg_to_tensor they hold the raw byte values 0 .. 255 (torchvision has a PIL
 * image there); tg_to_tensor divides by 255 as ToTensor does.
 *
 * The random transforms draw from the global generator exactly as
 * torchvision 0.14 does (RandomHorizontalFlip: torch.rand(1) < p;
 * RandomCrop: torch.randint for the row, then for the column), so the same
 * seed gives a C program and a Python script the same augmented batches.
 *
 * Files are outside-world input: a missing file, bad magic, a truncated file
 * or a size that does not match the header return -1 with tg_last_error()
 * naming the file and the byte offset. Misuse (a NULL transform, a crop
 * larger than the padded image) goes through tg_error.
 */
#ifndef TENSORGRAD_VISION_H
#define TENSORGRAD_VISION_H

#include "tensorgrad/data.h"
#include "tensorgrad/tensor.h"

TG_API_BEGIN

/* ---- IDX files (gzip or not) --------------------------------------------------- */

typedef enum {
  TG_IDX_UBYTE = 0x08,
  TG_IDX_BYTE = 0x09,
  TG_IDX_SHORT = 0x0B,
  TG_IDX_INT = 0x0C,
  TG_IDX_FLOAT = 0x0D,
  TG_IDX_DOUBLE = 0x0E
} tg_idx_type;

typedef struct tg_idx {
  tg_idx_type type;
  int ndim;
  int64_t dims[TG_MAX_DIMS];
  int64_t numel;
  void *data;   /* numel elements of the type, in host byte order */
  void *buffer; /* what tg_idx_free frees (data points into it) */
} tg_idx;

/* Reads a whole IDX file (at most 2 GiB once inflated); 0, or -1 with
 * tg_last_error(). */
int tg_idx_read(const char *path, tg_idx *out);
void tg_idx_free(tg_idx *idx); /* NULL or a zeroed tg_idx is fine */
/* The elements as a tensor of idx's shape, converted to dtype (floating
 * data to float32 or float64 only). */
tg_tensor *tg_idx_tensor(const tg_idx *idx, tg_dtype dtype);

/* ---- transforms (torchvision.transforms) --------------------------------------- */

typedef struct tg_transform tg_transform;

/* ToTensor: the raw 0 .. 255 values divided by 255 (in float32). */
tg_transform *tg_to_tensor(void);
/* Normalize(mean, std): channel c becomes (x - mean[c]) / std[c], in
 * float32; n_channels values each (copied). */
tg_transform *tg_normalize_image(const double *mean, const double *std, int n_channels);
/* RandomHorizontalFlip(p): mirrors the columns when torch.rand(1) < p. */
tg_transform *tg_random_horizontal_flip(double p);
/* RandomCrop((height, width), padding): pads every side with `padding`
 * zeros, then cuts a height x width window at a random place. */
tg_transform *tg_random_crop(int64_t height, int64_t width, int64_t padding);
/* Compose: ts[0], then ts[1], ... It takes ownership of the n transforms. */
tg_transform *tg_compose(tg_transform *const *ts, int n);
/* The transformed image: a new float32 tensor (scope-owned like any). */
tg_tensor *tg_transform_apply(tg_transform *t, tg_tensor *image);
void tg_transform_free(tg_transform *t); /* NULL is fine */

/* ---- Fashion-MNIST -------------------------------------------------------------- */

/* Where Debian's dataset-fashion-mnist package puts the four files. */
#define TG_FASHION_MNIST_ROOT "/usr/share/datasets/fashion-mnist"

/* torchvision's FashionMNIST.classes, by label. */
extern const char *const tg_fashion_mnist_classes[10];

/* FashionMNIST(root, train, transform): root (NULL: TG_FASHION_MNIST_ROOT)
 * holds {train,t10k}-images-idx3-ubyte and {train,t10k}-labels-idx1-ubyte,
 * each gzipped (.gz) or not. Sample i is (transform(image), label): a
 * (1, 28, 28) float32 image and an int64 scalar label. The dataset takes
 * ownership of transform (NULL: none), failing or not. 0, or -1 with
 * tg_last_error(). */
int tg_fashion_mnist(const char *root, bool train, tg_transform *transform,
                     tg_dataset **out);
/* The same images and labels as the FashionMNIST `fashion` (shared, not
 * read again: 47 MB for the training files) with another transform, e.g.
 * the validation part of the training files without augmentation. Holds a
 * reference to fashion; takes ownership of transform (NULL: none). */
tg_dataset *tg_fashion_mnist_with_transform(tg_dataset *fashion, tg_transform *transform);

TG_API_END

#endif
