/* A wide MLP step: 784 -> 2048 -> 2048 -> 10 with ReLU, batch 512 of
 * Fashion-MNIST-shaped random float32 input, CrossEntropyLoss, Adam:
 * forward, backward, step, zero_grad. Twin: pytorch/mlp2048.py. */
#include "bench.h"
#include "train.h"

enum { BATCH = 512 };

static void step(void *arg) {
  batch_steps(arg, 1);
}

int main(int argc, char **argv) {
  bench_args a = bench_parse(argc, argv);
  batch_step s = batch_step_mlp((const int64_t[]){784, 2048, 2048, 10}, 4, BATCH);
  bench_report("mlp2048_step", a.threads, bench_time(step, &s, a.reps), 0);
  batch_step_free(&s);
  return 0;
}
