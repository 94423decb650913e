/* nn.Conv1d and nn.Conv2d: PyTorch's parameter names, shapes, checks,
 * initialisation and repr over tg_conv1d / tg_conv2d. */
#include <stdio.h>

#include "nn/nn_internal.h"

typedef struct conv {
  tg_module base;
  int spatial; /* 1: Conv1d, 2: Conv2d */
  int64_t in_channels, out_channels, kernel[2];
  tg_conv_opts opts; /* zeros filled in with the defaults */
  tg_tensor *weight, *bias;
} conv;

static tg_tensor *conv_forward(tg_module *m, tg_tensor *x) {
  conv *c = (conv *)m;
  return c->spatial == 2 ? tg_conv2d(x, c->weight, c->bias, &c->opts)
                         : tg_conv1d(x, c->weight, c->bias, &c->opts);
}

/* Python's repr of an int tuple of the module's rank: "(5, 5)" or "(3,)". */
static const char *tuple(const conv *c, const int64_t *v, char *buf, size_t size) {
  if (c->spatial == 2)
    snprintf(buf, size, "(%lld, %lld)", (long long)v[0], (long long)v[1]);
  else
    snprintf(buf, size, "(%lld,)", (long long)v[0]);
  return buf;
}

static bool all_equal(const conv *c, const int64_t *v, int64_t value) {
  return v[0] == value && (c->spatial == 1 || v[1] == value);
}

/* PyTorch's _ConvNd.extra_repr: what differs from the defaults. */
static void conv_extra_repr(const tg_module *m, char *buf, size_t size) {
  const conv *c = (const conv *)m;
  const tg_conv_opts *o = &c->opts;
  char k[48], s[48], p[48], d[48];
  const char *padding = o->padding_rule == TG_PADDING_SAME    ? "same"
                        : o->padding_rule == TG_PADDING_VALID ? "valid"
                        : all_equal(c, o->padding, 0)         ? NULL
                                                      : tuple(c, o->padding, p, 48);
  int n = snprintf(buf, size, "%lld, %lld, kernel_size=%s, stride=%s",
                   (long long)c->in_channels, (long long)c->out_channels,
                   tuple(c, c->kernel, k, sizeof k), tuple(c, o->stride, s, sizeof s));
  if (n >= 0 && padding && (size_t)n < size)
    n += snprintf(buf + n, size - (size_t)n, ", padding=%s", padding);
  if (n >= 0 && !all_equal(c, o->dilation, 1) && (size_t)n < size)
    n += snprintf(buf + n, size - (size_t)n, ", dilation=%s",
                  tuple(c, o->dilation, d, sizeof d));
  if (n >= 0 && o->groups != 1 && (size_t)n < size)
    n += snprintf(buf + n, size - (size_t)n, ", groups=%lld", (long long)o->groups);
  if (n >= 0 && !c->bias && (size_t)n < size)
    snprintf(buf + n, size - (size_t)n, ", bias=False");
}

static const tg_module_vtable conv2d_vtable = {"Conv2d", conv_forward, NULL,
                                               conv_extra_repr};
static const tg_module_vtable conv1d_vtable = {"Conv1d", conv_forward, NULL,
                                               conv_extra_repr};

static int64_t or_one(int64_t v) {
  return v ? v : 1;
}

/* PyTorch's _ConvNd.__init__ checks, then the options with their defaults. */
static tg_conv_opts module_options(const char *op, int spatial, int64_t in_channels,
                                   int64_t out_channels, const int64_t *kernel,
                                   const tg_conv_opts *opts) {
  tg_conv_opts o = opts ? *opts : (tg_conv_opts){0};
  if (in_channels < 1 || out_channels < 1 || kernel[0] < 1 || kernel[1] < 1)
    tg_error("%s: in_channels (%lld), out_channels (%lld) and kernel_size (%lld, %lld) "
             "must be positive",
             op, (long long)in_channels, (long long)out_channels, (long long)kernel[0],
             (long long)kernel[spatial - 1]);
  if (o.groups < 0) tg_error("%s: groups must be a positive integer", op);
  o.groups = or_one(o.groups);
  if (in_channels % o.groups) tg_error("%s: in_channels must be divisible by groups", op);
  if (out_channels % o.groups)
    tg_error("%s: out_channels must be divisible by groups", op);
  for (int i = 0; i < spatial; i++) {
    o.stride[i] = or_one(o.stride[i]);
    o.dilation[i] = or_one(o.dilation[i]);
    if (o.stride[i] < 0 || o.dilation[i] < 0 || o.padding[i] < 0)
      tg_error("%s: stride and dilation must be positive and padding not negative", op);
    if (o.padding_rule == TG_PADDING_SAME && o.stride[i] != 1)
      tg_error("%s: padding='same' is not supported for strided convolutions", op);
  }
  return o;
}

static tg_module *conv_new(const char *op, int spatial, int64_t in_channels,
                           int64_t out_channels, const int64_t *kernel, bool bias,
                           const tg_conv_opts *opts) {
  tg_conv_opts o = module_options(op, spatial, in_channels, out_channels, kernel, opts);
  conv *c = tg_module_new(spatial == 2 ? &conv2d_vtable : &conv1d_vtable, sizeof *c);
  *c = (conv){c->base, spatial, in_channels, out_channels, {kernel[0], kernel[1]},
              o,       NULL,    NULL};
  int64_t per_group = in_channels / o.groups;
  tg_shape shape = spatial == 2 ? TG_SHAPE(out_channels, per_group, kernel[0], kernel[1])
                                : TG_SHAPE(out_channels, per_group, kernel[0]);
  c->weight = tg_nn_new_param(&c->base, "weight", shape);
  c->bias = bias ? tg_nn_new_param(&c->base, "bias", TG_SHAPE(out_channels))
                 : tg_module_register_parameter(&c->base, "bias", NULL);
  tg_nn_default_init(c->weight, c->bias);
  return &c->base;
}

tg_module *tg_nn_conv2d_opts(int64_t in_channels, int64_t out_channels, int64_t kh,
                             int64_t kw, bool bias, const tg_conv_opts *opts) {
  return conv_new("tg_nn_conv2d", 2, in_channels, out_channels, (int64_t[]){kh, kw}, bias,
                  opts);
}

tg_module *tg_nn_conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel_size,
                        int64_t stride, int64_t padding, bool bias) {
  if (stride < 1 || padding < 0)
    tg_error("tg_nn_conv2d: stride (%lld) must be positive and padding (%lld) not "
             "negative",
             (long long)stride, (long long)padding);
  tg_conv_opts o = {.stride = {stride, stride}, .padding = {padding, padding}};
  return tg_nn_conv2d_opts(in_channels, out_channels, kernel_size, kernel_size, bias, &o);
}

tg_module *tg_nn_conv1d(int64_t in_channels, int64_t out_channels, int64_t kernel_size,
                        bool bias, const tg_conv_opts *opts) {
  return conv_new("tg_nn_conv1d", 1, in_channels, out_channels,
                  (int64_t[]){kernel_size, kernel_size}, bias, opts);
}
