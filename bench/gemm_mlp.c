/* Workload 4: a GEMM-bound MLP step. 784 -> 1024 -> 1024 -> 10 with ReLU,
 * batch 256, CrossEntropyLoss, Adam: forward, backward, step, zero_grad.
 * Its GFLOP/s (the step's GEMM work over its time) is printed beside raw
 * cblas_sgemm running the same eight products with the same transposes.
 * Twin: pytorch/gemm_mlp.py. */
#include <cblas.h>
#include <stdlib.h>

#include "bench.h"
#include "train.h"

enum { BATCH = 256, STEPS_PER_CALL = 5 };

/* The step's products as (m, n, k, transA, transB): forward x W^T per
 * layer, then per layer dW = g^T a and (except the first) da = g W. */
typedef struct product {
  int m, n, k;
  CBLAS_TRANSPOSE ta, tb;
} product;

static const product products[] = {
    {BATCH, 1024, 784, CblasNoTrans, CblasTrans},
    {BATCH, 1024, 1024, CblasNoTrans, CblasTrans},
    {BATCH, 10, 1024, CblasNoTrans, CblasTrans},
    {10, 1024, BATCH, CblasTrans, CblasNoTrans},
    {BATCH, 1024, 10, CblasNoTrans, CblasNoTrans},
    {1024, 1024, BATCH, CblasTrans, CblasNoTrans},
    {BATCH, 1024, 1024, CblasNoTrans, CblasNoTrans},
    {1024, 784, BATCH, CblasTrans, CblasNoTrans},
};
enum { N_PRODUCTS = sizeof products / sizeof products[0] };

static double step_flops(void) {
  double f = 0;
  for (int i = 0; i < N_PRODUCTS; i++)
    f += 2.0 * products[i].m * products[i].n * products[i].k;
  return f;
}

typedef struct raw {
  float *a, *b, *c;
} raw;

static void raw_products(void *arg) {
  raw *r = arg;
  for (int s = 0; s < STEPS_PER_CALL; s++)
    for (int i = 0; i < N_PRODUCTS; i++) {
      const product *p = &products[i];
      int lda = p->ta == CblasNoTrans ? p->k : p->m;
      int ldb = p->tb == CblasNoTrans ? p->n : p->k;
      cblas_sgemm(CblasRowMajor, p->ta, p->tb, p->m, p->n, p->k, 1.0f, r->a, lda, r->b,
                  ldb, 0.0f, r->c, p->n);
    }
}

static void steps(void *arg) {
  batch_steps(arg, STEPS_PER_CALL);
}

static float *filled(size_t n) {
  float *p = malloc(n * sizeof *p);
  if (!p) bench_check(-1, "malloc");
  for (size_t i = 0; i < n; i++) p[i] = (float)((i % 17) - 8) / 16.0f;
  return p;
}

int main(int argc, char **argv) {
  bench_args a = bench_parse(argc, argv);
  batch_step s = batch_step_mlp((const int64_t[]){784, 1024, 1024, 10}, 4, BATCH);
  double flops = step_flops();
  double t = bench_time(steps, &s, a.reps) / STEPS_PER_CALL;
  bench_report("gemm_mlp_step", a.threads, t, flops / t * 1e-9);
  raw r = {filled(1024 * 1024), filled(1024 * 1024), filled(1024 * 1024)};
  double t_raw = bench_time(raw_products, &r, a.reps) / STEPS_PER_CALL;
  bench_report("sgemm_same_shapes", a.threads, t_raw, flops / t_raw * 1e-9);
  free(r.a);
  free(r.b);
  free(r.c);
  batch_step_free(&s);
  return 0;
}
