/* The convolution's kernels: im2col / col2im into scratch column matrices
 * and one GEMM per block of images and group (conv_loops.inc), for what
 * conv_direct.c's kernels (stride-1 float32) do not take.
 *
 * A block is as many images as fit a fixed scratch budget, decided by the
 * shapes alone. Blocks run one after the other; inside one, the pool
 * (tg_set_num_threads) splits the column copies over the images, and the
 * GEMM runs on OpenBLAS's own threads when it is large: the pool and
 * OpenBLAS never run at once. Every image's result, and the weight's
 * gradient summed block by block in order, do not depend on the thread
 * count. */
#include <cblas.h>
#include <string.h>

#include "nn/conv.h"
#include "ops/ops.h"

enum {
  /* column-matrix bytes per block: a block's columns and rows stay in L2
   * (1 MB blocks measured slower on LeNet than 256 KB ones) */
  BLOCK_BYTES = 256 << 10,
  /* below this many column elements per image the pool's wake-up costs
   * more than it saves */
  MIN_PARALLEL_ELEMENTS = 1 << 12,
  COPY_CHUNK = 8, /* elements per move of the column copies */
};

/* A block of images [first, first + count), one group at a time; cols is
 * its column matrix, images the input (or the input's gradient). */
typedef struct conv_block {
  const tg_conv_geometry *g;
  void *images, *cols;
  int64_t first, count, most, grp;
  char *pads; /* one padded copy of an image's group per pool slot */
  size_t pad_bytes;
  int slots;
} conv_block;

static int64_t block_count(const tg_conv_geometry *g, const conv_block *b) {
  return g->n - b->first < b->most ? g->n - b->first : b->most;
}

static void over_images(conv_block *b, tg_slot_fn fn) {
  int64_t elements = tg_nn_conv_col_rows(b->g) * b->g->oh * b->g->ow;
  tg_parallel_for_slots(b->count, elements >= MIN_PARALLEL_ELEMENTS ? 1 : b->count,
                        b->slots, fn, b);
}
/* The output columns [lo, hi) whose input column ox * sw + x0 is inside
 * the image. */
static void inside_columns(const tg_conv_geometry *g, int64_t x0, int64_t *lo,
                           int64_t *hi) {
  *lo = x0 >= 0 ? 0 : (-x0 + g->sw - 1) / g->sw;
  *hi = g->w - x0 > 0 ? (g->w - x0 + g->sw - 1) / g->sw : 0;
  if (*lo > g->ow) *lo = g->ow;
  if (*hi > g->ow) *hi = g->ow;
  if (*hi < *lo) *hi = *lo;
}

/* Height and width of the padded planes the windows read, and the bytes
 * of `channels` of them plus the slack a whole-chunk copy reads past the
 * last one. */
static int64_t padded_height(const tg_conv_geometry *g) {
  return (g->oh - 1) * g->sh + (g->kh - 1) * g->dh + 1;
}
static int64_t padded_width(const tg_conv_geometry *g) {
  return (g->ow - 1) * g->sw + (g->kw - 1) * g->dw + 1;
}
static size_t padded_bytes(const tg_conv_geometry *g, int64_t channels, size_t elem) {
  return (size_t)(channels * padded_height(g) * padded_width(g) + COPY_CHUNK) * elem;
}

/* Images per block: as many as fit BLOCK_BYTES of columns, at least one. */
static int64_t block_images(const tg_conv_geometry *g, size_t elem) {
  int64_t L = g->oh * g->ow, per_image = tg_nn_conv_col_rows(g) * L * (int64_t)elem;
  int64_t most = per_image > 0 ? BLOCK_BYTES / per_image : g->n; /* no input channels */
  if (most < 1) most = 1;
  if (most > g->n) most = g->n > 0 ? g->n : 1;
  return most;
}

/* Scratch for a block, allocated here on the caller's thread (the pool's
 * loop bodies never allocate): its column matrix (K, most * L), its rows
 * of out / gout (O/G, most * L), then one padded image per pool slot.
 * Sets b->most, b->cols, b->pads. */
static void *block_scratch(const tg_conv_geometry *g, size_t elem, conv_block *b,
                           tg_storage **s) {
  int64_t L = g->oh * g->ow;
  b->most = block_images(g, elem);
  int64_t rows = tg_nn_conv_col_rows(g) + g->o / g->groups;
  size_t cols_bytes = (size_t)(rows * b->most * L) * elem;
  b->slots = tg_parallel_threads();
  b->pad_bytes = (padded_bytes(g, g->c / g->groups, elem) + 63) / 64 * 64;
  *s = tg_storage_new(cols_bytes + (size_t)b->slots * b->pad_bytes);
  b->pads = (char *)(*s)->data + cols_bytes;
  return b->cols = (*s)->data;
}

/* The weight gradient of one group, its input channels split over the
 * pool: each range of channels owns its columns of gw and sums every
 * block into them in block order, one GEMM per block, so the split never
 * changes a sum. OpenBLAS is told to stay on its caller's thread
 * meanwhile: the pool's threads call it side by side, and its own threads
 * gave other bits than one thread on some of these products (a 40 x 144
 * weight over 400 pixels). A range's product per image keeps at least
 * MIN_SPLIT_COLUMNS columns and MIN_SPLIT_MACS multiply-adds, so that it
 * stays on OpenBLAS's main kernels: OpenBLAS hands narrower ones to other
 * kernels, and gemm_small.c takes smaller ones (below 2^19). */
enum { MIN_SPLIT_COLUMNS = 32, MIN_SPLIT_MACS = 1 << 20 };

typedef struct weight_job {
  const tg_conv_geometry *g;
  const void *x, *gout;
  void *gw;
  int64_t grp, most; /* the group; images per block */
  char *scratch;     /* per pool slot: a block's columns, gout rows, a padded image */
  size_t slot_bytes, rows_bytes;
} weight_job;

static tg_storage *weight_scratch(const tg_conv_geometry *g, size_t elem, weight_job *j) {
  int64_t L = g->oh * g->ow, cg = g->c / g->groups;
  j->most = block_images(g, elem);
  j->rows_bytes = (size_t)(g->o / g->groups * j->most * L) * elem;
  j->slot_bytes = ((size_t)(tg_nn_conv_col_rows(g) * j->most * L) * elem + j->rows_bytes +
                   padded_bytes(g, cg, elem) + 63) /
                  64 * 64;
  tg_storage *s = tg_storage_new((size_t)tg_parallel_threads() * j->slot_bytes);
  j->scratch = s->data;
  return s;
}

/* The channel ranges, fixed by the geometry alone, never by the thread
 * count: OpenBLAS's AVX2 kernels give a range's columns other bits than the
 * whole product's (its AVX-512 kernels do not), so every thread count
 * computes the same ranges, one after another on one thread. */
typedef struct channel_ranges {
  weight_job *j;
  tg_slot_fn fn;
  int64_t per, cg; /* channels per range, channels in the group */
} channel_ranges;

static void run_channel_ranges(int64_t lo, int64_t hi, int slot, void *ctx) {
  const channel_ranges *r = ctx;
  for (int64_t i = lo; i < hi; i++) {
    int64_t c0 = i * r->per, c1 = c0 + r->per < r->cg ? c0 + r->per : r->cg;
    r->fn(c0, c1, slot, r->j);
  }
}

static void over_channels(weight_job *j, tg_slot_fn fn) {
  const tg_conv_geometry *g = j->g;
  int64_t cg = g->c / g->groups, taps = g->kh * g->kw;
  int64_t image_macs = g->o / g->groups * taps * g->oh * g->ow; /* per channel */
  int64_t per = (MIN_SPLIT_COLUMNS + taps - 1) / taps;          /* channels per range */
  if (per * image_macs < MIN_SPLIT_MACS)
    per = image_macs > 0 ? (MIN_SPLIT_MACS + image_macs - 1) / image_macs : cg;
  if (per > cg) per = cg > 0 ? cg : 1;
  channel_ranges r = {.j = j, .fn = fn, .per = per, .cg = cg};
  tg_blas_serial_begin();
  tg_parallel_for_slots((cg + per - 1) / per, 1, tg_parallel_threads(),
                        run_channel_ranges, &r);
  tg_blas_serial_end();
}

/* C (m, n) = op(A) op(B) + beta C, row-major; op(A) is m x k, op(B) k x n.
 * Small float products go to gemm_small.c. */
static void gemm_f32(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float *a,
                     int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                     int64_t ldc) {
  if (tg_sgemm_small(m, n, k, 1, a, ta ? 1 : lda, ta ? lda : 1, b, tb ? 1 : ldb,
                     tb ? ldb : 1, beta, NULL, 0, 0, c, ldc))
    return;
  tg_blas_begin();
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
              tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k, 1, a, (int)lda, b,
              (int)ldb, beta, c, (int)ldc);
  tg_blas_end();
}

static void gemm_f64(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const double *a,
                     int64_t lda, const double *b, int64_t ldb, double beta, double *c,
                     int64_t ldc) {
  tg_blas_begin();
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
              tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k, 1, a, (int)lda, b,
              (int)ldb, beta, c, (int)ldc);
  tg_blas_end();
}

#define TG_TEMPLATE "nn/conv_loops.inc"
#include "tensor/for_float_types.inc"
#undef TG_TEMPLATE

void tg_nn_im2col(const tg_conv_geometry *g, tg_dtype dtype, const void *img,
                  int64_t channels, void *cols) {
  int64_t ld = g->oh * g->ow;
  tg_storage *pad = tg_storage_new(padded_bytes(g, channels, tg_dtype_size(dtype)));
  if (dtype == TG_FLOAT32)
    image_columns_f32(g, img, channels, cols, ld, pad->data);
  else
    image_columns_f64(g, img, channels, cols, ld, pad->data);
  tg_storage_release(pad);
}

void tg_nn_col2im(const tg_conv_geometry *g, tg_dtype dtype, const void *cols,
                  int64_t channels, void *img) {
  int64_t ld = g->oh * g->ow;
  if (dtype == TG_FLOAT32)
    add_columns_f32(g, cols, ld, img, channels);
  else
    add_columns_f64(g, cols, ld, img, channels);
}

void tg_nn_conv_forward(const tg_conv_geometry *g, tg_dtype dtype, const void *x,
                        const void *w, const void *bias, void *out) {
  if (tg_nn_conv_direct_applies(g, dtype))
    tg_nn_conv_direct_forward(g, x, w, bias, out);
  else if (dtype == TG_FLOAT32)
    conv_forward_f32(g, x, w, bias, out);
  else
    conv_forward_f64(g, x, w, bias, out);
}

void tg_nn_conv_input_grad(const tg_conv_geometry *g, tg_dtype dtype, const void *gout,
                           const void *w, void *gx) {
  if (tg_nn_conv_direct_applies(g, dtype)) {
    tg_nn_conv_direct_input_grad(g, gout, w, gx);
    return;
  }
  memset(gx, 0, (size_t)(g->n * g->c * g->h * g->w) * tg_dtype_size(dtype));
  if (dtype == TG_FLOAT32)
    conv_input_grad_f32(g, gout, w, gx);
  else
    conv_input_grad_f64(g, gout, w, gx);
}

void tg_nn_conv_weight_grad(const tg_conv_geometry *g, tg_dtype dtype, const void *x,
                            const void *gout, void *gw) {
  if (g->n == 0) /* no image: no block sets it */
    memset(gw, 0, (size_t)(g->o * tg_nn_conv_col_rows(g)) * tg_dtype_size(dtype));
  else if (tg_nn_conv_direct_weight_applies(g, dtype))
    tg_nn_conv_direct_weight_grad(g, x, gout, gw);
  else if (dtype == TG_FLOAT32)
    conv_weight_grad_f32(g, x, gout, gw);
  else
    conv_weight_grad_f64(g, x, gout, gw);
}

void tg_nn_conv_bias_grad(const tg_conv_geometry *g, tg_dtype dtype, const void *gout,
                          void *gb) {
  if (dtype == TG_FLOAT32)
    conv_bias_grad_f32(g, gout, gb);
  else
    conv_bias_grad_f64(g, gout, gb);
}
