/* The ops' private header (ops/): what the differentiable ops share beyond
 * the core (the GEMMs, the one-dim argument). */
#ifndef TG_OPS_OPS_H
#define TG_OPS_OPS_H

#include "tensor/core.h"

/* ---- small float32 products (gemm_small.c) ---- */
/* C = alpha op(A) op(B) + beta D, op(A) m x k and op(B) k x n given by
 * element strides between rows and columns, C row-major with ldc. D is C
 * when d is NULL (BLAS's beta), else D(i, j) = d[i * d_rs + j * d_cs] (a
 * bias row with d_rs = 0, d_cs = 1). Returns false, touching nothing, when
 * the product is big enough for BLAS. */
bool tg_sgemm_small(int64_t m, int64_t n, int64_t k, float alpha, const float *a,
                    int64_t a_rs, int64_t a_cs, const float *b, int64_t b_rs,
                    int64_t b_cs, float beta, const float *d, int64_t d_rs, int64_t d_cs,
                    float *c, int64_t ldc);

/* A batch of products over two batch dims (outer x inner, either may be
 * 1): product (o, i) reads A at a + o * a[0] + i * a[1] (element strides),
 * B and C likewise. */
typedef struct tg_sgemm_batch {
  int64_t count[2];
  int64_t a[2], b[2], c[2];
} tg_sgemm_batch;

/* tg_sgemm_small for every product of a batch (D = C), the loop order and
 * packing chosen once, products split across tg_set_num_threads threads
 * (each product is computed as tg_sgemm_small computes it alone, so the
 * result does not depend on the thread count). False, touching nothing,
 * when one product is big enough for BLAS. */
bool tg_sgemm_small_batched(const tg_sgemm_batch *batch, int64_t m, int64_t n, int64_t k,
                            float alpha, const float *a, int64_t a_rs, int64_t a_cs,
                            const float *b, int64_t b_rs, int64_t b_cs, float beta,
                            float *c, int64_t ldc);

/* dst[p * ld_dst + q] = src[q * ld_src + p] (p < rows, q < cols) for every
 * matrix of a batch (src by batch->a's strides, dst by batch->c's): a
 * transposed operand made unit-stride once, in 8 x 8 register blocks. With
 * ld_dst >= cols rounded up to 8, the last block is whole too (zeros in the
 * columns past cols). */
void tg_stranspose_batched(const tg_sgemm_batch *batch, int64_t rows, int64_t cols,
                           const float *src, int64_t ld_src, float *dst, int64_t ld_dst);

/* Whether tg_sgemm_small hands this product (D = C when d_is_c) to
 * libxsmm's JIT kernels: built with libxsmm, on the AVX2 or AVX-512 path,
 * a shape where it wins. Their result is then within float32 rounding of
 * the hand-written kernels' (they fuse multiply-adds), not bit for bit. */
bool tg_sgemm_small_by_library(int64_t m, int64_t n, int64_t k, float alpha, int64_t a_rs,
                               int64_t a_cs, int64_t b_rs, int64_t b_cs, float beta,
                               bool d_is_c, int64_t ldc);

/* Around every BLAS call (ops/matmul.c): tg_set_num_threads waits for the
 * products in flight before it changes OpenBLAS's threads. */
void tg_blas_begin(void);
void tg_blas_end(void);
/* OpenBLAS on its caller's thread from begin to end (the caller splits the
 * work over the pool itself), counted, so that callers on several threads
 * at once restore OpenBLAS's count only when the last one leaves. */
void tg_blas_serial_begin(void);
void tg_blas_serial_end(void);

/* C = alpha op(A) op(B) for every product of a batch, any floating dtype:
 * float32 through tg_sgemm_small_batched when it takes them, else one BLAS
 * call per product. Operands by element strides (one of each pair 1), C
 * row-major with ldc; sizes within BLAS's int. */
void tg_gemm_batched(tg_dtype dtype, const tg_sgemm_batch *batch, int64_t m, int64_t n,
                     int64_t k, double alpha, const void *a, int64_t a_rs, int64_t a_cs,
                     const void *b, int64_t b_rs, int64_t b_cs, void *c, int64_t ldc);

/* cblas GEMM on 2-D views: out = alpha * a @ b + beta * out (out contiguous). */
void tg_gemm(const tg_tensor *a, const tg_tensor *b, tg_tensor *out, double alpha,
             double beta);

/* ---- softmax rows (softmax.c) ---- */
/* y = log_softmax (log_space) or softmax of `rows` contiguous rows of len
 * (float32 or float64), rounded as PyTorch's CPU kernel for the last dim,
 * bit for bit in float32; split across the threads by rows. */
void tg_softmax_rows(tg_dtype dtype, const void *x, void *y, int64_t rows, int64_t len,
                     bool log_space);
/* Their input's gradient from y and its gradient g (out may be g). */
void tg_softmax_grad_rows(tg_dtype dtype, const void *g, const void *y, void *out,
                          int64_t rows, int64_t len, bool log_space);

/* ---- the typed argument of ops that act along one dim ---- */
typedef struct tg_dim_arg {
  int dim;
} tg_dim_arg;

static inline void tg_node_set_dim(tg_node *node, int dim) {
  ((tg_dim_arg *)tg_node_args(node))->dim = dim;
}
static inline int tg_node_dim(tg_node *node) {
  return ((const tg_dim_arg *)tg_node_args(node))->dim;
}

#endif
