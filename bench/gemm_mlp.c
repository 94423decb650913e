/* Workload 4: a GEMM-bound MLP step. 784 -> 1024 -> 1024 -> 10 with ReLU,
 * batch 256, CrossEntropyLoss, Adam: forward, backward, step, zero_grad.
 * Its GFLOP/s (the step's GEMM work over its time) is printed beside raw
 * cblas_sgemm running the same eight products with the same transposes.
 * Twin: pytorch/gemm_mlp.py. */
#include "bench.h"
#include "mlp_gemms.h"
#include "train.h"

enum { BATCH = 256, STEPS_PER_CALL = 5 };

static void raw_products(void *arg) {
  for (int s = 0; s < STEPS_PER_CALL; s++) mlp_gemms_run(arg);
}

static void steps(void *arg) {
  batch_steps(arg, STEPS_PER_CALL);
}

int main(int argc, char **argv) {
  bench_args a = bench_parse(argc, argv);
  const int64_t sizes[] = {784, 1024, 1024, 10};
  batch_step s = batch_step_mlp(sizes, 4, BATCH);
  mlp_gemms raw = mlp_gemms_new(sizes, 4, BATCH);
  double flops = mlp_gemms_flops(&raw);
  double t = bench_time(steps, &s, a.reps) / STEPS_PER_CALL;
  bench_report("gemm_mlp_step", a.threads, t, flops / t * 1e-9);
  double t_raw = bench_time(raw_products, &raw, a.reps) / STEPS_PER_CALL;
  bench_report("sgemm_same_shapes", a.threads, t_raw, flops / t_raw * 1e-9);
  mlp_gemms_free(&raw);
  batch_step_free(&s);
  return 0;
}
