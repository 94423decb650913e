/* CNN training steps on Fashion-MNIST-shaped random input (1x28x28):
 * LeNet-5 (conv 6@5x5 pad 2, ReLU, max-pool 2, conv 16@5x5, ReLU, max-pool
 * 2, linear 400-120-84-10), SGD with momentum 0.9, at batch 64 and 256; and
 * the fashion_mnist example's CNN (two conv-BN-ReLU-pool blocks, dropout
 * 0.3, a linear head; AdamW, weight decay 1e-2) at its batch of 128, in
 * training mode. CrossEntropyLoss throughout. Twin: pytorch/lenet.py. */
#include "bench.h"
#include "train.h"

/* One layer with parameters per statement: PyTorch's draw order. */
static tg_module *lenet(void) {
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

/* examples/fashion_mnist.c's model: 1x28x28 -> 32x14x14 -> 64x7x7 -> 10 */
static tg_module *fashion_cnn(void) {
  tg_module *m = tg_nn_sequential(NULL);
  for (int64_t in = 1, out = 32; out <= 64; in = out, out *= 2) {
    tg_nn_sequential_append(m, tg_nn_conv2d(in, out, 3, 1, 1, false));
    tg_nn_sequential_append(m, tg_nn_batch_norm2d(out, 1e-5, 0.1, true, true));
    tg_nn_sequential_append(m, tg_nn_relu());
    tg_nn_sequential_append(m, tg_nn_max_pool2d(&(tg_pool_opts){.kernel_size = {2, 2}}));
  }
  tg_nn_sequential_append(m, tg_nn_flatten(1, -1));
  tg_nn_sequential_append(m, tg_nn_dropout(0.3));
  tg_nn_sequential_append(m, tg_nn_linear(64 * 7 * 7, 10, true));
  return m;
}

static tg_optimizer *sgd_momentum(tg_module *m) {
  return tg_sgd(tg_module_parameters(m), (tg_sgd_options){.lr = 0.01, .momentum = 0.9});
}

static tg_optimizer *adamw(tg_module *m) {
  tg_adam_options o = TG_ADAMW_DEFAULTS;
  o.weight_decay = 1e-2;
  return tg_adamw(tg_module_parameters(m), o);
}

static void step(void *arg) {
  batch_steps(arg, 1);
}

static void run(const char *workload, tg_module *(*model)(void),
                tg_optimizer *(*optimizer)(tg_module *), int64_t batch, bench_args a) {
  tg_manual_seed(0);
  batch_step s;
  s.model = model();
  s.opt = optimizer(s.model);
  s.x = tg_randn(TG_SHAPE(batch, 1, 28, 28), TG_FLOAT32);
  s.y = tg_randint(0, 10, TG_SHAPE(batch));
  bench_report(workload, a.threads, bench_time(step, &s, a.reps), 0);
  batch_step_free(&s);
}

int main(int argc, char **argv) {
  bench_args a = bench_parse(argc, argv);
  run("lenet_b64_step", lenet, sgd_momentum, 64, a);
  run("lenet_b256_step", lenet, sgd_momentum, 256, a);
  run("fashion_cnn_b128_step", fashion_cnn, adamw, 128, a);
  return 0;
}
