/* Batch normalisation (F.batch_norm, nn.BatchNorm1d/2d). Training
 * normalises with the batch statistics and moves the running ones (the
 * running variance takes the unbiased batch variance); eval uses the
 * running ones. One op: the channel loops are nn/batchnorm_loops.inc. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nn/nn_internal.h"
#include "tensor/core.h"

tg_tensor *tg_nn_per_channel(tg_tensor *v, int ndim) {
  tg_shape s = {ndim, {0}};
  for (int d = 0; d < ndim; d++) s.d[d] = d == 1 ? v->shape[0] : 1;
  return tg_view(v, s);
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

/* ---- F.batch_norm as one op (NativeBatchNormBackward0): one pass per
 * channel forwards (statistics, running statistics, output) and one
 * backwards, the channels split over the pool ---- */

typedef struct bn_shape {
  int64_t batch, channels, plane; /* x as (N, C, plane) */
} bn_shape;

/* What a channel loop reads and writes; NULL where there is nothing. */
typedef struct bn_job {
  bn_shape shape;
  bool training;
  double eps, momentum;
  const void *x, *weight, *bias, *dy;
  void *y, *mean, *invstd; /* per channel: what the backward reads */
  void *running_mean, *running_var;
  int64_t mean_stride, var_stride; /* the running statistics' */
  void *dx, *dweight, *dbias;
} bn_job;

/* Channels whose statistics are summed side by side. */
enum { BN_GROUP = 8 };

#define TG_TEMPLATE "nn/batchnorm_loops.inc"
#include "tensor/for_float_types.inc"
#undef TG_TEMPLATE

typedef struct bn_args {
  bool training; /* normalised with the batch's statistics */
  double eps;
} bn_args;

static bn_shape shape_of(const tg_tensor *x) {
  int64_t plane = 1;
  for (int d = 2; d < x->ndim; d++) plane *= x->shape[d];
  return (bn_shape){x->shape[0], x->shape[1], plane};
}

/* Read-only data of an optional tensor, contiguous; detached, so no copy
 * is recorded. */
static const void *data_of(tg_tensor *t) {
  return t ? tg_ptr(tg_contiguous(tg_detach(t))) : NULL;
}

static void run_forward_f32(int64_t c0, int64_t c1, void *job) {
  bn_forward_channels_f32(job, c0, c1);
}
static void run_forward_f64(int64_t c0, int64_t c1, void *job) {
  bn_forward_channels_f64(job, c0, c1);
}
static void run_backward_f32(int64_t c0, int64_t c1, void *job) {
  bn_backward_channels_f32(job, c0, c1);
}
static void run_backward_f64(int64_t c0, int64_t c1, void *job) {
  bn_backward_channels_f64(job, c0, c1);
}

/* Channels [0, C) in chunks of whole channels: each channel's numbers are
 * one thread's, so the thread count never changes them. */
static void over_channels(const bn_job *j, tg_dtype dtype, bool backward) {
  void (*fn)(int64_t, int64_t, void *) =
      backward ? (dtype == TG_FLOAT32 ? run_backward_f32 : run_backward_f64)
               : (dtype == TG_FLOAT32 ? run_forward_f32 : run_forward_f64);
  tg_parallel_items(j->shape.channels, j->shape.batch * j->shape.plane, fn, (void *)j);
}

/* Every dim but the channels (dim 1). */
static tg_shape reduce_dims(int ndim) {
  tg_shape dims = {0, {0}};
  for (int d = 0; d < ndim; d++)
    if (d != 1) dims.d[dims.ndim++] = d;
  return dims;
}

/* The backward from differentiable ops, for create_graph: in training the
 * statistics are functions of x again. The gradients' grad_fn are named
 * NativeBatchNormBackwardBackward0, as PyTorch's. */
static void batch_norm_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  const bn_args *a = tg_node_args(node);
  tg_tensor *x = tg_node_input(node, 0), *w = tg_node_input(node, 1);
  tg_shape dims = reduce_dims(x->ndim);
  tg_tensor *mean, *invstd;
  if (a->training) {
    mean = tg_mean(x, dims, true);
    invstd = tg_pow_scalar(tg_add_scalar(tg_var(x, dims, 0, true), a->eps), -0.5);
  } else {
    mean = tg_nn_per_channel(tg_saved(node, 0), x->ndim);
    invstd = tg_nn_per_channel(tg_saved(node, 1), x->ndim);
  }
  tg_tensor *xhat = tg_mul(tg_sub(x, mean), invstd);
  tg_tensor *gw = w ? tg_mul(g, tg_nn_per_channel(w, x->ndim)) : g;
  if (tg_needs_input_grad(node, 0)) {
    if (a->training)
      gw = tg_sub(tg_sub(gw, tg_mean(gw, dims, true)),
                  tg_mul(xhat, tg_mean(tg_mul(gw, xhat), dims, true)));
    grads[0] = tg_mul(gw, invstd);
  }
  if (tg_needs_input_grad(node, 1)) grads[1] = tg_sum(tg_mul(g, xhat), dims, false);
  if (tg_needs_input_grad(node, 2)) grads[2] = tg_sum(g, dims, false);
  for (int i = 0; i < 3; i++) /* recorded (create_graph): PyTorch's one node's name */
    if (grads[i]) tg_name_grad_fn(grads[i], g, "NativeBatchNormBackwardBackward0");
}

/* The same gradients in one pass per channel (ATen's rounding). */
static void batch_norm_backward_fused(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  const bn_args *a = tg_node_args(node);
  tg_tensor *x = tg_node_input(node, 0);
  if (g->dtype != x->dtype || !tg_shape_equal(tg_shape_of(g), tg_shape_of(x))) {
    batch_norm_backward(node, g, grads);
    return;
  }
  int64_t channels = x->shape[1];
  bn_job j = {.shape = shape_of(x),
              .training = a->training,
              .x = data_of(x),
              .weight = data_of(tg_node_input(node, 1)),
              .dy = tg_ptr(tg_contiguous(g)),
              .mean = tg_ptr(tg_saved(node, 0)),
              .invstd = tg_ptr(tg_saved(node, 1))};
  if (tg_needs_input_grad(node, 0)) {
    grads[0] = tg_alloc(tg_shape_of(x), x->dtype);
    j.dx = tg_ptr(grads[0]);
  }
  for (int i = 1; i <= 2; i++)
    if (tg_needs_input_grad(node, i)) grads[i] = tg_alloc(TG_SHAPE(channels), x->dtype);
  j.dweight = grads[1] ? tg_ptr(grads[1]) : NULL;
  j.dbias = grads[2] ? tg_ptr(grads[2]) : NULL;
  over_channels(&j, x->dtype, true);
}

const tg_op tg_op_batch_norm = {.name = "NativeBatchNormBackward0",
                                .backward = batch_norm_backward,
                                .backward_fused = batch_norm_backward_fused,
                                .args_size = sizeof(bn_args),
                                .keeps_inputs = TG_KEEPS(TG_INPUT(0) | TG_INPUT(1), 0)};

/* A running statistic's data and stride; training writes it in place,
 * so its version moves. */
static void *running_data(tg_tensor *t, bool training, int64_t *stride) {
  if (!t) return NULL;
  if (training) tg_bump_version(t);
  *stride = t->strides[0];
  return tg_ptr(t);
}

static void check_arguments(tg_tensor *x, tg_tensor *running_mean, tg_tensor *running_var,
                            tg_tensor *weight, tg_tensor *bias, bool training) {
  char s[TG_SHAPE_STR_MAX];
  if (x->ndim < 2 || !tg_is_floating(x->dtype))
    tg_error("tg_batch_norm: expected a floating input of shape (N, C, ...), got %s %s",
             tg_dtype_name(x->dtype), tg_shape_str(tg_shape_of(x), s));
  int64_t channels = x->shape[1];
  const char *names[4] = {"weight", "bias", "running_mean", "running_var"};
  tg_tensor *per_channel[4] = {weight, bias, running_mean, running_var};
  for (int i = 0; i < 4; i++) {
    tg_nn_check_per_channel("tg_batch_norm", names[i], per_channel[i], channels);
    if (per_channel[i] && !tg_is_floating(per_channel[i]->dtype))
      tg_error("tg_batch_norm: expected a floating %s, got %s", names[i],
               tg_dtype_name(per_channel[i]->dtype));
  }
  if (!training && (!running_mean || !running_var))
    tg_error("tg_batch_norm: eval mode needs running_mean and running_var");
  if (training && tg_numel(x) / (channels ? channels : 1) <= 1)
    tg_error(
        "tg_batch_norm: expected more than 1 value per channel when training, got input "
        "of shape %s",
        tg_shape_str(tg_shape_of(x), s));
}

tg_tensor *tg_batch_norm(tg_tensor *x, tg_tensor *running_mean, tg_tensor *running_var,
                         tg_tensor *weight, tg_tensor *bias, bool training,
                         double momentum, double eps) {
  check_arguments(x, running_mean, running_var, weight, bias, training);
  tg_tensor *y = tg_alloc(tg_shape_of(x), x->dtype);
  tg_scope_begin();
  int64_t channels = x->shape[1];
  /* A float32 module may take float64 input and the other way round: its
   * tensors are converted to the input's dtype (weight and bias by a
   * recorded cast, so their gradients come back in their own dtype), and
   * the running statistics written back. */
  weight = weight ? tg_to(weight, x->dtype) : NULL;
  bias = bias ? tg_to(bias, x->dtype) : NULL;
  tg_tensor *run_mean = running_mean ? tg_to(running_mean, x->dtype) : NULL,
            *run_var = running_var ? tg_to(running_var, x->dtype) : NULL;
  tg_tensor *mean = tg_alloc(TG_SHAPE(channels), x->dtype),
            *invstd = tg_alloc(TG_SHAPE(channels), x->dtype);
  bn_job j = {.shape = shape_of(x),
              .training = training,
              .eps = eps,
              .momentum = momentum,
              .x = data_of(x),
              .weight = data_of(weight),
              .bias = data_of(bias),
              .y = tg_ptr(y),
              .mean = tg_ptr(mean),
              .invstd = tg_ptr(invstd)};
  j.running_mean = running_data(run_mean, training, &j.mean_stride);
  j.running_var = running_data(run_var, training, &j.var_stride);
  over_channels(&j, x->dtype, false);
  if (training && run_mean != running_mean) tg_copy_(running_mean, run_mean);
  if (training && run_var != running_var) tg_copy_(running_var, run_var);
  tg_node *node = tg_record(&tg_op_batch_norm, y, 3, (tg_tensor *[]){x, weight, bias});
  if (node) {
    *(bn_args *)tg_node_args(node) = (bn_args){training, eps};
    tg_save(node, mean);
    tg_save(node, invstd);
  }
  tg_scope_end();
  return y;
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
