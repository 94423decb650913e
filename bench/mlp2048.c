/* A wide MLP step: 784 -> 2048 -> 2048 -> 10 with ReLU, batch 512 of
 * Fashion-MNIST-shaped random float32 input, CrossEntropyLoss, Adam:
 * forward, backward, step, zero_grad. Twin: pytorch/mlp2048.py. Its GFLOP/s
 * count the eight products (16.2 GFLOP), also run alone through raw
 * cblas_sgemm. */
#include "bench.h"
#include "mlp_gemms.h"
#include "train.h"

enum { BATCH = 512 };

static void step(void *arg) {
  batch_steps(arg, 1);
}

int main(int argc, char **argv) {
  bench_args a = bench_parse(argc, argv);
  const int64_t sizes[] = {784, 2048, 2048, 10};
  batch_step s = batch_step_mlp(sizes, 4, BATCH);
  mlp_gemms raw = mlp_gemms_new(sizes, 4, BATCH);
  double flops = mlp_gemms_flops(&raw), t = bench_time(step, &s, a.reps);
  bench_report("mlp2048_step", a.threads, t, flops / t * 1e-9);
  /* the step's eight products alone: what a GEMM-bound step cannot beat */
  double t_raw = bench_time(mlp_gemms_run, &raw, a.reps);
  bench_report("sgemm_mlp2048_shapes", a.threads, t_raw, flops / t_raw * 1e-9);
  mlp_gemms_free(&raw);
  batch_step_free(&s);
  return 0;
}
