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
  tg_manual_seed(0);
  batch_step s;
  s.model = task_mlp((const int64_t[]){784, 2048, 2048, 10}, 4, true, false);
  s.opt = tg_adam(tg_module_parameters(s.model), TG_ADAM_DEFAULTS);
  s.x = tg_randn(TG_SHAPE(BATCH, 784), TG_FLOAT32);
  s.y = tg_randint(0, 10, TG_SHAPE(BATCH));
  bench_report("mlp2048_step", a.threads, bench_time(step, &s, a.reps), 0);
  tg_release(s.x);
  tg_release(s.y);
  tg_optimizer_free(s.opt);
  tg_module_free(s.model);
  return 0;
}
