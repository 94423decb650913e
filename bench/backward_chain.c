/* Workload 6: backward through a chain of 100,000 ops (y = y * 1.0000001
 * on 16 elements, then sum). Only tg_backward is timed; building the chain
 * is not. Twin: pytorch/backward_chain.py. */
#include <stdlib.h>

#include "bench.h"
#include "tensorgrad.h"

enum { CHAIN = 100000 };

static double one_backward(tg_tensor *x) {
  tg_scope_begin();
  tg_tensor *y = x;
  for (int i = 0; i < CHAIN; i++) y = tg_mul_scalar(y, 1.0000001);
  tg_tensor *loss = tg_sum(y, TG_ALL_DIMS, false);
  double start = bench_now();
  tg_backward(loss, NULL, 0);
  double seconds = bench_now() - start;
  tg_scope_end();
  tg_zero_grad(x, true);
  return seconds;
}

int main(int argc, char **argv) {
  bench_args a = bench_parse(argc, argv);
  tg_tensor *x = tg_requires_grad_(tg_ones(TG_SHAPE(16), TG_FLOAT32), true);
  double *t = malloc(sizeof *t * (size_t)a.reps);
  if (!t) bench_check(-1, "malloc");
  one_backward(x); /* warm-up */
  for (int r = 0; r < a.reps; r++) t[r] = one_backward(x);
  bench_report("backward_chain_100k", a.threads, bench_median(t, a.reps), 0);
  free(t);
  tg_release(x);
  return 0;
}
