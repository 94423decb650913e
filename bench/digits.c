/* Workload 3: an MLP on sklearn's digits, one training epoch. 64 -> 128 ->
 * 64 -> 10 with ReLU, CrossEntropyLoss, Adam (lr 1e-3), batch 32 over the
 * 1437 training images. Twin: pytorch/digits.py. */

#include "bench.h"
#include "train.h"

int main(int argc, char **argv) {
  bench_args a = bench_parse(argc, argv);
  tg_manual_seed(0);
  task t = {.loss = TASK_CROSS_ENTROPY};
  tg_tensor *X, *y;
  bench_check(tg_load_digits_tensors(&X, &y, 10), "load_digits");
  task_data(&t, X, y, 32, false);
  t.model = task_mlp((const int64_t[]){64, 128, 64, 10}, 4, true, false);
  t.opt = tg_adam(tg_module_parameters(t.model), TG_ADAM_DEFAULTS);
  bench_report("digits_epoch", a.threads, bench_time(task_epoch, &t, a.reps), 0);
  task_free(&t);
  return 0;
}
