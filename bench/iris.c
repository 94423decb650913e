/* Workload 2: the lecture's Iris network, one training epoch. 4 -> 50 ->
 * 100 -> 3 with ReLU, CrossEntropyLoss, Adam (lr 1e-3), batch 10 over the
 * 120 training samples. An epoch is short, so one timed call runs
 * EPOCHS_PER_CALL of them. Twin: pytorch/iris.py. */

#include "bench.h"
#include "train.h"

enum { EPOCHS_PER_CALL = 20 };

static void epochs(void *t) {
  for (int e = 0; e < EPOCHS_PER_CALL; e++) task_epoch(t);
}

int main(int argc, char **argv) {
  bench_args a = bench_parse(argc, argv);
  tg_manual_seed(0);
  task t = {.loss = TASK_CROSS_ENTROPY};
  tg_tensor *X, *y;
  bench_check(tg_load_iris_tensors(&X, &y), "load_iris");
  task_data(&t, X, y, 10, false);
  t.model = task_mlp((const int64_t[]){4, 50, 100, 3}, 4, true, false);
  t.opt = tg_adam(tg_module_parameters(t.model), TG_ADAM_DEFAULTS);
  double s = bench_time(epochs, &t, a.reps) / EPOCHS_PER_CALL;
  bench_report("iris_epoch", a.threads, s, 0);
  task_free(&t);
  return 0;
}
