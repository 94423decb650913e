/* Adagrad: torch.optim.Adagrad's single-tensor step in PyTorch 1.13. Like
 * PyTorch, the state (step 0, sum = initial_accumulator_value) is made as
 * soon as a parameter joins the optimizer. */
#include "optim/internal.h"

enum { SUM };

typedef struct adagrad_ctx {
  const tg_adagrad_options *o;
  double clr; /* the decayed lr of this step */
} adagrad_ctx;

/* The single-tensor step, op for op: pass one keeps the (decayed) grad of a
 * block and updates the sum, pass two takes std = sqrt(sum) + eps and
 * updates the parameter. */
#define ADAGRAD_LOOP(T)                                                                  \
  TG_OPTIM_SIMD static void adagrad_loop_##T(T *restrict p, const T *restrict g,         \
                                             T *restrict sum, int64_t n,                 \
                                             const adagrad_ctx *c) {                     \
    const tg_adagrad_options *o = c->o;                                                  \
    const bool maximize = o->maximize, l2 = o->weight_decay != 0;                        \
    const T weight_decay = (T)o->weight_decay, one = 1, eps = (T)o->eps;                 \
    const T neg_clr = (T)-c->clr;                                                        \
    T gd[TG_OPTIM_BLOCK], std[TG_OPTIM_BLOCK];                                           \
    for (int64_t i0 = 0; i0 < n; i0 += TG_OPTIM_BLOCK) {                                 \
      int nb = tg_optim_block_len(n, i0);                                                \
      for (int j = 0; j < nb; j++) {                                                     \
        int64_t i = i0 + j;                                                              \
        T gi = TG_OPTIM_GRAD(g[i], p[i], maximize, l2, weight_decay);                    \
        gd[j] = gi;                                                                      \
        std[j] = sum[i] = TG_ADDCMUL(sum[i], gi, gi, one);                               \
      }                                                                                  \
      TG_OPTIM_SQRT(std, nb);                                                            \
      for (int j = 0; j < nb; j++)                                                       \
        p[i0 + j] = TG_ADDCDIV(p[i0 + j], gd[j], std[j] + eps, neg_clr);                 \
    }                                                                                    \
  }                                                                                      \
  static void adagrad_##T(const optim_arrays *a, const void *ctx) {                      \
    adagrad_loop_##T(a->param, a->grad, a->buf[SUM], a->n, ctx);                         \
  }
ADAGRAD_LOOP(float)
ADAGRAD_LOOP(double)

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
  tg_optim_run(param, grad, st->buffers, adagrad_float, adagrad_double, &ctx);
}

static bool adagrad_check(const void *options, char *msg, size_t size) {
  const tg_adagrad_options *o = options;
  return tg_optim_check_nonneg("learning rate", o->lr, msg, size) &&
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
