/* The lecture's two models, written the way a user writes a tensorgrad
 * module: a struct embedding tg_module first, a forward, a vtable. */
#ifndef TG_TEST_NN_NETS_H
#define TG_TEST_NN_NETS_H

#include "tensorgrad/nn.h"

/* Lecture 6, binary classification: the forward is u = l1(x); z = l2(u);
 * yhat = sigmoid(z), with no activation between the two linears (the
 * lecture's summary lists exactly Linear, Linear, Sigmoid). */
typedef struct SimpleClassificationNet {
  tg_module base;
  tg_module *linearLayer1, *linearLayer2, *sigmoidLayer;
} SimpleClassificationNet;

static inline tg_tensor *simple_net_forward(tg_module *m, tg_tensor *x) {
  SimpleClassificationNet *net = (SimpleClassificationNet *)m;
  tg_tensor *u = tg_module_forward(net->linearLayer1, x);
  tg_tensor *z = tg_module_forward(net->linearLayer2, u);
  return tg_module_forward(net->sigmoidLayer, z);
}

static const tg_module_vtable simple_net_vtable = {"SimpleClassificationNet",
                                                   simple_net_forward};

static inline SimpleClassificationNet *simple_net_new(void) {
  SimpleClassificationNet *net = tg_module_new(&simple_net_vtable, sizeof *net);
  net->linearLayer1 =
      tg_module_add(&net->base, "linearLayer1", tg_nn_linear(2, 1000, true));
  net->linearLayer2 =
      tg_module_add(&net->base, "linearLayer2", tg_nn_linear(1000, 1, true));
  net->sigmoidLayer = tg_module_add(&net->base, "sigmoidLayer", tg_nn_sigmoid());
  return net;
}

/* Lecture 6, Iris: 4 -> 50 -> 100 -> 3 with one ReLU module used twice. */
typedef struct SimpleMultiClassificationNet {
  tg_module base;
  tg_module *linearLayer1, *linearLayer2, *relu, *linearLayer3;
} SimpleMultiClassificationNet;

static inline tg_tensor *multi_net_forward(tg_module *m, tg_tensor *x) {
  SimpleMultiClassificationNet *net = (SimpleMultiClassificationNet *)m;
  tg_tensor *u = tg_module_forward(net->linearLayer1, x);
  tg_tensor *v = tg_module_forward(net->relu, u);
  tg_tensor *w = tg_module_forward(net->linearLayer2, v);
  tg_tensor *h = tg_module_forward(net->relu, w);
  return tg_module_forward(net->linearLayer3, h);
}

static const tg_module_vtable multi_net_vtable = {"SimpleMultiClassificationNet",
                                                  multi_net_forward};

static inline SimpleMultiClassificationNet *multi_net_new(void) {
  SimpleMultiClassificationNet *net = tg_module_new(&multi_net_vtable, sizeof *net);
  net->linearLayer1 =
      tg_module_add(&net->base, "linearLayer1", tg_nn_linear(4, 50, true));
  net->linearLayer2 =
      tg_module_add(&net->base, "linearLayer2", tg_nn_linear(50, 100, true));
  net->relu = tg_module_add(&net->base, "relu", tg_nn_relu());
  net->linearLayer3 =
      tg_module_add(&net->base, "linearLayer3", tg_nn_linear(100, 3, true));
  return net;
}

#endif
