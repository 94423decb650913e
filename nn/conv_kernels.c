/* The convolution's kernels: im2col / col2im into scratch column matrices
 * and one GEMM per image and group (conv_loops.inc), split over the batch
 * across the thread pool.
 *
 * Threads: images are independent in the forward and in the input's
 * gradient, so any split computes what one thread would. The weight's
 * gradient sums over images: the batch is cut into a fixed number of
 * chunks (by batch size alone), each summed on its own, and the chunk sums
 * are added in order, so the result does not depend on the thread count. */
#include <cblas.h>
#include <string.h>

#include "nn/conv.h"
#include "ops/ops.h"

enum {
  WEIGHT_CHUNKS = 8, /* partial sums of the weight's gradient, at most */
  /* OpenBLAS runs a product of up to this many multiply-adds on the calling
   * thread (interface/gemm.c's SMP threshold); larger ones use its own
   * threads, and then the pool keeps out of the way. */
  BLAS_ONE_THREAD_MACS = 65536 * 4,
  /* below this many multiply-adds per image the pool's wake-up costs more
   * than it saves */
  MIN_PARALLEL_MACS = 1 << 14,
};

typedef struct conv_job {
  const tg_conv_geometry *g;
  const void *a, *b, *bias; /* the two operands of the product, and the bias */
  void *out;
  void **partials; /* the weight's gradient: one sum per chunk */
  int64_t chunks;
} conv_job;

static bool is_pointwise(const tg_conv_geometry *g) {
  return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 &&
         g->pl == 0 && g->oh == g->h && g->ow == g->w;
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

static int64_t chunk_begin(int64_t n, int64_t chunks, int64_t c) {
  return n * c / chunks;
}

/* C (m, n) = op(A) op(B) + beta C, plus bias[i] on row i when bias is given
 * (then beta must be 0). Row-major; op(A) is m x k, op(B) k x n. Small
 * float products go to gemm_small.c, which adds the bias as it stores. */
static void gemm_f32(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float *a,
                     int64_t lda, const float *b, int64_t ldb, float beta,
                     const float *bias, float *c, int64_t ldc) {
  if (tg_sgemm_small(m, n, k, 1, a, ta ? 1 : lda, ta ? lda : 1, b, tb ? 1 : ldb,
                     tb ? ldb : 1, bias ? 1 : beta, bias, 1, 0, c, ldc))
    return;
  for (int64_t i = 0; bias && i < m; i++) /* rows start as the bias: beta = 1 adds */
    for (int64_t j = 0; j < n; j++) c[i * ldc + j] = bias[i];
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
              tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k, 1, a, (int)lda, b,
              (int)ldb, bias ? 1 : beta, c, (int)ldc);
}

static void gemm_f64(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const double *a,
                     int64_t lda, const double *b, int64_t ldb, double beta,
                     const double *bias, double *c, int64_t ldc) {
  for (int64_t i = 0; bias && i < m; i++)
    for (int64_t j = 0; j < n; j++) c[i * ldc + j] = bias[i];
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
              tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k, 1, a, (int)lda, b,
              (int)ldb, bias ? 1 : beta, c, (int)ldc);
}

#define TG_TEMPLATE "nn/conv_loops.inc"
#include "tensor/for_float_types.inc"
#undef TG_TEMPLATE

typedef void (*range_fn)(int64_t begin, int64_t end, void *ctx);

/* Images split across the pool when each one is worth it and its GEMM
 * stays on one OpenBLAS thread. */
static void over_images(const tg_conv_geometry *g, int64_t count, range_fn fn,
                        conv_job *job) {
  int64_t macs = g->o / g->groups * tg_conv_col_rows(g) * g->oh * g->ow;
  bool split = macs >= MIN_PARALLEL_MACS && macs <= BLAS_ONE_THREAD_MACS;
  tg_parallel_for(count, split ? 1 : count, fn, job);
}

void tg_nn_im2col(const tg_conv_geometry *g, tg_dtype dtype, const void *img,
                  int64_t channels, void *cols) {
  if (dtype == TG_FLOAT32)
    walk_windows_f32(g, (float *)img, channels, cols, true);
  else
    walk_windows_f64(g, (double *)img, channels, cols, true);
}

void tg_nn_col2im(const tg_conv_geometry *g, tg_dtype dtype, const void *cols,
                  int64_t channels, void *img) {
  if (dtype == TG_FLOAT32)
    walk_windows_f32(g, img, channels, (float *)cols, false);
  else
    walk_windows_f64(g, img, channels, (double *)cols, false);
}

void tg_nn_conv_forward(const tg_conv_geometry *g, tg_dtype dtype, const void *x,
                        const void *w, const void *bias, void *out) {
  conv_job job = {.g = g, .a = x, .b = w, .bias = bias, .out = out};
  over_images(g, g->n, dtype == TG_FLOAT32 ? forward_images_f32 : forward_images_f64,
              &job);
}

void tg_nn_conv_input_grad(const tg_conv_geometry *g, tg_dtype dtype, const void *gout,
                           const void *w, void *gx) {
  conv_job job = {.g = g, .a = gout, .b = w, .out = gx};
  over_images(g, g->n,
              dtype == TG_FLOAT32 ? input_grad_images_f32 : input_grad_images_f64, &job);
}

void tg_nn_conv_weight_grad(const tg_conv_geometry *g, tg_dtype dtype, const void *x,
                            const void *gout, void *gw) {
  int64_t size = g->o * tg_conv_col_rows(g);
  size_t bytes = (size_t)size * tg_dtype_size(dtype);
  if (g->n == 0) {
    memset(gw, 0, bytes);
    return;
  }
  int64_t chunks = g->n < WEIGHT_CHUNKS ? g->n : WEIGHT_CHUNKS;
  void *partials[WEIGHT_CHUNKS] = {gw};
  tg_storage *s = chunks > 1 ? tg_storage_new(bytes * (size_t)(chunks - 1)) : NULL;
  for (int64_t c = 1; c < chunks; c++)
    partials[c] = (char *)s->data + bytes * (size_t)(c - 1);
  conv_job job = {.g = g, .a = x, .b = gout, .partials = partials, .chunks = chunks};
  over_images(g, chunks,
              dtype == TG_FLOAT32 ? weight_grad_chunks_f32 : weight_grad_chunks_f64,
              &job);
  if (dtype == TG_FLOAT32)
    sum_partials_f32(&job, size);
  else
    sum_partials_f64(&job, size);
  if (s) tg_storage_release(s);
}
