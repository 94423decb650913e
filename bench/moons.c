/* Workload 1: the lecture's moons training, one epoch including the
 * validation pass. SimpleClassificationNet 2 -> 1000 -> 1 with a sigmoid,
 * BCELoss, SGD lr 0.1, batch 16; make_moons(10000, noise 0.3) split into
 * 8000 training and 2000 validation samples. Twin: pytorch/moons.py. */
#include "bench.h"
#include "train.h"

int main(int argc, char **argv) {
  bench_args a = bench_parse(argc, argv);
  tg_manual_seed(0);
  task t = {.loss = TASK_BCE};
  tg_tensor *X, *y;
  bench_check(tg_make_moons_tensors(&X, &y, 10000, true, 0.3, 0), "make_moons");
  task_data(&t, X, y, 16, true);
  t.model = task_mlp((const int64_t[]){2, 1000, 1}, 3, false, true);
  t.opt = tg_sgd(tg_module_parameters(t.model), (tg_sgd_options){.lr = 0.1});
  bench_report("moons_epoch", a.threads, bench_time(task_epoch, &t, a.reps), 0);
  task_free(&t);
  return 0;
}
