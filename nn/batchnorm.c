/* Batch normalisation, composed of tensor ops (so its backward, and the
 * backward of that, come from theirs). Training normalises with the batch
 * statistics and moves the running ones; eval uses the running ones.
 * Like PyTorch the running variance takes the unbiased batch variance. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nn/nn_internal.h"

/* Every dim but the channels (dim 1). */
static tg_shape reduce_dims(int ndim) {
  tg_shape dims = {0, {0}};
  for (int d = 0; d < ndim; d++)
    if (d != 1) dims.d[dims.ndim++] = d;
  return dims;
}

tg_tensor *tg_nn_per_channel(tg_tensor *v, int ndim) {
  tg_shape s = {ndim, {0}};
  for (int d = 0; d < ndim; d++) s.d[d] = d == 1 ? v->shape[0] : 1;
  return tg_view(v, s);
}

/* running = (1 - momentum) * running + momentum * batch, in double like
 * PyTorch's CPU kernel, then stored in the buffer's dtype. */
static void update_running(tg_tensor *running, tg_tensor *batch, double momentum,
                           double scale) {
  for (int64_t c = 0; c < tg_numel(running); c++) {
    double v = momentum * tg_get_flat(batch, c) * scale +
               (1 - momentum) * tg_get_flat(running, c);
    tg_set(running, &c, v);
  }
}

void tg_nn_check_per_channel(const char *fn, const char *what, const tg_tensor *t,
                             int64_t channels) {
  char s[TG_SHAPE_STR_MAX];
  if (t && (t->ndim != 1 || t->shape[0] != channels))
    tg_error("%s: %s of shape %s does not match %lld channels", fn, what,
             tg_shape_str(tg_shape_of(t), s), (long long)channels);
}

void tg_nn_affine_params(tg_module *m, tg_shape shape, bool affine, tg_tensor **weight,
                         tg_tensor **bias) {
  *weight = affine ? tg_nn_new_param(m, "weight", shape) : NULL;
  *bias = affine ? tg_nn_new_param(m, "bias", shape) : NULL;
  if (affine) {
    tg_init_ones_(*weight);
    tg_init_zeros_(*bias);
  } else {
    tg_module_register_parameter(m, "weight", NULL);
    tg_module_register_parameter(m, "bias", NULL);
  }
}

tg_tensor *tg_batch_norm(tg_tensor *x, tg_tensor *running_mean, tg_tensor *running_var,
                         tg_tensor *weight, tg_tensor *bias, bool training,
                         double momentum, double eps) {
  char s[TG_SHAPE_STR_MAX];
  if (x->ndim < 2 || !tg_is_floating(x->dtype))
    tg_error("tg_batch_norm: expected a floating input of shape (N, C, ...), got %s %s",
             tg_dtype_name(x->dtype), tg_shape_str(tg_shape_of(x), s));
  int64_t channels = x->shape[1];
  tg_nn_check_per_channel("tg_batch_norm", "weight", weight, channels);
  tg_nn_check_per_channel("tg_batch_norm", "bias", bias, channels);
  tg_nn_check_per_channel("tg_batch_norm", "running_mean", running_mean, channels);
  tg_nn_check_per_channel("tg_batch_norm", "running_var", running_var, channels);
  if (!training && (!running_mean || !running_var))
    tg_error("tg_batch_norm: eval mode needs running_mean and running_var");
  int64_t count = tg_numel(x) / (channels ? channels : 1);
  if (training && count <= 1)
    tg_error(
        "tg_batch_norm: expected more than 1 value per channel when training, got input "
        "of shape %s",
        tg_shape_str(tg_shape_of(x), s));
  tg_scope_begin();
  tg_tensor *mean, *var;
  if (training) {
    tg_shape dims = reduce_dims(x->ndim);
    mean = tg_mean(x, dims, false);
    var = tg_var(x, dims, 0, false);
    if (running_mean) {
      tg_no_grad_begin();
      update_running(running_mean, mean, momentum, 1);
      if (running_var)
        update_running(running_var, var, momentum, (double)count / (double)(count - 1));
      tg_no_grad_end();
    }
  } else {
    mean = running_mean;
    var = running_var;
  }
  tg_tensor *invstd = tg_div(tg_ones_like(var), tg_sqrt(tg_add_scalar(var, eps)));
  tg_tensor *y = tg_mul(tg_sub(x, tg_nn_per_channel(mean, x->ndim)),
                        tg_nn_per_channel(invstd, x->ndim));
  if (weight) y = tg_mul(y, tg_nn_per_channel(weight, x->ndim));
  if (bias) y = tg_add(y, tg_nn_per_channel(bias, x->ndim));
  return tg_scope_return(y);
}

/* ---- nn.BatchNorm1d / nn.BatchNorm2d ---- */

typedef struct batch_norm {
  tg_module base;
  int64_t num_features;
  double eps, momentum; /* momentum NAN: None, the cumulative average */
  tg_tensor *weight, *bias;
  /* NULL without track_running_stats */
  tg_tensor *running_mean, *running_var, *num_batches_tracked;
} batch_norm;

/* _BatchNorm.forward: count the batch, and with momentum None move the
 * running statistics by 1 / num_batches_tracked. Without running
 * statistics even eval normalises with the batch's. */
static tg_tensor *batch_norm_forward(tg_module *m, tg_tensor *x) {
  batch_norm *b = (batch_norm *)m;
  char s[TG_SHAPE_STR_MAX];
  bool is_2d = !strcmp(m->vtable->type_name, "BatchNorm2d");
  if (is_2d ? x->ndim != 4 : (x->ndim != 2 && x->ndim != 3))
    tg_error("%s: expected %s input, got shape %s", m->vtable->type_name,
             is_2d ? "4D (N, C, H, W)" : "2D (N, C) or 3D (N, C, L)",
             tg_shape_str(tg_shape_of(x), s));
  double factor = isnan(b->momentum) ? 0.0 : b->momentum;
  if (m->training && b->num_batches_tracked) {
    double batches = tg_item(b->num_batches_tracked) + 1;
    tg_fill_(b->num_batches_tracked, batches);
    if (isnan(b->momentum)) factor = 1.0 / batches;
  }
  bool batch_stats = m->training || !b->running_mean;
  return tg_batch_norm(x, b->running_mean, b->running_var, b->weight, b->bias,
                       batch_stats, factor, b->eps);
}

static void batch_norm_extra_repr(const tg_module *m, char *buf, size_t size) {
  const batch_norm *b = (const batch_norm *)m;
  char eps[40], momentum[40] = "None";
  tg_nn_float_repr(b->eps, eps, sizeof eps);
  if (!isnan(b->momentum)) tg_nn_float_repr(b->momentum, momentum, sizeof momentum);
  snprintf(buf, size, "%lld, eps=%s, momentum=%s, affine=%s, track_running_stats=%s",
           (long long)b->num_features, eps, momentum, b->weight ? "True" : "False",
           b->running_mean ? "True" : "False");
}

static const tg_module_vtable batch_norm1d_vtable = {"BatchNorm1d", batch_norm_forward,
                                                     NULL, batch_norm_extra_repr};
static const tg_module_vtable batch_norm2d_vtable = {"BatchNorm2d", batch_norm_forward,
                                                     NULL, batch_norm_extra_repr};

/* running_mean zeros, running_var ones, num_batches_tracked 0, or the
 * three registered as None. */
static void register_running_stats(batch_norm *b, bool track_running_stats) {
  if (!track_running_stats) {
    tg_module_register_buffer(&b->base, "running_mean", NULL);
    tg_module_register_buffer(&b->base, "running_var", NULL);
    tg_module_register_buffer(&b->base, "num_batches_tracked", NULL);
    return;
  }
  int64_t n = b->num_features;
  tg_scope_begin();
  b->running_mean = tg_module_register_buffer(&b->base, "running_mean",
                                              tg_zeros(TG_SHAPE(n), TG_FLOAT32));
  b->running_var = tg_module_register_buffer(&b->base, "running_var",
                                             tg_ones(TG_SHAPE(n), TG_FLOAT32));
  b->num_batches_tracked = tg_module_register_buffer(&b->base, "num_batches_tracked",
                                                     tg_zeros(TG_SCALAR_SHAPE, TG_INT64));
  tg_scope_end();
}

static tg_module *make(const tg_module_vtable *vtable, int64_t num_features, double eps,
                       double momentum, bool affine, bool track_running_stats) {
  if (num_features < 1 || !(eps > 0))
    tg_error("tg_nn_%s: need num_features >= 1 and eps > 0, got %lld and %g",
             vtable == &batch_norm1d_vtable ? "batch_norm1d" : "batch_norm2d",
             (long long)num_features, eps);
  batch_norm *b = tg_module_new(vtable, sizeof *b);
  b->num_features = num_features;
  b->eps = eps;
  b->momentum = momentum;
  tg_nn_affine_params(&b->base, TG_SHAPE(num_features), affine, &b->weight, &b->bias);
  register_running_stats(b, track_running_stats);
  return &b->base;
}

tg_module *tg_nn_batch_norm1d(int64_t num_features, double eps, double momentum,
                              bool affine, bool track_running_stats) {
  return make(&batch_norm1d_vtable, num_features, eps, momentum, affine,
              track_running_stats);
}

tg_module *tg_nn_batch_norm2d(int64_t num_features, double eps, double momentum,
                              bool affine, bool track_running_stats) {
  return make(&batch_norm2d_vtable, num_features, eps, momentum, affine,
              track_running_stats);
}
