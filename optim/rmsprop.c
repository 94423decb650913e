/* RMSprop, centered or not, with momentum: torch.optim.RMSprop's
 * single-tensor step in PyTorch 1.13. eps is added outside the sqrt. */
#include "optim/internal.h"

enum { SQUARE_AVG, MOMENTUM_BUFFER, GRAD_AVG };

#define TG_TEMPLATE "optim/rmsprop_loop.inc"
#include "tensor/for_float_types.inc"
#undef TG_TEMPLATE

static void rmsprop_update(const void *options, tg_tensor *param, tg_tensor *grad,
                           optim_param_state *st) {
  const tg_rmsprop_options *o = options;
  bool created;
  tg_tensor *bufs[3] = {tg_optim_buffer(st, SQUARE_AVG, param, 0, &created), NULL, NULL};
  if (o->momentum > 0)
    bufs[MOMENTUM_BUFFER] = tg_optim_buffer(st, MOMENTUM_BUFFER, param, 0, &created);
  if (o->centered) bufs[GRAD_AVG] = tg_optim_buffer(st, GRAD_AVG, param, 0, &created);
  st->exists = true;
  st->step += 1;
  tg_optim_run(param, grad, bufs, rmsprop_f32, rmsprop_f64, o);
}

static bool rmsprop_check(const void *options, char *msg, size_t size) {
  const tg_rmsprop_options *o = options;
  return tg_optim_check_defaults_given(o->alpha == 0 && o->eps == 0, "alpha and eps",
                                       "alpha 0.99, eps 1e-08", msg, size) &&
         tg_optim_check_nonneg("learning rate", o->lr, msg, size) &&
         tg_optim_check_nonneg("epsilon value", o->eps, msg, size) &&
         tg_optim_check_nonneg("momentum value", o->momentum, msg, size) &&
         tg_optim_check_nonneg("weight_decay value", o->weight_decay, msg, size) &&
         tg_optim_check_nonneg("alpha value", o->alpha, msg, size);
}

#define FIELD(name, is_bool)                                                             \
  { #name, offsetof(tg_rmsprop_options, name), is_bool }
static const optim_vtable rmsprop_vtable = {
    .name = "RMSprop",
    .constructor = "tg_rmsprop",
    .options_size = sizeof(tg_rmsprop_options),
    .n_fields = 7,
    .fields = {FIELD(lr, false), FIELD(alpha, false), FIELD(eps, false),
               FIELD(weight_decay, false), FIELD(momentum, false), FIELD(centered, true),
               FIELD(maximize, true)},
    .n_buffers = 3,
    .buffer_names = {"square_avg", "momentum_buffer", "grad_avg"},
    .has_step = true,
    .check = rmsprop_check,
    .update = rmsprop_update,
};

tg_optimizer *tg_rmsprop(tg_params params, tg_rmsprop_options options) {
  return tg_optim_create(&rmsprop_vtable, params, &options);
}

void tg_rmsprop_add_param_group(tg_optimizer *opt, tg_params params,
                                tg_rmsprop_options options) {
  tg_optim_add_group(opt, &rmsprop_vtable, "tg_rmsprop_add_param_group", params,
                     &options);
}
