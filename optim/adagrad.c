/* Adagrad: torch.optim.Adagrad's single-tensor step in PyTorch 1.13. Like
 * PyTorch, the state (step 0, sum = initial_accumulator_value) is made as
 * soon as a parameter joins the optimizer. */
#include "optim/internal.h"

enum { SUM };

typedef struct adagrad_ctx {
  const tg_adagrad_options *o;
  double clr; /* the decayed lr of this step */
} adagrad_ctx;

#define TG_TEMPLATE "optim/adagrad_loop.inc"
#include "tensor/for_float_types.inc"
#undef TG_TEMPLATE

static void adagrad_init(const void *options, tg_tensor *param, optim_param_state *st) {
  const tg_adagrad_options *o = options;
  bool created;
  tg_optim_buffer(st, SUM, param, o->initial_accumulator_value, &created);
  st->step = 0;
  st->exists = true;
}

static void adagrad_update(const void *options, tg_tensor *param, tg_tensor *grad,
                           optim_param_state *st) {
  const tg_adagrad_options *o = options;
  if (!st->buffers[SUM]) adagrad_init(options, param, st); /* state dict lacked it */
  st->step += 1;
  adagrad_ctx ctx = {o, o->lr / (1 + (st->step - 1) * o->lr_decay)};
  tg_optim_run(param, grad, st->buffers, adagrad_f32, adagrad_f64, &ctx);
}

static bool adagrad_check(const void *options, char *msg, size_t size) {
  const tg_adagrad_options *o = options;
  /* eps 0 with no initial accumulator divides 0 by 0 where a gradient is 0 */
  return tg_optim_check_defaults_given(o->eps == 0 && o->initial_accumulator_value == 0,
                                       "eps and initial_accumulator_value",
                                       "eps 1e-10, initial_accumulator_value 0", msg,
                                       size) &&
         tg_optim_check_nonneg("learning rate", o->lr, msg, size) &&
         tg_optim_check_nonneg("lr_decay value", o->lr_decay, msg, size) &&
         tg_optim_check_nonneg("weight_decay value", o->weight_decay, msg, size) &&
         tg_optim_check_nonneg("initial_accumulator_value value",
                               o->initial_accumulator_value, msg, size) &&
         tg_optim_check_nonneg("epsilon value", o->eps, msg, size);
}

#define FIELD(name, is_bool)                                                             \
  { #name, offsetof(tg_adagrad_options, name), is_bool }
static const optim_vtable adagrad_vtable = {
    .name = "Adagrad",
    .constructor = "tg_adagrad",
    .options_size = sizeof(tg_adagrad_options),
    .n_fields = 6,
    .fields = {FIELD(lr, false), FIELD(lr_decay, false), FIELD(weight_decay, false),
               FIELD(initial_accumulator_value, false), FIELD(eps, false),
               FIELD(maximize, true)},
    .n_buffers = 1,
    .buffer_names = {"sum"},
    .has_step = true,
    .check = adagrad_check,
    .init_state = adagrad_init,
    .update = adagrad_update,
};

tg_optimizer *tg_adagrad(tg_params params, tg_adagrad_options options) {
  return tg_optim_create(&adagrad_vtable, params, &options);
}

void tg_adagrad_add_param_group(tg_optimizer *opt, tg_params params,
                                tg_adagrad_options options) {
  tg_optim_add_group(opt, &adagrad_vtable, "tg_adagrad_add_param_group", params,
                     &options);
}
