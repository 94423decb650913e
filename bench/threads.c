/* Where threads start to pay: each loop that tg_set_num_threads splits
 * (elementwise, column and row sums, softmax rows, an Adam step, max
 * pooling, a strided sum, maxima down the columns), timed at
 * 1 thread and at 2 threads with the split forced at every size (grain 1),
 * over sizes from 4K to 4M elements. The size where 2 threads first win is
 * the grain tensor/parallel.c uses (bench/README.md, "Threads"). No PyTorch
 * twin: this measures tensorgrad against itself; not run by run.sh.
 *     build/bench/bench_threads [--reps R]      (R: batches, fastest taken) */
#include <stdio.h>

#include "bench.h"
#include "tensor/core.h"
#include "tensorgrad.h"

typedef struct loop {
  const char *name;
  void (*run)(void *ctx);
} loop;

typedef struct operands {
  tg_tensor *x, *g, *matrix; /* n elements each; matrix is rows x 256 */
  tg_optimizer *adam;
} operands;

static void relu(void *arg) {
  operands *o = arg;
  tg_scope_begin();
  tg_relu(o->x);
  tg_scope_end();
}
static void add_inplace(void *arg) {
  operands *o = arg;
  tg_add_(o->g, o->x, 0.5);
}
static void column_sums(void *arg) {
  operands *o = arg;
  tg_scope_begin();
  tg_sum(o->matrix, TG_DIMS(0), false);
  tg_scope_end();
}
static void row_sums(void *arg) {
  operands *o = arg;
  tg_scope_begin();
  tg_sum(o->matrix, TG_DIMS(1), false);
  tg_scope_end();
}
static void softmax_rows(void *arg) {
  operands *o = arg;
  tg_scope_begin();
  tg_softmax(o->matrix, 1);
  tg_scope_end();
}
/* MaxPool2d(2) over planes of 16 x 16, and its backward's scatter */
static void max_pool(void *arg) {
  operands *o = arg;
  tg_scope_begin();
  tg_tensor *planes = tg_reshape(o->matrix, TG_SHAPE(-1, 1, 16, 16));
  tg_max_pool2d(planes, &(tg_pool_opts){.kernel_size = {2, 2}}, NULL);
  tg_scope_end();
}
/* a strided reduction: the sum over the 256 rows of the transposed matrix
 * (the kept dim is the strided one) */
static void strided_sums(void *arg) {
  operands *o = arg;
  tg_scope_begin();
  tg_sum(tg_t(o->matrix), TG_DIMS(0), false);
  tg_scope_end();
}
static void column_maxima(void *arg) {
  operands *o = arg;
  tg_scope_begin();
  tg_max(o->matrix, 0, false, NULL);
  tg_scope_end();
}
static void adam_step(void *arg) {
  tg_optimizer_step(((operands *)arg)->adam);
}

static const loop loops[] = {{"relu", relu},
                             {"add_", add_inplace},
                             {"sum(dim 0)", column_sums},
                             {"sum(dim 1)", row_sums},
                             {"softmax", softmax_rows},
                             {"Adam step", adam_step},
                             {"max pool 2x2", max_pool},
                             {"sum(x^T, 0)", strided_sums},
                             {"max(dim 0)", column_maxima}};

/* Seconds per call: the fastest of `reps` batches long enough to time. The
 * fastest, not the median: on a shared machine the median measures the
 * other tenants (a worker whose CPU is taken), the fastest what the loop
 * costs when both CPUs are free, which is what the grain is chosen for. */
static double seconds_per_call(void (*run)(void *), void *ctx, int reps) {
  int calls = 1;
  double t0 = bench_now();
  run(ctx);
  double once = bench_now() - t0;
  if (once < 2e-3) calls = (int)(2e-3 / (once > 1e-7 ? once : 1e-7)) + 1;
  double times[64];
  reps = reps < 1 ? 1 : (reps > 64 ? 64 : reps);
  for (int r = 0; r < reps; r++) {
    t0 = bench_now();
    for (int c = 0; c < calls; c++) run(ctx);
    times[r] = (bench_now() - t0) / calls;
  }
  double best = times[0];
  for (int r = 1; r < reps; r++)
    if (times[r] < best) best = times[r];
  return best;
}

int main(int argc, char **argv) {
  bench_args a = bench_parse(argc, argv);
  tg_manual_seed(0);
  printf("%-12s %9s %11s %11s %7s\n", "loop", "elements", "1 thread", "2 threads",
         "ratio");
  for (int64_t n = 1 << 12; n <= 1 << 22; n *= 2) {
    operands o = {tg_randn(TG_SHAPE(n), TG_FLOAT32), tg_zeros(TG_SHAPE(n), TG_FLOAT32),
                  tg_randn(TG_SHAPE(n / 256, 256), TG_FLOAT32), NULL};
    tg_tensor *p = tg_requires_grad_(tg_zeros(TG_SHAPE(n), TG_FLOAT32), true);
    tg_backward(tg_sum(tg_mul(p, o.x), TG_ALL_DIMS, false), NULL, 0);
    o.adam = tg_adam(TG_PARAMS(p), TG_ADAM_DEFAULTS);
    for (size_t k = 0; k < sizeof loops / sizeof loops[0]; k++) {
      double t[2];
      for (int threads = 1; threads <= 2; threads++) {
        tg_set_num_threads(threads);
        tg_parallel_set_grain(threads == 1 ? 0 : 1);
        t[threads - 1] = seconds_per_call(loops[k].run, &o, a.reps);
      }
      tg_parallel_set_grain(0);
      printf("%-12s %9lld %9.2f us %9.2f us %6.2fx\n", loops[k].name, (long long)n,
             t[0] * 1e6, t[1] * 1e6, t[0] / t[1]);
    }
    tg_optimizer_free(o.adam);
    tg_release(p);
    tg_release(o.x);
    tg_release(o.g);
    tg_release(o.matrix);
    fflush(stdout);
  }
  return 0;
}
