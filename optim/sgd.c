/* SGD with momentum, dampening, Nesterov, weight decay and maximize:
 * torch.optim.SGD's single-tensor step in PyTorch 1.13 (see optim.h). */
#include <math.h>
#include <stdio.h>

#include "optim/internal.h"

enum { MOMENTUM_BUFFER };

typedef struct sgd_ctx {
  const tg_sgd_options *o;
  bool first; /* the buffer was just made: PyTorch clones d_p into it */
} sgd_ctx;

#define TG_TEMPLATE "optim/sgd_loop.inc"
#include "tensor/for_float_types.inc"
#undef TG_TEMPLATE

static void sgd_update(const void *options, tg_tensor *param, tg_tensor *grad,
                       optim_param_state *st) {
  const tg_sgd_options *o = options;
  sgd_ctx ctx = {o, false};
  tg_tensor *bufs[TG_OPTIM_MAX_BUFFERS] = {NULL};
  if (o->momentum != 0)
    bufs[MOMENTUM_BUFFER] = tg_optim_buffer(st, MOMENTUM_BUFFER, param, 0, &ctx.first);
  st->exists = true;
  tg_optim_run(param, grad, bufs, sgd_f32, sgd_f64, &ctx);
}

static bool sgd_check(const void *options, char *msg, size_t size) {
  const tg_sgd_options *o = options;
  if (isnan(o->lr)) {
    snprintf(msg, size, "lr is required (TG_SGD_DEFAULTS leaves it unset)");
    return false;
  }
  if (!tg_optim_check_nonneg("learning rate", o->lr, msg, size) ||
      !tg_optim_check_nonneg("momentum value", o->momentum, msg, size) ||
      !tg_optim_check_nonneg("weight_decay value", o->weight_decay, msg, size))
    return false;
  if (o->nesterov && (o->momentum <= 0 || o->dampening != 0)) {
    snprintf(msg, size, "Nesterov momentum requires a momentum and zero dampening");
    return false;
  }
  return true;
}

#define FIELD(name, is_bool)                                                             \
  { #name, offsetof(tg_sgd_options, name), is_bool }
static const optim_vtable sgd_vtable = {
    .name = "SGD",
    .constructor = "tg_sgd",
    .options_size = sizeof(tg_sgd_options),
    .n_fields = 6,
    .fields = {FIELD(lr, false), FIELD(momentum, false), FIELD(dampening, false),
               FIELD(weight_decay, false), FIELD(nesterov, true), FIELD(maximize, true)},
    .n_buffers = 1,
    .buffer_names = {"momentum_buffer"},
    .check = sgd_check,
    .update = sgd_update,
};

tg_optimizer *tg_sgd(tg_params params, tg_sgd_options options) {
  return tg_optim_create(&sgd_vtable, params, &options);
}

void tg_sgd_add_param_group(tg_optimizer *opt, tg_params params, tg_sgd_options options) {
  tg_optim_add_group(opt, &sgd_vtable, "tg_sgd_add_param_group", params, &options);
}
