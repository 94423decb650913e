/* nn.Linear: y = x W^T + b through tg_linear, with PyTorch's default
 * initialisation (shared with Conv2d). */
#include <math.h>
#include <stdio.h>

#include "nn/nn_internal.h"

typedef struct linear {
  tg_module base;
  int64_t in_features, out_features;
  tg_tensor *weight, *bias; /* owned by base */
} linear;

void tg_nn_default_init(tg_tensor *weight, tg_tensor *bias) {
  tg_init_kaiming_uniform_(weight, sqrt(5.0), TG_FAN_IN, "leaky_relu");
  if (!bias) return;
  int64_t fan_in, fan_out;
  tg_calculate_fan_in_and_fan_out(weight, &fan_in, &fan_out);
  double bound = fan_in > 0 ? 1 / sqrt((double)fan_in) : 0;
  tg_init_uniform_(bias, -bound, bound);
}

static tg_tensor *linear_forward(tg_module *m, tg_tensor *x) {
  linear *l = (linear *)m;
  return tg_linear(x, l->weight, l->bias);
}

static void linear_extra_repr(const tg_module *m, char *buf, size_t size) {
  const linear *l = (const linear *)m;
  snprintf(buf, size, "in_features=%lld, out_features=%lld, bias=%s",
           (long long)l->in_features, (long long)l->out_features,
           l->bias ? "True" : "False");
}

static const tg_module_vtable linear_vtable = {"Linear", linear_forward, NULL,
                                               linear_extra_repr};

tg_module *tg_nn_linear(int64_t in_features, int64_t out_features, bool bias) {
  if (in_features < 0 || out_features < 0)
    tg_error(
        "tg_nn_linear: in_features (%lld) and out_features (%lld) must not be negative",
        (long long)in_features, (long long)out_features);
  linear *l = tg_module_new(&linear_vtable, sizeof *l);
  l->in_features = in_features;
  l->out_features = out_features;
  l->weight = tg_nn_new_param(&l->base, "weight", TG_SHAPE(out_features, in_features));
  l->bias = bias ? tg_nn_new_param(&l->base, "bias", TG_SHAPE(out_features))
                 : tg_module_register_parameter(&l->base, "bias", NULL);
  tg_nn_default_init(l->weight, l->bias);
  return &l->base;
}
