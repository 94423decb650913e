/* NAdam: torch.optim.NAdam's single-tensor step in PyTorch 1.13, op for
 * op: Adam's moments, a denominator sqrt(v / (1 - beta2^t)) + eps, and two
 * addcdiv_ steps weighted by the momentum schedule mu_t, whose running
 * product PyTorch keeps in a float32 tensor. */
#include <stdio.h>

#include "optim/internal.h"

enum { EXP_AVG, EXP_AVG_SQ };

typedef struct nadam_ctx {
  const tg_nadam_options *o;
  double bias_correction2;
  double grad_step, momentum_step; /* the two addcdiv_ values */
} nadam_ctx;

#define TG_TEMPLATE "optim/nadam_loop.inc"
#include "tensor/for_float_types.inc"
#undef TG_TEMPLATE

/* mu_t = beta1 (1 - 0.5 * 0.96^(t momentum_decay)), in Python's doubles. */
static double momentum_cache(const tg_nadam_options *o, double step) {
  return o->betas[0] * (1. - 0.5 * pow(0.96, step * o->momentum_decay));
}

static void nadam_update(const void *options, tg_tensor *param, tg_tensor *grad,
                         optim_param_state *st) {
  const tg_nadam_options *o = options;
  bool created;
  tg_tensor *bufs[TG_OPTIM_MAX_BUFFERS] = {
      tg_optim_buffer(st, EXP_AVG, param, 0, &created),
      tg_optim_buffer(st, EXP_AVG_SQ, param, 0, &created), NULL};
  if (!st->exists) st->mu_product = 1;
  st->exists = true;
  st->step += 1;
  double mu = momentum_cache(o, st->step), mu_next = momentum_cache(o, st->step + 1);
  /* PyTorch's mu_product and mu_product_next are float32 tensor products */
  st->mu_product *= (float)mu;
  float mu_product_next = st->mu_product * (float)mu * (float)mu_next;
  nadam_ctx ctx = {
      .o = o,
      .bias_correction2 = 1 - pow(o->betas[1], st->step),
      .grad_step = -o->lr * (1. - mu) / (1. - (double)st->mu_product),
      .momentum_step = -o->lr * mu_next / (1. - (double)mu_product_next),
  };
  tg_optim_run(param, grad, bufs, nadam_f32, nadam_f64, &ctx);
}

static bool nadam_check(const void *options, char *msg, size_t size) {
  const tg_nadam_options *o = options;
  return tg_optim_check_adam_like(o->lr, o->eps, o->betas, o->weight_decay, msg, size) &&
         tg_optim_check_nonneg("momentum_decay value", o->momentum_decay, msg, size);
}

#define FIELD(name)                                                                      \
  { #name, offsetof(tg_nadam_options, name), false }
static const optim_vtable nadam_vtable = {
    .name = "NAdam",
    .constructor = "tg_nadam",
    .options_size = sizeof(tg_nadam_options),
    .n_fields = 6,
    .fields = {FIELD(lr),
               {"betas.0", offsetof(tg_nadam_options, betas), false},
               {"betas.1", offsetof(tg_nadam_options, betas) + sizeof(double), false},
               FIELD(eps),
               FIELD(weight_decay),
               FIELD(momentum_decay)},
    .n_buffers = 2,
    .buffer_names = {"exp_avg", "exp_avg_sq"},
    .has_step = true,
    .has_mu_product = true,
    .check = nadam_check,
    .update = nadam_update,
};

tg_optimizer *tg_nadam(tg_params params, tg_nadam_options options) {
  return tg_optim_create(&nadam_vtable, params, &options);
}

void tg_nadam_add_param_group(tg_optimizer *opt, tg_params params,
                              tg_nadam_options options) {
  tg_optim_add_group(opt, &nadam_vtable, "tg_nadam_add_param_group", params, &options);
}
