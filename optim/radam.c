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

#define RADAM_LOOP(T)                                                                    \
  TG_OPTIM_SIMD static void radam_loop_##T(T *restrict p, const T *restrict g,           \
                                           T *restrict m, T *restrict v, int64_t n,      \
                                           const radam_ctx *c) {                         \
    const tg_radam_options *o = c->o;                                                    \
    const bool l2 = o->weight_decay != 0, rectify = c->rectify;                          \
    const T beta1 = (T)o->betas[0], beta2 = (T)o->betas[1];                              \
    const T one_minus_beta1 = (T)(1 - o->betas[0]),                                      \
            one_minus_beta2 = (T)(1 - o->betas[1]);                                      \
    const T weight_decay = (T)o->weight_decay, eps = (T)o->eps, lr = (T)o->lr;           \
    const T bc1 = (T)c->bias_correction1, bc2_sqrt = (T)c->bias_correction2_sqrt;        \
    const T rect = (T)c->rect;                                                           \
    T r[TG_OPTIM_BLOCK];                                                                 \
    for (int64_t i0 = 0; i0 < n; i0 += TG_OPTIM_BLOCK) {                                 \
      int nb = tg_optim_block_len(n, i0);                                                \
      for (int j = 0; j < nb; j++) {                                                     \
        int64_t i = i0 + j;                                                              \
        T gi = TG_OPTIM_GRAD(g[i], p[i], false, l2, weight_decay);                       \
        TG_OPTIM_MOMENTS(m[i], v[i], gi, beta1, one_minus_beta1, beta2,                  \
                         one_minus_beta2);                                               \
        r[j] = v[i];                                                                     \
      }                                                                                  \
      if (rectify) TG_OPTIM_SQRT(r, nb);                                                 \
      for (int j = 0; j < nb; j++) {                                                     \
        int64_t i = i0 + j;                                                              \
        T step = m[i] / bc1 * lr;                                                        \
        if (rectify) step = step * ((T)1 / (r[j] + eps) * bc2_sqrt) * rect;              \
        p[i] = p[i] - step;                                                              \
      }                                                                                  \
    }                                                                                    \
  }                                                                                      \
  static void radam_##T(const optim_arrays *a, const void *ctx) {                        \
    radam_loop_##T(a->param, a->grad, a->buf[EXP_AVG], a->buf[EXP_AVG_SQ], a->n, ctx);   \
  }
RADAM_LOOP(float)
RADAM_LOOP(double)

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
  tg_optim_run(param, grad, bufs, radam_float, radam_double, &ctx);
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

tg_optimizer *tg_radam(tg_tensor *const *params, int n, tg_radam_options options) {
  return tg_optim_create(&radam_vtable, params, n, &options);
}

void tg_radam_add_param_group(tg_optimizer *opt, tg_tensor *const *params, int n,
                              tg_radam_options options) {
  tg_optim_add_group(opt, &radam_vtable, "tg_radam_add_param_group", params, n, &options);
}
