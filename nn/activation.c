/* Activation modules: thin wrappers over the tensor ops, one vtable each,
 * with PyTorch's reprs. */
#include <stdio.h>

#include "nn/nn_internal.h"

/* Modules with one number to remember (a slope, a dim). */
typedef struct activation {
  tg_module base;
  double slope;
  int dim;
} activation;

static tg_tensor *relu_forward(tg_module *m, tg_tensor *x) {
  return tg_relu(x);
}
static tg_tensor *sigmoid_forward(tg_module *m, tg_tensor *x) {
  return tg_sigmoid(x);
}
static tg_tensor *tanh_forward(tg_module *m, tg_tensor *x) {
  return tg_tanh(x);
}

static tg_tensor *leaky_relu_forward(tg_module *m, tg_tensor *x) {
  return tg_leaky_relu(x, ((activation *)m)->slope);
}

static tg_tensor *softmax_forward(tg_module *m, tg_tensor *x) {
  return tg_softmax(x, ((activation *)m)->dim);
}

static tg_tensor *log_softmax_forward(tg_module *m, tg_tensor *x) {
  return tg_log_softmax(x, ((activation *)m)->dim);
}

static void slope_repr(const tg_module *m, char *buf, size_t size) {
  char v[40];
  tg_nn_float_repr(((const activation *)m)->slope, v, sizeof v);
  snprintf(buf, size, "negative_slope=%s", v);
}

static void dim_repr(const tg_module *m, char *buf, size_t size) {
  snprintf(buf, size, "dim=%d", ((const activation *)m)->dim);
}

static const tg_module_vtable relu_vtable = {"ReLU", relu_forward};
static const tg_module_vtable sigmoid_vtable = {"Sigmoid", sigmoid_forward};
static const tg_module_vtable tanh_vtable = {"Tanh", tanh_forward};
static const tg_module_vtable leaky_relu_vtable = {"LeakyReLU", leaky_relu_forward, NULL,
                                                   slope_repr};
static const tg_module_vtable softmax_vtable = {"Softmax", softmax_forward, NULL,
                                                dim_repr};
static const tg_module_vtable log_softmax_vtable = {"LogSoftmax", log_softmax_forward,
                                                    NULL, dim_repr};

static tg_module *make(const tg_module_vtable *vtable, double slope, int dim) {
  activation *a = tg_module_new(vtable, sizeof *a);
  a->slope = slope;
  a->dim = dim;
  return &a->base;
}

tg_module *tg_nn_relu(void) {
  return make(&relu_vtable, 0, 0);
}
tg_module *tg_nn_sigmoid(void) {
  return make(&sigmoid_vtable, 0, 0);
}
tg_module *tg_nn_tanh(void) {
  return make(&tanh_vtable, 0, 0);
}
tg_module *tg_nn_leaky_relu(double negative_slope) {
  return make(&leaky_relu_vtable, negative_slope, 0);
}
tg_module *tg_nn_softmax(int dim) {
  return make(&softmax_vtable, 0, dim);
}
tg_module *tg_nn_log_softmax(int dim) {
  return make(&log_softmax_vtable, 0, dim);
}
