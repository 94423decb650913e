/* torch.nn.init: the same formulas, evaluated in the same double
 * arithmetic, drawing from the one generator, so that a seeded init gives
 * PyTorch's numbers bit for bit. */
#include <math.h>
#include <string.h>

#include "nn/nn_internal.h"

double tg_calculate_gain(const char *nonlinearity, double param) {
  if (!nonlinearity)
    tg_error("tg_calculate_gain: nonlinearity is NULL (PyTorch's kaiming default is "
             "\"leaky_relu\")");
  static const char *const unit_gain[] = {
      "linear",           "conv1d",           "conv2d",           "conv3d",
      "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid"};
  for (size_t i = 0; i < sizeof unit_gain / sizeof *unit_gain; i++)
    if (!strcmp(nonlinearity, unit_gain[i])) return 1;
  if (!strcmp(nonlinearity, "tanh")) return 5.0 / 3;
  if (!strcmp(nonlinearity, "relu")) return sqrt(2.0);
  if (!strcmp(nonlinearity, "selu")) return 3.0 / 4;
  if (!strcmp(nonlinearity, "leaky_relu")) {
    double slope = isnan(param) ? 0.01 : param;
    return sqrt(2.0 / (1 + pow(slope, 2))); /* Python's slope ** 2 */
  }
  tg_error("tg_calculate_gain: unsupported nonlinearity \"%s\"", nonlinearity);
}

void tg_calculate_fan_in_and_fan_out(const tg_tensor *t, int64_t *fan_in,
                                     int64_t *fan_out) {
  if (t->ndim < 2) {
    char s[TG_SHAPE_STR_MAX];
    tg_error(
        "tg_calculate_fan_in_and_fan_out: fan in and fan out can not be computed for a "
        "tensor with fewer than 2 dimensions, got shape %s",
        tg_shape_str(tg_shape_of(t), s));
  }
  int64_t receptive = 1;
  for (int d = 2; d < t->ndim; d++) receptive *= t->shape[d];
  *fan_in = t->shape[1] * receptive;
  *fan_out = t->shape[0] * receptive;
}

static void check_float(const char *op, const tg_tensor *t) {
  if (!tg_is_floating(t->dtype))
    tg_error("%s: expected a floating tensor, got %s", op, tg_dtype_name(t->dtype));
}

/* tg_uniform_ and tg_normal_ reproduce torch's uniform_ and normal_ draw
 * for draw, fused multiply-adds included. Like torch.nn.init, the writes
 * run under no_grad: parameters are leaves that require grad. */
void tg_init_uniform_(tg_tensor *t, double a, double b) {
  check_float("tg_init_uniform_", t);
  tg_no_grad_begin();
  tg_uniform_(t, a, b);
  tg_no_grad_end();
}

void tg_init_normal_(tg_tensor *t, double mean, double std) {
  check_float("tg_init_normal_", t);
  if (!(std >= 0)) tg_error("tg_init_normal_: std must be non-negative, got %g", std);
  tg_no_grad_begin();
  tg_normal_(t, mean, std);
  tg_no_grad_end();
}

void tg_init_constant_(tg_tensor *t, double value) {
  tg_no_grad_begin();
  tg_fill_(t, value);
  tg_no_grad_end();
}
void tg_init_zeros_(tg_tensor *t) {
  tg_init_constant_(t, 0);
}
void tg_init_ones_(tg_tensor *t) {
  tg_init_constant_(t, 1);
}

static double xavier_std(const tg_tensor *t, double gain) {
  int64_t fan_in, fan_out;
  tg_calculate_fan_in_and_fan_out(t, &fan_in, &fan_out);
  return gain * sqrt(2.0 / (double)(fan_in + fan_out));
}

void tg_init_xavier_uniform_(tg_tensor *t, double gain) {
  double a = sqrt(3.0) * xavier_std(t, gain);
  tg_init_uniform_(t, -a, a);
}

void tg_init_xavier_normal_(tg_tensor *t, double gain) {
  tg_init_normal_(t, 0, xavier_std(t, gain));
}

/* gain / sqrt(fan); 0 for an empty tensor (PyTorch warns and skips it). */
static double kaiming_std(const tg_tensor *t, double a, tg_fan_mode mode,
                          const char *nonlinearity) {
  if (mode != TG_FAN_IN && mode != TG_FAN_OUT)
    tg_error("kaiming init: mode %d is neither TG_FAN_IN nor TG_FAN_OUT", (int)mode);
  int64_t fan_in, fan_out;
  tg_calculate_fan_in_and_fan_out(t, &fan_in, &fan_out);
  double gain = tg_calculate_gain(nonlinearity, a);
  return gain / sqrt((double)(mode == TG_FAN_IN ? fan_in : fan_out));
}

void tg_init_kaiming_uniform_(tg_tensor *t, double a, tg_fan_mode mode,
                              const char *nonlinearity) {
  double std = kaiming_std(t, a, mode, nonlinearity);
  if (tg_numel(t) == 0) return;
  double bound = sqrt(3.0) * std;
  tg_init_uniform_(t, -bound, bound);
}

void tg_init_kaiming_normal_(tg_tensor *t, double a, tg_fan_mode mode,
                             const char *nonlinearity) {
  double std = kaiming_std(t, a, mode, nonlinearity);
  if (tg_numel(t) == 0) return;
  tg_init_normal_(t, 0, std);
}
