/* RAdam: torch.optim.RAdam's single-tensor step in PyTorch 1.13, op for op:
 * Adam's moments; while the variance estimate is too short (rho_t <= 5) a
 * plain momentum step, afterwards an Adam step scaled by the rectification
 * term. The adaptive factor is sqrt(bias_correction2) / (sqrt(v) + eps),
 * which PyTorch computes as a reciprocal times the scalar. */
#include <stdio.h>

#include "optim/internal.h"

enum { EXP_AVG, EXP_AVG_SQ };

typedef struct radam_ctx {
  const tg_radam_options *o;
  double bias_correction1, bias_correction2_sqrt;
  bool rectify;
  double rect;
} radam_ctx;

#define TG_TEMPLATE "optim/radam_loop.inc"
#include "tensor/for_float_types.inc"
#undef TG_TEMPLATE

static void radam_update(const void *options, tg_tensor *param, tg_tensor *grad,
                         optim_param_state *st) {
  const tg_radam_options *o = options;
  bool created;
  tg_tensor *bufs[TG_OPTIM_MAX_BUFFERS] = {
      tg_optim_buffer(st, EXP_AVG, param, 0, &created),
      tg_optim_buffer(st, EXP_AVG_SQ, param, 0, &created), NULL};
  st->exists = true;
  st->step += 1;
  double beta2 = o->betas[1], t = st->step;
  double bias_correction2 = 1 - pow(beta2, t);
  /* the length of the approximated simple moving average, and its limit */
  double rho_inf = 2 / (1 - beta2) - 1;
  double rho_t = rho_inf - 2 * t * pow(beta2, t) / bias_correction2;
  radam_ctx ctx = {.o = o,
                   .bias_correction1 = 1 - pow(o->betas[0], t),
                   .bias_correction2_sqrt = sqrt(bias_correction2),
                   .rectify = rho_t > 5.};
  if (ctx.rectify)
    ctx.rect = sqrt((rho_t - 4) * (rho_t - 2) * rho_inf /
                    ((rho_inf - 4) * (rho_inf - 2) * rho_t));
  tg_optim_run(param, grad, bufs, radam_f32, radam_f64, &ctx);
}

static bool radam_check(const void *options, char *msg, size_t size) {
  const tg_radam_options *o = options;
  return tg_optim_check_adam_like(o->lr, o->eps, o->betas, o->weight_decay, msg, size);
}

#define FIELD(name)                                                                      \
  { #name, offsetof(tg_radam_options, name), false }
static const optim_vtable radam_vtable = {
    .name = "RAdam",
    .constructor = "tg_radam",
    .options_size = sizeof(tg_radam_options),
    .n_fields = 5,
    .fields = {FIELD(lr),
               {"betas.0", offsetof(tg_radam_options, betas), false},
               {"betas.1", offsetof(tg_radam_options, betas) + sizeof(double), false},
               FIELD(eps),
               FIELD(weight_decay)},
    .n_buffers = 2,
    .buffer_names = {"exp_avg", "exp_avg_sq"},
    .has_step = true,
    .check = radam_check,
    .update = radam_update,
};

tg_optimizer *tg_radam(tg_params params, tg_radam_options options) {
  return tg_optim_create(&radam_vtable, params, &options);
}

void tg_radam_add_param_group(tg_optimizer *opt, tg_params params,
                              tg_radam_options options) {
  tg_optim_add_group(opt, &radam_vtable, "tg_radam_add_param_group", params, &options);
}
