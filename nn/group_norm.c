/* nn.GroupNorm, composed of tensor ops (so its backward, and the backward
 * of that, come from theirs): the channels of each sample split into
 * num_groups groups, each normalised with its own mean and biased
 * variance, then a per-channel affine. */
#include <stdio.h>

#include "nn/nn_internal.h"

tg_tensor *tg_group_norm(tg_tensor *x, int64_t num_groups, tg_tensor *weight,
                         tg_tensor *bias, double eps) {
  char s[TG_SHAPE_STR_MAX];
  if (x->ndim < 2 || !tg_is_floating(x->dtype))
    tg_error("tg_group_norm: expected a floating input of shape (N, C, ...), got %s %s",
             tg_dtype_name(x->dtype), tg_shape_str(tg_shape_of(x), s));
  int64_t channels = x->shape[1];
  if (num_groups < 1 || channels % num_groups != 0)
    tg_error("tg_group_norm: expected number of channels in input to be divisible by "
             "num_groups, but got input of shape %s and num_groups=%lld",
             tg_shape_str(tg_shape_of(x), s), (long long)num_groups);
  tg_nn_check_per_channel("tg_group_norm", "weight", weight, channels);
  tg_nn_check_per_channel("tg_group_norm", "bias", bias, channels);
  tg_scope_begin();
  int64_t group_size = channels / num_groups; /* times the spatial dims; no -1, */
  for (int d = 2; d < x->ndim; d++) group_size *= x->shape[d]; /* ambiguous for N = 0 */
  tg_tensor *groups = tg_reshape(x, TG_SHAPE(x->shape[0], num_groups, group_size));
  tg_tensor *mean = tg_mean(groups, TG_SHAPE(2), true);
  tg_tensor *var = tg_var(groups, TG_SHAPE(2), 0, true);
  tg_tensor *normed =
      tg_mul(tg_sub(groups, mean), tg_pow_scalar(tg_add_scalar(var, eps), -0.5));
  tg_tensor *y = tg_reshape(normed, tg_shape_of(x));
  if (weight) y = tg_mul(y, tg_nn_per_channel(weight, x->ndim));
  if (bias) y = tg_add(y, tg_nn_per_channel(bias, x->ndim));
  return tg_scope_return(y);
}

typedef struct group_norm {
  tg_module base;
  int64_t num_groups, num_channels;
  double eps;
  tg_tensor *weight, *bias; /* owned by base; NULL without affine */
} group_norm;

static tg_tensor *group_norm_forward(tg_module *m, tg_tensor *x) {
  group_norm *g = (group_norm *)m;
  return tg_group_norm(x, g->num_groups, g->weight, g->bias, g->eps);
}

static void group_norm_extra_repr(const tg_module *m, char *buf, size_t size) {
  const group_norm *g = (const group_norm *)m;
  char eps[40];
  tg_nn_float_repr(g->eps, eps, sizeof eps);
  snprintf(buf, size, "%lld, %lld, eps=%s, affine=%s", (long long)g->num_groups,
           (long long)g->num_channels, eps, g->weight ? "True" : "False");
}

static const tg_module_vtable group_norm_vtable = {"GroupNorm", group_norm_forward, NULL,
                                                   group_norm_extra_repr};

tg_module *tg_nn_group_norm(int64_t num_groups, int64_t num_channels, double eps,
                            bool affine) {
  if (num_groups < 1 || num_channels < 1 || num_channels % num_groups != 0)
    tg_error("tg_nn_group_norm: num_channels must be divisible by num_groups, got "
             "num_groups=%lld and num_channels=%lld",
             (long long)num_groups, (long long)num_channels);
  group_norm *g = tg_module_new(&group_norm_vtable, sizeof *g);
  g->num_groups = num_groups;
  g->num_channels = num_channels;
  g->eps = eps;
  tg_nn_affine_params(&g->base, TG_SHAPE(num_channels), affine, &g->weight, &g->bias);
  return &g->base;
}
