/* Activation modules: thin wrappers over the tensor ops, one vtable each,
 * with PyTorch's reprs. */
#include <stdio.h>

#include "nn/nn_internal.h"

/* Modules with a number or two to remember (a slope, a dim, bounds). */
typedef struct activation {
  tg_module base;
  double slope; /* also ELU's alpha, Softplus's beta, Hardtanh's min_val */
  double limit; /* Softplus's threshold, Hardtanh's max_val */
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
static tg_tensor *silu_forward(tg_module *m, tg_tensor *x) {
  return tg_silu(x);
}
static tg_tensor *softplus_forward(tg_module *m, tg_tensor *x) {
  const activation *a = (const activation *)m;
  return tg_softplus(x, a->slope, a->limit);
}
static tg_tensor *elu_forward(tg_module *m, tg_tensor *x) {
  return tg_elu(x, ((activation *)m)->slope);
}
static tg_tensor *hardtanh_forward(tg_module *m, tg_tensor *x) {
  const activation *a = (const activation *)m;
  return tg_hardtanh(x, a->slope, a->limit);
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

/* PyTorch's defaults are ints here (beta=1, threshold=20): %g prints them so */
static void softplus_repr(const tg_module *m, char *buf, size_t size) {
  const activation *a = (const activation *)m;
  snprintf(buf, size, "beta=%g, threshold=%g", a->slope, a->limit);
}

static void elu_repr(const tg_module *m, char *buf, size_t size) {
  char v[40];
  tg_nn_float_repr(((const activation *)m)->slope, v, sizeof v);
  snprintf(buf, size, "alpha=%s", v);
}

static void hardtanh_repr(const tg_module *m, char *buf, size_t size) {
  const activation *a = (const activation *)m;
  char lo[40], hi[40];
  tg_nn_float_repr(a->slope, lo, sizeof lo);
  tg_nn_float_repr(a->limit, hi, sizeof hi);
  snprintf(buf, size, "min_val=%s, max_val=%s", lo, hi);
}

static void dim_repr(const tg_module *m, char *buf, size_t size) {
  snprintf(buf, size, "dim=%d", ((const activation *)m)->dim);
}

static const tg_module_vtable relu_vtable = {"ReLU", relu_forward};
static const tg_module_vtable sigmoid_vtable = {"Sigmoid", sigmoid_forward};
static const tg_module_vtable tanh_vtable = {"Tanh", tanh_forward};
static const tg_module_vtable leaky_relu_vtable = {"LeakyReLU", leaky_relu_forward, NULL,
                                                   slope_repr};
static const tg_module_vtable silu_vtable = {"SiLU", silu_forward};
static const tg_module_vtable softplus_vtable = {"Softplus", softplus_forward, NULL,
                                                 softplus_repr};
static const tg_module_vtable elu_vtable = {"ELU", elu_forward, NULL, elu_repr};
static const tg_module_vtable hardtanh_vtable = {"Hardtanh", hardtanh_forward, NULL,
                                                 hardtanh_repr};
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
tg_module *tg_nn_silu(void) {
  return make(&silu_vtable, 0, 0);
}
tg_module *tg_nn_softplus(double beta, double threshold) {
  if (beta == 0) tg_error("tg_nn_softplus: beta must not be zero");
  activation *a = (activation *)make(&softplus_vtable, beta, 0);
  a->limit = threshold;
  return &a->base;
}
tg_module *tg_nn_elu(double alpha) {
  return make(&elu_vtable, alpha, 0);
}
tg_module *tg_nn_hardtanh(double min_val, double max_val) {
  if (min_val > max_val)
    tg_error("tg_nn_hardtanh: min_val (%g) must not be greater than max_val (%g)",
             min_val, max_val);
  activation *a = (activation *)make(&hardtanh_vtable, min_val, 0);
  a->limit = max_val;
  return &a->base;
}
tg_module *tg_nn_softmax(int dim) {
  return make(&softmax_vtable, 0, dim);
}
tg_module *tg_nn_log_softmax(int dim) {
  return make(&log_softmax_vtable, 0, dim);
}
