/* LeNet-5 training steps on Fashion-MNIST-shaped random input (1x28x28):
 * conv 6@5x5 pad 2, ReLU, max-pool 2, conv 16@5x5, ReLU, max-pool 2,
 * linear 400-120-84-10, CrossEntropyLoss, SGD with momentum 0.9; one step
 * at batch 64 and one at batch 256. Twin: pytorch/lenet.py. */
#include "bench.h"
#include "train.h"

static tg_module *lenet(void) {
  /* One layer with parameters per statement: PyTorch's draw order. */
  tg_module *net = tg_nn_sequential(tg_nn_conv2d(1, 6, 5, 1, 2, true), NULL);
  tg_nn_sequential_append(net, tg_nn_relu());
  tg_nn_sequential_append(net, tg_nn_max_pool2d(&(tg_pool_opts){.kernel_size = {2, 2}}));
  tg_nn_sequential_append(net, tg_nn_conv2d(6, 16, 5, 1, 0, true));
  tg_nn_sequential_append(net, tg_nn_relu());
  tg_nn_sequential_append(net, tg_nn_max_pool2d(&(tg_pool_opts){.kernel_size = {2, 2}}));
  tg_nn_sequential_append(net, tg_nn_flatten(1, -1));
  tg_nn_sequential_append(net, tg_nn_linear(400, 120, true));
  tg_nn_sequential_append(net, tg_nn_relu());
  tg_nn_sequential_append(net, tg_nn_linear(120, 84, true));
  tg_nn_sequential_append(net, tg_nn_relu());
  tg_nn_sequential_append(net, tg_nn_linear(84, 10, true));
  return net;
}

static void step(void *arg) {
  batch_steps(arg, 1);
}

static void run(const char *workload, int64_t batch, bench_args a) {
  tg_manual_seed(0);
  batch_step s;
  s.model = lenet();
  s.opt = tg_sgd(tg_module_parameters(s.model),
                 (tg_sgd_options){.lr = 0.01, .momentum = 0.9});
  s.x = tg_randn(TG_SHAPE(batch, 1, 28, 28), TG_FLOAT32);
  s.y = tg_randint(0, 10, TG_SHAPE(batch));
  bench_report(workload, a.threads, bench_time(step, &s, a.reps), 0);
  batch_step_free(&s);
}

int main(int argc, char **argv) {
  bench_args a = bench_parse(argc, argv);
  run("lenet_b64_step", 64, a);
  run("lenet_b256_step", 256, a);
  return 0;
}
