/* bench/mlp_gemms.h - the matrix products of one MLP training step, run
 * through raw cblas_sgemm: the ceiling a GEMM-bound step is measured
 * against (gemm_mlp, mlp2048). */
#ifndef TG_BENCH_MLP_GEMMS_H
#define TG_BENCH_MLP_GEMMS_H

#include <cblas.h>
#include <stdint.h>

enum { MLP_GEMMS_MAX = 3 * 8 };

/* One product C (m x n) = op(A) (m x k) op(B) (k x n). */
typedef struct mlp_product {
  int m, n, k;
  CBLAS_TRANSPOSE ta, tb;
} mlp_product;

typedef struct mlp_gemms {
  mlp_product p[MLP_GEMMS_MAX];
  int n;
  float *a, *b, *c; /* operands as large as the largest product needs */
} mlp_gemms;

/* The step's products for Linear layers of the given sizes at batch
 * `batch`: forward x W^T per layer, then from the last layer back dW =
 * g^T a and (except for the first layer) da = g W. */
mlp_gemms mlp_gemms_new(const int64_t *sizes, int n_sizes, int batch);
double mlp_gemms_flops(const mlp_gemms *g);
/* Runs every product once (beta = 0); arg is the mlp_gemms. */
void mlp_gemms_run(void *arg);
void mlp_gemms_free(mlp_gemms *g);

#endif
