/* The products of an MLP step through raw cblas_sgemm: see mlp_gemms.h. */
#include "mlp_gemms.h"

#include <stdlib.h>

#include "bench.h"

static void add(mlp_gemms *g, int m, int n, int k, CBLAS_TRANSPOSE ta,
                CBLAS_TRANSPOSE tb) {
  if (g->n == MLP_GEMMS_MAX) bench_check(-1, "mlp_gemms: too many layers");
  g->p[g->n++] = (mlp_product){m, n, k, ta, tb};
}

static float *filled(size_t n) {
  float *p = malloc(n * sizeof *p);
  if (!p) bench_check(-1, "malloc");
  for (size_t i = 0; i < n; i++) p[i] = (float)((i % 17) - 8) / 16.0f;
  return p;
}

static size_t largest(size_t a, size_t b) {
  return a > b ? a : b;
}

mlp_gemms mlp_gemms_new(const int64_t *sizes, int n_sizes, int batch) {
  mlp_gemms g = {.n = 0};
  for (int l = 0; l + 1 < n_sizes; l++)
    add(&g, batch, (int)sizes[l + 1], (int)sizes[l], CblasNoTrans, CblasTrans);
  for (int l = n_sizes - 2; l >= 0; l--) {
    add(&g, (int)sizes[l + 1], (int)sizes[l], batch, CblasTrans, CblasNoTrans);
    if (l > 0)
      add(&g, batch, (int)sizes[l], (int)sizes[l + 1], CblasNoTrans, CblasNoTrans);
  }
  size_t most = 0;
  for (int i = 0; i < g.n; i++) {
    const mlp_product *p = &g.p[i];
    most = largest(
        most, largest((size_t)p->m * (size_t)p->k,
                      largest((size_t)p->k * (size_t)p->n, (size_t)p->m * (size_t)p->n)));
  }
  g.a = filled(most), g.b = filled(most), g.c = filled(most);
  return g;
}

double mlp_gemms_flops(const mlp_gemms *g) {
  double f = 0;
  for (int i = 0; i < g->n; i++) f += 2.0 * g->p[i].m * g->p[i].n * g->p[i].k;
  return f;
}

void mlp_gemms_run(void *arg) {
  const mlp_gemms *g = arg;
  for (int i = 0; i < g->n; i++) {
    const mlp_product *p = &g->p[i];
    int lda = p->ta == CblasNoTrans ? p->k : p->m;
    int ldb = p->tb == CblasNoTrans ? p->n : p->k;
    cblas_sgemm(CblasRowMajor, p->ta, p->tb, p->m, p->n, p->k, 1.0f, g->a, lda, g->b, ldb,
                0.0f, g->c, p->n);
  }
}

void mlp_gemms_free(mlp_gemms *g) {
  free(g->a);
  free(g->b);
  free(g->c);
}
