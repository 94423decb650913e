/* RMSprop, centered or not, with momentum: torch.optim.RMSprop's
 * single-tensor step in PyTorch 1.13. eps is added outside the sqrt. */
#include "optim/internal.h"

enum { SQUARE_AVG, MOMENTUM_BUFFER, GRAD_AVG };

/* The single-tensor step, op for op. Pass one keeps the (decayed) grad of a
 * block and what avg takes the root of; pass two adds eps and updates the
 * momentum buffer and the parameter. */
#define RMSPROP_LOOP(T)                                                                  \
  TG_OPTIM_SIMD static void rmsprop_loop_##T(                                            \
      T *restrict p, const T *restrict g, T *restrict square_avg, T *restrict buf,       \
      T *restrict grad_avg, int64_t n, const tg_rmsprop_options *o) {                    \
    const bool maximize = o->maximize, centered = o->centered;                           \
    const bool l2 = o->weight_decay != 0, has_momentum = o->momentum > 0;                \
    const T weight_decay = (T)o->weight_decay, alpha = (T)o->alpha;                      \
    const T one_minus_alpha = (T)(1 - o->alpha), minus_one = -1, eps = (T)o->eps;        \
    const T momentum = (T)o->momentum, neg_lr = (T)-o->lr;                               \
    T gd[TG_OPTIM_BLOCK], avg[TG_OPTIM_BLOCK];                                           \
    for (int64_t i0 = 0; i0 < n; i0 += TG_OPTIM_BLOCK) {                                 \
      int nb = tg_optim_block_len(n, i0);                                                \
      for (int j = 0; j < nb; j++) {                                                     \
        int64_t i = i0 + j;                                                              \
        T gi = TG_OPTIM_GRAD(g[i], p[i], maximize, l2, weight_decay);                    \
        gd[j] = gi;                                                                      \
        square_avg[i] = TG_ADDCMUL(square_avg[i] * alpha, gi, gi, one_minus_alpha);      \
        if (centered)                                                                    \
          grad_avg[i] = TG_ADD_ALPHA(grad_avg[i] * alpha, gi, one_minus_alpha);          \
        avg[j] = centered                                                                \
                     ? TG_ADDCMUL(square_avg[i], grad_avg[i], grad_avg[i], minus_one)    \
                     : square_avg[i];                                                    \
      }                                                                                  \
      TG_OPTIM_SQRT(avg, nb);                                                            \
      for (int j = 0; j < nb; j++) {                                                     \
        int64_t i = i0 + j;                                                              \
        T a = avg[j] + eps;                                                              \
        if (has_momentum) {                                                              \
          buf[i] = TG_ADDCDIV(buf[i] * momentum, gd[j], a, (T)1);                        \
          p[i] = TG_ADD_ALPHA(p[i], buf[i], neg_lr);                                     \
        } else {                                                                         \
          p[i] = TG_ADDCDIV(p[i], gd[j], a, neg_lr);                                     \
        }                                                                                \
      }                                                                                  \
    }                                                                                    \
  }                                                                                      \
  static void rmsprop_##T(const optim_arrays *a, const void *ctx) {                      \
    rmsprop_loop_##T(a->param, a->grad, a->buf[SQUARE_AVG], a->buf[MOMENTUM_BUFFER],     \
                     a->buf[GRAD_AVG], a->n, ctx);                                       \
  }
RMSPROP_LOOP(float)
RMSPROP_LOOP(double)

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
  tg_optim_run(param, grad, bufs, rmsprop_float, rmsprop_double, o);
}

static bool rmsprop_check(const void *options, char *msg, size_t size) {
  const tg_rmsprop_options *o = options;
  return tg_optim_check_nonneg("learning rate", o->lr, msg, size) &&
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
