/* Adam and AdamW: torch.optim.Adam / AdamW single-tensor steps in PyTorch
 * 1.13, including the bias correction as that code computes it (step_size
 * = lr / (1 - beta1^t), denominator sqrt(v) / sqrt(1 - beta2^t) + eps). The
 * two differ only in how weight decay enters. */
#include <stdio.h>

#include "optim/internal.h"

enum { EXP_AVG, EXP_AVG_SQ, MAX_EXP_AVG_SQ };

/* One step of one parameter: the options and the scalars PyTorch computes
 * in Python (double) from them. */
typedef struct adam_ctx {
  const tg_adam_options *o;
  bool decoupled;   /* AdamW */
  double step_size; /* lr / bias_correction1 */
  double bias_correction2_sqrt;
} adam_ctx;

#define TG_TEMPLATE "optim/adam_loop.inc"
#include "tensor/for_float_types.inc"
#undef TG_TEMPLATE

static void update(const void *options, tg_tensor *param, tg_tensor *grad,
                   optim_param_state *st, bool decoupled) {
  const tg_adam_options *o = options;
  bool created;
  tg_tensor *bufs[3] = {tg_optim_buffer(st, EXP_AVG, param, 0, &created),
                        tg_optim_buffer(st, EXP_AVG_SQ, param, 0, &created), NULL};
  if (o->amsgrad)
    bufs[MAX_EXP_AVG_SQ] = tg_optim_buffer(st, MAX_EXP_AVG_SQ, param, 0, &created);
  st->exists = true;
  st->step += 1;
  adam_ctx ctx = {.o = o,
                  .decoupled = decoupled,
                  .step_size = o->lr / (1 - pow(o->betas[0], st->step)),
                  .bias_correction2_sqrt = sqrt(1 - pow(o->betas[1], st->step))};
  tg_optim_run(param, grad, bufs, adam_f32, adam_f64, &ctx);
}

static void adam_update(const void *options, tg_tensor *param, tg_tensor *grad,
                        optim_param_state *st) {
  update(options, param, grad, st, false);
}

static void adamw_update(const void *options, tg_tensor *param, tg_tensor *grad,
                         optim_param_state *st) {
  update(options, param, grad, st, true);
}

static bool adam_check(const void *options, char *msg, size_t size) {
  const tg_adam_options *o = options;
  return tg_optim_check_adam_like(o->lr, o->eps, o->betas, o->weight_decay, msg, size);
}

#define FIELD(name, is_bool)                                                             \
  { #name, offsetof(tg_adam_options, name), is_bool }
#define ADAM_FIELDS                                                                      \
  .n_fields = 7,                                                                         \
  .fields = {FIELD(lr, false),                                                           \
             {"betas.0", offsetof(tg_adam_options, betas), false},                       \
             {"betas.1", offsetof(tg_adam_options, betas) + sizeof(double), false},      \
             FIELD(eps, false),                                                          \
             FIELD(weight_decay, false),                                                 \
             FIELD(amsgrad, true),                                                       \
             FIELD(maximize, true)},                                                     \
  .n_buffers = 3, .buffer_names = {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"},           \
  .has_step = true, .check = adam_check

static const optim_vtable adam_vtable = {
    .name = "Adam",
    .constructor = "tg_adam",
    .options_size = sizeof(tg_adam_options),
    ADAM_FIELDS,
    .update = adam_update,
};

static const optim_vtable adamw_vtable = {
    .name = "AdamW",
    .constructor = "tg_adamw",
    .options_size = sizeof(tg_adam_options),
    ADAM_FIELDS,
    .update = adamw_update,
};

tg_optimizer *tg_adam(tg_params params, tg_adam_options options) {
  return tg_optim_create(&adam_vtable, params, &options);
}

tg_optimizer *tg_adamw(tg_params params, tg_adam_options options) {
  return tg_optim_create(&adamw_vtable, params, &options);
}

void tg_adam_add_param_group(tg_optimizer *opt, tg_params params,
                             tg_adam_options options) {
  const optim_vtable *vt = opt->vt == &adamw_vtable ? &adamw_vtable : &adam_vtable;
  tg_optim_add_group(opt, vt, "tg_adam_add_param_group", params, &options);
}
